/* backends.c — plan a bridge (or a tap) in the files of systemd-networkd and netplan, or as nmcli commands. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "netplan.h"

#define OOM(err) vk_error_set(err, -ENOMEM, "out of memory")

/* networkd reads these directories; a name in an earlier one hides the same name in a later one. */
static const char *const networkd_dirs[] = {"etc/systemd/network", "run/systemd/network",
                                            "usr/local/lib/systemd/network", "usr/lib/systemd/network",
                                            "lib/systemd/network"};

static const char *base(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int by_basename(const void *a, const void *b) {
        return strcmp(base(*(char *const *)a), base(*(char *const *)b));
}

/* Every SUFFIX file networkd reads, in its order: all directories together, sorted by file name. */
static int networkd_files(vk_host *h, const char *suffix, const vk_strv *ignore, vk_strv *ret) {
        vk_strv out = {0}, seen = {0};
        int r = 0;

        for (size_t d = 0; d < ELEMENTSOF(networkd_dirs) && r >= 0; d++) {
                vk_strv names = {0};
                if (vk_host_list_dir(h, networkd_dirs[d], &names) < 0)
                        continue;
                for (size_t i = 0; i < names.n && r >= 0; i++) {
                        size_t n = strlen(names.v[i]), sn = strlen(suffix);
                        _cleanup_free_ char *path = NULL;
                        if (n <= sn || !vk_streq(names.v[i] + n - sn, suffix) || vk_strv_contains(&seen, names.v[i]))
                                continue;
                        path = vk_printf("%s/%s", networkd_dirs[d], names.v[i]);
                        if (!path)
                                r = -ENOMEM;
                        else if (!vk_strv_contains(ignore, path))
                                r = vk_strv_push(&seen, names.v[i]) < 0 ? -ENOMEM
                                                                         : vk_strv_push_take(&out, TAKE_PTR(path));
                }
                vk_strv_clear(&names);
        }
        vk_strv_clear(&seen);
        if (r < 0) {
                vk_strv_clear(&out);
                return r;
        }
        if (out.n > 1)
                qsort(out.v, out.n, sizeof(*out.v), by_basename);
        *ret = out;
        return 0;
}

/* The first of FILES whose [Match] selects IFC (NULL when none), parsed. A masked (empty) file is skipped. */
static int first_match(vk_host *h, const vk_strv *files, const vk_net_iface *ifc, vk_net_plan *p, char **ret_path,
                       vk_ini *ret_ini, vk_error *err) {
        for (size_t i = 0; i < files->n; i++) {
                _cleanup_free_ char *text = NULL, *shown = vk_printf("/%s", files->v[i]);
                const char *unsure = NULL;
                vk_ini ini = {0};
                size_t len = 0;
                int r;

                if (!shown)
                        return OOM(err);
                r = vk_host_read_file(h, files->v[i], 1u << 20, &text, &len);
                if (r < 0)
                        return vk_error_set(err, r, "%s: %s", shown, strerror(-r));
                if (len == 0)
                        continue;
                if ((r = vk_ini_parse(shown, text, len, &ini, err)) < 0)
                        return r;
                if (!vk_networkd_match(&ini, ifc, &unsure)) {
                        vk_ini_clear(&ini);
                        continue;
                }
                if (unsure && vk_net_note(p, "%s: [Match] %s= is not evaluated by vfiokit; taken to match %s",
                                          shown, unsure, ifc->name) < 0) {
                        vk_ini_clear(&ini);
                        return OOM(err);
                }
                if (!(*ret_path = strdup(files->v[i]))) {
                        vk_ini_clear(&ini);
                        return OOM(err);
                }
                *ret_ini = ini;
                return 1;
        }
        *ret_path = NULL;
        return 0;
}

/* A file-name prefix under which NAME_A sorts before BEFORE_A and NAME_B before BEFORE_B (NULL: anything). */
static const char *pick_prefix(const char *name_a, const char *before_a, const char *name_b, const char *before_b) {
        static const char *const prefixes[] = {"10", "05", "00"};
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                char a[300], b[300];
                snprintf(a, sizeof(a), "%s-%s", prefixes[i], name_a);
                snprintf(b, sizeof(b), "%s-%s", prefixes[i], name_b);
                if ((!before_a || strcmp(a, before_a) < 0) && (!before_b || strcmp(b, before_b) < 0))
                        return prefixes[i];
        }
        return NULL;
}

/* A .netdev that already creates NAME (not one of vfiokit's): its path, or NULL. */
static int netdev_defining(vk_host *h, const vk_strv *netdevs, const char *name, char **ret, vk_error *err) {
        *ret = NULL;
        for (size_t i = 0; i < netdevs->n && !*ret; i++) {
                _cleanup_free_ char *text = NULL, *shown = vk_printf("/%s", netdevs->v[i]);
                vk_ini ini = {0};
                size_t len = 0;
                int r;
                if (!shown)
                        return OOM(err);
                if (vk_host_read_file(h, netdevs->v[i], 1u << 20, &text, &len) < 0 || len == 0)
                        continue;
                if ((r = vk_ini_parse(shown, text, len, &ini, err)) < 0)
                        return r;
                if (vk_streq(vk_ini_get(&ini, "NetDev", "Name"), name))
                        *ret = TAKE_PTR(shown);
                vk_ini_clear(&ini);
        }
        return 0;
}

/* [Network] and what follows from the uplink's old file, for the bridge: its addresses, routes, DHCP. */
static char *copy_config(const vk_ini *ini, const char *from, const char *uplink) {
        char *out = vk_printf("# Copied from /%s, which configured %s: the bridge carries it now (that file\n"
                              "# stays as it is; vfiokit's files sort before it, so networkd no longer applies it to "
                              "%s).\n", from, uplink, uplink);
        unsigned section = 0;

        for (size_t i = 0; out && i < ini->n; i++) {
                const vk_ini_entry *e = &ini->v[i];
                bool header = e->section_no != section;
                char *more;
                if (vk_streq(e->section, "Match") || vk_streq(e->section, "Link") ||
                    (vk_streq(e->section, "Network") && (vk_streq(e->key, "Bridge") || vk_streq(e->key, "Bond"))))
                        continue;
                more = vk_printf("%s%s%s%s%s%s=%s\n", out, header && section ? "\n" : "", header ? "[" : "",
                                 header ? e->section : "", header ? "]\n" : "", e->key, e->value);
                section = e->section_no;
                free(out);
                out = more;
        }
        return out;
}

int vk_networkd_plan_bridge(vk_host *h, const vk_net_link *up, const vk_strv *ignore, vk_net_plan *p,
                            vk_error *err) {
        _cleanup_free_ char *up_path = NULL, *br_path = NULL, *defined = NULL, *port_name = NULL, *br_name = NULL;
        const char *br = p->name, *prefix;
        vk_strv networks = {0}, netdevs = {0};
        vk_ini up_ini = {0}, br_ini = {0};
        vk_net_iface br_ifc = {.name = br, .type = "bridge"};
        char *netdev = NULL, *network = NULL, *port = NULL, *config = NULL;
        int r;

        if (networkd_files(h, ".network", ignore, &networks) < 0 || networkd_files(h, ".netdev", ignore, &netdevs) < 0) {
                r = OOM(err);
                goto out;
        }
        if ((r = netdev_defining(h, &netdevs, br, &defined, err)) < 0)
                goto out;
        if (defined) {
                r = vk_error_refuse(err, "%s already creates %s; VMs can use that bridge (vm new --bridge %s)",
                                    defined, br, br);
                goto out;
        }
        if ((r = first_match(h, &networks, &up->match, p, &up_path, &up_ini, err)) < 0 ||
            (r = first_match(h, &networks, &br_ifc, p, &br_path, &br_ini, err)) < 0)
                goto out;
        if (up_path && vk_ini_get(&up_ini, "Network", "Bridge")) {
                r = vk_error_refuse(err, "/%s already makes %s a port of %s; VMs can use that bridge", up_path,
                                    up->name, vk_ini_get(&up_ini, "Network", "Bridge"));
                goto out;
        }
        port_name = vk_printf("vfiokit-%s-bridge-port.network", up->name);
        br_name = vk_printf("vfiokit-%s.network", br);
        if (!port_name || !br_name) {
                r = OOM(err);
                goto out;
        }
        prefix = pick_prefix(port_name, up_path ? base(up_path) : NULL, br_name, br_path ? base(br_path) : NULL);
        if (!prefix) {
                r = vk_error_set(err, -EEXIST, "cannot name a file that networkd reads before /%s; rename that file "
                                               "(it must sort after 00-)", up_path ? up_path : br_path);
                goto out;
        }
        netdev = vk_printf("# Written by vfiokit net bridge: the bridge %s for VMs (undo: vfiokit net remove %s).\n"
                           "[NetDev]\nName=%s\nKind=bridge\n%s%s%s",
                           br, br, br, up->mac ? "# the uplink's MAC, so the DHCP server gives the bridge the "
                                                 "uplink's lease\nMACAddress=" : "",
                           up->mac ? up->mac : "", up->mac ? "\n" : "");
        config = up_path && up_ini.n ? copy_config(&up_ini, up_path, up->name) : strdup("");
        if (!config) {
                r = OOM(err);
                goto out;
        }
        if (up_path && !vk_ini_get(&up_ini, "Network", "Address") && !vk_ini_get(&up_ini, "Address", "Address") &&
            !vk_ini_get(&up_ini, "Network", "DHCP"))
                r = vk_net_note(p, "/%s configures %s with neither DHCP= nor Address=; the bridge gets the same "
                                   "(no address)", up_path, up->name);
        network = up_path ? vk_printf("# Written by vfiokit net bridge: %s's addresses (undo: vfiokit net remove %s)."
                                      "\n[Match]\nName=%s\n\n%s", br, br, br, config)
                          : vk_printf("# Written by vfiokit net bridge: %s's addresses (undo: vfiokit net remove %s)."
                                      "\n# No .network file configured %s: the bridge asks DHCP for its address.\n"
                                      "[Match]\nName=%s\n\n[Network]\nDHCP=yes\n", br, br, up->name, br);
        port = vk_printf("# Written by vfiokit net bridge: %s is a port of %s (undo: vfiokit net remove %s).\n"
                         "# networkd uses the first .network file that matches: %s%s%s.\n"
                         "[Match]\nName=%s\n\n[Network]\nBridge=%s\n",
                         up->name, br, br, up_path ? "this one sorts before /" : "no other one matches ",
                         up_path ? up_path : up->name, up_path ? "" : " now", up->name, br);
        {
                _cleanup_free_ char *dp = vk_printf("etc/systemd/network/%s-vfiokit-%s.netdev", prefix, br),
                                    *np = vk_printf("etc/systemd/network/%s-%s", prefix, br_name),
                                    *pp = vk_printf("etc/systemd/network/%s-%s", prefix, port_name);
                if (r < 0 || !dp || !np || !pp || !netdev || !network || !port ||
                    vk_net_plan_file(p, h, dp, TAKE_PTR(netdev), 0644) < 0 ||
                    vk_net_plan_file(p, h, np, TAKE_PTR(network), 0644) < 0 ||
                    vk_net_plan_file(p, h, pp, TAKE_PTR(port), 0644) < 0 ||
                    vk_net_cmd(&p->run, &p->n_run, "networkctl", "reload", NULL) < 0 ||
                    /* networkd never deletes a netdev whose file went away, nor frees its ports */
                    vk_net_cmd(&p->undo, &p->n_undo, "networkctl", "reload", NULL) < 0 ||
                    vk_net_cmd(&p->undo, &p->n_undo, "ip", "link", "delete", "dev", br, NULL) < 0 ||
                    vk_net_cmd(&p->undo, &p->n_undo, "networkctl", "reconfigure", up->name, NULL) < 0) {
                        r = OOM(err);
                        goto out;
                }
        }
        r = 0;
out:
        free(netdev);
        free(network);
        free(port);
        free(config);
        vk_ini_clear(&up_ini);
        vk_ini_clear(&br_ini);
        vk_strv_clear(&networks);
        vk_strv_clear(&netdevs);
        return r;
}

int vk_networkd_plan_tap(vk_host *h, const vk_strv *ignore, vk_net_plan *p, vk_error *err) {
        _cleanup_free_ char *first = NULL, *defined = NULL, *net_name = vk_printf("vfiokit-%s.network", p->name);
        vk_strv networks = {0}, netdevs = {0};
        vk_net_iface ifc = {.name = p->name, .type = "ether"};
        vk_ini ini = {0};
        const char *prefix;
        int r;

        if (!net_name || networkd_files(h, ".network", ignore, &networks) < 0 ||
            networkd_files(h, ".netdev", ignore, &netdevs) < 0) {
                r = OOM(err);
                goto out;
        }
        if ((r = netdev_defining(h, &netdevs, p->name, &defined, err)) < 0)
                goto out;
        if (defined) {
                r = vk_error_refuse(err, "%s already creates %s; choose another name", defined, p->name);
                goto out;
        }
        if ((r = first_match(h, &networks, &ifc, p, &first, &ini, err)) < 0)
                goto out;
        prefix = pick_prefix(net_name, p->master && first ? base(first) : NULL, "", NULL);
        if (!prefix) {
                r = vk_error_set(err, -EEXIST, "cannot name a file that networkd reads before /%s", first);
                goto out;
        }
        {
                _cleanup_free_ char *dp = vk_printf("etc/systemd/network/%s-vfiokit-%s.netdev", prefix, p->name),
                                    *np = vk_printf("etc/systemd/network/%s-%s", prefix, net_name);
                char *netdev = vk_printf("# Written by vfiokit net tap: %s for QEMU, owned by %s (undo: vfiokit net "
                                         "remove %s).\n[NetDev]\nName=%s\nKind=tap\n\n[Tap]\nUser=%s\n",
                                         p->name, p->user, p->name, p->name, p->user);
                char *network = p->master ? vk_printf("# Written by vfiokit net tap: %s is a port of %s (undo: vfiokit "
                                                      "net remove %s).\n[Match]\nName=%s\n\n[Network]\nBridge=%s\n",
                                                      p->name, p->master, p->name, p->name, p->master)
                                          : NULL;
                if (!dp || !np || !netdev || (p->master && !network) ||
                    vk_net_plan_file(p, h, dp, netdev, 0644) < 0 ||
                    (p->master && vk_net_plan_file(p, h, np, network, 0644) < 0) ||
                    vk_net_cmd(&p->run, &p->n_run, "networkctl", "reload", NULL) < 0 ||
                    vk_net_cmd(&p->undo, &p->n_undo, "networkctl", "reload", NULL) < 0 ||
                    vk_net_cmd(&p->undo, &p->n_undo, "ip", "link", "delete", "dev", p->name, NULL) < 0) {
                        r = OOM(err);
                        goto out;
                }
        }
        r = 0;
out:
        vk_ini_clear(&ini);
        vk_strv_clear(&networks);
        vk_strv_clear(&netdevs);
        return r;
}
