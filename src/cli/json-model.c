/* json-model.c — the host model as json-c objects: printed as JSON, and read back by the text renderers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "cli.h"

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

static json_object *hex(unsigned v, int width) {
        char b[16];
        snprintf(b, sizeof(b), "%0*x", width, v);
        return json_object_new_string(b);
}

static json_object *strv(const vk_strv *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

static const char *gpu_kind(const vk_func *f) {
        switch (f->class_code >> 8) {
        case VK_CLASS_VGA:
                return "vga";
        case VK_CLASS_3D:
                return "3d";
        default:
                return "display";
        }
}

static json_object *critical_of(const vk_model *m, const char *addr) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < m->n_critical; i++)
                if (vk_streq(m->critical[i].addr, addr)) {
                        json_object *c = json_object_new_object();
                        json_object_object_add(c, "kind",
                                               json_object_new_string(vk_critical_kind_name(m->critical[i].kind)));
                        json_object_object_add(c, "detail", json_object_new_string(m->critical[i].detail));
                        json_object_array_add(a, c);
                }
        return a;
}

/* The short form used inside groups and lists. */
static json_object *func_brief(const vk_model *m, const vk_func *f) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "address", json_object_new_string(f->addr));
        json_object_object_add(o, "vendor", f->ids_valid ? hex(f->vendor, 4) : NULL);
        json_object_object_add(o, "device", f->ids_valid ? hex(f->device, 4) : NULL);
        json_object_object_add(o, "class", f->ids_valid ? hex(f->class_code, 6) : NULL);
        json_object_object_add(o, "driver", str_or_null(f->driver));
        json_object_object_add(o, "vendor_name", str_or_null(f->vendor_name));
        json_object_object_add(o, "device_name", str_or_null(f->device_name));
        json_object_object_add(o, "class_name", str_or_null(f->class_name));
        json_object_object_add(o, "bridge", json_object_new_boolean(vk_func_is_bridge(f)));
        json_object_object_add(o, "gpu", json_object_new_boolean(vk_func_is_gpu(f)));
        json_object_object_add(o, "host_critical", critical_of(m, f->addr));
        return o;
}

json_object *vk_json_func(const vk_model *m, const vk_func *f) {
        json_object *o = func_brief(m, f);
        json_object *rm = json_object_new_array();

        json_object_object_add(o, "subsystem_vendor", f->ids_valid ? hex(f->subsys_vendor, 4) : NULL);
        json_object_object_add(o, "subsystem_device", f->ids_valid ? hex(f->subsys_device, 4) : NULL);
        json_object_object_add(o, "subsystem_name", str_or_null(f->subsys_name));
        json_object_object_add(o, "revision", f->revision >= 0 ? hex((unsigned)f->revision, 2) : NULL);
        json_object_object_add(o, "driver_override", str_or_null(f->driver_override));
        json_object_object_add(o, "boot_vga", f->boot_vga >= 0 ? json_object_new_boolean(f->boot_vga) : NULL);
        if (f->reset_method) {
                _cleanup_free_ char *copy = strdup(f->reset_method);
                char *save = NULL;
                for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save))
                        json_object_array_add(rm, json_object_new_string(t));
        }
        json_object_object_add(o, "reset_methods", rm);
        json_object_object_add(o, "group", f->iommu_group >= 0 ? json_object_new_int(f->iommu_group) : NULL);
        json_object_object_add(o, "parent", str_or_null(f->parent));
        json_object_object_add(o, "sysfs_path", str_or_null(f->syspath));
        if (f->sriov_totalvfs >= 0) {
                json_object *s = json_object_new_object();
                json_object_object_add(s, "totalvfs", json_object_new_int(f->sriov_totalvfs));
                json_object_object_add(s, "numvfs", json_object_new_int(f->sriov_numvfs < 0 ? 0 : f->sriov_numvfs));
                json_object_object_add(s, "vfs", strv(&f->virtfns));
                json_object_object_add(o, "sriov", s);
        } else
                json_object_object_add(o, "sriov", NULL);
        json_object_object_add(o, "physfn", str_or_null(f->physfn));
        json_object_object_add(o, "drm", strv(&f->drm_cards));
        return o;
}

json_object *vk_json_gpu(const vk_model *m, const vk_gpu *g) {
        const vk_func *f = g->func;
        json_object *o = json_object_new_object();
        json_object *blockers = json_object_new_array(), *reasons = json_object_new_array();

        json_object_object_add(o, "address", json_object_new_string(f->addr));
        json_object_object_add(o, "kind", json_object_new_string(gpu_kind(f)));
        json_object_object_add(o, "vendor", hex(f->vendor, 4));
        json_object_object_add(o, "device", hex(f->device, 4));
        json_object_object_add(o, "vendor_name", str_or_null(f->vendor_name));
        json_object_object_add(o, "device_name", str_or_null(f->device_name));
        json_object_object_add(o, "driver", str_or_null(f->driver));
        json_object_object_add(o, "group", f->iommu_group >= 0 ? json_object_new_int(f->iommu_group) : NULL);
        json_object_object_add(o, "boot_vga", json_object_new_boolean(f->boot_vga == 1));
        json_object_object_add(o, "physfn", str_or_null(f->physfn));
        json_object_object_add(o, "companions", strv(&g->companions));
        json_object_object_add(o, "others", strv(&g->others));
        json_object_object_add(o, "bridges", strv(&g->bridges));
        for (size_t i = 0; i < g->n_blockers; i++) {
                json_object *r = json_object_new_object();
                /* a function may block for several reasons; list its address once */
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= vk_streq(g->blockers[j].addr, g->blockers[i].addr);
                if (!seen)
                        json_object_array_add(blockers, json_object_new_string(g->blockers[i].addr));
                json_object_object_add(r, "address", json_object_new_string(g->blockers[i].addr));
                json_object_object_add(r, "reason", json_object_new_string(g->blockers[i].reason));
                json_object_array_add(reasons, r);
        }
        json_object_object_add(o, "blockers", blockers);
        json_object_object_add(o, "blocker_reasons", reasons);
        json_object_object_add(o, "host_critical", critical_of(m, f->addr));
        return o;
}

json_object *vk_json_group(const vk_model *m, const vk_group *g) {
        json_object *o = json_object_new_object(), *devs = json_object_new_array();

        json_object_object_add(o, "id", json_object_new_int(g->id));
        json_object_object_add(o, "viable", json_object_new_boolean(g->viable));
        for (size_t i = 0; i < g->n_members; i++)
                json_object_array_add(devs, func_brief(m, &m->funcs[g->members[i]]));
        json_object_object_add(o, "devices", devs);
        return o;
}

json_object *vk_json_problems(const vk_model *m) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < m->n_problems; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "path", json_object_new_string(m->problems[i].path));
                json_object_object_add(p, "message", json_object_new_string(m->problems[i].message));
                json_object_array_add(a, p);
        }
        return a;
}

json_object *vk_json_host(const vk_model *m, bool all) {
        json_object *o = json_object_new_object();
        json_object *groups = json_object_new_array(), *gpus = json_object_new_array();
        json_object *ungrouped = json_object_new_array(), *crit = json_object_new_array();
        vk_gpu *gl = NULL;
        size_t n = 0;

        if (vk_gpus_list(m, &gl, &n) < 0)
                return NULL;
        json_object_object_add(o, "iommu_enabled", json_object_new_boolean(m->sys.iommu_enabled));
        /* without --all, only the groups that hold a GPU */
        bool *wanted = calloc(m->n_groups ? m->n_groups : 1, sizeof(bool));
        if (!wanted) {
                vk_gpus_free(gl, n);
                json_object_put(o);
                return NULL;
        }
        for (size_t j = 0; j < n; j++) {
                const vk_group *g = vk_model_group(m, gl[j].func->iommu_group);
                if (g)
                        wanted[g - m->groups] = true;
        }
        for (size_t i = 0; i < m->n_groups; i++)
                if (all || wanted[i])
                        json_object_array_add(groups, vk_json_group(m, &m->groups[i]));
        free(wanted);
        json_object_object_add(o, "groups", groups);
        for (size_t i = 0; i < m->n_funcs && all; i++)
                if (m->funcs[i].iommu_group < 0)
                        json_object_array_add(ungrouped, func_brief(m, &m->funcs[i]));
        json_object_object_add(o, "ungrouped", ungrouped);
        for (size_t j = 0; j < n; j++)
                json_object_array_add(gpus, vk_json_gpu(m, &gl[j]));
        json_object_object_add(o, "gpus", gpus);
        for (size_t i = 0; i < m->n_critical; i++) {
                json_object *c = json_object_new_object();
                json_object_object_add(c, "address", json_object_new_string(m->critical[i].addr));
                json_object_object_add(c, "kind", json_object_new_string(vk_critical_kind_name(m->critical[i].kind)));
                json_object_object_add(c, "detail", json_object_new_string(m->critical[i].detail));
                json_object_array_add(crit, c);
        }
        json_object_object_add(o, "host_critical", crit);
        json_object_object_add(o, "problems", vk_json_problems(m));
        vk_gpus_free(gl, n);
        return o;
}

json_object *vk_json_checks(const vk_model *m, const vk_check *c, size_t n) {
        json_object *o = json_object_new_object(), *host = json_object_new_object();
        json_object *checks = json_object_new_array(), *sum = json_object_new_object();
        int counts[3] = {0};
        const char *vendor = m->sys.cpu_vendor == VK_CPU_INTEL ? "intel" : m->sys.cpu_vendor == VK_CPU_AMD ? "amd" : NULL;

        json_object_object_add(host, "os", str_or_null(m->sys.os_pretty));
        json_object_object_add(host, "kernel", str_or_null(m->sys.kernel_release));
        json_object_object_add(host, "cpu", str_or_null(m->sys.cpu_model));
        json_object_object_add(host, "cpu_vendor", str_or_null(vendor));
        json_object_object_add(host, "cmdline", str_or_null(m->sys.cmdline));
        json_object_object_add(o, "host", host);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "id", json_object_new_string(c[i].id));
                json_object_object_add(e, "result", json_object_new_string(vk_result_name(c[i].result)));
                json_object_object_add(e, "message", json_object_new_string(c[i].message));
                json_object_object_add(e, "fix", str_or_null(c[i].fix));
                json_object_array_add(checks, e);
                counts[c[i].result]++;
        }
        json_object_object_add(o, "checks", checks);
        json_object_object_add(sum, "pass", json_object_new_int(counts[VK_PASS]));
        json_object_object_add(sum, "warn", json_object_new_int(counts[VK_WARN]));
        json_object_object_add(sum, "fail", json_object_new_int(counts[VK_FAIL]));
        json_object_object_add(o, "summary", sum);
        return o;
}
