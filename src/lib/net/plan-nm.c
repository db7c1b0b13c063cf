/* plan-nm.c — a bridge in NetworkManager: nmcli commands (NetworkManager owns its profiles; vfiokit writes none). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define OOM(err) vk_error_set(err, -ENOMEM, "out of memory")

static const char *const nm_dirs[] = {"etc/NetworkManager/system-connections", "run/NetworkManager/system-connections"};

/* The uplink's profile in the keyfiles (interface-name, or the MAC of an ethernet profile without one). */
typedef struct nm_profile {
        char *file, *id;
        bool autoconnect;
        char *method, *addresses, *gateway, *dns; /* ipv4 */
} nm_profile;

static void nm_profile_clear(nm_profile *n) {
        free(n->file);
        free(n->id);
        free(n->method);
        free(n->addresses);
        free(n->gateway);
        free(n->dns);
        *n = (nm_profile){0};
}

/* keyfile ipv4: address1=192.168.1.5/24,192.168.1.1 (the gateway after the comma), dns=1.1.1.1;8.8.8.8; */
static int read_ipv4(const vk_ini *ini, nm_profile *n) {
        for (size_t i = 0; i < ini->n; i++) {
                const vk_ini_entry *e = &ini->v[i];
                if (!vk_streq(e->section, "ipv4"))
                        continue;
                if (vk_startswith(e->key, "address") && e->key[7] >= '1' && e->key[7] <= '9') {
                        size_t cut = strcspn(e->value, ",");
                        char *more = vk_printf("%s%s%.*s", n->addresses ? n->addresses : "", n->addresses ? "," : "",
                                               (int)cut, e->value);
                        if (!more)
                                return -ENOMEM;
                        free(n->addresses);
                        n->addresses = more;
                        if (e->value[cut] == ',' && !n->gateway && !(n->gateway = strdup(e->value + cut + 1)))
                                return -ENOMEM;
                } else if (vk_streq(e->key, "gateway")) {
                        free(n->gateway);
                        if (!(n->gateway = strdup(e->value)))
                                return -ENOMEM;
                } else if (vk_streq(e->key, "dns")) {
                        char *d = strdup(e->value);
                        if (!d)
                                return -ENOMEM;
                        for (char *c = d; *c; c++)
                                if (*c == ';')
                                        *c = ',';
                        if (*d && d[strlen(d) - 1] == ',')
                                d[strlen(d) - 1] = 0;
                        free(n->dns);
                        n->dns = d;
                }
        }
        return 0;
}

static int find_profiles(vk_host *h, const vk_net_link *up, const char *br, nm_profile *ret, char **ret_bridge,
                         vk_error *err) {
        *ret_bridge = NULL;
        for (size_t d = 0; d < ELEMENTSOF(nm_dirs); d++) {
                vk_strv names = {0};
                if (vk_host_list_dir(h, nm_dirs[d], &names) < 0)
                        continue;
                for (size_t i = 0; i < names.n; i++) {
                        _cleanup_free_ char *path = vk_printf("%s/%s", nm_dirs[d], names.v[i]), *text = NULL,
                                            *shown = vk_printf("/%s/%s", nm_dirs[d], names.v[i]);
                        const char *type, *ifname, *mac;
                        vk_ini ini = {0};
                        size_t len = 0;
                        int r;

                        if (!path || !shown) {
                                vk_strv_clear(&names);
                                return OOM(err);
                        }
                        if (strlen(names.v[i]) <= 13 || !vk_streq(names.v[i] + strlen(names.v[i]) - 13, ".nmconnection") ||
                            vk_host_read_file(h, path, 1u << 20, &text, &len) < 0)
                                continue;
                        if ((r = vk_ini_parse(shown, text, len, &ini, err)) < 0) {
                                vk_strv_clear(&names);
                                return r;
                        }
                        type = vk_ini_get(&ini, "connection", "type");
                        ifname = vk_ini_get(&ini, "connection", "interface-name");
                        mac = vk_ini_get(&ini, "ethernet", "mac-address");
                        if (vk_streq(ifname, br) && !*ret_bridge)
                                *ret_bridge = TAKE_PTR(shown);
                        else if (!ret->file && (vk_streq(type, "ethernet") || vk_streq(type, "802-3-ethernet")) &&
                                 (vk_streq(ifname, up->name) ||
                                  (!ifname && mac && up->mac && strcasecmp(mac, up->mac) == 0))) {
                                const char *ac = vk_ini_get(&ini, "connection", "autoconnect");
                                const char *id = vk_ini_get(&ini, "connection", "id");
                                const char *method = vk_ini_get(&ini, "ipv4", "method");
                                ret->file = TAKE_PTR(shown);
                                ret->id = strdup(id ? id : names.v[i]);
                                ret->autoconnect = !ac || vk_streq(ac, "true") || vk_streq(ac, "yes");
                                ret->method = strdup(method ? method : "auto");
                                if (!ret->id || !ret->method || read_ipv4(&ini, ret) < 0) {
                                        vk_ini_clear(&ini);
                                        vk_strv_clear(&names);
                                        return OOM(err);
                                }
                        }
                        vk_ini_clear(&ini);
                }
                vk_strv_clear(&names);
        }
        return 0;
}

int vk_nm_plan_bridge(vk_host *h, const vk_net_link *up, vk_net_plan *p, vk_error *err) {
        _cleanup_free_ char *bridge_file = NULL, *port = vk_printf("%s-port-%s", p->name, up->name);
        nm_profile old = {0};
        const char *br = p->name;
        vk_strv add = {0};
        int r;

        if (!port)
                return OOM(err);
        if ((r = find_profiles(h, up, br, &old, &bridge_file, err)) < 0)
                goto out;
        if (bridge_file) {
                r = vk_error_refuse(err, "%s is already a NetworkManager profile for %s; VMs can use that bridge",
                                    bridge_file, br);
                goto out;
        }
        r = -ENOMEM;
        if (vk_strv_push(&add, "nmcli") < 0 || vk_strv_push(&add, "connection") < 0 || vk_strv_push(&add, "add") < 0 ||
            vk_strv_push(&add, "type") < 0 || vk_strv_push(&add, "bridge") < 0 || vk_strv_push(&add, "ifname") < 0 ||
            vk_strv_push(&add, br) < 0 || vk_strv_push(&add, "con-name") < 0 || vk_strv_push(&add, br) < 0)
                goto oom;
        if (old.method && vk_streq(old.method, "manual") && old.addresses) {
                /* the uplink's static IPv4 moves to the bridge */
                if (vk_strv_push(&add, "ipv4.method") < 0 || vk_strv_push(&add, "manual") < 0 ||
                    vk_strv_push(&add, "ipv4.addresses") < 0 || vk_strv_push(&add, old.addresses) < 0 ||
                    (old.gateway && (vk_strv_push(&add, "ipv4.gateway") < 0 || vk_strv_push(&add, old.gateway) < 0)) ||
                    (old.dns && (vk_strv_push(&add, "ipv4.dns") < 0 || vk_strv_push(&add, old.dns) < 0)))
                        goto oom;
        }
        {
                vk_strv *grown = realloc(p->run, (p->n_run + 1) * sizeof(*grown));
                if (!grown)
                        goto oom;
                p->run = grown;
                p->run[p->n_run++] = add;
                add = (vk_strv){0};
        }
        if (vk_net_cmd(&p->run, &p->n_run, "nmcli", "connection", "add", "type", "bridge-slave", "ifname", up->name,
                       "master", br, "con-name", port, NULL) < 0)
                goto oom;
        /* two autoconnect profiles for one NIC: NetworkManager could pick the old one at the next boot */
        if (old.id && old.autoconnect &&
            vk_net_cmd(&p->run, &p->n_run, "nmcli", "connection", "modify", old.id, "connection.autoconnect", "no",
                       NULL) < 0)
                goto oom;
        if (vk_net_cmd(&p->run, &p->n_run, "nmcli", "connection", "up", port, NULL) < 0 ||
            vk_net_cmd(&p->run, &p->n_run, "nmcli", "connection", "up", br, NULL) < 0 ||
            vk_net_cmd(&p->undo, &p->n_undo, "nmcli", "connection", "delete", port, NULL) < 0 ||
            vk_net_cmd(&p->undo, &p->n_undo, "nmcli", "connection", "delete", br, NULL) < 0)
                goto oom;
        if (old.id && old.autoconnect &&
            vk_net_cmd(&p->undo, &p->n_undo, "nmcli", "connection", "modify", old.id, "connection.autoconnect", "yes",
                       NULL) < 0)
                goto oom;
        if (old.id ? vk_net_cmd(&p->undo, &p->n_undo, "nmcli", "connection", "up", old.id, NULL) < 0
                   : vk_net_cmd(&p->undo, &p->n_undo, "nmcli", "device", "connect", up->name, NULL) < 0)
                goto oom;
        if (old.id) {
                if (vk_net_note(p, "%s's profile '%s' (%s) is kept; the bridge takes its %s", up->name, old.id, old.file,
                                vk_streq(old.method, "manual") ? "static IPv4 (IPv6 settings are not copied)"
                                                               : "place with DHCP (ipv4.method auto)") < 0)
                        goto oom;
        } else if (vk_net_note(p, "no NetworkManager keyfile names %s (an in-memory 'Wired connection'?): the bridge "
                                  "uses DHCP", up->name) < 0)
                goto oom;
        r = 0;
        goto out;
oom:
        r = OOM(err);
out:
        vk_strv_clear(&add);
        nm_profile_clear(&old);
        return r;
}
