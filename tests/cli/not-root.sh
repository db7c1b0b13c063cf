#!/bin/bash
# not-root.sh — on the live system, commands that change it refuse to start without root, before touching anything.
# usage: not-root.sh VFIOKIT   (needs root to drop to nobody; skipped otherwise)
set -u
vfiokit=$(realpath "$1")
[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
command -v setpriv >/dev/null || { echo "no setpriv: skipped"; exit 77; }
fail=0
for args in "bind 00:00.0" "unbind 00:00.0" "restore" "sriov 00:00.0 --vfs 1"; do
        # shellcheck disable=SC2086
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$vfiokit" $args 2>&1)
        rc=$?
        if [ $rc != 1 ] || [[ $out != *"must run as root"* ]]; then
                echo "vfiokit $args as nobody: exit $rc: $out" >&2
                fail=1
        fi
done
# a dry run needs no root
setpriv --reuid=65534 --regid=65534 --clear-groups "$vfiokit" restore --dry-run >/dev/null 2>&1
rc=$?
[ $rc = 0 ] || { echo "restore --dry-run as nobody: exit $rc" >&2; fail=1; }
[ $fail = 0 ] && echo "bind, unbind, restore, sriov refuse to run without root; --dry-run does not need it"
exit $fail
