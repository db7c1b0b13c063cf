/* cmd-net.c — `vfiokit net bridge BR --uplink IF`, `net tap TAP --user USER`, `net remove NAME`: host networking for VMs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/journal.h"
#include "../lib/net.h"
#include "../lib/spawn.h"
#include "cli.h"

const vk_cmdopt net_opts[] = {
        {"uplink", "IF", "(bridge) the wired NIC the bridge takes over; its addresses move to the bridge"},
        {"backend", "NAME", "networkd, netplan or nm (default: the stack this host runs)"},
        {"user", "USER", "(tap) the user who may open the tap (QEMU's user)"},
        {"bridge", "BR", "(tap) make the tap a port of this bridge"},
        {"trial", "SECONDS", "(bridge) undo it all unless 'keep' is typed on the terminal within SECONDS"},
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

static void print_plan_json(const vk_cli *cli, const vk_net_plan *p, const char *action) {
        json_object *o = plan_json(cli, p, action);
        vk_print_json(o);
        json_object_put(o);
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

static bool over_ssh(void) {
        const char *ssh = getenv("SSH_CONNECTION");
        return ssh && *ssh;
}

/* Changing the NIC that carries the default route can cut an SSH session off the host. */
static int check_danger(const vk_cli *cli, const vk_net_plan *p, int trial) {
        const char *ssh = getenv("SSH_CONNECTION");

        if (!p->default_route || p->done)
                return VK_EXIT_OK;
        if (!ssh || !*ssh)
                return VK_EXIT_OK; /* the note above the plan said it */
        fprintf(stderr, "vfiokit: WARNING: %s CARRIES THIS HOST'S DEFAULT ROUTE AND YOU ARE LOGGED IN OVER SSH (%s).\n"
                        "vfiokit:   When %s takes %s's place the host can get another DHCP address and this session "
                        "can drop;\n"
                        "vfiokit:   a mistake leaves the host unreachable. Keep a console (IPMI, physical) at hand; "
                        "undo: vfiokit net remove %s\n", p->uplink, ssh, p->name, p->uplink, p->name);
        if (!cli->yes && !trial && !cli->dry_run) {
                vk_err("refused: changing the SSH session's own uplink needs --yes, or --trial SECONDS to roll it back "
                       "unless you confirm (the plan is above; nothing was changed)");
                return VK_EXIT_REFUSED;
        }
        return VK_EXIT_OK;
}

/* --trial: after the files are written and journaled, a child process (its own session, deaf to the hangup of
 * an SSH session) waits on a pipe. The parent runs the commands, then asks on the terminal; "keep" in time
 * writes 'k' and the child exits. A timeout, any other answer, or the parent dying (the pipe's EOF: SSH cut,
 * Ctrl-C) makes the child undo everything exactly as `net remove` would. Only the child decides, so the two
 * can never both act; the parent reports what the child did from its exit status. */
enum { TRIAL_KEPT = 0, TRIAL_ROLLED_BACK = 10, TRIAL_ROLLBACK_FAILED = 11 };

typedef struct vk_net_trial {
        const char *name;
        pid_t pid;
        int keep_fd;
        struct timespec deadline;
} vk_net_trial;

static int ms_left(const struct timespec *deadline) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
        return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

static int remove_by_name(vk_cli *cli, const char *name);

static _Noreturn void trial_watchdog(vk_cli *cli, const char *name, int rfd, const struct timespec *deadline) {
        static const int ignored[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTOU, SIGTTIN};
        for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
                signal(ignored[i], SIG_IGN);
        setsid();
        for (;;) {
                struct pollfd pfd = {.fd = rfd, .events = POLLIN};
                int ms = ms_left(deadline), n;
                char c;
                ssize_t k;

                if (ms == 0)
                        break;
                n = poll(&pfd, 1, ms);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break; /* the time is up */
                k = read(rfd, &c, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k == 1 && c == 'k')
                        _exit(TRIAL_KEPT);
                break; /* EOF: the parent gave up or is gone */
        }
        cli->json = false;
        cli->dry_run = false;
        printf("\nvfiokit: %s was not confirmed: undoing it\n", name);
        _exit(remove_by_name(cli, name) == VK_EXIT_OK ? TRIAL_ROLLED_BACK : TRIAL_ROLLBACK_FAILED);
}

static int trial_start(vk_cli *cli, const char *name, int seconds, vk_net_trial *t) {
        int fds[2];

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -1;
        t->name = name;
        clock_gettime(CLOCK_MONOTONIC, &t->deadline);
        t->deadline.tv_sec += seconds;
        /* the child must not print what is still buffered here a second time */
        fflush(stdout);
        fflush(stderr);
        t->pid = fork();
        if (t->pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return -1;
        }
        if (t->pid == 0) {
                close(fds[1]);
                trial_watchdog(cli, name, fds[0], &t->deadline);
        }
        close(fds[0]);
        t->keep_fd = fds[1];
        return 0;
}

/* A line from the terminal before the deadline (less a second, so a "keep" reaches the child in time). */
static bool read_keep(int tty, const struct timespec *deadline) {
        char line[64];
        size_t n = 0;

        while (n < sizeof(line) - 1) {
                struct pollfd pfd = {.fd = tty, .events = POLLIN};
                int ms = ms_left(deadline) - 1000, r;
                ssize_t k;

                if (ms <= 0)
                        return false;
                r = poll(&pfd, 1, ms);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return false;
                k = read(tty, line + n, sizeof(line) - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                n += (size_t)k;
                line[n] = 0;
                if (strchr(line, '\n'))
                        break;
        }
        line[n] = 0;
        return vk_streq(vk_strip(line), "keep");
}

static int trial_finish(vk_cli *cli, vk_net_trial *t, int tty, bool commands_ok) {
        bool keep = false;
        int status = 0;

        if (commands_ok) {
                dprintf(tty, "vfiokit: check that the host is still reachable. Type 'keep' and Enter within %d s to "
                             "keep it;\nvfiokit: anything else, or nothing, undoes it all.\n> ",
                        (ms_left(&t->deadline) + 999) / 1000);
                keep = read_keep(tty, &t->deadline);
        }
        if (keep && write(t->keep_fd, "k", 1) != 1)
                keep = false;
        close(t->keep_fd);
        while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == TRIAL_KEPT) {
                if (!cli->json)
                        printf("kept: undo it later with vfiokit net remove %s\n", t->name);
                return VK_EXIT_OK;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == TRIAL_ROLLED_BACK) {
                vk_err("%s: rolled back, everything is as before", keep ? "'keep' came too late" :
                       commands_ok ? "not confirmed" : "a command failed");
                return VK_EXIT_FAIL;
        }
        vk_err("the rollback failed (see above); finish it with: vfiokit net remove %s", t->name);
        return VK_EXIT_FAIL;
}

/* Apply (or remove) P. TRIAL > 0: a watchdog rolls it back unless the user types "keep" on TTY in time. */
static int apply(vk_cli *cli, vk_net_plan *p, const char *action, int trial, int tty) {
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
                if (p->default_route && !p->done && !over_ssh())
                        printf("note: %s carries the default route; its connections restart when %s takes its "
                               "place\n", p->uplink, p->name);
        }
        if (p->done) {
                if (cli->json)
                        print_plan_json(cli, p, action);
                else
                        printf("nothing to do: vfiokit made %s before and its files are as it wrote them\n", p->name);
                return VK_EXIT_OK;
        }
        if (!cli->json)
                print_files(p, vk_streq(action, "remove"),
                            cli->dry_run || (p->default_route && over_ssh() && !cli->yes && !trial &&
                                             !vk_streq(action, "remove")));
        /* after the plan, so the user sees what the warning is about */
        if (!vk_streq(action, "remove") && (rc = check_danger(cli, p, trial)) != VK_EXIT_OK)
                return rc;
        if (cli->dry_run) {
                rc = run_commands(cli, p, false);
                if (trial && !cli->json)
                        printf("would then wait %d s for 'keep' on the terminal, and undo it all without it\n", trial);
                if (cli->json)
                        print_plan_json(cli, p, action);
                return rc;
        }
        if (vk_lock_take(cli->host, 10000, &err) < 0)
                return vk_cli_fail(&err);
        locked = cli->host;
        /* the journal comes first: whatever a command then does, net remove knows what to undo */
        r = vk_streq(action, "remove") ? vk_net_apply_remove(cli->host, p, &err) : vk_net_apply(cli->host, p, &err);
        if (r < 0)
                return vk_cli_fail(&err);
        if (trial) {
                vk_net_trial t = {0};
                if (trial_start(cli, p->name, trial, &t) < 0)
                        return vk_err_errno(-errno, "--trial: starting the watchdog"); /* nothing ran yet */
                rc = run_commands(cli, p, false);
                rc = trial_finish(cli, &t, tty, rc == VK_EXIT_OK);
                if (cli->json)
                        print_plan_json(cli, p, action);
                return rc;
        }
        rc = run_commands(cli, p, vk_streq(action, "remove"));
        if (rc != VK_EXIT_OK && !vk_streq(action, "remove"))
                vk_err("the files are written and journaled; undo everything with: vfiokit net remove %s", p->name);
        if (cli->json)
                print_plan_json(cli, p, action);
        return rc;
}

static int remove_by_name(vk_cli *cli, const char *name) {
        vk_net_plan p = {0};
        vk_error err = {0};
        int rc;

        if (vk_net_plan_remove(cli->host, name, &p, &err) < 0)
                return vk_cli_fail(&err);
        rc = apply(cli, &p, "remove", 0, -1);
        vk_net_plan_clear(&p);
        return rc;
}

int cmd_net(vk_cli *cli, int argc, char **argv) {
        const char *verb = argv[0], *name = argc > 1 ? argv[1] : NULL;
        const char *uplink = vk_cli_opt(cli, "uplink"), *backend_s = vk_cli_opt(cli, "backend"),
                   *user = vk_cli_opt(cli, "user"), *master = vk_cli_opt(cli, "bridge");
        const char *trial_s = vk_cli_opt(cli, "trial");
        vk_net_backend backend = VK_NET_AUTO;
        _cleanup_close_ int tty = -1;
        vk_net_plan p = {0};
        vk_error err = {0};
        int r, rc, trial = 0;

        if (!name) {
                vk_err("net %s: name the %s", verb, vk_streq(verb, "tap") ? "tap" : "bridge");
                return VK_EXIT_USAGE;
        }
        if (backend_s && vk_net_backend_parse(backend_s, &backend) < 0) {
                vk_err("--backend=%s: expected networkd, netplan or nm", backend_s);
                return VK_EXIT_USAGE;
        }
        if (vk_streq(verb, "bridge")) {
                if (trial_s && (vk_parse_uint(trial_s, &trial) < 0 || trial < 5 || trial > 3600)) {
                        vk_err("--trial=%s: expected seconds to wait for the confirmation, 5 to 3600", trial_s);
                        return VK_EXIT_USAGE;
                }
                /* the confirmation must come from the person at the terminal, not from a pipe into stdin */
                if (trial && !cli->dry_run && (tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
                        vk_err("--trial asks for the confirmation on the terminal, and there is none (/dev/tty: %s)",
                               strerror(errno));
                        return VK_EXIT_USAGE;
                }
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
        rc = apply(cli, &p, verb, trial, tty);
        vk_net_plan_clear(&p);
        return rc;
}
