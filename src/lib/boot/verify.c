/* verify.c — after the reboot: did the kernel get the options, did vfio-pci load early and take the group? */
#define _GNU_SOURCE
#include "boot.h"
#include "bootjournal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../report.h"

void vk_boot_checks_clear(vk_boot_checks *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].name);
                free(c->v[i].detail);
                free(c->v[i].fix);
        }
        free(c->v);
        *c = (vk_boot_checks){0};
}

static int check(vk_boot_checks *c, const char *name, bool pass, const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int check(vk_boot_checks *c, const char *name, bool pass, const char *fix, const char *fmt, ...) {
        vk_boot_check *v = realloc(c->v, (c->n + 1) * sizeof(*v)), *k;
        va_list ap;
        int r;

        if (!v)
                return -ENOMEM;
        c->v = v;
        k = &v[c->n];
        *k = (vk_boot_check){.pass = pass};
        va_start(ap, fmt);
        r = vasprintf(&k->detail, fmt, ap);
        va_end(ap);
        k->name = strdup(name);
        k->fix = pass || !fix ? NULL : strdup(fix);
        if (r < 0 || !k->name || (!pass && fix && !k->fix)) {
                free(k->name);
                free(k->fix);
                if (r >= 0)
                        free(k->detail);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

/* Token present on the command line (key and value; '-' and '_' alike in the key). */
static bool cmdline_has(const vk_cmdline_arg *a, size_t n, const char *token) {
        const char *eq = strchr(token, '=');
        _cleanup_free_ char *key = eq ? strndup(token, (size_t)(eq - token)) : strdup(token);
        const vk_cmdline_arg *x = key ? vk_cmdline_find(a, n, key) : NULL;
        if (!x)
                return false;
        return eq ? x->value && vk_streq(x->value, eq + 1) : !x->value;
}

static int check_cmdline(const vk_model *m, const vk_boot_journal *j, vk_boot_checks *c) {
        vk_cmdline_arg *a = NULL;
        size_t n = 0;
        int r = 0;

        if (!m->sys.cmdline)
                return check(c, "kernel command line", false, "check that /proc is mounted",
                             "/proc/cmdline could not be read");
        if (vk_cmdline_parse(m->sys.cmdline, &a, &n) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < j->kargs_add.n && r >= 0; i++) {
                bool ok = cmdline_has(a, n, j->kargs_add.v[i]);
                r = check(c, "kernel command line", ok,
                          "the bootloader did not pass it: check that vfiokit boot apply ran the regenerate commands "
                          "without errors and that this boot used the default entry, then reboot",
                          "%s %s", j->kargs_add.v[i], ok ? "is set" : "is missing from /proc/cmdline");
        }
        for (size_t i = 0; i < j->kargs_remove.n && r >= 0; i++) {
                bool there = cmdline_has(a, n, j->kargs_remove.v[i]);
                if (there)
                        r = check(c, "kernel command line", false,
                                  "it is still passed: look for it in the bootloader's other entries or files, and "
                                  "rerun vfiokit boot plan to see where",
                                  "%s is still set", j->kargs_remove.v[i]);
        }
        /* nothing applied (no journal): still say which IOMMU options this boot has, and fail on one that turns it off */
        for (size_t i = 0; !j->kargs_add.n && i < n && r >= 0; i++) {
                const vk_cmdline_arg *x = &a[i];
                if (!x->value || !(vk_cmdline_key_eq(x->key, "intel_iommu") || vk_cmdline_key_eq(x->key, "iommu") ||
                                   vk_cmdline_key_eq(x->key, "amd_iommu")))
                        continue;
                bool off = vk_streq(x->value, "off");
                r = check(c, "kernel command line", !off,
                          "it turns the IOMMU off: delete it from the bootloader's kernel command line and reboot",
                          "%s=%s is set", x->key, x->value);
        }
        vk_cmdline_free(a, n);
        return r;
}

int vk_boot_verify(vk_host *h, const vk_model *m, const vk_func *gpu, vk_boot_checks *ret, vk_error *err) {
        vk_boot_checks c = {0};
        vk_boot_journal j = {0};
        vk_strv funcs = {0};
        bool existed, loaded;
        int r;

        r = vk_bj_load(h, &j, &existed, err);
        if (r < 0)
                return r;
        if (!existed && !gpu)
                return vk_error_set(err, -ENOENT,
                                    "/%s does not exist: nothing was applied; name the GPU (vfiokit boot verify "
                                    "DEVICE) to check it anyway",
                                    VK_BOOT_JOURNAL_PATH);
        if (gpu) {
                const vk_group *g = gpu->iommu_group >= 0 ? vk_model_group(m, gpu->iommu_group) : NULL;
                for (size_t i = 0; g && i < g->n_members && r >= 0; i++)
                        if (!vk_func_is_bridge(&m->funcs[g->members[i]]))
                                r = vk_strv_push(&funcs, m->funcs[g->members[i]].addr);
                if (!g && r >= 0)
                        r = vk_strv_push(&funcs, gpu->addr);
        } else
                for (size_t i = 0; i < j.functions.n && r >= 0; i++)
                        r = vk_strv_push(&funcs, j.functions.v[i]);
        if (r >= 0)
                r = check_cmdline(m, &j, &c);
        if (r >= 0)
                r = check(&c, "IOMMU", m->sys.iommu_enabled,
                          "turn on VT-d (Intel) or AMD-Vi/IOMMU in the firmware setup; on Intel the kernel needs "
                          "intel_iommu=on",
                          "%s", m->sys.iommu_enabled ? "on (/sys/kernel/iommu_groups is populated)"
                                                     : "off (/sys/kernel/iommu_groups is empty)");
        loaded = m->sys.vfio_pci_builtin || vk_host_stat(h, "sys/module/vfio_pci", NULL) >= 0;
        if (r >= 0)
                r = check(&c, "vfio-pci", loaded,
                          "it did not load: regenerate the initramfs (the command vfiokit boot plan shows) and check "
                          "/etc/modprobe.d/vfiokit.conf; now: modprobe vfio-pci",
                          "%s", m->sys.vfio_pci_builtin ? "built into the kernel"
                                : loaded              ? "loaded (/sys/module/vfio_pci)"
                                                      : "not loaded (no /sys/module/vfio_pci)");
        for (size_t i = 0; i < funcs.n && r >= 0; i++) {
                const vk_func *f = vk_model_find(m, funcs.v[i]);
                const char *drv = f ? f->driver : NULL;
                bool ok = drv && vk_streq(drv, "vfio-pci");
                _cleanup_free_ char *name = vk_printf("%s driver", funcs.v[i]);
                _cleanup_free_ char *fix =
                        vk_printf("%s took it first: check the softdep lines in /etc/modprobe.d/vfiokit.conf and "
                                  "that the initramfs was rebuilt, or use vfiokit boot apply --cmdline-ids; now: "
                                  "vfiokit bind %s",
                                  drv ? drv : "no driver", funcs.v[i]);
                if (!name || !fix) {
                        r = -ENOMEM;
                        break;
                }
                if (!f)
                        r = check(&c, name, false, "the device is gone: check the card and the firmware settings",
                                  "%s is not on the PCI bus", funcs.v[i]);
                else
                        r = check(&c, name, ok, fix, "%s", drv ? drv : "no driver");
        }
        vk_strv_clear(&funcs);
        vk_bj_clear(&j);
        if (r < 0) {
                vk_boot_checks_clear(&c);
                return vk_error_set(err, r, "out of memory");
        }
        *ret = c;
        return 0;
}
