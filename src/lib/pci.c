/* pci.c — enumerate PCI functions from /sys/bus/pci/devices and parse their attributes. */
#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define SYS_PCI_DEVICES "sys/bus/pci/devices"

/* Turn a relative link target into a root-relative path, collapsing "..". */
static char *resolve_link_path(const char *linkdir, const char *target) {
        _cleanup_free_ char *joined = NULL;
        vk_strv parts = {0};
        char *save = NULL, *tok, *out;
        size_t len = 0;

        joined = target[0] == '/' ? strdup(target) : vk_printf("%s/%s", linkdir, target);
        if (!joined)
                return NULL;
        for (tok = strtok_r(joined, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
                if (vk_streq(tok, "."))
                        continue;
                if (vk_streq(tok, "..")) {
                        if (parts.n)
                                free(parts.v[--parts.n]);
                        parts.v ? (void)(parts.v[parts.n] = NULL) : (void)0;
                        continue;
                }
                if (vk_strv_push(&parts, tok) < 0) {
                        vk_strv_clear(&parts);
                        return NULL;
                }
        }
        for (size_t i = 0; i < parts.n; i++)
                len += strlen(parts.v[i]) + 1;
        out = calloc(1, len + 1);
        if (out)
                for (size_t i = 0; i < parts.n; i++) {
                        if (i)
                                strcat(out, "/");
                        strcat(out, parts.v[i]);
                }
        vk_strv_clear(&parts);
        return out;
}

char *vk_resolve_link_path(const char *linkdir, const char *target) {
        return resolve_link_path(linkdir, target);
}

static const char *errno_text(int r) {
        switch (-r) {
        case ENOENT:
                return "missing";
        case ELOOP:
                return "is a symlink, refused (sysfs attributes are regular files)";
        case EINVAL:
                return "not a regular file";
        case EACCES:
        case EPERM:
                return "permission denied";
        case EFBIG:
                return "too large for a sysfs attribute";
        case EBADMSG:
                return "holds binary data";
        default:
                return strerror(-r);
        }
}

const char *vk_errno_text(int r) { return errno_text(r); }

/* Read attribute NAME; a missing one is fine when optional. Returns 1 with
 * *ret set, 0 when absent, or a problem already recorded and -1. */
static int attr(vk_model *m, int dirfd, const char *dir, const char *name, bool optional, char **ret) {
        int r = vk_attr_read(m->host, dirfd, dir, name, ret);
        if (r == -ENOENT && optional)
                return 0;
        if (r < 0) {
                _cleanup_free_ char *p = vk_printf("%s/%s", dir, name);
                vk_model_add_problem(m, p ? p : dir, "%s", errno_text(r));
                return -1;
        }
        return 1;
}

static int attr_hex(vk_model *m, int dirfd, const char *dir, const char *name, bool optional, uint32_t max,
                    uint32_t *ret) {
        _cleanup_free_ char *v = NULL;
        int r = attr(m, dirfd, dir, name, optional, &v);

        if (r <= 0)
                return r;
        r = vk_parse_hex(v, max, ret);
        if (r < 0) {
                _cleanup_free_ char *p = vk_printf("%s/%s", dir, name);
                const char *like = max > 0xffff ? "0x030000" : max > 0xff ? "0x10de" : "0xa1";
                if (*v)
                        vk_model_add_problem(m, p ? p : dir, "garbage value '%.40s' (expected hex like %s)", v, like);
                else
                        vk_model_add_problem(m, p ? p : dir, "empty value (expected hex like %s)", like);
                return -1;
        }
        return 1;
}

static int attr_int(vk_model *m, int dirfd, const char *dir, const char *name, int *ret) {
        _cleanup_free_ char *v = NULL;
        int r = attr(m, dirfd, dir, name, true, &v);

        if (r <= 0)
                return r;
        r = vk_parse_uint(v, ret);
        if (r < 0) {
                _cleanup_free_ char *p = vk_printf("%s/%s", dir, name);
                vk_model_add_problem(m, p ? p : dir, "garbage value '%.40s' (expected a number)", v);
                return -1;
        }
        return 1;
}

/* The basename of link NAME's target, NULL when there is no such link. */
static int link_base(vk_model *m, int dirfd, const char *dir, const char *name, char **ret) {
        _cleanup_free_ char *t = NULL;
        const char *b;
        int r = vk_attr_readlink(m->host, dirfd, dir, name, &t);

        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0) {
                _cleanup_free_ char *p = vk_printf("%s/%s", dir, name);
                vk_model_add_problem(m, p ? p : dir, "%s",
                                     r == -EINVAL ? "not a symlink (expected a link into sysfs)" : errno_text(r));
                *ret = NULL;
                return -1;
        }
        b = strrchr(t, '/');
        *ret = strdup(b ? b + 1 : t);
        return *ret ? 1 : -ENOMEM;
}

/* Parse "KEY=HEX:HEX" / "KEY=HEX" values of uevent strictly (the kernel writes upper-case hex). */
static bool uevent_hex(const char *v, unsigned max, unsigned *ret) {
        unsigned long x;
        char *end;

        if (!*v || strspn(v, "0123456789ABCDEFabcdef") != strlen(v) || strlen(v) > 6)
                return false;
        x = strtoul(v, &end, 16);
        if (*end || x > max)
                return false;
        *ret = (unsigned)x;
        return true;
}

static bool uevent_pair(const char *v, unsigned *a, unsigned *b) {
        char x[8], y[8];
        const char *colon = strchr(v, ':');

        if (!colon || colon - v > 4 || strlen(colon + 1) > 4)
                return false;
        snprintf(x, sizeof(x), "%.*s", (int)(colon - v), v);
        snprintf(y, sizeof(y), "%s", colon + 1);
        return uevent_hex(x, 0xffff, a) && uevent_hex(y, 0xffff, b);
}

/* 1 when uevent gave vendor, device and class (and subsystem and driver when
 * present), 0 when there is no usable uevent (a problem is recorded if it was
 * there but garbled), -ENOMEM. */
static int read_uevent(vk_model *m, int fd, const char *dir, vk_func *f) {
        _cleanup_free_ char *text = NULL;
        unsigned v = 0, d = 0, c = 0, sv = 0, sd = 0;
        bool have_id = false, have_class = false, have_subsys = false, bad = false;
        char *driver = NULL, *save = NULL;
        int r;

        r = vk_attr_read(m->host, fd, dir, "uevent", &text);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (vk_startswith(line, "PCI_ID="))
                        bad |= !(have_id = uevent_pair(line + 7, &v, &d));
                else if (vk_startswith(line, "PCI_SUBSYS_ID="))
                        bad |= !(have_subsys = uevent_pair(line + 14, &sv, &sd));
                else if (vk_startswith(line, "PCI_CLASS="))
                        bad |= !(have_class = uevent_hex(line + 10, 0xffffff, &c));
                else if (vk_startswith(line, "DRIVER=") && line[7] && !driver)
                        driver = line + 7;
        }
        if (bad || !have_id || !have_class) {
                _cleanup_free_ char *p = vk_printf("%s/uevent", dir);
                if (bad)
                        vk_model_add_problem(m, p ? p : dir, "garbled PCI_ID, PCI_SUBSYS_ID or PCI_CLASS; read the "
                                                             "single attributes instead");
                return 0;
        }
        f->vendor = (uint16_t)v;
        f->device = (uint16_t)d;
        f->class_code = c;
        f->ids_valid = true;
        if (have_subsys) {
                f->subsys_vendor = (uint16_t)sv;
                f->subsys_device = (uint16_t)sd;
        }
        if (driver && !(f->driver = strdup(driver)))
                return -ENOMEM;
        return 1;
}

static int load_func(vk_model *m, const char *name, vk_func *f) {
        _cleanup_free_ char *linkpath = vk_printf(SYS_PCI_DEVICES "/%s", name);
        _cleanup_free_ char *target = NULL, *boot_vga = NULL, *ovr = NULL, *group = NULL;
        _cleanup_close_ int fd = -1;
        const char *dir;
        uint32_t v = 0, d = 0, c = 0, sv = 0, sd = 0, rev = 0;
        bool ok = true;
        int r, have_uevent;

        if (!linkpath)
                return -ENOMEM;
        *f = (vk_func){.revision = -1, .boot_vga = -1, .sriov_totalvfs = -1, .sriov_numvfs = -1, .iommu_group = -1};
        snprintf(f->addr, sizeof(f->addr), "%s", name);

        r = vk_host_readlink(m->host, linkpath, &target);
        if (r == -EINVAL) /* a plain directory: unusual, but use it */
                f->syspath = strdup(linkpath);
        else if (r < 0) {
                vk_model_add_problem(m, linkpath, "%s", errno_text(r));
                return 0;
        } else
                f->syspath = resolve_link_path(SYS_PCI_DEVICES, target);
        if (!f->syspath)
                return -ENOMEM;
        dir = f->syspath;

        r = vk_host_open(m->host, dir, O_PATH | O_DIRECTORY, &fd);
        if (r < 0) {
                vk_model_add_problem(m, linkpath, "%s (link to %s)",
                                     r == -ENOENT ? "dangling link" : errno_text(r), target ? target : dir);
                free(f->syspath);
                f->syspath = NULL;
                return 0;
        }

        /* the upstream bridge is the PCI address just above us in the device path */
        {
                const char *last = strrchr(dir, '/');
                if (last && last > dir) {
                        const char *prev = last - 1;
                        while (prev > dir && *prev != '/')
                                prev--;
                        if (*prev == '/')
                                prev++;
                        if ((size_t)(last - prev) == 12) {
                                char up[13];
                                memcpy(up, prev, 12);
                                up[12] = 0;
                                if (vk_is_pci_addr(up) && !(f->parent = strdup(up)))
                                        return -ENOMEM;
                        }
                }
        }

        /* uevent carries ids, class, subsystem and driver in one read; fixtures
         * and captures without it fall back to the single attributes */
        have_uevent = read_uevent(m, fd, dir, f);
        if (have_uevent < 0)
                return have_uevent;
        if (!have_uevent) {
                ok &= attr_hex(m, fd, dir, "vendor", false, 0xffff, &v) > 0;
                ok &= attr_hex(m, fd, dir, "device", false, 0xffff, &d) > 0;
                ok &= attr_hex(m, fd, dir, "class", false, 0xffffff, &c) > 0;
                f->ids_valid = ok;
                f->vendor = (uint16_t)v;
                f->device = (uint16_t)d;
                f->class_code = c;
                if (attr_hex(m, fd, dir, "subsystem_vendor", true, 0xffff, &sv) > 0)
                        f->subsys_vendor = (uint16_t)sv;
                if (attr_hex(m, fd, dir, "subsystem_device", true, 0xffff, &sd) > 0)
                        f->subsys_device = (uint16_t)sd;
        }
        if (attr_hex(m, fd, dir, "revision", true, 0xff, &rev) > 0)
                f->revision = (int)rev;

        /* the kernel creates boot_vga for VGA-class functions only */
        if ((f->class_code >> 8) == VK_CLASS_VGA && attr(m, fd, dir, "boot_vga", true, &boot_vga) > 0) {
                if (vk_streq(boot_vga, "0") || vk_streq(boot_vga, "1"))
                        f->boot_vga = boot_vga[0] - '0';
                else {
                        _cleanup_free_ char *p = vk_printf("%s/boot_vga", dir);
                        vk_model_add_problem(m, p ? p : dir, "garbage value '%.40s' (expected 0 or 1)", boot_vga);
                }
        }
        if (attr(m, fd, dir, "driver_override", true, &ovr) > 0 && !vk_streq(ovr, "(null)") && *ovr)
                f->driver_override = TAKE_PTR(ovr);
        attr(m, fd, dir, "reset_method", true, &f->reset_method);
        if (attr_int(m, fd, dir, "sriov_totalvfs", &f->sriov_totalvfs) > 0)
                attr_int(m, fd, dir, "sriov_numvfs", &f->sriov_numvfs);

        if (!have_uevent) {
                r = link_base(m, fd, dir, "driver", &f->driver);
                if (r == -ENOMEM)
                        return r;
        }
        r = link_base(m, fd, dir, "iommu_group", &group);
        if (r == -ENOMEM)
                return r;
        if (group && vk_parse_uint(group, &f->iommu_group) < 0) {
                _cleanup_free_ char *p = vk_printf("%s/iommu_group", dir);
                vk_model_add_problem(m, p ? p : dir, "link target '%s' is not a group number", group);
                f->iommu_group = -1;
        }
        for (int i = 0; f->sriov_numvfs > 0 && i < f->sriov_numvfs; i++) {
                char lname[32];
                char *vf = NULL;

                snprintf(lname, sizeof(lname), "virtfn%d", i);
                r = link_base(m, fd, dir, lname, &vf);
                if (r == -ENOMEM)
                        return r;
                if (!vf)
                        break; /* the kernel links virtfn0..N-1: a garbage sriov_numvfs must not cost 2^31 lookups */
                if (vk_strv_push_take(&f->virtfns, vf) < 0)
                        return -ENOMEM;
        }
        if (vk_func_is_gpu(f)) {
                _cleanup_free_ char *drm = vk_printf("%s/drm", dir);
                vk_strv cards = {0};

                if (!drm)
                        return -ENOMEM;
                if (vk_host_list_dir(m->host, drm, &cards) >= 0) {
                        for (size_t i = 0; i < cards.n; i++)
                                if (vk_startswith(cards.v[i], "card") && !strchr(cards.v[i], '-'))
                                        if (vk_strv_push(&f->drm_cards, cards.v[i]) < 0) {
                                                vk_strv_clear(&cards);
                                                return -ENOMEM;
                                        }
                        vk_strv_clear(&cards);
                }
        }
        return 1;
}

int vk_pci_scan(vk_model *m) {
        vk_strv names = {0};
        int r;

        r = vk_host_list_dir(m->host, SYS_PCI_DEVICES, &names);
        if (r < 0)
                return r; /* no PCI bus at all: the caller names the path */
        m->funcs = calloc(names.n ? names.n : 1, sizeof(vk_func));
        if (!m->funcs) {
                vk_strv_clear(&names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < names.n; i++) {
                vk_func *f = &m->funcs[m->n_funcs];

                if (!vk_is_pci_addr(names.v[i])) {
                        _cleanup_free_ char *p = vk_printf(SYS_PCI_DEVICES "/%s", names.v[i]);
                        vk_model_add_problem(m, p ? p : SYS_PCI_DEVICES, "not a PCI address (expected DDDD:BB:DD.F)");
                        continue;
                }
                r = load_func(m, names.v[i], f);
                if (r < 0) {
                        vk_strv_clear(&names);
                        return r;
                }
                if (r > 0)
                        m->n_funcs++;
                else {
                        free(f->syspath);
                        *f = (vk_func){0};
                }
        }
        vk_strv_clear(&names);
        /* A VF's physfn link is the mirror of its PF's virtfnN links, which
         * were read already: derive it instead of a readlink per function. */
        for (size_t i = 0; i < m->n_funcs; i++)
                for (size_t j = 0; j < m->funcs[i].virtfns.n; j++) {
                        vk_func *vf = vk_model_find(m, m->funcs[i].virtfns.v[j]);
                        if (vf && !vf->physfn && !(vf->physfn = strdup(m->funcs[i].addr)))
                                return -ENOMEM;
                }
        return 0;
}
