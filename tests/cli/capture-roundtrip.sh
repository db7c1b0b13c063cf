#!/bin/bash
# capture-roundtrip.sh — capture a host, unpack the tar elsewhere, and require identical list/status output.
# usage: capture-roundtrip.sh VFIOKIT HOSTDIR
set -eu
vfiokit=$1 host=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$vfiokit" --root "$host" capture -o "$tmp/host.tar" >/dev/null
# the output is complete before rename: no temp file is left beside it
if ls -A "$tmp" | grep -q vfiokit-; then
        echo "temporary file left behind" >&2
        exit 1
fi
mkdir "$tmp/unpacked"
tar -xf "$tmp/host.tar" -C "$tmp/unpacked"
for args in "list --all --json" "list --json" "status --json" "list --format=dot"; do
        # shellcheck disable=SC2086
        "$vfiokit" --root "$host" $args >"$tmp/a" || true
        # shellcheck disable=SC2086
        "$vfiokit" --root "$tmp/unpacked" $args >"$tmp/b" || true
        if ! diff -u "$tmp/a" "$tmp/b" >"$tmp/diff"; then
                echo "vfiokit $args differs between $host and its capture:" >&2
                head -40 "$tmp/diff" >&2
                exit 1
        fi
done
# capturing the unpacked capture gives the same archive (nothing lost, nothing invented)
"$vfiokit" --root "$tmp/unpacked" capture -o "$tmp/again.tar" >/dev/null
if ! cmp -s <(tar -tvf "$tmp/host.tar" | sort) <(tar -tvf "$tmp/again.tar" | sort); then
        echo "a capture of the capture differs" >&2
        diff <(tar -tvf "$tmp/host.tar" | sort) <(tar -tvf "$tmp/again.tar" | sort) | head -20 >&2
        exit 1
fi
echo "capture of $host: $(tar -tf "$tmp/host.tar" | wc -l) entries, identical output"
