/* guard.c — find the host-critical PCI functions: root disk controller, default-route NIC, active display. */
#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 8

static int add_critical(vk_model *m, const char *addr, vk_critical_kind kind, const char *detail) {
        vk_critical *c;

        for (size_t i = 0; i < m->n_critical; i++)
                if (vk_streq(m->critical[i].addr, addr) && m->critical[i].kind == kind)
                        return 0;
        c = realloc(m->critical, (m->n_critical + 1) * sizeof(*c));
        if (!c)
                return -ENOMEM;
        m->critical = c;
        c = &c[m->n_critical];
        snprintf(c->addr, sizeof(c->addr), "%s", addr);
        c->kind = kind;
        c->detail = strdup(detail);
        if (!c->detail)
                return -ENOMEM;
        m->n_critical++;
        return 0;
}

/* The last PCI address in a device path is the function that owns it. */
static bool last_pci_addr(const char *path, char ret[16]) {
        bool found = false;

        for (const char *p = path; (p = strchr(p, '/')); p++) {
                char comp[13];
                if (strlen(p + 1) < 12)
                        break;
                memcpy(comp, p + 1, 12);
                comp[12] = 0;
                if ((p[13] == '/' || p[13] == 0) && vk_is_pci_addr(comp)) {
                        memcpy(ret, comp, 13);
                        found = true;
                }
        }
        return found;
}

/* Follow a block device to its PCI controller(s), through dm/md "slaves". */
static int block_controllers(vk_model *m, const char *name, const char *detail, int depth) {
        _cleanup_free_ char *link = vk_printf("sys/class/block/%s", name);
        _cleanup_free_ char *target = NULL, *path = NULL, *slaves_dir = NULL;
        vk_strv slaves = {0};
        char addr[16];
        int r;

        if (!link)
                return -ENOMEM;
        if (depth > MAX_DEPTH)
                return 0;
        r = vk_host_readlink(m->host, link, &target);
        if (r < 0) {
                vk_model_add_problem(m, link, "%s: cannot tell which controller holds %s", vk_errno_text(r), detail);
                return r == -ENOMEM ? r : 0;
        }
        path = vk_resolve_link_path("sys/class/block", target);
        if (!path)
                return -ENOMEM;
        if (last_pci_addr(path, addr))
                return add_critical(m, addr, VK_CRITICAL_ROOT_DISK, detail);
        /* a virtual device (device-mapper, md): its slaves hold the data */
        slaves_dir = vk_printf("%s/slaves", link);
        if (!slaves_dir)
                return -ENOMEM;
        if (vk_host_list_dir(m->host, slaves_dir, &slaves) < 0 || slaves.n == 0) {
                vk_strv_clear(&slaves);
                return 0; /* virtual with no backing PCI device (tmpfs, zram, nbd) */
        }
        for (size_t i = 0; i < slaves.n && r >= 0; i++)
                r = block_controllers(m, slaves.v[i], detail, depth + 1);
        vk_strv_clear(&slaves);
        return r < 0 ? r : 0;
}

static int scan_mounts(vk_model *m) {
        static const char *const critical_mounts[] = {"/", "/boot", "/boot/efi", "/efi", "/usr"};
        _cleanup_free_ char *text = NULL;
        char *save = NULL;
        int r;

        r = vk_host_read_file(m->host, "proc/mounts", 16u << 20, &text, NULL);
        if (r < 0) {
                vk_model_add_problem(m, "proc/mounts", "%s: the root disk cannot be protected", vk_errno_text(r));
                return r == -ENOMEM ? r : 0;
        }
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char dev[512], mnt[512];
                _cleanup_free_ char *detail = NULL, *dm = NULL;
                const char *name;
                bool wanted = false;

                if (sscanf(line, "%511s %511s", dev, mnt) != 2)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(critical_mounts); i++)
                        wanted |= vk_streq(mnt, critical_mounts[i]);
                if (!wanted || !vk_startswith(dev, "/dev/"))
                        continue;
                detail = vk_printf("%s on %s", mnt, dev);
                if (!detail)
                        return -ENOMEM;
                name = dev + 5;
                if (vk_startswith(dev, "/dev/mapper/") || vk_startswith(dev, "/dev/disk/")) {
                        /* /dev/mapper/vg-root → ../dm-0 */
                        const char *slash;
                        if (vk_host_readlink(m->host, dev, &dm) < 0) {
                                vk_model_add_problem(m, dev + 1, "cannot resolve %s to a block device", dev);
                                continue;
                        }
                        slash = strrchr(dm, '/');
                        name = slash ? slash + 1 : dm;
                }
                r = block_controllers(m, name, detail, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Network interfaces: a PCI NIC, or a virtual one (bridge, bond, vlan) over lower_* devices. */
static int net_controllers(vk_model *m, const char *ifname, const char *detail, int depth) {
        _cleanup_free_ char *link = vk_printf("sys/class/net/%s", ifname);
        _cleanup_free_ char *target = NULL, *path = NULL;
        vk_strv entries = {0};
        char addr[16];
        int r = 0;

        if (!link)
                return -ENOMEM;
        if (depth > MAX_DEPTH)
                return 0;
        if (vk_host_readlink(m->host, link, &target) < 0) {
                vk_model_add_problem(m, link, "missing: cannot tell which NIC carries the %s", detail);
                return 0;
        }
        path = vk_resolve_link_path("sys/class/net", target);
        if (!path)
                return -ENOMEM;
        if (last_pci_addr(path, addr))
                return add_critical(m, addr, VK_CRITICAL_DEFAULT_ROUTE, detail);
        if (vk_host_list_dir(m->host, link, &entries) < 0)
                return 0;
        for (size_t i = 0; i < entries.n && r >= 0; i++)
                if (vk_startswith(entries.v[i], "lower_"))
                        r = net_controllers(m, entries.v[i] + 6, detail, depth + 1);
        vk_strv_clear(&entries);
        return r < 0 ? r : 0;
}

int vk_default_route_ifaces(vk_host *h, vk_strv *ret, vk_error *err) {
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;
        vk_strv ifaces = {0};
        char *save = NULL;
        int r;

        r = vk_host_read_file(h, "proc/net/route", 4u << 20, &v4, NULL);
        if (r < 0 && r != -ENOENT)
                return vk_error_set(err, r, "/proc/net/route: %s", vk_errno_text(r));
        for (char *line = v4 ? strtok_r(v4, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
                char ifn[64], dst[16], gw[16], mask[16];
                unsigned flags, refcnt, use, metric;

                if (sscanf(line, "%63s %15s %15s %x %u %u %u %15s", ifn, dst, gw, &flags, &refcnt, &use, &metric,
                           mask) != 8)
                        continue;
                if (vk_streq(dst, "00000000") && vk_streq(mask, "00000000") && (flags & 1) &&
                    !vk_strv_contains(&ifaces, ifn))
                        if (vk_strv_push(&ifaces, ifn) < 0)
                                goto oom;
        }
        r = vk_host_read_file(h, "proc/net/ipv6_route", 4u << 20, &v6, NULL);
        save = NULL;
        for (char *line = r >= 0 ? strtok_r(v6, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
                char dst[40], ifn[64];
                unsigned plen;
                /* dst plen src splen nexthop metric refcnt use flags iface */
                if (sscanf(line, "%39s %x %*s %*s %*s %*s %*s %*s %*s %63s", dst, &plen, ifn) != 3)
                        continue;
                if (plen == 0 && strspn(dst, "0") == 32 && !vk_streq(ifn, "lo") && !vk_strv_contains(&ifaces, ifn))
                        if (vk_strv_push(&ifaces, ifn) < 0)
                                goto oom;
        }
        *ret = ifaces;
        return 0;
oom:
        vk_strv_clear(&ifaces);
        return vk_error_set(err, -ENOMEM, "out of memory");
}

static int scan_routes(vk_model *m) {
        vk_strv ifaces = {0};
        vk_error err = {0};
        int r;

        r = vk_default_route_ifaces(m->host, &ifaces, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                vk_model_add_problem(m, "proc/net/route", "%s: the default-route NIC cannot be protected",
                                     vk_errno_text(r));
        for (size_t i = 0; i < ifaces.n; i++) {
                _cleanup_free_ char *detail = vk_printf("default route via %s", ifaces.v[i]);
                if (!detail || net_controllers(m, ifaces.v[i], detail, 0) < 0) {
                        vk_strv_clear(&ifaces);
                        return -ENOMEM;
                }
        }
        vk_strv_clear(&ifaces);
        return 0;
}

/* The name of the first connected connector of f's DRM cards ("card0-DP-1"), or NULL. */
static char *connected_connector(vk_model *m, const vk_func *f) {
        for (size_t i = 0; i < f->drm_cards.n; i++) {
                _cleanup_free_ char *dir = vk_printf("%s/drm/%s", f->syspath, f->drm_cards.v[i]);
                vk_strv names = {0};
                char *found = NULL;

                if (!dir || vk_host_list_dir(m->host, dir, &names) < 0)
                        continue;
                for (size_t j = 0; j < names.n && !found; j++) {
                        _cleanup_free_ char *st = vk_printf("%s/%s/status", dir, names.v[j]), *v = NULL;
                        if (!vk_startswith(names.v[j], f->drm_cards.v[i]) || names.v[j][strlen(f->drm_cards.v[i])] != '-')
                                continue;
                        if (st && vk_host_read_file(m->host, st, 64, &v, NULL) >= 0 && vk_streq(vk_strip(v), "connected"))
                                found = strdup(names.v[j]);
                }
                vk_strv_clear(&names);
                if (found)
                        return found;
        }
        return NULL;
}

static int scan_displays(vk_model *m) {
        size_t before = m->n_critical;

        /* the firmware's boot GPU, driven by a DRM driver, shows the console and usually the desktop */
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                _cleanup_free_ char *detail = NULL;

                if (f->boot_vga != 1 || !f->driver || vk_streq(f->driver, "vfio-pci") ||
                    vk_streq(f->driver, "pci-stub") || f->drm_cards.n == 0)
                        continue;
                detail = vk_printf("boot display %s (%s)", f->drm_cards.v[0], f->driver);
                if (!detail || add_critical(m, f->addr, VK_CRITICAL_DISPLAY, detail) < 0)
                        return -ENOMEM;
        }
        if (m->n_critical > before)
                return 0;
        /* the boot GPU is not driving a display (it is on vfio-pci, as in seed 004):
         * then the host's screen is on a GPU whose DRM driver has a monitor connected */
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                _cleanup_free_ char *conn = NULL, *detail = NULL;

                if (!vk_func_is_gpu(f) || !f->driver || f->drm_cards.n == 0 || !(conn = connected_connector(m, f)))
                        continue;
                detail = vk_printf("display on %s (%s); the boot GPU drives none", conn, f->driver);
                if (!detail || add_critical(m, f->addr, VK_CRITICAL_DISPLAY, detail) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int vk_guard_scan(vk_model *m) {
        int r;

        if ((r = scan_mounts(m)) < 0)
                return r;
        if ((r = scan_routes(m)) < 0)
                return r;
        return scan_displays(m);
}
