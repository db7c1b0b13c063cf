"""exportcheck.py — parse vfiokit export's outputs back the way each engine reads them, and check them.

KubeVirt: YAML (PyYAML, the same YAML 1.1 rules as the Go parsers) and the JSON of --json must be the same
object; Nova: every device_spec/alias value is one JSON object per line (oslo.config MultiStrOpt); Proxmox:
the SectionConfig format of /etc/pve/mapping/pci.cfg, parsed with the rules of PVE::SectionConfig and the
property-string format of PVE::Mapping::PCI."""
import json
import os
import re
import subprocess

import yaml

QUALIFIED = re.compile(r'^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$')
SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
PCI_RE = r'[a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])?'
PATH = re.compile(r'^(?:%s;)*%s$' % (PCI_RE, PCI_RE))
CONFIGID = re.compile(r'^[a-z][a-z0-9_]+$')
ID = re.compile(r'^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$')


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def run(vfiokit, *args, expect=0):
    p = subprocess.run([vfiokit] + list(args), capture_output=True, text=True, env=dict(os.environ, NO_COLOR='1'))
    check(p.returncode == expect, 'vfiokit %s: exit %d, expected %d\n%s' % (' '.join(args), p.returncode, expect,
                                                                           p.stderr))
    return p.stdout, p.stderr


def check_resource_name(name):
    prefix, _, rest = name.partition('/')
    check(prefix and rest, 'resourceName %r is not DOMAIN/NAME' % name)
    check(SUBDOMAIN.match(prefix) and len(prefix) <= 253 and 'kubernetes.io' not in prefix,
          'resourceName %r: bad prefix' % name)
    check(QUALIFIED.match(rest) and len(rest) <= 63, 'resourceName %r: bad name part' % name)


def kubevirt(text):
    doc = yaml.safe_load(text)
    check(doc['apiVersion'] == 'kubevirt.io/v1' and doc['kind'] == 'KubeVirt', 'not a KubeVirt CR: %r' % doc)
    conf = doc['spec']['configuration']
    check('HostDevices' in conf['developerConfiguration']['featureGates'], 'no HostDevices feature gate')
    out = {}
    for d in conf['permittedHostDevices']['pciHostDevices']:
        check(set(d) == {'pciVendorSelector', 'resourceName', 'externalResourceProvider'}, 'keys %r' % d)
        check(isinstance(d['pciVendorSelector'], str) and re.match(r'^[0-9A-F]{4}:[0-9A-F]{4}$',
                                                                    d['pciVendorSelector']),
              'pciVendorSelector %r' % d['pciVendorSelector'])
        check(d['externalResourceProvider'] is False, 'externalResourceProvider %r' % d['externalResourceProvider'])
        check_resource_name(d['resourceName'])
        check(d['pciVendorSelector'] not in out, 'selector %s twice' % d['pciVendorSelector'])
        out[d['pciVendorSelector']] = d['resourceName']
    check(len(set(out.values())) == len(out), 'two selectors share a resourceName: %r' % out)
    return doc, out


def nova(text):
    """{node: [device_spec...]}, [alias...] (aliases must be the same in every node's section)."""
    nodes, aliases, node, section = {}, None, None, None
    for line in text.splitlines():
        m = re.match(r'^# compute node (\S+)$', line)
        if m:
            node = m.group(1)
            nodes[node] = []
            continue
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        if line.startswith('['):
            section = line.strip()
            continue
        key, sep, value = line.partition(' = ')
        check(sep and section == '[pci]' and node, 'line outside a node\'s [pci] section: %r' % line)
        obj = json.loads(value)
        check(isinstance(obj, dict), 'not a JSON object: %r' % value)
        if key == 'device_spec':
            check(set(obj) == {'vendor_id', 'product_id', 'address'}, 'device_spec keys %r' % obj)
            nodes[node].append(obj)
        elif key == 'alias':
            check(set(obj) == {'vendor_id', 'product_id', 'device_type', 'name'}, 'alias keys %r' % obj)
            check(obj['device_type'] in ('type-PCI', 'type-PF', 'type-VF'), 'device_type %r' % obj)
            check(re.match(r'^[a-z0-9][-a-z0-9]*$', obj['name']), 'alias name %r' % obj['name'])
            aliases_here = nodes.setdefault('@aliases:' + node, [])
            aliases_here.append(obj)
        else:
            raise Fail('unknown [pci] option %r' % key)
    per_node = [v for k, v in nodes.items() if k.startswith('@aliases:')]
    for a in per_node:
        check(a == per_node[0], 'the alias lines differ between nodes')
    aliases = per_node[0] if per_node else []
    specs = {k: v for k, v in nodes.items() if not k.startswith('@')}
    flavors = re.findall(r'"pci_passthrough:alias"="([^"]+)"', text)
    names = {a['name'] for a in aliases}
    for f in flavors:
        for item in f.split(','):
            name, _, count = item.partition(':')
            check(name in names and count == '1', 'flavor extra spec %r names no alias' % item)
    return specs, aliases, flavors


def proxmox(text):
    """PVE::SectionConfig::parse_config for mapping/pci.cfg: {id: {'map': [dict...], 'description': str}}."""
    lines = [l for l in text.split('\n') if not re.match(r'^\s*#', l)]
    out, i = {}, 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        m = re.match(r'^(\S+)\s*$', line)
        check(m, 'not a section header: %r' % line)
        sid = m.group(1)
        check(CONFIGID.match(sid), 'mapping id %r is not a pve-configid' % sid)
        check(sid not in out, 'mapping %s twice' % sid)
        sec = {'map': []}
        while i < len(lines) and lines[i]:
            pm = re.match(r'^\s+(\S+)(\s+(.*\S))?\s*$', lines[i])
            check(pm, 'not a property line: %r' % lines[i])
            k, v = pm.group(1), pm.group(3)
            i += 1
            if k == 'map':
                entry = {}
                for kv in v.split(','):
                    key, sep, val = kv.partition('=')
                    check(sep and key in ('node', 'id', 'subsystem-id', 'path', 'iommugroup', 'description'),
                          'map property %r' % kv)
                    check(key not in entry, 'map property %s twice' % key)
                    entry[key] = val
                check({'node', 'id', 'path'} <= set(entry), 'map without node, id or path: %r' % v)
                check(ID.match(entry['id']), 'map id %r' % entry['id'])
                check(PATH.match(entry['path']), 'map path %r' % entry['path'])
                if 'subsystem-id' in entry:
                    check(ID.match(entry['subsystem-id']), 'subsystem-id %r' % entry['subsystem-id'])
                if 'iommugroup' in entry:
                    check(re.match(r'^-?\d+$', entry['iommugroup']), 'iommugroup %r' % entry['iommugroup'])
                    entry['iommugroup'] = int(entry['iommugroup'])
                sec['map'].append(entry)
            elif k in ('description', 'mdev'):
                check(k not in sec, 'duplicate attribute %s' % k)
                sec[k] = v
            else:
                raise Fail('unknown mapping property %r' % k)
        check(sec['map'], 'mapping %s has no map' % sid)
        nodes = [e['node'] for e in sec['map']]
        check(len(nodes) == len(set(nodes)), 'mapping %s has two entries for one node' % sid)
        out[sid] = sec
    return out


def sysfs(host_dir, addr):
    """What Proxmox's pci_device_info reads: ids, subsystem ids, IOMMU group."""
    d = os.path.join(host_dir, 'sys/bus/pci/devices', addr)

    def attr(name):
        with open(os.path.join(d, name)) as f:
            return f.read().strip()[2:]
    g = os.path.join(d, 'iommu_group')
    return {'id': attr('vendor') + ':' + attr('device'),
            'subsystem-id': attr('subsystem_vendor') + ':' + attr('subsystem_device'),
            'iommugroup': int(os.path.basename(os.readlink(g))) if os.path.islink(g) else -1}


def check_proxmox_against(out, host_dirs):
    """Every map entry passes PVE::Mapping::PCI::assert_valid on its node (the host tree it came from)."""
    for sid, sec in out.items():
        for e in sec['map']:
            for n, path in enumerate(e['path'].split(';')):
                addr = path if '.' in path[-2:] else path + '.0'
                info = sysfs(host_dirs[e['node']], addr)
                check(info['id'] == e['id'], '%s on %s: id %s, the device has %s' % (sid, e['node'], e['id'],
                                                                                    info['id']))
                check(info['subsystem-id'] == e.get('subsystem-id'), '%s on %s: subsystem-id %s, the device has %s'
                      % (sid, e['node'], e.get('subsystem-id'), info['subsystem-id']))
                if n == 0:
                    check(info['iommugroup'] == e.get('iommugroup'), '%s on %s: iommugroup %s, the device has %s'
                          % (sid, e['node'], e.get('iommugroup'), info['iommugroup']))
