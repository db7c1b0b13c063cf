#!/bin/bash
# vm-validate.sh — every domain `vfiokit vm new` writes passes libvirt's schema (virt-xml-validate FILE domain) and
# `vfiokit vm lint` finds nothing wrong in it, for each example host and option combination below.
# usage: vm-validate.sh VFIOKIT SRCDIR   (exit 77 when virt-xml-validate is missing; Debian: libvirt-clients)
# With VFIOKIT_LIBVIRT_URI set (qemu:///system), each domain is also defined in that libvirt and undefined again:
# libvirt's own checks against the installed QEMU.
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
command -v virt-xml-validate >/dev/null || { echo "skipped: no virt-xml-validate (Debian: libvirt-clients)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# HOST | vm new arguments [| lint-warns: the options ask for what lint warns about, on purpose
#                          | lint-known: a known false finding of lint; it fails here once lint no longer makes it]
cases=(
        "desktop-nvidia|win11 --gpu 01:00.0 --iso /srv/iso/Win11_23H2.iso --disk 128G --usb 046d:c52b"
        "desktop-nvidia|win10 --gpu 10de:2484 --os win10 --bridge br0 --disk-path /dev/nvme1n1 --disk-bus scsi --rom /srv/rtx3070.rom --smbios-host --no-graphics"
        "desktop-nvidia|deb --gpu 01:00.0 --os linux --network isolated --graphics vnc --cpus 2 --memory 4G --memballoon virtio|lint-warns"
        "desktop-nvidia|igpu --gpu 00:02.0 --force-host-device 00:02.0 --os win10 --tap tap0 --disk-path /var/lib/libvirt/images/igpu.img|lint-warns"
        "desktop-nvidia|nohostdev --no-hostdev --os linux --disk 8G"
        "desktop-nvidia|audio --gpu 01:00.0 --os win10 --audio ich9 --disk 64G"
        "desktop-nvidia|audio-vnc --gpu 01:00.0 --os linux --audio ich9 --graphics vnc"
        "laptop-muxless|win10 --gpu 10de:2191 --os win10 --disk 64G"
        "laptop-muxless|win11 --gpu 01:00.0 --usb 1c7a:0570 --usb 046d:c52b --iso /srv/iso/win11.iso"
        "amd-b550|gaming --gpu 08:00.0 --memory 12G --disk 256G --iso /srv/win.iso"
        "amd-b550-acs|gaming --gpu 08:00.0 --os win10 --disk-bus scsi --disk 100G"
        "n100-sriov|win10 --gpu 00:02.1 --os win10 --tap tap0 --disk 256G --iso /home/user/kvm-win/win10.iso|"
        "bios-host|gtx970 --gpu 06:00.0 --os win10 --disk 200G"
)

fail=0 n=0
for c in "${cases[@]}"; do
        IFS='|' read -r host args expect <<<"$c"
        root=$tmp/$host
        if [ ! -d "$root" ]; then
                cp -a "$src/examples/hosts/$host" "$root" && cp -a "$src/tests/fixtures/vm-overlay/usr" "$root/" || exit 1
        fi
        n=$((n + 1))
        xml=$tmp/$n.xml
        # shellcheck disable=SC2086 # the arguments are words
        if ! "$vfiokit" --root "$root" vm new $args >"$xml" 2>"$tmp/err"; then
                echo "FAIL $host: vm new $args:"
                cat "$tmp/err"
                fail=1
                continue
        fi
        if ! out=$(virt-xml-validate "$xml" domain 2>&1); then
                echo "FAIL $host: vm new $args: not a valid libvirt domain:"
                echo "$out"
                fail=1
                continue
        fi
        if out=$("$vfiokit" --root "$root" vm lint "$xml" 2>&1); then
                if [ "$expect" = lint-known ]; then
                        echo "FAIL $host: vm new $args: lint no longer makes its known false finding; drop lint-known"
                        fail=1
                        continue
                fi
        elif [ "$expect" = lint-known ]; then
                echo "known $host: vm lint's false finding: $(grep -m1 -o 'warning: .*' <<<"$out")"
        elif [ "$expect" != lint-warns ]; then
                echo "FAIL $host: vm new $args: vm lint finds problems in it:"
                echo "$out"
                fail=1
                continue
        fi
        if [ -n "${VFIOKIT_LIBVIRT_URI:-}" ]; then
                name=vfiokit-validate-$$-$n
                sed -i "0,/<name>[^<]*<\/name>/s//<name>$name<\/name>/" "$xml"
                if ! out=$(virsh -c "$VFIOKIT_LIBVIRT_URI" define "$xml" 2>&1); then
                        echo "FAIL $host: vm new $args: libvirt refuses it:"
                        echo "$out"
                        fail=1
                        continue
                fi
                virsh -c "$VFIOKIT_LIBVIRT_URI" undefine --nvram "$name" >/dev/null 2>&1
        fi
        echo "ok   $host: vm new $args"
done
exit $fail
