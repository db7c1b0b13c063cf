/* hooks.c — plan `hooks install VM` and `hooks remove VM`: what the hook does, which files change, the refusals. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phases[] = {"prepare/begin", "release/end"};

void vk_hook_plan_clear(vk_hook_plan *p) {
        free(p->vm);
        free(p->domain_path);
        vk_strv_clear(&p->devices);
        vk_strv_clear(&p->forced);
        free(p->display_manager);
        vk_strv_clear(&p->vtconsoles);
        vk_strv_clear(&p->framebuffers);
        vk_strv_clear(&p->prepare);
        vk_strv_clear(&p->release);
        vk_strv_clear(&p->warnings);
        vk_strv_clear(&p->notes);
        for (size_t i = 0; i < p->n_changes; i++) {
                free(p->changes[i].path);
                free(p->changes[i].kept);
                free(p->changes[i].content);
                free(p->changes[i].note);
        }
        free(p->changes);
        free(p->script);
        vk_hooks_journal_clear(&p->journal);
        *p = (vk_hook_plan){0};
}

static int add_change(vk_hook_plan *p, vk_hook_change_kind kind, const char *path, const char *kept,
                      const char *content, unsigned mode, const char *note) {
        vk_hook_change *v = realloc(p->changes, (p->n_changes + 1) * sizeof(*v)), *c;

        if (!v)
                return -ENOMEM;
        p->changes = v;
        c = &v[p->n_changes];
        *c = (vk_hook_change){.kind = kind, .mode = mode};
        c->path = vk_strdup(path);
        c->kept = vk_strdup(kept);
        c->content = vk_strdup(content);
        c->note = vk_strdup(note);
        if (!c->path || (kept && !c->kept) || (content && !c->content) || (note && !c->note)) {
                free(c->path);
                free(c->kept);
                free(c->content);
                free(c->note);
                return -ENOMEM;
        }
        p->n_changes++;
        if (kind != VK_HOOK_SAME && kind != VK_HOOK_LEAVE)
                p->changed = true;
        return 0;
}

static int pushf(vk_strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pushf(vk_strv *s, const char *fmt, ...) {
        va_list ap;
        char *t = NULL;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&t, fmt, ap);
        va_end(ap);
        return n < 0 ? -ENOMEM : vk_strv_push_take(s, t);
}

static bool planned_mkdir(const vk_hook_plan *p, const char *path) {
        for (size_t i = 0; i < p->n_changes; i++)
                if (p->changes[i].kind == VK_HOOK_MKDIR && vk_streq(p->changes[i].path, path))
                        return true;
        return false;
}

/* The directories of path that do not exist yet, outermost first, each recorded with its owner. */
static int plan_dirs(vk_host *h, vk_hook_plan *p, const char *dir, const char *owner_from, const char *owner) {
        _cleanup_free_ char *copy = strdup(dir);
        size_t len;

        if (!copy)
                return -ENOMEM;
        len = strlen(copy);
        for (size_t i = 1; i <= len; i++) {
                bool is_dir = false;
                vk_hooks_entry e = {0};
                int r;

                if (copy[i] != '/' && copy[i] != 0)
                        continue;
                copy[i] = 0;
                if (planned_mkdir(p, copy) || vk_host_stat(h, copy, &is_dir) >= 0) {
                        copy[i] = i < len ? '/' : 0;
                        continue;
                }
                /* the per-VM part of the tree is the VM's; what is above it the VMs share. A directory the journal
                 * has but someone removed is created again under the same entry. */
                e = (vk_hooks_entry){.owner = (char *)(owner_from && strlen(copy) > strlen(owner_from) ? owner : NULL),
                                     .is_dir = true, .path = copy};
                r = vk_hooks_journal_find(&p->journal, copy) ? 0 : vk_hooks_journal_add(&p->journal, &e);
                if (r >= 0)
                        r = add_change(p, VK_HOOK_MKDIR, copy, NULL, NULL, 0755, NULL);
                if (r < 0)
                        return r;
                copy[i] = i < len ? '/' : 0;
        }
        return 0;
}

/* A file vfiokit wants at path: the same bytes (nothing to do), its own older text (rewrite), or someone
 * else's file (kept as path.vfiokit-orig first, never overwritten). */
static int plan_file(vk_host *h, vk_hook_plan *p, const char *path, const char *content, const char *owner,
                     const char *mark, vk_error *err) {
        _cleanup_free_ char *cur = NULL, *kept = vk_printf("%s.vfiokit-orig", path);
        vk_hooks_entry *e = vk_hooks_journal_find(&p->journal, path);
        size_t len = 0;
        bool ours, equal, is_dir = false;
        int r;

        if (!kept)
                return -ENOMEM;
        r = vk_host_read_file(h, path, 4u << 20, &cur, &len);
        if (r == -EISDIR || (r >= 0 && vk_host_stat(h, path, &is_dir) >= 0 && is_dir))
                return vk_error_set(err, -EISDIR, "/%s is a directory; vfiokit will not replace it", path);
        if (r < 0 && r != -ENOENT)
                return vk_error_set(err, r, "/%s: %s", path, strerror(-r));
        if (r == -ENOENT) {
                if (!e) {
                        vk_hooks_entry n = {.owner = (char *)owner, .path = (char *)path, .content = (char *)content,
                                            .mode = 0755};
                        if (vk_hooks_journal_add(&p->journal, &n) < 0)
                                return -ENOMEM;
                } else if (!(e->content = (free(e->content), strdup(content))))
                        return -ENOMEM;
                return add_change(p, VK_HOOK_WRITE, path, NULL, content, 0755, NULL);
        }
        /* vfiokit's own file: these bytes already, an earlier install's (the journal has it), or its mark */
        equal = len == strlen(content) && memcmp(cur, content, len) == 0;
        ours = equal || (e && len == strlen(e->content) && memcmp(cur, e->content, len) == 0) ||
               (mark && vk_startswith(cur, mark));
        if (ours) {
                if (!e) {
                        vk_hooks_entry n = {.owner = (char *)owner, .path = (char *)path, .content = (char *)content,
                                            .mode = 0755};
                        if (vk_hooks_journal_add(&p->journal, &n) < 0)
                                return -ENOMEM;
                } else if (!(e->content = (free(e->content), strdup(content))))
                        return -ENOMEM;
                return add_change(p, equal ? VK_HOOK_SAME : VK_HOOK_WRITE, path, NULL, content, 0755,
                                  equal ? NULL : "vfiokit's own file, updated");
        }
        if (e)
                return vk_error_refuse(err,
                                       "/%s changed since vfiokit wrote it and the original it replaced is kept as "
                                       "/%s: vfiokit will not keep a second one; move one of them away, or run "
                                       "vfiokit hooks remove for the VMs in /%s first",
                                       path, kept, VK_HOOKS_JOURNAL);
        if (vk_host_stat(h, kept, &is_dir) >= 0)
                return vk_error_refuse(err,
                                       "/%s is not vfiokit's and /%s already exists: vfiokit keeps the first original "
                                       "and never overwrites it; move /%s away and run this again",
                                       path, kept, kept);
        {
                vk_hooks_entry n = {.owner = (char *)owner, .path = (char *)path, .kept = kept,
                                    .content = (char *)content, .mode = 0755};
                if (vk_hooks_journal_add(&p->journal, &n) < 0)
                        return -ENOMEM;
        }
        r = add_change(p, VK_HOOK_KEEP, path, kept, NULL, 0, "not vfiokit's: kept byte for byte and run first");
        if (r >= 0)
                r = add_change(p, VK_HOOK_WRITE, path, NULL, content, 0755, NULL);
        return r;
}

static int plan_journal(vk_host *h, vk_hook_plan *p) {
        _cleanup_free_ char *text = NULL, *cur = NULL;
        int r;

        if (p->journal.n == 0) {
                bool is_dir;
                if (vk_host_stat(h, VK_HOOKS_JOURNAL, &is_dir) < 0)
                        return 0;
                return add_change(p, VK_HOOK_UNLINK, VK_HOOKS_JOURNAL, NULL, NULL, 0, "no hook left");
        }
        text = vk_hooks_journal_serialize(&p->journal);
        if (!text)
                return -ENOMEM;
        r = vk_host_read_file(h, VK_HOOKS_JOURNAL, 4u << 20, &cur, NULL);
        if (r >= 0 && vk_streq(cur, text))
                return add_change(p, VK_HOOK_SAME, VK_HOOKS_JOURNAL, NULL, text, 0644, NULL);
        return add_change(p, VK_HOOK_WRITE, VK_HOOKS_JOURNAL, NULL, text, 0644, "lists what vfiokit added");
}

static int read_domain(vk_host *h, const char *vm, vk_hook_plan *p, vk_hook_domain *d, vk_error *err) {
        _cleanup_free_ char *path = vk_printf("etc/libvirt/qemu/%s.xml", vm), *buf = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return -ENOMEM;
        p->domain_path = vk_printf("/%s", path);
        if (!p->domain_path)
                return -ENOMEM;
        r = vk_host_read_file(h, path, 16u << 20, &buf, &len);
        if (r == -ENOENT)
                return vk_error_set(err, r,
                                    "%s does not exist: '%s' is not a domain this host's libvirt has defined (virsh "
                                    "list --all names them); define it first (virsh define FILE.xml, or vfiokit vm new "
                                    "%s --define), or for a domain defined elsewhere save virsh dumpxml %s there",
                                    p->domain_path, vm, vm, vm);
        if (r < 0)
                return vk_error_set(err, r, "%s: %s", p->domain_path, strerror(-r));
        r = vk_hook_domain_parse(p->domain_path, buf, len, d, err);
        if (r < 0)
                return r;
        if (!vk_streq(d->name, vm))
                return vk_error_set(err, -EBADMSG,
                                    "%s names the domain '%s', not '%s': libvirt keeps each domain in NAME.xml; "
                                    "use the name virsh list --all shows",
                                    p->domain_path, d->name, vm);
        if (d->devices.n == 0)
                return vk_error_set(err, -ENOENT,
                                    "%s has no PCI <hostdev>: there is nothing for a hook to bind; add the GPU first "
                                    "(vfiokit vm new, or virsh edit %s)",
                                    p->domain_path, vm);
        return 0;
}

/* Every non-bridge function that moves with the VM's devices must be movable; the host's display may only go
 * with --single-gpu (and is then passed to bind with --force-host-device). */
static int check_groups(const vk_model *m, vk_hook_plan *p, const vk_hook_opts *o, vk_error *err) {
        for (size_t i = 0; i < p->devices.n; i++) {
                const vk_func *f = vk_model_find(m, p->devices.v[i]);
                const vk_group *g;

                if (!f)
                        return vk_error_set(err, -ENOENT,
                                            "%s passes %s through, but this host has no such PCI device; fix the "
                                            "domain (virsh edit %s) or check the address with vfiokit list --all",
                                            p->domain_path, p->devices.v[i], p->vm);
                if (f->iommu_group < 0 || !(g = vk_model_group(m, f->iommu_group)))
                        return vk_error_set(err, -ENODEV,
                                            "%s has no IOMMU group: the IOMMU is off, so nothing can be passed "
                                            "through (vfiokit status says how to turn it on)",
                                            f->addr);
                for (size_t k = 0; k < g->n_members; k++) {
                        const vk_func *mf = &m->funcs[g->members[k]];
                        const vk_critical *c = vk_model_critical(m, mf->addr);

                        if (!c || vk_func_is_bridge(mf))
                                continue;
                        if (c->kind != VK_CRITICAL_DISPLAY)
                                return vk_error_refuse(err,
                                                       "%s's group %d holds %s, the host's %s (%s): vfiokit bind "
                                                       "refuses it, so the VM could never start; pass another device",
                                                       f->addr, g->id, mf->addr, vk_critical_kind_name(c->kind),
                                                       c->detail ? c->detail : "");
                        if (!o->single_gpu)
                                return vk_error_refuse(err,
                                                       "%s drives the host's display (%s): the hook would have to stop "
                                                       "it first; use --single-gpu to hand over the display, or pass "
                                                       "another GPU",
                                                       mf->addr, c->detail ? c->detail : "display");
                        if (!vk_strv_contains(&p->forced, mf->addr) && vk_strv_push(&p->forced, mf->addr) < 0)
                                return -ENOMEM;
                }
        }
        if (o->single_gpu && p->forced.n == 0 &&
            pushf(&p->warnings, "--single-gpu: none of %s's devices drives the host's display as far as vfiokit can "
                                "tell; the hook stops the display manager anyway",
                  p->vm) < 0)
                return -ENOMEM;
        return 0;
}

static int check_amd_reset(const vk_model *m, vk_hook_plan *p) {
        for (size_t i = 0; i < p->devices.n; i++) {
                const vk_func *f = vk_model_find(m, p->devices.v[i]);
                const char *family = f ? vk_amd_reset_bug_family(f->vendor, f->device) : NULL;
                const char *rm = f ? f->reset_method : NULL;

                if (!family || (rm && *rm && !vk_streq(rm, "bus")))
                        continue;
                if (pushf(&p->warnings,
                          "%s [1002:%04x] is an AMD %s GPU with the reset bug and its reset_method is %s: after the "
                          "VM stops the card may not reset, and the next start can fail or hang the host. vfiokit "
                          "does not fix this; the vendor-reset kernel module (https://github.com/gnif/vendor-reset) "
                          "gives this card a reset that works",
                          f->addr, f->device, family,
                          !rm ? "unknown (this kernel has no reset_method file)" : *rm ? "'bus' only" : "empty") < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* What the host's display is made of now, and how the hook will give it back. */
static int find_display(vk_host *h, vk_hook_plan *p, vk_error *err) {
        _cleanup_free_ char *target = NULL;
        vk_strv cons = {0};
        bool is_dir = false;
        int r;

        r = vk_host_readlink(h, VK_HOOKS_DM_LINK, &target);
        if (r == -ENOENT)
                return vk_error_refuse(err,
                                       "--single-gpu: /%s does not exist, so vfiokit cannot tell which display "
                                       "manager to stop and to start again after the VM (the screen would stay "
                                       "black); enable yours (systemctl enable gdm, sddm, lightdm …) and run this again",
                                       VK_HOOKS_DM_LINK);
        if (r < 0 && r != -EINVAL)
                return vk_error_set(err, r, "/%s: %s", VK_HOOKS_DM_LINK, strerror(-r));
        if (vk_host_stat(h, VK_HOOKS_DM_LINK, &is_dir) < 0)
                return vk_error_refuse(err,
                                       "--single-gpu: /%s points to %s, which does not exist: vfiokit cannot restart "
                                       "the display after the VM; re-enable your display manager and run this again",
                                       VK_HOOKS_DM_LINK, target ? target : "nothing");
        {
                const char *base = target ? strrchr(target, '/') : NULL;
                p->display_manager = strdup(target ? (base ? base + 1 : target) : "display-manager.service");
                if (!p->display_manager)
                        return -ENOMEM;
        }
        if (vk_host_list_dir(h, "sys/class/vtconsole", &cons) >= 0)
                for (size_t i = 0; i < cons.n; i++) {
                        _cleanup_free_ char *np = vk_printf("sys/class/vtconsole/%s/name", cons.v[i]);
                        _cleanup_free_ char *bp = vk_printf("sys/class/vtconsole/%s/bind", cons.v[i]);
                        _cleanup_free_ char *name = NULL, *bind = NULL;
                        if (!vk_startswith(cons.v[i], "vtcon") || !np || !bp ||
                            vk_host_read_file(h, np, 4096, &name, NULL) < 0 ||
                            vk_host_read_file(h, bp, 64, &bind, NULL) < 0)
                                continue;
                        if (strstr(name, "frame buffer") && vk_streq(vk_strip(bind), "1") &&
                            vk_strv_push(&p->vtconsoles, cons.v[i]) < 0) {
                                vk_strv_clear(&cons);
                                return -ENOMEM;
                        }
                }
        vk_strv_clear(&cons);
        for (size_t i = 0; i < 2; i++) {
                const char *fb = i ? "simple-framebuffer" : "efi-framebuffer";
                _cleanup_free_ char *path = vk_printf("sys/bus/platform/drivers/%s/%s.0", fb, fb);
                if (path && vk_host_stat(h, path, &is_dir) >= 0 && pushf(&p->framebuffers, "%s.0", fb) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int describe_actions(vk_hook_plan *p, const char *vfiokit) {
        _cleanup_free_ char *devs = NULL, *force = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&devs, &n);
        int r = 0;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < p->devices.n; i++)
                fprintf(f, " %s", p->devices.v[i]);
        fclose(f);
        f = open_memstream(&force, &n);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < p->forced.n; i++)
                fprintf(f, " --force-host-device %s", p->forced.v[i]);
        fclose(f);
        if (!devs || !force)
                return -ENOMEM;
        if (p->single_gpu) {
                r |= pushf(&p->prepare, "systemctl stop display-manager.service (%s)", p->display_manager);
                for (size_t i = 0; i < p->vtconsoles.n; i++)
                        r |= pushf(&p->prepare, "echo 0 > /sys/class/vtconsole/%s/bind (framebuffer console)",
                                   p->vtconsoles.v[i]);
                for (size_t i = 0; i < p->framebuffers.n; i++)
                        r |= pushf(&p->prepare, "echo %s > /sys/bus/platform/drivers/%.*s/unbind", p->framebuffers.v[i],
                                   (int)(strlen(p->framebuffers.v[i]) - 2), p->framebuffers.v[i]);
        }
        r |= pushf(&p->prepare, "%s bind%s%s", vfiokit, force, devs);
        r |= pushf(&p->release, "%s unbind%s", vfiokit, devs);
        if (p->single_gpu) {
                for (size_t i = p->framebuffers.n; i > 0; i--)
                        r |= pushf(&p->release, "echo %s > /sys/bus/platform/drivers/%.*s/bind", p->framebuffers.v[i - 1],
                                   (int)(strlen(p->framebuffers.v[i - 1]) - 2), p->framebuffers.v[i - 1]);
                for (size_t i = p->vtconsoles.n; i > 0; i--)
                        r |= pushf(&p->release, "echo 1 > /sys/class/vtconsole/%s/bind", p->vtconsoles.v[i - 1]);
                r |= pushf(&p->release, "systemctl start display-manager.service (%s)", p->display_manager);
        }
        return r < 0 ? -ENOMEM : 0;
}

int vk_hooks_plan_install(vk_host *h, const vk_model *m, const char *vm, const vk_hook_opts *o, vk_hook_plan *ret,
                          vk_error *err) {
        vk_hook_plan p = {.single_gpu = o->single_gpu};
        vk_hook_domain d = {0};
        _cleanup_free_ char *vmdir = NULL;
        bool had_hook, is_dir;
        int r;

        if (!vk_hooks_vm_name_is_valid(vm))
                return vk_error_set(err, -EINVAL,
                                    "'%s' is not a libvirt domain name vfiokit can hook (no '/', newline or control "
                                    "characters, not . or ..)",
                                    vm);
        if (!vk_hooks_exe_path_is_valid(o->vfiokit))
                return vk_error_set(err, -EINVAL,
                                    "vfiokit runs from %s: the hook needs an absolute path of letters, digits and "
                                    "/._+- only; install vfiokit (meson install) and run that one",
                                    o->vfiokit ? o->vfiokit : "an unknown path");
        if (!(p.vm = strdup(vm)))
                return -ENOMEM;
        r = vk_hooks_journal_load(h, &p.journal, err);
        if (r >= 0)
                r = read_domain(h, vm, &p, &d, err);
        if (r >= 0) {
                p.devices = d.devices;
                d.devices = (vk_strv){0};
                r = check_groups(m, &p, o, err);
        }
        if (r >= 0)
                r = check_amd_reset(m, &p);
        if (r >= 0 && d.managed.n)
                r = pushf(&p.notes,
                          "%zu of %s's devices are managed='yes': libvirt moves those to vfio-pci and back itself, one "
                          "function at a time; the hook's bind moves their whole IOMMU groups before it (guarded, "
                          "journaled) and its unbind gives back whatever libvirt has not",
                          d.managed.n, vm);
        if (r >= 0 && o->single_gpu)
                r = find_display(h, &p, err);
        if (r >= 0)
                r = describe_actions(&p, o->vfiokit);
        if (r >= 0 && !(p.script = vk_hooks_vm_script(vm, o->vfiokit, &p.devices, &p.forced, o->single_gpu)))
                r = -ENOMEM;
        if (r >= 0) {
                had_hook = vk_host_stat(h, VK_HOOKS_DISPATCHER, &is_dir) >= 0;
                r = plan_dirs(h, &p, VK_HOOKS_DIR, NULL, NULL);
                if (r >= 0)
                        r = plan_file(h, &p, VK_HOOKS_DISPATCHER, vk_hooks_dispatcher_text(), NULL,
                                      "#!/bin/sh\n" VK_HOOKS_DISPATCHER_MARK "\n", err);
                p.restart_libvirtd = !had_hook;
        }
        if (r >= 0 && !(vmdir = vk_printf(VK_HOOKS_DIR "/qemu.d/%s", vm)))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(phases); i++) {
                _cleanup_free_ char *dir = vk_printf("%s/%s", vmdir, phases[i]);
                _cleanup_free_ char *file = vk_printf("%s/%s/vfiokit.sh", vmdir, phases[i]);
                if (!dir || !file) {
                        r = -ENOMEM;
                        break;
                }
                r = plan_dirs(h, &p, dir, VK_HOOKS_DIR "/qemu.d", vm);
                if (r >= 0)
                        r = plan_file(h, &p, file, p.script, vm, NULL, err);
        }
        if (r >= 0)
                r = plan_dirs(h, &p, "var/lib/vfiokit", NULL, NULL);
        if (r >= 0)
                r = plan_journal(h, &p);
        vk_hook_domain_clear(&d);
        if (r < 0) {
                if (r == -ENOMEM && !err->msg[0])
                        vk_error_set(err, r, "out of memory");
                vk_hook_plan_clear(&p);
                return r;
        }
        *ret = p;
        return 0;
}

int vk_hooks_plan_remove(vk_host *h, const char *vm, vk_hook_plan *ret, vk_error *err) {
        vk_hook_plan p = {.remove = true};
        vk_hooks_journal old = {0};
        vk_strv problems = {0}; /* what stops the remove before it starts */
        bool last = true;
        int r;

        if (!vk_hooks_vm_name_is_valid(vm))
                return vk_error_set(err, -EINVAL, "'%s' is not a libvirt domain name", vm);
        r = vk_hooks_journal_load(h, &old, err);
        if (r < 0)
                return r;
        if (!vk_hooks_journal_has_owner(&old, vm)) {
                vk_hooks_journal_clear(&old);
                return vk_error_set(err, -ENOENT,
                                    "vfiokit installed no hook for '%s' (/%s does not list one): nothing to remove",
                                    vm, VK_HOOKS_JOURNAL);
        }
        for (size_t i = 0; i < old.n; i++)
                if (old.v[i].owner && !vk_streq(old.v[i].owner, vm))
                        last = false;
        p.vm = strdup(vm);
        r = p.vm ? 0 : -ENOMEM;
        /* the journal lists parents before children and a dir before its files: undo from the end. The
         * shared part goes only with the last VM; the journal itself goes after every hook file (a failure
         * before leaves it listing what is left) and before its own directories. */
        for (int pass = 0; r >= 0 && pass < 3; pass++) {
                if (pass == 2 && last)
                        r = plan_journal(h, &p);
                for (size_t i = old.n; r >= 0 && i > 0; i--) {
                        vk_hooks_entry *e = &old.v[i - 1];
                        _cleanup_free_ char *cur = NULL;
                        bool journal_dir = e->is_dir && vk_startswith(VK_HOOKS_JOURNAL, e->path) &&
                                           VK_HOOKS_JOURNAL[strlen(e->path)] == '/';
                        bool mine = pass == 0 ? e->owner && vk_streq(e->owner, vm)
                                              : !e->owner && last && journal_dir == (pass == 2);
                        size_t len = 0;
                        bool ours, kept;
                        int rr;

                        if (!mine)
                                continue;
                        if (e->is_dir) {
                                bool is_dir = true;
                                if (vk_host_stat(h, e->path, &is_dir) >= 0 && !is_dir)
                                        r = pushf(&problems, "/%s is no longer a directory (move it away)", e->path);
                                else
                                        r = add_change(&p, VK_HOOK_RMDIR, e->path, NULL, NULL, 0, NULL);
                                continue;
                        }
                        rr = vk_host_read_file(h, e->path, 4u << 20, &cur, &len);
                        if (rr < 0 && rr != -ENOENT) {
                                r = pushf(&problems, "/%s cannot be read: %s (fix that)", e->path, strerror(-rr));
                                continue;
                        }
                        ours = rr >= 0 && len == strlen(e->content) && memcmp(cur, e->content, len) == 0;
                        kept = e->kept && vk_host_stat(h, e->kept, NULL) >= 0;
                        if (rr == -ENOENT && kept)
                                r = add_change(&p, VK_HOOK_RESTORE, e->path, e->kept, NULL, 0,
                                               "it was gone; the original goes back");
                        else if (rr == -ENOENT)
                                r = add_change(&p, VK_HOOK_LEAVE, e->path, e->kept, NULL, 0, "already gone");
                        else if (!ours)
                                r = e->kept ? pushf(&problems,
                                                    "/%s changed since vfiokit wrote it (move your version away; "
                                                    "the original kept as /%s then goes back)",
                                                    e->path, e->kept)
                                            : pushf(&problems,
                                                    "/%s changed since vfiokit wrote it (it is yours now: move it "
                                                    "away)",
                                                    e->path);
                        else if (e->kept && !kept)
                                r = pushf(&problems,
                                          "the original vfiokit kept as /%s is missing, so it cannot go back to /%s "
                                          "(put it back from a backup, or delete /%s yourself if you do not want it)",
                                          e->kept, e->path, e->path);
                        else
                                r = add_change(&p, e->kept ? VK_HOOK_RESTORE : VK_HOOK_UNLINK, e->path, e->kept, NULL,
                                               0, e->kept ? "the original, as it was" : NULL);
                }
        }
        if (r >= 0 && problems.n) {
                /* all or nothing: one file that cannot go as planned stops the whole remove before it starts */
                _cleanup_free_ char *list = vk_strv_join(&problems, "; ");
                vk_strv_clear(&problems);
                vk_hooks_journal_clear(&old);
                vk_hook_plan_clear(&p);
                if (!list)
                        return vk_error_set(err, -ENOMEM, "out of memory");
                return vk_error_refuse(err, "hooks remove %s: %s; nothing was changed: do that, then run vfiokit "
                                            "hooks remove %s again",
                                       vm, list, vm);
        }
        vk_strv_clear(&problems);
        if (r >= 0 && !last) {
                /* the journal keeps its order: rebuild it from the old one without this VM's entries */
                vk_hooks_journal_clear(&p.journal);
                for (size_t i = 0; r >= 0 && i < old.n; i++)
                        if (!old.v[i].owner || !vk_streq(old.v[i].owner, vm))
                                r = vk_hooks_journal_add(&p.journal, &old.v[i]);
                if (r >= 0)
                        r = plan_journal(h, &p);
        }
        vk_hooks_journal_clear(&old);
        if (r < 0) {
                vk_hook_plan_clear(&p);
                return vk_error_set(err, r, "out of memory");
        }
        *ret = p;
        return 0;
}
