/* plan-netplan.c — a bridge in netplan: vfiokit's own YAML file, merged after the user's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "netplan.h"

#define OOM(err) vk_error_set(err, -ENOMEM, "out of memory")

/* netplan reads these; a name in run/ hides etc/, which hides lib/. Later files in name order amend earlier. */
static const char *const netplan_dirs[] = {"run/netplan", "etc/netplan", "lib/netplan"};

static const char *base(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int by_basename(const void *a, const void *b) {
        return strcmp(base(*(char *const *)a), base(*(char *const *)b));
}

int vk_netplan_plan_bridge(vk_host *h, const vk_net_link *up, const vk_strv *ignore, vk_net_plan *p,
                           vk_error *err) {
        vk_netplan_info info = {.dhcp4 = -1, .dhcp6 = -1};
        vk_strv files = {0}, seen = {0};
        _cleanup_free_ char *path = NULL;
        const char *br = p->name, *last_defining = NULL;
        char *text = NULL;
        int r = 0;

        for (size_t d = 0; d < ELEMENTSOF(netplan_dirs) && r >= 0; d++) {
                vk_strv names = {0};
                if (vk_host_list_dir(h, netplan_dirs[d], &names) < 0)
                        continue;
                for (size_t i = 0; i < names.n && r >= 0; i++) {
                        size_t n = strlen(names.v[i]);
                        char *full;
                        if (n <= 5 || !vk_streq(names.v[i] + n - 5, ".yaml") || vk_strv_contains(&seen, names.v[i]))
                                continue;
                        if (!(full = vk_printf("%s/%s", netplan_dirs[d], names.v[i])))
                                r = -ENOMEM;
                        else if (vk_strv_contains(ignore, full))
                                free(full);
                        else if (vk_strv_push(&seen, names.v[i]) < 0 || vk_strv_push_take(&files, full) < 0)
                                r = -ENOMEM;
                }
                vk_strv_clear(&names);
        }
        if (r < 0) {
                r = OOM(err);
                goto out;
        }
        if (files.n > 1)
                qsort(files.v, files.n, sizeof(*files.v), by_basename);
        for (size_t i = 0; i < files.n; i++) {
                _cleanup_free_ char *data = NULL, *shown = vk_printf("/%s", files.v[i]);
                size_t len = 0;
                if (!shown) {
                        r = OOM(err);
                        goto out;
                }
                if ((r = vk_host_read_file(h, files.v[i], 1u << 20, &data, &len)) < 0) {
                        vk_error_set(err, r, "%s: %s", shown, strerror(-r));
                        goto out;
                }
                if ((r = vk_netplan_inspect(shown, data, len, up->name, up->mac, br, &info, err)) < 0)
                        goto out;
                if (info.id_file && vk_streq(info.id_file, shown))
                        last_defining = files.v[i];
        }
        if (info.bridge_at) {
                r = vk_error_refuse(err, "%s already defines the bridge %s; VMs can use it (vm new --bridge %s)",
                                    info.bridge_at, br, br);
                goto out;
        }
        if (info.port_at) {
                r = vk_error_refuse(err, "%s: %s is already a port there; VMs can use that bridge", info.port_at,
                                    up->name);
                goto out;
        }
        if (info.static_at) {
                /* a later file's lists are appended to the earlier ones: nothing can take the addresses off the uplink */
                r = vk_error_refuse(err, "%s: %s has a static configuration, and netplan merges a later file's lists "
                                         "into it rather than replacing them, so vfiokit's own file cannot move it "
                                         "to %s; move %s's addresses, routes and nameservers under bridges: %s: in "
                                         "that file by hand (seed 004's way), or use --backend networkd",
                                    info.static_at, up->name, br, up->name, br);
                goto out;
        }
        /* vfiokit's file must come after every file that switches the uplink's DHCP on, to switch it off */
        {
                static const char *const names[] = {"60-vfiokit-%s.yaml", "99-vfiokit-%s.yaml"};
                for (size_t i = 0; i < ELEMENTSOF(names) && !path; i++) {
                        _cleanup_free_ char *name = vk_printf(names[i], br);
                        if (!name) {
                                r = OOM(err);
                                goto out;
                        }
                        if (!last_defining || strcmp(name, base(last_defining)) > 0)
                                path = vk_printf("etc/netplan/%s", name);
                }
                if (!path) {
                        r = vk_error_set(err, -EEXIST, "/%s sorts after 99-vfiokit-%s.yaml, so netplan would read "
                                                       "vfiokit's file first and the uplink would keep its DHCP; "
                                                       "rename it to sort before 60-", last_defining, br);
                        goto out;
                }
        }
        {
                _cleanup_free_ char *after = last_defining ? vk_printf("/%s", last_defining) : NULL;
                const char *id = info.id ? info.id : up->name;
                /* the uplink's DHCP moves to the bridge; an uplink netplan never configured gets DHCPv4 */
                text = vk_netplan_render(br, id, up->mac, info.dhcp4 != 0, info.dhcp6 == 1, after);
                if (!text) {
                        r = OOM(err);
                        goto out;
                }
                /* vfiokit's own output must read back as what it means */
                vk_netplan_info check = {.dhcp4 = -1, .dhcp6 = -1};
                r = vk_netplan_inspect(path, text, strlen(text), up->name, up->mac, "", &check, err);
                if (r >= 0 && (!vk_streq(check.id, id) || check.dhcp4 != 0 || check.dhcp6 != 0))
                        r = vk_error_set(err, -EPROTO, "internal error: the netplan file vfiokit wrote does not "
                                                       "read back");
                vk_netplan_info_clear(&check);
                if (r < 0)
                        goto out;
        }
        if (!info.id && (r = vk_net_note(p, "no netplan file configures %s: the bridge asks DHCP for its address",
                                         up->name)) < 0)
                goto out;
        if ((r = vk_net_note(p, "netplan renders it for %s", info.renderer && vk_streq(info.renderer, "NetworkManager")
                                                                   ? "NetworkManager"
                                                                   : "systemd-networkd")) < 0 ||
            (r = vk_net_plan_file(p, h, path, TAKE_PTR(text), 0600)) < 0 ||
            (r = vk_net_cmd(&p->run, &p->n_run, "netplan", "generate", NULL)) < 0 ||
            (r = vk_net_cmd(&p->run, &p->n_run, "netplan", "apply", NULL)) < 0 ||
            (r = vk_net_cmd(&p->undo, &p->n_undo, "ip", "link", "delete", "dev", br, NULL)) < 0 ||
            (r = vk_net_cmd(&p->undo, &p->n_undo, "netplan", "apply", NULL)) < 0) {
                r = OOM(err);
                goto out;
        }
out:
        free(text);
        vk_netplan_info_clear(&info);
        vk_strv_clear(&files);
        vk_strv_clear(&seen);
        return r;
}
