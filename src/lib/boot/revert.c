/* revert.c — undo every boot change the journal holds: originals back byte for byte, created files removed. */
#define _GNU_SOURCE
#include "boot.h"
#include "bootjournal.h"

#include <errno.h>
#include <string.h>

#include "../journal.h"
#include "../spawn.h"

void vk_boot_revert_result_clear(vk_boot_revert_result *r) {
        vk_strv_clear(&r->restored);
        vk_strv_clear(&r->removed);
        vk_strv_clear(&r->commands_run);
        vk_strv_clear(&r->commands_not_run);
        *r = (vk_boot_revert_result){0};
}

static bool same_content(vk_host *h, const vk_bj_file *f) {
        _cleanup_free_ char *now = NULL;
        size_t len;
        return vk_host_read_file(h, f->path, 64u << 20, &now, &len) >= 0 && len == f->original_len &&
               memcmp(now, f->original, len) == 0;
}

static int restore_files(vk_host *h, const vk_boot_journal *j, bool dry_run, vk_boot_revert_result *res,
                         vk_error *err) {
        int r;

        for (size_t i = j->n_files; i-- > 0;) {
                const vk_bj_file *f = &j->files[i];
                _cleanup_free_ char *backup = vk_printf("%s.vfiokit-orig", f->path);
                if (!backup)
                        return vk_error_set(err, -ENOMEM, "out of memory");
                if (!dry_run)
                        vk_bj_remove_stale_temps(h, f->path);
                if (f->absent) {
                        r = dry_run ? (vk_host_stat(h, f->path, NULL) < 0 ? -ENOENT : 0) : vk_host_unlink(h, f->path);
                        if (r >= 0 && vk_strv_push(&res->removed, f->path) < 0)
                                return vk_error_set(err, -ENOMEM, "out of memory");
                        if (r < 0 && r != -ENOENT)
                                return vk_error_set(err, r, "removing /%s: %s; the journal is kept: fix the cause and "
                                                            "run vfiokit boot revert again",
                                                    f->path, strerror(-r));
                        continue;
                }
                if (!same_content(h, f)) {
                        r = dry_run ? 0 : vk_host_write_file(h, f->path, f->original, f->original_len, f->mode);
                        if (r < 0)
                                return vk_error_set(err, r,
                                                    "restoring /%s: %s; the journal is kept (and the original is in "
                                                    "/%s): fix the cause and run vfiokit boot revert again",
                                                    f->path, strerror(-r), backup);
                        if (vk_strv_push(&res->restored, f->path) < 0)
                                return vk_error_set(err, -ENOMEM, "out of memory");
                }
                if (f->backup_made && !dry_run) {
                        r = vk_host_unlink(h, backup);
                        if (r < 0 && r != -ENOENT)
                                return vk_error_set(err, r, "removing /%s: %s", backup, strerror(-r));
                }
                if (f->backup_made && vk_strv_push(&res->removed, backup) < 0)
                        return vk_error_set(err, -ENOMEM, "out of memory");
        }
        return 0;
}

static int run_cmds(vk_host *h, const vk_boot_cmd *c, size_t n, bool dry_run, vk_boot_revert_result *res,
                    vk_error *err) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *text = vk_boot_cmd_text(&c[i]);
                vk_error cerr = {0};
                int r;
                if (!text)
                        return vk_error_set(err, -ENOMEM, "out of memory");
                if (dry_run || !vk_host_is_live(h)) {
                        if (vk_strv_push(&res->commands_not_run, text) < 0)
                                return vk_error_set(err, -ENOMEM, "out of memory");
                        continue;
                }
                r = vk_spawn(c[i].argv.v, &cerr);
                if (r != 0)
                        return vk_error_set(err, r < 0 ? r : -ECHILD,
                                            "%s: %s; the files are restored, but the boot images are not rebuilt: fix "
                                            "the cause and run it yourself",
                                            text, r == -ENOENT ? "not found on this host" : cerr.msg);
                if (vk_strv_push(&res->commands_run, text) < 0)
                        return vk_error_set(err, -ENOMEM, "out of memory");
        }
        return 0;
}

int vk_boot_revert(vk_host *h, bool dry_run, vk_boot_revert_result *ret, vk_error *err) {
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        vk_boot_revert_result res = {0};
        vk_boot_journal j = {0};
        bool existed;
        int r;

        if (!dry_run) {
                r = vk_lock_take(h, 10000, err);
                if (r < 0)
                        return r;
                locked = h;
        }
        r = vk_bj_load(h, &j, &existed, err);
        if (r < 0)
                return r;
        if (!existed)
                return vk_error_set(err, -ENOENT, "/%s does not exist: vfiokit boot apply has changed nothing here",
                                    VK_BOOT_JOURNAL_PATH);
        r = restore_files(h, &j, dry_run, &res, err);
        /* the journal goes only when every file is back */
        if (r >= 0 && !dry_run) {
                vk_bj_remove_stale_temps(h, VK_BOOT_JOURNAL_PATH);
                r = vk_host_unlink(h, VK_BOOT_JOURNAL_PATH);
                if (r < 0 && r != -ENOENT)
                        r = vk_error_set(err, r, "removing /%s: %s", VK_BOOT_JOURNAL_PATH, strerror(-r));
                else
                        r = 0;
                for (size_t i = j.dirs_created.n; r >= 0 && i-- > 0;)
                        (void)vk_host_rmdir(h, j.dirs_created.v[i]); /* kept when something else lives there now */
        }
        if (r >= 0)
                r = run_cmds(h, j.undo, j.n_undo, dry_run, &res, err);
        if (r >= 0)
                r = run_cmds(h, j.cmds, j.n_cmds, dry_run, &res, err);
        vk_bj_clear(&j);
        if (r < 0) {
                vk_boot_revert_result_clear(&res);
                return r;
        }
        *ret = res;
        return 0;
}
