#!/bin/bash
# golden.sh — tests/cli/golden.sh for `hooks` on a copy of examples/hosts/bios-host with layers of
# tests/fixtures/hooks laid over it. LAYERS is comma-separated: a directory name adds that layer,
# "-dm" removes the display-manager.service link (a host without a display manager).
# usage: golden.sh VFIOKIT SRCDIR NAME LAYERS ARGS...
set -u
vfiokit=$1 src=$2 name=$3 layers=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/bios-host
cp -a "$src/examples/hosts/bios-host" "$root" || exit 1
IFS=, read -ra list <<<"$layers"
for l in "${list[@]}"; do
        case $l in
        -dm) rm -f "$root/etc/systemd/system/display-manager.service" ;;
        *) cp -a "$src/tests/fixtures/hooks/$l/." "$root/" || exit 1 ;;
        esac
done
[ -f "$root/etc/libvirt/hooks/qemu" ] && chmod 0750 "$root/etc/libvirt/hooks/qemu"
"$src/tests/cli/golden.sh" "$vfiokit" "$src" "$name" --root-copy "$root" "$@"
