#!/bin/bash
# dmesg-live.sh — diagnose --dmesg reads this machine's kernel log (/dev/kmsg, or klogctl) as dmesg(1) does:
# about as many lines. Skipped (77) where this user may not read the kernel log (kernel.dmesg_restrict).
# As root, once more in a mount namespace whose /dev is an empty tmpfs: no /dev/kmsg, so only klogctl can serve.
# usage: dmesg-live.sh VFIOKIT
set -u
vfiokit=$1
want=$(dmesg 2>/dev/null | wc -l) || want=0
if [ "$want" -eq 0 ]; then
        out=$("$vfiokit" diagnose --dmesg 2>&1)
        # not readable: the tool must say so and how to fix it, not report an empty log
        grep -q "needs root\|could not be read" <<<"$out" || { echo "unreadable kernel log, but: $out"; exit 1; }
        echo "kernel log not readable here: skipped"
        exit 77
fi
json=$("$vfiokit" diagnose --dmesg --json)
got=$(sed -n 's/^  "lines": \([0-9]*\),$/\1/p' <<<"$json")
# new messages may arrive between the two reads
if [ -z "$got" ] || [ "$got" -lt "$want" ] || [ "$got" -gt $((want + 50)) ]; then
        echo "dmesg has $want lines, diagnose --dmesg read ${got:-none}"
        exit 1
fi
echo "diagnose --dmesg read $got lines (dmesg: $want)"
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
        json=$(unshare -m sh -c 'mount -t tmpfs none /dev && [ ! -e /dev/kmsg ] && exec "$0" diagnose --dmesg --json' \
                "$(realpath "$vfiokit")")
        got=$(sed -n 's/^  "lines": \([0-9]*\),$/\1/p' <<<"$json")
        if [ -z "$got" ] || [ "$got" -lt "$want" ] || [ "$got" -gt $((want + 50)) ]; then
                echo "without /dev/kmsg (klogctl): dmesg has $want lines, diagnose --dmesg read ${got:-none}: $json"
                exit 1
        fi
        echo "without /dev/kmsg (klogctl) it read $got lines"
fi
