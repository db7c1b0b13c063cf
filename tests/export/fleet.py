"""fleet.py — export --fleet over real captures made now: desktop-nvidia (safe RTX 3070), amd-b550 (its RX 560
shares a group with the chipset's disks and the default-route NIC, and its GTX 1060 shares one group with its
audio) and amd-b550-acs (the same GTX 1060 split into two groups by the ACS override).
usage: fleet.py VFIOKIT SRCDIR"""
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

from exportcheck import Fail, check, check_proxmox_against, kubevirt, nova, proxmox, run

vfiokit, src = sys.argv[1], sys.argv[2]
os.chdir(src)
tmp = tempfile.mkdtemp(prefix='vfiokit-fleet-test-')
unpack_dir = os.path.join(tmp, 'unpack')
os.mkdir(unpack_dir)
os.environ['TMPDIR'] = unpack_dir
HOSTS = ['desktop-nvidia', 'amd-b550', 'amd-b550-acs']
DIRS = {h: 'examples/hosts/' + h for h in HOSTS}


def capture(host, name=None):
    out = os.path.join(tmp, (name or host) + '.tar')
    run(vfiokit, '--root', DIRS[host], 'capture', '-o', out)
    return out


def rewrite(tar, name, change):
    """A copy of tar where change(member) gives new contents (b'' drops the member, None keeps it)."""
    out = os.path.join(tmp, name)
    with tarfile.open(tar) as t, tarfile.open(out, 'w') as o:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else None
            new = change(m)
            if new == b'':
                continue
            if new is not None:
                data, m.size = new, len(new)
            o.addfile(m, io.BytesIO(data) if data is not None else None)
    return out


try:
    tars = [capture(h) for h in HOSTS]
    # KubeVirt: one selector per vendor:device across the hosts that may pass it
    text, err = run(vfiokit, 'export', '--format=kubevirt', '--fleet', *tars)
    _, sel = kubevirt(text)
    check(set(sel) == {'10DE:2484', '10DE:228B', '10DE:1C02', '10DE:10F1'}, 'fleet selectors %r' % sel)
    check(re.search(r'warning: amd-b550: 0000:04:00\.0 \[1002:67ff\] left out: .*NIC of the host\'s default route',
                    err), 'no warning about amd-b550\'s RX 560:\n' + err)
    # two hosts disagree: the first one's hardware is the reference
    check(re.search(r'warning: amd-b550-acs: 0000:08:00\.0 \[10de:1c02\] left out: its IOMMU groups hold '
                    r'\[10de:1c02\] \[10de:10f1\] here but \[10de:1c02 10de:10f1\] on amd-b550 ', err),
          'no warning about the GTX 1060\'s different groups:\n' + err)
    check('desktop-nvidia: 0000:00:02.0 [8086:3e98] left out' in err, 'no warning about the iGPU:\n' + err)
    # Nova: the left-out host gets no device_spec
    specs, aliases, _ = nova(run(vfiokit, 'export', '--format=nova', '--fleet', *tars)[0])
    check(sorted(specs) == ['amd-b550', 'desktop-nvidia'], 'nova nodes %r' % sorted(specs))
    check([s['address'] for s in specs['amd-b550']] == ['0000:08:00.0', '0000:08:00.1'], 'b550 specs')
    check(len(aliases) == 4, 'aliases %r' % aliases)
    # Proxmox: per node entries that pass Proxmox's own check on that node
    maps = proxmox(run(vfiokit, 'export', '--format=proxmox', '--fleet', *tars)[0])
    check(sorted(maps) == ['ga104_geforce_rtx_3070', 'gp106_geforce_gtx_1060_3gb'], 'mappings %r' % sorted(maps))
    check([e['node'] for e in maps['gp106_geforce_gtx_1060_3gb']['map']] == ['amd-b550'], 'gp106 nodes')
    check_proxmox_against(maps, DIRS)
    # the JSON says the same, with the reasons
    js = json.loads(run(vfiokit, 'export', '--format=proxmox', '--json', '--fleet', *tars)[0])
    check([h['name'] for h in js['hosts']] == HOSTS, 'json hosts %r' % js['hosts'])
    left = sorted((u['host'], u['device']) for u in js['units'] if not u['included'])
    check(left == [('amd-b550', '0000:04:00.0'), ('amd-b550-acs', '0000:04:00.0'), ('amd-b550-acs', '0000:08:00.0'),
                   ('desktop-nvidia', '0000:00:02.0')], 'left out %r' % left)
    check(any('inconsistent' in u and u['inconsistent'] for u in js['units']), 'no inconsistency in the JSON')
    check(len(js['warnings']) == 4, 'json warnings %r' % js['warnings'])
    # --force puts amd-b550 in, per node
    maps = proxmox(run(vfiokit, 'export', '--format=proxmox', '--force', '--fleet', *tars)[0])
    check([e['node'] for e in maps['gp106_geforce_gtx_1060_3gb']['map']] == ['amd-b550', 'amd-b550-acs'],
          'forced gp106 nodes %r' % maps['gp106_geforce_gtx_1060_3gb']['map'])
    check([e['iommugroup'] for e in maps['gp106_geforce_gtx_1060_3gb']['map']] == [16, 22], 'forced groups')
    check_proxmox_against(maps, DIRS)
    # --device limits the export; a host without it is noted
    text, err = run(vfiokit, 'export', '--format=kubevirt', '--device', '10de:2484', '--fleet', *tars)
    check(set(kubevirt(text)[1]) == {'10DE:2484', '10DE:228B'}, '--device selectors')
    check('amd-b550: has no 10de:2484' in err, '--device: no note about hosts without it:\n' + err)
    # a capture without etc/hostname is named by its file
    renamed = rewrite(tars[0], 'pve-7.tar', lambda m: b'' if m.name == 'etc/hostname' else None)
    specs, _, _ = nova(run(vfiokit, 'export', '--format=nova', '--fleet', renamed, tars[2])[0])
    check(sorted(specs) == ['amd-b550-acs', 'pve-7'], 'node named by the file: %r' % sorted(specs))
    # the majority wins: a second host like amd-b550-acs makes amd-b550 the odd one
    acs2 = rewrite(tars[2], 'acs-2.tar', lambda m: b'amd-b550-acs-2\n' if m.name == 'etc/hostname' else None)
    text, err = run(vfiokit, 'export', '--format=proxmox', '--fleet', *tars, acs2)
    maps = proxmox(text)
    check([e['node'] for e in maps['gp106_geforce_gtx_1060_3gb']['map']] == ['amd-b550-acs', 'amd-b550-acs-2'],
          'majority gp106 nodes %r' % maps['gp106_geforce_gtx_1060_3gb']['map'])
    check('warning: amd-b550: 0000:08:00.0 [10de:1c02] left out: its IOMMU groups' in err, 'majority:\n' + err)
    check_proxmox_against(maps, dict(DIRS, **{'amd-b550-acs-2': DIRS['amd-b550-acs']}))
    # one host twice is an error, not a silent merge
    _, err = run(vfiokit, 'export', '--format=nova', '--fleet', tars[0], tars[0], expect=1)
    check('host desktop-nvidia is already in the export' in err, 'duplicate host:\n' + err)
    # every unpacked capture is gone
    check(os.listdir(unpack_dir) == [], 'left behind in TMPDIR: %r' % os.listdir(unpack_dir))
except (Fail, KeyError, ValueError, subprocess.SubprocessError) as e:
    print('FAIL: %s' % e, file=sys.stderr)
    sys.exit(1)
finally:
    subprocess.run(['rm', '-rf', tmp])
print('fleet export of %d captures: merged, unsafe and inconsistent hosts reported and left out' % len(HOSTS))
