#!/bin/bash
# tests/vm/prepare.sh CACHE_DIR — get what the real-kernel test needs, once.
#
# Installs the host tools when they are missing and we are root (qemu-system-x86,
# busybox-static, cpio, kmod, pciutils, pci.ids, python3), then fetches Debian's own
# kernel (the newest linux-image-6.1.0-N-amd64 that apt knows, not -rt, not -cloud)
# with `apt-get download`, unpacks it with `dpkg-deb -x` into CACHE_DIR/root and runs
# `depmod -b CACHE_DIR/root VERSION`. The version is written to CACHE_DIR/kernel-version.
#
# Idempotent: a second run finds CACHE_DIR/kernel-version and does nothing (about 0 s).
# VFIOKIT_VM_REFRESH=1 looks for a newer kernel again. Exit 77 when a tool is missing
# and cannot be installed (not root), so that a caller can report a skip.
set -euo pipefail

cache=${1:?usage: prepare.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
log() { echo "prepare: $*" >&2; }

# --- host tools -------------------------------------------------------------
apt_updated=false
apt_update() {
        $apt_updated && return 0
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        apt_updated=true
}

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
# the initramfs needs the static busybox (the dynamic one would need its libc too)
if ! [ -x /bin/busybox ] || ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
        missing+=(busybox-static)
fi
command -v cpio >/dev/null || missing+=(cpio)
command -v depmod >/dev/null || [ -x /sbin/depmod ] || missing+=(kmod)
command -v lspci >/dev/null || missing+=(pciutils)
[ -r /usr/share/misc/pci.ids ] || missing+=(pci.ids)
command -v python3 >/dev/null || missing+=(python3)
command -v dpkg-deb >/dev/null || missing+=(dpkg)
command -v gzip >/dev/null || missing+=(gzip)

if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
                log "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
                exit 77
        fi
        apt_update
        log "apt-get install ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
export PATH=$PATH:/usr/sbin:/sbin

# --- kernel -----------------------------------------------------------------
if [ -s "$cache/kernel-version" ] && [ "${VFIOKIT_VM_REFRESH:-}" != 1 ]; then
        ver=$(cat "$cache/kernel-version")
        if [ -f "$cache/root/boot/vmlinuz-$ver" ] && [ -s "$cache/root/lib/modules/$ver/modules.dep" ]; then
                log "kernel $ver (cached in $cache)"
                exit 0
        fi
fi

newest_kernel() {
        apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
                awk '{print $1}' | sort -V | tail -n 1
}
pkg=$(newest_kernel)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
        apt_update
        pkg=$(newest_kernel)
fi
if [ -z "$pkg" ]; then
        log "apt-cache lists no linux-image-6.1.0-N-amd64 (run apt-get update; is this Debian 12?)"
        exit 77
fi
ver=${pkg#linux-image-}

if [ -s "$cache/kernel-version" ] && [ "$(cat "$cache/kernel-version")" = "$ver" ] &&
        [ -f "$cache/root/boot/vmlinuz-$ver" ] && [ -s "$cache/root/lib/modules/$ver/modules.dep" ]; then
        log "kernel $ver (cached in $cache, newest)"
        exit 0
fi

log "fetching $pkg"
debs=$cache/debs
mkdir -p "$debs"
rm -f "$debs"/*.deb
# run as root, apt's _apt sandbox user could not write here: download as the caller
(cd "$debs" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg" >&2)
deb=$(ls "$debs"/*.deb)

log "unpacking $(basename "$deb")"
tmp=$(mktemp -d "$cache/root.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
[ -f "$tmp/boot/vmlinuz-$ver" ] || { log "$deb has no boot/vmlinuz-$ver"; exit 1; }
depmod -b "$tmp" "$ver"
rm -rf "$cache/root"
mv "$tmp" "$cache/root"
trap - EXIT
rm -f "$deb"
echo "$ver" >"$cache/kernel-version"
log "kernel $ver ready in $cache/root"
