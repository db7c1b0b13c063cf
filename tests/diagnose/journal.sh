#!/bin/bash
# journal.sh — diagnose --journal reads a real journal file: systemd-journal-remote writes one from export format
# into ROOT/var/log/journal/MACHINE-ID/, and diagnose --root ROOT --journal must find both signatures in it.
# usage: journal.sh VFIOKIT   (skipped, exit 77, without systemd-journal-remote: Debian package systemd-journal-remote)
set -u
vfiokit=$1
remote=/lib/systemd/systemd-journal-remote
[ -x "$remote" ] || { echo "no $remote: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/root/var/log/journal/0123456789abcdef0123456789abcdef
mkdir -p "$dir"
# a real line each (tests/unit/test-diagnose.c has their sources), as the kernel and libvirtd log them
printf '%s\n' '__REALTIME_TIMESTAMP=1732600000000000' '__MONOTONIC_TIMESTAMP=44702115' \
        '_BOOT_ID=fedcba9876543210fedcba9876543210' '_TRANSPORT=kernel' 'SYSLOG_IDENTIFIER=kernel' \
        "MESSAGE=vfio-pci 0000:05:00.0: BAR 0: can't reserve [mem 0xd0000000-0xdfffffff 64bit pref]" '' \
        '__REALTIME_TIMESTAMP=1732600001000000' '__MONOTONIC_TIMESTAMP=45702115' \
        '_BOOT_ID=fedcba9876543210fedcba9876543210' '_TRANSPORT=syslog' 'SYSLOG_IDENTIFIER=libvirtd' \
        "MESSAGE=internal error: Unknown PCI header type '127' for device '0000:01:00.0'" '' |
        "$remote" -o "$dir/remote.journal" - 2>/dev/null || { echo "systemd-journal-remote failed"; exit 1; }
out=$("$vfiokit" --root "$tmp/root" diagnose --journal --json)
rc=$?
fail=0
[ $rc = 1 ] || { echo "exit $rc, expected 1 (findings)"; fail=1; }
for want in '"id": "bar-reserve"' '"id": "header-127"' '"line": "kernel: vfio-pci 0000:05:00.0: BAR 0' \
        '"line": "libvirtd: internal error' '"name": "journal"'; do
        grep -qF "$want" <<<"$out" || { echo "missing $want in:"; echo "$out"; fail=1; }
done
[ $fail = 0 ] && echo "diagnose --journal: both signatures found in a journal file"
exit $fail
