/* iommu.c — IOMMU groups from /sys/kernel/iommu_groups and whether each is viable for VFIO. */
#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SYS_GROUPS "sys/kernel/iommu_groups"

/* What the kernel's VFIO group viability test accepts: bridges, and other
 * functions unbound or on vfio-pci / pci-stub. */
static bool group_member_ok(const vk_func *f) {
        return vk_func_is_bridge(f) || !f->driver || vk_streq(f->driver, "vfio-pci") || vk_streq(f->driver, "pci-stub");
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

static int load_group(vk_model *m, int id, vk_group *g) {
        _cleanup_free_ char *dir = vk_printf(SYS_GROUPS "/%d/devices", id);
        vk_strv names = {0};
        int r;

        if (!dir)
                return -ENOMEM;
        *g = (vk_group){.id = id, .viable = true};
        r = vk_host_list_dir(m->host, dir, &names);
        if (r < 0) {
                vk_model_add_problem(m, dir, "%s", vk_errno_text(r));
                return r == -ENOMEM ? r : 0;
        }
        g->members = calloc(names.n ? names.n : 1, sizeof(size_t));
        if (!g->members) {
                vk_strv_clear(&names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < names.n; i++) {
                vk_func *f = vk_model_find(m, names.v[i]);

                if (!f) {
                        vk_model_add_problem(m, dir, "lists %s, which is not in /sys/bus/pci/devices", names.v[i]);
                        continue;
                }
                if (f->iommu_group != id)
                        vk_model_add_problem(m, dir, "lists %s, whose iommu_group link says %d", f->addr,
                                             f->iommu_group);
                f->iommu_group = id;
                g->members[g->n_members++] = (size_t)(f - m->funcs);
                if (!group_member_ok(f))
                        g->viable = false;
        }
        if (g->n_members == 0)
                vk_model_add_problem(m, dir, "IOMMU group %d has no devices", id);
        vk_strv_clear(&names);
        return 1;
}

int vk_iommu_scan(vk_model *m) {
        vk_strv names = {0};
        _cleanup_free_ int *ids = NULL;
        size_t n_ids = 0;
        int r;

        r = vk_host_list_dir(m->host, SYS_GROUPS, &names);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* recorded by sysinfo */
        ids = calloc(names.n ? names.n : 1, sizeof(int));
        m->groups = calloc(names.n ? names.n : 1, sizeof(vk_group));
        if (!ids || !m->groups) {
                vk_strv_clear(&names);
                return -ENOMEM;
        }
        for (size_t i = 0; i < names.n; i++) {
                char canon[16];
                int id;
                /* "01" and "1" would both be group 1: only the kernel's spelling counts */
                if (vk_parse_uint(names.v[i], &id) < 0 ||
                    (snprintf(canon, sizeof(canon), "%d", id), !vk_streq(canon, names.v[i]))) {
                        _cleanup_free_ char *p = vk_printf(SYS_GROUPS "/%s", names.v[i]);
                        vk_model_add_problem(m, p ? p : SYS_GROUPS, "not a group number");
                        continue;
                }
                ids[n_ids++] = id;
        }
        vk_strv_clear(&names);
        qsort(ids, n_ids, sizeof(int), cmp_int); /* numeric, not the directory's string order */
        for (size_t i = 0; i < n_ids; i++) {
                r = load_group(m, ids[i], &m->groups[m->n_groups]);
                if (r < 0)
                        return r;
                if (r > 0)
                        m->n_groups++;
        }
        /* a function that claims a group that does not list it */
        for (size_t i = 0; i < m->n_funcs; i++) {
                vk_func *f = &m->funcs[i];
                const vk_group *g = f->iommu_group >= 0 ? vk_model_group(m, f->iommu_group) : NULL;
                bool listed = false;

                if (f->iommu_group < 0)
                        continue;
                for (size_t j = 0; g && j < g->n_members; j++)
                        listed |= g->members[j] == i;
                if (!listed) {
                        _cleanup_free_ char *p = vk_printf("%s/iommu_group", f->syspath);
                        vk_model_add_problem(m, p ? p : f->syspath, "points to group %d, which does not list %s",
                                             f->iommu_group, f->addr);
                        f->iommu_group = -1;
                }
        }
        return 0;
}
