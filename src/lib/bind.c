/* bind.c — the bind transaction: driver_override, unbind, drivers_probe, confirm; rollback on any failure. */
#define _GNU_SOURCE
#include "bind.h"

#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

#define VFIO "vfio-pci"

void vk_moves_clear(vk_moves *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].before);
                free(m->v[i].after);
        }
        free(m->v);
        *m = (vk_moves){.group = -1};
}

static int moves_add(vk_moves *m, const char *addr, const char *before, const char *after, bool changed) {
        vk_move *v = realloc(m->v, (m->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        m->v = v;
        v = &v[m->n];
        *v = (vk_move){.changed = changed};
        snprintf(v->addr, sizeof(v->addr), "%s", addr);
        v->before = vk_strdup(before);
        v->after = vk_strdup(after);
        m->n++;
        return (before && !v->before) || (after && !v->after) ? -ENOMEM : 0;
}

int vk_read_driver(vk_host *h, const char *addr, char **ret) {
        _cleanup_free_ char *path = vk_printf("sys/bus/pci/devices/%s/driver", addr), *t = NULL;
        const char *b;
        int r;

        if (!path)
                return -ENOMEM;
        r = vk_host_readlink(h, path, &t);
        if (r == -ENOENT) {
                /* no driver link, or no device at all: tell them apart */
                _cleanup_free_ char *dev = vk_printf("sys/bus/pci/devices/%s", addr);
                _cleanup_close_ int fd = -1;
                if (!dev)
                        return -ENOMEM;
                r = vk_host_open(h, dev, O_PATH | O_DIRECTORY, &fd);
                if (r < 0)
                        return r;
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        b = strrchr(t, '/');
        *ret = strdup(b ? b + 1 : t);
        return *ret ? 0 : -ENOMEM;
}

static int read_override(vk_host *h, const char *addr, char **ret) {
        _cleanup_free_ char *path = vk_printf("sys/bus/pci/devices/%s/driver_override", addr), *v = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = vk_host_read_file(h, path, 4096, &v, NULL);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        vk_strip(v);
        if (!*v || vk_streq(v, "(null)")) {
                *ret = NULL;
                return 0;
        }
        /* the kernel stores a driver name here; anything else cannot be restored faithfully */
        if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(v))
                return -EBADMSG;
        *ret = TAKE_PTR(v);
        return 0;
}

static int wr(vk_host *h, const char *fmt_path, const char *arg, const char *value, vk_error *err) {
        _cleanup_free_ char *path = vk_printf(fmt_path, arg);
        int r;

        if (!path)
                return vk_error_set(err, -ENOMEM, "out of memory");
        r = vk_sysfs_write(h, path, value);
        if (r == -ETIMEDOUT)
                return vk_error_set(err, r,
                                    "writing '%s' to /%s did not return within %d s: the driver is stuck (is the "
                                    "device in use?)",
                                    vk_streq(value, "\n") ? "\\n" : value, path, vk_host_write_timeout(h) / 1000);
        if (r < 0)
                return vk_error_set(err, r, "writing '%s' to /%s: %s", vk_streq(value, "\n") ? "\\n" : value, path,
                                    strerror(-r));
        return 0;
}

/* Put one function back to DRIVER (NULL: unbound) and OVERRIDE (NULL: none). */
static int return_function(vk_host *h, const char *addr, const char *driver, const char *override, vk_error *err) {
        _cleanup_free_ char *cur = NULL, *now = NULL;
        int r;

        r = wr(h, "sys/bus/pci/devices/%s/driver_override", addr, override ? override : "\n", err);
        if (r < 0)
                return r;
        r = vk_read_driver(h, addr, &cur);
        if (r < 0)
                return vk_error_set(err, r, "%s: reading its driver: %s", addr, strerror(-r));
        if (vk_streq(cur, driver))
                return 0;
        if (cur) {
                _cleanup_free_ char *p = vk_printf("sys/bus/pci/drivers/%s/unbind", cur);
                if (!p)
                        return -ENOMEM;
                r = wr(h, "%s", p, addr, err);
                if (r < 0)
                        return r;
        }
        if (!driver)
                return 0;
        r = wr(h, "%s", "sys/bus/pci/drivers_probe", addr, err);
        if (r < 0)
                return r;
        r = vk_read_driver(h, addr, &now);
        if (r < 0)
                return vk_error_set(err, r, "%s: reading its driver: %s", addr, strerror(-r));
        if (!vk_streq(now, driver))
                return vk_error_set(err, -EIO, "%s did not return to %s (it is %s now); the kernel log says why",
                                    addr, driver, now ? now : "unbound");
        return 0;
}

/* *ret_touched tells rollback whether any write reached this function. */
static int move_to_vfio(vk_host *h, const char *addr, const char *driver, bool *ret_touched, vk_error *err) {
        _cleanup_free_ char *now = NULL;
        int r;

        *ret_touched = false;
        r = wr(h, "sys/bus/pci/devices/%s/driver_override", addr, VFIO, err);
        if (r < 0)
                return r;
        *ret_touched = true;
        if (driver) {
                _cleanup_free_ char *p = vk_printf("sys/bus/pci/drivers/%s/unbind", driver);
                if (!p)
                        return -ENOMEM;
                r = wr(h, "%s", p, addr, err);
                if (r < 0)
                        return r;
        }
        r = wr(h, "%s", "sys/bus/pci/drivers_probe", addr, err);
        if (r < 0)
                return r;
        /* drivers_probe says success even when nothing bound: look */
        r = vk_read_driver(h, addr, &now);
        if (r < 0)
                return vk_error_set(err, r, "%s: reading its driver after the probe: %s", addr, strerror(-r));
        if (!vk_streq(now, VFIO))
                return vk_error_set(err, -EIO,
                                    "%s did not bind to vfio-pci (it is %s); the kernel log (dmesg) has the probe "
                                    "error",
                                    addr, now ? now : "unbound");
        return 0;
}

int vk_ensure_vfio_pci(vk_host *h, bool dry_run, vk_error *err) {
        struct kmod_ctx *ctx;
        struct kmod_module *mod = NULL;
        bool is_dir = false;
        int r;

        if (vk_host_stat(h, "sys/bus/pci/drivers/" VFIO, &is_dir) >= 0 && is_dir)
                return 0;
        if (!vk_host_is_live(h))
                return vk_error_set(err, -ENOENT,
                                    "%s/sys/bus/pci/drivers/vfio-pci does not exist: on the host itself vfiokit loads "
                                    "vfio-pci with libkmod, inside --root it cannot",
                                    vk_host_root(h));
        if (dry_run)
                return 0;
        ctx = kmod_new(NULL, NULL);
        if (!ctx)
                return vk_error_set(err, -ENOMEM, "libkmod: cannot read the module configuration");
        r = kmod_module_new_from_name(ctx, "vfio-pci", &mod);
        if (r >= 0)
                r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
        if (mod)
                kmod_module_unref(mod);
        kmod_unref(ctx);
        if (r < 0)
                return vk_error_set(err, r, "loading vfio-pci: %s (is CONFIG_VFIO_PCI enabled for this kernel?)",
                                    strerror(-r));
        if (vk_host_stat(h, "sys/bus/pci/drivers/" VFIO, &is_dir) < 0 || !is_dir)
                return vk_error_set(err, -ENOENT, "vfio-pci loaded but /sys/bus/pci/drivers/vfio-pci is missing");
        return 0;
}

static bool forced(const vk_bind_opts *o, const char *addr) {
        return o->force_host_devices && vk_strv_contains(o->force_host_devices, addr);
}

static int check_group(const vk_model *m, const vk_func *f, const vk_group *g, const vk_bind_opts *o, vk_error *err) {
        if (vk_func_is_bridge(f))
                return vk_error_refuse(err,
                                       "%s is a PCI bridge: vfio-pci refuses bridges and they stay with the host; name "
                                       "the device behind it",
                                       f->addr);
        if (!g)
                return vk_error_set(err, -ENODEV, "%s is in no IOMMU group: the IOMMU is off (see vfiokit status)",
                                    f->addr);
        for (size_t i = 0; i < g->n_members; i++) {
                const vk_func *x = &m->funcs[g->members[i]];
                if (vk_func_is_bridge(x))
                        continue;
                if (x->sriov_numvfs > 0)
                        return vk_error_refuse(err,
                                               "group %d holds %s, an SR-IOV PF with %d VFs enabled: vfio-pci refuses "
                                               "it; bind one of its VFs instead",
                                               g->id, x->addr, x->sriov_numvfs);
                for (size_t k = 0; k < m->n_critical; k++) {
                        const vk_critical *c = &m->critical[k];
                        if (!vk_streq(c->addr, x->addr) || forced(o, x->addr))
                                continue;
                        return vk_error_refuse(err,
                                               "group %d holds %s, the host's %s (%s): binding it would take it from the "
                                               "host; nothing was changed (--force-host-device %s overrides)",
                                               g->id, x->addr,
                                               c->kind == VK_CRITICAL_ROOT_DISK       ? "root disk controller"
                                               : c->kind == VK_CRITICAL_DEFAULT_ROUTE ? "default-route NIC"
                                                                                      : "active display",
                                               c->detail, x->addr);
                }
        }
        return 0;
}

int vk_bind(vk_host *h, const vk_model *m, const vk_func *f, const vk_bind_opts *o, vk_moves *ret, vk_error *err) {
        const vk_group *g = f->iommu_group >= 0 ? vk_model_group(m, f->iommu_group) : NULL;
        vk_moves mv = {.group = f->iommu_group};
        vk_journal j = {0};
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        size_t done = 0;
        bool journal_changed = false, touched = false;
        int r;

        r = check_group(m, f, g, o, err);
        if (r < 0)
                return r;
        r = vk_ensure_vfio_pci(h, o->dry_run, err);
        if (r < 0)
                return r;
        if (!o->dry_run) {
                r = vk_lock_take(h, o->lock_timeout_ms, err);
                if (r < 0)
                        return r;
                locked = h;
                r = vk_journal_load(h, &j, err);
                if (r < 0)
                        return r;
        }
        /* the plan, from the live state (not the model, which may be stale) */
        for (size_t i = 0; i < g->n_members; i++) {
                const vk_func *x = &m->funcs[g->members[i]];
                _cleanup_free_ char *drv = NULL, *ovr = NULL;

                if (vk_func_is_bridge(x))
                        continue;
                r = vk_read_driver(h, x->addr, &drv);
                if (r >= 0)
                        r = read_override(h, x->addr, &ovr);
                if (r == -EBADMSG) {
                        vk_error_set(err, r,
                                     "/sys/bus/pci/devices/%s/driver_override holds garbage, not a driver name; "
                                     "nothing was changed (clear it: echo > .../driver_override)",
                                     x->addr);
                        goto fail;
                }
                if (r < 0) {
                        vk_error_set(err, r, "%s: %s (did the device go away?)", x->addr, strerror(-r));
                        goto fail;
                }
                r = moves_add(&mv, x->addr, drv, VFIO, !vk_streq(drv, VFIO));
                if (r >= 0 && !vk_streq(drv, VFIO) && !o->dry_run) {
                        journal_changed |= !vk_journal_find(&j, x->addr);
                        r = vk_journal_add(&j, x->addr, drv, ovr, g->id);
                }
                if (r < 0) {
                        vk_error_set(err, r, "out of memory");
                        goto fail;
                }
        }
        if (o->dry_run) {
                *ret = mv;
                return 0;
        }
        /* the journal is on disk before the first write to sysfs */
        if (journal_changed) {
                r = vk_journal_save(h, &j, err);
                if (r < 0)
                        goto fail;
        }
        for (done = 0; done < mv.n; done++) {
                if (!mv.v[done].changed)
                        continue;
                r = move_to_vfio(h, mv.v[done].addr, mv.v[done].before, &touched, err);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                /* roll back every function touched, the failing one included */
                vk_error rb = {0};
                char failed[sizeof(err->msg)];
                int rollback_failures = 0;

                snprintf(failed, sizeof(failed), "%s", err->msg);
                for (size_t k = mv.n; k-- > 0;) {
                        vk_journal_entry *e;
                        if (!mv.v[k].changed)
                                continue;
                        e = vk_journal_find(&j, mv.v[k].addr);
                        /* functions after the failing one were journaled but never touched,
                         * and neither was the failing one when its first write failed */
                        if (k < done || (k == done && touched)) {
                                _cleanup_free_ char *drv = NULL;
                                if (return_function(h, mv.v[k].addr, e ? e->driver : mv.v[k].before,
                                                    e ? e->driver_override : NULL, &rb) < 0 &&
                                    vk_read_driver(h, mv.v[k].addr, &drv) != -ENOENT) {
                                        rollback_failures++;
                                        continue; /* the journal keeps it for vfiokit restore */
                                }
                        }
                        if (e)
                                vk_journal_remove(&j, mv.v[k].addr);
                }
                vk_journal_save(h, &j, NULL);
                if (rollback_failures)
                        vk_error_set(err, r, "%s; rolling back also failed (%s): the journal keeps what to restore, "
                                     "run vfiokit restore",
                                     failed, rb.msg);
                else
                        vk_error_set(err, r, "%s; every function of group %d is back on its original driver", failed,
                                     g->id);
                goto fail;
        }
        vk_journal_clear(&j);
        *ret = mv;
        return 0;
fail:
        vk_journal_clear(&j);
        vk_moves_clear(&mv);
        return r;
}

static int return_entries(vk_host *h, vk_journal *j, const vk_strv *which, const vk_bind_opts *o, vk_moves *mv,
                          vk_error *err) {
        int r = 0, failures = 0;
        vk_error first = {0};

        for (size_t i = 0; i < j->n;) {
                vk_journal_entry *e = &j->v[i];
                _cleanup_free_ char *cur = NULL;
                int q;

                if (which && !vk_strv_contains(which, e->addr)) {
                        i++;
                        continue;
                }
                q = vk_read_driver(h, e->addr, &cur);
                if (q < 0) {
                        if (!failures++)
                                vk_error_set(&first, q, "%s: %s (the journal keeps it)", e->addr, strerror(-q));
                        i++;
                        continue;
                }
                q = moves_add(mv, e->addr, cur, e->driver, true);
                if (q >= 0 && !o->dry_run)
                        q = return_function(h, e->addr, e->driver, e->driver_override, failures ? NULL : &first);
                if (q < 0) {
                        failures++;
                        i++;
                        continue;
                }
                if (o->dry_run) {
                        i++;
                        continue;
                }
                vk_journal_remove(j, e->addr);
        }
        if (!o->dry_run) {
                r = vk_journal_save(h, j, err);
                if (r < 0)
                        return r;
        }
        if (failures)
                return vk_error_set(err, first.r ? first.r : -EIO, "%s", first.msg);
        return 0;
}

/* Writers hold the lock while they read the journal; a dry run only reads it. */
static int lock_and_load(vk_host *h, const vk_bind_opts *o, vk_host **locked, vk_journal *j, vk_error *err) {
        int r;

        if (!o->dry_run) {
                if ((r = vk_lock_take(h, o->lock_timeout_ms, err)) < 0)
                        return r;
                *locked = h;
        }
        return vk_journal_load(h, j, err);
}

int vk_unbind(vk_host *h, const vk_model *m, const vk_func *f, const vk_bind_opts *o, vk_moves *ret, vk_error *err) {
        const vk_group *g = f->iommu_group >= 0 ? vk_model_group(m, f->iommu_group) : NULL;
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        vk_moves mv = {.group = f->iommu_group};
        vk_journal j = {0};
        vk_strv which = {0};
        int r;

        r = lock_and_load(h, o, &locked, &j, err);
        if (r < 0)
                return r;
        for (size_t i = 0; g && i < g->n_members; i++)
                if (vk_journal_find(&j, m->funcs[g->members[i]].addr))
                        vk_strv_push(&which, m->funcs[g->members[i]].addr);
        if (!g && vk_journal_find(&j, f->addr))
                vk_strv_push(&which, f->addr);
        if (which.n == 0) {
                vk_journal_clear(&j);
                return vk_error_set(err, -ENOENT,
                                    "the journal has no entry for %s or its group: vfiokit did not bind it, so it does not "
                                    "know its original driver",
                                    f->addr);
        }
        r = return_entries(h, &j, &which, o, &mv, err);
        vk_strv_clear(&which);
        vk_journal_clear(&j);
        if (r < 0 && mv.n == 0) {
                vk_moves_clear(&mv);
                return r;
        }
        *ret = mv;
        return r;
}

int vk_restore(vk_host *h, const vk_bind_opts *o, vk_moves *ret, vk_error *err) {
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        vk_moves mv = {.group = -1};
        vk_journal j = {0};
        int r;

        r = lock_and_load(h, o, &locked, &j, err);
        if (r < 0)
                return r;
        r = return_entries(h, &j, NULL, o, &mv, err);
        vk_journal_clear(&j);
        *ret = mv;
        return r;
}
