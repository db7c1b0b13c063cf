/* plan.c — from the host model to the exact boot-config change: files (old → new), commands, notes. */
#define _GNU_SOURCE
#include "boot.h"
#include "edit.h"
#include "plan-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../report.h"

/* Config files are small; a 1 MiB line must still be read whole to be edited or refused. */
#define BOOT_FILE_MAX (8u << 20)

static const char *const early_modules[] = {"vfio_pci", "vfio", "vfio_iommu_type1", NULL};

void vk_boot_plan_clear(vk_boot_plan *p) {
        vk_boot_detect_clear(&p->detect);
        vk_strv_clear(&p->ids);
        vk_strv_clear(&p->functions);
        vk_strv_clear(&p->softdeps);
        vk_strv_clear(&p->modules);
        vk_strv_clear(&p->kargs_add);
        vk_strv_clear(&p->kargs_remove);
        for (size_t i = 0; i < p->n_files; i++) {
                free(p->files[i].path);
                free(p->files[i].old);
                free(p->files[i].new);
                free(p->files[i].why);
        }
        free(p->files);
        for (size_t i = 0; i < p->n_cmds; i++)
                vk_boot_cmd_clear(&p->cmds[i]);
        free(p->cmds);
        for (size_t i = 0; i < p->n_undo; i++)
                vk_boot_cmd_clear(&p->undo[i]);
        free(p->undo);
        vk_strv_clear(&p->warnings);
        vk_strv_clear(&p->notes);
        vk_strv_clear(&p->kargs_kept);
        free(p->iommu_off);
        free(p->modprobe_conflict);
        free(p->nixos_snippet);
        vk_strv_clear(&p->trial);
        *p = (vk_boot_plan){0};
}

bool vk_boot_plan_changes(const vk_boot_plan *p) { return p->n_files > 0 || p->n_cmds > 0; }

int vk_plan_addf(vk_strv *v, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return vk_strv_push_take(v, s);
}

static int push_unique(vk_strv *v, const char *s) { return vk_strv_contains(v, s) ? 0 : vk_strv_push(v, s); }

/* Linux ≥ 6.2 folded vfio_virqfd into vfio; an unknown release counts as new. */
static bool kernel_at_least_6_2(const char *release) {
        int major = 0, minor = 0;
        if (!release || sscanf(release, "%d.%d", &major, &minor) != 2)
                return true;
        return major > 6 || (major == 6 && minor >= 2);
}

static bool is_audio(const vk_func *f) { return (f->class_code >> 8) == 0x0403; }

/* The drivers that would take f at boot before vfio-pci (softdep candidates), by vendor and class. */
static int natural_drivers(const vk_func *f, vk_strv *out) {
        int r = 0;
        if (is_audio(f))
                return push_unique(out, "snd_hda_intel");
        if (!vk_func_is_gpu(f))
                return 0;
        switch (f->vendor) {
        case 0x10de:
                if ((r = push_unique(out, "nouveau")) >= 0 && (r = push_unique(out, "nvidia")) >= 0)
                        r = push_unique(out, "nvidia_drm");
                break;
        case 0x1002:
                if ((r = push_unique(out, "amdgpu")) >= 0)
                        r = push_unique(out, "radeon");
                break;
        case 0x8086:
                if ((r = push_unique(out, "i915")) >= 0)
                        r = push_unique(out, "xe");
                break;
        }
        return r;
}

static bool softdep_driver(const char *d) {
        static const char *const known[] = {"nouveau", "nvidia", "nvidia_drm", "amdgpu", "radeon",
                                            "snd_hda_intel", "i915", "xe"};
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (vk_streq(d, known[i]))
                        return true;
        return false;
}

static int pick_functions(const vk_model *m, const vk_func *gpu, const vk_boot_opts *o, vk_boot_plan *p,
                          vk_error *err) {
        const vk_group *g = gpu->iommu_group >= 0 ? vk_model_group(m, gpu->iommu_group) : NULL;
        int r = 0;

        if (vk_func_is_bridge(gpu))
                return vk_error_refuse(err, "%s is a PCI bridge: it stays with the host; name the GPU behind it",
                                       gpu->addr);
        p->group = g ? g->id : -1;
        for (size_t i = 0; i < m->n_funcs && r >= 0; i++) {
                const vk_func *f = &m->funcs[i];
                bool member = false;
                if (g) {
                        for (size_t k = 0; k < g->n_members; k++)
                                member |= g->members[k] == i;
                } else /* IOMMU off: the GPU's own slot (its audio, USB-C); the group is known after the reboot */
                        member = strncmp(f->addr, gpu->addr, 10) == 0 && !vk_func_sriov_related(f, gpu);
                if (!member || vk_func_is_bridge(f))
                        continue;
                const vk_critical *c = vk_model_critical(m, f->addr);
                if (c && !(o->force_host && vk_strv_contains(o->force_host, f->addr)))
                        return vk_error_refuse(
                                err,
                                "group %d holds %s, the host's %s (%s): giving it to vfio-pci at boot would take it "
                                "from the host; nothing was changed (--force-host-device %s overrides)",
                                p->group, f->addr,
                                c->kind == VK_CRITICAL_ROOT_DISK       ? "root disk controller"
                                : c->kind == VK_CRITICAL_DEFAULT_ROUTE ? "default-route NIC"
                                                                       : "active display",
                                c->detail, f->addr);
                if (!f->ids_valid)
                        return vk_error_set(err, -EINVAL, "%s: its vendor/device ids are unreadable (see vfiokit show %s)",
                                            f->addr, f->addr);
                r = vk_strv_push(&p->functions, f->addr);
                if (r >= 0) {
                        char id[10];
                        snprintf(id, sizeof(id), "%04x:%04x", f->vendor, f->device);
                        r = push_unique(&p->ids, id);
                }
                /* the driver that has it now, or (already on vfio-pci) the one that would take it by class */
                if (r >= 0 && f->driver && !vk_streq(f->driver, "vfio-pci") && !vk_streq(f->driver, "pci-stub")) {
                        if (softdep_driver(f->driver))
                                r = push_unique(&p->softdeps, f->driver);
                        else
                                r = vk_plan_addf(&p->notes,
                                         "%s is on %s now: no softdep is written for it (not a display or audio "
                                         "driver); if %s takes it at boot before vfio-pci, use --cmdline-ids",
                                         f->addr, f->driver, f->driver);
                } else if (r >= 0 && f->driver)
                        r = natural_drivers(f, &p->softdeps);
        }
        if (r < 0)
                return vk_error_set(err, r, "out of memory");
        if (!g)
                r = vk_plan_addf(&p->warnings,
                         "the IOMMU is off, so %s's group is unknown: the plan takes its own slot (%zu function%s); "
                         "after the reboot run vfiokit boot plan %s again to check the group",
                         gpu->addr, p->functions.n, p->functions.n == 1 ? "" : "s", gpu->addr);
        return r < 0 ? vk_error_set(err, r, "out of memory") : 0;
}

/* ids= matches every device with that id: another function outside the group would be taken too. */
static int check_shared_ids(const vk_model *m, const vk_boot_opts *o, vk_boot_plan *p, vk_error *err) {
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                char id[10];
                if (!f->ids_valid || vk_func_is_bridge(f) || vk_strv_contains(&p->functions, f->addr))
                        continue;
                snprintf(id, sizeof(id), "%04x:%04x", f->vendor, f->device);
                if (!vk_strv_contains(&p->ids, id))
                        continue;
                if (!o->force)
                        return vk_error_refuse(
                                err,
                                "%s has the id %s too: vfio-pci.ids=%s would take it at boot as well; nothing was "
                                "changed. vfiokit does not write a per-address (driver_override) boot rule; instead "
                                "run vfiokit bind %s after boot, or --force to give vfio-pci every %s device",
                                f->addr, id, id, p->gpu, id);
                if (vk_plan_addf(&p->warnings, "%s has the id %s too: vfio-pci will take it at boot as well (--force)", f->addr,
                         id) < 0)
                        return vk_error_set(err, -ENOMEM, "out of memory");
        }
        return 0;
}

bool vk_plan_cmdline_has(const vk_model *m, const char *token) {
        vk_cmdline_arg *a = NULL;
        size_t n = 0;
        bool found = false;
        const char *eq = strchr(token, '=');
        _cleanup_free_ char *key = eq ? strndup(token, (size_t)(eq - token)) : strdup(token);

        if (!key || !m->sys.cmdline || vk_cmdline_parse(m->sys.cmdline, &a, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (vk_streq(a[i].key, key) && (eq ? a[i].value && vk_streq(a[i].value, eq + 1) : !a[i].value))
                        found = true;
        vk_cmdline_free(a, n);
        return found;
}

static bool iommu_units_intel(const vk_model *m) {
        for (size_t i = 0; i < m->sys.iommu_units.n; i++)
                if (vk_startswith(m->sys.iommu_units.v[i], "dmar"))
                        return true;
        return false;
}

static int kernel_options(const vk_model *m, const vk_boot_opts *o, vk_boot_plan *p) {
        /* a trial keeps the ids off every other boot: they go on the trial entry's line, not into modprobe.d */
        bool cmdline_ids = o->cmdline_ids || o->trial;
        int r = 0;

        /* Intel's IOMMU is off by default on many kernels; AMD's is on, and amd_iommu=on is not an option */
        if (iommu_units_intel(m) || (m->sys.iommu_units.n == 0 && m->sys.cpu_vendor == VK_CPU_INTEL))
                r = vk_strv_push(&p->kargs_add, "intel_iommu=on");
        if (r >= 0 && o->iommu_pt)
                r = vk_strv_push(&p->kargs_add, "iommu=pt");
        if (r >= 0 && (cmdline_ids || p->vfio_builtin)) {
                _cleanup_free_ char *ids = vk_strv_join(&p->ids, ",");
                if (!ids)
                        return -ENOMEM;
                r = vk_plan_addf(&p->kargs_add, "vfio-pci.ids=%s", ids);
        }
        if (r >= 0 && o->acs_override) {
                r = vk_strv_push(&p->kargs_add, "pcie_acs_override=downstream,multifunction");
                if (r >= 0)
                        r = vk_plan_addf(&p->warnings,
                                 "pcie_acs_override=downstream,multifunction: the kernel will pretend devices are "
                                 "isolated when the hardware says they are not; a device in the VM can then reach "
                                 "the memory of others (and only kernels with the ACS override patch know the "
                                 "option). Use it only on a machine you accept that risk on");
        }
        if (r >= 0 && !o->keep_amd_iommu)
                r = vk_strv_push(&p->kargs_remove, "amd_iommu=on");
        return r;
}

int vk_plan_add_file(vk_boot_plan *p, const char *path, const char *old, size_t old_len, bool absent, const char *new,
                     size_t new_len, unsigned mode, const char *why) {
        vk_boot_file *v = realloc(p->files, (p->n_files + 1) * sizeof(*v)), *f;
        if (!v)
                return -ENOMEM;
        p->files = v;
        f = &v[p->n_files];
        *f = (vk_boot_file){.old_absent = absent, .old_len = absent ? 0 : old_len, .new_len = new_len, .mode = mode};
        f->path = strdup(path);
        f->why = strdup(why);
        f->old = absent ? NULL : strndup(old, old_len);
        f->new = new ? malloc(new_len + 1) : NULL;
        f->remove = !new;
        if (!f->path || !f->why || (!absent && !f->old) || (new && !f->new)) {
                free(f->path), free(f->why), free(f->old), free(f->new);
                return -ENOMEM;
        }
        /* strndup stops at a NUL; the editors refuse binary data, but keep the bytes exact anyway */
        if (!absent)
                memcpy(f->old, old, old_len);
        if (new) {
                memcpy(f->new, new, new_len);
                f->new[new_len] = 0;
        }
        p->n_files++;
        return 0;
}

int vk_plan_remove_file(vk_boot_plan *p, const char *path, const char *old, size_t old_len, unsigned mode,
                        const char *why) {
        return vk_plan_add_file(p, path, old, old_len, false, NULL, 0, mode, why);
}

int vk_plan_read(vk_host *h, const char *path, char **ret, size_t *ret_len, bool *absent, unsigned *mode,
                 vk_error *err) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r = vk_host_read_file(h, path, BOOT_FILE_MAX, ret, ret_len);

        *absent = r == -ENOENT;
        *mode = 0644;
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        if (r < 0)
                return vk_error_set(err, r, "/%s: %s; nothing was changed", path,
                                    r == -EFBIG ? "larger than 8 MiB, not a config file vfiokit edits" : strerror(-r));
        if (vk_host_open(h, path, O_PATH, &fd) >= 0 && fstat(fd, &st) == 0)
                *mode = st.st_mode & 07777;
        return 0;
}

/* Options that turn the IOMMU off: left in place, vfio-pci cannot work after the reboot. */
static const char *const iommu_off_tokens[] = {"intel_iommu=off", "iommu=off", "amd_iommu=off", NULL};

/* The 1-based line of TEXT where TOKEN stands as a whole argument outside a # comment line; 0 when absent. */
static size_t token_line(const char *text, size_t len, const char *token) {
        size_t tl = strlen(token), line = 1, bol = 0;
        for (size_t i = 0; i + tl <= len; i++) {
                if (text[i] == '\n') {
                        line++;
                        bol = i + 1;
                        continue;
                }
                if (memcmp(text + i, token, tl) != 0)
                        continue;
                size_t k = bol;
                while (k < i && (text[k] == ' ' || text[k] == '\t'))
                        k++;
                bool left = i == 0 || strchr(" \t\"'=", text[i - 1]) != NULL;
                /* "GRUB_X=intel_iommu=off": the '=' before is the assignment's only when it ends a variable name */
                if (i > 0 && text[i - 1] == '=' && !(i > 1 && text[i - 2] != '"' && text[i - 2] != ' '))
                        left = false;
                bool right = i + tl == len || strchr(" \t\r\n\"',", text[i + tl]) != NULL;
                if (left && right && text[k] != '#')
                        return line;
        }
        return 0;
}

int vk_plan_kargs_outcome(vk_boot_plan *p, const char *name, const char *new_text, size_t new_len,
                          const vk_strv *notes, vk_strv *removed) {
        int r = 0;
        for (size_t i = 0; i < notes->n && r >= 0; i++) {
                const char *n = notes->v[i], *set = strstr(n, " is set; wanted "), *end;
                for (size_t k = 0; k < p->kargs_remove.n && r >= 0; k++) {
                        _cleanup_free_ char *hit = vk_printf("%s: removed", p->kargs_remove.v[k]);
                        if (!hit)
                                return -ENOMEM;
                        if (vk_streq(n, hit) && !vk_strv_contains(removed, p->kargs_remove.v[k]))
                                r = vk_strv_push(removed, p->kargs_remove.v[k]);
                }
                if (r < 0 || !set || !(end = strstr(set, " (left as is)")))
                        continue;
                _cleanup_free_ char *have = strndup(n, (size_t)(set - n));
                _cleanup_free_ char *want = strndup(set + strlen(" is set; wanted "),
                                                    (size_t)(end - set) - strlen(" is set; wanted "));
                _cleanup_free_ char *kept = have && want ? vk_printf("%s (wanted %s)", have, want) : NULL;
                if (!kept)
                        return -ENOMEM;
                if (!vk_strv_contains(&p->kargs_kept, kept))
                        r = vk_strv_push(&p->kargs_kept, kept);
                /* it is not added: the header must not say it is */
                for (size_t k = 0; r >= 0 && k < p->kargs_add.n; k++)
                        if (vk_streq(p->kargs_add.v[k], want)) {
                                free(p->kargs_add.v[k]);
                                memmove(&p->kargs_add.v[k], &p->kargs_add.v[k + 1],
                                        (p->kargs_add.n - k - 1) * sizeof(char *));
                                p->kargs_add.n--;
                                p->kargs_add.v[p->kargs_add.n] = NULL;
                                break;
                        }
        }
        for (size_t k = 0; iommu_off_tokens[k] && r >= 0 && !p->iommu_off; k++) {
                size_t line = token_line(new_text, new_len, iommu_off_tokens[k]);
                if (line && !(p->iommu_off = vk_printf("%s:%zu: %s", name, line, iommu_off_tokens[k])))
                        r = -ENOMEM;
        }
        return r;
}

static int edit_kargs(vk_host *h, vk_boot_plan *p, const vk_kargs_file *kf, bool *changed, vk_strv *removed,
                      vk_error *err) {
        _cleanup_free_ char *text = NULL, *name = vk_printf("/%s", kf->path);
        vk_kargs_change c = {.add = p->kargs_add, .remove = p->kargs_remove};
        vk_edit_result res = {0};
        size_t len;
        bool absent;
        unsigned mode;
        int r;

        if (!name)
                return vk_error_set(err, -ENOMEM, "out of memory");
        r = vk_plan_read(h, kf->path, &text, &len, &absent, &mode, err);
        if (r < 0)
                return r;
        if (absent)
                return vk_error_set(err, -ENOENT, "%s disappeared while vfiokit read the boot configuration; run it again",
                                    name);
        switch (kf->kind) {
        case VK_KARGS_GRUB: r = vk_grub_edit(name, text, len, &c, &res, err); break;
        case VK_KARGS_BLS: r = vk_bls_entry_edit(name, text, len, &c, &res, err); break;
        case VK_KARGS_LINE: r = vk_kargs_edit(name, text, len, &c, &res, err); break;
        case VK_KARGS_KERNELSTUB: r = vk_kernelstub_edit(name, text, len, &c, &res, err); break;
        case VK_KARGS_REFIND: r = vk_refind_edit(name, text, len, &c, &res, err); break;
        case VK_KARGS_LIMINE: r = vk_limine_edit(name, text, len, &c, &res, err); break;
        default: r = vk_error_set(err, -EINVAL, "%s: no editor", name);
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < res.notes.n && r >= 0; i++)
                r = vk_plan_addf(&p->notes, "%s: %s", name, res.notes.v[i]);
        if (r >= 0)
                r = vk_plan_kargs_outcome(p, name, res.text, res.len, &res.notes, removed);
        if (r >= 0 && res.changed) {
                r = vk_plan_add_file(p, kf->path, text, len, false, res.text, res.len, mode, "kernel command line");
                *changed = true;
        }
        vk_edit_result_clear(&res);
        return r < 0 ? vk_error_set(err, r, "out of memory") : 0;
}

/* A file vfiokit owns (modprobe.d, dracut drop-in): rendered whole, written when it differs. */
static int own_file(vk_host *h, vk_boot_plan *p, const char *path, const char *content, const char *why,
                    bool *changed, vk_error *err) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        bool absent;
        unsigned mode;
        int r = vk_plan_read(h, path, &text, &len, &absent, &mode, err);

        if (r < 0)
                return r;
        if (!absent && len == strlen(content) && memcmp(text, content, len) == 0)
                return 0;
        *changed = true;
        r = vk_plan_add_file(p, path, text, len, absent, content, strlen(content), absent ? 0644 : mode, why);
        return r < 0 ? vk_error_set(err, r, "out of memory") : 0;
}

static int edit_initramfs(vk_host *h, vk_boot_plan *p, bool new_kernel, bool *changed, vk_error *err) {
        const vk_boot_detect *d = &p->detect;
        _cleanup_free_ char *text = NULL, *name = NULL;
        vk_edit_result res = {0};
        vk_strv drop = {0};
        size_t len;
        bool absent;
        unsigned mode;
        int r;

        if (d->initramfs == VK_INITRD_NONE)
                return 0;
        if (d->initramfs == VK_INITRD_DRACUT) {
                _cleanup_free_ char *conf = NULL, *regen = NULL;
                for (size_t i = 0; i < d->n_initrd_regen; i++) {
                        _cleanup_free_ char *c = vk_boot_cmd_text(&d->initrd_regen[i]);
                        char *joined = c ? vk_printf("%s%s%s", regen ? regen : "", regen ? " && " : "", c) : NULL;
                        if (!joined)
                                return vk_error_set(err, -ENOMEM, "out of memory");
                        free(regen);
                        regen = joined;
                }
                r = vk_dracut_render(&p->modules, regen, &conf);
                if (r < 0)
                        return vk_error_set(err, r, "rendering the dracut drop-in: %s", strerror(-r));
                return own_file(h, p, d->initramfs_conf, conf, "load vfio-pci early (dracut)", changed, err);
        }
        name = vk_printf("/%s", d->initramfs_conf);
        if (!name)
                return vk_error_set(err, -ENOMEM, "out of memory");
        r = vk_plan_read(h, d->initramfs_conf, &text, &len, &absent, &mode, err);
        if (r < 0)
                return r;
        if (absent && d->initramfs == VK_INITRD_MKINITCPIO)
                return vk_error_set(err, -ENOENT, "%s disappeared while vfiokit read it; run it again", name);
        switch (d->initramfs) {
        case VK_INITRD_MKINITCPIO:
                if (new_kernel && vk_strv_push(&drop, "vfio_virqfd") < 0)
                        return vk_error_set(err, -ENOMEM, "out of memory");
                r = vk_mkinitcpio_edit(name, text, len, &p->modules, &drop, &res, err);
                break;
        case VK_INITRD_INITRAMFS_TOOLS:
                r = vk_initramfs_tools_edit(name, absent ? "" : text, len, &p->modules, &res, err);
                break;
        case VK_INITRD_BOOSTER:
                r = vk_booster_edit(name, absent ? "" : text, len, &p->modules, &res, err);
                break;
        default:
                r = 0;
        }
        vk_strv_clear(&drop);
        if (r < 0)
                return r;
        for (size_t i = 0; i < res.notes.n && r >= 0; i++)
                r = vk_plan_addf(&p->notes, "%s: %s", name, res.notes.v[i]);
        if (r >= 0 && res.changed) {
                *changed = true;
                r = vk_plan_add_file(p, d->initramfs_conf, text, len, absent, res.text, res.len, absent ? 0644 : mode,
                             "load vfio-pci early");
        }
        vk_edit_result_clear(&res);
        return r < 0 ? vk_error_set(err, r, "out of memory") : 0;
}

static int copy_cmds(vk_boot_plan *p, const vk_boot_cmd *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ const char **argv = calloc(c[i].argv.n + 1, sizeof(*argv));
                if (!argv)
                        return -ENOMEM;
                for (size_t k = 0; k < c[i].argv.n; k++)
                        argv[k] = c[i].argv.v[k];
                if (vk_boot_cmd_add(&p->cmds, &p->n_cmds, c[i].why, argv) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The header lists a removal only where the option is; an IOMMU left off is a warning apply refuses on. */
static int finish_kargs(vk_boot_plan *p, vk_strv *removed, bool removes) {
        int r = 0;
        for (size_t i = 0; removes && i < removed->n && r >= 0; i++)
                if (vk_streq(removed->v[i], "amd_iommu=on"))
                        r = vk_plan_addf(&p->notes, "amd_iommu=on is not a valid option (AMD's IOMMU is on by default): "
                                                    "it is removed; --keep-amd-iommu leaves it");
        if (r < 0)
                return r;
        vk_strv_clear(&p->kargs_remove);
        p->kargs_remove = *removed;
        *removed = (vk_strv){0};
        if (p->iommu_off)
                r = vk_plan_addf(&p->warnings,
                                 "%s is left on the kernel command line: the IOMMU stays off, so vfio-pci cannot work "
                                 "after the reboot. Delete it there first (vfiokit boot apply refuses until then; "
                                 "--force goes on anyway)",
                                 p->iommu_off);
        return r;
}

int vk_boot_plan_make(vk_host *h, const vk_model *m, const vk_func *gpu, const vk_boot_opts *o, vk_boot_plan *ret,
                      vk_error *err) {
        vk_boot_plan p = {.group = -1};
        vk_modprobe_want want = {0};
        _cleanup_(vk_strv_clear) vk_strv removed = {0};
        _cleanup_free_ char *modprobe = NULL;
        bool kargs_changed = false, initrd_changed = false;
        bool new_kernel;
        int r;

        snprintf(p.gpu, sizeof(p.gpu), "%s", gpu->addr);
        r = vk_boot_detect_host(h, &p.detect, err);
        if (r < 0)
                return r;
        if (o->trial && (r = vk_plan_trial_possible(&p.detect, err)) < 0)
                goto fail;
        p.vfio_builtin = m->sys.vfio_pci_builtin;
        new_kernel = kernel_at_least_6_2(m->sys.kernel_release);
        if ((r = pick_functions(m, gpu, o, &p, err)) < 0 || (r = check_shared_ids(m, o, &p, err)) < 0)
                goto fail;
        for (size_t i = 0; early_modules[i] && r >= 0; i++)
                r = vk_strv_push(&p.modules, early_modules[i]);
        if (r >= 0 && !new_kernel)
                r = vk_strv_push(&p.modules, "vfio_virqfd");
        if (r >= 0)
                r = kernel_options(m, o, &p);
        if (r >= 0 && p.vfio_builtin) {
                /* the plan lists only what it writes: nothing of these reaches a file when vfio-pci is built in */
                vk_strv_clear(&p.softdeps);
                vk_strv_clear(&p.modules);
                r = vk_plan_addf(&p.notes, "vfio-pci is built into this kernel (modules.builtin): /etc/modprobe.d options "
                                   "and softdeps never apply to it, so the ids go on the kernel command line and no "
                                   "modprobe.d or initramfs file is written; none is needed, since the built-in "
                                   "vfio-pci claims the devices before any GPU or audio driver module can load");
        }
        if (!o->trial)
                want.ids = p.ids;
        want.softdeps = p.softdeps;
        if (r >= 0)
                r = vk_modprobe_render(&want, &modprobe);
        if (r < 0) {
                r = vk_error_set(err, r, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < p.detect.notes.n && r >= 0; i++)
                r = vk_strv_push(&p.notes, p.detect.notes.v[i]);
        if (r >= 0 && p.detect.grub_bls && !o->trial)
                r = vk_strv_push(&p.notes, "GRUB reads Boot Loader Specification entries here: vfiokit edits their "
                                           "options lines itself (the same change as grubby --update-kernel=ALL "
                                           "--args=…), so that revert restores them byte for byte");
        /* NixOS puts its modprobe lines in a generated nixos.conf, not in vfiokit.conf: the file order differs */
        if (r >= 0 && p.detect.bootloader != VK_BL_NIXOS && (r = vk_plan_modprobe_check(h, m, o, &p, err)) < 0)
                goto fail;
        /* hosts without a kernel-line file vfiokit edits: what is removed and what keeps the IOMMU off is read
         * from the running kernel's command line */
        if (r >= 0 && (p.detect.bootloader == VK_BL_NIXOS || p.detect.bootloader == VK_BL_UNKNOWN ||
                       p.detect.bootloader == VK_BL_OSTREE)) {
                for (size_t i = 0; r >= 0 && i < p.kargs_remove.n; i++)
                        if (vk_plan_cmdline_has(m, p.kargs_remove.v[i]))
                                r = vk_strv_push(&removed, p.kargs_remove.v[i]);
                for (size_t k = 0; iommu_off_tokens[k] && r >= 0 && !p.iommu_off; k++)
                        if (vk_plan_cmdline_has(m, iommu_off_tokens[k]) &&
                            !(p.iommu_off = vk_printf("/proc/cmdline: %s", iommu_off_tokens[k])))
                                r = -ENOMEM;
                if (r >= 0 && p.detect.bootloader != VK_BL_OSTREE)
                        r = finish_kargs(&p, &removed, false);
        }
        switch (p.detect.bootloader) {
        case VK_BL_NIXOS:
                r = vk_plan_nixos(&p, modprobe, vk_plan_cmdline_has(m, "amd_iommu=on"));
                goto done;
        case VK_BL_UNKNOWN:
                r = vk_plan_unknown(&p, modprobe);
                goto done;
        case VK_BL_OSTREE:
                r = vk_plan_ostree(m, &p);
                break;
        default:
                if (o->trial) {
                        if ((r = vk_plan_trial(h, m, &p, &removed, err)) < 0)
                                goto fail;
                        break;
                }
                for (size_t i = 0; i < p.detect.n_kargs; i++)
                        if (!(p.detect.kargs[i].kind == VK_KARGS_BLS && vk_trial_entry_is(p.detect.kargs[i].path)) &&
                            (r = edit_kargs(h, &p, &p.detect.kargs[i], &kargs_changed, &removed, err)) < 0)
                                goto fail;
                if ((r = vk_plan_trial_cleanup(h, &p, err)) < 0)
                        goto fail;
        }
        if (r >= 0 && p.detect.bootloader != VK_BL_NIXOS && p.detect.bootloader != VK_BL_UNKNOWN)
                r = finish_kargs(&p, &removed, true);
        if (r < 0) {
                r = vk_error_set(err, r, "out of memory");
                goto fail;
        }
        if (!p.vfio_builtin) {
                const char *why = o->trial ? "softdeps only: the ids are on the trial entry" : "vfio-pci ids and softdeps";
                if ((r = own_file(h, &p, "etc/modprobe.d/vfiokit.conf", modprobe, why, &initrd_changed, err)) < 0 ||
                    (r = edit_initramfs(h, &p, new_kernel, &initrd_changed, err)) < 0)
                        goto fail;
                if (p.detect.initramfs == VK_INITRD_NONE)
                        r = vk_plan_addf(&p.notes, "no initramfs generator was found (mkinitcpio, dracut, initramfs-tools, "
                                           "booster): vfio-pci loads from the root filesystem and the softdeps make it "
                                           "load before the GPU drivers");
        }
        if (r >= 0 && initrd_changed)
                r = copy_cmds(&p, p.detect.initrd_regen, p.detect.n_initrd_regen);
        /* the bootloader's own command runs after the initramfs is rebuilt: grub-mkconfig lists the new image */
        if (r >= 0 && kargs_changed)
                r = copy_cmds(&p, p.detect.bl_regen, p.detect.n_bl_regen);
        /* the one-shot choice comes last: a failed rebuild must not leave the next boot set to the trial entry */
        if (r >= 0 && o->trial)
                r = vk_plan_trial_cmds(&p);
        if (r >= 0 && kargs_changed && vk_plan_trial_note(&p.detect))
                r = vk_strv_push(&p.notes, vk_plan_trial_note(&p.detect));
done:
        if (r < 0) {
                r = vk_error_set(err, r, "out of memory");
                goto fail;
        }
        *ret = p;
        return 0;
fail:
        vk_boot_plan_clear(&p);
        return r;
}
