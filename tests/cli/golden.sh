#!/bin/bash
# golden.sh — run vfiokit with ARGS and compare stdout, stderr and exit status with tests/golden/NAME.out.
# usage: golden.sh VFIOKIT SRCDIR NAME ARGS...   (VFIOKIT_REGEN=1 rewrites the golden file)
# "--root-copy DIR" runs on a throw-away copy of DIR (for commands that write), shown as @ROOT@.
set -u
vfiokit=$(realpath "$1") src=$2 name=$3
shift 3
golden=$src/tests/golden/$name.out
actual=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$actual" "$actual.err" "$tmp"' EXIT

cd "$src" || exit 1
args=() shown=()
while [ $# -gt 0 ]; do
        if [ "$1" = --root-copy ]; then
                cp -a "$2" "$tmp/root"
                args+=(--root "$tmp/root")
                shown+=(--root @ROOT@)
                shift 2
        else
                args+=("$1")
                shown+=("$1")
                shift
        fi
done
NO_COLOR=1 "$vfiokit" "${args[@]}" >"$actual" 2>"$actual.err" </dev/null
rc=$?
sed -i "s|$tmp/root|@ROOT@|g" "$actual" "$actual.err"
set -- "${shown[@]}"
{
        printf '$ vfiokit %s\n' "$*"
        cat "$actual"
        if [ -s "$actual.err" ]; then
                echo "--- stderr"
                cat "$actual.err"
        fi
        echo "--- exit $rc"
} >"$actual.full"
mv "$actual.full" "$actual"

if [ "${VFIOKIT_REGEN:-}" = 1 ]; then
        mkdir -p "$(dirname "$golden")"
        cp "$actual" "$golden"
        echo "regenerated $golden"
        exit 0
fi
if [ ! -f "$golden" ]; then
        echo "missing $golden; run with VFIOKIT_REGEN=1 to create it" >&2
        exit 1
fi
if ! diff -u "$golden" "$actual"; then
        echo "output differs from $golden (VFIOKIT_REGEN=1 rewrites it after review)" >&2
        exit 1
fi
