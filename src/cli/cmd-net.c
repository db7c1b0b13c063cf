/* cmd-net.c — `vfiokit net bridge BR --uplink IF`, `net tap TAP --user USER`, `net remove NAME`: host networking for VMs. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/journal.h"
#include "../lib/net.h"
#include "../lib/spawn.h"
#include "cli.h"

const vk_cmdopt net_opts[] = {
        {"uplink", "IF", "(bridge) the wired NIC the bridge takes over; its addresses move to the bridge"},
        {"backend", "NAME", "networkd, netplan or nm (default: the stack this host runs)"},
        {"user", "USER", "(tap) the user who may open the tap (QEMU's user)"},
        {"bridge", "BR", "(tap) make the tap a port of this bridge"},
        {"trial", "SECONDS", "(bridge) apply, roll back unless confirmed: NOT implemented, refused"},
        {NULL, NULL, NULL},
};

/* An argv as a shell would need it typed: words with spaces or quotes in single quotes. */
static char *shell_line(const vk_strv *argv) {
        size_t cap = 1;
        for (size_t i = 0; i < argv->n; i++)
                cap += 4 * strlen(argv->v[i]) + 3;
        char *out = malloc(cap), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < argv->n; i++) {
                const char *a = argv->v[i];
                bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+") ==
                                          strlen(a);
                if (i)
                        *o++ = ' ';
                if (plain) {
                        o = stpcpy(o, a);
                        continue;
                }
                *o++ = '\'';
                for (; *a; a++)
                        o = *a == '\'' ? stpcpy(o, "'\\''") : (*o = *a, o + 1);
                *o++ = '\'';
        }
        *o = 0;
        return out;
}

static size_t count_lines(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static void print_prefixed(const char *prefix, const char *text) {
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                printf("%s%.*s\n", prefix, (int)n, l);
                l += n + (l[n] == '\n');
        }
}

/* New files in full; a changed file as a one-hunk unified diff. */
static void print_files(const vk_net_plan *p, bool remove, bool will_not_happen) {
        const char *would = will_not_happen ? "would " : "";
        for (size_t i = 0; i < p->n_files; i++) {
                const vk_net_file *f = &p->files[i];
                if (remove && !f->content) {
                        printf("%sremove /%s\n", would, f->path);
                } else if (remove) {
                        printf("%srestore /%s from /%s.vfiokit-orig\n", would, f->path, f->path);
                } else if (vk_streq(f->old, f->content)) {
                        printf("unchanged /%s\n", f->path);
                } else if (!f->old) {
                        printf("%swrite /%s (new, mode %04o):\n", would, f->path, f->mode);
                        print_prefixed("  ", f->content);
                } else {
                        printf("%sreplace /%s (the original is kept as /%s.vfiokit-orig):\n--- /%s\n+++ /%s\n"
                               "@@ -1,%zu +1,%zu @@\n", would, f->path, f->path, f->path, f->path,
                               count_lines(f->old), count_lines(f->content));
                        print_prefixed("-", f->old);
                        print_prefixed("+", f->content);
                }
        }
}

static json_object *argvs_json(const vk_strv *v, size_t n) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_new_array();
                for (size_t k = 0; k < v[i].n; k++)
                        json_object_array_add(c, json_object_new_string(v[i].v[k]));
                json_object_array_add(a, c);
        }
        return a;
}

static json_object *plan_json(const vk_cli *cli, const vk_net_plan *p, const char *action) {
        json_object *o = json_object_new_object(), *files = json_object_new_array(), *notes = json_object_new_array();
        json_object_object_add(o, "action", json_object_new_string(action));
        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(o, "backend", json_object_new_string(vk_net_backend_name(p->backend)));
        if (p->uplink)
                json_object_object_add(o, "uplink", json_object_new_string(p->uplink));
        if (p->user)
                json_object_object_add(o, "user", json_object_new_string(p->user));
        if (p->master)
                json_object_object_add(o, "bridge", json_object_new_string(p->master));
        json_object_object_add(o, "dry_run", json_object_new_boolean(cli->dry_run));
        json_object_object_add(o, "done", json_object_new_boolean(p->done));
        json_object_object_add(o, "default_route", json_object_new_boolean(p->default_route));
        for (size_t i = 0; i < p->n_files; i++) {
                json_object *f = json_object_new_object();
                const vk_net_file *nf = &p->files[i];
                char *path = vk_printf("/%s", nf->path);
                json_object_object_add(f, "path", json_object_new_string(path ? path : nf->path));
                free(path);
                json_object_object_add(f, "action", json_object_new_string(
                        !nf->content ? "remove" : vk_streq(action, "remove") ? "restore"
                        : vk_streq(nf->old, nf->content) ? "unchanged" : nf->old ? "replace" : "create"));
                json_object_object_add(f, "content", nf->content ? json_object_new_string(nf->content) : NULL);
                json_object_array_add(files, f);
        }
        json_object_object_add(o, "files", files);
        json_object_object_add(o, "commands", argvs_json(p->run, p->n_run));
        if (!vk_streq(action, "remove"))
                json_object_object_add(o, "undo", argvs_json(p->undo, p->n_undo));
        for (size_t i = 0; i < p->notes.n; i++)
                json_object_array_add(notes, json_object_new_string(p->notes.v[i]));
        json_object_object_add(o, "notes", notes);
        return o;
}

/* Run (live host) or show (--root, --dry-run) the commands; with keep_going, a failure does not stop the rest. */
static int run_commands(const vk_cli *cli, const vk_net_plan *p, bool keep_going) {
        bool live = vk_host_is_live(cli->host) && !cli->dry_run;
        int rc = VK_EXIT_OK;

        for (size_t i = 0; i < p->n_run; i++) {
                _cleanup_free_ char *line = shell_line(&p->run[i]);
                vk_error err = {0};
                int r;

                if (!live) {
                        if (!cli->json)
                                printf("%s: %s\n", cli->dry_run ? "would run" : "(--root: would run)",
                                       line ? line : "?");
                        continue;
                }
                if (!cli->json)
                        printf("running: %s\n", line ? line : "?");
                fflush(stdout);
                r = vk_spawn(p->run[i].v, &err);
                if (r != 0) {
                        vk_err("%s: %s", line ? line : "?", r < 0 ? err.msg : "failed (see its message above)");
                        rc = VK_EXIT_FAIL;
                        if (!keep_going)
                                return rc;
                }
        }
        return rc;
}

static int refuse_trial(void) {
        vk_err("--trial is not implemented: vfiokit cannot yet roll a bridge back by itself when the connection "
               "drops. Keep a console (IPMI, physical) open and undo with 'vfiokit net remove BR'; on netplan, "
               "'netplan try' after --dry-run's file gives a timed rollback");
        return VK_EXIT_USAGE;
}

static bool over_ssh(void) {
        const char *ssh = getenv("SSH_CONNECTION");
        return ssh && *ssh;
}

/* Changing the NIC that carries the default route can cut an SSH session off the host. */
static int check_danger(const vk_cli *cli, const vk_net_plan *p) {
        const char *ssh = getenv("SSH_CONNECTION");

        if (!p->default_route || p->done)
                return VK_EXIT_OK;
        if (!ssh || !*ssh) {
                if (!cli->json)
                        printf("note: %s carries the default route; its connections restart when %s takes its "
                               "place\n", p->uplink, p->name);
                return VK_EXIT_OK;
        }
        fprintf(stderr, "vfiokit: WARNING: %s CARRIES THIS HOST'S DEFAULT ROUTE AND YOU ARE LOGGED IN OVER SSH (%s).\n"
                        "vfiokit:   When %s takes %s's place the host can get another DHCP address and this session "
                        "can drop;\n"
                        "vfiokit:   a mistake leaves the host unreachable. Keep a console (IPMI, physical) at hand; "
                        "undo: vfiokit net remove %s\n", p->uplink, ssh, p->name, p->uplink, p->name);
        if (!cli->yes && !cli->dry_run) {
                vk_err("refused: changing the SSH session's own uplink needs --yes (the plan is above; nothing was changed)");
                return VK_EXIT_REFUSED;
        }
        return VK_EXIT_OK;
}

static int apply(vk_cli *cli, vk_net_plan *p, const char *action) {
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        vk_error err = {0};
        int r, rc;

        if (!cli->json) {
                if (vk_streq(action, "bridge"))
                        printf("%s: a bridge over %s (%s)\n", p->name, p->uplink, vk_net_backend_name(p->backend));
                else if (vk_streq(action, "tap"))
                        printf("%s: a tap owned by %s%s%s (%s)\n", p->name, p->user, p->master ? ", a port of " : "",
                               p->master ? p->master : "", vk_net_backend_name(p->backend));
                else
                        printf("%s: undo what vfiokit net %s made (%s)\n", p->name, p->bridge ? "bridge" : "tap",
                               vk_net_backend_name(p->backend));
                for (size_t i = 0; i < p->notes.n; i++)
                        printf("note: %s\n", p->notes.v[i]);
        }
        if (p->done) {
                if (cli->json)
                        vk_print_json(plan_json(cli, p, action));
                else
                        printf("nothing to do: vfiokit made %s before and its files are as it wrote them\n", p->name);
                return VK_EXIT_OK;
        }
        if (!cli->json)
                print_files(p, vk_streq(action, "remove"),
                            cli->dry_run || (p->default_route && over_ssh() && !cli->yes && !vk_streq(action, "remove")));
        /* after the plan, so the user sees what the warning is about */
        if (!vk_streq(action, "remove") && (rc = check_danger(cli, p)) != VK_EXIT_OK)
                return rc;
        if (cli->dry_run) {
                rc = run_commands(cli, p, false);
                if (cli->json)
                        vk_print_json(plan_json(cli, p, action));
                return rc;
        }
        if (vk_lock_take(cli->host, 10000, &err) < 0)
                return vk_cli_fail(&err);
        locked = cli->host;
        /* the journal comes first: whatever a command then does, net remove knows what to undo */
        r = vk_streq(action, "remove") ? vk_net_apply_remove(cli->host, p, &err) : vk_net_apply(cli->host, p, &err);
        if (r < 0)
                return vk_cli_fail(&err);
        rc = run_commands(cli, p, vk_streq(action, "remove"));
        if (rc != VK_EXIT_OK && !vk_streq(action, "remove"))
                vk_err("the files are written and journaled; undo everything with: vfiokit net remove %s", p->name);
        if (cli->json)
                vk_print_json(plan_json(cli, p, action));
        return rc;
}

int cmd_net(vk_cli *cli, int argc, char **argv) {
        const char *verb = argv[0], *name = argc > 1 ? argv[1] : NULL;
        const char *uplink = vk_cli_opt(cli, "uplink"), *backend_s = vk_cli_opt(cli, "backend"),
                   *user = vk_cli_opt(cli, "user"), *master = vk_cli_opt(cli, "bridge");
        vk_net_backend backend = VK_NET_AUTO;
        vk_net_plan p = {0};
        vk_error err = {0};
        int r, rc;

        if (!name) {
                vk_err("net %s: name the %s", verb, vk_streq(verb, "tap") ? "tap" : "bridge");
                return VK_EXIT_USAGE;
        }
        if (backend_s && vk_net_backend_parse(backend_s, &backend) < 0) {
                vk_err("--backend=%s: expected networkd, netplan or nm", backend_s);
                return VK_EXIT_USAGE;
        }
        if (vk_streq(verb, "bridge")) {
                if (vk_cli_opt(cli, "trial"))
                        return refuse_trial();
                if (!uplink || user || master) {
                        vk_err(!uplink ? "net bridge: name the wired NIC it takes over: --uplink IF (see ip link)"
                                       : "net bridge: --user and --bridge are net tap's options");
                        return VK_EXIT_USAGE;
                }
                r = vk_net_plan_bridge(cli->host, name, uplink, backend, &p, &err);
        } else if (vk_streq(verb, "tap")) {
                if (!user || uplink || vk_cli_opt(cli, "trial")) {
                        vk_err(!user ? "net tap: name the user who runs QEMU: --user USER"
                                     : "net tap: --uplink and --trial are net bridge's options");
                        return VK_EXIT_USAGE;
                }
                r = vk_net_plan_tap(cli->host, name, user, master, backend, &p, &err);
        } else if (vk_streq(verb, "remove")) {
                if (uplink || user || master || backend_s || vk_cli_opt(cli, "trial")) {
                        vk_err("net remove: takes only the name; the journal knows the rest");
                        return VK_EXIT_USAGE;
                }
                r = vk_net_plan_remove(cli->host, name, &p, &err);
        } else {
                vk_err("net: '%s' is not bridge, tap or remove", verb);
                return VK_EXIT_USAGE;
        }
        if (r < 0)
                return vk_cli_fail(&err);
        rc = apply(cli, &p, verb);
        vk_net_plan_clear(&p);
        return rc;
}
