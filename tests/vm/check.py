#!/usr/bin/env python3
"""tests/vm/check.py SERIAL_LOG — the host-side half of the real-kernel test.

Reads the sections that /guest-tests.sh printed on the serial console (between
"----- BEGIN name -----" and "----- END name -----") and checks that what vfiokit said
agrees with what the kernel said: every PCI function in exactly the IOMMU group of
/sys/kernel/iommu_groups, the driver of its driver link, the ids of sysfs and lspci,
lspci's names, the GPU with its audio function as companion in one group, the
host-critical NIC and display, status's iommu/cmdline/vfio checks, the capture read back
with --root equal to the live host, the SR-IOV VFs after they were created, and (phase 4)
bind --json / unbind --json and the journal against the drivers and groups the kernel had.

Prints "ok - NAME" / "not ok - NAME: why" and "# host: N passed, M failed"; exits 1 on
any failure.
"""
import json
import os
import re
import sys

results = []


def ok(name, good, why=""):
    results.append((name, bool(good), why))
    if good:
        print(f"ok - {name}")
    else:
        print(f"not ok - {name}: {why}")
    return good


def sections(text):
    out = {}
    cur = None
    buf = []
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = re.fullmatch(r"----- BEGIN (.+) -----", line)
        if m:
            cur, buf = m.group(1), []
            continue
        m = re.fullmatch(r"----- END (.+) -----", line)
        if m and cur == m.group(1):
            out[cur] = "\n".join(buf) + ("\n" if buf else "")
            cur = None
            continue
        if cur is not None:
            buf.append(line)
    return out


def parse_sysfs(text):
    devs, groups = {}, {}
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if parts[0] == "D" and len(parts) >= 3:
            devs.setdefault(parts[1], {})[parts[2]] = parts[3] if len(parts) > 3 else ""
        elif parts[0] == "G" and len(parts) == 3:
            groups[parts[2]] = int(parts[1])
    return devs, groups


def parse_lspci(text):
    recs, cur = {}, {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if "Slot" in cur:
                recs[cur["Slot"]] = cur
            cur = {}
            continue
        k, _, v = line.partition(":")
        cur[k.strip()] = v.strip()
    return recs


def split_name(v):
    """'Red Hat, Inc. [1af4]' -> ('Red Hat, Inc.', '1af4')"""
    m = re.fullmatch(r"(.*) \[([0-9a-f]{4})\]", v or "")
    return (m.group(1), m.group(2)) if m else (v, None)


def load_json(secs, name):
    try:
        return json.loads(secs[name]), None
    except KeyError:
        return None, "no section '%s' in the log" % name
    except ValueError as e:
        return None, "invalid JSON: %s" % e


def hexattr(v, width):
    try:
        return "%0*x" % (width, int(v, 16))
    except (TypeError, ValueError):
        return None


def is_gpu_class(c):
    return (c >> 8) in (0x0300, 0x0302, 0x0380)


VIABLE_DRIVERS = {None, "vfio-pci", "pci-stub", "pcieport"}


def all_funcs(lj):
    """every function of a list --all --json, with the group vfiokit put it in"""
    out = []
    for g in lj.get("groups", []):
        for d in g.get("devices", []):
            out.append((d, g.get("id")))
    for d in lj.get("ungrouped", []):
        out.append((d, None))
    return out


def fmt(items, n=8):
    items = list(items)
    s = "; ".join(str(i) for i in items[:n])
    return s + (" (and %d more)" % (len(items) - n) if len(items) > n else "")


def parent_of(path):
    parts = path.rstrip("/").split("/")
    if len(parts) >= 2 and re.fullmatch(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", parts[-2]):
        return parts[-2]
    return None


def check_snapshot(tag, secs):
    """list --all --json and show --json of one snapshot against sysfs and lspci"""
    if "sysfs " + tag not in secs:
        ok(f"{tag}: guest dumped sysfs", False, "no 'sysfs %s' section (did the guest get this far?)" % tag)
        return None
    devs, kgroups = parse_sysfs(secs["sysfs " + tag])
    lspci = parse_lspci(secs.get("lspci " + tag, ""))
    lj, err = load_json(secs, "list-json " + tag)
    if not ok(f"{tag}: list --all --json parses", lj is not None, err):
        return devs
    funcs = all_funcs(lj)
    by_addr = {}
    dups = []
    for d, gid in funcs:
        if d["address"] in by_addr:
            dups.append(d["address"])
        by_addr[d["address"]] = (d, gid)

    ok(f"{tag}: iommu_enabled is true (the kernel has {len(set(kgroups.values()))} groups)",
       lj.get("iommu_enabled") is True and kgroups, "iommu_enabled=%r" % lj.get("iommu_enabled"))
    missing = sorted(set(devs) - set(by_addr))
    extra = sorted(set(by_addr) - set(devs))
    ok(f"{tag}: every PCI function listed exactly once ({len(devs)} functions)",
       not missing and not extra and not dups,
       "missing %s, not in sysfs %s, listed twice %s" % (missing, extra, dups))

    # groups: every device in exactly the group the kernel says, and the same members
    bad = []
    for a in sorted(devs):
        want = kgroups.get(a)
        got = by_addr.get(a, (None, "absent"))[1]
        if want != got:
            bad.append(f"{a}: vfiokit group {got}, kernel group {want}")
    for g in lj.get("groups", []):
        members = sorted(d["address"] for d in g.get("devices", []))
        kmembers = sorted(a for a, k in kgroups.items() if k == g.get("id"))
        if members != kmembers:
            bad.append(f"group {g.get('id')}: vfiokit {members}, kernel {kmembers}")
    kids = sorted(set(kgroups.values()))
    vids = sorted(g.get("id") for g in lj.get("groups", []))
    if kids != vids:
        bad.append(f"group ids: vfiokit {vids}, kernel {kids}")
    ok(f"{tag}: IOMMU groups agree with /sys/kernel/iommu_groups ({len(kids)} groups)", not bad, fmt(bad))

    bad = []
    for a, attrs in sorted(devs.items()):
        d = by_addr.get(a, ({}, None))[0]
        if d and d.get("driver") != attrs.get("driver"):
            bad.append(f"{a}: vfiokit {d.get('driver')!r}, driver link {attrs.get('driver')!r}")
    ok(f"{tag}: drivers agree with the driver links", not bad, fmt(bad))

    bad = []
    for a, attrs in sorted(devs.items()):
        d = by_addr.get(a, ({}, None))[0]
        if not d:
            continue
        for key, attr, w in (("vendor", "vendor", 4), ("device", "device", 4), ("class", "class", 6)):
            if d.get(key) != hexattr(attrs.get(attr), w):
                bad.append(f"{a} {key}: vfiokit {d.get(key)!r}, sysfs {attrs.get(attr)!r}")
    ok(f"{tag}: vendor/device/class agree with sysfs", not bad, fmt(bad))

    # lspci (libpci through sysfs) — ids, class with prog-if, driver, group, names
    bad, names_bad = [], []
    if not ok(f"{tag}: lspci saw the same functions", set(lspci) == set(devs),
              "lspci %s, sysfs %s" % (sorted(set(lspci) - set(devs)), sorted(set(devs) - set(lspci)))):
        pass
    for a, rec in sorted(lspci.items()):
        d = by_addr.get(a, (None, None))[0]
        if not d:
            continue
        cname, cid = split_name(rec.get("Class"))
        vname, vid = split_name(rec.get("Vendor"))
        dname, did = split_name(rec.get("Device"))
        cls = (cid or "") + rec.get("ProgIf", "00")
        for key, want in (("vendor", vid), ("device", did), ("class", cls), ("driver", rec.get("Driver"))):
            if d.get(key) != want:
                bad.append(f"{a} {key}: vfiokit {d.get(key)!r}, lspci {want!r}")
        if "IOMMUGroup" in rec and str(by_addr[a][1]) != rec["IOMMUGroup"]:
            bad.append(f"{a} group: vfiokit {by_addr[a][1]}, lspci {rec['IOMMUGroup']}")
        # subsystem: libpci names it "SVENDOR SDEVICE" only when pci.ids knows the pair
        svname, _ = split_name(rec.get("SVendor"))
        sdname, _ = split_name(rec.get("SDevice"))
        if rec.get("SVendor") is not None:
            want = None if sdname == "Device" or svname == "Vendor" else f"{svname} {sdname}"
            s, _ = load_json(secs, f"show-json {tag} {a}")
            if s is not None and s.get("subsystem_name") != want:
                names_bad.append(f"{a} subsystem_name: vfiokit {s.get('subsystem_name')!r}, lspci {want!r}")
        # lspci prints "Device [1111]" / "Class [ff00]" when pci.ids has no name; vfiokit says null
        for key, want, unknown in (("vendor_name", vname, "Vendor"), ("device_name", dname, "Device"),
                                   ("class_name", cname, "Class")):
            got = d.get(key)
            if got is None and want == unknown:
                continue
            if got != want:
                names_bad.append(f"{a} {key}: vfiokit {got!r}, lspci {want!r}")
    ok(f"{tag}: ids, class+prog-if, driver and group agree with lspci -vmm -nn -k", not bad, fmt(bad))
    ok(f"{tag}: vendor/device/class/subsystem names agree with lspci (same pci.ids)", not names_bad, fmt(names_bad))

    bad = []
    for a, attrs in sorted(devs.items()):
        d = by_addr.get(a, ({}, None))[0]
        if not d:
            continue
        c = int(attrs.get("class", "0"), 16)
        if (c >> 8) == 0x0604 and d.get("bridge") is not True:
            bad.append(f"{a} (class {c:06x}) is a PCI bridge, vfiokit bridge={d.get('bridge')}")
        if (c >> 16) != 0x06 and d.get("bridge") is not False:
            bad.append(f"{a} (class {c:06x}) is no bridge, vfiokit bridge={d.get('bridge')}")
        if is_gpu_class(c) != d.get("gpu"):
            bad.append(f"{a} (class {c:06x}) gpu={d.get('gpu')}")
    ok(f"{tag}: bridge and gpu flags follow the class codes", not bad, fmt(bad))

    bad = []
    for g in lj.get("groups", []):
        want = all(devs.get(d["address"], {}).get("driver") in VIABLE_DRIVERS for d in g.get("devices", []))
        if g.get("viable") != want:
            drivers = {d["address"]: devs.get(d["address"], {}).get("driver") for d in g.get("devices", [])}
            bad.append(f"group {g.get('id')}: viable={g.get('viable')}, drivers {drivers}")
    ok(f"{tag}: group viability follows the bound drivers", not bad, fmt(bad))

    # GPUs: every display-class function, with companions/others/bridges as the kernel's groups say
    gpus = {g["address"]: g for g in lj.get("gpus", [])}
    kgpus = sorted(a for a, at in devs.items() if is_gpu_class(int(at.get("class", "0"), 16)))
    ok(f"{tag}: gpus are the display-class functions ({len(kgpus)})", sorted(gpus) == kgpus,
       "vfiokit %s, sysfs %s" % (sorted(gpus), kgpus))
    bad = []
    for a, g in sorted(gpus.items()):
        at = devs.get(a, {})
        slot = a.rsplit(".", 1)[0]
        members = [m for m, k in kgroups.items() if k == kgroups.get(a) and m != a]
        is_bridge = lambda m: (int(devs.get(m, {}).get("class", "0"), 16) >> 8) == 0x0604
        want_comp = sorted(m for m in members if m.rsplit(".", 1)[0] == slot and not is_bridge(m))
        want_bridges = sorted(m for m in members if is_bridge(m))
        want_others = sorted(m for m in members if m not in want_comp and m not in want_bridges)
        for key, want in (("companions", want_comp), ("bridges", want_bridges), ("others", want_others)):
            if sorted(g.get(key, [])) != want:
                bad.append(f"{a} {key}: vfiokit {g.get(key)}, expected {want}")
        if g.get("group") != kgroups.get(a):
            bad.append(f"{a} group: vfiokit {g.get('group')}, kernel {kgroups.get(a)}")
        if g.get("boot_vga") != (at.get("boot_vga") == "1"):
            bad.append(f"{a} boot_vga: vfiokit {g.get('boot_vga')}, sysfs {at.get('boot_vga')!r}")
        if g.get("driver") != at.get("driver"):
            bad.append(f"{a} driver: vfiokit {g.get('driver')}, kernel {at.get('driver')}")
    ok(f"{tag}: each GPU's group, companions, bridges, others, boot_vga and driver", not bad, fmt(bad))

    # host-critical: the NIC of the default route, and the boot display with a DRM card bound
    crit = {}
    for c in lj.get("host_critical", []):
        crit.setdefault(c["address"], set()).add(c["kind"])
    nics = [a for a, at in devs.items() if at.get("driver") == "e1000e"]
    route = secs.get("proc-net-route", "")
    has_default = any(l.split()[1:2] == ["00000000"] for l in route.splitlines()[1:] if l.split())
    if has_default:
        ok(f"{tag}: the default-route NIC is host-critical ({fmt(nics)})",
           nics and all("default-route" in crit.get(a, set()) for a in nics), "host_critical %s" % crit)
    displays = [a for a, at in devs.items() if at.get("boot_vga") == "1" and at.get("driver") and at.get("drm")]
    flagged = sorted(a for a, kinds in crit.items() if "display" in kinds)
    ok(f"{tag}: the boot display (boot_vga=1 with a DRM card) is host-critical, and only it",
       flagged == sorted(displays), "vfiokit %s, sysfs %s" % (flagged, sorted(displays)))

    ok(f"{tag}: no problems reading the real sysfs", not lj.get("problems"), fmt(
        "%s: %s" % (p.get("path"), p.get("message")) for p in lj.get("problems", [])))

    # show --json of every function against its sysfs attributes
    bad, shown = [], 0
    for a, at in sorted(devs.items()):
        s, err = load_json(secs, f"show-json {tag} {a}")
        if s is None:
            bad.append(f"{a}: {err}")
            continue
        shown += 1
        want = {
            "address": a,
            "vendor": hexattr(at.get("vendor"), 4), "device": hexattr(at.get("device"), 4),
            "class": hexattr(at.get("class"), 6),
            "subsystem_vendor": hexattr(at.get("subsystem_vendor"), 4),
            "subsystem_device": hexattr(at.get("subsystem_device"), 4),
            "revision": hexattr(at.get("revision"), 2),
            "driver": at.get("driver"),
            "group": kgroups.get(a),
            "physfn": at.get("physfn"),
            "parent": parent_of(at.get("path", "")),
            "reset_methods": (at.get("reset_method") or "").split(),
            "drm": sorted(v for k, v in at.items() if k == "drm"),
        }
        if "boot_vga" in at:
            want["boot_vga"] = at["boot_vga"] == "1"
        dov = at.get("driver_override")
        want["driver_override"] = None if dov in (None, "(null)") else dov
        if "sriov_totalvfs" in at:
            want["sriov"] = {
                "totalvfs": int(at["sriov_totalvfs"]), "numvfs": int(at.get("sriov_numvfs", "0")),
                "vfs": [v for k, v in sorted(at.items(), key=lambda kv: kv[0]) if k.startswith("virtfn")],
            }
        else:
            want["sriov"] = None
        for k, v in want.items():
            got = s.get(k)
            if k == "drm":
                got = sorted(got or [])
            if k == "sriov" and isinstance(got, dict):
                got = dict(got, vfs=list(got.get("vfs", [])))
            if got != v:
                bad.append(f"{a} {k}: vfiokit {got!r}, kernel {v!r}")
    ok(f"{tag}: show --json of each of {shown} functions agrees with sysfs", not bad and shown == len(devs), fmt(bad))
    return devs


def check_bind(secs):
    """phase 4: bind --json, unbind --json and the journal against the kernel's own drivers and groups"""
    if "phase4-devices" not in secs:
        ok("bind: guest reached phase 4", False, "no 'phase4-devices' section (did the guest get this far?)")
        return
    dev = dict(l.split(" ", 1) for l in secs["phase4-devices"].splitlines() if " " in l)
    gpu, audio, group = dev.get("gpu"), dev.get("audio"), int(dev.get("group", "-1"))
    kdevs, kgroups = parse_sysfs(secs.get("sysfs base", ""))
    orig = {a: kdevs.get(a, {}).get("driver") for a in (gpu, audio)}
    members = sorted(a for a, g in kgroups.items() if g == group
                     and (int(kdevs.get(a, {}).get("class", "0"), 16) >> 8) != 0x0604)

    bj, err = load_json(secs, "bind-json")
    if ok("bind --json parses", bj is not None, err):
        groups = bj.get("groups", [])
        g = groups[0] if len(groups) == 1 else {}
        ok(f"bind --json: one group, the kernel's group {group} of {gpu}", g.get("group") == group,
           "groups %s" % json.dumps(groups)[:300])
        funcs = {f.get("address"): f for f in g.get("functions", [])}
        ok(f"bind --json: every non-bridge function of group {group}, no more ({fmt(members)})",
           sorted(funcs) == members, "vfiokit %s, kernel %s" % (sorted(funcs), members))
        bad = [f"{a}: {json.dumps(f)}" for a, f in sorted(funcs.items())
               if f.get("before") != orig.get(a) or f.get("after") != "vfio-pci" or f.get("changed") is not True]
        if g.get("dry_run") is not False:
            bad.append("dry_run is %r" % g.get("dry_run"))
        ok("bind --json: each function from its boot driver (%s) to vfio-pci, changed" % fmt(
            f"{a} {d}" for a, d in sorted(orig.items())), not bad, fmt(bad))

    text = secs.get("journal after bind")
    try:
        jn = json.loads(text) if text is not None else None
        jerr = "no 'journal after bind' section" if text is None else None
    except ValueError as e:
        jn, jerr = None, "invalid JSON: %s" % e
    if ok("journal after bind parses", jn is not None, jerr):
        entries = {e.get("address"): e for e in jn.get("entries", [])}
        ok("journal: version 1, one entry per function of the group", jn.get("version") == 1
           and sorted(entries) == members, "version %r, entries %s" % (jn.get("version"), sorted(entries)))
        bad = []
        for a in members:
            e = entries.get(a, {})
            want_ovr = kdevs.get(a, {}).get("driver_override")
            want_ovr = None if want_ovr in (None, "(null)") else want_ovr
            if e.get("driver") != orig.get(a) or e.get("driver_override") != want_ovr or e.get("group") != group:
                bad.append(f"{a}: journal {json.dumps(e)}, boot driver {orig.get(a)!r} override {want_ovr!r} "
                           f"group {group}")
        ok("journal: each function's boot driver (bochs-drm, snd_hda_intel), override and group", not bad, fmt(bad))

    uj, err = load_json(secs, "unbind-json")
    if ok("unbind --json parses", uj is not None, err):
        g = (uj.get("groups") or [{}])[0]
        funcs = {f.get("address"): f for f in g.get("functions", [])}
        bad = [f"{a}: {json.dumps(funcs.get(a))}" for a in members
               if not funcs.get(a) or funcs[a].get("before") != "vfio-pci" or funcs[a].get("after") != orig.get(a)]
        ok("unbind --json: each function from vfio-pci back to its boot driver", not bad and sorted(funcs) == members,
           fmt(bad) or "functions %s" % sorted(funcs))

    text = secs.get("journal after sriov")
    if text is not None:
        try:
            jn = json.loads(text)
        except ValueError as e:
            jn = None
            ok("journal after sriov --bind parses", False, "invalid JSON: %s" % e)
        if jn is not None:
            vfs = [e for e in jn.get("entries", [])]
            ok("journal after sriov --bind 1: one VF, unbound before (driver null)",
               len(vfs) == 1 and vfs[0].get("driver") is None, json.dumps(jn)[:300])


def main():
    if len(sys.argv) != 2:
        print("usage: check.py SERIAL_LOG", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        text = f.read().decode("utf-8", "replace")
    secs = sections(text)

    devs = check_snapshot("base", secs) or {}

    # the GPU to pass: VGA behind a root port, its audio function in one group with it
    lj, _ = load_json(secs, "list-json base")
    if lj is not None:
        kdevs, kgroups = parse_sysfs(secs["sysfs base"])
        pgpu = [a for a, at in kdevs.items()
                if int(at.get("class", "0"), 16) >> 8 == 0x0300 and parent_of(at.get("path", ""))]
        if ok("base: one VGA function sits behind a root port", len(pgpu) == 1, "found %s" % pgpu):
            a = pgpu[0]
            audio = a.rsplit(".", 1)[0] + ".1"
            g = next((g for g in lj.get("gpus", []) if g["address"] == a), None)
            ok(f"base: GPU {a} has its audio function {audio} as companion",
               g is not None and g.get("companions") == [audio],
               "gpu entry %s" % (json.dumps(g) if g else "missing"))
            grp = next((x for x in lj.get("groups", []) if g and x.get("id") == g.get("group")), None)
            members = sorted(d["address"] for d in grp.get("devices", [])) if grp else None
            ok(f"base: GPU {a} and {audio} form one IOMMU group (kernel group {kgroups.get(a)})",
               members == sorted([a, audio]) and kgroups.get(a) == kgroups.get(audio),
               "vfiokit group members %s, kernel groups %s/%s" % (members, kgroups.get(a), kgroups.get(audio)))

    # status
    st, err = load_json(secs, "status-json")
    if ok("status --json parses", st is not None, err):
        checks = {c.get("id"): c for c in st.get("checks", [])}
        for c in st.get("checks", []):
            print(f"#   status {c.get('result'):4} {c.get('id')}: {c.get('message')}")
        for cid in ("iommu", "vfio"):
            c = checks.get(cid)
            ok(f"status: {cid} check passes", c is not None and c.get("result") == "pass",
               "%s" % (json.dumps(c) if c else "no such check"))
        # The IOMMU of this machine is Intel VT-d (QEMU's intel-iommu: ACPI DMAR, units dmar*) while TCG's
        # "max" CPU says AuthenticAMD — as in any nested setup on an AMD host. intel_iommu= is the option
        # for this IOMMU: status must judge it by the IOMMU the kernel runs, not by the CPU vendor.
        units = secs.get("iommu-units", "").split()
        cpu = "; ".join(" ".join(l.split()) for l in secs.get("cpu", "").splitlines() if l.strip())
        bad = [c for c in st.get("checks", []) if c.get("id", "").startswith("cmdline") and c.get("result") != "pass"]
        ok("status: cmdline check accepts intel_iommu=on for this Intel IOMMU (%s)" % " ".join(units),
           not bad and "cmdline" in checks,
           "%s — but the kernel's IOMMU units are %s (Intel VT-d, ACPI DMAR) and there is no AMD IOMMU; "
           "the CPU says '%s'" % (fmt(f"{c.get('result')} {c.get('id')}: {c.get('message')} (fix: {c.get('fix')})"
                                      for c in bad) or "no cmdline check", units, cpu))
        # the host's own display GPU is host-critical: status rates only the GPUs that could be passed
        crit = {c["address"] for c in (lj or {}).get("host_critical", [])}
        lj_gpus = [g["address"] for g in (lj or {}).get("gpus", []) if g["address"] not in crit]
        missing = [a for a in lj_gpus if f"gpu:{a}" not in checks]
        ok("status: a gpu:ADDRESS check for every GPU that is not host-critical (%s)" % fmt(lj_gpus), not missing,
           "none for %s" % missing)
        m = re.search(r"^# vfiokit real-kernel guest tests, kernel (\S+)", text, re.M)
        host = st.get("host") or {}
        ok("status: host.kernel is the guest's uname -r", m and host.get("kernel") == m.group(1),
           "host.kernel %r, uname -r %r" % (host.get("kernel"), m and m.group(1)))
        ok("status: host.cmdline is /proc/cmdline", host.get("cmdline") == secs.get("cmdline", "").strip(),
           "host.cmdline %r, /proc/cmdline %r" % (host.get("cmdline"), secs.get("cmdline", "").strip()))

    # capture read back with --root equals the live host
    cl, err = load_json(secs, "capture-list-json")
    if ok("capture: --root list --all --json parses", cl is not None, err) and lj is not None:
        diffs = list(json_diff(lj, cl))
        ok("capture: --root list --all --json equals the live one", not diffs, fmt(diffs))
    cs, err = load_json(secs, "capture-status-json")
    if ok("capture: --root status --json parses", cs is not None, err) and st is not None:
        diffs = list(json_diff(st, cs))
        ok("capture: --root status --json equals the live one", not diffs, fmt(diffs))
    shows = [k for k in secs if k.startswith("capture-show-json ")]
    for k in shows:
        a = k.split()[-1]
        live, _ = load_json(secs, f"show-json base {a}")
        cap, err = load_json(secs, k)
        if ok(f"capture: --root show {a} --json parses", cap is not None, err) and live is not None:
            # the capture's own sysfs_path is inside the unpacked tree: compare the rest
            diffs = [d for d in json_diff(live, cap) if not d.startswith(".sysfs_path")]
            ok(f"capture: --root show {a} --json equals the live one", not diffs, fmt(diffs))

    # SR-IOV: after 2 VFs were created
    vdevs = check_snapshot("vfs", secs)
    if vdevs:
        pfs = [a for a, at in vdevs.items() if int(at.get("sriov_numvfs", "0") or 0) > 0]
        vfs = sorted(a for a, at in vdevs.items() if "physfn" in at)
        ok(f"vfs: the kernel has a PF with VFs ({fmt(pfs)}: {fmt(vfs)})", pfs and len(vfs) == 2,
           "pfs %s vfs %s" % (pfs, vfs))
        vl, _ = load_json(secs, "list-json vfs")
        if vl is not None:
            listed = {d["address"] for d, _ in all_funcs(vl)}
            ok("vfs: list --all shows the VFs", set(vfs) <= listed, "missing %s" % sorted(set(vfs) - listed))
        for pf in pfs:
            s, _ = load_json(secs, f"show-json vfs {pf}")
            sr = (s or {}).get("sriov") or {}
            ok(f"vfs: show {pf} says numvfs 2 and names both VFs",
               sr.get("numvfs") == 2 and sorted(sr.get("vfs", [])) == vfs, "sriov %s" % sr)
        for v in vfs:
            s, _ = load_json(secs, f"show-json vfs {v}")
            ok(f"vfs: show {v} names its PF", (s or {}).get("physfn") == vdevs[v].get("physfn"),
               "physfn %r, sysfs %r" % ((s or {}).get("physfn"), vdevs[v].get("physfn")))

    # phase 4: bind, unbind, the journal
    check_bind(secs)

    n_ok = sum(1 for r in results if r[1])
    n_bad = len(results) - n_ok
    print(f"# host: {n_ok} passed, {n_bad} failed")
    return 1 if n_bad else 0


def json_diff(a, b, path=""):
    if type(a) is not type(b):
        yield f"{path or '.'}: live {json.dumps(a)[:120]} vs capture {json.dumps(b)[:120]}"
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                yield f"{path}.{k}: only in {'live' if k in a else 'capture'}"
            else:
                yield from json_diff(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} entries live, {len(b)} in the capture"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from json_diff(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: live {json.dumps(a)[:120]} vs capture {json.dumps(b)[:120]}"


if __name__ == "__main__":
    sys.exit(main())
