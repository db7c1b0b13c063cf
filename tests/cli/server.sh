#!/bin/bash
# server.sh — a generated 1,024-function server: every function listed, grouped and classified.
# usage: server.sh VFIOKIT SRCDIR PYTHON3
set -eu
vfiokit=$(realpath "$1") src=$2 python=$3
base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm # tens of thousands of small files
tmp=$(mktemp -d "$base/vfiokit-server.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$python" "$src/tools/mkhost.py" "$tmp/host" server --functions 1024 >/dev/null
"$vfiokit" --root "$tmp/host" list --all --json >"$tmp/list.json"
"$vfiokit" --root "$tmp/host" status --json >"$tmp/status.json" || true
"$python" - "$tmp" <<'PY'
import json, os, sys
tmp = sys.argv[1]
host = json.load(open(f"{tmp}/list.json"))
status = json.load(open(f"{tmp}/status.json"))
links = os.listdir(f"{tmp}/host/sys/bus/pci/devices")
listed = [d["address"] for g in host["groups"] for d in g["devices"]] + [d["address"] for d in host["ungrouped"]]
assert sorted(listed) == sorted(links), f"{len(listed)} listed, {len(links)} in sysfs"
kernel_groups = os.listdir(f"{tmp}/host/sys/kernel/iommu_groups")
assert len(host["groups"]) == len(kernel_groups), (len(host["groups"]), len(kernel_groups))
for g in host["groups"]:
    for d in g["devices"]:
        link = os.readlink(f"{tmp}/host/sys/bus/pci/devices/{d['address']}/iommu_group")
        assert link.endswith(f"/{g['id']}"), (d["address"], link, g["id"])
gpus = [d for g in host["groups"] for d in g["devices"] if d["gpu"]]
assert len(gpus) == len(host["gpus"]) and gpus, (len(gpus), len(host["gpus"]))
assert not host["problems"], host["problems"][:3]
assert any(c["id"] == "iommu" and c["result"] == "pass" for c in status["checks"])
print(f"server: {len(links)} functions, {len(host['groups'])} groups, {len(gpus)} GPUs, all consistent")
PY
