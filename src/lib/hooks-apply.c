/* hooks-apply.c — carry out a hooks plan inside the host root: atomic writes, kept originals, exact undo. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory of path opened inside the root, and path's last component. */
static int open_dir_of(vk_host *h, const char *path, int *ret_fd, const char **ret_base) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash)
                *slash = 0;
        *ret_base = slash ? strrchr(path, '/') + 1 : path;
        return vk_host_open(h, slash ? dir : ".", O_PATH | O_DIRECTORY, ret_fd);
}

/* Keep path as kept: a hard link is the same file (bytes, mode, owner, times), and the later atomic write
 * of path leaves it alone. Where links are not possible, a copy of the bytes with the same mode. */
static int keep(vk_host *h, const char *path, const char *kept) {
        _cleanup_close_ int dfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        const char *base, *kbase = strrchr(kept, '/') ? strrchr(kept, '/') + 1 : kept;
        struct stat st;
        size_t len = 0;
        int r;

        r = open_dir_of(h, path, &dfd, &base);
        if (r < 0)
                return r;
        if (linkat(dfd, base, dfd, kbase, 0) == 0)
                return 0;
        if (errno == EEXIST)
                return -EEXIST;
        r = vk_host_open(h, path, O_RDONLY | O_CLOEXEC, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = vk_host_read_file(h, path, 4u << 20, &buf, &len);
        if (r < 0)
                return r;
        return vk_host_write_file(h, kept, buf, len, st.st_mode & 07777);
}

/* Put path's bytes back with exactly this mode (the write's mode passes through the umask). */
static int put_back(vk_host *h, const char *path, const char *bytes, size_t len, unsigned mode) {
        _cleanup_close_ int dfd = -1;
        const char *base;
        int r = vk_host_write_file(h, path, bytes, len, mode);

        if (r >= 0)
                r = open_dir_of(h, path, &dfd, &base);
        if (r >= 0 && fchmodat(dfd, base, mode, 0) < 0)
                r = -errno;
        return r;
}

/* What a step replaced or took away, so a later failure can put it back. */
typedef struct undo_step {
        const vk_hook_change *c;
        bool done;    /* the step changed the tree (an RMDIR of a directory still in use does not) */
        char *before; /* WRITE/UNLINK/RESTORE: the bytes that were at path (NULL: none) */
        size_t before_len;
        unsigned before_mode; /* of the file, or of the directory an RMDIR took away */
} undo_step;

/* The first failure while putting things back, for the error message. */
typedef struct undo_failure {
        const char *path;
        int r;
} undo_failure;

static void note_failure(undo_failure *f, const char *path, int r) {
        if (r < 0 && f->r == 0)
                *f = (undo_failure){.path = path, .r = r};
}

static void roll_back(vk_host *h, undo_step *u, size_t n, undo_failure *f) {
        for (size_t i = n; i > 0; i--) {
                const undo_step *s = &u[i - 1];
                const vk_hook_change *c = s->c;
                _cleanup_close_ int dfd = -1;
                const char *base;
                int r = 0;

                switch (c->kind) {
                case VK_HOOK_MKDIR:
                        r = vk_host_rmdir(h, c->path);
                        break;
                case VK_HOOK_KEEP:
                        /* the write after it was undone by putting the kept file back, or never happened: then
                         * kept is a second link to path, which rename(2) leaves in place, so it goes by unlink */
                        r = vk_host_rename(h, c->kept, c->path);
                        if (r >= 0 && vk_host_stat(h, c->kept, NULL) >= 0)
                                r = vk_host_unlink(h, c->kept);
                        break;
                case VK_HOOK_WRITE:
                        if (i >= 2 && u[i - 2].c->kind == VK_HOOK_KEEP && vk_streq(u[i - 2].c->path, c->path))
                                break; /* the KEEP before it renames the original back */
                        if (s->before)
                                r = put_back(h, c->path, s->before, s->before_len, s->before_mode);
                        else
                                r = vk_host_unlink(h, c->path);
                        break;
                case VK_HOOK_UNLINK:
                        if (s->done)
                                r = put_back(h, c->path, s->before, s->before_len, s->before_mode);
                        break;
                case VK_HOOK_RESTORE:
                        /* the original goes back to its kept name, then vfiokit's file (if there was one) to path */
                        r = vk_host_rename(h, c->path, c->kept);
                        if (r >= 0 && s->before)
                                r = put_back(h, c->path, s->before, s->before_len, s->before_mode);
                        break;
                case VK_HOOK_RMDIR:
                        if (!s->done)
                                break;
                        r = vk_host_mkdir_p(h, c->path);
                        if (r >= 0)
                                r = open_dir_of(h, c->path, &dfd, &base);
                        if (r >= 0 && fchmodat(dfd, base, s->before_mode, 0) < 0)
                                r = -errno;
                        break;
                default:
                        break;
                }
                note_failure(f, c->kind == VK_HOOK_KEEP ? c->kept : c->path, r);
        }
}

static void free_undo(undo_step *u, size_t n) {
        for (size_t k = 0; k < n; k++)
                free(u[k].before);
}

/* The permission bits of path, opened with flags (O_PATH for a directory). */
static int mode_of(vk_host *h, const char *path, int flags, unsigned *ret) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r = vk_host_open(h, path, flags | O_CLOEXEC, &fd);

        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        *ret = st.st_mode & 07777;
        return 0;
}

/* The bytes and mode of the file at path into u->before; a missing file is no bytes. */
static int save_before(vk_host *h, const char *path, undo_step *u) {
        int r = mode_of(h, path, O_RDONLY, &u->before_mode);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return vk_host_read_file(h, path, 4u << 20, &u->before, &u->before_len);
}

static int do_change(vk_host *h, const vk_hook_change *c, undo_step *u) {
        int r;

        *u = (undo_step){.c = c};
        switch (c->kind) {
        case VK_HOOK_MKDIR:
                return vk_host_mkdir_p(h, c->path);
        case VK_HOOK_KEEP:
                return keep(h, c->path, c->kept);
        case VK_HOOK_WRITE:
                r = save_before(h, c->path, u);
                return r < 0 ? r : vk_host_write_file(h, c->path, c->content, strlen(c->content), c->mode);
        case VK_HOOK_RESTORE:
                r = save_before(h, c->path, u);
                return r < 0 ? r : vk_host_rename(h, c->kept, c->path);
        case VK_HOOK_UNLINK:
                r = save_before(h, c->path, u);
                if (r < 0 || !u->before)
                        return r; /* already gone */
                r = vk_host_unlink(h, c->path);
                u->done = r >= 0;
                return r == -ENOENT ? 0 : r;
        case VK_HOOK_RMDIR:
                r = mode_of(h, c->path, O_PATH | O_DIRECTORY, &u->before_mode);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                r = vk_host_rmdir(h, c->path);
                u->done = r >= 0;
                /* a directory someone else also put files in stays */
                return r == -ENOENT || r == -ENOTEMPTY || r == -EEXIST ? 0 : r;
        case VK_HOOK_SAME:
        case VK_HOOK_LEAVE:
                return 0;
        }
        return -EINVAL;
}

static const char *verb(vk_hook_change_kind k) {
        switch (k) {
        case VK_HOOK_MKDIR: return "creating";
        case VK_HOOK_KEEP: return "keeping";
        case VK_HOOK_WRITE: return "writing";
        case VK_HOOK_RESTORE: return "restoring";
        case VK_HOOK_UNLINK: return "removing";
        case VK_HOOK_RMDIR: return "removing";
        default: return "handling";
        }
}

/* What the user can do about an errno from a file step. */
static const char *fix_for(int r) {
        switch (-r) {
        case EACCES:
        case EPERM:
                return "run vfiokit as root and check the file is not immutable (lsattr; chattr -i)";
        case EROFS:
                return "remount that file system read-write";
        case EBUSY:
                return "something holds it (a mount on it?); free it";
        case ENOSPC:
        case EDQUOT:
                return "free some space";
        default:
                return "fix the cause";
        }
}

/* A remove changes nothing unless every directory it changes lets it: a read-only file system or a missing
 * write permission is found here, before the first step, not halfway through. */
static int check_writable(vk_host *h, const vk_hook_plan *p, vk_error *err) {
        for (size_t i = 0; i < p->n_changes; i++) {
                const vk_hook_change *c = &p->changes[i];
                _cleanup_free_ char *dir = NULL;
                _cleanup_close_ int dfd = -1;
                const char *base;
                char *slash;
                int r;

                if (c->kind == VK_HOOK_SAME || c->kind == VK_HOOK_LEAVE)
                        continue;
                if (!(dir = strdup(c->path)))
                        return vk_error_set(err, -ENOMEM, "out of memory");
                slash = strrchr(dir, '/');
                if (slash)
                        *slash = 0;
                r = open_dir_of(h, slash ? dir : ".", &dfd, &base);
                if (r == -ENOENT)
                        continue; /* nothing there to change */
                if (r >= 0 && faccessat(dfd, base, W_OK | X_OK, AT_EACCESS) < 0)
                        r = -errno;
                if (r < 0)
                        return vk_error_set(err, r,
                                            "%s /%s: /%s: %s; nothing was changed; %s, then run vfiokit hooks "
                                            "remove %s again",
                                            verb(c->kind), c->path, slash ? dir : "", strerror(-r), fix_for(r),
                                            p->vm);
        }
        return 0;
}

int vk_hooks_apply(vk_host *h, vk_hook_plan *p, vk_error *err) {
        _cleanup_free_ undo_step *u = calloc(p->n_changes + 1, sizeof(*u));
        _cleanup_free_ char *again = p->remove ? vk_printf("run vfiokit hooks remove %s again", p->vm)
                                               : strdup("run this again");
        size_t done = 0;
        int r;

        if (!u || !again)
                return vk_error_set(err, -ENOMEM, "out of memory");
        if (p->remove && (r = check_writable(h, p, err)) < 0)
                return r;
        for (size_t i = 0; i < p->n_changes; i++) {
                const vk_hook_change *c = &p->changes[i];
                undo_failure f = {0};

                r = do_change(h, c, &u[done]);
                if (r >= 0) {
                        done++;
                        continue;
                }
                /* all or nothing: what this run changed goes back (the journal is the last step, so it still
                 * lists everything) */
                if (u[done].before)
                        free(u[done].before);
                roll_back(h, u, done, &f);
                free_undo(u, done);
                if (f.r < 0)
                        return vk_error_set(err, r,
                                            "%s /%s: %s; putting back /%s failed too (%s), so the tree is not as "
                                            "before; %s, then %s (/%s still lists what vfiokit added)",
                                            verb(c->kind), c->kind == VK_HOOK_KEEP ? c->kept : c->path, strerror(-r),
                                            f.path, strerror(-f.r), fix_for(r), again, VK_HOOKS_JOURNAL);
                return vk_error_set(err, r, "%s /%s: %s; nothing was changed; %s, then %s", verb(c->kind),
                                    c->kind == VK_HOOK_KEEP ? c->kept : c->path, strerror(-r), fix_for(r), again);
        }
        free_undo(u, done);
        return 0;
}
