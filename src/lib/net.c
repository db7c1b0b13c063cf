/* net.c — bridges and taps for VMs: which network stack runs, whether an interface can be bridged, the plan. */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "net/internal.h"

static const char *const backend_names[] = {"auto", "networkd", "netplan", "nm"};

const char *vk_net_backend_name(vk_net_backend b) {
        return (size_t)b < ELEMENTSOF(backend_names) ? backend_names[b] : "?";
}

int vk_net_backend_parse(const char *s, vk_net_backend *ret) {
        for (size_t i = 1; i < ELEMENTSOF(backend_names); i++)
                if (vk_streq(s, backend_names[i])) {
                        *ret = (vk_net_backend)i;
                        return 0;
                }
        if (vk_streq(s, "networkmanager") || vk_streq(s, "NetworkManager")) {
                *ret = VK_NET_NM;
                return 0;
        }
        return -EINVAL;
}

/* A unit is enabled when its symlink exists in a .wants directory; the link may point outside a fixture. */
static bool exists(vk_host *h, const char *path) {
        _cleanup_free_ char *target = NULL;
        return vk_host_stat(h, path, NULL) >= 0 || vk_host_readlink(h, path, &target) >= 0;
}

static bool has_yaml(vk_host *h, const char *dir) {
        vk_strv names = {0};
        bool found = false;
        if (vk_host_list_dir(h, dir, &names) < 0)
                return false;
        for (size_t i = 0; i < names.n; i++) {
                size_t n = strlen(names.v[i]);
                found |= n > 5 && vk_streq(names.v[i] + n - 5, ".yaml");
        }
        vk_strv_clear(&names);
        return found;
}

int vk_net_detect(vk_host *h, vk_net_backend *ret, vk_error *err) {
        bool networkd = exists(h, "etc/systemd/system/multi-user.target.wants/systemd-networkd.service") ||
                        exists(h, "run/systemd/netif");
        bool netplan = has_yaml(h, "etc/netplan") || has_yaml(h, "run/netplan") || has_yaml(h, "lib/netplan");
        bool nm = exists(h, "etc/systemd/system/multi-user.target.wants/NetworkManager.service") ||
                  exists(h, "run/NetworkManager");

        /* netplan is the configuration above networkd or NetworkManager: its YAML is what to edit */
        if (netplan) {
                *ret = VK_NET_NETPLAN;
                return 0;
        }
        if (networkd && nm)
                return vk_error_set(err, -ENOTUNIQ, "both systemd-networkd (enabled) and NetworkManager (enabled) "
                                                    "are on this host and no netplan YAML says which one owns the "
                                                    "uplink; say which with --backend networkd or --backend nm");
        if (networkd || nm) {
                *ret = networkd ? VK_NET_NETWORKD : VK_NET_NM;
                return 0;
        }
        return vk_error_set(err, -ENOENT, "no network stack found (no enabled systemd-networkd or NetworkManager "
                                          "unit, no /etc/netplan/*.yaml%s); say which configures this host with "
                                          "--backend networkd|netplan|nm",
                            exists(h, "etc/NetworkManager") ? "; /etc/NetworkManager exists but the unit is not "
                                                              "enabled" : "");
}

int vk_net_check_name(const char *what, const char *name, vk_error *err) {
        size_t n = strlen(name);

        if (n == 0 || n > 15)
                return vk_error_set(err, -EINVAL, "%s '%s': an interface name has 1 to 15 characters (IFNAMSIZ)",
                                    what, name);
        if (vk_streq(name, ".") || vk_streq(name, ".."))
                return vk_error_set(err, -EINVAL, "%s '%s' is not a valid interface name", what, name);
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '.' || *c == '_' || *c == '-'))
                        return vk_error_set(err, -EINVAL,
                                            "%s '%s': '%c' is not allowed; use letters, digits, '.', '_' and '-' "
                                            "(the kernel refuses '/', ':' and spaces; the others break the files "
                                            "that name it)", what, name, *c);
        return 0;
}

void vk_net_link_clear(vk_net_link *l) {
        free(l->mac);
        free(l->driver);
        free(l->type);
        *l = (vk_net_link){0};
}

/* One attribute of sys/class/net/NAME, stripped; NULL when absent. */
static char *link_attr(vk_host *h, const char *name, const char *attr) {
        _cleanup_free_ char *p = vk_printf("sys/class/net/%s/%s", name, attr);
        char *v = NULL;
        if (!p || vk_host_read_file(h, p, 4096, &v, NULL) < 0)
                return NULL;
        vk_strip(v);
        return v;
}

int vk_net_link_read(vk_host *h, const char *name, vk_net_link *ret) {
        _cleanup_free_ char *dir = vk_printf("sys/class/net/%s", name), *drvlink = NULL, *drv = NULL,
                            *uevent = NULL, *type = NULL;
        vk_net_link l = {0};
        bool is_dir = false;
        char *t;

        if (!dir)
                return -ENOMEM;
        if (vk_host_stat(h, dir, &is_dir) < 0 || !is_dir)
                return -ENOENT;
        snprintf(l.name, sizeof(l.name), "%s", name);
        l.mac = link_attr(h, name, "address");
        if (l.mac && !*l.mac) {
                free(l.mac);
                l.mac = NULL;
        }
        if ((drvlink = vk_printf("%s/device/driver", dir)) && vk_host_readlink(h, drvlink, &drv) >= 0)
                l.driver = strdup(strrchr(drv, '/') ? strrchr(drv, '/') + 1 : drv);
        /* networkd's Type: the uevent's DEVTYPE (bridge, wlan, …) or, for plain ARPHRD_ETHER, "ether" */
        uevent = link_attr(h, name, "uevent");
        if (uevent && (t = strstr(uevent, "DEVTYPE=")))
                l.type = strndup(t + 8, strcspn(t + 8, "\n"));
        if (!l.type && (type = link_attr(h, name, "type")))
                l.type = strdup(vk_streq(type, "1") ? "ether" : vk_streq(type, "772") ? "loopback" : "none");
        *ret = l;
        /* the name lives in *ret itself: point at that copy, not at this stack frame */
        ret->match = (vk_net_iface){.name = ret->name, .mac = ret->mac, .driver = ret->driver, .type = ret->type};
        return 0;
}

void vk_net_plan_clear(vk_net_plan *p) {
        for (size_t i = 0; i < p->n_files; i++) {
                free(p->files[i].path);
                free(p->files[i].content);
                free(p->files[i].old);
        }
        free(p->files);
        for (size_t i = 0; i < p->n_run; i++)
                vk_strv_clear(&p->run[i]);
        free(p->run);
        for (size_t i = 0; i < p->n_undo; i++)
                vk_strv_clear(&p->undo[i]);
        free(p->undo);
        vk_strv_clear(&p->notes);
        free(p->name);
        free(p->uplink);
        free(p->user);
        free(p->master);
        *p = (vk_net_plan){0};
}

int vk_net_plan_file(vk_net_plan *p, vk_host *h, const char *path, char *content, unsigned mode) {
        vk_net_file *f = realloc(p->files, (p->n_files + 1) * sizeof(*f));
        char *old = NULL;
        int r;

        if (!f) {
                free(content);
                return -ENOMEM;
        }
        p->files = f;
        r = vk_host_read_file(h, path, 1u << 20, &old, NULL);
        if (r < 0 && r != -ENOENT) {
                free(content);
                return r;
        }
        f[p->n_files] = (vk_net_file){.path = strdup(path), .content = content, .old = old, .mode = mode};
        if (!f[p->n_files].path) {
                free(content);
                free(old);
                return -ENOMEM;
        }
        p->n_files++;
        return 0;
}

int vk_net_cmd(vk_strv **v, size_t *n, ...) {
        vk_strv *grown = realloc(*v, (*n + 1) * sizeof(**v)), argv = {0};
        va_list ap;

        if (!grown)
                return -ENOMEM;
        *v = grown;
        va_start(ap, n);
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
                if (vk_strv_push(&argv, s) < 0) {
                        va_end(ap);
                        vk_strv_clear(&argv);
                        return -ENOMEM;
                }
        va_end(ap);
        grown[(*n)++] = argv;
        return 0;
}

int vk_net_note(vk_net_plan *p, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s ? vk_strv_push_take(&p->notes, s) : -ENOMEM;
}

/* The files vfiokit wrote for NAME before, and whether its entry says the same kind. */
static int journal_ignore(vk_host *h, const char *name, bool bridge, const char *other, vk_strv *ignore,
                          bool *ret_ours, vk_error *err) {
        json_object *j = NULL, *e, *v;
        int r = vk_net_journal_load(h, &j, err);

        *ret_ours = false;
        if (r < 0)
                return r;
        e = vk_net_journal_entry(j, name);
        if (e) {
                const char *kind = json_object_object_get_ex(e, "kind", &v) ? json_object_get_string(v) : "";
                const char *key = bridge ? "uplink" : "user";
                const char *was = json_object_object_get_ex(e, key, &v) ? json_object_get_string(v) : "";
                if (!vk_streq(kind, bridge ? "bridge" : "tap") || !vk_streq(was, other)) {
                        json_object_put(j);
                        return vk_error_refuse(err, "%s: vfiokit made it before as a %s (%s %s); undo that first: "
                                                    "vfiokit net remove %s", name, kind,
                                               vk_streq(kind, "bridge") ? "uplink" : "user", was, name);
                }
                *ret_ours = true;
                r = vk_net_journal_files(e, ignore);
                if (r < 0)
                        vk_error_set(err, r, "out of memory");
        }
        json_object_put(j);
        return r;
}

/* The uplink's own state: bridgeable Ethernet, not wireless, not a bridge or another bridge's port. */
static int check_uplink(vk_host *h, const char *br, const vk_net_link *up, bool ours, vk_error *err) {
        _cleanup_free_ char *wl = vk_printf("sys/class/net/%s/wireless", up->name),
                            *phy = vk_printf("sys/class/net/%s/phy80211", up->name),
                            *bridge = vk_printf("sys/class/net/%s/bridge", up->name),
                            *master = vk_printf("sys/class/net/%s/master", up->name), *target = NULL;

        if (!wl || !phy || !bridge || !master)
                return vk_error_set(err, -ENOMEM, "out of memory");
        if (exists(h, wl) || exists(h, phy) || vk_streq(up->type, "wlan"))
                return vk_error_refuse(err, "%s is a wireless interface: a Wi-Fi station cannot be a bridge port "
                                            "(the access point drops frames from the VMs' MAC addresses); give the "
                                            "VM a macvtap on a wired NIC, or route/NAT to it (libvirt's default "
                                            "network)", up->name);
        if (vk_streq(up->name, "lo") || vk_streq(up->type, "loopback"))
                return vk_error_refuse(err, "%s is the loopback interface; name a wired NIC with --uplink", up->name);
        if (exists(h, bridge))
                return vk_error_refuse(err, "%s is itself a bridge; VMs can use it directly (vm new --bridge %s)",
                                       up->name, up->name);
        if (vk_host_readlink(h, master, &target) >= 0) {
                const char *m = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
                if (!(ours && vk_streq(m, br)))
                        return vk_error_refuse(err, "%s is already a port of %s; VMs can use %s (vm new --bridge %s), "
                                                    "or take %s out of it first", up->name, m, m, m, up->name);
        }
        return 0;
}

static int default_route(vk_host *h, const char *ifname, bool *ret, vk_error *err) {
        vk_strv routes = {0};
        int r = vk_default_route_ifaces(h, &routes, err);

        *ret = false;
        if (r < 0)
                return r;
        for (size_t i = 0; i < routes.n && !*ret; i++) {
                /* the route may go through a bond or VLAN over the uplink */
                _cleanup_free_ char *lower = vk_printf("sys/class/net/%s/lower_%s", routes.v[i], ifname);
                *ret = vk_streq(routes.v[i], ifname) || (lower && exists(h, lower));
        }
        vk_strv_clear(&routes);
        return 0;
}

int vk_net_plan_bridge(vk_host *h, const char *br, const char *uplink, vk_net_backend backend, vk_net_plan *ret,
                       vk_error *err) {
        vk_net_plan p = {.bridge = true, .backend = backend};
        vk_net_link up = {0};
        vk_strv ignore = {0};
        bool ours = false;
        int r;

        if ((r = vk_net_check_name("bridge name", br, err)) < 0 || (r = vk_net_check_name("uplink", uplink, err)) < 0)
                return r;
        if (vk_streq(br, uplink))
                return vk_error_set(err, -EINVAL, "the bridge and its uplink are both '%s'; name the bridge "
                                                  "differently (br0)", br);
        r = vk_net_link_read(h, uplink, &up);
        if (r == -ENOENT)
                return vk_error_set(err, -ENOENT, "uplink %s: no such interface (/sys/class/net/%s); see ip link",
                                    uplink, uplink);
        if (r < 0)
                return vk_error_set(err, r, "uplink %s: %s", uplink, strerror(-r));
        if ((r = journal_ignore(h, br, true, uplink, &ignore, &ours, err)) < 0)
                goto out;
        {
                _cleanup_free_ char *brdir = vk_printf("sys/class/net/%s", br);
                if (!ours && brdir && exists(h, brdir)) {
                        r = vk_error_refuse(err, "%s already exists and vfiokit did not make it; VMs can use it as "
                                                 "it is (vm new --bridge %s), or choose another name", br, br);
                        goto out;
                }
        }
        if ((r = check_uplink(h, br, &up, ours, err)) < 0 || (r = default_route(h, uplink, &p.default_route, err)) < 0)
                goto out;
        if (backend == VK_NET_AUTO && (r = vk_net_detect(h, &backend, err)) < 0)
                goto out;
        p.backend = backend;
        p.name = strdup(br);
        p.uplink = strdup(uplink);
        if (!p.name || !p.uplink) {
                r = vk_error_set(err, -ENOMEM, "out of memory");
                goto out;
        }
        r = backend == VK_NET_NETWORKD ? vk_networkd_plan_bridge(h, &up, &ignore, &p, err)
            : backend == VK_NET_NETPLAN ? vk_netplan_plan_bridge(h, &up, &ignore, &p, err)
                                        : vk_nm_plan_bridge(h, &up, &p, err);
        if (r >= 0 && ours) {
                /* the journal has this bridge: done when every file already holds what the plan would write */
                p.done = true;
                for (size_t i = 0; i < p.n_files; i++)
                        p.done &= vk_streq(p.files[i].old, p.files[i].content);
        }
out:
        vk_strv_clear(&ignore);
        vk_net_link_clear(&up);
        if (r < 0) {
                vk_net_plan_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}

static bool is_bridge(vk_host *h, const char *name) {
        _cleanup_free_ char *p = vk_printf("sys/class/net/%s/bridge", name);
        json_object *j = NULL, *v;
        bool found = p && exists(h, p);

        if (!found && vk_net_journal_load(h, &j, NULL) >= 0) {
                json_object *e = vk_net_journal_entry(j, name);
                found = e && json_object_object_get_ex(e, "kind", &v) && vk_streq(json_object_get_string(v), "bridge");
        }
        json_object_put(j);
        return found;
}

int vk_net_plan_tap(vk_host *h, const char *tap, const char *user, const char *master, vk_net_backend backend,
                    vk_net_plan *ret, vk_error *err) {
        _cleanup_free_ char *passwd = NULL, *dir = vk_printf("sys/class/net/%s", tap);
        vk_net_plan p = {.backend = backend};
        vk_strv ignore = {0};
        size_t len = 0;
        unsigned uid;
        bool ours = false;
        int r;

        if ((r = vk_net_check_name("tap name", tap, err)) < 0 ||
            (master && (r = vk_net_check_name("bridge", master, err)) < 0))
                return r;
        r = vk_host_read_file(h, "etc/passwd", 4u << 20, &passwd, &len);
        if (r < 0)
                return vk_error_set(err, r, "/etc/passwd: %s; cannot check that user %s exists", strerror(-r), user);
        r = vk_passwd_find("/etc/passwd", passwd, len, user, &uid, err);
        if (r == -ENOENT)
                return vk_error_set(err, r, "user %s: not in /etc/passwd; name the user who runs QEMU", user);
        if (r < 0)
                return r;
        if ((r = journal_ignore(h, tap, false, user, &ignore, &ours, err)) < 0)
                goto out;
        if (!ours && dir && exists(h, dir)) {
                r = vk_error_refuse(err, "%s already exists and vfiokit did not make it; choose another name", tap);
                goto out;
        }
        if (master && !is_bridge(h, master)) {
                r = vk_error_set(err, -ENOENT, "--bridge %s: no such bridge; create it first (vfiokit net bridge %s "
                                               "--uplink IF)", master, master);
                goto out;
        }
        if (backend == VK_NET_AUTO && (r = vk_net_detect(h, &backend, err)) < 0)
                goto out;
        p.backend = backend;
        p.name = strdup(tap);
        p.user = strdup(user);
        p.master = master ? strdup(master) : NULL;
        if (!p.name || !p.user || (master && !p.master)) {
                r = vk_error_set(err, -ENOMEM, "out of memory");
                goto out;
        }
        if (backend == VK_NET_NETWORKD)
                r = vk_networkd_plan_tap(h, &ignore, &p, err);
        else {
                /* netplan and NetworkManager keep no tap owned by a user: ip(8) makes it until the next boot */
                r = vk_net_cmd(&p.run, &p.n_run, "ip", "tuntap", "add", "dev", tap, "mode", "tap", "user", user, NULL);
                if (r >= 0 && master)
                        r = vk_net_cmd(&p.run, &p.n_run, "ip", "link", "set", "dev", tap, "master", master, NULL);
                if (r >= 0)
                        r = vk_net_cmd(&p.run, &p.n_run, "ip", "link", "set", "dev", tap, "up", NULL);
                if (r >= 0)
                        r = vk_net_cmd(&p.undo, &p.n_undo, "ip", "link", "delete", "dev", tap, NULL);
                if (r >= 0)
                        r = vk_net_note(&p, "%s keeps no user-owned tap across reboots: run this again after a boot "
                                            "(or let QEMU create it: -netdev tap,ifname=%s needs CAP_NET_ADMIN)",
                                        vk_net_backend_name(backend), tap);
                if (r < 0)
                        vk_error_set(err, r, "out of memory");
        }
        p.done = r >= 0 && ours;
        for (size_t i = 0; r >= 0 && i < p.n_files; i++)
                p.done &= vk_streq(p.files[i].old, p.files[i].content);
out:
        vk_strv_clear(&ignore);
        if (r < 0) {
                vk_net_plan_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}
