#!/usr/bin/python3
"""mkhost.py - build fake Linux hosts ("roots") for vfiokit --root DIR.

Each host is a directory tree laid out exactly like the kernel's sysfs and
procfs (plus the /etc, /lib/modules, /dev and /usr/share files vfiokit reads):
PCI functions nested under their bridges in sys/devices, relative symlinks
with the kernel's ../ depth, IOMMU groups, drivers, modules, DRM cards, block
and network devices, the kernel command line, cpuinfo, mounts and routes.

  python3 tools/mkhost.py OUTDIR HOSTNAME
  python3 tools/mkhost.py OUTDIR server --functions N
  python3 tools/mkhost.py --all DIR
  python3 tools/mkhost.py --list

Output is deterministic: the same command writes byte-identical trees.
The trees hold symlink cycles (as sysfs does): compare them with
"diff -r --no-dereference", never plain "diff -r".  --all writes the example
hosts only; "server" is generated on demand and leaves out optional
attributes, and its read-only attributes with equal contents share one inode
(hard links) to stay fast.
Python 3 standard library only.  The pci.ids subset below was copied from
the pci.ids database (version 2023.04.10) when this script was written; it is
never read from the running system.
"""

import argparse
import os
import struct
import sys
import uuid
import zlib

# ---------------------------------------------------------------------------
# pci.ids subset (real names, pci.ids 2023.04.10).  Vendor, device and
# subsystem lines in the pci.ids format, then the class section.
# Each generated host gets only the entries it uses.
# ---------------------------------------------------------------------------

PCI_IDS = r"""
1002  Advanced Micro Devices, Inc. [AMD/ATI]
	1478  Navi 10 XL Upstream Port of PCI Express Switch
	1479  Navi 10 XL Downstream Port of PCI Express Switch
	67df  Ellesmere [Radeon RX 470/480/570/570X/580/580X/590]
		1da2 e366  Nitro+ Radeon RX 570/580/590
	67ef  Baffin [Radeon RX 460/560D / Pro 450/455/460/555/555X/560/560X]
	67ff  Baffin [Radeon RX 550 640SP / RX 560/560X]
		1da2 e348  Radeon RX 560
	73ff  Navi 23 [Radeon RX 6600/6600 XT/6600M]
	aae0  Baffin HDMI/DP Audio [Radeon RX 550 640SP / RX 560/560X]
	aaf0  Ellesmere HDMI Audio [Radeon RX 470/480 / 570/580/590]
	ab28  Navi 21/23 HDMI/DP Audio Controller
1022  Advanced Micro Devices, Inc. [AMD]
	1440  Matisse/Vermeer Data Fabric: Device 18h; Function 0
	1441  Matisse/Vermeer Data Fabric: Device 18h; Function 1
	1442  Matisse/Vermeer Data Fabric: Device 18h; Function 2
	1443  Matisse/Vermeer Data Fabric: Device 18h; Function 3
	1444  Matisse/Vermeer Data Fabric: Device 18h; Function 4
	1445  Matisse/Vermeer Data Fabric: Device 18h; Function 5
	1446  Matisse/Vermeer Data Fabric: Device 18h; Function 6
	1447  Matisse/Vermeer Data Fabric: Device 18h; Function 7
	1450  Family 17h (Models 00h-0fh) Root Complex
	1451  Family 17h (Models 00h-0fh) I/O Memory Management Unit
	1452  Family 17h (Models 00h-1fh) PCIe Dummy Host Bridge
	1453  Family 17h (Models 00h-0fh) PCIe GPP Bridge
	1454  Family 17h (Models 00h-0fh) Internal PCIe GPP Bridge 0 to Bus B
	1455  Zeppelin/Renoir PCIe Dummy Function
	1456  Family 17h (Models 00h-0fh) Platform Security Processor (PSP) 3.0 Device
	1457  Family 17h (Models 00h-0fh) HD Audio Controller
	145a  Zeppelin/Raven/Raven2 PCIe Dummy Function
	145f  Zeppelin USB 3.0 xHCI Compliant Host Controller
	1460  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 0
	1461  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 1
	1462  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 2
	1463  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 3
	1464  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 4
	1465  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 5
	1466  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 6
	1467  Family 17h (Models 00h-0fh) Data Fabric: Device 18h; Function 7
	1480  Starship/Matisse Root Complex
	1481  Starship/Matisse IOMMU
	1482  Starship/Matisse PCIe Dummy Host Bridge
	1483  Starship/Matisse GPP Bridge
	1484  Starship/Matisse Internal PCIe GPP Bridge 0 to bus[E:B]
	1485  Starship/Matisse Reserved SPP
	1486  Starship/Matisse Cryptographic Coprocessor PSPCPP
	1487  Starship/Matisse HD Audio Controller
	148a  Starship/Matisse PCIe Dummy Function
	149c  Matisse USB 3.0 Host Controller
	43c6  400 Series Chipset PCIe Bridge
	43c7  400 Series Chipset PCIe Port
	43c8  400 Series Chipset SATA Controller
	43d5  400 Series Chipset USB 3.1 xHCI Compliant Host Controller
	43e9  500 Series Chipset Switch Upstream Port
	43eb  500 Series Chipset SATA Controller
		1b21 1062  ASM1062 Serial ATA Controller
	43ee  500 Series Chipset USB 3.1 XHCI Controller
		1b21 1142  ASM1042A USB 3.0 Host Controller
	7901  FCH SATA Controller [AHCI mode]
	790b  FCH SMBus Controller
	790e  FCH LPC Bridge
1043  ASUSTeK Computer Inc.
10de  NVIDIA Corporation
	0fbb  GM204 High Definition Audio Controller
	10f1  GP106 High Definition Audio Controller
	13c2  GM204 [GeForce GTX 970]
	1aeb  TU116 High Definition Audio Controller
	1aec  TU116 USB 3.1 Host Controller
	1aed  TU116 USB Type-C UCSI Controller
	1aef  GA102 High Definition Audio Controller
	1c02  GP106 [GeForce GTX 1060 3GB]
	2191  TU116M [GeForce GTX 1660 Ti Mobile]
	2236  GA102GL [A10]
	228b  GA104 High Definition Audio Controller
	2484  GA104 [GeForce RTX 3070]
10ec  Realtek Semiconductor Co., Ltd.
	8125  RTL8125 2.5GbE Controller
144d  Samsung Electronics Co Ltd
	a808  NVMe SSD Controller SM981/PM981/PM983
		144d a801  SSD 970 EVO
	a809  NVMe SSD Controller 980
	a80a  NVMe SSD Controller PM9A1/PM9A3/980PRO
	a824  NVMe SSD Controller PM173X
1458  Gigabyte Technology Co., Ltd
148c  Tul Corporation / PowerColor
1462  Micro-Star International Co., Ltd. [MSI]
1558  CLEVO/KAPOK Computer
15d9  Super Micro Computer Inc
1849  ASRock Incorporation
19da  ZOTAC International (MCO) Ltd.
1b21  ASMedia Technology Inc.
1da2  Sapphire Technology Limited
1e0f  KIOXIA Corporation
	0009  NVMe SSD
		1e0f 0001  Toshiba RC500 NVMe SSD 500GB
8086  Intel Corporation
	0684  H470 Chipset LPC/eSPI Controller
	06a3  Comet Lake PCH SMBus Controller
	06a4  Comet Lake PCH SPI Controller
	06b0  Comet Lake PCI Express Root Port #9
	06c8  Comet Lake PCH cAVS
	06d2  Comet Lake SATA AHCI Controller
	06e0  Comet Lake HECI Controller
	06ed  Comet Lake USB 3.1 xHCI Host Controller
	06ef  Comet Lake PCH Shared SRAM
	0d4f  Ethernet Connection (10) I219-V
	125c  Ethernet Controller I226-V
	1539  I211 Gigabit Network Connection
	1572  Ethernet Controller X710 for 10GbE SFP+
		8086 0000  Ethernet Converged Network Adapter X710
	15bc  Ethernet Connection (7) I219-V
	1901  6th-10th Gen Core Processor PCIe Controller (x16)
	2723  Wi-Fi 6 AX200
		8086 0084  Wi-Fi 6 AX200NGW
	3e30  8th/9th Gen Core 8-core Desktop Processor Host Bridge/DRAM Registers [Coffee Lake S]
	3e98  CoffeeLake-S GT2 [UHD Graphics 630]
	3e9b  CoffeeLake-H GT2 [UHD Graphics 630]
	3ec4  8th Gen Core Processor Host Bridge/DRAM Registers
	46d1  Alder Lake-N [UHD Graphics]
	9b53  Comet Lake-S 6c Host Bridge/DRAM Controller
	9bc8  CometLake-S GT2 [UHD Graphics 630]
	a305  Z390 Chipset LPC/eSPI Controller
	a30d  HM470 Chipset LPC/eSPI Controller
	a323  Cannon Lake PCH SMBus Controller
	a324  Cannon Lake PCH SPI Controller
	a330  Cannon Lake PCH PCI Express Root Port #9
	a348  Cannon Lake PCH cAVS
	a352  Cannon Lake PCH SATA AHCI Controller
	a353  Cannon Lake Mobile PCH SATA AHCI Controller
	a360  Cannon Lake PCH HECI Controller
	a36d  Cannon Lake PCH USB 3.1 xHCI Host Controller
	a36f  Cannon Lake PCH Shared SRAM
	a370  Cannon Lake PCH CNVi WiFi
		8086 0034  Wireless-AC 9560
	a379  Cannon Lake PCH Thermal Controller
C 01  Mass storage controller
	06  SATA controller
		01  AHCI 1.0
	08  Non-Volatile memory controller
		02  NVM Express
C 02  Network controller
	00  Ethernet controller
	80  Network controller
C 03  Display controller
	00  VGA compatible controller
		00  VGA controller
	02  3D controller
C 04  Multimedia controller
	03  Audio device
C 05  Memory controller
	00  RAM memory
C 06  Bridge
	00  Host bridge
	01  ISA bridge
	04  PCI bridge
		00  Normal decode
C 07  Communication controller
	80  Communication controller
C 08  Generic system peripheral
	06  IOMMU
C 0c  Serial bus controller
	03  USB controller
		30  XHCI
	05  SMBus
	80  Serial bus controller
C 10  Encryption controller
	80  Encryption controller
C 11  Signal processing controller
	80  Signal processing controller
C 13  Non-Essential Instrumentation
"""

PCI_IDS_VERSION = "2023.04.10"

# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


class Fn:
    """One PCI function."""

    def __init__(self, parent, addr, ven, dev, cls, rev=0, sub=None,
                 drv=None, reset=None, group=None, boot_vga=None,
                 override=None):
        self.parent = parent            # RootBus or bridge Fn
        dom, bus, rest = addr.split(':')
        slot, func = rest.split('.')
        self.dom = int(dom, 16)
        self.bus = int(bus, 16)
        self.slot = int(slot, 16)
        self.func = int(func, 16)
        self.addr = addr
        self.ven, self.dev, self.cls, self.rev = ven, dev, cls, rev
        self.sub = sub if sub is not None else (ven, dev)
        self.drv = drv
        self.reset = reset
        self.group = group
        self.boot_vga = boot_vga
        self.override = override
        self.children = []
        self.sec = None                 # secondary bus (bridges)
        self.sriov = None               # dict for SR-IOV PFs
        self.vfs = []
        self.physfn = None
        self.drm = None                 # (card, render, [(conn, connected)])
        self.nets = []                  # Net objects
        self.nvme = None                # (ctrl, model, serial, [Disk])
        self.ata = None                 # (port, host, [Disk])
        self.fb = None                  # (fbN, name)
        self.ivhd = None                # AMD IOMMU unit name on this fn
        self.iommu_unit = None
        self.irq = 0
        self.bar = None
        self.path = None
        self.multifunction = False

    @property
    def is_bridge(self):
        return self.cls >> 8 == 0x0604

    def add(self, addr, *a, **kw):
        f = Fn(self, addr, *a, **kw)
        if self.sec is None:
            self.sec = f.bus
        assert f.bus == self.sec, (self.addr, addr)
        self.children.append(f)
        return f


class RootBus:
    def __init__(self, dom, bus):
        self.dom, self.bus = dom, bus
        self.children = []
        self.path = 'sys/devices/pci%04x:%02x' % (dom, bus)

    def add(self, addr, *a, **kw):
        f = Fn(self, addr, *a, **kw)
        assert f.bus == self.bus and f.dom == self.dom
        self.children.append(f)
        return f


class Disk:
    def __init__(self, name, major, minor, sectors, parts=(), model=None):
        self.name, self.major, self.minor = name, major, minor
        self.sectors = sectors
        self.parts = list(parts)        # [(name, minor, start, sectors)]
        self.model = model


class Net:
    def __init__(self, name, mac, wireless=False, phy=None):
        self.name, self.mac, self.wireless, self.phy = name, mac, wireless, phy


class Host:
    def __init__(self, name):
        self.name = name
        self.roots = []
        self.iommu = None               # 'intel', 'amd' or None
        self.group_type = 'DMA-FQ'      # None: kernel without the type file
        self.has_reset_method = True    # reset_method exists since 5.15
        self.uefi = True
        self.osrelease = ''
        self.cmdline = ''
        self.cpu = None
        self.ncpu = 4
        self.modules = {}               # name -> dict(state, params, ...)
        self.mod_ext = '.ko'
        self.modules_dep = []
        self.modules_builtin = []
        self.mounts = []
        self.routes = []                # (iface, dest, gw, flags, metric, mask)
        self.mem_kb = 16 * 1024 * 1024
        self.hugepages = 0
        self.etc = {}                   # path -> text
        self.links = {}                 # extra symlinks: path -> target
        self.files = {}                 # extra files: path -> bytes/str
        self.execs = []                 # empty executables (commands looked up, never run)
        self.vnets = []                 # virtual net devices (name, kind, mac)
        self.dm = []                    # (dmname, minor, mapper name, [slave partition paths])
        self.kvm = True
        self.fb_platform = None         # (fbN, name) firmware framebuffer
        self.pm_profile = 1
        self.distro = None
        self.grub = None                # GRUB_CMDLINE_LINUX_DEFAULT
        self.grub_linux = ''
        self.root_uuid = None
        self.lean = False               # skip optional attributes (speed)

    def rootbus(self, dom=0, bus=0):
        r = RootBus(dom, bus)
        self.roots.append(r)
        return r

    def functions(self):
        out = []

        def walk(node):
            for f in node.children:
                out.append(f)
                walk(f)
        for r in self.roots:
            walk(r)
        return out


def mod(h, name, state='loaded', params=None, holders=(), taint='',
        size=16384, refcnt=None):
    h.modules[name] = dict(state=state, params=params or {},
                           holders=list(holders), taint=taint, size=size,
                           refcnt=refcnt)


def mac_for(*parts, oui='00:1b:21'):
    c = zlib.crc32(('/'.join(parts)).encode())
    return '%s:%02x:%02x:%02x' % (oui, (c >> 16) & 0xff, (c >> 8) & 0xff,
                                  c & 0xff)


def uuid_for(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'vfiokit:' + '/'.join(parts)))


# driver name -> module name (sys/module/NAME) for the module link
DRIVER_MODULE = {
    'nvme': 'nvme', 'e1000e': 'e1000e', 'xhci_hcd': 'xhci_pci',
    'snd_hda_intel': 'snd_hda_intel', 'i915': 'i915', 'nouveau': 'nouveau',
    'nvidia': 'nvidia', 'amdgpu': 'amdgpu', 'ahci': 'ahci',
    'i801_smbus': 'i2c_i801', 'mei_me': 'mei_me', 'iwlwifi': 'iwlwifi',
    'igc': 'igc', 'igb': 'igb', 'r8169': 'r8169', 'vfio-pci': 'vfio_pci',
    'ccp': 'ccp', 'k10temp': 'k10temp', 'piix4_smbus': 'i2c_piix4',
    'nvidia-gpu': 'i2c_nvidia_gpu', 'intel-spi': 'spi_intel_pci',
    'skl_uncore': 'intel_uncore', 'i40e': 'i40e', 'xhci_pci': 'xhci_pci',
    'intel_pch_thermal': 'intel_pch_thermal',
}

# ---------------------------------------------------------------------------
# Text fixtures
# ---------------------------------------------------------------------------

OS_RELEASE = {
    'debian12': '''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
''',
    'ubuntu2204': '''PRETTY_NAME="Ubuntu 22.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.1 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
''',
    'ubuntu2004': '''NAME="Ubuntu"
VERSION="20.04.6 LTS (Focal Fossa)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 20.04.6 LTS"
VERSION_ID="20.04"
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
VERSION_CODENAME=focal
UBUNTU_CODENAME=focal
''',
    'arch': '''NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
''',
    'manjaro': '''NAME="Manjaro Linux"
PRETTY_NAME="Manjaro Linux"
ID=manjaro
ID_LIKE=arch
BUILD_ID=rolling
ANSI_COLOR="32;1;24;144;200"
HOME_URL="https://manjaro.org/"
DOCUMENTATION_URL="https://wiki.manjaro.org/"
SUPPORT_URL="https://forum.manjaro.org/"
BUG_REPORT_URL="https://docs.manjaro.org/reporting-bugs/"
PRIVACY_POLICY_URL="https://manjaro.org/privacy-policy/"
LOGO=manjarolinux
''',
}


def grub_default(distro, default, linux=''):
    if distro in ('debian12',):
        return '''# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="%s"
GRUB_CMDLINE_LINUX="%s"

# If your computer has multiple operating systems installed, then you
# probably want to run os-prober. However, if your computer is a host
# for guest OSes installed via LVM or raw disk devices, running
# os-prober can cause damage to those guest OSes as it mounts
# filesystems to look for things.
#GRUB_DISABLE_OS_PROBER=false

# Uncomment to enable BadRAM filtering, modify to suit your needs
# This works with Linux (no patch required) and with any kernel that obtains
# the memory map information from GRUB (GNU Mach, kernel of FreeBSD ...)
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command `vbeinfo'
#GRUB_GFXMODE=640x480

# Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
#GRUB_DISABLE_RECOVERY="true"

# Uncomment to get a beep at grub start
#GRUB_INIT_TUNE="480 440 1"
''' % (default, linux)
    if distro in ('ubuntu2204', 'ubuntu2004'):
        return '''# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="%s"
GRUB_CMDLINE_LINUX="%s"

# Uncomment to enable BadRAM filtering, modify to suit your needs
# This works with Linux (no patch required) and with any kernel that obtains
# the memory map information from GRUB (GNU Mach, kernel of FreeBSD ...)
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal (grub-pc only)
#GRUB_TERMINAL=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command `vbeinfo'
#GRUB_GFXMODE=640x480

# Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
#GRUB_DISABLE_RECOVERY="true"

# Uncomment to get a beep at grub start
#GRUB_INIT_TUNE="480 440 1"
''' % (default, linux)
    dist = 'Manjaro' if distro == 'manjaro' else 'Arch'
    extra = 'GRUB_SAVEDEFAULT=true\n' if distro == 'manjaro' else ''
    return '''# GRUB boot loader configuration

GRUB_DEFAULT=saved
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="%s"
GRUB_CMDLINE_LINUX_DEFAULT="%s"
GRUB_CMDLINE_LINUX="%s"

# Preload both GPT and MBR modules so that they are always available
GRUB_PRELOAD_MODULES="part_gpt part_msdos"

# Uncomment to enable booting from LUKS encrypted devices
#GRUB_ENABLE_CRYPTODISK=y

# Set to 'countdown' or 'hidden' to change timeout behavior,
# press ESC key to display menu.
GRUB_TIMEOUT_STYLE=menu

# Uncomment to use basic console
GRUB_TERMINAL_INPUT=console

# Uncomment to disable graphical terminal
#GRUB_TERMINAL_OUTPUT=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command `videoinfo'
GRUB_GFXMODE=auto

# Uncomment to allow the kernel use the same resolution used by grub
GRUB_GFXPAYLOAD_LINUX=keep

# Uncomment if you want GRUB to pass to the Linux kernel the old parameter
# format "root=/dev/xxx" instead of "root=/dev/disk/by-uuid/xxx"
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
GRUB_DISABLE_RECOVERY=true
%s
# Probing for other operating systems is disabled for security reasons. Read
# documentation on GRUB_DISABLE_OS_PROBER, if still want to enable this
# functionality install os-prober and uncomment to detect and include other
# operating systems.
#GRUB_DISABLE_OS_PROBER=false
''' % (dist, default, linux, extra)


def mkinitcpio_conf(modules, hooks):
    return '''# vim:set ft=sh
# MODULES
# The following modules are loaded before any boot hooks are
# run.  Advanced users may wish to specify all system modules
# in this array.  For instance:
#     MODULES=(usbhid xhci_hcd)
MODULES=(%s)

# BINARIES
# This setting includes any additional binaries a given user may
# wish into the CPIO image.  This is run last, so it may be used to
# override the actual binaries included by a given hook
# BINARIES are dependency parsed, so you may safely ignore libraries
BINARIES=()

# FILES
# This setting is similar to BINARIES above, however, files are added
# as-is and are not parsed in any way.  This is useful for config files.
FILES=()

# HOOKS
# This is the most important setting in this file.  The HOOKS control the
# modules and scripts added to the image, and what happens at boot time.
# Order is important, and it is recommended that you do not change the
# order in which HOOKS are added.  Run 'mkinitcpio -H <hook name>' for
# help on a given hook.
# 'base' is _required_ unless you know precisely what you are doing.
# 'udev' is _required_ in order to automatically load modules
# 'filesystems' is _required_ unless you bring your own custom root mount
#
##   NOTE: If you have /usr on a separate partition, you MUST include the
#    usr and fsck hooks.
HOOKS=(%s)

# COMPRESSION
# Use this to compress the initramfs image. By default, zstd compression
# is used. Use 'cat' to create an uncompressed image.
#COMPRESSION="zstd"
#COMPRESSION="gzip"
#COMPRESSION="bzip2"
#COMPRESSION="lzma"
#COMPRESSION="xz"
#COMPRESSION="lzop"
#COMPRESSION="lz4"

# COMPRESSION_OPTIONS
# Additional options for the compressor
#COMPRESSION_OPTIONS=()
''' % (modules, hooks)


INITRAMFS_TOOLS_MODULES = '''# List of modules that you want to include in your initramfs.
# They will be loaded at boot time in the order below.
#
# Syntax:  module_name [args ...]
#
# You must run update-initramfs(8) to effect this change.
#
# Examples:
#
# raid1
# sd_mod
'''

INTEL_UCODE_BLACKLIST = '''# The microcode module attempts to apply a microcode update when
# it autoloads.  This is not always safe, so we block it by default.
blacklist microcode
'''

AMD_UCODE_BLACKLIST = '''# The microcode module attempts to apply a microcode update when
# it autoloads.  This is not always safe, so we block it by default.
blacklist microcode
'''

# CPU models: vendor, family, model, stepping, name, MHz, cache, flags, vmx flags
INTEL_FLAGS_BASE = (
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 '
    'clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp '
    'lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology '
    'nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx '
    '%s est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe '
    'popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm '
    '3dnowprefetch cpuid_fault epb invpcid_single ssbd ibrs ibpb stibp '
    'ibrs_enhanced tpr_shadow vnmi flexpriority ept vpid ept_ad fsgsbase '
    'tsc_adjust bmi1 avx2 smep bmi2 erms invpcid mpx rdseed adx smap '
    'clflushopt intel_pt xsaveopt xsavec xgetbv1 xsaves dtherm ida arat pln '
    'pts hwp hwp_notify hwp_act_window hwp_epp md_clear flush_l1d '
    'arch_capabilities')
INTEL_VMX_FLAGS = (
    'vnmi preemption_timer invvpid ept_x_only ept_ad ept_1gb flexpriority '
    'tsc_offset vtpr mtf vapic ept vpid unrestricted_guest ple pml '
    'ept_mode_based_exec')
N100_FLAGS = (
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 '
    'clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp '
    'lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology '
    'nonstop_tsc cpuid aperfmperf tsc_known_freq pni pclmulqdq dtes64 monitor '
    'ds_cpl vmx est tm2 ssse3 sdbg fma cx16 xtpr pdcm sse4_1 sse4_2 x2apic '
    'movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm '
    '3dnowprefetch cpuid_fault epb cat_l2 cdp_l2 ssbd ibrs ibpb stibp '
    'ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase '
    'tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdt_a rdseed adx smap '
    'clflushopt clwb intel_pt sha_ni xsaveopt xsavec xgetbv1 xsaves '
    'split_lock_detect user_shstk avx_vnni dtherm ida arat pln pts hwp '
    'hwp_notify hwp_act_window hwp_epp hwp_pkg_req vnmi umip pku ospke '
    'waitpkg gfni vaes vpclmulqdq rdpid movdiri movdir64b fsrm md_clear '
    'serialize arch_lbr ibt flush_l1d arch_capabilities')
N100_VMX_FLAGS = (
    'vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb '
    'flexpriority apicv tsc_offset vtpr mtf vapic ept vpid unrestricted_guest '
    'vapic_reg vid ple shadow_vmcs ept_mode_based_exec tsc_scaling '
    'usr_wait_pause')
AMD_ZEN2_FLAGS = (
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 '
    'clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm '
    'constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl '
    'pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave '
    'avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a '
    'misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core '
    'perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba '
    'ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 cqm rdt_a rdseed adx smap '
    'clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc '
    'cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru '
    'wbnoinvd arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean '
    'flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload '
    'vgif v_spec_ctrl umip rdpid overflow_recov succor smca%s')
AMD_ZEN1_FLAGS = (
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 '
    'clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm '
    'constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf pni '
    'pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx '
    'f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a '
    'misalignsse 3dnowprefetch osvw skinit wdt tce topoext perfctr_core '
    'perfctr_nb bpext perfctr_llc mwaitx cpb hw_pstate sme ssbd sev ibpb vmmcall '
    'fsgsbase bmi1 avx2 smep bmi2 rdseed adx smap clflushopt sha_ni xsaveopt '
    'xsavec xgetbv1 xsaves clzero irperf xsaveerptr arat npt lbrv svm_lock '
    'nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter '
    'pfthreshold avic v_vmsave_vmload vgif overflow_recov succor smca')

INTEL_BUGS = {
    None: 'spectre_v1 spectre_v2 spec_store_bypass swapgs taa itlb_multihit '
          'srbds mmio_stale_data retbleed eibrs_pbrsb gds',
    'N100': 'spectre_v1 spectre_v2 spec_store_bypass swapgs eibrs_pbrsb bhi',
}

CPUS = {
    'i7-9700K': ('GenuineIntel', 6, 158, 13, 'Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz',
                 '3600.000', '12288 KB', INTEL_FLAGS_BASE % 'smx', INTEL_VMX_FLAGS, '0xf8', 22),
    'i7-9750H': ('GenuineIntel', 6, 158, 10, 'Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz',
                 '2600.000', '12288 KB', INTEL_FLAGS_BASE % 'smx', INTEL_VMX_FLAGS, '0xf4', 22),
    'i5-10400': ('GenuineIntel', 6, 165, 3, 'Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz',
                 '2900.000', '12288 KB', INTEL_FLAGS_BASE % 'smx', INTEL_VMX_FLAGS, '0xf8', 22),
    'N100': ('GenuineIntel', 6, 190, 0, 'Intel(R) N100',
             '806.000', '6144 KB', N100_FLAGS, N100_VMX_FLAGS, '0x12', 32),
    'R5-3600': ('AuthenticAMD', 23, 113, 0, 'AMD Ryzen 5 3600 6-Core Processor',
                '3600.000', '512 KB', AMD_ZEN2_FLAGS % '', None, '0x8701021', 16),
    'R7-2700X': ('AuthenticAMD', 23, 8, 2, 'AMD Ryzen 7 2700X Eight-Core Processor',
                 '3700.000', '512 KB', AMD_ZEN1_FLAGS, None, '0x800820d', 13),
    'EPYC-7742': ('AuthenticAMD', 23, 49, 0, 'AMD EPYC 7742 64-Core Processor',
                  '2250.000', '512 KB', AMD_ZEN2_FLAGS % ' sev sev_es', None,
                  '0x830107a', 16),
}


def cpuinfo(h):
    (vendor, fam, model, step, name, mhz, cache, flags, vmxf, ucode,
     cpuid_level) = CPUS[h.cpu]
    out = []
    bogo = '%.2f' % (float(mhz) * 2)
    kver = tuple(int(x) for x in h.osrelease.split('-')[0].split('.')[:2])
    for i in range(h.ncpu):
        b = ['processor\t: %d' % i,
             'vendor_id\t: %s' % vendor,
             'cpu family\t: %d' % fam,
             'model\t\t: %d' % model,
             'model name\t: %s' % name,
             'stepping\t: %d' % step,
             'microcode\t: %s' % ucode,
             'cpu MHz\t\t: %s' % mhz,
             'cache size\t: %s' % cache,
             'physical id\t: 0',
             'siblings\t: %d' % h.ncpu,
             'core id\t\t: %d' % i,
             'cpu cores\t: %d' % h.ncpu,
             'apicid\t\t: %d' % (i * 2 if vendor == 'GenuineIntel' else i),
             'initial apicid\t: %d' % (i * 2 if vendor == 'GenuineIntel' else i),
             'fpu\t\t: yes',
             'fpu_exception\t: yes',
             'cpuid level\t: %d' % cpuid_level,
             'wp\t\t: yes',
             'flags\t\t: %s' % flags]
        if vmxf and kver >= (5, 9):
            b.append('vmx flags\t: %s' % vmxf)
        if vendor == 'GenuineIntel':
            b += ['bugs\t\t: %s' % INTEL_BUGS.get(h.cpu, INTEL_BUGS[None]),
                  'bogomips\t: %s' % bogo,
                  'clflush size\t: 64',
                  'cache_alignment\t: 64',
                  'address sizes\t: 39 bits physical, 48 bits virtual',
                  'power management:']
        else:
            b += ['bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 '
                  'spec_store_bypass retbleed smt_rsb',
                  'bogomips\t: %s' % bogo,
                  'TLB size\t: 3072 4K pages',
                  'clflush size\t: 64',
                  'cache_alignment\t: 64',
                  'address sizes\t: 43 bits physical, 48 bits virtual',
                  'power management: ts ttp tm hwpstate cpb eff_freq_ro '
                  '[13] [14]']
        out.append('\n'.join(b) + '\n')
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------


def relpath(frm_dir, to):
    """Relative link target from directory frm_dir to path to (both relative
    to the host root), the way sysfs computes it (up to the common
    ancestor, then down)."""
    a = frm_dir.split('/')
    b = to.split('/')
    n = 0
    m = min(len(a), len(b))
    while n < m and a[n] == b[n]:
        n += 1
    return '../' * (len(a) - n) + '/'.join(b[n:])


class Writer:
    def __init__(self, root, lean=False):
        self.root = root
        self.dirs = set([''])
        self.lean = lean
        self.tpl = {}                   # text -> template file (lean hosts)
        self.tpl_own = []
        self.tpl_dir = None

    def mkdir(self, rel):
        if rel in self.dirs:
            return
        parent = rel.rpartition('/')[0]
        if parent not in self.dirs:
            self.mkdir(parent)
        os.mkdir(self.root + '/' + rel)
        self.dirs.add(rel)

    def file(self, rel, data=b''):
        if isinstance(data, str):
            data = data.encode()
        parent = rel.rpartition('/')[0]
        if parent not in self.dirs:
            self.mkdir(parent)
        if not data:
            os.mknod(self.root + '/' + rel, 0o100644)   # empty regular file
            return
        fd = os.open(self.root + '/' + rel,
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)

    def put(self, path, data):
        """Write bytes to path (relative to the root; parent exists)."""
        path = self.root + '/' + path
        if not data:
            os.mknod(path, 0o100644)
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)

    def put_many(self, d, items):
        """Write text files name -> str into the existing directory d."""
        base = self.root + '/' + d + '/'
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        op, wr, cl = os.open, os.write, os.close
        for name, text in items:
            fd = op(base + name, flags, 0o644)
            wr(fd, text.encode())
            cl(fd)

    def put_ro(self, d, items):
        """Like put_many, for read-only attributes.  On lean hosts equal
        contents share one inode (a hard link is one system call instead of
        three); nothing should ever write to these files."""
        if not self.lean:
            return self.put_many(d, items)
        base = self.root + '/' + d + '/'
        tpl = self.tpl
        for name, text in items:
            src = tpl.get(text)
            if src is None:
                src = self._template(text)
            os.link(src, base + name)

    def _template(self, text):
        if self.tpl_dir is None or not self.tpl_dir.endswith('-%d' % os.getpid()):
            self.tpl_dir = '%s/.mkhost-intern-%d' % (self.root, os.getpid())
            os.mkdir(self.tpl_dir)
        src = '%s/%d' % (self.tpl_dir, len(self.tpl_own))
        fd = os.open(src, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, text.encode())
        os.close(fd)
        self.tpl[text] = src
        self.tpl_own.append(src)
        return src

    def cleanup(self):
        """Remove this process's template files (their links stay)."""
        for src in self.tpl_own:
            os.unlink(src)
        if self.tpl_own:
            os.rmdir(self.tpl_dir)
        self.tpl_own = []

    def ofile(self, rel, data=b''):
        """An optional attribute: left out of lean (generated server) hosts."""
        if not self.lean:
            self.file(rel, data)

    def link(self, rel, target):
        """Symlink rel -> target, target given relative to the root."""
        d = rel.rpartition('/')[0]
        if d not in self.dirs:
            self.mkdir(d)
        os.symlink(relpath(d, target), self.root + '/' + rel)

    def rawlink(self, rel, target):
        d = rel.rpartition('/')[0]
        if d not in self.dirs:
            self.mkdir(d)
        os.symlink(target, self.root + '/' + rel)


def port_type(f):
    """PCIe device/port type for the PCI Express capability."""
    if f.is_bridge:
        if isinstance(f.parent, RootBus):
            return 4                    # root port
        if f.parent.is_bridge and port_type(f.parent) == 5:
            return 6                    # downstream port
        return 5                        # upstream port
    if isinstance(f.parent, RootBus):
        return 9                        # root complex integrated endpoint
    return 0                            # endpoint


def subordinate(f):
    m = f.sec if f.sec is not None else 0
    for c in f.children:
        if c.is_bridge:
            m = max(m, subordinate(c))
    return m


def bar_span(f):
    """(lo, hi) of the BARs of f and everything below it, or None."""
    lo = hi = None
    if f.bar:
        lo, hi = f.bar[0], f.bar[0] + f.bar[1] - 1
    for c in f.children:
        s = bar_span(c)
        if s:
            lo = s[0] if lo is None else min(lo, s[0])
            hi = s[1] if hi is None else max(hi, s[1])
    return (lo, hi) if lo is not None else None


def config_space(f, span):
    c = bytearray(256)
    struct.pack_into('<HH', c, 0, f.ven, f.dev)
    bound = f.drv is not None and f.drv != 'vfio-pci'
    cmd = 0x0407 if f.is_bridge else (0x0406 if bound else 0x0000)
    pcie = (f.cls >> 16) != 0x06 or f.is_bridge
    status = 0x0010 if pcie else 0x0000
    struct.pack_into('<HH', c, 4, cmd, status)
    struct.pack_into('<I', c, 8, (f.cls << 8) | f.rev)
    htype = 1 if f.is_bridge else 0
    if f.multifunction:
        htype |= 0x80
    c[0x0c] = 0x10
    c[0x0e] = htype
    if f.is_bridge:
        c[0x18] = f.bus
        c[0x19] = f.sec if f.sec is not None else 0
        c[0x1a] = subordinate(f)
        c[0x1c], c[0x1d] = 0xf1, 0x01           # no I/O window
        struct.pack_into('<HH', c, 0x20, 0xfff0, 0x0000)   # no mem window
        if span:
            lo, hi = span
            struct.pack_into('<HHII', c, 0x24,
                             ((lo >> 16) & 0xfff0) | 1,
                             ((hi >> 16) & 0xfff0) | 1, lo >> 32, hi >> 32)
        else:
            struct.pack_into('<HHII', c, 0x24, 0xfff1, 0x0001, 0, 0)
        c[0x3e] = 0x10
    else:
        if f.bar:
            struct.pack_into('<II', c, 0x10, (f.bar[0] & 0xfffffff0) | 0x0c,
                             f.bar[0] >> 32)
        struct.pack_into('<HH', c, 0x2c, f.sub[0], f.sub[1])
    if f.irq:
        c[0x3c] = f.irq & 0xff
        c[0x3d] = 1
    if pcie:
        c[0x34] = 0x40
        pt = port_type(f)
        flags = 0x0002 | (pt << 4)
        if pt in (4, 6):
            flags |= 0x0100                     # slot implemented
        devcap = 0x00008fc0 | 0x1
        if f.reset and 'flr' in f.reset.split():
            devcap |= 1 << 28
        struct.pack_into('<BBHIHH', c, 0x40, 0x10, 0x00, flags, devcap,
                         0x2810, 0x0000)
        struct.pack_into('<IHH', c, 0x4c, 0x00400c43 | ((f.slot & 0x1f) << 24),
                         0x0040, 0x1043)
    return bytes(c)


def resource_lines(f, span):
    rows = []
    if f.is_bridge:
        n = 17
        for i in range(n):
            if i == 15 and span:
                rows.append((span[0], span[1] | 0xfffff, 0x0000000000122200))
            else:
                rows.append((0, 0, 0))
    else:
        n = 13
        for i in range(n):
            if i == 0 and f.bar:
                rows.append((f.bar[0], f.bar[0] + f.bar[1] - 1,
                             0x000000000014220c))
            else:
                rows.append((0, 0, 0))
    return ''.join('0x%016x 0x%016x 0x%016x\n' % r for r in rows)


def modalias(f):
    return 'pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X' % (
        f.ven, f.dev, f.sub[0], f.sub[1], f.cls >> 16, (f.cls >> 8) & 0xff,
        f.cls & 0xff)


def write_function(w, h, f, span):
    """Everything that belongs to one PCI function (its directory, its
    attributes and the links to and from it)."""
    p = f.path
    bound = f.drv is not None and f.drv != 'vfio-pci'
    w.put_ro(p, [
        ('vendor', '0x%04x\n' % f.ven),
        ('device', '0x%04x\n' % f.dev),
        ('subsystem_vendor', '0x%04x\n' % f.sub[0]),
        ('subsystem_device', '0x%04x\n' % f.sub[1]),
        ('class', '0x%06x\n' % f.cls),
        ('revision', '0x%02x\n' % f.rev),
        ('irq', '%d\n' % f.irq),
        ('numa_node', '-1\n'),
        ('local_cpulist', '0-%d\n' % (h.ncpu - 1)),
    ])
    w.put_many(p, [
        ('driver_override', (f.override or '(null)') + '\n'),
        ('enable', '1\n' if (bound or f.is_bridge) else '0\n'),
        ('resource', resource_lines(f, span)),
    ])
    w.put(p + '/config', config_space(f, span))
    w.put(p + '/remove', b'')
    w.put(p + '/rescan', b'')
    if not h.lean:
        w.file(p + '/local_cpus', '%x\n' % ((1 << h.ncpu) - 1))
        w.file(p + '/modalias', modalias(f) + '\n')
        w.file(p + '/power_state',
               'D0\n' if bound or f.is_bridge else 'D3hot\n')
        w.link(p + '/subsystem', 'sys/bus/pci')
    # uevent is on every real function (vfiokit reads ids and driver from it),
    # so even the lean server keeps it
    ue = 'DRIVER=%s\n' % f.drv if f.drv else ''
    ue += ('PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n'
           'PCI_SLOT_NAME=%s\nMODALIAS=%s\n' % (
               f.cls, f.ven, f.dev, f.sub[0], f.sub[1], f.addr,
               modalias(f)))
    w.file(p + '/uevent', ue)
    if h.has_reset_method and f.reset:
        w.file(p + '/reset_method', f.reset + '\n')
    if (f.cls >> 8) == 0x0300:          # VGA compatible controller
        w.put_ro(p, [('boot_vga', '1\n' if f.boot_vga else '0\n')])
    if f.is_bridge:
        w.ofile(p + '/secondary_bus_number', '%d\n' % (f.sec or 0))
        w.ofile(p + '/subordinate_bus_number', '%d\n' % subordinate(f))
    if f.sriov:
        s = f.sriov
        w.put_ro(p, [('sriov_totalvfs', '%d\n' % s['total']),
                     ('sriov_offset', '%d\n' % s['offset']),
                     ('sriov_stride', '%d\n' % s['stride']),
                     ('sriov_vf_device', '%x\n' % s['vfdev'])])
        w.put_many(p, [('sriov_numvfs', '%d\n' % len(f.vfs)),
                       ('sriov_drivers_autoprobe', '1\n')])
        w.ofile(p + '/sriov_vf_total_msix', '0\n')
        for i, vf in enumerate(f.vfs):
            w.link(p + '/virtfn%d' % i, vf.path)
    if f.physfn is not None:
        w.link(p + '/physfn', f.physfn.path)
    if f.drv:
        w.link(p + '/driver', 'sys/bus/pci/drivers/' + f.drv)
    if h.iommu and f.group is not None:
        w.link(p + '/iommu_group', 'sys/kernel/iommu_groups/%d' % f.group)
        if f.iommu_unit and not h.lean:
            w.link(p + '/iommu', f.iommu_unit)
    w.link('sys/bus/pci/devices/' + f.addr, p)
    if f.drv:
        w.link('sys/bus/pci/drivers/%s/%s' % (f.drv, f.addr), p)
    if h.iommu and f.group is not None:
        w.link('sys/kernel/iommu_groups/%d/devices/%s' % (f.group, f.addr), p)


def run_parallel(items, work, min_items=3000, cleanup=None):
    """Run work(item) for every item; large hosts are split across forked
    worker processes (the output does not depend on the split)."""
    n = min(os.cpu_count() or 1, 8)
    if len(items) < min_items or n < 2 or not hasattr(os, 'fork'):
        for it in items:
            work(it)
        return
    chunk = (len(items) + n - 1) // n
    pids = []
    for i in range(n):
        part = items[i * chunk:(i + 1) * chunk]
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for it in part:
                    work(it)
                if cleanup:
                    cleanup()
            except BaseException:
                import traceback
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        pids.append(pid)
    failed = False
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            failed = True
    if failed:
        raise SystemExit('mkhost: a worker process failed')


def write_host(h, outdir):
    if os.path.exists(outdir):
        if not os.path.isdir(outdir) or os.listdir(outdir):
            raise SystemExit('mkhost: %s exists and is not an empty directory'
                             % outdir)
    else:
        os.makedirs(outdir)
    w = Writer(outdir.rstrip('/') or '/', h.lean)
    fns = h.functions()

    # ---- layout pass: paths, multifunction bits, IRQs, BARs -------------
    slots = {}
    for f in fns:
        slots.setdefault((f.dom, f.bus, f.slot), []).append(f)
    for fl in slots.values():
        if len(fl) > 1:
            for f in fl:
                f.multifunction = True

    def place(node, base):
        for f in node.children:
            f.path = base + '/' + f.addr
            place(f, f.path)
    for r in h.roots:
        place(r, r.path)
    # VFs are siblings of their PF
    irq = 16
    addr = 0x4000000000
    for f in fns:
        if f.is_bridge or f.drv is not None:
            # big hosts: legacy INTx lines are shared (24..55), like the
            # IO-APIC pins of a real server
            f.irq = irq if not h.lean else 24 + irq % 32
            irq += 1
        if not f.is_bridge and (f.cls >> 16) not in (0x06,):
            size = 0x1000000 if (f.cls >> 16) == 0x03 else 0x100000
            addr = (addr + size - 1) & ~(size - 1)
            f.bar = (addr, size)
            addr += size

    drivers = {}
    for f in fns:
        if f.drv:
            drivers.setdefault(f.drv, []).append(f)
    drivers.setdefault('vfio-pci', [])

    # ---- function directories ------------------------------------------
    spans = {}
    for f in fns:
        if f.is_bridge:
            spans[f.addr] = bar_span(f)
    for r in h.roots:
        w.mkdir(r.path)
        w.file(r.path + '/uevent', '')
    # Directories shared by several functions are made first, so that the
    # per-function work below can run in parallel worker processes.
    w.mkdir('sys/bus/pci/devices')
    for name in drivers:
        w.mkdir('sys/bus/pci/drivers/' + name)
    w.mkdir('sys/kernel/iommu_groups')
    if h.iommu:
        for f in fns:
            if f.group is not None:
                w.mkdir('sys/kernel/iommu_groups/%d/devices' % f.group)
    for f in fns:
        w.mkdir(f.path)
    run_parallel(fns, lambda f: write_function(w, h, f, spans.get(f.addr)),
                 cleanup=w.cleanup)

    # ---- bus/pci --------------------------------------------------------
    w.file('sys/bus/pci/drivers_probe')
    w.file('sys/bus/pci/rescan')
    w.file('sys/bus/pci/drivers_autoprobe', '1\n')
    w.file('sys/bus/pci/resource_alignment', '\n')
    w.file('sys/bus/pci/uevent')
    for name in sorted(drivers):
        d = 'sys/bus/pci/drivers/' + name
        w.mkdir(d)
        for fn in ('bind', 'unbind', 'new_id', 'remove_id', 'uevent'):
            w.file(d + '/' + fn)
        m = DRIVER_MODULE.get(name)
        if m and m in h.modules:
            w.link(d + '/module', 'sys/module/' + m)
            w.link('sys/module/%s/drivers/pci:%s' % (m, name), d)

    # ---- IOMMU ----------------------------------------------------------
    w.mkdir('sys/class/iommu')
    vfio_groups = set()
    if h.iommu:
        groups = {}
        for f in fns:
            if f.group is not None:
                groups.setdefault(f.group, []).append(f)
                if f.drv == 'vfio-pci':
                    vfio_groups.add(f.group)
        for g in sorted(groups):
            gd = 'sys/kernel/iommu_groups/%d' % g
            if h.group_type:
                w.file(gd + '/type', h.group_type + '\n')
            if not h.lean:
                w.file(gd + '/reserved_regions',
                       '0x00000000fee00000 0x00000000feefffff msi\n')
        units = {}
        for f in fns:
            if f.iommu_unit:
                units.setdefault(f.iommu_unit, []).append(f)
        for u in sorted(units):
            name = u.rpartition('/')[2]
            w.link('sys/class/iommu/' + name, u)
            for f in units[u]:
                if not h.lean:
                    w.link(u + '/devices/' + f.addr, f.path)
            if h.iommu == 'intel':
                w.file(u + '/intel-iommu/version', '1:0\n')
                w.file(u + '/intel-iommu/cap', '19e2ff0505e\n' if name == 'dmar0'
                       else 'd2008c40660462\n')
                w.file(u + '/intel-iommu/ecap', 'f050da\n' if name == 'dmar0'
                       else 'f25ff050da\n')
                w.file(u + '/intel-iommu/address', 'fed90000\n' if name == 'dmar0'
                       else 'fed91000\n')
            else:
                w.file(u + '/amd-iommu/cap', '0x00190003\n')
                w.file(u + '/amd-iommu/features', '0x58f77ef22294a5a\n')
            w.file(u + '/uevent')

    # ---- DRM, framebuffers ---------------------------------------------
    drm_any = False
    fbs = []
    for f in fns:
        if f.drm:
            drm_any = True
            card, render, conns = f.drm
            cd = f.path + '/drm/card%d' % card
            w.file(cd + '/dev', '226:%d\n' % card)
            w.file(cd + '/uevent', 'MAJOR=226\nMINOR=%d\nDEVNAME=dri/card%d\n'
                   'DEVTYPE=drm_minor\n' % (card, card))
            w.link(cd + '/device', f.path)
            w.link('sys/class/drm/card%d' % card, cd)
            rd = f.path + '/drm/renderD%d' % render
            w.file(rd + '/dev', '226:%d\n' % render)
            w.file(rd + '/uevent', 'MAJOR=226\nMINOR=%d\nDEVNAME=dri/renderD%d\n'
                   'DEVTYPE=drm_minor\n' % (render, render))
            w.link(rd + '/device', f.path)
            w.link('sys/class/drm/renderD%d' % render, rd)
            for cname, connected in conns:
                con = cd + '/card%d-%s' % (card, cname)
                w.file(con + '/status', 'connected\n' if connected
                       else 'disconnected\n')
                w.file(con + '/enabled', 'enabled\n' if connected
                       else 'disabled\n')
                w.file(con + '/dpms', 'On\n' if connected else 'Off\n')
                w.file(con + '/modes', '1920x1080\n1280x1024\n1024x768\n'
                       if connected else '')
                w.link('sys/class/drm/card%d-%s' % (card, cname), con)
            w.file('dev/dri/card%d' % card)
            w.file('dev/dri/renderD%d' % render)
            w.link('dev/dri/by-path/pci-%s-card' % f.addr,
                   'dev/dri/card%d' % card)
            w.link('dev/dri/by-path/pci-%s-render' % f.addr,
                   'dev/dri/renderD%d' % render)
        if f.fb:
            n, name = f.fb
            fd = f.path + '/graphics/fb%d' % n
            w.file(fd + '/name', name + '\n')
            w.file(fd + '/dev', '29:%d\n' % n)
            w.link(fd + '/device', f.path)
            w.link('sys/class/graphics/fb%d' % n, fd)
            fbs.append((n, name))
    if h.fb_platform:
        n, name, plat = h.fb_platform
        fd = 'sys/devices/platform/%s/graphics/fb%d' % (plat, n)
        w.file(fd + '/name', name + '\n')
        w.file(fd + '/dev', '29:%d\n' % n)
        w.link('sys/class/graphics/fb%d' % n, fd)
        fbs.append((n, name))
    if drm_any:
        w.file('sys/class/drm/version', 'drm 1.1.0 20060810\n')
    w.file('proc/fb', ''.join('%d %s\n' % x for x in sorted(fbs)))

    # ---- network ----------------------------------------------------------
    ifindex = 1
    w.file('sys/devices/virtual/net/lo/address', '00:00:00:00:00:00\n')
    w.file('sys/devices/virtual/net/lo/ifindex', '1\n')
    w.file('sys/devices/virtual/net/lo/type', '772\n')
    w.file('sys/devices/virtual/net/lo/operstate', 'unknown\n')
    w.file('sys/devices/virtual/net/lo/mtu', '65536\n')
    w.file('sys/devices/virtual/net/lo/uevent', 'INTERFACE=lo\nIFINDEX=1\n')
    w.link('sys/class/net/lo', 'sys/devices/virtual/net/lo')
    route_ifs = set(r[0] for r in h.routes)
    masters = {}
    for vname, kind, vmac, ports in h.vnets:
        for port in ports:
            masters[port] = vname
    netdirs = {}
    phy = 0
    for f in fns:
        for n in f.nets:
            ifindex += 1
            nd = f.path + '/net/' + n.name
            netdirs[n.name] = nd
            w.file(nd + '/address', n.mac + '\n')
            w.ofile(nd + '/addr_len', '6\n')
            w.ofile(nd + '/type', '1\n')
            w.ofile(nd + '/ifindex', '%d\n' % ifindex)
            up = n.name in route_ifs or n.name in masters
            w.ofile(nd + '/operstate', 'up\n' if up else 'down\n')
            w.ofile(nd + '/carrier', '1\n' if up else '0\n')
            w.ofile(nd + '/mtu', '1500\n')
            w.ofile(nd + '/flags', '0x1003\n' if up else '0x1002\n')
            ue = 'INTERFACE=%s\nIFINDEX=%d\n' % (n.name, ifindex)
            if n.wireless:
                ue += 'DEVTYPE=wlan\n'
                pd = f.path + '/ieee80211/phy%d' % phy
                w.file(pd + '/index', '%d\n' % phy)
                w.file(pd + '/name', 'phy%d\n' % phy)
                w.file(pd + '/macaddress', n.mac + '\n')
                w.link(pd + '/device', f.path)
                w.link('sys/class/ieee80211/phy%d' % phy, pd)
                w.link(nd + '/phy80211', pd)
                phy += 1
            w.ofile(nd + '/uevent', ue)
            if not h.lean:
                w.link(nd + '/device', f.path)
            w.link('sys/class/net/' + n.name, nd)
    for vname, kind, vmac, ports in h.vnets:
        ifindex += 1
        nd = 'sys/devices/virtual/net/' + vname
        netdirs[vname] = nd
        w.file(nd + '/address', vmac + '\n')
        w.ofile(nd + '/addr_len', '6\n')
        w.ofile(nd + '/type', '1\n')
        w.file(nd + '/ifindex', '%d\n' % ifindex)
        w.file(nd + '/operstate', 'up\n' if kind != 'tap' else 'unknown\n')
        w.ofile(nd + '/mtu', '1500\n')
        w.ofile(nd + '/flags', '0x1003\n')
        ue = 'INTERFACE=%s\nIFINDEX=%d\n' % (vname, ifindex)
        if kind == 'bridge':
            ue = 'DEVTYPE=bridge\n' + ue
            w.file(nd + '/bridge/stp_state', '0\n')
            w.file(nd + '/bridge/forward_delay', '1500\n')
            w.file(nd + '/bridge/bridge_id', '8000.%s\n' % vmac.replace(':', ''))
        if kind == 'tap':
            w.file(nd + '/tun_flags', '0x1002\n')
        w.ofile(nd + '/uevent', ue)
        w.link('sys/class/net/' + vname, nd)
    for port, master in sorted(masters.items()):
        w.link(netdirs[port] + '/master', netdirs[master])
        w.link(netdirs[master] + '/brif/' + port, netdirs[port] + '/brport')
        w.link(netdirs[master] + '/lower_' + port, netdirs[port])
        w.link(netdirs[port] + '/upper_' + master, netdirs[master])
        w.file(netdirs[port] + '/brport/state', '3\n')
        w.link(netdirs[port] + '/brport/bridge', netdirs[master])

    # ---- block ------------------------------------------------------------
    blockdirs = {}

    def disk(base, d, devtype_parent=None):
        dd = base + '/' + d.name
        blockdirs[d.name] = dd
        w.file(dd + '/dev', '%d:%d\n' % (d.major, d.minor))
        w.file(dd + '/size', '%d\n' % d.sectors)
        w.ofile(dd + '/ro', '0\n')
        w.ofile(dd + '/removable', '0\n')
        w.ofile(dd + '/uevent', 'MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=disk\n'
               'DISKSEQ=%d\n' % (d.major, d.minor, d.name, d.minor + 1))
        w.link('sys/class/block/' + d.name, dd)
        w.link('sys/block/' + d.name, dd)
        w.file('dev/' + d.name)
        for i, (pn, minor, start, secs) in enumerate(d.parts):
            pd = dd + '/' + pn
            blockdirs[pn] = pd
            w.file(pd + '/dev', '%d:%d\n' % (d.major, minor))
            w.file(pd + '/partition', '%d\n' % (i + 1))
            w.file(pd + '/start', '%d\n' % start)
            w.file(pd + '/size', '%d\n' % secs)
            w.ofile(pd + '/ro', '0\n')
            w.ofile(pd + '/uevent', 'MAJOR=%d\nMINOR=%d\nDEVNAME=%s\n'
                   'DEVTYPE=partition\nPARTN=%d\n' % (d.major, minor, pn, i + 1))
            w.link('sys/class/block/' + pn, pd)
            w.file('dev/' + pn)

    for f in fns:
        if f.nvme:
            ctrl, model, serial, disks = f.nvme
            cd = f.path + '/nvme/' + ctrl
            w.file(cd + '/model', '%-40s\n' % model)
            w.ofile(cd + '/serial', '%-20s\n' % serial)
            w.ofile(cd + '/firmware_rev', '%-8s\n' % '1B2QEXM7')
            w.ofile(cd + '/transport', 'pcie\n')
            w.file(cd + '/address', f.addr + '\n')
            w.ofile(cd + '/state', 'live\n')
            w.ofile(cd + '/dev', '%d:%d\n' % (241, int(ctrl[4:])))
            if not h.lean:
                w.link(cd + '/device', f.path)
                w.link('sys/class/nvme/' + ctrl, cd)
                w.file('dev/' + ctrl)
            for d in disks:
                disk(cd, d)
        if f.ata:
            port, hostn, disks = f.ata
            for i, d in enumerate(disks):
                tgt = '%s/%s/target%d:0:0/%d:0:0:0' % (port, hostn, int(hostn[4:]),
                                                      int(hostn[4:]))
                sd = f.path + '/' + tgt
                w.file(sd + '/vendor', 'ATA     \n')
                w.file(sd + '/model', '%-16s\n' % d.model)
                w.file(sd + '/type', '0\n')
                disk(sd + '/block', d)
    for dmname, minor, mapper, slaves, dmuuid in h.dm:
        dd = 'sys/devices/virtual/block/' + dmname
        w.file(dd + '/dev', '253:%d\n' % minor)
        w.file(dd + '/size', '%d\n' % 900000000)
        w.ofile(dd + '/ro', '0\n')
        w.ofile(dd + '/removable', '0\n')
        w.ofile(dd + '/uevent', 'MAJOR=253\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=disk\n'
               % (minor, dmname))
        w.file(dd + '/dm/name', mapper + '\n')
        w.file(dd + '/dm/uuid', dmuuid + '\n')
        w.file(dd + '/dm/suspended', '0\n')
        for s in slaves:
            w.link(dd + '/slaves/' + s, blockdirs[s])
            w.link(blockdirs[s] + '/holders/' + dmname, dd)
        w.link('sys/class/block/' + dmname, dd)
        w.link('sys/block/' + dmname, dd)
        w.file('dev/' + dmname)
        w.link('dev/mapper/' + mapper, 'dev/' + dmname)
    for path, target in sorted(h.links.items()):
        w.link(path, target)

    # ---- firmware ---------------------------------------------------------
    w.file('sys/firmware/acpi/pm_profile', '%d\n' % h.pm_profile)
    if h.uefi:
        w.file('sys/firmware/efi/fw_platform_size', '64\n')
        w.file('sys/firmware/efi/runtime', '')
        # SecureBoot variable: 4 bytes attributes, 1 byte value (0 = off)
        w.file('sys/firmware/efi/efivars/'
               'SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c',
               b'\x06\x00\x00\x00\x00')

    # ---- modules ----------------------------------------------------------
    for name in sorted(h.modules):
        m = h.modules[name]
        md = 'sys/module/' + name
        w.mkdir(md)
        if m['state'] == 'loaded':
            w.file(md + '/initstate', 'live\n')
            refcnt = m['refcnt'] if m['refcnt'] is not None else len(m['holders'])
            w.file(md + '/refcnt', '%d\n' % refcnt)
            w.file(md + '/coresize', '%d\n' % m['size'])
            w.file(md + '/taint', m['taint'] + '\n')
            w.file(md + '/uevent')
            for hd in m['holders']:
                w.link(md + '/holders/' + hd, 'sys/module/' + hd)
        for p, v in sorted(m['params'].items()):
            w.file(md + '/parameters/' + p, v + '\n')
        if m['state'] == 'builtin' and not m['params']:
            w.file(md + '/uevent')
    lines = []
    for name in sorted(h.modules):
        m = h.modules[name]
        if m['state'] != 'loaded':
            continue
        refcnt = m['refcnt'] if m['refcnt'] is not None else len(m['holders'])
        deps = ''.join(x + ',' for x in m['holders']) or '-'
        lines.append('%s %d %d %s Live 0x0000000000000000%s\n' % (
            name, m['size'], refcnt, deps,
            (' (%s)' % m['taint']) if m['taint'] else ''))
    w.file('proc/modules', ''.join(lines))
    kd = 'lib/modules/' + h.osrelease
    w.file(kd + '/modules.dep', ''.join(l + '\n' for l in h.modules_dep))
    w.file(kd + '/modules.builtin', ''.join(l + '\n' for l in h.modules_builtin))

    # ---- dev ----------------------------------------------------------------
    if h.kvm:
        w.file('dev/kvm')
    vfio_mod = h.modules.get('vfio')
    if vfio_mod:
        w.file('dev/vfio/vfio')
        for g in sorted(vfio_groups):
            w.file('dev/vfio/%d' % g)
    w.file('dev/null')
    if h.root_uuid:
        root_part = [m for m in h.mounts if m[1] == '/'][0][0]
        target = root_part
        if target.startswith('/dev/mapper/'):
            target = '/dev/' + [d[0] for d in h.dm if d[2] == target[12:]][0]
        w.link('dev/disk/by-uuid/' + h.root_uuid, target[1:])

    # ---- proc ---------------------------------------------------------------
    w.file('proc/cmdline', h.cmdline + '\n')
    w.file('proc/cpuinfo', cpuinfo(h))
    w.file('proc/sys/kernel/osrelease', h.osrelease + '\n')
    w.file('proc/sys/kernel/hostname', h.name + '\n')
    w.file('proc/mounts', ''.join(' '.join(m) + '\n' for m in h.mounts))
    w.file('proc/net/route', route_table(h.routes))
    w.file('proc/meminfo', meminfo(h))
    hp = 'sys/kernel/mm/hugepages/hugepages-2048kB/'
    w.file(hp + 'nr_hugepages', '%d\n' % h.hugepages)
    w.file(hp + 'free_hugepages', '%d\n' % h.hugepages)
    hp = 'sys/kernel/mm/hugepages/hugepages-1048576kB/'
    w.file(hp + 'nr_hugepages', '0\n')
    w.file(hp + 'free_hugepages', '0\n')

    # ---- etc, usr -------------------------------------------------------
    w.file('usr/lib/os-release', OS_RELEASE[h.distro])
    w.rawlink('etc/os-release', '../usr/lib/os-release')
    w.file('etc/hostname', h.name + '\n')
    for path in sorted(h.etc):
        w.file(path, h.etc[path])
    for path in sorted(h.files):
        w.file(path, h.files[path])
    for path in sorted(h.execs):
        w.file(path)
        os.chmod(w.root + '/' + path, 0o755)
    w.file('usr/share/misc/pci.ids', pci_ids_for(h, fns))
    w.cleanup()


def route_table(routes):
    def hx(ip):
        a = [int(x) for x in ip.split('.')]
        return '%02X%02X%02X%02X' % (a[3], a[2], a[1], a[0])
    out = ['%-127s\n' % 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\t'
           'Metric\tMask\t\tMTU\tWindow\tIRTT']
    for iface, dest, gw, flags, metric, mask in routes:
        out.append('%-127s\n' % ('%s\t%s\t%s\t%04X\t%d\t%u\t%d\t%s\t%d\t%u\t%u' % (
            iface, hx(dest), hx(gw), flags, 0, 0, metric, hx(mask), 0, 0, 0)))
    return ''.join(out)


def meminfo(h):
    t = h.mem_kb
    hp = h.hugepages
    rows = [('MemTotal', t), ('MemFree', t * 55 // 100),
            ('MemAvailable', t * 78 // 100), ('Buffers', t // 90),
            ('Cached', t * 21 // 100), ('SwapCached', 0),
            ('SwapTotal', 0), ('SwapFree', 0)]
    s = ''.join('%-16s%8d kB\n' % (k + ':', v) for k, v in rows)
    s += 'HugePages_Total: %7d\n' % hp
    s += 'HugePages_Free:  %7d\n' % hp
    s += 'HugePages_Rsvd:  %7d\n' % 0
    s += 'HugePages_Surp:  %7d\n' % 0
    s += '%-16s%8d kB\n' % ('Hugepagesize:', 2048)
    s += '%-16s%8d kB\n' % ('Hugetlb:', hp * 2048)
    return s


# ---------------------------------------------------------------------------
# pci.ids filtering
# ---------------------------------------------------------------------------

_PCIDB = None


def pcidb():
    global _PCIDB
    if _PCIDB is not None:
        return _PCIDB
    vendors = {}
    classes = {}
    cur_v = cur_d = cur_c = cur_s = None
    in_class = False
    for line in PCI_IDS.split('\n'):
        if not line or line.startswith('#'):
            continue
        if line.startswith('C '):
            in_class = True
            cur_c = int(line[2:4], 16)
            classes[cur_c] = [line[6:], {}]
            continue
        if in_class:
            if line.startswith('\t\t'):
                classes[cur_c][1][cur_s][1][int(line[2:4], 16)] = line[6:]
            else:
                cur_s = int(line[1:3], 16)
                classes[cur_c][1][cur_s] = [line[5:], {}]
            continue
        if line.startswith('\t\t'):
            sv, sd = int(line[2:6], 16), int(line[7:11], 16)
            vendors[cur_v][1][cur_d][1][(sv, sd)] = line[13:]
        elif line.startswith('\t'):
            cur_d = int(line[1:5], 16)
            vendors[cur_v][1][cur_d] = [line[7:], {}]
        else:
            cur_v = int(line[0:4], 16)
            vendors[cur_v] = [line[6:], {}]
    _PCIDB = (vendors, classes)
    return _PCIDB


def pci_ids_for(h, fns):
    vendors, classes = pcidb()
    used_v = set()
    used_d = set()
    used_s = set()
    used_c = set()
    for f in fns:
        used_v.add(f.ven)
        used_v.add(f.sub[0])
        used_d.add((f.ven, f.dev))
        used_s.add((f.ven, f.dev, f.sub[0], f.sub[1]))
        used_c.add(f.cls)
    out = ['#', '#\tList of PCI ID\'s (subset for the vfiokit example host '
           '"%s")' % h.name, '#',
           '#\tVersion: %s' % PCI_IDS_VERSION,
           '#\tFrom the PCI ID Repository, https://pci-ids.ucw.cz/,',
           '#\tdistributed under the GNU General Public License',
           '#\t(version 2 or higher) or the 3-clause BSD License.', '#', '']
    for v in sorted(used_v):
        if v not in vendors:
            continue
        vname, devs = vendors[v]
        out.append('%04x  %s' % (v, vname))
        for d in sorted(devs):
            if (v, d) not in used_d:
                continue
            dname, subs = devs[d]
            out.append('\t%04x  %s' % (d, dname))
            for (sv, sd) in sorted(subs):
                if (v, d, sv, sd) in used_s:
                    out.append('\t\t%04x %04x  %s' % (sv, sd, subs[(sv, sd)]))
    out.append('')
    out.append('# List of known device classes, subclasses and programming '
               'interfaces')
    out.append('')
    for c in sorted(classes):
        cname, subs = classes[c]
        sel = [x for x in used_c if x >> 16 == c]
        if not sel:
            continue
        out.append('C %02x  %s' % (c, cname))
        for s in sorted(subs):
            sel2 = [x for x in sel if (x >> 8) & 0xff == s]
            if not sel2:
                continue
            sname, pis = subs[s]
            out.append('\t%02x  %s' % (s, sname))
            for pi in sorted(pis):
                if any(x & 0xff == pi for x in sel2):
                    out.append('\t\t%02x  %s' % (pi, pis[pi]))
    return '\n'.join(out) + '\n'


# ---------------------------------------------------------------------------
# Shared pieces of host definitions
# ---------------------------------------------------------------------------


def mounts_for(root_dev, fstype='ext4', efi=None, efi_at='/boot/efi',
               extra=(), root_opts='rw,relatime,errors=remount-ro'):
    m = [('sysfs', '/sys', 'sysfs', 'rw,nosuid,nodev,noexec,relatime', '0', '0'),
         ('proc', '/proc', 'proc', 'rw,nosuid,nodev,noexec,relatime', '0', '0'),
         ('udev', '/dev', 'devtmpfs',
          'rw,nosuid,relatime,size=8127768k,nr_inodes=2031942,mode=755,inode64',
          '0', '0'),
         ('devpts', '/dev/pts', 'devpts',
          'rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000', '0', '0'),
         ('tmpfs', '/run', 'tmpfs',
          'rw,nosuid,nodev,noexec,relatime,size=1631944k,mode=755,inode64',
          '0', '0'),
         (root_dev, '/', fstype, root_opts, '0', '0'),
         ('securityfs', '/sys/kernel/security', 'securityfs',
          'rw,nosuid,nodev,noexec,relatime', '0', '0'),
         ('tmpfs', '/dev/shm', 'tmpfs', 'rw,nosuid,nodev,inode64', '0', '0'),
         ('cgroup2', '/sys/fs/cgroup', 'cgroup2',
          'rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot',
          '0', '0')]
    if efi:
        m.append(('efivarfs', '/sys/firmware/efi/efivars', 'efivarfs',
                  'rw,nosuid,nodev,noexec,relatime', '0', '0'))
    m.append(('hugetlbfs', '/dev/hugepages', 'hugetlbfs',
              'rw,relatime,pagesize=2M', '0', '0'))
    if efi:
        m.append((efi, efi_at, 'vfat',
                  'rw,relatime,fmask=0077,dmask=0077,codepage=437,'
                  'iocharset=ascii,shortname=mixed,utf8,errors=remount-ro',
                  '0', '0'))
    m.extend(extra)
    return m


def nvme_disk(idx, size_gb=1000, parts=2):
    """nvmeXn1 with partitions p1..pN (p1 = 512 MiB ESP, rest split)."""
    total = size_gb * 1953125
    minor0 = idx * 4
    name = 'nvme%dn1' % idx
    pl = []
    start = 2048
    for i in range(parts):
        if i == 0 and parts > 1:
            secs = 1050624
        elif i == parts - 1:
            secs = total - start - 2048
        else:
            secs = 16777216
        pl.append(('%sp%d' % (name, i + 1), minor0 + i + 1, start, secs))
        start += secs
    return Disk(name, 259, minor0, total, pl)


def sata_disk(name, minor0, size_gb, parts, model):
    total = size_gb * 1953125
    pl = []
    start = 2048
    for i in range(parts):
        secs = 1048576 if (i == 0 and parts > 1) else total - start - 2048
        pl.append(('%s%d' % (name, i + 1), minor0 + i + 1, start, secs))
        start += secs
    return Disk(name, 8, minor0, total, pl, model=model)


def vfio_dep_61(ext):
    k = 'kernel/drivers/'
    return [
        k + 'vfio/pci/vfio-pci.ko%s: %svfio/pci/vfio-pci-core.ko%s %svfio/vfio_virqfd.ko%s %svirt/lib/irqbypass.ko%s %svfio/vfio.ko%s' % (
            ext, k, ext, k, ext, k, ext, k, ext),
        k + 'vfio/pci/vfio-pci-core.ko%s: %svfio/vfio_virqfd.ko%s %svirt/lib/irqbypass.ko%s %svfio/vfio.ko%s' % (
            ext, k, ext, k, ext, k, ext),
        k + 'vfio/vfio_iommu_type1.ko%s: %svfio/vfio.ko%s' % (ext, k, ext),
        k + 'vfio/vfio_virqfd.ko%s:' % ext,
        k + 'vfio/vfio.ko%s:' % ext,
        k + 'virt/lib/irqbypass.ko%s:' % ext,
    ]


def vfio_dep_612(ext):
    k = 'kernel/drivers/'
    return [
        k + 'vfio/pci/vfio-pci.ko%s: %svfio/pci/vfio-pci-core.ko%s %svirt/lib/irqbypass.ko%s %svfio/vfio.ko%s %siommu/iommufd/iommufd.ko%s' % (
            ext, k, ext, k, ext, k, ext, k, ext),
        k + 'vfio/pci/vfio-pci-core.ko%s: %svirt/lib/irqbypass.ko%s %svfio/vfio.ko%s %siommu/iommufd/iommufd.ko%s' % (
            ext, k, ext, k, ext, k, ext),
        k + 'vfio/vfio_iommu_type1.ko%s: %svfio/vfio.ko%s %siommu/iommufd/iommufd.ko%s' % (
            ext, k, ext, k, ext),
        k + 'vfio/vfio.ko%s: %siommu/iommufd/iommufd.ko%s' % (ext, k, ext),
        k + 'iommu/iommufd/iommufd.ko%s:' % ext,
        k + 'virt/lib/irqbypass.ko%s:' % ext,
    ]


def kvm_dep(ext, vendor):
    return [
        'kernel/arch/x86/kvm/kvm-%s.ko%s: kernel/arch/x86/kvm/kvm.ko%s kernel/drivers/virt/lib/irqbypass.ko%s' % (
            vendor, ext, ext, ext),
        'kernel/arch/x86/kvm/kvm.ko%s: kernel/drivers/virt/lib/irqbypass.ko%s' % (ext, ext),
    ]


def drm_dep(ext, drivers):
    k = 'kernel/drivers/gpu/drm/'
    helpers = ('%sdisplay/drm_display_helper.ko%s %sdrm_kms_helper.ko%s '
               '%sdrm.ko%s' % (k, ext, k, ext, k, ext))
    ttm = '%sdrm_ttm_helper.ko%s %sttm/ttm.ko%s ' % (k, ext, k, ext)
    video = ' kernel/drivers/acpi/video.ko%s' % ext
    out = []
    for d in drivers:
        if d == 'i915':
            out.append('%si915/i915.ko%s: %sdrm_buddy.ko%s %s%s' % (
                k, ext, k, ext, ttm, helpers) + video)
        elif d == 'nouveau':
            out.append('%snouveau/nouveau.ko%s: kernel/drivers/platform/x86/mxm-wmi.ko%s %s%s' % (
                k, ext, ext, ttm, helpers) + video)
        elif d == 'amdgpu':
            out.append('%samd/amdgpu/amdgpu.ko%s: %samd/amdxcp/amdxcp.ko%s %sdrm_buddy.ko%s '
                       '%sscheduler/gpu-sched.ko%s %s%s' % (
                           k, ext, k, ext, k, ext, k, ext, ttm, helpers) + video)
    out += ['%sdrm_kms_helper.ko%s: %sdrm.ko%s' % (k, ext, k, ext),
            '%sdrm.ko%s:' % (k, ext),
            '%sttm/ttm.ko%s: %sdrm.ko%s' % (k, ext, k, ext)]
    return out


def base_dep(ext):
    k = 'kernel/drivers/'
    return [
        k + 'nvme/host/nvme.ko%s: %snvme/host/nvme-core.ko%s' % (ext, k, ext),
        k + 'nvme/host/nvme-core.ko%s:' % ext,
        k + 'net/ethernet/intel/e1000e/e1000e.ko%s:' % ext,
        k + 'usb/host/xhci-pci.ko%s: %susb/host/xhci-hcd.ko%s' % (ext, k, ext),
        k + 'ata/ahci.ko%s: %sata/libahci.ko%s' % (ext, k, ext),
        'kernel/sound/pci/hda/snd-hda-intel.ko%s: kernel/sound/pci/hda/snd-hda-codec.ko%s '
        'kernel/sound/core/snd-pcm.ko%s kernel/sound/core/snd.ko%s' % (ext, ext, ext, ext),
        k + 'pci/pci-stub.ko%s:' % ext,
    ]


BUILTIN_COMMON = [
    'kernel/drivers/base/firmware_loader/firmware_class.ko',
    'kernel/drivers/input/serio/i8042.ko',
    'kernel/drivers/input/serio/serio.ko',
    'kernel/drivers/pci/pcie/portdrv.ko',
    'kernel/drivers/tty/serial/8250/8250.ko',
    'kernel/drivers/tty/serial/8250/8250_base.ko',
    'kernel/fs/nls/nls_base.ko',
]


def common_modules(h, vendor, loaded_gpu, vfio=None):
    """Modules loaded on a typical desktop; vfio: None, 'vfio-only',
    'loaded' or 'builtin'."""
    if h.kvm:
        if vendor == 'intel':
            mod(h, 'kvm_intel', params={'nested': 'Y', 'ept': 'Y'}, size=380928)
            mod(h, 'kvm', holders=['kvm_intel'], size=1142784,
                params={'ignore_msrs': 'N', 'halt_poll_ns': '200000'})
        else:
            mod(h, 'kvm_amd', params={'nested': '1', 'npt': '1', 'avic': '0'},
                size=192512)
            mod(h, 'kvm', holders=['kvm_amd'], size=1142784,
                params={'ignore_msrs': 'N', 'halt_poll_ns': '200000'})
        mod(h, 'irqbypass', holders=['kvm'], size=16384)
    mod(h, 'nvme', size=57344)
    mod(h, 'nvme_core', holders=['nvme'], size=204800)
    mod(h, 'xhci_pci', size=24576)
    mod(h, 'snd_hda_intel', size=57344)
    mod(h, 'drm', holders=[g for g in loaded_gpu if g != 'nvidia'] +
        ['drm_kms_helper'] + (['nvidia_drm'] if 'nvidia' in loaded_gpu else []),
        size=614400)
    mod(h, 'drm_kms_helper', holders=[g for g in loaded_gpu if g != 'nvidia'],
        size=204800)
    for g in loaded_gpu:
        if g == 'nvidia':
            mod(h, 'nvidia', taint='POE', size=56823808,
                holders=['nvidia_modeset', 'nvidia_uvm'], refcnt=98)
            mod(h, 'nvidia_modeset', taint='POE', holders=['nvidia_drm'],
                size=1245184)
            mod(h, 'nvidia_drm', taint='POE', size=77824,
                params={'modeset': 'Y'})
            mod(h, 'nvidia_uvm', taint='POE', size=1474560)
        else:
            mod(h, g, size={'i915': 3563520, 'nouveau': 2838528,
                            'amdgpu': 9887744}[g])
    if vfio == 'vfio-only':
        mod(h, 'vfio', size=45056)
    elif vfio == 'loaded':
        mod(h, 'vfio_pci', size=16384,
            params={'disable_vga': 'N', 'disable_idle_d3': 'N',
                    'enable_sriov': 'N', 'nointxmask': 'N'})
        mod(h, 'vfio_pci_core', holders=['vfio_pci'], size=86016,
            params={'disable_vga': 'N', 'disable_idle_d3': 'N',
                    'nointxmask': 'N'})
        mod(h, 'vfio_iommu_type1', size=49152,
            params={'allow_unsafe_interrupts': 'N', 'dma_entry_limit': '65535'})
        mod(h, 'vfio', holders=['vfio_iommu_type1', 'vfio_pci_core', 'vfio_pci'],
            size=45056, refcnt=5, params={'enable_unsafe_noiommu_mode': 'N'})
    elif vfio == 'builtin':
        mod(h, 'vfio_pci', state='builtin',
            params={'disable_vga': 'N', 'disable_idle_d3': 'N',
                    'nointxmask': 'N'})
        mod(h, 'vfio_iommu_type1', state='builtin',
            params={'allow_unsafe_interrupts': 'N', 'dma_entry_limit': '65535'})
        mod(h, 'vfio', state='builtin',
            params={'enable_unsafe_noiommu_mode': 'N'})


def intel_units(h, fns, igpu='0000:00:02.0'):
    """dmar0 serves the iGPU, dmar1 everything else (client platforms)."""
    for f in fns:
        if f.group is None:
            continue
        unit = 'dmar0' if (f.addr == igpu or (f.physfn is not None and
                                              f.physfn.addr == igpu)) else 'dmar1'
        f.iommu_unit = 'sys/devices/virtual/iommu/' + unit


def amd_units(h, fns):
    """One AMD IOMMU (ivhdN, on the 1022 IOMMU function 00.2) per root bus."""
    ivhd = {}
    n = 0
    for r in h.roots:
        for f in r.children:
            if f.cls == 0x080600 and f.ven == 0x1022:
                ivhd[(r.dom, r.bus)] = (r.path + '/' + f.addr + '/iommu/ivhd%d' % n)
                n += 1

    def walk(node, unit):
        for f in node.children:
            if f.group is not None:
                f.iommu_unit = unit
            walk(f, unit)
    for r in h.roots:
        if (r.dom, r.bus) in ivhd:
            walk(r, ivhd[(r.dom, r.bus)])


# ---------------------------------------------------------------------------
# Hosts
# ---------------------------------------------------------------------------

HOSTS = {}


def host(name):
    def deco(fn):
        HOSTS[name] = fn
        return fn
    return deco


@host('desktop-nvidia')
def h_desktop_nvidia():
    h = Host('desktop-nvidia')
    h.distro = 'debian12'
    h.cpu = 'i7-9700K'
    h.ncpu = 4
    h.iommu = 'intel'
    h.group_type = 'identity'
    h.osrelease = '6.1.0-27-amd64'
    h.root_uuid = uuid_for(h.name, 'root')
    h.grub = 'quiet intel_iommu=on iommu=pt'
    h.cmdline = ('BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=%s ro %s'
                 % (h.root_uuid, h.grub))
    sub = (0x1458, 0x5000)              # Gigabyte Z390 board
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x8086, 0x3e30, 0x060000, rev=0x0d, sub=sub,
           drv='skl_uncore', group=0)
    rp = b0.add('0000:00:01.0', 0x8086, 0x1901, 0x060400, rev=0x0d,
                drv='pcieport', group=1)
    igpu = b0.add('0000:00:02.0', 0x8086, 0x3e98, 0x030000, rev=0x02, sub=sub,
                  drv='i915', reset='af_flr', group=2, boot_vga=True)
    igpu.drm = (0, 128, [('HDMI-A-1', True), ('DP-1', False)])
    igpu.fb = (0, 'i915drmfb')
    b0.add('0000:00:14.0', 0x8086, 0xa36d, 0x0c0330, rev=0x10, sub=sub,
           drv='xhci_hcd', reset='pm', group=3)
    b0.add('0000:00:14.2', 0x8086, 0xa36f, 0x050000, rev=0x10, sub=sub,
           group=3)
    b0.add('0000:00:16.0', 0x8086, 0xa360, 0x078000, rev=0x10, sub=sub,
           drv='mei_me', group=4)
    sata = b0.add('0000:00:17.0', 0x8086, 0xa352, 0x010601, rev=0x10, sub=sub,
                  drv='ahci', reset='pm', group=5)
    pch_rp = b0.add('0000:00:1d.0', 0x8086, 0xa330, 0x060400, rev=0xf0,
                    drv='pcieport', group=6)
    b0.add('0000:00:1f.0', 0x8086, 0xa305, 0x060100, rev=0x10, sub=sub, group=7)
    b0.add('0000:00:1f.3', 0x8086, 0xa348, 0x040300, rev=0x10, sub=(0x1458, 0xa0c3),
           drv='snd_hda_intel', reset='flr', group=7)
    b0.add('0000:00:1f.4', 0x8086, 0xa323, 0x0c0500, rev=0x10, sub=sub,
           drv='i801_smbus', group=7)
    b0.add('0000:00:1f.5', 0x8086, 0xa324, 0x0c8000, rev=0x10, sub=sub,
           drv='intel-spi', group=7)
    nic = b0.add('0000:00:1f.6', 0x8086, 0x15bc, 0x020000, rev=0x10,
                 sub=(0x1458, 0xe000), drv='e1000e', reset='flr', group=7)
    nic.nets = [Net('eno1', mac_for(h.name, 'eno1', oui='b4:2e:99'))]
    gpu = rp.add('0000:01:00.0', 0x10de, 0x2484, 0x030000, rev=0xa1,
                 sub=(0x1458, 0x404c), drv='nouveau', reset='flr bus', group=1,
                 boot_vga=False)
    gpu.drm = (1, 129, [('DP-2', False), ('HDMI-A-2', False)])
    gpu.fb = (1, 'nouveaudrmfb')
    rp.add('0000:01:00.1', 0x10de, 0x228b, 0x040300, rev=0xa1,
           sub=(0x1458, 0x404c), drv='snd_hda_intel', reset='flr bus', group=1)
    ssd = pch_rp.add('0000:02:00.0', 0x144d, 0xa808, 0x010802, rev=0x00,
                     sub=(0x144d, 0xa801), drv='nvme', reset='flr bus', group=8)
    ssd.nvme = ('nvme0', 'Samsung SSD 970 EVO Plus 1TB', 'S4EWNX0R123456A',
                [nvme_disk(0, 1000, 2)])
    sata.ata = ('ata1', 'host0', [])
    intel_units(h, h.functions())
    h.mounts = mounts_for('/dev/nvme0n1p2', efi='/dev/nvme0n1p1')
    h.routes = [('eno1', '0.0.0.0', '192.168.1.1', 0x0003, 100, '0.0.0.0'),
                ('eno1', '192.168.1.0', '0.0.0.0', 0x0001, 100, '255.255.255.0')]
    h.mem_kb = 32803480
    common_modules(h, 'intel', ['i915', 'nouveau'], vfio='vfio-only')
    mod(h, 'e1000e', size=331776)
    mod(h, 'ahci', size=49152)
    mod(h, 'i2c_i801', size=36864)
    mod(h, 'mei_me', size=49152)
    mod(h, 'intel_uncore', size=217088)
    mod(h, 'spi_intel_pci', size=16384)
    ext = '.ko'
    h.mod_ext = ext
    h.modules_dep = (vfio_dep_61(ext) + kvm_dep(ext, 'intel') +
                     drm_dep(ext, ['i915', 'nouveau']) + base_dep(ext))
    h.modules_builtin = list(BUILTIN_COMMON)
    h.etc['etc/default/grub'] = grub_default('debian12', h.grub)
    h.etc['etc/modprobe.d/intel-microcode-blacklist.conf'] = INTEL_UCODE_BLACKLIST
    h.etc['etc/initramfs-tools/modules'] = INITRAMFS_TOOLS_MODULES
    return h


@host('laptop-muxless')
def h_laptop_muxless():
    h = Host('laptop-muxless')
    h.distro = 'manjaro'
    h.cpu = 'i7-9750H'
    h.iommu = 'intel'
    # iommu=on,iommu=pt is one iommu= option; "on" and "iommu=pt" are not
    # values of it, so passthrough mode is not enabled.
    h.group_type = 'DMA-FQ'
    h.osrelease = '6.1.64-1-MANJARO'
    h.pm_profile = 2
    h.grub = 'quiet iommu=on,iommu=pt'
    h.cmdline = ('BOOT_IMAGE=/boot/vmlinuz-6.1-x86_64 root=/dev/mapper/vg-root '
                 'rw quiet iommu=on,iommu=pt')
    h.root_uuid = uuid_for(h.name, 'root')
    sub = (0x1558, 0x8550)              # Clevo
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x8086, 0x3ec4, 0x060000, rev=0x07, sub=sub,
           drv='skl_uncore', group=0)
    rp = b0.add('0000:00:01.0', 0x8086, 0x1901, 0x060400, rev=0x07,
                drv='pcieport', group=1)
    igpu = b0.add('0000:00:02.0', 0x8086, 0x3e9b, 0x030000, rev=0x00, sub=sub,
                  drv='i915', reset='af_flr', group=2, boot_vga=True)
    igpu.drm = (0, 128, [('eDP-1', True)])
    igpu.fb = (0, 'i915drmfb')
    b0.add('0000:00:12.0', 0x8086, 0xa379, 0x118000, rev=0x10, sub=sub,
           drv='intel_pch_thermal', group=3)
    b0.add('0000:00:14.0', 0x8086, 0xa36d, 0x0c0330, rev=0x10, sub=sub,
           drv='xhci_hcd', reset='pm', group=4)
    b0.add('0000:00:14.2', 0x8086, 0xa36f, 0x050000, rev=0x10, sub=sub, group=4)
    wifi = b0.add('0000:00:14.3', 0x8086, 0xa370, 0x028000, rev=0x10,
                  sub=(0x8086, 0x0034), drv='iwlwifi', reset='flr', group=4)
    wifi.nets = [Net('wlp0s20f3', mac_for(h.name, 'wlan', oui='f8:94:c2'),
                     wireless=True)]
    b0.add('0000:00:16.0', 0x8086, 0xa360, 0x078000, rev=0x10, sub=sub,
           drv='mei_me', group=5)
    b0.add('0000:00:17.0', 0x8086, 0xa353, 0x010601, rev=0x10, sub=sub,
           drv='ahci', reset='pm', group=6)
    pch_rp = b0.add('0000:00:1d.0', 0x8086, 0xa330, 0x060400, rev=0xf0,
                    drv='pcieport', group=7)
    b0.add('0000:00:1f.0', 0x8086, 0xa30d, 0x060100, rev=0x10, sub=sub, group=8)
    b0.add('0000:00:1f.3', 0x8086, 0xa348, 0x040300, rev=0x10, sub=sub,
           drv='snd_hda_intel', reset='flr', group=8)
    b0.add('0000:00:1f.4', 0x8086, 0xa323, 0x0c0500, rev=0x10, sub=sub,
           drv='i801_smbus', group=8)
    b0.add('0000:00:1f.5', 0x8086, 0xa324, 0x0c8000, rev=0x10, sub=sub,
           drv='intel-spi', group=8)
    gpu = rp.add('0000:01:00.0', 0x10de, 0x2191, 0x030200, rev=0xa1, sub=sub,
                 drv='nvidia', reset='bus', group=1)
    gpu.drm = (1, 129, [('HDMI-A-1', False), ('DP-1', False)])
    rp.add('0000:01:00.1', 0x10de, 0x1aeb, 0x040300, rev=0xa1, sub=sub,
           drv='snd_hda_intel', group=1)
    rp.add('0000:01:00.2', 0x10de, 0x1aec, 0x0c0330, rev=0xa1, sub=sub,
           drv='xhci_hcd', group=1)
    rp.add('0000:01:00.3', 0x10de, 0x1aed, 0x0c8000, rev=0xa1, sub=sub,
           drv='nvidia-gpu', group=1)
    ssd = pch_rp.add('0000:02:00.0', 0x144d, 0xa808, 0x010802, rev=0x00,
                     sub=(0x144d, 0xa801), drv='nvme', reset='flr bus', group=9)
    ssd.nvme = ('nvme0', 'Samsung SSD 970 EVO Plus 1TB', 'S4EWNF0M987654Z',
                [nvme_disk(0, 1000, 3)])
    intel_units(h, h.functions())
    h.dm = [('dm-0', 0, 'vg-root', ['nvme0n1p3'],
             'LVM-Zx3rVdQmE2RkqW7yNf0T8pLcA1sBgH6uY5iJoK9nM4bV2cX7zD1eF3gH8jK0lP2q')]
    h.mounts = mounts_for('/dev/mapper/vg-root', efi='/dev/nvme0n1p1',
                          root_opts='rw,noatime')
    h.routes = [('wlp0s20f3', '0.0.0.0', '192.168.31.1', 0x0003, 600, '0.0.0.0'),
                ('wlp0s20f3', '192.168.31.0', '0.0.0.0', 0x0001, 600,
                 '255.255.255.0')]
    h.mem_kb = 16211356
    common_modules(h, 'intel', ['i915', 'nvidia'])
    mod(h, 'iwlwifi', size=491520, holders=['iwlmvm'])
    mod(h, 'iwlmvm', size=573440)
    mod(h, 'ahci', size=49152)
    mod(h, 'i2c_i801', size=36864)
    mod(h, 'i2c_nvidia_gpu', size=16384)
    mod(h, 'mei_me', size=49152)
    mod(h, 'intel_uncore', size=217088)
    mod(h, 'intel_pch_thermal', size=20480)
    mod(h, 'spi_intel_pci', size=16384)
    mod(h, 'dm_mod', size=184320, refcnt=1)
    ext = '.ko.zst'
    h.mod_ext = ext
    h.modules_dep = (vfio_dep_61(ext) + kvm_dep(ext, 'intel') +
                     drm_dep(ext, ['i915', 'nouveau']) + base_dep(ext) +
                     ['extramodules/nvidia.ko%s:' % ext,
                      'extramodules/nvidia-drm.ko%s: extramodules/nvidia-modeset.ko%s '
                      'extramodules/nvidia.ko%s kernel/drivers/gpu/drm/drm_kms_helper.ko%s '
                      'kernel/drivers/gpu/drm/drm.ko%s' % (ext, ext, ext, ext, ext),
                      'extramodules/nvidia-modeset.ko%s: extramodules/nvidia.ko%s' % (ext, ext),
                      'extramodules/nvidia-uvm.ko%s: extramodules/nvidia.ko%s' % (ext, ext)])
    h.modules_builtin = list(BUILTIN_COMMON)
    h.etc['etc/default/grub'] = grub_default('manjaro', h.grub)
    # seed 001, verbatim (note the '.' instead of ',' before 10de:1aed)
    h.etc['etc/modprobe.d/vfio.conf'] = (
        'options vfio-pci ids=8086:1901,10de:2191,10de:1aeb,10de:1aec.10de:1aed\n')
    h.etc['etc/mkinitcpio.conf'] = mkinitcpio_conf(
        'vfio_pci vfio vfio_iommu_type1 vfio_virqfd',
        'base udev autodetect modconf block keyboard keymap consolefont lvm2 '
        'filesystems fsck')
    h.files['dev/nvidia0'] = ''
    h.files['dev/nvidiactl'] = ''
    return h


def b550(acs):
    name = 'amd-b550-acs' if acs else 'amd-b550'
    h = Host(name)
    h.distro = 'ubuntu2204'
    h.cpu = 'R5-3600'
    h.iommu = 'amd'
    h.group_type = 'DMA-FQ'
    h.osrelease = '5.19.17'
    h.root_uuid = '5d812412-e8a8-47c5-9dc0-505a28fc0eb9'
    h.grub = ('quiet splash amd_iommu=on kvm.ignore_msrs=1 '
              'vfio_pci.ids=10de:1c02,10de:10f1')
    if acs:
        h.grub += ' pcie_acs_override=multifunction'
    h.cmdline = ('BOOT_IMAGE=/boot/vmlinuz-5.19.17 root=UUID=%s ro %s '
                 'vt.handoff=7' % (h.root_uuid, h.grub))
    sub = (0x1043, 0x87c0)              # ASUS TUF GAMING B550M-PLUS (WI-FI)

    def G(before, after):
        return after if acs else before
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x1022, 0x1480, 0x060000, sub=sub)
    b0.add('0000:00:00.2', 0x1022, 0x1481, 0x080600, sub=(0x1022, 0x1481))
    b0.add('0000:00:01.0', 0x1022, 0x1482, 0x060000, group=0)
    p011 = b0.add('0000:00:01.1', 0x1022, 0x1483, 0x060400, drv='pcieport',
                  group=1)
    p012 = b0.add('0000:00:01.2', 0x1022, 0x1483, 0x060400, drv='pcieport',
                  group=2)
    b0.add('0000:00:02.0', 0x1022, 0x1482, 0x060000, group=3)
    b0.add('0000:00:03.0', 0x1022, 0x1482, 0x060000, group=4)
    p031 = b0.add('0000:00:03.1', 0x1022, 0x1483, 0x060400, drv='pcieport',
                  group=5)
    b0.add('0000:00:04.0', 0x1022, 0x1482, 0x060000, group=6)
    b0.add('0000:00:05.0', 0x1022, 0x1482, 0x060000, group=7)
    b0.add('0000:00:07.0', 0x1022, 0x1482, 0x060000, group=8)
    p071 = b0.add('0000:00:07.1', 0x1022, 0x1484, 0x060400, drv='pcieport',
                  group=9)
    b0.add('0000:00:08.0', 0x1022, 0x1482, 0x060000, group=10)
    p081 = b0.add('0000:00:08.1', 0x1022, 0x1484, 0x060400, drv='pcieport',
                  group=11)
    b0.add('0000:00:14.0', 0x1022, 0x790b, 0x0c0500, rev=0x61, sub=sub,
           drv='piix4_smbus', group=12)
    b0.add('0000:00:14.3', 0x1022, 0x790e, 0x060100, rev=0x51, sub=sub, group=12)
    for i in range(8):
        b0.add('0000:00:18.%d' % i, 0x1022, 0x1440 + i, 0x060000,
               drv='k10temp' if i == 3 else None, group=13)
    ssd = p011.add('0000:01:00.0', 0x144d, 0xa80a, 0x010802, sub=(0x144d, 0xa801),
                   drv='nvme', reset='flr bus', group=14)
    ssd.nvme = ('nvme0', 'SAMSUNG MZVL21T0HCLR-00B00', 'S676NF0R112233',
                [nvme_disk(0, 1000, 2)])
    usb = p012.add('0000:02:00.0', 0x1022, 0x43ee, 0x0c0330, sub=(0x1b21, 0x1142),
                   drv='xhci_hcd', reset='pm', group=15)
    sata = p012.add('0000:02:00.1', 0x1022, 0x43eb, 0x010601, sub=(0x1b21, 0x1062),
                    drv='ahci', reset='pm', group=G(15, 16))
    sata.ata = ('ata1', 'host0', [sata_disk('sda', 0, 2000, 1,
                                            'WDC WD22PURZ-85B')])
    usp = p012.add('0000:02:00.2', 0x1022, 0x43e9, 0x060400, drv='pcieport',
                   group=G(15, 17))
    d30 = usp.add('0000:03:00.0', 0x1022, 0x43ea, 0x060400, drv='pcieport',
                  group=G(15, 18))
    d34 = usp.add('0000:03:04.0', 0x1022, 0x43ea, 0x060400, drv='pcieport',
                  group=G(15, 19))
    d38 = usp.add('0000:03:08.0', 0x1022, 0x43ea, 0x060400, drv='pcieport',
                  group=G(15, 20))
    d39 = usp.add('0000:03:09.0', 0x1022, 0x43ea, 0x060400, drv='pcieport',
                  group=G(15, 21))
    rx = d30.add('0000:04:00.0', 0x1002, 0x67ff, 0x030000, rev=0xff,
                 sub=(0x1da2, 0xe348), drv='amdgpu', reset='bus',
                 group=G(15, 18), boot_vga=False)
    rx.drm = (0, 128, [('DP-1', True), ('HDMI-A-1', False), ('DVI-D-1', False)])
    rx.fb = (1, 'amdgpudrmfb')
    d30.add('0000:04:00.1', 0x1002, 0xaae0, 0x040300, sub=(0x1da2, 0xaae0),
            drv='snd_hda_intel', reset='bus', group=G(15, 18))
    k = d34.add('0000:05:00.0', 0x1e0f, 0x0009, 0x010802, rev=0x01,
                sub=(0x1e0f, 0x0001), drv='nvme', reset='flr bus', group=G(15, 19))
    k.nvme = ('nvme1', 'KIOXIA-EXCERIA SSD', '61JB71B4KQ3P',
              [nvme_disk(1, 500, 1)])
    wifi = d38.add('0000:06:00.0', 0x8086, 0x2723, 0x028000, rev=0x1a,
                   sub=(0x8086, 0x0084), drv='iwlwifi', reset='flr bus',
                   group=G(15, 20))
    wifi.nets = [Net('wlp6s0', mac_for('b550', 'wlp6s0', oui='a4:b1:c1'),
                     wireless=True)]
    eth = d39.add('0000:07:00.0', 0x10ec, 0x8125, 0x020000, rev=0x05, sub=sub,
                  drv='r8169', reset='flr bus', group=G(15, 21))
    eth.nets = [Net('enp7s0', mac_for('b550', 'enp7s0', oui='04:42:1a'))]
    gtx = p031.add('0000:08:00.0', 0x10de, 0x1c02, 0x030000, rev=0xa1,
                   sub=(0x19da, 0x2438), drv='vfio-pci', reset='bus',
                   group=G(16, 22), boot_vga=True)
    p031.add('0000:08:00.1', 0x10de, 0x10f1, 0x040300, rev=0xa1,
             sub=(0x19da, 0x2438), drv='vfio-pci', reset='bus', group=G(16, 23))
    p071.add('0000:09:00.0', 0x1022, 0x148a, 0x130000, sub=(0x1022, 0x148a),
             group=G(17, 24))
    p081.add('0000:0a:00.0', 0x1022, 0x1485, 0x130000, sub=(0x1022, 0x1485),
             group=G(18, 25))
    p081.add('0000:0a:00.1', 0x1022, 0x1486, 0x108000, sub=(0x1022, 0x1486),
             drv='ccp', group=G(19, 26))
    p081.add('0000:0a:00.3', 0x1022, 0x149c, 0x0c0330, sub=sub, drv='xhci_hcd',
             reset='flr', group=G(20, 27))
    p081.add('0000:0a:00.4', 0x1022, 0x1487, 0x040300, sub=(0x1043, 0x87c4),
             drv='snd_hda_intel', reset='flr', group=G(21, 28))
    amd_units(h, h.functions())
    # The GTX 1060 is the firmware's boot VGA device; on 5.19 efifb keeps
    # its BAR (no sysfb removal by vfio-pci before 6.0).
    h.fb_platform = (0, 'EFI VGA', 'efi-framebuffer.0')
    h.mounts = mounts_for('/dev/nvme0n1p2', efi='/dev/nvme0n1p1',
                          extra=[('/dev/sda1', '/data', 'ext4', 'rw,relatime',
                                  '0', '0'),
                                 ('/dev/nvme1n1p1', '/mnt/kioxia', 'ext4',
                                  'rw,relatime', '0', '0')])
    h.routes = [('enp7s0', '0.0.0.0', '192.168.3.1', 0x0003, 100, '0.0.0.0'),
                ('enp7s0', '192.168.3.0', '0.0.0.0', 0x0001, 100, '255.255.255.0'),
                ('virbr0', '192.168.122.0', '0.0.0.0', 0x0001, 0, '255.255.255.0'),
                ('docker0', '172.17.0.0', '0.0.0.0', 0x0001, 0, '255.255.0.0')]
    h.vnets = [('virbr0', 'bridge', '52:54:00:bf:6a:2c', []),
               ('docker0', 'bridge', '02:42:ff:18:34:4e', [])]
    h.mem_kb = 32791388
    h.hugepages = 0
    common_modules(h, 'amd', ['amdgpu'], vfio='loaded')
    h.modules['kvm']['params']['ignore_msrs'] = 'Y'
    mod(h, 'iwlwifi', size=487424, holders=['iwlmvm'])
    mod(h, 'iwlmvm', size=561152)
    mod(h, 'r8169', size=106496)
    mod(h, 'ahci', size=49152)
    mod(h, 'i2c_piix4', size=32768)
    mod(h, 'k10temp', size=16384)
    mod(h, 'ccp', size=118784)
    mod(h, 'bridge', size=311296)
    ext = '.ko'
    h.mod_ext = ext
    h.modules_dep = (vfio_dep_61(ext) + kvm_dep(ext, 'amd') +
                     drm_dep(ext, ['amdgpu', 'nouveau']) + base_dep(ext))
    h.modules_builtin = list(BUILTIN_COMMON)
    h.etc['etc/default/grub'] = grub_default('ubuntu2204', h.grub)
    h.etc['etc/initramfs-tools/modules'] = INITRAMFS_TOOLS_MODULES
    h.etc['etc/X11/xorg.conf.d/second_gpu.conf'] = (
        'Section "Device"\n        Identifier "AMD GPU"\n'
        '        Driver "amdgpu"\n        BusID  "PCI:4:0:0"\nEndSection\n')
    return h


@host('amd-b550')
def h_amd_b550():
    return b550(False)


@host('amd-b550-acs')
def h_amd_b550_acs():
    return b550(True)


@host('n100-sriov')
def h_n100():
    h = Host('n100-sriov')
    h.distro = 'arch'
    h.cpu = 'N100'
    h.iommu = 'intel'
    h.group_type = 'identity'
    h.osrelease = '6.12.1-arch1-1'
    h.root_uuid = uuid_for(h.name, 'root')
    h.grub = 'intel_iommu=on iommu=pt i915.enable_guc=3 i915.max_vfs=7'
    h.cmdline = 'BOOT_IMAGE=/vmlinuz-linux root=UUID=%s rw %s' % (h.root_uuid,
                                                                 h.grub)
    sub = (0x8086, 0x7270)
    b0 = h.rootbus()
    igpu = b0.add('0000:00:02.0', 0x8086, 0x46d1, 0x030000, sub=sub, drv='i915',
                  reset='flr', group=0, boot_vga=True)
    igpu.drm = (0, 128, [('HDMI-A-1', False), ('DP-1', False)])
    igpu.fb = (0, 'i915drmfb')
    igpu.sriov = dict(total=7, offset=1, stride=1, vfdev=0x46d1)
    b0.add('0000:00:00.0', 0x8086, 0x461c, 0x060000, sub=sub, group=1)
    b0.add('0000:00:0d.0', 0x8086, 0x464e, 0x0c0330, sub=sub, drv='xhci_hcd',
           reset='pm', group=2)
    b0.add('0000:00:14.0', 0x8086, 0x54ed, 0x0c0330, sub=sub, drv='xhci_hcd',
           reset='pm', group=3)
    b0.add('0000:00:14.2', 0x8086, 0x54ef, 0x050000, sub=sub, group=3)
    b0.add('0000:00:16.0', 0x8086, 0x54e0, 0x078000, sub=sub, drv='mei_me',
           group=4)
    rps = []
    for i, rpid in enumerate((0x54b8, 0x54b9, 0x54ba, 0x54bb)):
        rps.append(b0.add('0000:00:1c.%d' % i, 0x8086, rpid, 0x060400,
                          drv='pcieport', group=5 + i))
    nvrp = b0.add('0000:00:1d.0', 0x8086, 0x54b0, 0x060400, drv='pcieport',
                  group=9)
    b0.add('0000:00:1f.0', 0x8086, 0x5481, 0x060100, sub=sub, group=10)
    b0.add('0000:00:1f.3', 0x8086, 0x54c8, 0x040300, sub=sub,
           drv='snd_hda_intel', reset='flr', group=10)
    b0.add('0000:00:1f.4', 0x8086, 0x54a3, 0x0c0500, sub=sub, drv='i801_smbus',
           group=10)
    b0.add('0000:00:1f.5', 0x8086, 0x54a4, 0x0c8000, sub=sub, drv='intel-spi',
           group=10)
    for i, rp in enumerate(rps):
        nic = rp.add('0000:%02x:00.0' % (i + 1), 0x8086, 0x125c, 0x020000,
                     rev=0x04, sub=(0x8086, 0x0000), drv='igc',
                     reset='flr bus', group=11 + i)
        nic.nets = [Net('enp%ds0' % (i + 1),
                        mac_for(h.name, 'enp%ds0' % (i + 1), oui='60:be:b4'))]
    ssd = nvrp.add('0000:05:00.0', 0x144d, 0xa809, 0x010802, sub=(0x144d, 0xa801),
                   drv='nvme', reset='flr bus', group=15)
    ssd.nvme = ('nvme0', 'Samsung SSD 980 500GB', 'S64DNF0R556677X',
                [nvme_disk(0, 500, 2)])
    # two VFs (siblings of the PF): .1 for the Windows VM, .2 kept by i915
    vf1 = b0.add('0000:00:02.1', 0x8086, 0x46d1, 0x030000, sub=sub,
                 drv='vfio-pci', reset='flr', group=16, boot_vga=False)
    vf2 = b0.add('0000:00:02.2', 0x8086, 0x46d1, 0x030000, sub=sub, drv='i915',
                 reset='flr', group=17, boot_vga=False)
    vf2.drm = (1, 129, [])
    for vf in (vf1, vf2):
        vf.physfn = igpu
    igpu.vfs = [vf1, vf2]
    # keep bus-0 children in address order like the kernel's device list
    b0.children.sort(key=lambda f: (f.slot, f.func))
    intel_units(h, h.functions())
    h.mounts = mounts_for('/dev/nvme0n1p2', efi='/dev/nvme0n1p1', efi_at='/boot',
                          root_opts='rw,relatime')
    h.routes = [('enp1s0', '0.0.0.0', '100.64.12.1', 0x0003, 1024, '0.0.0.0'),
                ('enp1s0', '100.64.12.0', '0.0.0.0', 0x0001, 1024, '255.255.252.0'),
                ('br-lan', '192.168.2.0', '0.0.0.0', 0x0001, 0, '255.255.255.0')]
    h.vnets = [('br-lan', 'bridge', '6a:3c:2e:71:90:0d',
                ['enp2s0', 'enp3s0', 'enp4s0', 'tap0']),
               ('tap0', 'tap', '8e:51:0b:47:a2:c3', [])]
    h.mem_kb = 16158428
    common_modules(h, 'intel', ['i915'], vfio='loaded')
    del h.modules['nvme_core']
    h.modules['nvme']['holders'] = []
    mod(h, 'nvme_core', holders=['nvme'], size=237568)
    h.modules['i915']['params'] = {'enable_guc': '3', 'max_vfs': '7'}
    h.modules['i915']['taint'] = 'OE'
    mod(h, 'igc', size=200704)
    mod(h, 'i2c_i801', size=40960)
    mod(h, 'mei_me', size=57344)
    mod(h, 'spi_intel_pci', size=12288)
    mod(h, 'bridge', size=425984)
    mod(h, 'tun', size=69632)
    del h.modules['vfio_pci_core']['params']['disable_vga']
    ext = '.ko.zst'
    h.mod_ext = ext
    h.modules_dep = (vfio_dep_612(ext) + kvm_dep(ext, 'intel') +
                     ['updates/dkms/i915.ko%s: kernel/drivers/gpu/drm/drm_buddy.ko%s '
                      'kernel/drivers/gpu/drm/ttm/ttm.ko%s '
                      'kernel/drivers/gpu/drm/display/drm_display_helper.ko%s '
                      'kernel/drivers/gpu/drm/drm_kms_helper.ko%s '
                      'kernel/drivers/gpu/drm/drm.ko%s kernel/drivers/acpi/video.ko%s'
                      % ((ext,) * 7)] +
                     drm_dep(ext, ['i915']) + base_dep(ext) +
                     ['kernel/drivers/net/ethernet/intel/igc/igc.ko%s:' % ext])
    h.modules_builtin = list(BUILTIN_COMMON)
    h.etc['etc/default/grub'] = grub_default('arch', h.grub)
    h.etc['etc/mkinitcpio.conf'] = mkinitcpio_conf(
        '', 'base udev autodetect microcode modconf kms keyboard keymap '
        'consolefont block filesystems fsck')
    h.etc['etc/systemd/network/10-br-lan.netdev'] = (
        '[NetDev]\nName=br-lan\nKind=Bridge\n')
    h.etc['etc/systemd/network/10-br-lan.network'] = (
        '[Match]\nName=br-lan\n\n[Network]\nAddress=192.168.2.1/24\n'
        'Address=fd9c:cd15:eaaa::/60\nIPMasquerade=both\n')
    h.etc['etc/systemd/network/10-tap0.netdev'] = '[NetDev]\nName=tap0\nKind=tap\n'
    h.etc['etc/systemd/network/10-tap0.network'] = (
        '[Match]\nName=tap0\n\n[Network]\nBridge=br-lan\n')
    return h


@host('iommu-off')
def h_iommu_off():
    h = Host('iommu-off')
    h.distro = 'debian12'
    h.cpu = 'i5-10400'
    h.iommu = None                      # VT-d disabled in the firmware
    h.osrelease = '6.1.0-27-amd64'
    h.root_uuid = uuid_for(h.name, 'root')
    h.grub = 'quiet'
    h.cmdline = ('BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=%s ro quiet'
                 % h.root_uuid)
    sub = (0x1849, 0x9b53)              # ASRock B460/H470 board
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x8086, 0x9b53, 0x060000, rev=0x03, sub=sub,
           drv='skl_uncore')
    rp = b0.add('0000:00:01.0', 0x8086, 0x1901, 0x060400, rev=0x03,
                drv='pcieport')
    igpu = b0.add('0000:00:02.0', 0x8086, 0x9bc8, 0x030000, rev=0x03, sub=sub,
                  drv='i915', reset='af_flr', boot_vga=True)
    igpu.drm = (0, 128, [('HDMI-A-1', True), ('DP-1', False)])
    igpu.fb = (0, 'i915drmfb')
    b0.add('0000:00:14.0', 0x8086, 0x06ed, 0x0c0330, sub=sub, drv='xhci_hcd',
           reset='pm')
    b0.add('0000:00:14.2', 0x8086, 0x06ef, 0x050000, sub=sub)
    b0.add('0000:00:16.0', 0x8086, 0x06e0, 0x078000, sub=sub, drv='mei_me')
    b0.add('0000:00:17.0', 0x8086, 0x06d2, 0x010601, sub=sub, drv='ahci',
           reset='pm')
    pch_rp = b0.add('0000:00:1d.0', 0x8086, 0x06b0, 0x060400, rev=0xf0,
                    drv='pcieport')
    b0.add('0000:00:1f.0', 0x8086, 0x0684, 0x060100, sub=sub)
    b0.add('0000:00:1f.3', 0x8086, 0x06c8, 0x040300, sub=(0x1849, 0x1220),
           drv='snd_hda_intel', reset='flr')
    b0.add('0000:00:1f.4', 0x8086, 0x06a3, 0x0c0500, sub=sub, drv='i801_smbus')
    b0.add('0000:00:1f.5', 0x8086, 0x06a4, 0x0c8000, sub=sub, drv='intel-spi')
    nic = b0.add('0000:00:1f.6', 0x8086, 0x0d4f, 0x020000, sub=(0x1849, 0x0d4f),
                 drv='e1000e', reset='flr')
    nic.nets = [Net('enp0s31f6', mac_for(h.name, 'eth', oui='a8:a1:59'))]
    # Navi 23 sits behind AMD's own switch (upstream + downstream port)
    up = rp.add('0000:01:00.0', 0x1002, 0x1478, 0x060400, rev=0xc7,
                drv='pcieport')
    dn = up.add('0000:02:00.0', 0x1002, 0x1479, 0x060400, drv='pcieport')
    gpu = dn.add('0000:03:00.0', 0x1002, 0x73ff, 0x030000, rev=0xc7,
                 sub=(0x1da2, 0x448e), drv='amdgpu', reset='flr bus',
                 boot_vga=False)
    gpu.drm = (1, 129, [('DP-1', False), ('HDMI-A-2', False)])
    gpu.fb = (1, 'amdgpudrmfb')
    dn.add('0000:03:00.1', 0x1002, 0xab28, 0x040300, sub=(0x1002, 0xab28),
           drv='snd_hda_intel', reset='flr bus')
    ssd = pch_rp.add('0000:04:00.0', 0x144d, 0xa80a, 0x010802, sub=(0x144d, 0xa801),
                     drv='nvme', reset='flr bus')
    ssd.nvme = ('nvme0', 'Samsung SSD 980 PRO 1TB', 'S5GXNF0R778899K',
                [nvme_disk(0, 1000, 2)])
    h.mounts = mounts_for('/dev/nvme0n1p2', efi='/dev/nvme0n1p1')
    h.routes = [('enp0s31f6', '0.0.0.0', '10.0.0.1', 0x0003, 100, '0.0.0.0'),
                ('enp0s31f6', '10.0.0.0', '0.0.0.0', 0x0001, 100, '255.255.255.0')]
    h.mem_kb = 16284152
    common_modules(h, 'intel', ['i915', 'amdgpu'])
    mod(h, 'e1000e', size=331776)
    mod(h, 'ahci', size=49152)
    mod(h, 'i2c_i801', size=36864)
    mod(h, 'mei_me', size=49152)
    mod(h, 'intel_uncore', size=217088)
    mod(h, 'spi_intel_pci', size=16384)
    ext = '.ko'
    h.mod_ext = ext
    h.modules_dep = (vfio_dep_61(ext) + kvm_dep(ext, 'intel') +
                     drm_dep(ext, ['i915', 'amdgpu', 'nouveau']) + base_dep(ext))
    h.modules_builtin = list(BUILTIN_COMMON)
    h.etc['etc/default/grub'] = grub_default('debian12', h.grub)
    h.etc['etc/modprobe.d/intel-microcode-blacklist.conf'] = INTEL_UCODE_BLACKLIST
    h.etc['etc/initramfs-tools/modules'] = INITRAMFS_TOOLS_MODULES
    return h


@host('bios-host')
def h_bios():
    h = Host('bios-host')
    h.distro = 'ubuntu2004'
    h.cpu = 'R7-2700X'
    h.iommu = 'amd'
    h.uefi = False
    h.kvm = False                       # SVM disabled in the firmware setup
    h.group_type = None                 # iommu_groups/N/type appeared in 5.11
    h.has_reset_method = False          # reset_method appeared in 5.15
    h.osrelease = '5.4.0-150-generic'
    h.root_uuid = uuid_for(h.name, 'root')
    h.grub = 'quiet splash'
    h.cmdline = ('BOOT_IMAGE=/boot/vmlinuz-5.4.0-150-generic root=UUID=%s ro '
                 'quiet splash' % h.root_uuid)
    sub = (0x1462, 0x7b79)              # MSI X470 GAMING PLUS
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x1022, 0x1450, 0x060000, sub=sub)
    b0.add('0000:00:00.2', 0x1022, 0x1451, 0x080600, sub=sub)
    b0.add('0000:00:01.0', 0x1022, 0x1452, 0x060000, group=0)
    p011 = b0.add('0000:00:01.1', 0x1022, 0x1453, 0x060400, drv='pcieport',
                  group=1)
    b0.add('0000:00:02.0', 0x1022, 0x1452, 0x060000, group=2)
    b0.add('0000:00:03.0', 0x1022, 0x1452, 0x060000, group=3)
    p031 = b0.add('0000:00:03.1', 0x1022, 0x1453, 0x060400, drv='pcieport',
                  group=4)
    p032 = b0.add('0000:00:03.2', 0x1022, 0x1453, 0x060400, drv='pcieport',
                  group=5)
    b0.add('0000:00:04.0', 0x1022, 0x1452, 0x060000, group=6)
    b0.add('0000:00:07.0', 0x1022, 0x1452, 0x060000, group=7)
    p071 = b0.add('0000:00:07.1', 0x1022, 0x1454, 0x060400, drv='pcieport',
                  group=8)
    b0.add('0000:00:08.0', 0x1022, 0x1452, 0x060000, group=9)
    p081 = b0.add('0000:00:08.1', 0x1022, 0x1454, 0x060400, drv='pcieport',
                  group=10)
    b0.add('0000:00:14.0', 0x1022, 0x790b, 0x0c0500, rev=0x59, sub=sub,
           drv='piix4_smbus', group=11)
    b0.add('0000:00:14.3', 0x1022, 0x790e, 0x060100, rev=0x51, sub=sub, group=11)
    for i in range(8):
        b0.add('0000:00:18.%d' % i, 0x1022, 0x1460 + i, 0x060000,
               drv='k10temp' if i == 3 else None, group=12)
    # X470 chipset: one big group behind 00:01.1
    p011.add('0000:01:00.0', 0x1022, 0x43d5, 0x0c0330, rev=0x01,
             sub=(0x1b21, 0x1142), drv='xhci_hcd', group=13)
    p011.add('0000:01:00.1', 0x1022, 0x43c8, 0x010601, rev=0x01,
             sub=(0x1b21, 0x1062), drv='ahci', group=13)
    cbr = p011.add('0000:01:00.2', 0x1022, 0x43c6, 0x060400, rev=0x01,
                   drv='pcieport', group=13)
    cp0 = cbr.add('0000:02:00.0', 0x1022, 0x43c7, 0x060400, rev=0x01,
                  drv='pcieport', group=13)
    cbr.add('0000:02:01.0', 0x1022, 0x43c7, 0x060400, rev=0x01,
            drv='pcieport', group=13, ).sec = 4
    nic = cp0.add('0000:03:00.0', 0x8086, 0x1539, 0x020000, rev=0x03, sub=sub,
                  drv='igb', group=13)
    nic.nets = [Net('enp3s0', mac_for(h.name, 'enp3s0', oui='00:d8:61'))]
    rx = p031.add('0000:05:00.0', 0x1002, 0x67df, 0x030000, rev=0xe7,
                  sub=(0x1da2, 0xe366), drv='amdgpu', group=14, boot_vga=True)
    rx.drm = (0, 128, [('DP-1', True), ('HDMI-A-1', False), ('DVI-D-1', False)])
    rx.fb = (0, 'amdgpudrmfb')
    p031.add('0000:05:00.1', 0x1002, 0xaaf0, 0x040300, sub=(0x1da2, 0xaaf0),
             drv='snd_hda_intel', group=14)
    gtx = p032.add('0000:06:00.0', 0x10de, 0x13c2, 0x030000, rev=0xa1,
                   sub=(0x1462, 0x3160), drv='nouveau', group=15, boot_vga=False)
    gtx.drm = (1, 129, [('DVI-D-1', False), ('HDMI-A-2', False), ('DP-2', False)])
    gtx.fb = (1, 'nouveaudrmfb')
    p032.add('0000:06:00.1', 0x10de, 0x0fbb, 0x040300, rev=0xa1,
             sub=(0x1462, 0x3160), drv='snd_hda_intel', group=15)
    p071.add('0000:07:00.0', 0x1022, 0x145a, 0x130000, sub=(0x1022, 0x145a),
             group=16)
    p071.add('0000:07:00.2', 0x1022, 0x1456, 0x108000, sub=(0x1022, 0x1456),
             drv='ccp', group=17)
    p071.add('0000:07:00.3', 0x1022, 0x145f, 0x0c0330, sub=sub, drv='xhci_hcd',
             group=18)
    p081.add('0000:08:00.0', 0x1022, 0x1455, 0x130000, sub=(0x1022, 0x1455),
             group=19)
    sata = p081.add('0000:08:00.2', 0x1022, 0x7901, 0x010601, rev=0x51, sub=sub,
                    drv='ahci', group=20)
    sata.ata = ('ata1', 'host0', [sata_disk('sda', 0, 500, 2,
                                            'Samsung SSD 860')])
    p081.add('0000:08:00.3', 0x1022, 0x1457, 0x040300, sub=(0x1462, 0xfb79),
             drv='snd_hda_intel', group=21)
    amd_units(h, h.functions())
    h.mounts = mounts_for('/dev/sda2', root_opts='rw,relatime,errors=remount-ro')
    h.routes = [('enp3s0', '0.0.0.0', '192.168.0.1', 0x0003, 100, '0.0.0.0'),
                ('enp3s0', '192.168.0.0', '0.0.0.0', 0x0001, 100, '255.255.255.0')]
    h.mem_kb = 16397604
    common_modules(h, 'amd', ['amdgpu', 'nouveau'], vfio='builtin')
    mod(h, 'igb', size=221184)
    mod(h, 'ahci', size=40960)
    mod(h, 'i2c_piix4', size=28672)
    mod(h, 'k10temp', size=16384)
    mod(h, 'ccp', size=86016)
    ext = '.ko'
    h.mod_ext = ext
    h.modules_dep = (kvm_dep(ext, 'amd') + drm_dep(ext, ['amdgpu', 'nouveau']) +
                     base_dep(ext))
    h.modules_builtin = sorted(BUILTIN_COMMON + [
        'kernel/drivers/vfio/vfio.ko',
        'kernel/drivers/vfio/vfio_iommu_type1.ko',
        'kernel/drivers/vfio/vfio_virqfd.ko',
        'kernel/drivers/vfio/pci/vfio-pci.ko',
        'kernel/drivers/usb/host/xhci-hcd.ko',
        'kernel/drivers/usb/host/xhci-pci.ko',
    ])
    h.etc['etc/default/grub'] = grub_default('ubuntu2004', h.grub)
    h.etc['etc/initramfs-tools/modules'] = INITRAMFS_TOOLS_MODULES
    # seed 003, verbatim
    h.etc['etc/modprobe.d/vfio.conf'] = (
        'softdep nouveau pre: vfio-pci\n'
        'options vfio-pci ids=8086:0151,8086:0e31,10de:13c2\n')
    h.etc['etc/modprobe.d/amd64-microcode-blacklist.conf'] = AMD_UCODE_BLACKLIST
    return h


@host('server')
def h_server(functions=256):
    """Generated server: AMD EPYC, 4 root buses (00, 40, 80, c0) per PCI
    domain, 49 root ports per root bus, one endpoint slot per root port:
    GPU (3D controller + audio), NVMe, 4-port NIC, NVMe (25% GPUs).
    Optional attributes (modalias, power_state, local_cpus, the
    subsystem and iommu links, reserved_regions) are left out to stay fast."""
    h = Host('server')
    h.lean = True
    h.distro = 'debian12'
    h.cpu = 'EPYC-7742'
    h.iommu = 'amd'
    h.group_type = 'identity'
    h.osrelease = '6.1.0-27-amd64'
    h.root_uuid = uuid_for(h.name, 'root')
    h.grub = 'quiet iommu=pt'
    h.cmdline = ('BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=%s ro %s'
                 % (h.root_uuid, h.grub))
    h.pm_profile = 4
    sub = (0x15d9, 0x1b01)              # Supermicro
    total = 0
    group = 0
    dom = 0
    nvme_idx = 0
    slotn = 0
    first_nic = None
    dm_gpu = 0
    while total < functions:
        for rb in (0x00, 0x40, 0x80, 0xc0):
            if total >= functions:
                break
            b0 = h.rootbus(dom, rb)
            pre = '%04x:%02x:' % (dom, rb)
            b0.add(pre + '00.0', 0x1022, 0x1480, 0x060000, sub=sub)
            b0.add(pre + '00.2', 0x1022, 0x1481, 0x080600, sub=sub)
            total += 2
            bus = rb + 1
            for dev in range(1, 8):
                if total >= functions:
                    break
                b0.add(pre + '%02x.0' % dev, 0x1022, 0x1482, 0x060000,
                       group=group)
                group += 1
                total += 1
                for fn in range(1, 8):
                    if total >= functions:
                        break
                    rp = b0.add(pre + '%02x.%d' % (dev, fn), 0x1022, 0x1483,
                                0x060400, drv='pcieport', group=group)
                    group += 1
                    total += 1
                    ep = '%04x:%02x:00.' % (dom, bus)
                    kind = slotn % 4
                    slotn += 1
                    g = group
                    group += 1
                    if total >= functions:
                        rp.sec = bus
                    elif kind == 0:
                        vfio = dm_gpu % 2 == 0
                        dm_gpu += 1
                        rp.add(ep + '0', 0x10de, 0x2236, 0x030200, rev=0xa1,
                               sub=(0x10de, 0x1482),
                               drv='vfio-pci' if vfio else 'nvidia',
                               reset='flr bus', group=g)
                        total += 1
                        if total < functions:
                            rp.add(ep + '1', 0x10de, 0x1aef, 0x040300, rev=0xa1,
                                   sub=(0x10de, 0x1482),
                                   drv='vfio-pci' if vfio else 'snd_hda_intel',
                                   reset='flr bus', group=g)
                            total += 1
                    elif kind in (1, 3):
                        f = rp.add(ep + '0', 0x144d, 0xa824, 0x010802,
                                   sub=(0x144d, 0xa812), drv='nvme',
                                   reset='flr', group=g)
                        parts = 2 if nvme_idx == 0 else 0
                        d = nvme_disk(nvme_idx, 3840, parts) if parts else \
                            Disk('nvme%dn1' % nvme_idx, 259, nvme_idx * 4,
                                 3840 * 1953125)
                        if not parts:
                            # no partitions: keep minors compact
                            d.minor = 3 + nvme_idx
                        f.nvme = ('nvme%d' % nvme_idx, 'SAMSUNG MZWLJ3T8HBLS-00007',
                                  'S4YPNE0N%06d' % nvme_idx, [d])
                        nvme_idx += 1
                        total += 1
                    else:
                        for pf in range(4):
                            if total >= functions:
                                break
                            f = rp.add(ep + '%d' % pf, 0x8086, 0x1572, 0x020000,
                                       rev=0x02, sub=(0x8086, 0x0000),
                                       drv='i40e', reset='flr', group=g)
                            f.sriov = dict(total=64, offset=16, stride=1,
                                           vfdev=0x154c)
                            if dom:
                                ifn = 'enP%dp%ds0f%d' % (dom, bus, pf)
                            else:
                                ifn = 'enp%ds0f%d' % (bus, pf)
                            f.nets = [Net(ifn, mac_for('server', ifn,
                                                       oui='3c:fd:fe'))]
                            if first_nic is None:
                                first_nic = ifn
                            total += 1
                    bus += 1
        dom += 1
    amd_units(h, h.functions())
    h.mounts = mounts_for('/dev/nvme0n1p2', efi='/dev/nvme0n1p1')
    if first_nic:
        h.routes = [(first_nic, '0.0.0.0', '10.20.0.1', 0x0003, 0, '0.0.0.0'),
                    (first_nic, '10.20.0.0', '0.0.0.0', 0x0001, 0, '255.255.0.0')]
    h.mem_kb = 527939548
    h.hugepages = 65536
    common_modules(h, 'amd', ['nvidia'], vfio='loaded')
    del h.modules['nvidia_drm']
    h.modules['nvidia_modeset']['holders'] = []
    h.modules['drm']['holders'] = ['drm_kms_helper']
    h.modules['drm_kms_helper']['holders'] = []
    mod(h, 'i40e', size=544768)
    mod(h, 'ccp', size=118784)
    ext = '.ko'
    h.mod_ext = ext
    h.modules_dep = (vfio_dep_61(ext) + kvm_dep(ext, 'amd') +
                     drm_dep(ext, ['amdgpu', 'nouveau']) + base_dep(ext) +
                     ['kernel/drivers/net/ethernet/intel/i40e/i40e.ko%s:' % ext,
                      'updates/dkms/nvidia.ko%s:' % ext])
    h.modules_builtin = list(BUILTIN_COMMON)
    h.etc['etc/default/grub'] = grub_default('debian12', h.grub)
    h.etc['etc/initramfs-tools/modules'] = INITRAMFS_TOOLS_MODULES
    h.etc['etc/modprobe.d/amd64-microcode-blacklist.conf'] = AMD_UCODE_BLACKLIST
    return h


# ---------------------------------------------------------------------------
# Distro hosts for `vfiokit boot`: one builder, one config per distro.
# The hardware is one of two desktop platforms (AMD B550 + Ryzen 5 3600 with a
# host GPU, or Intel Z390 + i7-9700K with the iGPU as host display); the
# passed GPU and its HDMI audio share one IOMMU group.  What differs is the
# distro: os-release, kernel, module compression, the bootloader and
# initramfs configs as a fresh install writes them plus the user's earlier
# edits, and the commands that exist (empty executables: only looked up).
# ---------------------------------------------------------------------------

OS_RELEASE.update({
    'fedora40': '''NAME="Fedora Linux"
VERSION="40 (Workstation Edition)"
ID=fedora
VERSION_ID=40
VERSION_CODENAME=""
PLATFORM_ID="platform:f40"
PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:40"
DEFAULT_HOSTNAME="fedora"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f40/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=40
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=40
SUPPORT_END=2025-05-13
VARIANT="Workstation Edition"
VARIANT_ID=workstation
''',
    'silverblue40': '''NAME="Fedora Linux"
VERSION="40.20241020.0 (Silverblue)"
ID=fedora
VERSION_ID=40
VERSION_CODENAME=""
PLATFORM_ID="platform:f40"
PRETTY_NAME="Fedora Linux 40.20241020.0 (Silverblue)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:40"
DEFAULT_HOSTNAME="fedora"
HOME_URL="https://silverblue.fedoraproject.org"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora-silverblue/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://github.com/fedora-silverblue/issue-tracker/issues"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=40
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=40
SUPPORT_END=2025-05-13
VARIANT="Silverblue"
VARIANT_ID=silverblue
OSTREE_VERSION='40.20241020.0'
''',
    'popos2204': '''NAME="Pop!_OS"
VERSION="22.04 LTS"
ID=pop
ID_LIKE="ubuntu debian"
PRETTY_NAME="Pop!_OS 22.04 LTS"
VERSION_ID="22.04"
HOME_URL="https://pop.system76.com"
SUPPORT_URL="https://support.system76.com"
BUG_REPORT_URL="https://github.com/pop-os/pop/issues"
PRIVACY_POLICY_URL="https://system76.com/privacy"
VERSION_CODENAME=jammy
UBUNTU_CODENAME=jammy
LOGO=distributor-logo-pop-os
''',
    'nixos2405': '''ANSI_COLOR="1;34"
BUG_REPORT_URL="https://github.com/NixOS/nixpkgs/issues"
BUILD_ID="24.05.5518.ecbc1ca8ffd6"
DOCUMENTATION_URL="https://nixos.org/learn.html"
HOME_URL="https://nixos.org/"
ID=nixos
IMAGE_ID=""
IMAGE_VERSION=""
LOGO="nix-snowflake"
NAME=NixOS
PRETTY_NAME="NixOS 24.05 (Uakari)"
SUPPORT_END="2024-12-31"
SUPPORT_URL="https://nixos.org/community.html"
VERSION="24.05 (Uakari)"
VERSION_CODENAME=uakari
VERSION_ID="24.05"
''',
})

# key -> (vendor, device, audio device, rev, subsystem, audio subsystem)
GPU_MODELS = {
    'gtx970': (0x10de, 0x13c2, 0x0fbb, 0xa1, (0x1462, 0x3160), (0x1462, 0x3160)),
    'gtx1060': (0x10de, 0x1c02, 0x10f1, 0xa1, (0x19da, 0x2438), (0x19da, 0x2438)),
    'rtx3070': (0x10de, 0x2484, 0x228b, 0xa1, (0x1458, 0x404c), (0x1458, 0x404c)),
    # seed 002's card: PowerColor RX 560, lspci -nn as in the seed
    'rx560': (0x1002, 0x67ef, 0xaae0, 0xe5, (0x148c, 0x2385), (0x148c, 0xaae0)),
    'rx580': (0x1002, 0x67df, 0xaaf0, 0xe7, (0x1da2, 0xe366), (0x1da2, 0xaaf0)),
}
FB_NAME = {'nouveau': 'nouveaudrmfb', 'amdgpu': 'amdgpudrmfb', 'i915': 'i915drmfb'}


def add_gpu(bridge, bus, model, drv, group, card, boot_vga):
    ven, dev, adev, rev, sub, asub = GPU_MODELS[model]
    gpu = bridge.add('0000:%02x:00.0' % bus, ven, dev, 0x030000, rev=rev,
                     sub=sub, drv=drv, reset='flr bus' if ven == 0x10de else 'bus',
                     group=group, boot_vga=boot_vga)
    conns = [('DP-%d' % (card + 1), boot_vga), ('HDMI-A-%d' % (card + 1), False)]
    gpu.drm = (card, 128 + card, conns)
    if drv in FB_NAME:
        gpu.fb = (card, FB_NAME[drv])
    bridge.add('0000:%02x:00.1' % bus, ven, adev, 0x040300, rev=rev, sub=asub,
               drv='snd_hda_intel', reset='flr bus' if ven == 0x10de else 'bus',
               group=group)
    return gpu


def hw_amd(h, c):
    """ASUS B550 board, Ryzen 5 3600: the host GPU (card0, boot VGA) behind
    00:03.2, the passed GPU behind 00:03.1, NVMe root disk, RTL8125 NIC."""
    sub = (0x1043, 0x87c0)
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x1022, 0x1480, 0x060000, sub=sub, group=0)
    b0.add('0000:00:00.2', 0x1022, 0x1481, 0x080600, sub=sub)
    b0.add('0000:00:01.0', 0x1022, 0x1482, 0x060000, group=1)
    p11 = b0.add('0000:00:01.1', 0x1022, 0x1483, 0x060400, drv='pcieport', group=2)
    p12 = b0.add('0000:00:01.2', 0x1022, 0x1483, 0x060400, drv='pcieport', group=3)
    b0.add('0000:00:03.0', 0x1022, 0x1482, 0x060000, group=4)
    p31 = b0.add('0000:00:03.1', 0x1022, 0x1483, 0x060400, drv='pcieport', group=5)
    p32 = b0.add('0000:00:03.2', 0x1022, 0x1483, 0x060400, drv='pcieport', group=6)
    b0.add('0000:00:08.0', 0x1022, 0x1482, 0x060000, group=7)
    p81 = b0.add('0000:00:08.1', 0x1022, 0x1484, 0x060400, drv='pcieport', group=8)
    b0.add('0000:00:14.0', 0x1022, 0x790b, 0x0c0500, rev=0x61, sub=sub,
           drv='piix4_smbus', group=9)
    b0.add('0000:00:14.3', 0x1022, 0x790e, 0x060100, rev=0x51, sub=sub, group=9)
    for i in range(8):
        b0.add('0000:00:18.%d' % i, 0x1022, 0x1440 + i, 0x060000,
               drv='k10temp' if i == 3 else None, group=10)
    ssd = p11.add('0000:01:00.0', 0x144d, 0xa80a, 0x010802, sub=(0x144d, 0xa801),
                  drv='nvme', reset='flr bus', group=11)
    ssd.nvme = ('nvme0', 'Samsung SSD 980 PRO 1TB', 'S5GXNX0T%06dW' %
                (zlib.crc32(h.name.encode()) % 1000000), [nvme_disk(0, 1000, c['parts'])])
    nic = p12.add('0000:02:00.0', 0x10ec, 0x8125, 0x020000, rev=0x05, sub=sub,
                  drv='r8169', reset='bus', group=12)
    nic.nets = [Net('enp2s0', mac_for(h.name, 'enp2s0', oui='04:42:1a'))]
    add_gpu(p31, 3, c['gpu'], c['gpu_drv'], 13, 1, False)
    add_gpu(p32, 4, c['host_gpu'], c['host_gpu_drv'], 14, 0, True)
    p81.add('0000:05:00.0', 0x1022, 0x148a, 0x130000, sub=(0x1022, 0x148a), group=15)
    p81.add('0000:05:00.1', 0x1022, 0x1486, 0x108000, sub=(0x1022, 0x1486),
            drv='ccp', group=16)
    p81.add('0000:05:00.3', 0x1022, 0x149c, 0x0c0330, sub=sub, drv='xhci_hcd',
            reset='flr', group=17)
    p81.add('0000:05:00.4', 0x1022, 0x1487, 0x040300, sub=(0x1043, 0x87c4),
            drv='snd_hda_intel', reset='flr', group=18)
    amd_units(h, h.functions())
    h.routes = [('enp2s0', '0.0.0.0', '192.168.1.1', 0x0003, 100, '0.0.0.0'),
                ('enp2s0', '192.168.1.0', '0.0.0.0', 0x0001, 100, '255.255.255.0')]
    common_modules(h, 'amd', [c['host_gpu_drv'], c['gpu_drv']], vfio=c['vfio'])
    mod(h, 'r8169', size=106496)
    mod(h, 'i2c_piix4', size=28672)
    mod(h, 'k10temp', size=16384)
    mod(h, 'ccp', size=118784)


def hw_intel(h, c):
    """ASUS Z390 board, i7-9700K: the iGPU drives the host display (card0),
    the passed GPU and its audio share group 1 with the CPU root port."""
    sub = (0x1043, 0x8694)
    b0 = h.rootbus()
    b0.add('0000:00:00.0', 0x8086, 0x3e30, 0x060000, rev=0x0d, sub=sub,
           drv='skl_uncore', group=0)
    rp = b0.add('0000:00:01.0', 0x8086, 0x1901, 0x060400, rev=0x0d,
                drv='pcieport', group=1)
    igpu = b0.add('0000:00:02.0', 0x8086, 0x3e98, 0x030000, rev=0x02, sub=sub,
                  drv='i915', reset='af_flr', group=2, boot_vga=True)
    igpu.drm = (0, 128, [('HDMI-A-1', True), ('DP-1', False)])
    igpu.fb = (0, 'i915drmfb')
    b0.add('0000:00:14.0', 0x8086, 0xa36d, 0x0c0330, rev=0x10, sub=sub,
           drv='xhci_hcd', reset='pm', group=3)
    b0.add('0000:00:14.2', 0x8086, 0xa36f, 0x050000, rev=0x10, sub=sub, group=3)
    b0.add('0000:00:16.0', 0x8086, 0xa360, 0x078000, rev=0x10, sub=sub,
           drv='mei_me', group=4)
    sata = b0.add('0000:00:17.0', 0x8086, 0xa352, 0x010601, rev=0x10, sub=sub,
                  drv='ahci', reset='pm', group=5)
    sata.ata = ('ata1', 'host0', [])
    pch_rp = b0.add('0000:00:1d.0', 0x8086, 0xa330, 0x060400, rev=0xf0,
                    drv='pcieport', group=6)
    b0.add('0000:00:1f.0', 0x8086, 0xa305, 0x060100, rev=0x10, sub=sub, group=7)
    b0.add('0000:00:1f.3', 0x8086, 0xa348, 0x040300, rev=0x10, sub=sub,
           drv='snd_hda_intel', reset='flr', group=7)
    b0.add('0000:00:1f.4', 0x8086, 0xa323, 0x0c0500, rev=0x10, sub=sub,
           drv='i801_smbus', group=7)
    b0.add('0000:00:1f.5', 0x8086, 0xa324, 0x0c8000, rev=0x10, sub=sub,
           drv='intel-spi', group=7)
    nic = b0.add('0000:00:1f.6', 0x8086, 0x15bc, 0x020000, rev=0x10, sub=sub,
                 drv='e1000e', reset='flr', group=7)
    nic.nets = [Net('eno1', mac_for(h.name, 'eno1', oui='24:4b:fe'))]
    add_gpu(rp, 1, c['gpu'], c['gpu_drv'], 1, 1, False)
    ssd = pch_rp.add('0000:02:00.0', 0x144d, 0xa80a, 0x010802, sub=(0x144d, 0xa801),
                     drv='nvme', reset='flr bus', group=8)
    ssd.nvme = ('nvme0', 'Samsung SSD 980 PRO 1TB', 'S5GXNX0T%06dW' %
                (zlib.crc32(h.name.encode()) % 1000000), [nvme_disk(0, 1000, c['parts'])])
    intel_units(h, h.functions())
    h.routes = [('eno1', '0.0.0.0', '192.168.1.1', 0x0003, 100, '0.0.0.0'),
                ('eno1', '192.168.1.0', '0.0.0.0', 0x0001, 100, '255.255.255.0')]
    common_modules(h, 'intel', ['i915', c['gpu_drv']], vfio=c['vfio'])
    mod(h, 'e1000e', size=331776)
    mod(h, 'ahci', size=49152)
    mod(h, 'i2c_i801', size=36864)
    mod(h, 'mei_me', size=49152)
    mod(h, 'intel_uncore', size=217088)
    mod(h, 'spi_intel_pci', size=16384)


def nvidia_dep(ext, d):
    return [d + 'nvidia.ko%s:' % ext,
            d + 'nvidia-drm.ko%s: %snvidia-modeset.ko%s %snvidia.ko%s '
            'kernel/drivers/gpu/drm/drm_kms_helper.ko%s kernel/drivers/gpu/drm/drm.ko%s'
            % (ext, d, ext, d, ext, ext, ext),
            d + 'nvidia-modeset.ko%s: %snvidia.ko%s' % (ext, d, ext),
            d + 'nvidia-uvm.ko%s: %snvidia.ko%s' % (ext, d, ext)]


FEDORA_GRUB = '''GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="%s"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
'''

FEDORA_DRACUT_CONF = '''# PUT YOUR CONFIG IN separate files
# in /etc/dracut.conf.d named "<name>.conf"

# SEE man dracut.conf(5) for options
'''

GRUB_CFG_HEAD = '''#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
insmod part_gpt
insmod ext2
set root='hd0,gpt2'
if [ -s $prefix/grubenv ]; then
  load_env
fi
set default="%s"
%s### END /etc/grub.d/00_header ###

'''


def grub_cfg(h, title, kernel, initrds, opts):
    """A grub.cfg as grub-mkconfig writes it (abridged to one entry)."""
    return (GRUB_CFG_HEAD % ('0', 'set timeout=5\n') +
            '### BEGIN /etc/grub.d/10_linux ###\n'
            "menuentry '%s' --class gnu-linux --class gnu --class os $menuentry_id_option "
            "'gnulinux-simple-%s' {\n"
            '\tload_video\n\tset gfxpayload=keep\n\tinsmod gzio\n\tinsmod part_gpt\n'
            '\tinsmod ext2\n'
            "\tsearch --no-floppy --fs-uuid --set=root %s\n"
            "\techo\t'Loading Linux %s ...'\n"
            '\tlinux\t%s root=UUID=%s %s\n'
            "\techo\t'Loading initial ramdisk ...'\n"
            '\tinitrd\t%s\n'
            '}\n'
            '### END /etc/grub.d/10_linux ###\n'
            % (title, h.root_uuid, h.root_uuid, h.osrelease, kernel, h.root_uuid,
               opts, ' '.join(initrds)))


FEDORA_GRUB_CFG = '''#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub2-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
set pager=1

if [ -f ${config_directory}/grubenv ]; then
  load_env -f ${config_directory}/grubenv
elif [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
insmod part_gpt
insmod ext2
set root='hd0,gpt2'
insmod blscfg
blscfg
### END /etc/grub.d/10_linux ###
'''

MKINITCPIO_HOOKS = ('base udev autodetect microcode modconf kms keyboard '
                    'keymap consolefont block filesystems fsck')


def mkinitcpio_preset(kernel):
    return '''# mkinitcpio preset file for the '%s' package

#ALL_config="/etc/mkinitcpio.conf"
ALL_kver="/boot/vmlinuz-%s"

PRESETS=('default' 'fallback')

#default_config="/etc/mkinitcpio.conf"
default_image="/boot/initramfs-%s.img"
#default_uki="/efi/EFI/Linux/arch-%s.efi"
#default_options="--splash /usr/share/systemd/bootctl/splash-arch.bmp"

#fallback_config="/etc/mkinitcpio.conf"
fallback_image="/boot/initramfs-%s-fallback.img"
#fallback_uki="/efi/EFI/Linux/arch-%s-fallback.efi"
fallback_options="-S autodetect"
''' % ((kernel,) * 6)


def bls_entry(title, version, linux, initrds, options, extra=''):
    return ('title %s\nversion %s\nlinux %s\n%soptions %s\n%s'
            % (title, version, linux, ''.join('initrd %s\n' % i for i in initrds),
               options, extra))


def boot_grub_debian(h, c):
    h.etc['etc/default/grub'] = grub_default(h.distro, c['grub'])
    h.files['boot/grub/grub.cfg'] = grub_cfg(
        h, 'Ubuntu' if h.distro.startswith('ubuntu') else 'Debian GNU/Linux',
        '/boot/vmlinuz-' + h.osrelease, ['/boot/initrd.img-' + h.osrelease],
        'ro ' + c['grub'] + (' $vt_handoff' if h.distro.startswith('ubuntu') else ''))
    h.execs += ['usr/sbin/update-grub', 'usr/sbin/grub-mkconfig', 'usr/sbin/grub-reboot']


def boot_grub_arch(h, c):
    h.etc['etc/default/grub'] = grub_default(h.distro, c['grub'])
    h.files['boot/grub/grub.cfg'] = grub_cfg(
        h, 'Manjaro Linux' if h.distro == 'manjaro' else 'Arch Linux',
        '/boot/vmlinuz-' + c['kimage'], ['/boot/amd-ucode.img',
                                         '/boot/initramfs-%s.img' % c['kimage']],
        'rw ' + c['grub'])
    h.execs += ['usr/bin/grub-mkconfig', 'usr/bin/grub-reboot']
    if h.distro == 'manjaro':
        h.execs.append('usr/bin/update-grub')   # Manjaro's wrapper of grub-mkconfig


def boot_grub_bls(h, c):
    """Fedora: GRUB2 reads the BLS entries (blscfg); the options live in each
    entry and in GRUB_CMDLINE_LINUX (there is no _DEFAULT on Fedora)."""
    h.etc['etc/default/grub'] = FEDORA_GRUB % c['grub_linux']
    mid = c['machine_id']
    opts = 'root=UUID=%s ro rootflags=subvol=root %s' % (h.root_uuid, c['grub_linux'])
    extra = 'grub_users $grub_users\ngrub_arg --unrestricted\ngrub_class fedora\n'
    for ver in c['bls_kernels']:
        h.files['boot/loader/entries/%s-%s.conf' % (mid, ver)] = bls_entry(
            'Fedora Linux (%s) 40 (Workstation Edition)' % ver, ver,
            '/vmlinuz-' + ver, ['/initramfs-%s.img' % ver], opts, extra)
    h.files['boot/loader/entries/%s-0-rescue.conf' % mid] = bls_entry(
        'Fedora Linux (0-rescue-%s) 40 (Workstation Edition)' % mid, '0-rescue-' + mid,
        '/vmlinuz-0-rescue-' + mid, ['/initramfs-0-rescue-%s.img' % mid], opts, extra)
    h.files['boot/grub2/grub.cfg'] = FEDORA_GRUB_CFG
    h.files['boot/grub2/grubenv'] = ('# GRUB Environment Block\n'
                                     'saved_entry=%s-%s\nboot_success=1\n'
                                     % (mid, c['bls_kernels'][-1])).ljust(1024, '#')
    h.files['boot/efi/EFI/fedora/grub.cfg'] = (
        "search --no-floppy --root-dev-only --fs-uuid --set=dev %s\n"
        "set prefix=($dev)/grub2\n"
        "export $prefix\n"
        "configfile $prefix/grub.cfg\n" % uuid_for(h.name, 'boot'))
    h.execs += ['usr/sbin/grub2-mkconfig', 'usr/sbin/grubby', 'usr/sbin/grub2-reboot']


def boot_sdboot(h, c):
    opts = 'root=UUID=%s rw %s' % (h.root_uuid, c['opts'])
    h.etc['etc/kernel/cmdline'] = opts + '\n'
    h.files['boot/loader/loader.conf'] = ('default  arch.conf\ntimeout  4\n'
                                          'console-mode max\neditor   no\n')
    h.files['boot/loader/entries/arch.conf'] = (
        'title   Arch Linux\nlinux   /vmlinuz-linux\ninitrd  /intel-ucode.img\n'
        'initrd  /initramfs-linux.img\noptions %s\n' % opts)
    h.files['boot/loader/entries/arch-fallback.conf'] = (
        'title   Arch Linux (fallback initramfs)\nlinux   /vmlinuz-linux\n'
        'initrd  /intel-ucode.img\ninitrd  /initramfs-linux-fallback.img\n'
        'options %s\n' % opts)
    h.execs += ['usr/bin/bootctl', 'usr/bin/kernel-install']


def boot_kernelstub(h, c):
    esp_dir = 'EFI/Pop_OS-%s' % h.root_uuid
    opts = ['quiet', 'loglevel=0', 'systemd.show_status=false', 'splash']
    prof = lambda o, loader, manage: (
        '    "kernel_options": [\n%s\n    ],\n'
        '    "esp_path": "/boot/efi",\n'
        '    "setup_loader": %s,\n'
        '    "manage_mode": %s,\n'
        '    "force_update": false,\n'
        '    "live_mode": false,\n'
        '    "config_rev": 3\n' % (',\n'.join('      "%s"' % x for x in o),
                                   loader, manage))
    h.etc['etc/kernelstub/configuration'] = (
        '{\n  "default": {\n' + prof(['quiet', 'splash'], 'false', 'false') +
        '  },\n  "user": {\n' + prof(opts, 'true', 'true') + '  }\n}')
    line = 'root=UUID=%s ro %s' % (h.root_uuid, ' '.join(opts))
    for name, sfx, title in (('Pop_OS-current', '', 'Pop!_OS'),
                             ('Pop_OS-oldkern', '-previous', 'Pop!_OS')):
        h.files['boot/efi/loader/entries/%s.conf' % name] = (
            'title %s\nlinux /%s/vmlinuz%s.efi\ninitrd /%s/initrd.img%s\noptions %s\n'
            % (title, esp_dir, sfx, esp_dir, sfx, line))
    h.files['boot/efi/loader/loader.conf'] = 'default Pop_OS-current\n'
    h.execs += ['usr/bin/kernelstub', 'usr/bin/bootctl']


def boot_ostree(h, c):
    """Silverblue: ostree owns /boot/loader (a link to loader.1); kernel
    arguments change only through rpm-ostree kargs."""
    h.files['run/ostree-booted'] = ''
    csum = c['ostree_csum']
    ver = h.osrelease
    h.links['boot/loader'] = 'boot/loader.1'
    h.files['boot/loader.1/entries/ostree-1.conf'] = (
        'title Fedora Linux 40.20241020.0 (Silverblue) (ostree:0)\n'
        'version 1\n'
        'options %s\n'
        'linux /ostree/fedora-%s/vmlinuz-%s\n'
        'initrd /ostree/fedora-%s/initramfs-%s.img\n'
        % (c['ostree_opts'], csum, ver, csum, ver))
    h.execs += ['usr/bin/rpm-ostree', 'usr/bin/ostree']


def boot_refind(h, c):
    base = 'root=UUID=%s ro' % h.root_uuid
    h.files['boot/refind_linux.conf'] = (
        '"Boot with standard options"  "%s %s"\n'
        '"Boot to single-user mode"    "%s %s single"\n'
        '"Boot with minimal options"   "ro root=UUID=%s"\n'
        % (base, c['opts'], base, c['opts'], h.root_uuid))
    h.files['boot/efi/EFI/refind/refind.conf'] = (
        '# refind.conf\n# Configuration file for the rEFInd boot menu\n#\n\n'
        'timeout 20\nuse_nvram false\n'
        '#scanfor internal,external,optical,manual\n')
    h.execs += ['usr/sbin/refind-install']


def boot_limine(h, c):
    opts = 'root=UUID=%s rw %s' % (h.root_uuid, c['opts'])
    h.files['boot/limine.conf'] = (
        'timeout: 5\n'
        '\n'
        '/Arch Linux\n'
        '    protocol: linux\n'
        '    path: boot():/vmlinuz-linux\n'
        '    cmdline: %s\n'
        '    module_path: boot():/amd-ucode.img\n'
        '    module_path: boot():/booster-linux.img\n'
        '\n'
        '/Arch Linux (fallback)\n'
        '    protocol: linux\n'
        '    path: boot():/vmlinuz-linux\n'
        '    cmdline: %s\n'
        '    module_path: boot():/booster-linux.img\n'
        '\n'
        '/Windows\n'
        '    protocol: efi\n'
        '    path: boot(1):/EFI/Microsoft/Boot/bootmgfw.efi\n' % (opts, opts))
    h.execs += ['usr/bin/limine']


NIXOS_CONFIGURATION = '''# Edit this configuration file to define what should be installed on
# your system. Help is available in the configuration.nix(5) man page, on
# https://search.nixos.org/options and in the NixOS manual (`nixos-help`).

{ config, lib, pkgs, ... }:

{
  imports =
    [ # Include the results of the hardware scan.
      ./hardware-configuration.nix
    ];

  # Use the systemd-boot EFI boot loader.
  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;

  networking.hostName = "nixos"; # Define your hostname.
  # Pick only one of the below networking options.
  # networking.wireless.enable = true;  # Enables wireless support via wpa_supplicant.
  networking.networkmanager.enable = true;  # Easiest to use and most distros use this by default.

  # Set your time zone.
  time.timeZone = "Europe/Amsterdam";

  # Enable the X11 windowing system.
  services.xserver.enable = true;

  # Enable the GNOME Desktop Environment.
  services.xserver.displayManager.gdm.enable = true;
  services.xserver.desktopManager.gnome.enable = true;

  # Define a user account. Don't forget to set a password with ‘passwd’.
  users.users.alice = {
    isNormalUser = true;
    extraGroups = [ "wheel" "libvirtd" ]; # Enable ‘sudo’ for the user.
  };

  virtualisation.libvirtd.enable = true;
  programs.virt-manager.enable = true;

  # List packages installed in system profile. To search, run:
  # $ nix search wget
  environment.systemPackages = with pkgs; [
    vim # Do not forget to add an editor to edit configuration.nix! The Nano editor is also installed by default.
    wget
  ];

  # This option defines the first version of NixOS you have installed on this particular machine,
  # and is used to maintain compatibility with application data (e.g. databases) created on older NixOS versions.
  #
  # Most users should NEVER change this value after the initial install, for any reason,
  # even if you've upgraded your system to a new NixOS release.
  #
  # For more information, see `man configuration.nix` or https://nixos.org/manual/nixos/stable/options#opt-system.stateVersion .
  system.stateVersion = "24.05"; # Did you read the comment?

}
'''

NIXOS_HARDWARE = '''# Do not modify this file!  It was generated by ‘nixos-generate-config’
# and may be overwritten by future invocations.  Please make changes
# to /etc/nixos/configuration.nix instead.
{ config, lib, pkgs, modulesPath, ... }:

{
  imports =
    [ (modulesPath + "/installer/scan/not-detected.nix")
    ];

  boot.initrd.availableKernelModules = [ "nvme" "xhci_pci" "ahci" "usbhid" "usb_storage" "sd_mod" ];
  boot.initrd.kernelModules = [ ];
  boot.kernelModules = [ "kvm-amd" ];
  boot.extraModulePackages = [ ];

  fileSystems."/" =
    { device = "/dev/disk/by-uuid/%s";
      fsType = "ext4";
    };

  fileSystems."/boot" =
    { device = "/dev/disk/by-uuid/%s";
      fsType = "vfat";
      options = [ "fmask=0022" "dmask=0022" ];
    };

  swapDevices = [ ];

  # Enables DHCP on each ethernet and wireless interface. In case of scripted networking
  # (the default) this is the recommended approach. When using systemd-networkd it's
  # still possible to use this option, but it's recommended to use it in conjunction
  # with explicit per-interface declarations with `networking.interfaces.<interface>.useDHCP`.
  networking.useDHCP = lib.mkDefault true;
  # networking.interfaces.enp2s0.useDHCP = lib.mkDefault true;

  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
  hardware.cpu.amd.updateMicrocode = lib.mkDefault config.hardware.enableRedistributableFirmware;
}
'''


def boot_nixos(h, c):
    """NixOS: the boot entries under /boot are generated from the store;
    only /etc/nixos/configuration.nix is the user's."""
    h.files['etc/NIXOS'] = ''
    h.etc['etc/nixos/configuration.nix'] = NIXOS_CONFIGURATION
    h.etc['etc/nixos/hardware-configuration.nix'] = NIXOS_HARDWARE % (
        h.root_uuid, 'A1B2-C3D4')
    h.files['boot/loader/loader.conf'] = 'timeout 5\nconsole-mode keep\ndefault nixos-generation-1.conf\n'
    h.files['boot/loader/entries/nixos-generation-1.conf'] = c['nix_entry']
    h.execs += ['run/current-system/sw/bin/nixos-rebuild']


def boot_none(h, c):
    """No bootloader config vfiokit knows: the firmware starts the kernel
    directly (an EFISTUB entry made with efibootmgr)."""
    h.execs += ['usr/bin/efibootmgr']


def initramfs_tools(h, c):
    h.etc['etc/initramfs-tools/modules'] = INITRAMFS_TOOLS_MODULES
    h.execs += ['usr/sbin/update-initramfs']


def initramfs_mkinitcpio(h, c):
    h.etc['etc/mkinitcpio.conf'] = mkinitcpio_conf('', c.get('hooks', MKINITCPIO_HOOKS))
    h.etc['etc/mkinitcpio.d/%s.preset' % c['preset']] = mkinitcpio_preset(c['kimage'])
    h.execs += ['usr/bin/mkinitcpio']


def initramfs_dracut(h, c):
    h.etc['etc/dracut.conf'] = FEDORA_DRACUT_CONF
    # the user's earlier edit; it also keeps /etc/dracut.conf.d in a git clone
    h.etc['etc/dracut.conf.d/compress.conf'] = 'compress="zstd"\n'
    h.execs += ['usr/bin/dracut']


def initramfs_booster(h, c):
    h.etc['etc/booster.yaml'] = (
        '# booster initramfs generator configuration, see booster(1)\n'
        'compression: zstd\n'
        'vconsole: true\n'
        'strip: true\n')
    h.execs += ['usr/bin/booster', 'usr/lib/booster/regenerate_images']


def initramfs_nix(h, c):
    pass


BOOTLOADERS = {'grub-debian': boot_grub_debian, 'grub-arch': boot_grub_arch,
               'grub-bls': boot_grub_bls, 'systemd-boot': boot_sdboot,
               'kernelstub': boot_kernelstub, 'ostree': boot_ostree,
               'refind': boot_refind, 'limine': boot_limine,
               'nixos': boot_nixos, 'none': boot_none}
INITRAMFS = {'initramfs-tools': initramfs_tools, 'mkinitcpio': initramfs_mkinitcpio,
             'dracut': initramfs_dracut, 'booster': initramfs_booster,
             'nix': initramfs_nix}

MACHINE_ID = {'fedora-dracut-bls': 'c3f2a1b0d9e84f7a8b6c5d4e3f2a1b0c'}
OSTREE_CSUM = 'e5c2b7a93f0d4168a2b9c7d3e1f04a6b8c2d5e7f9a1b3c5d7e9f0a2b4c6d8e0f'


def nix_hash(name):
    """A store path hash: 32 characters of Nix's base32 (no e, o, t, u)."""
    alpha = '0123456789abcdfghijklmnpqrsvwxyz'
    c = zlib.crc32(name.encode())
    out = ''
    for i in range(32):
        c = (c * 1103515245 + 12345 + i) & 0xffffffff
        out += alpha[(c >> 16) % 32]
    return out + '-' + name


NIX_SYSTEM = nix_hash('nixos-system-nixos-24.05.5518.ecbc1ca8ffd6')
NIX_KERNEL = nix_hash('linux-6.6.57')
NIX_INITRD = nix_hash('initrd-linux-6.6.57')

# name -> config.  Keys: distro (OS_RELEASE), hw ('amd'/'intel'), kernel,
# ext (module suffix), vfio (None/'builtin'), gpu/gpu_drv (the GPU to pass),
# host_gpu/host_gpu_drv (AMD boards), boot, initramfs, cmdline (proc/cmdline
# after the root=... part is filled in with {uuid}), and per-loader keys.
DISTRO_HOSTS = {
    # seed 003: Ubuntu, GTX 970 on nouveau for the VM, RX 580 for the host;
    # the seed's "quiet iommu=pt" edit and its (wrong) vfio.conf.
    'ubuntu-grub': dict(
        distro='ubuntu2204', hw='amd', kernel='5.15.0-91-generic', ext='.ko',
        vfio='builtin', gpu='gtx970', gpu_drv='nouveau', host_gpu='rx580',
        host_gpu_drv='amdgpu', boot='grub-debian', initramfs='initramfs-tools',
        grub='quiet splash iommu=pt', group_type='identity',
        cmdline='BOOT_IMAGE=/boot/vmlinuz-{kver} root=UUID={uuid} ro quiet splash '
                'iommu=pt vt.handoff=7',
        etc={'etc/modprobe.d/vfio.conf': 'softdep nouveau pre: vfio-pci\n'
                                         'options vfio-pci ids=8086:0151,8086:0e31,10de:13c2\n',
             'etc/modprobe.d/amd64-microcode-blacklist.conf': AMD_UCODE_BLACKLIST}),
    # seed 002: Manjaro, RX 560 for the VM; the seed's GRUB line with the
    # invalid amd_iommu=on, MODULES=() still empty, and its vfio.conf with the
    # card's subsystem id 148c:2385 taken for the device id.
    'arch-grub-mkinitcpio': dict(
        distro='manjaro', hw='amd', kernel='6.6.54-2-MANJARO', ext='.ko.zst',
        vfio=None, gpu='rx560', gpu_drv='amdgpu', host_gpu='gtx1060',
        host_gpu_drv='nouveau', boot='grub-arch', initramfs='mkinitcpio',
        kimage='6.6-x86_64', preset='linux66',
        grub='quiet udev.log_priority=3 audit=0 amd_iommu=on iommu=pt',
        group_type='identity',
        cmdline='BOOT_IMAGE=/boot/vmlinuz-6.6-x86_64 root=UUID={uuid} rw quiet '
                'udev.log_priority=3 audit=0 amd_iommu=on iommu=pt',
        etc={'etc/modprobe.d/vfio.conf': 'options vfio-pci ids=148c:2385,1002:aae0\n'}),
    # Fedora 40 Workstation, RPM Fusion's akmod-nvidia (it adds the nouveau
    # blacklist to GRUB_CMDLINE_LINUX and to every BLS entry).
    'fedora-dracut-bls': dict(
        distro='fedora40', hw='intel', kernel='6.11.4-201.fc40.x86_64', ext='.ko.xz',
        vfio=None, gpu='rtx3070', gpu_drv='nvidia', boot='grub-bls',
        initramfs='dracut', fstype='btrfs', boot_part=True,
        grub_linux='rhgb quiet rd.driver.blacklist=nouveau modprobe.blacklist=nouveau',
        bls_kernels=['6.8.5-301.fc40.x86_64', '6.11.4-201.fc40.x86_64'],
        cmdline='BOOT_IMAGE=(hd0,gpt2)/vmlinuz-{kver} root=UUID={uuid} ro '
                'rootflags=subvol=root rhgb quiet rd.driver.blacklist=nouveau '
                'modprobe.blacklist=nouveau',
        nvidia_dir='extra/nvidia/'),
    'arch-systemd-boot': dict(
        distro='arch', hw='intel', kernel='6.11.5-arch1-1', ext='.ko.zst',
        vfio=None, gpu='rx580', gpu_drv='amdgpu', boot='systemd-boot',
        initramfs='mkinitcpio', kimage='linux', preset='linux', efi_at='/boot',
        opts='quiet',
        cmdline='initrd=\\intel-ucode.img initrd=\\initramfs-linux.img '
                'root=UUID={uuid} rw quiet'),
    'popos-kernelstub': dict(
        distro='popos2204', hw='amd', kernel='6.9.3-76060903-generic', ext='.ko.zst',
        vfio=None, gpu='gtx1060', gpu_drv='nvidia', host_gpu='rx580',
        host_gpu_drv='amdgpu', boot='kernelstub', initramfs='initramfs-tools',
        cmdline='initrd=\\EFI\\Pop_OS-{uuid}\\initrd.img root=UUID={uuid} ro quiet '
                'loglevel=0 systemd.show_status=false splash',
        nvidia_dir='updates/dkms/',
        etc={'etc/modprobe.d/amd64-microcode-blacklist.conf': AMD_UCODE_BLACKLIST}),
    'silverblue': dict(
        distro='silverblue40', hw='intel', kernel='6.11.4-201.fc40.x86_64',
        ext='.ko.xz', vfio=None, gpu='gtx1060', gpu_drv='nouveau', boot='ostree',
        initramfs='dracut', fstype='btrfs', boot_part=True, ostree_csum=OSTREE_CSUM,
        ostree_opts='rhgb quiet root=UUID={uuid} rootflags=subvol=root rw '
                    'ostree=/ostree/boot.1/fedora/%s/0' % OSTREE_CSUM,
        cmdline='BOOT_IMAGE=(hd0,gpt2)/ostree/fedora-%s/vmlinuz-{kver} rhgb quiet '
                'root=UUID={uuid} rootflags=subvol=root rw '
                'ostree=/ostree/boot.1/fedora/%s/0' % (OSTREE_CSUM, OSTREE_CSUM)),
    'refind-host': dict(
        distro='debian12', hw='amd', kernel='6.1.0-27-amd64', ext='.ko', vfio=None,
        gpu='rtx3070', gpu_drv='nouveau', host_gpu='rx580', host_gpu_drv='amdgpu',
        boot='refind', initramfs='initramfs-tools', opts='quiet',
        cmdline='root=UUID={uuid} ro quiet initrd=boot\\initrd.img-{kver}',
        etc={'etc/modprobe.d/amd64-microcode-blacklist.conf': AMD_UCODE_BLACKLIST}),
    'limine-host': dict(
        distro='arch', hw='amd', kernel='6.11.5-arch1-1', ext='.ko.zst', vfio=None,
        gpu='rtx3070', gpu_drv='nvidia', host_gpu='rx580', host_gpu_drv='amdgpu',
        boot='limine', initramfs='booster', efi_at='/boot', opts='quiet',
        cmdline='root=UUID={uuid} rw quiet', nvidia_dir='extramodules/'),
    'nixos': dict(
        distro='nixos2405', hw='amd', kernel='6.6.57', ext='.ko.xz', vfio=None,
        gpu='gtx970', gpu_drv='nouveau', host_gpu='rx580', host_gpu_drv='amdgpu',
        boot='nixos', initramfs='nix', efi_at='/boot',
        nix_entry='title NixOS\nversion Generation 1 NixOS Uakari 24.05.5518.ecbc1ca8ffd6 '
                  '(Linux 6.6.57), built on 2024-10-25\n'
                  'linux /EFI/nixos/%s-bzImage.efi\ninitrd /EFI/nixos/%s-initrd.efi\n'
                  'options init=/nix/store/%s/init loglevel=4\nmachine-id '
                  '5e1f0a9b3c7d4e2f8a6b1c0d9e8f7a6b\n' % (NIX_KERNEL, NIX_INITRD, NIX_SYSTEM),
        cmdline='initrd=\\EFI\\nixos\\%s-initrd.efi init=/nix/store/%s/init loglevel=4'
                % (NIX_INITRD, NIX_SYSTEM)),
    'unknown-boot': dict(
        distro='debian12', hw='intel', kernel='6.1.0-27-amd64', ext='.ko', vfio=None,
        gpu='gtx1060', gpu_drv='nouveau', boot='none', initramfs='initramfs-tools',
        cmdline='root=UUID={uuid} ro quiet initrd=\\initrd.img',
        etc={'etc/modprobe.d/intel-microcode-blacklist.conf': INTEL_UCODE_BLACKLIST}),
}


def distro_host(name):
    c = DISTRO_HOSTS[name]
    h = Host(name)
    h.distro = c['distro']
    h.osrelease = c['kernel']
    h.iommu = c['hw']
    h.cpu = 'R5-3600' if c['hw'] == 'amd' else 'i7-9700K'
    h.ncpu = 4
    h.group_type = c.get('group_type', 'DMA-FQ')
    h.root_uuid = uuid_for(name, 'root')
    c = dict(c, parts=3 if c.get('boot_part') else 2,
             machine_id=MACHINE_ID.get(name, ''))
    for k in ('ostree_opts',):
        if k in c:
            c[k] = c[k].replace('{uuid}', h.root_uuid)
    h.cmdline = c['cmdline'].replace('{uuid}', h.root_uuid).replace('{kver}', h.osrelease)
    h.grub = c.get('grub')
    if c['hw'] == 'amd':
        hw_amd(h, c)
    else:
        hw_intel(h, c)
    efi_at = c.get('efi_at', '/boot/efi')
    if c.get('boot_part'):
        h.mounts = mounts_for('/dev/nvme0n1p3', fstype=c.get('fstype', 'ext4'),
                              efi='/dev/nvme0n1p1',
                              root_opts='rw,relatime,seclabel,compress=zstd:1,ssd,'
                                        'discard=async,space_cache=v2,subvolid=257,subvol=/root',
                              extra=[('/dev/nvme0n1p2', '/boot', 'ext4',
                                      'rw,relatime,seclabel', '0', '0')])
    else:
        h.mounts = mounts_for('/dev/nvme0n1p2', efi='/dev/nvme0n1p1', efi_at=efi_at)
    h.mem_kb = 32803480
    ext = c['ext']
    h.mod_ext = ext
    kver = tuple(int(x) for x in h.osrelease.split('-')[0].split('.')[:2])
    vdep = [] if c['vfio'] == 'builtin' else (
        vfio_dep_612(ext) if kver >= (6, 2) else vfio_dep_61(ext))
    # a distro kernel ships every in-tree GPU driver, loaded or not
    h.modules_dep = (vdep + kvm_dep(ext, c['hw']) +
                     drm_dep(ext, ['i915', 'nouveau', 'amdgpu']) + base_dep(ext))
    if 'nvidia' in (c['gpu_drv'], c.get('host_gpu_drv')):
        h.modules_dep += nvidia_dep(ext, c['nvidia_dir'])
    h.modules_builtin = list(BUILTIN_COMMON)
    if c['vfio'] == 'builtin':
        h.modules_builtin = sorted(h.modules_builtin + [
            'kernel/drivers/vfio/vfio.ko',
            'kernel/drivers/vfio/vfio_iommu_type1.ko',
            'kernel/drivers/vfio/vfio_virqfd.ko',
            'kernel/drivers/vfio/pci/vfio-pci.ko'])
    if c['gpu_drv'] == 'nvidia' or c.get('host_gpu_drv') == 'nvidia':
        h.files['dev/nvidia0'] = ''
        h.files['dev/nvidiactl'] = ''
    h.etc.update(c.get('etc', {}))
    if h.distro != 'nixos2405':
        h.etc['etc/machine-id'] = (c['machine_id'] or
                                   uuid_for(name, 'machine-id').replace('-', '')) + '\n'
    BOOTLOADERS[c['boot']](h, c)
    INITRAMFS[c['initramfs']](h, c)
    return h


for _name in DISTRO_HOSTS:
    HOSTS[_name] = (lambda n: lambda: distro_host(n))(_name)


NAMED = ['desktop-nvidia', 'laptop-muxless', 'amd-b550', 'amd-b550-acs',
         'n100-sriov', 'iommu-off', 'bios-host'] + list(DISTRO_HOSTS)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog='mkhost.py',
        description='Write a fake Linux host (sysfs/procfs/etc layout) for '
                    'vfiokit --root DIR.  Hosts: %s; "server" is generated '
                    '(--functions N).' % ', '.join(NAMED))
    ap.add_argument('outdir', nargs='?', help='output directory (absent or empty)')
    ap.add_argument('hostname', nargs='?', help='host to write')
    ap.add_argument('--all', metavar='DIR',
                    help='write every example host into DIR/<name>/')
    ap.add_argument('--list', action='store_true',
                    help='print the example host names')
    ap.add_argument('--functions', type=int, default=None, metavar='N',
                    help='server only: about N PCI functions (1..16384)')
    a = ap.parse_args(argv)
    if a.list:
        for n in NAMED:
            print(n)
        return 0
    if a.all:
        if a.outdir or a.hostname:
            ap.error('--all takes no other arguments')
        os.makedirs(a.all, exist_ok=True)
        for n in NAMED:
            write_host(HOSTS[n](), os.path.join(a.all, n))
        return 0
    if not a.outdir or not a.hostname:
        ap.error('need OUTDIR HOSTNAME (or --all DIR, or --list)')
    if a.hostname not in HOSTS:
        ap.error('unknown host %r (try --list; "server" is generated)'
                 % a.hostname)
    if a.functions is not None:
        if a.hostname != 'server':
            ap.error('--functions only applies to the server host')
        if not 16 <= a.functions <= 16384:
            ap.error('--functions must be between 16 and 16384')
        h = HOSTS['server'](a.functions)
    else:
        h = HOSTS[a.hostname]()
    write_host(h, a.outdir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
