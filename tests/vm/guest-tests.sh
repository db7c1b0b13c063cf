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
# and the same comparisons again; (4) vfiokit changing the kernel: the guard's refusals,
# bind/unbind/restore of the GPU's group, 20 cycles, two writers at once and the lock,
# sriov --vfs/--bind; (5) only with vfiokit.bench=1 on the kernel command line: the bind
# timed against a shell script doing the same sysfs writes (bench/bind.sh).
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

# --- phase 4: bind, unbind, restore, sriov: vfiokit changing the real kernel ----------
# Every check reads the kernel's own answer (driver links, driver_override, /dev/vfio,
# sriov_numvfs) rather than vfiokit's; "nothing changed" compares a dump of all of it.
J=/run/vfiokit/journal.json
drv() { # the driver of ADDR by its driver link, "none" when unbound
        if [ -L "/sys/bus/pci/devices/$1/driver" ]; then
                basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
        else
                echo none
        fi
}
ovr() { cat "/sys/bus/pci/devices/$1/driver_override" 2>/dev/null || echo '<none>'; }
state() { # every function's driver link, driver_override and VF count; /dev/vfio; the journal
        for d in /sys/bus/pci/devices/*; do
                a=${d##*/}
                echo "$a driver=$(drv "$a") override=$(ovr "$a") numvfs=$(cat "$d/sriov_numvfs" 2>/dev/null || echo -)"
        done
        echo "dev/vfio: $(ls /dev/vfio 2>/dev/null | tr '\n' ' ')"
        if [ -e $J ]; then echo "journal: $(md5sum <$J | cut -d' ' -f1)"; else echo "journal: absent"; fi
}
same_state() { # same_state NAME BEFORE-FILE
        state >/tmp/out/state.now
        if cmp -s "$2" /tmp/out/state.now; then
                ok "$1"
        else
                notok "$1" "$(diff "$2" /tmp/out/state.now | grep '^[-+][^-+]' | tr '\n' ';' | head -c 600)"
        fi
}
has() { # has NAME FILE PATTERN: grep -q, as a check that shows the file when it fails
        if grep -q -- "$3" "$2"; then
                ok "$1"
        else
                notok "$1" "no '$3' in: $(head -c 400 "$2" | tr '\n' ' ')"
        fi
}
is_drv() { # is_drv NAME ADDR DRIVER
        d=$(drv "$2")
        if [ "$d" = "$3" ]; then ok "$1"; else notok "$1" "$2 driver link is $d, expected $3"; fi
}
journal_section() { # journal_section NAME: the journal's text for check.py
        begin "journal $1"
        [ -e $J ] && cat $J && echo
        end "journal $1"
}

if [ -z "$gpu" ] || [ -z "$pf" ]; then
        notok "phase 4: bind/unbind/sriov" "no GPU behind a root port or no NVMe PF (gpu='$gpu' pf='$pf')"
else
        audio=${gpu%.*}.1
        group=$(basename "$(readlink "/sys/bus/pci/devices/$gpu/iommu_group")")
        rootport=$(basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$gpu")")")
        nicdev=$(ls -d /sys/bus/pci/drivers/e1000e/0000:* 2>/dev/null | head -n 1)
        nicdev=${nicdev##*/}
        bootvga=
        for d in /sys/bus/pci/devices/*; do
                [ "$(cat "$d/boot_vga" 2>/dev/null)" = 1 ] && bootvga=${d##*/}
        done
        orig_gpu=$(drv "$gpu")
        orig_audio=$(drv "$audio")
        read -r p4 _ </proc/uptime
        echo "# phase 4: GPU $gpu ($orig_gpu) + audio $audio ($orig_audio) in group $group behind $rootport;" \
                "NIC $nicdev; boot display $bootvga; NVMe PF $pf"
        begin "phase4-devices"
        echo "gpu $gpu"
        echo "audio $audio"
        echo "group $group"
        end "phase4-devices"
        state >/tmp/out/state.boot

        # refusals: exit 3, a reason naming the device, and not one byte of sysfs changed
        refused() { # refused NAME ADDR WHY-PATTERN
                state >/tmp/out/state.before
                vk "refuse-$1" 3 bind "$2"
                echo "# it said: $(tr '\n' ' ' <"/tmp/out/refuse-$1.err")"
                has "bind $2 ($1): the refusal says why" "/tmp/out/refuse-$1.err" "$3"
                same_state "bind $2 ($1) refused: nothing changed" /tmp/out/state.before
        }
        refused bridge "$rootport" "bridge"
        refused nic "$nicdev" "default-route"
        refused display "$bootvga" "active display"
        # the NVMe PF with the two VFs of phase 3: vfio-pci refuses a PF with VFs
        if [ "$(cat "/sys/bus/pci/devices/$pf/sriov_numvfs" 2>/dev/null)" -gt 0 ] 2>/dev/null; then
                refused pf-with-vfs "$pf" "SR-IOV PF"
        else
                notok "bind NVMe PF with VFs refused" "the PF $pf has no VFs at this point"
        fi
        # --force-host-device lifts the guard: a dry run of the NIC then plans it (and changes nothing)
        state >/tmp/out/state.before
        vk force-dry 0 bind "$nicdev" --force-host-device "$nicdev" --dry-run
        has "bind NIC --force-host-device --dry-run plans the NIC" /tmp/out/force-dry "$nicdev"
        same_state "bind --dry-run changed nothing" /tmp/out/state.before
        # unbind of a group vfiokit never bound: an error, nothing changed
        vk unbind-unknown 1 unbind "$gpu"
        has "unbind of a never-bound group says the journal has no entry" /tmp/out/unbind-unknown.err "journal has no entry"
        same_state "unbind of a never-bound group changed nothing" /tmp/out/state.before

        # boot plan against the real sysfs: the initramfs has no bootloader, so nothing is changed (exit 1) and the
        # exact options are printed for the user to add. The two bochs VGA devices share one id, so the plain plan
        # refuses (vfio-pci.ids would take the boot display too); --force shows the rest
        vk boot-plan-shared 3 boot plan "$gpu"
        has "boot plan in the VM: refuses an id the boot display shares" /tmp/out/boot-plan-shared.err "has the id .* too"
        vk boot-plan 1 boot plan "$gpu" --force
        has "boot plan in the VM: unknown bootloader" /tmp/out/boot-plan "bootloader:     unknown"
        has "boot plan in the VM: says nothing will be changed" /tmp/out/boot-plan "nothing will be changed"
        has "boot plan in the VM: prints the options to add" /tmp/out/boot-plan "add to the kernel command line yourself: "
        # boot verify before bind: this boot's IOMMU options are reported, the group is not on vfio-pci (exit 1)
        vk boot-verify-before 1 boot verify "$gpu"
        has "boot verify before bind: intel_iommu=on is set" /tmp/out/boot-verify-before "pass  kernel command line: intel_iommu=on is set"
        has "boot verify before bind: iommu=pt is set" /tmp/out/boot-verify-before "pass  kernel command line: iommu=pt is set"
        has "boot verify before bind: the GPU is not on vfio-pci" /tmp/out/boot-verify-before "FAIL  $gpu driver"
        has "boot verify before bind: the fix names vfiokit bind" /tmp/out/boot-verify-before "vfiokit bind $gpu"

        # bind the GPU: GPU and audio together, /dev/vfio/GROUP, the journal
        if vk bind-gpu 0 bind "$gpu" --json; then
                # boot verify after bind: the group's checks pass
                vk boot-verify-after 0 boot verify "$gpu"
                has "boot verify after bind: GPU on vfio-pci" /tmp/out/boot-verify-after "pass  $gpu driver: vfio-pci"
                has "boot verify after bind: audio on vfio-pci" /tmp/out/boot-verify-after "pass  $audio driver: vfio-pci"
                dump_file "bind-json" /tmp/out/bind-gpu
                is_drv "bind $gpu: GPU on vfio-pci (driver link)" "$gpu" vfio-pci
                is_drv "bind $gpu: audio $audio on vfio-pci too (driver link)" "$audio" vfio-pci
                for a in "$gpu" "$audio"; do
                        o=$(ovr "$a")
                        if [ "$o" = vfio-pci ]; then ok "bind: $a driver_override is vfio-pci"; else notok "bind: $a driver_override" "'$o'"; fi
                done
                check "bind: /dev/vfio/$group appeared" "no character device /dev/vfio/$group ($(ls /dev/vfio | tr '\n' ' '))" \
                        test -c "/dev/vfio/$group"
                check "bind: journal $J written" "no $J" test -s $J
                has "bind: journal records bochs-drm" $J '"bochs-drm"'
                has "bind: journal records snd_hda_intel" $J '"snd_hda_intel"'
                journal_section "after bind"
                state >/tmp/out/state.bound
                # idempotent: a second bind changes nothing and says so
                vk bind-again 0 bind "$gpu"
                if [ "$(grep -c '(already)' /tmp/out/bind-again)" = 2 ]; then
                        ok "second bind says both functions are already on vfio-pci"
                else
                        notok "second bind says (already) twice" "$(head -c 300 /tmp/out/bind-again | tr '\n' ' ')"
                fi
                same_state "second bind changed nothing (sysfs, /dev/vfio, journal)" /tmp/out/state.bound
                # unbind: both back to their drivers, override cleared, journal removed
                vk unbind-gpu 0 unbind "$gpu" --json
                dump_file "unbind-json" /tmp/out/unbind-gpu
                is_drv "unbind $gpu: GPU back on $orig_gpu" "$gpu" "$orig_gpu"
                is_drv "unbind $gpu: audio back on $orig_audio" "$audio" "$orig_audio"
                for a in "$gpu" "$audio"; do
                        o=$(ovr "$a")
                        if [ "$o" = "(null)" ]; then ok "unbind: $a driver_override back to (null)"; else notok "unbind: $a driver_override" "'$o'"; fi
                done
                check "unbind: journal removed" "$J still exists: $(cat $J 2>/dev/null | tr '\n' ' ' | head -c 300)" test ! -e $J
                check "unbind: /dev/vfio/$group gone" "/dev/vfio has $(ls /dev/vfio | tr '\n' ' ')" test ! -e "/dev/vfio/$group"
                same_state "bind + unbind: every function as it was at the start" /tmp/out/state.boot
        fi

        # the audio function alone moves the whole group, from the unbound state
        if vk bind-audio 0 bind "$audio"; then
                is_drv "bind $audio alone: audio on vfio-pci" "$audio" vfio-pci
                is_drv "bind $audio alone: GPU $gpu on vfio-pci too (never a partial group)" "$gpu" vfio-pci
                vk unbind-audio 0 unbind "$audio"
                same_state "unbind $audio: every function as it was at the start" /tmp/out/state.boot
        fi

        # dry run: plans both functions, changes nothing
        vk bind-dry 0 bind "$gpu" --dry-run
        if [ "$(grep -c 'dry run' /tmp/out/bind-dry)" = 2 ]; then
                ok "bind --dry-run plans both functions"
        else
                notok "bind --dry-run plans both functions" "$(head -c 300 /tmp/out/bind-dry | tr '\n' ' ')"
        fi
        same_state "bind --dry-run of the GPU changed nothing" /tmp/out/state.boot

        # restore: after a bind, with no journal, with a corrupt one
        if vk bind-for-restore 0 bind "$gpu"; then
                vk restore 0 restore
                same_state "restore after a bind: every function as it was at the start, journal gone" /tmp/out/state.boot
        fi
        vk restore-empty 0 restore
        has "restore with no journal says there is nothing to restore" /tmp/out/restore-empty "nothing to restore"
        same_state "restore with no journal changed nothing" /tmp/out/state.boot
        mkdir -p /run/vfiokit
        printf 'this is {not JSON\n' >$J
        state >/tmp/out/state.before
        vk restore-corrupt 1 restore
        echo "# it said: $(tr '\n' ' ' </tmp/out/restore-corrupt.err)"
        has "restore with a corrupt journal says so" /tmp/out/restore-corrupt.err "corrupt"
        same_state "restore with a corrupt journal changed nothing (the journal kept)" /tmp/out/state.before
        vk bind-corrupt 1 bind "$gpu"
        same_state "bind with a corrupt journal changed nothing" /tmp/out/state.before
        rm -f $J

        # 20 bind/unbind cycles leave the machine exactly as it was
        read -r c0 _ </proc/uptime
        cyc_fail=0
        i=0
        while [ $i -lt 20 ]; do
                i=$((i + 1))
                timeout $T vfiokit bind "$gpu" >/tmp/out/cyc 2>&1 || { cyc_fail=$((cyc_fail + 1)); echo "# cycle $i bind: $(tr '\n' ' ' </tmp/out/cyc)"; }
                [ "$(drv "$gpu")/$(drv "$audio")" = vfio-pci/vfio-pci ] || { cyc_fail=$((cyc_fail + 1)); echo "# cycle $i: after bind $(drv "$gpu")/$(drv "$audio")"; }
                timeout $T vfiokit unbind "$gpu" >/tmp/out/cyc 2>&1 || { cyc_fail=$((cyc_fail + 1)); echo "# cycle $i unbind: $(tr '\n' ' ' </tmp/out/cyc)"; }
                [ "$(drv "$gpu")/$(drv "$audio")" = "$orig_gpu/$orig_audio" ] || { cyc_fail=$((cyc_fail + 1)); echo "# cycle $i: after unbind $(drv "$gpu")/$(drv "$audio")"; }
        done
        read -r c1 _ </proc/uptime
        if [ $cyc_fail = 0 ]; then
                ok "20 bind/unbind cycles, every step as expected ($(echo "$c0 $c1" | awk '{printf "%.1f", $2 - $1}') s)"
        else
                notok "20 bind/unbind cycles" "$cyc_fail steps failed"
        fi
        same_state "20 bind/unbind cycles: every function as it was at the start, no journal" /tmp/out/state.boot

        # two vfiokit processes at once: the lock serializes them, one moves, the other finds it done
        ( timeout $T vfiokit bind "$gpu" >/tmp/out/conc1 2>&1; echo $? >/tmp/out/conc1.rc ) &
        cpid=$!
        timeout $T vfiokit bind "$gpu" >/tmp/out/conc2 2>&1
        rc2=$?
        wait $cpid
        rc1=$(cat /tmp/out/conc1.rc)
        if [ "$rc1/$rc2" = 0/0 ]; then ok "two concurrent binds both exit 0"; else notok "two concurrent binds" "exits $rc1/$rc2: $(cat /tmp/out/conc1 /tmp/out/conc2 | tr '\n' ' ' | head -c 400)"; fi
        n=$(cat /tmp/out/conc1 /tmp/out/conc2 | grep -c "$orig_gpu → vfio-pci")
        if [ "$n" = 1 ]; then ok "two concurrent binds: exactly one moved the GPU"; else notok "two concurrent binds: exactly one moved the GPU" "$n did: $(cat /tmp/out/conc1 /tmp/out/conc2 | tr '\n' ' ' | head -c 400)"; fi
        has "two concurrent binds: the journal keeps bochs-drm (not vfio-pci)" $J '"bochs-drm"'
        has "two concurrent binds: the journal keeps snd_hda_intel" $J '"snd_hda_intel"'
        vk unbind-conc 0 unbind "$gpu"
        same_state "after the concurrent binds and an unbind: as at the start" /tmp/out/state.boot

        # the lock held by another process: bind waits 10 s, then fails naming the lock
        if command -v flock >/dev/null; then
                mkdir -p /run/vfiokit
                rm -f /tmp/locked
                flock -x /run/vfiokit/lock -c 'touch /tmp/locked; sleep 13' &
                lpid=$!
                i=0
                while ! [ -e /tmp/locked ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
                begin "lock-file-before"
                cat /run/vfiokit/lock
                end "lock-file-before"
                vk bind-locked 1 bind "$gpu"
                echo "# it said: $(tr '\n' ' ' </tmp/out/bind-locked.err)"
                has "bind while another process holds the lock names the lock" /tmp/out/bind-locked.err "/run/vfiokit/lock"
                has "bind while locked says it waited" /tmp/out/bind-locked.err "waited 10 s"
                # the holder is flock(1), not vfiokit: a pid in the message must at least be alive
                lp=$(sed -n 's/.*another vfiokit pid \([0-9]*\) .*/\1/p' /tmp/out/bind-locked.err)
                if [ -z "$lp" ] || [ -d "/proc/$lp" ]; then
                        ok "bind while locked names no stale pid${lp:+ (pid $lp is alive)}"
                else
                        notok "bind while locked names no stale pid" "it names pid $lp, which does not exist (the lock is held by flock pid $lpid; the lock file says '$(tr -d '\n' </run/vfiokit/lock)')"
                fi
                same_state "bind while locked changed nothing" /tmp/out/state.boot
                wait $lpid
        else
                echo "# SKIP lock test: no flock(1) in the initramfs"
        fi

        # SR-IOV through vfiokit: remove phase 3's VFs, create 2 with VF 1 on vfio-pci, refuse, remove
        sysd=/sys/bus/pci/devices/$pf
        if [ -n "$pf" ]; then
                vk sriov-0 0 sriov "$pf" --vfs 0
                check "sriov --vfs 0: sriov_numvfs 0, no virtfn links" "numvfs $(cat $sysd/sriov_numvfs), $(ls $sysd | grep virtfn | tr '\n' ' ')" \
                        sh -c "[ \"\$(cat $sysd/sriov_numvfs)\" = 0 ] && ! [ -e $sysd/virtfn0 ]"
                if vk sriov-2 0 sriov "$pf" --vfs 2 --bind 1; then
                        dump_file "sriov-2" /tmp/out/sriov-2
                        vf1=$(basename "$(readlink $sysd/virtfn0)")
                        vf2=$(basename "$(readlink $sysd/virtfn1)")
                        check "sriov --vfs 2: the kernel has 2 VFs ($vf1 $vf2)" "numvfs $(cat $sysd/sriov_numvfs)" \
                                sh -c "[ \"\$(cat $sysd/sriov_numvfs)\" = 2 ] && [ -L $sysd/virtfn1 ]"
                        check "sriov --bind: sriov_drivers_autoprobe is 0" "it is $(cat $sysd/sriov_drivers_autoprobe)" \
                                test "$(cat $sysd/sriov_drivers_autoprobe)" = 0
                        is_drv "sriov --bind 1: VF 1 ($vf1) on vfio-pci" "$vf1" vfio-pci
                        d2=$(drv "$vf2")
                        case $d2 in none | nvme) ok "sriov --bind 1: VF 2 ($vf2) not on vfio-pci ($d2)" ;;
                        *) notok "sriov --bind 1: VF 2 ($vf2) unbound or on nvme" "it is on $d2" ;; esac
                        vfgroup=$(basename "$(readlink "/sys/bus/pci/devices/$vf1/iommu_group")")
                        check "sriov --bind 1: /dev/vfio/$vfgroup for VF 1" "no /dev/vfio/$vfgroup" test -c "/dev/vfio/$vfgroup"
                        has "sriov --bind 1: the journal records VF 1" $J "$vf1"
                        journal_section "after sriov"
                        # changing the count while VF 1 is on vfio-pci would pull it out of a VM
                        state >/tmp/out/state.before
                        # (sriov_totalvfs is 2 here, so --vfs 3 is out of range before the guard looks: exit 1 or 3)
                        vk sriov-3 "1 3" sriov "$pf" --vfs 3
                        echo "# sriov --vfs 3 said: $(tr '\n' ' ' </tmp/out/sriov-3.err)"
                        same_state "sriov --vfs 3 with VF 1 on vfio-pci: nothing changed" /tmp/out/state.before
                        vk sriov-1 3 sriov "$pf" --vfs 1
                        has "sriov --vfs 1 with VF 1 on vfio-pci: refused naming the VF" /tmp/out/sriov-1.err "$vf1"
                        same_state "sriov --vfs 1 refused: nothing changed" /tmp/out/state.before
                        vk sriov-0-busy 3 sriov "$pf" --vfs 0
                        same_state "sriov --vfs 0 refused: nothing changed" /tmp/out/state.before
                        # give VF 1 back, then the VFs can go
                        vk unbind-vf 0 unbind "$vf1"
                        is_drv "unbind $vf1: unbound again (its original state)" "$vf1" none
                        check "unbind $vf1: journal removed" "$J still exists" test ! -e $J
                        vk sriov-0-after 0 sriov "$pf" --vfs 0
                        check "sriov --vfs 0: VFs removed" "numvfs $(cat $sysd/sriov_numvfs); $vf1 exists: $(test -e /sys/bus/pci/devices/$vf1 && echo yes || echo no)" \
                                sh -c "[ \"\$(cat $sysd/sriov_numvfs)\" = 0 ] && ! [ -e /sys/bus/pci/devices/$vf1 ] && ! [ -e /sys/bus/pci/devices/$vf2 ]"
                fi
                state >/tmp/out/state.before
                vk sriov-9 1 sriov "$pf" --vfs 9
                has "sriov --vfs 9: the message names the sriov_totalvfs limit" /tmp/out/sriov-9.err "at most $(cat $sysd/sriov_totalvfs) VFs (sriov_totalvfs)"
                same_state "sriov --vfs 9: nothing changed" /tmp/out/state.before
        fi
        read -r up _ </proc/uptime
        echo "# phase 4 took $(echo "$p4 $up" | awk '{printf "%.1f", $2 - $1}') s"
fi

# --- phase 5 (vfiokit.bench=1 on the kernel command line only): bind timing -------------
# N rounds of (vfiokit bind GPU; vfiokit unbind GPU) against N rounds of a busybox sh
# script doing the same raw sysfs writes (DESIGN.md's bind protocol: driver_override,
# unbind, drivers_probe for both functions, then the reverse), alternating, in this boot.
# Clock: the "now at N nsecs" line of /proc/timer_list (CLOCK_MONOTONIC), read by the shell
# itself, no fork (busybox date has no %N; /proc/uptime has 10 ms steps); adjtimex otherwise.
# Prints "VFIOKIT-BENCH:" lines (bench/bind.sh shows them); never fails on timing.
if grep -qw 'vfiokit.bench=1' /proc/cmdline && [ -n "$gpu" ] && [ -n "$audio" ]; then
        N=10
        cat >/tmp/raw-bind.sh <<RAW
for f in $gpu $audio; do
        echo vfio-pci >/sys/bus/pci/devices/\$f/driver_override
        echo \$f >/sys/bus/pci/devices/\$f/driver/unbind
        echo \$f >/sys/bus/pci/drivers_probe
done
RAW
        cat >/tmp/raw-unbind.sh <<RAW
for f in $gpu $audio; do
        echo >/sys/bus/pci/devices/\$f/driver_override
        echo \$f >/sys/bus/pci/drivers/vfio-pci/unbind
        echo \$f >/sys/bus/pci/drivers_probe
done
RAW
        now=
        { read -r _; read -r _; read -r _ _ now _; } </proc/timer_list 2>/dev/null
        case $now in
        [1-9]*)
                clock="/proc/timer_list (read by the shell, no fork)"
                stamp() { { read -r _; read -r _; read -r _ _ now _; } </proc/timer_list; }
                ;;
        *)
                clock="adjtimex (one fork per stamp)"
                stamp() { now=$(adjtimex 2>/dev/null | awk '/tv_sec/ {s = $2} /tv_usec/ {u = $2} END {printf "%d%06d000", s, u}'); }
                ;;
        esac
        median() { sort -n "$1" | awk '{a[NR] = $1} END {printf "%.1f", ((NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) / 1e6}'; }
        ms() { echo "$1" | awk '{printf "%.1f", $1 / 1e6}'; }
        : >/tmp/b.vb; : >/tmp/b.vu; : >/tmp/b.vr; : >/tmp/b.sb; : >/tmp/b.su; : >/tmp/b.sr; : >/tmp/b.dry; : >/tmp/b.ver
        bench_bad=0
        state >/tmp/out/state.bench
        echo "# bench: $N rounds each, alternating; GPU $gpu + $audio; clock $clock"
        i=0
        while [ $i -lt $N ]; do
                i=$((i + 1))
                stamp; t0=$now
                vfiokit bind "$gpu" >/dev/null 2>&1 || bench_bad=$((bench_bad + 1))
                stamp; t1=$now
                [ "$(drv "$gpu")/$(drv "$audio")" = vfio-pci/vfio-pci ] || bench_bad=$((bench_bad + 1))
                stamp; t2=$now
                vfiokit unbind "$gpu" >/dev/null 2>&1 || bench_bad=$((bench_bad + 1))
                stamp; t3=$now
                [ "$(drv "$gpu")/$(drv "$audio")" = "$orig_gpu/$orig_audio" ] || bench_bad=$((bench_bad + 1))
                vb=$((t1 - t0)) vu=$((t3 - t2))
                echo $vb >>/tmp/b.vb; echo $vu >>/tmp/b.vu; echo $((vb + vu)) >>/tmp/b.vr

                stamp; t0=$now
                sh /tmp/raw-bind.sh 2>/dev/null || bench_bad=$((bench_bad + 1))
                stamp; t1=$now
                [ "$(drv "$gpu")/$(drv "$audio")" = vfio-pci/vfio-pci ] || bench_bad=$((bench_bad + 1))
                stamp; t2=$now
                sh /tmp/raw-unbind.sh 2>/dev/null || bench_bad=$((bench_bad + 1))
                stamp; t3=$now
                [ "$(drv "$gpu")/$(drv "$audio")" = "$orig_gpu/$orig_audio" ] || bench_bad=$((bench_bad + 1))
                sb=$((t1 - t0)) su=$((t3 - t2))
                echo $sb >>/tmp/b.sb; echo $su >>/tmp/b.su; echo $((sb + su)) >>/tmp/b.sr

                # where vfiokit's time goes: the same bind as a dry run (reads the host, writes nothing),
                # and --version (starting the process: the loader and ~20 shared libraries)
                stamp; t0=$now
                vfiokit bind "$gpu" --dry-run >/dev/null 2>&1
                stamp; t1=$now
                vfiokit --version >/dev/null 2>&1
                stamp; t2=$now
                echo $((t1 - t0)) >>/tmp/b.dry
                echo $((t2 - t1)) >>/tmp/b.ver
                echo "# bench round $i: vfiokit bind $(ms $vb) ms, unbind $(ms $vu) ms; shell bind $(ms $sb) ms," \
                        "unbind $(ms $su) ms; vfiokit bind --dry-run $(ms $((t1 - t0))) ms, --version $(ms $((t2 - t1))) ms"
        done
        stamp; t0=$now; stamp; t1=$now # what one stamp costs (included once in every interval above)
        vb=$(median /tmp/b.vb) vu=$(median /tmp/b.vu) vr=$(median /tmp/b.vr)
        sb=$(median /tmp/b.sb) su=$(median /tmp/b.su) sr=$(median /tmp/b.sr)
        ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
        echo "VFIOKIT-BENCH: rounds $N (median ms; a round = bind + unbind of group $group: $gpu $audio)"
        echo "VFIOKIT-BENCH: vfiokit bind $vb unbind $vu round $vr"
        echo "VFIOKIT-BENCH: shell   bind $sb unbind $su round $sr"
        echo "VFIOKIT-BENCH: ratio   bind $(ratio $vb $sb) unbind $(ratio $vu $su) round $(ratio $vr $sr) (target: within 2x)"
        dry=$(median /tmp/b.dry) ver=$(median /tmp/b.ver)
        echo "VFIOKIT-BENCH: vfiokit bind --dry-run $dry, vfiokit --version $ver"
        echo "VFIOKIT-BENCH: vfiokit bind ~ start $ver + read the host $(echo "$dry $ver" | awk '{printf "%.1f", $1 - $2}')" \
                "+ writes and checks $(echo "$vb $dry" | awk '{printf "%.1f", $1 - $2}') (differences of medians)"
        echo "VFIOKIT-BENCH: clock $clock, one stamp $(ms $((t1 - t0))) ms; step failures $bench_bad"
        same_state "bench: every function as it was before the bench, no journal" /tmp/out/state.bench
fi

echo "# guest: $passed passed, $failed failed"
exit $failed
