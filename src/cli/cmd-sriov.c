/* cmd-sriov.c — `vfiokit sriov DEVICE --vfs N [--bind LIST] [--persist]`: VFs for VMs (seed 000's N100 iGPU). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "../lib/atomicfile.h"
#include "../lib/journal.h"
#include "../lib/spawn.h"
#include "../lib/sriov.h"
#include "cli.h"
#include "load.h"

/* "1,2" → virtfn numbers from 1; "all" → every VF. */
static int parse_bind(const char *spec, int n, bool *pick, vk_error *err) {
        _cleanup_free_ char *copy = spec ? strdup(spec) : NULL;
        char *save = NULL;

        if (!spec)
                return 0;
        if (vk_streq(spec, "all")) {
                for (int i = 0; i < n; i++)
                        pick[i] = true;
                return 0;
        }
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int i;
                if (vk_parse_uint(t, &i) < 0 || i < 1 || i > n)
                        return vk_error_set(err, -EINVAL, "--bind=%s: '%s' is not a VF number between 1 and %d (or use all)",
                                            spec, t, n);
                pick[i - 1] = true;
        }
        return 0;
}

static int persist(vk_cli *cli, const char *pf, int numvfs) {
        _cleanup_free_ char *unit = NULL, *name = vk_printf("vfiokit-sriov-%s.service", pf);
        _cleanup_free_ char *path = vk_printf("etc/systemd/system/%s", name);
        _cleanup_free_ char *wants = vk_printf("etc/systemd/system/multi-user.target.wants/%s", name);
        _cleanup_free_ char *exe = NULL, *old = NULL;
        int r;

        exe = realpath("/proc/self/exe", NULL);
        unit = vk_sriov_unit(exe && vk_host_is_live(cli->host) ? exe : "/usr/bin/vfiokit", pf, numvfs, cli->bind);
        if (!unit || !path || !wants || !name)
                return vk_err_errno(-ENOMEM, "sriov --persist");
        if (!cli->json) {
                printf("%s /%s:\n%s", cli->dry_run ? "would write" : "writing", path, unit);
                printf("%s /%s → ../%s\n", cli->dry_run ? "would link" : "linking", wants, name);
        }
        if (cli->dry_run)
                return VK_EXIT_OK;
        /* an existing unit of another content is kept as the first original */
        if (vk_host_read_file(cli->host, path, 1 << 20, &old, NULL) >= 0 && !vk_streq(old, unit)) {
                _cleanup_free_ char *orig = vk_printf("%s.vfiokit-orig", path);
                char *exists = NULL;
                if (vk_host_read_file(cli->host, orig, 1 << 20, &exists, NULL) < 0)
                        r = vk_host_write_file(cli->host, orig, old, strlen(old), 0644);
                else
                        r = 0;
                free(exists);
                if (r < 0)
                        return vk_err_errno(r, orig);
        }
        r = vk_host_mkdir_p(cli->host, "etc/systemd/system/multi-user.target.wants");
        if (r >= 0)
                r = vk_host_write_file(cli->host, path, unit, strlen(unit), 0644);
        if (r < 0)
                return vk_err_errno(r, path);
        {
                _cleanup_free_ char *target = vk_printf("../%s", name);
                _cleanup_close_ int dfd = -1;
                r = vk_host_open(cli->host, "etc/systemd/system/multi-user.target.wants", O_PATH | O_DIRECTORY, &dfd);
                if (r >= 0 && symlinkat(target, dfd, name) < 0 && errno != EEXIST)
                        r = -errno;
                if (r < 0)
                        return vk_err_errno(r, wants);
        }
        if (!vk_host_is_live(cli->host)) {
                if (!cli->json)
                        printf("(--root: would run systemctl daemon-reload)\n");
                return VK_EXIT_OK;
        }
        {
                char *argv[] = {"systemctl", "daemon-reload", NULL};
                vk_error err = {0};
                r = vk_spawn(argv, &err);
                if (r != 0) {
                        vk_err("the unit is written, but %s; run systemctl daemon-reload yourself", err.msg);
                        return VK_EXIT_FAIL;
                }
        }
        return VK_EXIT_OK;
}

int cmd_sriov(vk_cli *cli, int argc, char **argv) {
        _cleanup_model_ vk_model *m = NULL;
        vk_func *pf = NULL;
        vk_strv vfs = {0};
        vk_error err = {0};
        _cleanup_free_ bool *pick = NULL;
        int r, rc = VK_EXIT_OK;

        (void)argc;
        if (cli->vfs < 0) {
                vk_err("sriov: say how many VFs: --vfs N (0 removes them)");
                return VK_EXIT_USAGE;
        }
        r = vk_cli_load_flags(cli, VK_LOAD_FOR_CHANGE, &m);
        if (!r)
                r = vk_cli_resolve(m, argv[0], &pf);
        if (r)
                return r;
        pick = calloc((size_t)cli->vfs + 1, sizeof(bool));
        if (!pick)
                return vk_err_errno(-ENOMEM, "sriov");
        if (parse_bind(cli->bind, cli->vfs, pick, &err) < 0) {
                vk_err("%s", err.msg);
                return VK_EXIT_USAGE;
        }
        vk_sriov_opts o = {.numvfs = cli->vfs, .for_vms = cli->bind != NULL, .force = cli->force,
                           .dry_run = cli->dry_run, .lock_timeout_ms = 10000};
        /* one lock from the VF count to the last bind: nobody slips in between */
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        if (!cli->dry_run) {
                if (vk_lock_take(cli->host, 10000, &err) < 0)
                        return vk_cli_fail(&err);
                locked = cli->host;
        }
        r = vk_sriov_set(cli->host, pf, &o, &vfs, &err);
        if (r < 0)
                return vk_cli_fail(&err);
        json_object *out = json_object_new_object(), *ja = json_object_new_array();
        json_object_object_add(out, "device", json_object_new_string(pf->addr));
        json_object_object_add(out, "numvfs", json_object_new_int(cli->vfs));
        json_object_object_add(out, "dry_run", json_object_new_boolean(cli->dry_run));
        if (!cli->json)
                printf("%s%s: %d VF%s\n", cli->dry_run ? "would set " : "", pf->addr, cli->vfs,
                       cli->vfs == 1 ? "" : "s");
        for (size_t i = 0; i < vfs.n; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "virtfn", json_object_new_int((int)i));
                json_object_object_add(e, "address", json_object_new_string(vfs.v[i]));
                json_object_object_add(e, "bind", json_object_new_boolean(pick[i]));
                json_object_array_add(ja, e);
                if (!cli->json)
                        printf("  virtfn%zu  %s%s\n", i, vfs.v[i], pick[i] ? "  → vfio-pci" : "");
        }
        json_object_object_add(out, "vfs", ja);
        ja = json_object_new_array();
        json_object_object_add(out, "functions", ja);
        if (cli->bind && !cli->dry_run) {
                /* the VFs are new devices: read the host again, then bind each chosen one as a group */
                _cleanup_model_ vk_model *m2 = NULL;
                vk_bind_opts bo = {.lock_timeout_ms = 10000};
                r = vk_cli_load_flags(cli, VK_LOAD_FOR_CHANGE, &m2);
                if (r)
                        rc = r;
                for (size_t i = 0; rc == VK_EXIT_OK && i < vfs.n; i++) {
                        vk_func *vf = pick[i] ? vk_model_find(m2, vfs.v[i]) : NULL;
                        vk_moves mv = {.group = -1};
                        if (!vf)
                                continue;
                        if (vk_bind(cli->host, m2, vf, &bo, &mv, &err) < 0)
                                rc = vk_cli_fail(&err);
                        for (size_t k = 0; k < mv.n; k++) {
                                json_object *e = json_object_new_object();
                                json_object_object_add(e, "address", json_object_new_string(mv.v[k].addr));
                                json_object_object_add(e, "before",
                                                       mv.v[k].before ? json_object_new_string(mv.v[k].before) : NULL);
                                json_object_object_add(e, "after",
                                                       mv.v[k].after ? json_object_new_string(mv.v[k].after) : NULL);
                                json_object_object_add(e, "changed", json_object_new_boolean(mv.v[k].changed));
                                json_object_array_add(ja, e);
                                if (!cli->json)
                                        printf("  %s  %s → %s\n", mv.v[k].addr,
                                               mv.v[k].before ? mv.v[k].before : "unbound",
                                               mv.v[k].after ? mv.v[k].after : "unbound");
                        }
                        vk_moves_clear(&mv);
                }
        }
        if (rc == VK_EXIT_OK && cli->persist)
                rc = persist(cli, pf->addr, cli->vfs);
        if (cli->json)
                vk_print_json(out);
        json_object_put(out);
        vk_strv_clear(&vfs);
        return rc;
}
