#!/bin/bash
# bench/list.sh — time `vfiokit list --all --json` against `lspci -nn` (pciutils, same sysfs tree) on generated
# servers of 1k, 4k and 16k PCI functions; report the ratio, time per 1,000 functions and syscalls per function.
# usage: bench/list.sh [BUILD_DIR]      env: SIZES="1024 4096 16384" RUNS=15 OUT=bench/out
# It prints numbers; it never fails on timing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
vfiokit=$build/vfiokit
sizes=${SIZES:-1024 4096 16384}
runs=${RUNS:-15}
# tmpfs when there is one: writing 16k fake functions to a slow disk takes minutes
if [ -z "${OUT:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then OUT=/dev/shm/vfiokit-bench; fi
out=${OUT:-bench/out}
[ -x "$vfiokit" ] || { echo "bench: build first (meson setup $build && meson compile -C $build)" >&2; exit 1; }
command -v lspci >/dev/null || { echo "bench: needs lspci (apt-get install pciutils)" >&2; exit 1; }
mkdir -p "$out"

median_ms() { # median wall time of RUNS runs of "$@", in ms with one decimal
        local t0 t1 i
        for ((i = 0; i < runs; i++)); do
                t0=$(date +%s%N)
                "$@" >/dev/null
                t1=$(date +%s%N)
                echo $((t1 - t0))
        done | sort -n | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1e6}'
}

syscalls() { # total syscalls of one run, from strace -c's "total" line
        local f
        command -v strace >/dev/null || { echo "?"; return; }
        f=$(mktemp)
        strace -f -c -o "$f" "$@" >/dev/null 2>&1
        awk '$NF == "total" { print ($(NF - 1) ~ /^[0-9]+$/ && NF == 6) ? $(NF - 2) : $(NF - 1) }' "$f"
        rm -f "$f"
}

printf '%-9s %12s %12s %9s %14s %14s %14s\n' functions "vfiokit ms" "lspci ms" ratio "vfiokit ms/1k" "vfiokit sc/fn" "lspci sc/fn"
for n in $sizes; do
        host=$out/server-$n
        if [ ! -d "$host/sys" ]; then
                rm -rf "$host"
                python3 tools/mkhost.py "$host" server --functions "$n" >/dev/null
        fi
        actual=$(find "$host/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 | wc -l)
        v=("$vfiokit" --root "$host" list --all --json)
        l=(lspci -A linux-sysfs -O "sysfs.path=$host/sys/bus/pci" -nn)
        "${v[@]}" >/dev/null && "${l[@]}" >/dev/null # warm the dentry cache for both
        tv=$(median_ms "${v[@]}")
        tl=$(median_ms "${l[@]}")
        sv=$(syscalls "${v[@]}")
        sl=$(syscalls "${l[@]}")
        awk -v n="$actual" -v tv="$tv" -v tl="$tl" -v sv="$sv" -v sl="$sl" 'BEGIN {
                printf "%-9d %12.1f %12.1f %8.2fx %14.2f %14s %14s\n", n, tv, tl, tv / tl, tv * 1000 / n,
                        (sv == "?" ? "?" : sprintf("%.1f", sv / n)), (sl == "?" ? "?" : sprintf("%.1f", sl / n)) }'
done
echo "ratio = vfiokit time / lspci time (below 1 means vfiokit is faster); median of $runs runs each"
