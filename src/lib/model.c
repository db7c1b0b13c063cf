/* model.c — load the whole host model, free it, look things up in it. */
#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vk_model_load(vk_host *h, vk_model **ret) { return vk_model_load_flags(h, 0, ret); }

int vk_model_load_flags(vk_host *h, unsigned flags, vk_model **ret) {
        vk_model *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->host = h;
        r = vk_pci_scan(m);
        if (r >= 0 && !(flags & VK_LOAD_NO_SYSINFO))
                r = vk_sysinfo_load(m);
        if (r >= 0)
                r = vk_iommu_scan(m);
        if (r >= 0)
                r = vk_guard_scan(m);
        if (r >= 0 && !(flags & VK_LOAD_NO_NAMES))
                r = vk_names_fill(m);
        if (r < 0) {
                vk_model_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

static void func_clear(vk_func *f) {
        free(f->syspath);
        free(f->parent);
        free(f->driver);
        free(f->driver_override);
        free(f->reset_method);
        free(f->physfn);
        vk_strv_clear(&f->virtfns);
        vk_strv_clear(&f->drm_cards);
        free(f->vendor_name);
        free(f->device_name);
        free(f->subsys_name);
        free(f->class_name);
}

vk_model *vk_model_free(vk_model *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_funcs; i++)
                func_clear(&m->funcs[i]);
        free(m->funcs);
        for (size_t i = 0; i < m->n_groups; i++)
                free(m->groups[i].members);
        free(m->groups);
        for (size_t i = 0; i < m->n_critical; i++)
                free(m->critical[i].detail);
        free(m->critical);
        for (size_t i = 0; i < m->n_problems; i++) {
                free(m->problems[i].path);
                free(m->problems[i].message);
        }
        free(m->problems);
        vk_sysinfo_clear(&m->sys);
        free(m);
        return NULL;
}

int vk_model_add_problem(vk_model *m, const char *path, const char *fmt, ...) {
        vk_problem *p;
        va_list ap;
        char *msg;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        p = realloc(m->problems, (m->n_problems + 1) * sizeof(*p));
        if (!p) {
                free(msg);
                return -ENOMEM;
        }
        m->problems = p;
        p[m->n_problems].path = strdup(path);
        p[m->n_problems].message = msg;
        if (!p[m->n_problems].path) {
                free(msg);
                return -ENOMEM;
        }
        m->n_problems++;
        return 0;
}

static int cmp_func_addr(const void *key, const void *elem) {
        return strcmp(key, ((const vk_func *)elem)->addr);
}

vk_func *vk_model_find(const vk_model *m, const char *addr) {
        if (!m->n_funcs)
                return NULL;
        return bsearch(addr, m->funcs, m->n_funcs, sizeof(vk_func), cmp_func_addr);
}

static int cmp_group_id(const void *key, const void *elem) {
        int k = *(const int *)key, id = ((const vk_group *)elem)->id;
        return (k > id) - (k < id);
}

const vk_group *vk_model_group(const vk_model *m, int id) {
        /* groups are sorted by id (iommu.c) */
        if (!m->n_groups)
                return NULL;
        return bsearch(&id, m->groups, m->n_groups, sizeof(vk_group), cmp_group_id);
}

const vk_critical *vk_model_critical(const vk_model *m, const char *addr) {
        for (size_t i = 0; i < m->n_critical; i++)
                if (vk_streq(m->critical[i].addr, addr))
                        return &m->critical[i];
        return NULL;
}

static bool is_hex4(const char *s, size_t n) {
        if (n != 4)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                        return false;
        return true;
}

int vk_model_resolve(const vk_model *m, const char *name, vk_func **ret, vk_strv *ret_matches) {
        char addr[32];
        const char *colon;
        size_t len;

        if (!name)
                return -EINVAL;
        len = strlen(name);
        /* 01:00.0 → 0000:01:00.0 */
        if (len == 7 && name[2] == ':' && name[5] == '.')
                snprintf(addr, sizeof(addr), "0000:%s", name);
        else if (len < sizeof(addr))
                snprintf(addr, sizeof(addr), "%s", name);
        else
                return -EINVAL;
        for (char *p = addr; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                        *p = (char)(*p - 'A' + 'a');
        if (vk_is_pci_addr(addr)) {
                vk_func *f = vk_model_find(m, addr);
                if (!f)
                        return -ENOENT;
                *ret = f;
                return 0;
        }
        /* vendor:device */
        colon = strchr(name, ':');
        if (colon && is_hex4(name, (size_t)(colon - name)) && is_hex4(colon + 1, strlen(colon + 1))) {
                unsigned v = (unsigned)strtoul(name, NULL, 16), d = (unsigned)strtoul(colon + 1, NULL, 16);
                vk_strv matches = {0};
                vk_func *found = NULL;

                for (size_t i = 0; i < m->n_funcs; i++) {
                        vk_func *f = &m->funcs[i];
                        if (f->ids_valid && f->vendor == v && f->device == d) {
                                found = f;
                                if (vk_strv_push(&matches, f->addr) < 0) {
                                        vk_strv_clear(&matches);
                                        return -ENOMEM;
                                }
                        }
                }
                if (matches.n == 0)
                        return -ENOENT;
                if (matches.n > 1) {
                        if (ret_matches)
                                *ret_matches = matches;
                        else
                                vk_strv_clear(&matches);
                        return -ENOTUNIQ;
                }
                vk_strv_clear(&matches);
                *ret = found;
                return 0;
        }
        return -EINVAL;
}

bool vk_func_is_gpu(const vk_func *f) {
        unsigned c = f->class_code >> 8;
        return f->ids_valid && (c == VK_CLASS_VGA || c == VK_CLASS_3D || c == VK_CLASS_DISPLAY);
}

bool vk_func_is_bridge(const vk_func *f) {
        /* PCI-to-PCI bridges (root and downstream ports): vfio-pci refuses them and
         * they stay with pcieport; host and ISA bridges are ordinary functions. */
        unsigned c = f->class_code >> 8;
        return f->ids_valid && (c == 0x0604 || c == 0x0609);
}

const char *vk_critical_kind_name(vk_critical_kind k) {
        switch (k) {
        case VK_CRITICAL_ROOT_DISK:
                return "root-disk";
        case VK_CRITICAL_DEFAULT_ROUTE:
                return "default-route";
        case VK_CRITICAL_DISPLAY:
                return "display";
        }
        return "unknown";
}
