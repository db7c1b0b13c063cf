/* cmd-hooks.c — `vfiokit hooks install VM [--single-gpu]` and `hooks remove VM`: libvirt qemu hooks for a VM. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/hooks.h"
#include "../lib/journal.h"
#include "cli.h"
#include "load.h"

const vk_cmdopt hooks_opts[] = {
        {"single-gpu", NULL,
         "(install) the VM takes the host's only GPU: stop the display manager, consoles and framebuffer first"},
        {NULL, NULL, NULL},
};

static const char *kind_name(vk_hook_change_kind k) {
        static const char *const names[] = {"mkdir", "keep", "write", "same", "restore", "unlink", "rmdir", "leave"};
        return names[k];
}

static json_object *strv_json(const vk_strv *s) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n; i++)
                json_object_array_add(a, json_object_new_string(s->v[i]));
        return a;
}

static json_object *plan_json(const vk_hook_plan *p, bool dry_run) {
        json_object *o = json_object_new_object(), *changes = json_object_new_array();

        json_object_object_add(o, "vm", json_object_new_string(p->vm));
        json_object_object_add(o, "action", json_object_new_string(p->remove ? "remove" : "install"));
        json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
        if (!p->remove) {
                json_object *d = json_object_new_object();
                json_object_object_add(o, "domain", json_object_new_string(p->domain_path));
                json_object_object_add(o, "devices", strv_json(&p->devices));
                json_object_object_add(o, "single_gpu", json_object_new_boolean(p->single_gpu));
                json_object_object_add(d, "display_manager",
                                       p->display_manager ? json_object_new_string(p->display_manager) : NULL);
                json_object_object_add(d, "vtconsoles", strv_json(&p->vtconsoles));
                json_object_object_add(d, "framebuffers", strv_json(&p->framebuffers));
                json_object_object_add(d, "forced", strv_json(&p->forced));
                json_object_object_add(o, "display", d);
                json_object_object_add(o, "prepare_begin", strv_json(&p->prepare));
                json_object_object_add(o, "release_end", strv_json(&p->release));
                json_object_object_add(o, "script", json_object_new_string(p->script));
                json_object_object_add(o, "restart_libvirtd", json_object_new_boolean(p->restart_libvirtd && p->changed));
        }
        json_object_object_add(o, "warnings", strv_json(&p->warnings));
        json_object_object_add(o, "notes", strv_json(&p->notes));
        for (size_t i = 0; i < p->n_changes; i++) {
                const vk_hook_change *c = &p->changes[i];
                json_object *e = json_object_new_object();
                _cleanup_free_ char *path = vk_printf("/%s", c->path), *kept = c->kept ? vk_printf("/%s", c->kept) : NULL;
                json_object_object_add(e, "action", json_object_new_string(kind_name(c->kind)));
                json_object_object_add(e, "path", json_object_new_string(path ? path : c->path));
                if (kept)
                        json_object_object_add(e, "kept", json_object_new_string(kept));
                if (c->note)
                        json_object_object_add(e, "note", json_object_new_string(c->note));
                json_object_array_add(changes, e);
        }
        json_object_object_add(o, "changes", changes);
        return o;
}

static void print_changes(const vk_hook_plan *p, bool dry_run) {
        printf("%s:\n", dry_run ? "files it would change" : "files");
        for (size_t i = 0; i < p->n_changes; i++) {
                const vk_hook_change *c = &p->changes[i];
                switch (c->kind) {
                case VK_HOOK_KEEP:
                case VK_HOOK_RESTORE:
                        printf("  %-7s /%s %s /%s", kind_name(c->kind), c->kind == VK_HOOK_KEEP ? c->path : c->kept,
                               c->kind == VK_HOOK_KEEP ? "as" : "back to", c->kind == VK_HOOK_KEEP ? c->kept : c->path);
                        break;
                case VK_HOOK_WRITE:
                        printf("  %-7s /%s (%04o)", kind_name(c->kind), c->path, c->mode);
                        break;
                default:
                        printf("  %-7s /%s", kind_name(c->kind), c->path);
                        break;
                }
                printf("%s%s%s\n", c->note ? "  (" : "", c->note ? c->note : "", c->note ? ")" : "");
        }
}

static void print_install(const vk_cli *cli, const vk_hook_plan *p) {
        printf("%s%s: %s passes %zu PCI function%s\n", cli->dry_run ? "would install the hook for " : "hook for ",
               p->vm, p->domain_path, p->devices.n, p->devices.n == 1 ? "" : "s");
        printf("before %s starts (prepare/begin), the hook runs:\n", p->vm);
        for (size_t i = 0; i < p->prepare.n; i++)
                printf("  %zu. %s\n", i + 1, p->prepare.v[i]);
        printf("after it stops (release/end):\n");
        for (size_t i = 0; i < p->release.n; i++)
                printf("  %zu. %s\n", i + 1, p->release.v[i]);
        if (p->single_gpu && p->forced.n)
                printf("  (--force-host-device: the display is stopped first, so vfiokit bind may take it)\n");
        for (size_t i = 0; i < p->warnings.n; i++)
                printf("%swarning:%s %s\n", vk_color(cli, "yellow"), vk_color(cli, "reset"), p->warnings.v[i]);
        for (size_t i = 0; i < p->notes.n; i++)
                printf("note: %s\n", p->notes.v[i]);
        print_changes(p, cli->dry_run);
        if (cli->dry_run) {
                printf("--- /%s\n%s", VK_HOOKS_DISPATCHER, vk_hooks_dispatcher_text());
                printf("--- /%s/qemu.d/%s/{prepare/begin,release/end}/vfiokit.sh\n%s", VK_HOOKS_DIR, p->vm, p->script);
                printf("---\n");
        }
        if (!p->changed)
                printf("nothing to change: the hook for %s is installed as it should be\n", p->vm);
        else if (p->restart_libvirtd)
                printf("libvirt looks for hook scripts when it starts, and this host had no qemu hook: %s `systemctl "
                       "restart libvirtd` (virtqemud where the modular daemons run) before starting %s; running VMs "
                       "keep running. vfiokit does not restart it for you.\n",
                       cli->dry_run ? "after installing, run" : "run", p->vm);
}

static int run_plan(vk_cli *cli, vk_hook_plan *p, const char *exe) {
        vk_error err = {0};

        if (cli->json) {
                json_object *j = plan_json(p, cli->dry_run);
                vk_print_json(j);
                json_object_put(j);
        } else if (!p->remove) {
                print_install(cli, p);
                /* the hook runs this very binary at every VM start: a build directory is a fragile home for it */
                if (vk_host_is_live(cli->host) && exe && !vk_startswith(exe, "/usr/"))
                        printf("note: the hook runs vfiokit as %s; if that file moves, the VM no longer starts "
                               "(install vfiokit with meson install and run that one)\n",
                               exe);
        }
        else {
                printf("%s%s\n", cli->dry_run ? "would remove the hook for " : "removing the hook for ", p->vm);
                print_changes(p, cli->dry_run);
        }
        if (cli->dry_run || !p->changed)
                return VK_EXIT_OK;
        if (vk_hooks_apply(cli->host, p, &err) < 0)
                return vk_cli_fail(&err);
        return VK_EXIT_OK;
}

int cmd_hooks(vk_cli *cli, int argc, char **argv) {
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        _cleanup_model_ vk_model *m = NULL;
        _cleanup_free_ char *exe = NULL;
        vk_hook_plan p = {0};
        vk_error err = {0};
        bool install;
        int r;

        (void)argc;
        install = vk_streq(argv[0], "install");
        if (!install && !vk_streq(argv[0], "remove")) {
                vk_err("hooks: '%s' is not a hooks verb: vfiokit hooks install VM [--single-gpu] | hooks remove VM",
                       argv[0]);
                return VK_EXIT_USAGE;
        }
        if (!install && vk_cli_opt(cli, "single-gpu")) {
                vk_err("hooks remove: --single-gpu is for install (remove takes away whatever install wrote)");
                return VK_EXIT_USAGE;
        }
        if (!cli->dry_run) {
                if (vk_lock_take(cli->host, 10000, &err) < 0)
                        return vk_cli_fail(&err);
                locked = cli->host;
        }
        if (install) {
                /* the hook runs vfiokit by an absolute path: this binary on the live system; inside --root the
                 * path a package installs it to */
                vk_hook_opts o = {.single_gpu = vk_cli_opt(cli, "single-gpu") != NULL};
                exe = vk_host_is_live(cli->host) ? realpath("/proc/self/exe", NULL) : strdup("/usr/bin/vfiokit");
                o.vfiokit = exe;
                r = vk_cli_load_flags(cli, VK_LOAD_FOR_CHANGE, &m);
                if (r)
                        return r;
                r = vk_hooks_plan_install(cli->host, m, argv[1], &o, &p, &err);
        } else
                r = vk_hooks_plan_remove(cli->host, argv[1], &p, &err);
        if (r < 0)
                return vk_cli_fail(&err);
        r = run_plan(cli, &p, exe);
        vk_hook_plan_clear(&p);
        return r;
}
