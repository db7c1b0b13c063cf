#!/bin/bash
# check-examples.sh — examples/hosts is exactly what tools/mkhost.py generates (no hand edits, nothing stale).
# usage: check-examples.sh PYTHON3 SRCDIR
set -eu
python=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" "$src/tools/mkhost.py" --all "$tmp/hosts" >/dev/null
cp "$src/examples/hosts/README.md" "$tmp/hosts/README.md" 2>/dev/null || true
# git keeps no empty directories (iommu-off's empty iommu_groups): compare without them
cp -a "$src/examples/hosts" "$tmp/committed"
find "$tmp/hosts" "$tmp/committed" -depth -type d -empty -delete
if ! diff -r --no-dereference "$tmp/committed" "$tmp/hosts"; then
        echo "examples/hosts differs from tools/mkhost.py --all; regenerate: rm -rf examples/hosts && python3 tools/mkhost.py --all examples/hosts" >&2
        exit 1
fi
echo "examples/hosts matches tools/mkhost.py ($(ls "$tmp/hosts" | grep -vc README) hosts)"
