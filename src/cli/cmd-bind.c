/* cmd-bind.c — `vfiokit bind | unbind | restore`: runtime hand-over of whole IOMMU groups, and back. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "../lib/bind.h"
#include "cli.h"
#include "load.h"

int vk_cli_fail(const vk_error *err) {
        vk_err("%s%s", err->refused ? "refused: " : "", err->msg[0] ? err->msg : strerror(-err->r));
        return err->refused ? VK_EXIT_REFUSED : VK_EXIT_FAIL;
}

static json_object *moves_json(const vk_moves *mv, bool dry_run) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();

        json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
        json_object_object_add(o, "group", mv->group >= 0 ? json_object_new_int(mv->group) : NULL);
        for (size_t i = 0; i < mv->n; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "address", json_object_new_string(mv->v[i].addr));
                json_object_object_add(e, "before", mv->v[i].before ? json_object_new_string(mv->v[i].before) : NULL);
                json_object_object_add(e, "after", mv->v[i].after ? json_object_new_string(mv->v[i].after) : NULL);
                json_object_object_add(e, "changed", json_object_new_boolean(mv->v[i].changed));
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "functions", a);
        return o;
}

static void moves_text(const vk_moves *mv, bool dry_run, const char *verb) {
        for (size_t i = 0; i < mv->n; i++) {
                const vk_move *v = &mv->v[i];
                if (!v->changed)
                        printf("  %s  %s (already)\n", v->addr, v->after ? v->after : "unbound");
                else
                        printf("  %s  %s → %s%s\n", v->addr, v->before ? v->before : "unbound",
                               v->after ? v->after : "unbound", dry_run ? "  (dry run: not changed)" : "");
        }
        if (mv->n == 0)
                printf("  nothing to %s\n", verb);
}

/* Resolve every DEVICE argument up front: a typo must not leave half the list done. */
static int resolve_all(vk_cli *cli, const vk_model *m, int argc, char **argv, vk_func ***ret) {
        vk_func **fs = calloc((size_t)argc, sizeof(*fs));
        if (!fs)
                return vk_err_errno(-ENOMEM, "bind");
        for (int i = 0; i < argc; i++) {
                int r = vk_cli_resolve(m, argv[i], &fs[i]);
                if (r) {
                        free(fs);
                        return r;
                }
        }
        (void)cli;
        *ret = fs;
        return 0;
}

static int full_addresses(const vk_model *m, const vk_strv *in, vk_strv *out) {
        for (size_t i = 0; i < in->n; i++) {
                vk_func *f = NULL;
                int r = vk_cli_resolve(m, in->v[i], &f);
                if (r)
                        return r;
                vk_strv_push(out, f->addr);
        }
        return 0;
}

static int run_each(vk_cli *cli, int argc, char **argv, bool bind) {
        _cleanup_model_ vk_model *m = NULL;
        _cleanup_free_ vk_func **fs = NULL;
        vk_strv forced = {0}, done_groups = {0};
        json_object *all = json_object_new_array();
        int r, rc = VK_EXIT_OK;

        r = vk_cli_load_flags(cli, VK_LOAD_FOR_CHANGE, &m);
        if (!r)
                r = resolve_all(cli, m, argc, argv, &fs);
        if (!r)
                r = full_addresses(m, &cli->force_host, &forced);
        if (r) {
                json_object_put(all);
                vk_strv_clear(&forced);
                return r;
        }
        vk_bind_opts o = {.dry_run = cli->dry_run, .force_host_devices = &forced, .lock_timeout_ms = 10000};
        for (int i = 0; i < argc && rc == VK_EXIT_OK; i++) {
                _cleanup_free_ char *gkey = vk_printf("%d", fs[i]->iommu_group);
                vk_moves mv = {.group = -1};
                vk_error err = {0};

                /* two devices of one group are one transaction */
                if (fs[i]->iommu_group >= 0 && vk_strv_contains(&done_groups, gkey))
                        continue;
                vk_strv_push(&done_groups, gkey);
                r = bind ? vk_bind(cli->host, m, fs[i], &o, &mv, &err) : vk_unbind(cli->host, m, fs[i], &o, &mv, &err);
                if (!cli->json && mv.n) {
                        printf("%sgroup %d%s:\n", cli->dry_run ? "would move " : "", mv.group,
                               bind ? " → vfio-pci" : " → original drivers");
                        moves_text(&mv, cli->dry_run, bind ? "bind" : "unbind");
                }
                if (mv.n)
                        json_object_array_add(all, moves_json(&mv, cli->dry_run));
                if (r < 0)
                        rc = vk_cli_fail(&err);
                else if (bind && !cli->dry_run && !cli->json && mv.group >= 0) {
                        _cleanup_free_ char *dev = vk_printf("dev/vfio/%d", mv.group);
                        bool is_dir;
                        if (dev && vk_host_stat(cli->host, dev, &is_dir) >= 0)
                                printf("  /dev/vfio/%d is ready for QEMU\n", mv.group);
                }
                vk_moves_clear(&mv);
        }
        if (cli->json) {
                json_object *out = json_object_new_object();
                json_object_object_add(out, "groups", all);
                vk_print_json(out);
                json_object_put(out);
        } else
                json_object_put(all);
        vk_strv_clear(&forced);
        vk_strv_clear(&done_groups);
        return rc;
}

int cmd_bind(vk_cli *cli, int argc, char **argv) { return run_each(cli, argc, argv, true); }
int cmd_unbind(vk_cli *cli, int argc, char **argv) { return run_each(cli, argc, argv, false); }

int cmd_restore(vk_cli *cli, int argc, char **argv) {
        vk_bind_opts o = {.dry_run = cli->dry_run, .lock_timeout_ms = 10000};
        vk_moves mv = {.group = -1};
        vk_error err = {0};
        int r;

        (void)argc;
        (void)argv;
        r = vk_restore(cli->host, &o, &mv, &err);
        if (cli->json) {
                json_object *j = moves_json(&mv, cli->dry_run);
                vk_print_json(j);
                json_object_put(j);
        } else if (r >= 0 || mv.n) {
                printf("%s\n", cli->dry_run ? "would restore:" : "restored:");
                moves_text(&mv, cli->dry_run, "restore (the journal is empty)");
        }
        vk_moves_clear(&mv);
        return r < 0 ? vk_cli_fail(&err) : VK_EXIT_OK;
}
