#!/bin/bash
# run.sh — boot the launcher of `vfiokit vm new --format=qemu --no-hostdev` under QEMU TCG and watch OVMF on its
# serial console: proof that the generated firmware, machine, disk and TPM arguments start a VM.
# usage: run.sh VFIOKIT SRCDIR [OS...]   (OS: linux, win10, win11; default: linux win11)
# Exit 77 (skipped) without qemu-system-x86_64, qemu-img or installed OVMF descriptors; win11 needs swtpm.
# What each boot must show within VFIOKIT_BOOT_TIMEOUT seconds (default 60):
#   every OS   "BdsDxe" — OVMF reached its boot manager
#   linux/win10 with mtools: the line a startup.nsh on the VM's qcow2 disk echoes — the firmware read the disk
#   win11      "Security Violation" — Secure Boot with enrolled keys refuses OVMF's unsigned built-in shell
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
shift 2
[ $# -gt 0 ] || set -- linux win11
timeout_s=${VFIOKIT_BOOT_TIMEOUT:-60}
disk_marker=VFIOKIT-DISK-READ-BY-FIRMWARE

skip() {
        echo "skipped: $*"
        exit 77
}
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (Debian: qemu-system-x86)"
command -v qemu-img >/dev/null || skip "no qemu-img (Debian: qemu-utils)"
descriptors=(/usr/share/qemu/firmware/*.json)
[ -e "${descriptors[0]}" ] || skip "no QEMU firmware descriptors in /usr/share/qemu/firmware (Debian: ovmf)"

tmp=$(mktemp -d)
pid=
cleanup() {
        [ -n "$pid" ] && kill -- -"$pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

# A fixture host with the real descriptors, and the files they name at the same paths (vfiokit checks they exist).
root=$tmp/root
cp -a "$src/examples/hosts/desktop-nvidia" "$root" || exit 1
mkdir -p "$root/usr/share/qemu/firmware"
cp "${descriptors[@]}" "$root/usr/share/qemu/firmware/" || exit 1
for f in $(sed -n 's/.*"filename": *"\([^"]*\)".*/\1/p' "${descriptors[@]}" | sort -u); do
        [ -e "$f" ] || continue
        mkdir -p "$root$(dirname "$f")"
        cp -L "$f" "$root$f" || exit 1
done

# The VM's disk: a FAT file system whose startup.nsh the UEFI shell runs, when mtools can make one.
make_disk() {
        if command -v mformat >/dev/null && command -v mcopy >/dev/null; then
                truncate -s 64M "$1.raw" &&
                        mformat -i "$1.raw" -F :: &&
                        printf 'echo %s\r\n' "$disk_marker" >"$1.nsh" &&
                        mcopy -i "$1.raw" "$1.nsh" ::/startup.nsh &&
                        qemu-img convert -q -f raw -O qcow2 "$1.raw" "$1" &&
                        rm -f "$1.raw" "$1.nsh" &&
                        return 0
                return 1
        fi
        qemu-img create -q -f qcow2 "$1" 64M && return 2
}

# wait_for LOG REGEX: the first match, or nothing when QEMU ends or time runs out
wait_for() {
        while [ $(( ($(date +%s%N) - start) / 1000000000 )) -lt "$timeout_s" ]; do
                if grep -qaE "$2" "$1"; then
                        grep -aoE -m1 "$2" "$1" | head -1
                        return 0
                fi
                kill -0 "$pid" 2>/dev/null || return 1
                sleep 0.2
        done
        return 1
}

elapsed() {
        local ms=$(( ($(date +%s%N) - start) / 1000000 ))
        printf '%d.%03d s' $((ms / 1000)) $((ms % 1000))
}

fail=0 booted=0
for os in "$@"; do
        if [ "$os" = win11 ] && ! command -v swtpm >/dev/null; then
                echo "$os: skipped (no swtpm for the TPM 2.0; Debian: swtpm)"
                continue
        fi
        dir=$tmp/$os
        mkdir -p "$dir"
        make_disk "$dir/disk.qcow2"
        case $? in
        0) fat=1 ;;
        2) fat= ;;
        *) echo "$os: cannot make the disk image"; exit 1 ;;
        esac
        if ! "$vfiokit" --root "$root" vm new "boot-$os" --os "$os" --no-hostdev --format=qemu --memory 1G --cpus 2 \
                --disk-path "$dir/disk.qcow2" -o "$dir/start.sh" >"$dir/vm-new.log" 2>&1; then
                echo "$os: vm new failed:"
                cat "$dir/vm-new.log"
                fail=1
                continue
        fi
        firmware=$(sed -n 's/.*(firmware: \(.*\))$/\1/p' "$dir/vm-new.log")
        case $os in
        win11) second='Security Violation' what="Secure Boot refused the unsigned shell" ;;
        *) second=${fat:+$disk_marker} what="the firmware read startup.nsh from the qcow2 disk" ;;
        esac
        log=$dir/console.log
        start=$(date +%s%N)
        # its own process group: the script execs QEMU, and swtpm (win11) goes with it
        VFIOKIT_ACCEL=tcg VFIOKIT_CONSOLE=serial setsid "$dir/start.sh" >"$log" 2>&1 </dev/null &
        pid=$!
        ok=1
        if found=$(wait_for "$log" 'BdsDxe|UEFI Interactive Shell|Shell>'); then
                echo "$os: OVMF started (\"$found\" on the serial console) after $(elapsed); firmware $firmware"
                if [ -n "$second" ]; then
                        if wait_for "$log" "$second" >/dev/null; then
                                echo "$os: $what after $(elapsed)"
                        else
                                echo "$os: no \"$second\" ($what) after $(elapsed)"
                                ok=
                        fi
                fi
        else
                echo "$os: no OVMF boot manager on the serial console after $(elapsed)"
                ok=
        fi
        kill -- -"$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=
        if [ -n "$ok" ]; then
                booted=$((booted + 1))
        else
                echo "  the launcher:"
                sed 's/^/  | /' "$dir/start.sh"
                echo "  the serial console (last 40 lines):"
                tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' | tail -40 | sed 's/^/  > /'
                fail=1
        fi
done
[ $fail = 0 ] && [ $booted = 0 ] && skip "nothing could be booted"
exit $fail
