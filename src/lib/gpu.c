/* gpu.c — one GPU's place on the host: companions, the rest of its IOMMU group, and what blocks passing it. */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool same_slot(const vk_func *a, const vk_func *b) {
        /* "DDDD:BB:DD" — everything but the function number */
        return strncmp(a->addr, b->addr, 10) == 0;
}

bool vk_func_sriov_related(const vk_func *a, const vk_func *b) {
        /* an SR-IOV VF shares its PF's slot but is a device of its own */
        return a->physfn || b->physfn || vk_strv_contains(&a->virtfns, b->addr) ||
               vk_strv_contains(&b->virtfns, a->addr);
}

static int add_blocker(vk_gpu *g, const char *addr, char *reason) {
        vk_blocker *b;

        if (!reason)
                return -ENOMEM;
        b = realloc(g->blockers, (g->n_blockers + 1) * sizeof(*b));
        if (!b) {
                free(reason);
                return -ENOMEM;
        }
        g->blockers = b;
        snprintf(b[g->n_blockers].addr, sizeof(b->addr), "%s", addr);
        b[g->n_blockers++].reason = reason;
        return 0;
}

static const char *critical_text(vk_critical_kind k) {
        switch (k) {
        case VK_CRITICAL_ROOT_DISK:
                return "controller of the host's root disk";
        case VK_CRITICAL_DEFAULT_ROUTE:
                return "NIC of the host's default route";
        case VK_CRITICAL_DISPLAY:
                return "the host's active display";
        }
        return "host-critical";
}

static int check_member(const vk_model *m, vk_gpu *g, const vk_func *f) {
        for (size_t i = 0; i < m->n_critical; i++) {
                const vk_critical *c = &m->critical[i];
                if (vk_streq(c->addr, f->addr)) {
                        int r = add_blocker(g, f->addr, vk_printf("%s (%s)", critical_text(c->kind), c->detail));
                        if (r < 0)
                                return r;
                }
        }
        if (f->sriov_numvfs > 0 && !vk_func_is_bridge(f)) {
                int r = add_blocker(g, f->addr,
                                    vk_printf("SR-IOV PF with %d VFs enabled (vfio-pci refuses it; pass a VF instead)",
                                              f->sriov_numvfs));
                if (r < 0)
                        return r;
        }
        return 0;
}

int vk_gpu_analyze(const vk_model *m, vk_func *f, vk_gpu *ret) {
        vk_gpu g = {.func = f};
        const vk_group *grp = f->iommu_group >= 0 ? vk_model_group(m, f->iommu_group) : NULL;
        int r = 0;

        /* companions: the same slot, whether or not the IOMMU is on; functions
         * are sorted by address, so a slot's functions are neighbours */
        size_t lo = (size_t)(f - m->funcs), hi = lo + 1;
        while (lo > 0 && same_slot(&m->funcs[lo - 1], f))
                lo--;
        while (hi < m->n_funcs && same_slot(&m->funcs[hi], f))
                hi++;
        for (size_t i = lo; i < hi && r >= 0; i++) {
                const vk_func *o = &m->funcs[i];
                if (o != f && !vk_func_sriov_related(o, f))
                        r = vk_strv_push(&g.companions, o->addr);
        }
        if (r >= 0)
                r = check_member(m, &g, f);
        for (size_t i = 0; grp && i < grp->n_members && r >= 0; i++) {
                const vk_func *o = &m->funcs[grp->members[i]];
                if (o == f)
                        continue;
                if (vk_func_is_bridge(o))
                        r = vk_strv_push(&g.bridges, o->addr);
                else if (!vk_strv_contains(&g.companions, o->addr))
                        r = vk_strv_push(&g.others, o->addr);
                if (r >= 0 && !vk_func_is_bridge(o))
                        r = check_member(m, &g, o);
        }
        if (r < 0) {
                vk_gpu_clear(&g);
                return r;
        }
        *ret = g;
        return 0;
}

void vk_gpu_clear(vk_gpu *g) {
        vk_strv_clear(&g->companions);
        vk_strv_clear(&g->others);
        vk_strv_clear(&g->bridges);
        for (size_t i = 0; i < g->n_blockers; i++)
                free(g->blockers[i].reason);
        free(g->blockers);
        *g = (vk_gpu){0};
}

void vk_gpus_free(vk_gpu *g, size_t n) {
        for (size_t i = 0; i < n; i++)
                vk_gpu_clear(&g[i]);
        free(g);
}

int vk_gpus_list(const vk_model *m, vk_gpu **ret, size_t *ret_n) {
        vk_gpu *gpus = calloc(m->n_funcs ? m->n_funcs : 1, sizeof(vk_gpu));
        size_t n = 0;

        if (!gpus)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_funcs; i++) {
                if (!vk_func_is_gpu(&m->funcs[i]))
                        continue;
                int r = vk_gpu_analyze(m, &m->funcs[i], &gpus[n]);
                if (r < 0) {
                        vk_gpus_free(gpus, n);
                        return r;
                }
                n++;
        }
        *ret = gpus;
        *ret_n = n;
        return 0;
}
