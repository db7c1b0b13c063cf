/* apply.c — carry out a boot plan: journal first, then each file atomically, then the regenerate commands. */
#define _GNU_SOURCE
#include "boot.h"
#include "bootjournal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "../journal.h"
#include "../spawn.h"

void vk_boot_apply_result_clear(vk_boot_apply_result *r) {
        vk_strv_clear(&r->commands_run);
        vk_strv_clear(&r->commands_not_run);
        *r = (vk_boot_apply_result){0};
}

static bool exists(vk_host *h, const char *path) { return vk_host_stat(h, path, NULL) >= 0; }

/* Every missing parent of PATH (shortest first) goes into dirs, so revert can remove what apply made. */
static int note_missing_dirs(vk_host *h, const char *path, vk_strv *dirs) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (!exists(h, p) && !vk_strv_contains(dirs, p) && vk_strv_push(dirs, p) < 0)
                        return -ENOMEM;
                *s = '/';
        }
        return 0;
}

static int push_all_unique(vk_strv *to, const vk_strv *from) {
        for (size_t i = 0; i < from->n; i++)
                if (!vk_strv_contains(to, from->v[i]) && vk_strv_push(to, from->v[i]) < 0)
                        return -ENOMEM;
        return 0;
}

/* The journal after this apply: the first original of a file wins, everything else is a union. */
static int merge(vk_host *h, vk_boot_journal *j, const vk_boot_plan *p) {
        int r = 0;

        if (!j->created) {
                char buf[32];
                time_t now = time(NULL);
                struct tm tm;
                gmtime_r(&now, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
                j->created = strdup(buf);
                if (!j->created)
                        return -ENOMEM;
        }
        /* keeping a trial (its entry goes): the trial's options lived only there, so verify must not look for
         * them any more; the options now are this plan's */
        for (size_t i = 0; i < p->n_files; i++)
                if (p->files[i].remove && vk_trial_entry_is(p->files[i].path)) {
                        vk_strv_clear(&j->kargs_add);
                        vk_strv_clear(&j->kargs_remove);
                }
        if (!vk_strv_contains(&j->devices, p->gpu))
                r = vk_strv_push(&j->devices, p->gpu);
        if (r >= 0)
                r = push_all_unique(&j->functions, &p->functions);
        if (r >= 0)
                r = push_all_unique(&j->kargs_add, &p->kargs_add);
        if (r >= 0)
                r = push_all_unique(&j->kargs_remove, &p->kargs_remove);
        if (r >= 0)
                r = note_missing_dirs(h, VK_BOOT_JOURNAL_PATH, &j->dirs_created);
        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const vk_boot_file *f = &p->files[i];
                _cleanup_free_ char *backup = vk_printf("%s.vfiokit-orig", f->path);
                if (!backup)
                        return -ENOMEM;
                r = note_missing_dirs(h, f->path, &j->dirs_created);
                if (r >= 0 && !vk_bj_find(j, f->path))
                        r = vk_bj_add_file(j, f->path, f->old_absent, f->old, f->old_len, f->mode,
                                           !f->old_absent && !f->remove && !exists(h, backup));
        }
        for (size_t i = 0; i < p->n_cmds && r >= 0; i++)
                /* rpm-ostree kargs is undone by its inverse, not by running it again; a one-shot choice is not
                 * made again either */
                if (!p->cmds[i].once && !(p->n_undo && vk_streq(p->cmds[i].argv.v[0], "rpm-ostree") &&
                                          p->cmds[i].argv.n > 1 && vk_streq(p->cmds[i].argv.v[1], "kargs")))
                        r = vk_bj_add_cmd(&j->cmds, &j->n_cmds, &p->cmds[i]);
        for (size_t i = 0; i < p->n_undo && r >= 0; i++)
                r = vk_bj_add_cmd(&j->undo, &j->n_undo, &p->undo[i]);
        return r;
}

static int save_journal(vk_host *h, const vk_boot_journal *j, const char *old_text, vk_error *err) {
        _cleanup_free_ char *text = NULL;
        int r = vk_bj_serialize(j, &text);

        if (r < 0)
                return vk_error_set(err, r, "out of memory");
        if (old_text && vk_streq(old_text, text))
                return 0; /* a second apply leaves the journal byte for byte as it was */
        r = vk_host_mkdir_p(h, "var/lib/vfiokit");
        if (r >= 0)
                r = vk_host_write_file(h, VK_BOOT_JOURNAL_PATH, text, strlen(text), 0600);
        if (r < 0)
                return vk_error_set(err, r, "writing /%s: %s; nothing was changed", VK_BOOT_JOURNAL_PATH,
                                    strerror(-r));
        return 0;
}

static int write_one(vk_host *h, const vk_boot_journal *j, const vk_boot_file *f) {
        const vk_bj_file *jf = vk_bj_find(j, f->path);
        _cleanup_free_ char *dir = strdup(f->path), *backup = vk_printf("%s.vfiokit-orig", f->path);
        char *slash;
        int r;

        if (!dir || !backup)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash) {
                *slash = 0;
                r = vk_host_mkdir_p(h, dir);
                if (r < 0)
                        return r;
        }
        if (f->remove) {
                r = vk_host_unlink(h, f->path);
                return r == -ENOENT ? 0 : r;
        }
        /* the first original, from the journal: never overwritten once it exists */
        if (jf && jf->backup_made && !exists(h, backup)) {
                r = vk_host_write_file(h, backup, jf->original, jf->original_len, jf->mode);
                if (r < 0)
                        return r;
        }
        return vk_host_write_file(h, f->path, f->new, f->new_len, f->mode);
}

int vk_boot_apply(vk_host *h, const vk_boot_plan *p, vk_boot_apply_result *ret, vk_error *err) {
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        _cleanup_free_ char *old_text = NULL;
        vk_boot_apply_result res = {0};
        vk_boot_journal j = {0};
        bool existed;
        int r;

        if (p->detect.bootloader == VK_BL_UNKNOWN || p->detect.bootloader == VK_BL_NIXOS)
                return vk_error_set(err, -EOPNOTSUPP,
                                    "%s: vfiokit changes nothing on this host; make the change shown by vfiokit boot "
                                    "plan yourself",
                                    p->detect.bootloader == VK_BL_NIXOS ? "NixOS" : "unknown bootloader");
        r = vk_lock_take(h, 10000, err);
        if (r < 0)
                return r;
        locked = h;
        r = vk_bj_load(h, &j, &existed, err);
        if (r < 0)
                return r;
        if (existed && vk_bj_serialize(&j, &old_text) < 0) {
                vk_bj_clear(&j);
                return vk_error_set(err, -ENOMEM, "out of memory");
        }
        r = merge(h, &j, p);
        if (r < 0) {
                vk_bj_clear(&j);
                return vk_error_set(err, r, "out of memory");
        }
        /* what a crash between temp write and rename left behind goes first */
        vk_bj_remove_stale_temps(h, VK_BOOT_JOURNAL_PATH);
        for (size_t i = 0; i < p->n_files; i++)
                vk_bj_remove_stale_temps(h, p->files[i].path);
        /* the originals are on disk before the first byte of any file changes */
        r = save_journal(h, &j, old_text, err);
        for (size_t i = 0; r >= 0 && i < p->n_files; i++) {
                r = write_one(h, &j, &p->files[i]);
                if (r < 0)
                        vk_error_set(err, r,
                                     "writing /%s: %s; %zu of %zu files were changed before it and the journal holds "
                                     "every original: run vfiokit boot revert to undo, or fix the cause and run "
                                     "vfiokit boot apply again",
                                     p->files[i].path, strerror(-r), i, p->n_files);
                else
                        res.files_written++;
        }
        vk_bj_clear(&j);
        for (size_t i = 0; r >= 0 && i < p->n_cmds; i++) {
                const vk_boot_cmd *c = &p->cmds[i];
                _cleanup_free_ char *text = vk_boot_cmd_text(c);
                vk_error cerr = {0};
                if (!text) {
                        r = vk_error_set(err, -ENOMEM, "out of memory");
                        break;
                }
                if (!vk_host_is_live(h)) {
                        r = vk_strv_push(&res.commands_not_run, text);
                        continue;
                }
                r = vk_spawn(c->argv.v, &cerr);
                if (r != 0) {
                        r = vk_error_set(err, r < 0 ? r : -ECHILD,
                                         "%s%s%s%s: %s; the files are written, but the boot images are not rebuilt: "
                                         "fix the cause and run it yourself, or run vfiokit boot revert to undo",
                                         text, c->why ? " (" : "", c->why ? c->why : "", c->why ? ")" : "",
                                         r == -ENOENT ? "not found on this host" : cerr.msg);
                        break;
                }
                r = vk_strv_push(&res.commands_run, text);
        }
        if (r < 0) {
                vk_boot_apply_result_clear(&res);
                return r;
        }
        *ret = res;
        return 0;
}
