#!/bin/bash
# tests/vm/mkinitrd.sh CACHE_DIR VFIOKIT_BINARY GUEST_SCRIPT OUTPUT.cpio.gz
#
# Builds the initramfs (cpio newc, gzip) of the real-kernel test:
#   - busybox-static with every applet linked into /bin (so /bin/sh, insmod, poweroff…),
#     /sbin/modprobe for the kernel's own module requests;
#   - the kernel modules the test needs, with their dependencies from modules.dep,
#     under /lib/modules/VERSION with their own modules.dep (depmod), and the load
#     order in /etc/vfiokit-vm/modules (deps first);
#   - vfiokit and every shared library it needs (ldd, with the dynamic loader);
#   - lspci with its libraries, and /usr/share/misc/pci.ids; flock(1) when the host has it;
#   - /init (tests/vm/init.sh) and the guest test script as /guest-tests.sh.
# CACHE_DIR is what prepare.sh made (CACHE_DIR/root, CACHE_DIR/kernel-version).
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

if [ $# -ne 4 ]; then
        echo "usage: mkinitrd.sh CACHE_DIR VFIOKIT_BINARY GUEST_SCRIPT OUTPUT.cpio.gz" >&2
        exit 2
fi
cache=$1 vfiokit=$2 guest=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
ver=$(cat "$cache/kernel-version")
kroot=$cache/root
kmod=$kroot/lib/modules/$ver

# The modules to load, by name; each one's dependencies come from modules.dep.
#  vfio, vfio_iommu_type1, vfio-pci (+ vfio-pci-core, vfio_virqfd, irqbypass): the thing under test
#  nvme: the SR-IOV NVMe;  e1000e: the NIC;  snd-hda-intel (+ codec-generic): the GPU's audio function
#  bochs: the DRM driver of QEMU's "VGA" (1234:1111) — both the boot display and the GPU to pass
MODULES=${VFIOKIT_VM_MODULES:-"vfio vfio_iommu_type1 vfio-pci nvme e1000e snd-hda-intel snd-hda-codec-generic bochs"}

stage=$(mktemp -d "${TMPDIR:-/tmp}/vfiokit-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/share/misc,etc/vfiokit-vm,proc,sys,dev,tmp,run,root,var/lib,lib/modules/"$ver"}

# --- busybox ----------------------------------------------------------------
cp /bin/busybox "$stage/bin/busybox"
for a in $(/bin/busybox --list); do
        [ "$a" = busybox ] && continue
        [ -e "$stage/bin/$a" ] || ln -s busybox "$stage/bin/$a"
done
ln -s ../bin/busybox "$stage/sbin/modprobe"
ln -s ../bin/busybox "$stage/sbin/poweroff"

# --- binaries and their libraries ---------------------------------------------
copy_file() { # copy_file SRC [DEST-in-stage]: keeps the path (and the symlink's target)
        local src=$1 dst=${2:-$1}
        mkdir -p "$stage$(dirname "$dst")"
        if [ -L "$src" ] && [ "$dst" = "$src" ]; then
                local target
                target=$(readlink -f "$src")
                mkdir -p "$stage$(dirname "$target")"
                [ -e "$stage$target" ] || cp "$target" "$stage$target"
                ln -sf "$target" "$stage$dst"
        else
                cp -L "$src" "$stage$dst"
        fi
}
copy_libs() { # copy_libs BINARY: every library ldd names, and the loader
        local lib
        for lib in $(ldd "$1" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}'); do
                [ -e "$stage$lib" ] || copy_file "$lib"
        done
}
[ -x "$vfiokit" ] || { echo "mkinitrd: $vfiokit is not an executable" >&2; exit 1; }
if ldd "$vfiokit" >/dev/null 2>&1; then
        copy_libs "$vfiokit"
fi
copy_file "$vfiokit" /usr/bin/vfiokit
lspci=$(command -v lspci || echo /usr/bin/lspci)
copy_libs "$lspci"
copy_file "$lspci" /usr/bin/lspci
# util-linux flock(1) (busybox has none): the guest holds vfiokit's lock with it to test the waiting
if flock=$(command -v flock); then
        copy_libs "$flock"
        copy_file "$flock" /usr/bin/flock
fi
[ -e /lib64/ld-linux-x86-64.so.2 ] && copy_file /lib64/ld-linux-x86-64.so.2
copy_file /usr/share/misc/pci.ids

# --- kernel modules -------------------------------------------------------------
# modules.dep: "kernel/x/y.ko: dep1.ko dep2.ko" — deps listed so that the last loads first
declare -A seen=()
order=()
path_of() { # module name (- or _) → its path in modules.dep
        local re=${1//[-_]/[-_]}
        awk -F: -v re="(^|/)${re}\\.ko(\\.[gx]z|\\.zst)?$" '$1 ~ re {print $1; exit}' "$kmod/modules.dep"
}
deps_of() {
        awk -F: -v p="$1" '$1 == p {print $2; exit}' "$kmod/modules.dep"
}
add_module() { # add_module PATH: its dependencies first, then itself
        local p=$1 d deps
        [ -n "${seen[$p]:-}" ] && return 0
        seen[$p]=1
        deps=$(deps_of "$p")
        # reversed: modules.dep lists the module loaded last first
        for d in $(echo "$deps" | tr ' ' '\n' | tac); do
                [ -n "$d" ] && add_module "$d"
        done
        order+=("$p")
}
for m in $MODULES; do
        p=$(path_of "$m")
        if [ -z "$p" ]; then
                if grep -Eq "/${m//[-_]/[-_]}\\.ko" "$kmod/modules.builtin" 2>/dev/null; then
                        continue # built in: nothing to load
                fi
                echo "mkinitrd: module $m not in $kmod/modules.dep" >&2
                exit 1
        fi
        add_module "$p"
done
: >"$stage/etc/vfiokit-vm/modules"
for p in "${order[@]}"; do
        dst=$stage/lib/modules/$ver/$p
        mkdir -p "$(dirname "$dst")"
        case $p in
        *.ko.xz) xz -dc "$kmod/$p" >"${dst%.xz}"; p=${p%.xz} ;;
        *.ko.gz) gzip -dc "$kmod/$p" >"${dst%.gz}"; p=${p%.gz} ;;
        *.ko.zst) zstd -qdc "$kmod/$p" >"${dst%.zst}"; p=${p%.zst} ;;
        *) cp "$kmod/$p" "$dst" ;;
        esac
        echo "$p" >>"$stage/etc/vfiokit-vm/modules"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
        [ -e "$kmod/$f" ] && cp "$kmod/$f" "$stage/lib/modules/$ver/"
done
depmod -b "$stage" "$ver"
echo "$ver" >"$stage/etc/vfiokit-vm/kernel-version"

# --- the guest's own files -------------------------------------------------------
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init"
cp "$guest" "$stage/guest-tests.sh"
chmod 755 "$stage/guest-tests.sh"
cat >"$stage/etc/os-release" <<'EOF'
PRETTY_NAME="vfiokit real-kernel test (busybox initramfs)"
NAME="vfiokit-vm"
ID=vfiokit-vm
EOF
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
: >"$stage/etc/fstab"

# --- pack --------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitrd: $out ($(du -k "$out" | cut -f1) KiB, ${#order[@]} modules, kernel $ver)" >&2
