#!/bin/sh
# /guest-tests.sh — runs inside the test VM (busybox sh) after /init loaded the modules.
#
# Prints a TAP-like line per check it can decide here ("ok - NAME" / "not ok - NAME: why")
# and dumps what the kernel says (sysfs, /sys/kernel/iommu_groups, lspci) and what vfiokit
# says (JSON) between "----- BEGIN name -----" / "----- END name -----" markers, for
# tests/vm/check.py to compare on the host side. Ends with "# guest: N passed, M failed"
# and exits with the number of failures.
#
# Phases: (1) the machine as booted: list/show/status against the kernel; (2) capture, and
# the capture read back with --root; (3) the NVMe's two SR-IOV VFs created (autoprobe off)
# and the same comparisons again.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
passed=0
failed=0
T=30 # seconds any one vfiokit command may take

ok() { echo "ok - $1"; passed=$((passed + 1)); }
notok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }
check() { # check NAME WHY-IF-NOT COMMAND...
        name=$1 why=$2
        shift 2
        if "$@"; then ok "$name"; else notok "$name" "$why"; fi
}
begin() { echo "----- BEGIN $1 -----"; }
end() { echo "----- END $1 -----"; }
dump_file() { # dump_file SECTION FILE
        begin "$1"
        cat "$2"
        # a last line without newline would glue onto the END marker
        [ -s "$2" ] && [ "$(tail -c 1 "$2" | od -An -c | tr -d ' ')" != '\n' ] && echo
        end "$1"
}
# vk NAME EXPECTED-STATUSES ARGS...: run vfiokit, keep stdout in /tmp/out/NAME, stderr in .err
mkdir -p /tmp/out
vk() {
        name=$1 want=$2
        shift 2
        read -r t0 _ </proc/uptime
        timeout $T vfiokit "$@" >"/tmp/out/$name" 2>"/tmp/out/$name.err"
        rc=$?
        read -r t1 _ </proc/uptime
        case " $want " in
        *" $rc "*) ok "vfiokit $* (exit $rc, $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s)" ;;
        *)
                notok "vfiokit $*" "exit $rc, expected one of $want; stderr: $(head -c 400 "/tmp/out/$name.err" | tr '\n' ' ')"
                ;;
        esac
        return $rc
}

sysfs_dump() { # what the kernel says about every PCI function, "D ADDR KEY VALUE"
        for d in /sys/bus/pci/devices/*; do
                a=${d##*/}
                echo "D $a path $(readlink -f "$d")"
                for attr in vendor device class subsystem_vendor subsystem_device revision boot_vga \
                        reset_method driver_override sriov_totalvfs sriov_numvfs sriov_drivers_autoprobe; do
                        [ -e "$d/$attr" ] || continue
                        v=$(cat "$d/$attr" 2>/dev/null) || v='<unreadable>'
                        echo "D $a $attr $v"
                done
                [ -L "$d/driver" ] && echo "D $a driver $(basename "$(readlink "$d/driver")")"
                [ -L "$d/iommu_group" ] && echo "D $a iommu_group $(basename "$(readlink "$d/iommu_group")")"
                [ -L "$d/physfn" ] && echo "D $a physfn $(basename "$(readlink "$d/physfn")")"
                for v in "$d"/virtfn*; do
                        [ -L "$v" ] && echo "D $a ${v##*/} $(basename "$(readlink "$v")")"
                done
                for c in "$d"/drm/card*; do
                        [ -e "$c" ] && echo "D $a drm ${c##*/}"
                done
        done
        for g in /sys/kernel/iommu_groups/*; do
                for dev in "$g"/devices/*; do
                        [ -e "$dev" ] && echo "G ${g##*/} ${dev##*/}"
                done
        done
}

# snapshot TAG: the kernel's view, lspci's view and vfiokit's list/show, all dumped
snapshot() {
        tag=$1
        sysfs_dump >/tmp/out/sysfs-$tag
        dump_file "sysfs $tag" /tmp/out/sysfs-$tag
        if timeout $T lspci -vmm -nn -k -D >/tmp/out/lspci-$tag 2>/tmp/out/lspci-$tag.err; then
                ok "lspci -vmm -nn -k -D ($tag)"
        else
                notok "lspci ($tag)" "$(head -c 300 /tmp/out/lspci-$tag.err)"
        fi
        dump_file "lspci $tag" /tmp/out/lspci-$tag
        if vk list-json-$tag 0 list --all --json; then
                case $(head -c 1 /tmp/out/list-json-$tag) in
                '{') ok "list --all --json starts a JSON object ($tag)" ;;
                *) notok "list --all --json ($tag)" "output does not start with {" ;;
                esac
        fi
        dump_file "list-json $tag" /tmp/out/list-json-$tag
        for d in /sys/bus/pci/devices/*; do
                a=${d##*/}
                vk "show-$tag-$a" 0 show "$a" --json
                dump_file "show-json $tag $a" "/tmp/out/show-$tag-$a"
        done
}

echo "# vfiokit real-kernel guest tests, kernel $(uname -r)"
echo "# cmdline: $(cat /proc/cmdline)"

# --- the machine ----------------------------------------------------------------
check "vfiokit runs" "vfiokit --version failed: $(vfiokit --version 2>&1 | head -c 300)" \
        sh -c 'vfiokit --version >/dev/null'
echo "# $(vfiokit --version 2>&1)"
check "intel_iommu=on on the cmdline" "$(cat /proc/cmdline)" grep -qw 'intel_iommu=on' /proc/cmdline
check "kernel made IOMMU groups" "/sys/kernel/iommu_groups is empty" \
        sh -c '[ -n "$(ls /sys/kernel/iommu_groups)" ]'
check "/dev/vfio/vfio exists (devtmpfs, vfio loaded)" "no character device /dev/vfio/vfio" test -c /dev/vfio/vfio
for m in vfio vfio_iommu_type1 vfio_pci; do
        check "module $m loaded" "/sys/module/$m missing" test -d /sys/module/$m
done
bound() { ls "/sys/bus/pci/drivers/$1" 2>/dev/null | grep -c '^0000:'; }
check "bochs-drm drives both VGA devices" "bochs-drm has $(bound bochs-drm) devices" \
        test "$(bound bochs-drm)" = 2
check "snd_hda_intel drives the GPU's audio function" "snd_hda_intel has $(bound snd_hda_intel) devices" \
        test "$(bound snd_hda_intel)" = 1
check "e1000e drives the NIC" "e1000e has $(bound e1000e) devices" test "$(bound e1000e)" = 1
check "nvme drives the NVMe PF" "nvme has $(bound nvme) devices" test "$(bound nvme)" = 1

# the NIC carries the default route, so that vfiokit must mark it host-critical
nic=$(ls -d /sys/bus/pci/drivers/e1000e/0000:*/net/* 2>/dev/null | head -n 1)
ifc=${nic##*/}
if [ -n "$ifc" ] && ip link set "$ifc" up && ip addr add 10.0.2.15/24 dev "$ifc" &&
        ip route add default via 10.0.2.2 dev "$ifc"; then
        ok "default route via $ifc (e1000e)"
else
        notok "default route via the e1000e NIC" "could not configure '$ifc'"
fi
begin "proc-net-route"
cat /proc/net/route
end "proc-net-route"
begin "cpu"
grep -m 2 -E '^(vendor_id|model name)' /proc/cpuinfo
end "cpu"
begin "iommu-units"
ls /sys/class/iommu
end "iommu-units"
begin "cmdline"
cat /proc/cmdline
end "cmdline"

# --- phase 1: the machine as booted ----------------------------------------------
snapshot base
vk list-text 0 list
dump_file "list-text" /tmp/out/list-text
vk list-all-text 0 list --all
dump_file "list-all-text" /tmp/out/list-all-text
vk list-dot 0 list --format=dot
dump_file "list-dot" /tmp/out/list-dot
# status exits 1 here: no /dev/kvm and no vmx/svm under TCG; the iommu check is what matters
vk status-json "0 1" status --json
dump_file "status-json" /tmp/out/status-json
vk status-text "0 1" status
dump_file "status-text" /tmp/out/status-text
if grep -Eq '^ *pass +iommu ' /tmp/out/status-text; then
        ok "status: iommu check passes"
else
        notok "status: iommu check passes" "$(grep -E ' iommu ' /tmp/out/status-text | head -n 1)"
fi

# the GPU to pass is the VGA function behind a root port (the other VGA is on the root bus)
gpu=
for d in /sys/bus/pci/devices/*; do
        case $(cat "$d/class") in 0x0300*) ;; *) continue ;; esac
        case $(readlink -f "$d") in */pci0000:00/0000:00:*/0000:*) gpu=${d##*/} ;; esac
done
echo "# GPU to pass: ${gpu:-none}"
if [ -n "$gpu" ]; then
        ok "found the GPU behind the root port ($gpu)"
        short=${gpu#0000:}
        vk show-short 0 show "$short"
        if grep -q "$gpu\|$short" /tmp/out/show-short; then
            ok "show $short (short address) names the device"
        else
            notok "show $short" "output does not name $short"
        fi
        dump_file "show-text $gpu" /tmp/out/show-short
        # two functions have id 1234:1111 (both VGA devices): an ambiguous id is an error listing both
        vk show-ambiguous "1 2" show 1234:1111
        if [ "$(cat /tmp/out/show-ambiguous /tmp/out/show-ambiguous.err | grep -c '00:01.0\|01:00.0')" -ge 2 ]; then
                ok "show 1234:1111 lists both matches"
        else
                notok "show 1234:1111 lists both matches" "$(cat /tmp/out/show-ambiguous.err | head -c 300)"
        fi
else
        notok "found the GPU behind the root port" "no VGA function below a bridge"
fi

# --- phase 2: capture and --root ---------------------------------------------------
if vk capture 0 capture -o /tmp/h.tar; then
        mkdir -p /tmp/cap
        if tar -xf /tmp/h.tar -C /tmp/cap 2>/tmp/out/tar.err; then
                ok "busybox tar unpacks the capture ($(wc -c </tmp/h.tar) bytes, $(tar -tf /tmp/h.tar | wc -l) entries)"
        else
                notok "busybox tar unpacks the capture" "$(head -c 300 /tmp/out/tar.err)"
        fi
        check "capture has the sysfs tree" "no /tmp/cap/sys/bus/pci/devices" test -d /tmp/cap/sys/bus/pci/devices
        vk cap-list-json 0 --root /tmp/cap list --all --json
        dump_file "capture-list-json" /tmp/out/cap-list-json
        vk cap-status-json "0 1" --root /tmp/cap status --json
        dump_file "capture-status-json" /tmp/out/cap-status-json
        if [ -n "$gpu" ]; then
                vk cap-show-json 0 --root /tmp/cap show "$gpu" --json
                dump_file "capture-show-json $gpu" /tmp/out/cap-show-json
        fi
        # the capture must not have written anything to the live system's tree
        check "capture left the tar only" "/tmp/h.tar missing" test -s /tmp/h.tar
fi

# --- phase 3: SR-IOV VFs -----------------------------------------------------------
pf=$(ls -d /sys/bus/pci/drivers/nvme/0000:* 2>/dev/null | head -n 1)
pf=${pf##*/}
if [ -n "$pf" ] && [ -e "/sys/bus/pci/devices/$pf/sriov_totalvfs" ]; then
        ok "NVMe PF $pf has SR-IOV (totalvfs $(cat /sys/bus/pci/devices/$pf/sriov_totalvfs))"
        echo 0 >"/sys/bus/pci/devices/$pf/sriov_drivers_autoprobe"
        if echo 2 >"/sys/bus/pci/devices/$pf/sriov_numvfs"; then
                i=0
                while [ $i -lt 50 ] && ! [ -L "/sys/bus/pci/devices/$pf/virtfn1" ]; do
                        sleep 0.1
                        i=$((i + 1))
                done
                check "2 VFs created" "sriov_numvfs=$(cat /sys/bus/pci/devices/$pf/sriov_numvfs)" \
                        test -L "/sys/bus/pci/devices/$pf/virtfn1"
                snapshot vfs
        else
                notok "echo 2 > sriov_numvfs" "write failed"
        fi
else
        notok "NVMe PF with SR-IOV" "no nvme-bound function with sriov_totalvfs"
fi

echo "# guest: $passed passed, $failed failed"
exit $failed
