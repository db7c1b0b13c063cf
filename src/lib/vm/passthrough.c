/* passthrough.c — which host functions a VM gets (whole IOMMU groups, guarded as bind is) and where the guest sees them. */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../report.h"

static bool forced(const vk_vm_opts *o, const char *addr) {
        return o->force_host && vk_strv_contains(o->force_host, addr);
}

/* The same refusals as bind: SR-IOV PFs with VFs always (vfio-pci refuses them), host-critical members unless
 * forced. The unforceable ones first, so that the message never offers an override that cannot help. */
static int check_blockers(const vk_model *m, const vk_vm_opts *o, const vk_func *f, const vk_gpu *g, vk_vm *v,
                          vk_error *err) {
        for (size_t i = 0; i < g->n_blockers; i++) {
                const vk_blocker *b = &g->blockers[i];
                const vk_func *x = vk_model_find(m, b->addr);
                if (x && x->sriov_numvfs > 0)
                        return vk_error_refuse(err,
                                               "%s: group %d holds %s, an SR-IOV PF with %d VFs enabled: vfio-pci "
                                               "refuses it; pass one of its VFs instead (%s); nothing was written",
                                               f->addr, f->iommu_group, x->addr, x->sriov_numvfs,
                                               x->virtfns.n ? x->virtfns.v[0] : "vfiokit sriov");
                if (!vk_model_critical(m, b->addr))
                        return vk_error_refuse(err, "%s: group %d holds %s, %s; nothing was written", f->addr,
                                               f->iommu_group, b->addr, b->reason);
        }
        for (size_t i = 0; i < g->n_blockers; i++) {
                const vk_blocker *b = &g->blockers[i];
                if (!forced(o, b->addr))
                        return vk_error_refuse(err,
                                               "%s: group %d holds %s, %s: passing it to the VM would take it from "
                                               "the host; nothing was written (--force-host-device %s overrides)",
                                               f->addr, f->iommu_group, b->addr, b->reason, b->addr);
                if (!vk_strv_contains(&v->bind_forced, b->addr) && vk_strv_push(&v->bind_forced, b->addr) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool same_slot(const vk_func *a, const vk_func *b) {
        /* an SR-IOV VF is a device of its own, though it shares its PF's slot number */
        return !a->physfn && !b->physfn && strncmp(a->addr, b->addr, 10) == 0;
}

/* The functions that go to the VM, in the order they are chosen. */
typedef struct passlist {
        const vk_func **v;
        size_t n;
} passlist;

static bool passlist_has(const passlist *p, const vk_func *f) {
        for (size_t i = 0; i < p->n; i++)
                if (p->v[i] == f)
                        return true;
        return false;
}

static int passlist_add(passlist *p, const vk_func *f) {
        const vk_func **n;
        if (passlist_has(p, f))
                return 0;
        n = realloc(p->v, (p->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->v = n;
        p->v[p->n++] = f;
        return 0;
}

/* Every non-bridge function of f's IOMMU group, after the same checks as bind; f goes in the bind list. */
static int add_group(const vk_model *m, const vk_vm_opts *o, vk_func *f, passlist *p, vk_vm *v, vk_error *err) {
        const vk_group *grp = f->iommu_group >= 0 ? vk_model_group(m, f->iommu_group) : NULL;
        vk_gpu g = {0};
        int r;

        if (passlist_has(p, f))
                return 0; /* an earlier group brought it */
        if (vk_func_is_bridge(f))
                return vk_error_set(err, -EINVAL, "%s is a PCI bridge: bridges stay with the host", f->addr);
        if (!grp)
                return vk_error_set(err, -ENODEV,
                                    "%s is in no IOMMU group: the IOMMU is off, so nothing can be passed to a VM "
                                    "(see vfiokit status)",
                                    f->addr);
        r = vk_gpu_analyze(m, f, &g);
        if (r < 0)
                return vk_error_set(err, r, "out of memory");
        r = check_blockers(m, o, f, &g, v, err);
        vk_gpu_clear(&g);
        if (r < 0)
                return r;
        r = passlist_add(p, f);
        for (size_t i = 0; i < grp->n_members && r >= 0; i++)
                if (!vk_func_is_bridge(&m->funcs[grp->members[i]]))
                        r = passlist_add(p, &m->funcs[grp->members[i]]);
        if (r >= 0)
                r = vk_strv_push(&v->bind, f->addr);
        return r < 0 ? vk_error_set(err, r, "out of memory") : 0;
}

static int add_hostdev(vk_vm *v, const vk_func *f, int bus, int function) {
        vk_vm_hostdev *d = realloc(v->hostdevs, (v->n_hostdevs + 1) * sizeof(*d));
        unsigned b = 0, s = 0, fn = 0;

        if (!d)
                return -ENOMEM;
        v->hostdevs = d;
        d = &d[v->n_hostdevs++];
        *d = (vk_vm_hostdev){.bus = bus, .function = function};
        snprintf(d->host, sizeof(d->host), "%s", f->addr);
        sscanf(f->addr + 5, "%x:%x.%x", &b, &s, &fn);
        snprintf(d->alias, sizeof(d->alias), "ua-pci-%02x-%02x-%x", b, s, fn);
        return 0;
}

static int cmp_func_addr(const void *a, const void *b) {
        return strcmp((*(const vk_func *const *)a)->addr, (*(const vk_func *const *)b)->addr);
}

/* Guest layout: one root port per host slot, the GPU's first; the GPU is function 0 of its slot and the
 * rest of the slot follow in address order, as one multifunction device (how drivers expect a card). */
static int place(passlist *p, const vk_func *gpu, vk_vm *v) {
        int r = 0;

        qsort(p->v, p->n, sizeof(*p->v), cmp_func_addr);
        for (size_t i = 0; i < p->n && r >= 0; i++)
                if (p->v[i] == gpu) {
                        memmove(&p->v[1], &p->v[0], i * sizeof(*p->v));
                        p->v[0] = gpu;
                }
        for (size_t i = 0; i < p->n && r >= 0; i++) {
                bool placed = false;
                for (size_t k = 0; k < v->n_hostdevs; k++)
                        placed |= vk_streq(v->hostdevs[k].host, p->v[i]->addr);
                if (placed)
                        continue;
                int bus = ++v->n_root_ports, fn = 0;
                for (size_t k = i; k < p->n && r >= 0 && fn < 8; k++)
                        if (k == i || same_slot(p->v[k], p->v[i]))
                                r = add_hostdev(v, p->v[k], bus, fn++);
                v->hostdevs[v->n_hostdevs - fn].multifunction = fn > 1;
        }
        return r;
}

int vk_vm_plan_passthrough(vk_host *h, const vk_model *m, const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        vk_func *gpu = o->gpu;
        passlist p = {0};
        vk_gpu g = {0};
        int r;

        if (o->no_hostdev)
                return 0;
        if (!gpu)
                return vk_error_set(err, -EINVAL, "say which GPU the VM gets: --gpu DEVICE (see vfiokit list)");
        if (!vk_func_is_gpu(gpu))
                return vk_error_set(err, -EINVAL,
                                    "--gpu %s: %s is not a GPU (class %04x; GPUs are VGA 0300, 3D 0302 or display "
                                    "0380; see vfiokit list)",
                                    gpu->addr, gpu->addr, gpu->class_code >> 8);
        r = add_group(m, o, gpu, &p, v, err);
        /* companions in groups of their own (ACS override, some boards) go too: a card is passed whole */
        if (r >= 0 && (r = vk_gpu_analyze(m, gpu, &g)) < 0)
                vk_error_set(err, r, "out of memory");
        for (size_t i = 0; r >= 0 && i < g.companions.n; i++) {
                vk_func *c = vk_model_find(m, g.companions.v[i]);
                if (c && !passlist_has(&p, c))
                        r = add_group(m, o, c, &p, v, err);
        }
        vk_gpu_clear(&g);
        if (r >= 0 && o->usb_controller) {
                if ((o->usb_controller->class_code >> 8) != 0x0c03)
                        r = vk_error_set(err, -EINVAL, "--usb-controller %s: not a USB controller (class %04x)",
                                         o->usb_controller->addr, o->usb_controller->class_code >> 8);
                else
                        r = add_group(m, o, o->usb_controller, &p, v, err);
        }
        if (r >= 0 && (r = place(&p, gpu, v)) < 0)
                vk_error_set(err, r, "out of memory");
        free(p.v);
        if (r < 0)
                return r;

        vk_vm_hostdev *d = &v->hostdevs[0];
        snprintf(d->alias, sizeof(d->alias), "ua-gpu");
        if (o->rom) {
                if (!vk_vm_path_exists(h, o->rom, NULL)) {
                        if (vk_host_is_live(h))
                                return vk_error_set(err, -ENOENT, "--rom %s: no such file", o->rom);
                        r = vk_vm_note(v, "--rom %s: not checked (it is a path on the target host, not inside --root)",
                                 o->rom);
                        if (r < 0)
                                return r;
                }
                d->rom = o->rom;
        }
        /* A MUXless laptop dGPU (3D controller): its driver checks the subsystem ids (Code 43 otherwise) */
        if ((gpu->class_code >> 8) == VK_CLASS_3D && gpu->subsys_vendor && gpu->subsys_vendor != 0xffff) {
                d->sub_ids = true;
                d->sub_vendor = gpu->subsys_vendor;
                d->sub_device = gpu->subsys_device;
        }
        v->kvm_hidden = gpu->vendor == 0x10de; /* NVIDIA drivers before 465 stop at Code 43 when they see KVM */
        return 0;
}
