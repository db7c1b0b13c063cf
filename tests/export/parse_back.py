"""parse_back.py — every export format on the example hosts, parsed back and checked against the hosts.
usage: parse_back.py VFIOKIT SRCDIR"""
import json
import os
import sys

from exportcheck import Fail, check, check_proxmox_against, kubevirt, nova, proxmox, run

vfiokit, src = sys.argv[1], sys.argv[2]
os.chdir(src)
HOSTS = {
    'desktop-nvidia': {
        'selectors': {'10DE:2484': 'nvidia.com/GA104_GEFORCE_RTX_3070',
                      '10DE:228B': 'nvidia.com/GA104_HIGH_DEFINITION_AUDIO_CONTROLLER'},
        'addresses': ['0000:01:00.0', '0000:01:00.1'], 'type': 'type-PCI',
        'proxmox': {'ga104_geforce_rtx_3070': ('0000:01:00', '10de:2484')},
    },
    'laptop-muxless': {
        'selectors': {'10DE:2191': 'nvidia.com/TU116M_GEFORCE_GTX_1660_TI_MOBILE',
                      '10DE:1AEB': 'nvidia.com/TU116_HIGH_DEFINITION_AUDIO_CONTROLLER',
                      '10DE:1AEC': 'nvidia.com/TU116_USB_3_1_HOST_CONTROLLER',
                      '10DE:1AED': 'nvidia.com/TU116_USB_TYPE_C_UCSI_CONTROLLER'},
        'addresses': ['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3'], 'type': 'type-PCI',
        'proxmox': {'tu116m_geforce_gtx_1660_ti_mobile': ('0000:01:00', '10de:2191')},
    },
    'amd-b550': {  # the RX 560's group holds the chipset's disks and NICs: only the GTX 1060
        'selectors': {'10DE:1C02': 'nvidia.com/GP106_GEFORCE_GTX_1060_3GB',
                      '10DE:10F1': 'nvidia.com/GP106_HIGH_DEFINITION_AUDIO_CONTROLLER'},
        'addresses': ['0000:08:00.0', '0000:08:00.1'], 'type': 'type-PCI',
        'proxmox': {'gp106_geforce_gtx_1060_3gb': ('0000:08:00', '10de:1c02')},
    },
    'n100-sriov': {  # the PF has VFs and drives the display: its two VFs
        'selectors': {'8086:46D1': 'intel.com/ALDER_LAKE_N_UHD_GRAPHICS'},
        'addresses': ['0000:00:02.1', '0000:00:02.2'], 'type': 'type-VF',
        'proxmox': {'alder_lake_n_uhd_graphics': ('0000:00:02.1;0000:00:02.2', '8086:46d1')},
    },
}

n = 0
try:
    for host, want in HOSTS.items():
        root = 'examples/hosts/' + host
        # KubeVirt: YAML and --json are one object
        text, _ = run(vfiokit, '--root', root, 'export', '--format=kubevirt')
        doc, sel = kubevirt(text)
        check(sel == want['selectors'], '%s kubevirt selectors %r' % (host, sel))
        js = json.loads(run(vfiokit, '--root', root, 'export', '--format=kubevirt', '--json')[0])
        check(js['kubevirt'] == doc, '%s: the YAML and the JSON of the KubeVirt patch differ' % host)
        check(js['format'] == 'kubevirt' and js['hosts'][0]['name'] == host, '%s: json hosts %r' % (host, js['hosts']))
        # Nova
        text, _ = run(vfiokit, '--root', root, 'export', '--format=nova')
        specs, aliases, flavors = nova(text)
        check(list(specs) == [host], '%s nova nodes %r' % (host, list(specs)))
        check([s['address'] for s in specs[host]] == want['addresses'], '%s nova addresses %r' % (host, specs[host]))
        check({(a['vendor_id'] + ':' + a['product_id']).upper() for a in aliases} == set(want['selectors']),
              '%s nova aliases %r' % (host, aliases))
        check(aliases[0]['device_type'] == want['type'], '%s nova device_type %r' % (host, aliases[0]))
        check(len(flavors) == 1, '%s flavors %r' % (host, flavors))
        js = json.loads(run(vfiokit, '--root', root, 'export', '--format=nova', '--json')[0])
        check(js['nova']['alias'] == aliases and js['nova']['compute_nodes'][0]['device_spec'] == specs[host],
              '%s: the nova.conf lines and the JSON differ' % host)
        # Proxmox
        text, _ = run(vfiokit, '--root', root, 'export', '--format=proxmox')
        maps = proxmox(text)
        check({k: (v['map'][0]['path'], v['map'][0]['id']) for k, v in maps.items()} == want['proxmox'],
              '%s proxmox %r' % (host, maps))
        check(all(v['map'][0]['node'] == host for v in maps.values()), '%s proxmox nodes' % host)
        check_proxmox_against(maps, {host: root})
        js = json.loads(run(vfiokit, '--root', root, 'export', '--format=proxmox', '--json')[0])
        check([m['id'] for m in js['proxmox']['mappings']] == list(maps), '%s: proxmox JSON ids' % host)
        n += 1
except (Fail, KeyError, ValueError) as e:
    print('FAIL: %s' % e, file=sys.stderr)
    sys.exit(1)
print('parsed back kubevirt, nova and proxmox exports of %d hosts' % n)
