#!/usr/bin/env python3
"""host-seeds.py — write the seed inputs of fuzz-host into corpus/host/ (run it after changing the slots in fuzz-host.c).

An input is the content of each slot, in fuzz-host.c's order, joined by 0xff; b"\xfe" removes that file and
a missing slice keeps the fixture's file."""
import os

SLOTS = ["cpuinfo", "cmdline", "mounts", "route", "ipv6_route", "os-release", "modules.dep", "vendor", "class",
         "boot_vga", "reset_method", "sriov_numvfs", "sriov_totalvfs", "osrelease", "meminfo", "modules.builtin",
         "pci.ids"]
REMOVE = b"\xfe"

INTEL_CPU = """processor\t: {n}
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 158
model name\t: Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz
stepping\t: 12
microcode\t: 0xf8
cpu MHz\t\t: 3600.000
cache size\t: 12288 KB
physical id\t: 0
siblings\t: 8
core id\t\t: {n}
cpu cores\t: 8
apicid\t\t: {a}
initial apicid\t: {a}
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 22
wp\t\t: yes
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb invpcid_single ssbd ibrs ibpb stibp tpr_shadow vnmi flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid mpx rdseed adx smap clflushopt intel_pt xsaveopt xsavec xgetbv1 xsaves dtherm ida arat pln pts hwp hwp_notify hwp_act_window hwp_epp md_clear flush_l1d arch_capabilities
vmx flags\t: vnmi preemption_timer invvpid ept_x_only ept_ad ept_1gb flexpriority tsc_offset vtpr mtf vapic ept vpid unrestricted_guest ple shadow_vmcs pml ept_mode_based_exec
bugs\t\t: spectre_v1 spectre_v2 spec_store_bypass swapgs taa itlb_multihit srbds mmio_stale_data retbleed eibrs_pbrsb
bogomips\t: 7200.00
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 39 bits physical, 48 bits virtual
power management:

"""

AMD_CPU = """processor\t: {n}
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 33
model name\t: AMD Ryzen 7 5800X 8-Core Processor
stepping\t: 0
microcode\t: 0xa201205
cpu MHz\t\t: 3800.000
cache size\t: 512 KB
physical id\t: 0
siblings\t: 16
core id\t\t: {n}
cpu cores\t: 8
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm
bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso
bogomips\t: 7600.13
TLB size\t: 2560 4K pages
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 48 bits physical, 48 bits virtual
power management: ts ttp tm hwpstate cpb eff_freq_ro [13] [14]

"""

MOUNTS = """sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=16344512k,nr_inodes=4086128,mode=755,inode64 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=3273812k,mode=755,inode64 0 0
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
efivarfs /sys/firmware/efi/efivars efivarfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=3273808k,nr_inodes=818452,mode=700,uid=1000,gid=1000,inode64 0 0
"""

MOUNTS_LVM = """/dev/mapper/vg-root / ext4 rw,relatime 0 0
/dev/md0 /boot ext4 rw,relatime 0 0
/dev/disk/by-uuid/1234-ABCD /efi vfat rw 0 0
/dev/sda1 /usr\\040local ext4 rw 0 0
"""

ROUTE = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       
eno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0                                                                               
eno1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0                                                                               
virbr0\t007AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                             
"""

IPV6_ROUTE = """fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eno1
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe80000000000000022268fffe0d1a2b 00000400 00000001 00000000 00450003     eno1
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000004 00000000 80200001       lo
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
"""

DEBIAN = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""

UBUNTU = """PRETTY_NAME='Ubuntu 22.04.3 LTS'
NAME="Ubuntu"
VERSION_ID="22.04"
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME="jam\\"my"
"""

MODULES_DEP = """kernel/arch/x86/kvm/kvm.ko.xz: kernel/virt/lib/irqbypass.ko.xz
kernel/arch/x86/kvm/kvm-intel.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz kernel/virt/lib/irqbypass.ko.xz
kernel/drivers/vfio/vfio.ko.xz: kernel/drivers/vfio/vfio_iommu_type1.ko.xz
kernel/drivers/vfio/vfio_iommu_type1.ko.xz:
kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz kernel/virt/lib/irqbypass.ko.xz
kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz
"""

MODULES_BUILTIN = """kernel/drivers/vfio/vfio.ko
kernel/drivers/vfio/vfio_iommu_type1.ko
kernel/drivers/vfio/pci/vfio-pci-core.ko
kernel/drivers/vfio/pci/vfio-pci.ko
"""

MEMINFO = """MemTotal:       32779412 kB
MemFree:        20112344 kB
MemAvailable:   28012000 kB
HugePages_Total:       8
HugePages_Free:        8
Hugepagesize:       2048 kB
"""

PCI_IDS = """# a pci.ids fragment
10de  NVIDIA Corporation
\t2484  GA104 [GeForce RTX 3070]
\t\t10de 1234  Founders Edition
1002  Advanced Micro Devices, Inc. [AMD/ATI]
\t73bf  Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]
C 03  Display controller
\t00  VGA compatible controller
\t\t00  VGA controller
"""


def seed(files):
    """Join the given slots (by name) in slot order; slots after the last given one are left out."""
    assert set(files) <= set(SLOTS), set(files) - set(SLOTS)
    last = max(SLOTS.index(name) for name in files)
    parts = []
    for name in SLOTS[:last + 1]:
        v = files.get(name, "")
        parts.append(v if isinstance(v, bytes) else v.encode())
    return b"\xff".join(parts)


INTEL = {
    "cpuinfo": "".join(INTEL_CPU.format(n=i, a=2 * i) for i in range(2)),
    "cmdline": "BOOT_IMAGE=/vmlinuz-6.1.0-27-amd64 root=UUID=6f1c8e2a-3b9d-4c55-9a0e-2d7f1b8c4e90 ro quiet "
               "intel_iommu=on iommu=pt vfio-pci.ids=10de:2484,10de:228b\n",
    "mounts": MOUNTS, "route": ROUTE, "ipv6_route": IPV6_ROUTE, "os-release": DEBIAN, "modules.dep": MODULES_DEP,
    "vendor": "0x10de\n", "class": "0x030000\n", "boot_vga": "0\n", "reset_method": "flr bus\n",
    "sriov_numvfs": REMOVE, "sriov_totalvfs": REMOVE, "osrelease": "6.1.0-27-amd64\n", "meminfo": MEMINFO,
    "modules.builtin": REMOVE,
}

AMD = {
    "cpuinfo": "".join(AMD_CPU.format(n=i) for i in range(2)),
    "cmdline": "BOOT_IMAGE=/boot/vmlinuz-5.19.17 root=UUID=x ro quiet splash amd_iommu=on kvm.ignore_msrs=1 "
               "vfio_pci.ids=10de:1c02,10de:10f1 pcie_acs_override=multifunction vt.handoff=7\n",
    "mounts": MOUNTS_LVM, "route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
    "ipv6_route": IPV6_ROUTE, "os-release": UBUNTU, "modules.dep": "", "vendor": "0x1002\n", "class": "0x030000\n",
    "boot_vga": "1\n", "reset_method": "\n", "sriov_numvfs": REMOVE, "sriov_totalvfs": REMOVE,
    "osrelease": "5.19.0-50-generic\n", "meminfo": MEMINFO, "modules.builtin": MODULES_BUILTIN, "pci.ids": PCI_IDS,
}

SEEDS = {
    "intel-desktop": seed(INTEL),
    "amd-ubuntu-builtin-vfio": seed(AMD),
    # an iGPU-like PF with VFs enabled, a 3D controller class
    "sriov-3d": seed({**INTEL, "vendor": "0x8086\n", "class": "0x030200\n", "sriov_totalvfs": "7\n",
                      "sriov_numvfs": "2\n", "reset_method": "flr\n"}),
    # files the kernel would never write: nothing may crash and every one becomes a problem
    "garbage": seed({"cpuinfo": "processor:\n:\nflags\t: \tvmx\x00svm\n", "cmdline": "\"=\" a=\"\"\"", "mounts":
                     "/dev/../../proc/self / x\n/dev/mapper/ / x\n", "route": "lo 00000000 0 ffffffff 0 0 0 00000000\n",
                     "ipv6_route": "0 0 0 0 0 0 0 0 0 lo\n", "os-release": "ID='\nPRETTY_NAME=\"\\\n",
                     "modules.dep": "vfio-pci.ko", "vendor": "0x", "class": "0xffffffffff", "boot_vga": "2",
                     "reset_method": "", "sriov_numvfs": "-1", "sriov_totalvfs": "x", "osrelease": "../../../etc\n",
                     "meminfo": "MemTotal: 99999999999999999999999 kB\n", "modules.builtin": ":",
                     "pci.ids": "zz\n\t\t\tbad\n"}),
    # a garbage VF count: the loader once looked up 2^31 virtfn links (a libFuzzer timeout)
    "sriov-numvfs-huge": seed({**INTEL, "sriov_totalvfs": "7\n", "sriov_numvfs": "2147483647\n"}),
    # every file removed
    "all-missing": b"\xff".join([REMOVE] * len(SLOTS)),
    # only the command line differs from the fixture
    "cmdline-only": seed({"cpuinfo": INTEL["cpuinfo"], "cmdline": "quiet intel_iommu=off iommu=pt,bogus,soft\n"}),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "host")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
