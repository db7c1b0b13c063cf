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

/* Put kept back at path in one rename: path is never missing in between. */
static int restore(vk_host *h, const char *path, const char *kept) {
        _cleanup_close_ int dfd = -1;
        const char *base;
        int r = open_dir_of(h, path, &dfd, &base);

        if (r < 0)
                return r;
        return renameat(dfd, strrchr(kept, '/') ? strrchr(kept, '/') + 1 : kept, dfd, base) < 0 ? -errno : 0;
}

static int remove_dir(vk_host *h, const char *path) {
        _cleanup_close_ int dfd = -1;
        const char *base;
        int r = open_dir_of(h, path, &dfd, &base);

        if (r < 0)
                return r;
        return unlinkat(dfd, base, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* What an install step replaced, so a later failure can put it back. */
typedef struct undo_step {
        const vk_hook_change *c;
        char *before; /* WRITE: the bytes that were there (NULL: none) */
        size_t before_len;
        unsigned before_mode;
} undo_step;

static void roll_back(vk_host *h, undo_step *u, size_t n) {
        for (size_t i = n; i > 0; i--) {
                const vk_hook_change *c = u[i - 1].c;
                switch (c->kind) {
                case VK_HOOK_MKDIR:
                        (void)remove_dir(h, c->path);
                        break;
                case VK_HOOK_KEEP:
                        /* the write after it was undone by putting the kept file back, or never happened */
                        if (restore(h, c->path, c->kept) < 0) {
                        }
                        break;
                case VK_HOOK_WRITE:
                        if (i >= 2 && u[i - 2].c->kind == VK_HOOK_KEEP && vk_streq(u[i - 2].c->path, c->path))
                                break; /* the KEEP before it renames the original back */
                        if (u[i - 1].before)
                                (void)vk_host_write_file(h, c->path, u[i - 1].before, u[i - 1].before_len,
                                                         u[i - 1].before_mode);
                        else
                                (void)vk_host_unlink(h, c->path);
                        break;
                default:
                        break;
                }
                free(u[i - 1].before);
        }
}

static int do_change(vk_host *h, const vk_hook_change *c, undo_step *u) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        *u = (undo_step){.c = c};
        switch (c->kind) {
        case VK_HOOK_MKDIR:
                return vk_host_mkdir_p(h, c->path);
        case VK_HOOK_KEEP:
                return keep(h, c->path, c->kept);
        case VK_HOOK_WRITE:
                if (vk_host_open(h, c->path, O_RDONLY | O_CLOEXEC, &fd) >= 0 && fstat(fd, &st) == 0) {
                        u->before_mode = st.st_mode & 07777;
                        r = vk_host_read_file(h, c->path, 4u << 20, &u->before, &u->before_len);
                        if (r < 0)
                                return r;
                }
                return vk_host_write_file(h, c->path, c->content, strlen(c->content), c->mode);
        case VK_HOOK_RESTORE:
                return restore(h, c->path, c->kept);
        case VK_HOOK_UNLINK:
                r = vk_host_unlink(h, c->path);
                return r == -ENOENT ? 0 : r;
        case VK_HOOK_RMDIR:
                r = remove_dir(h, c->path);
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

int vk_hooks_apply(vk_host *h, vk_hook_plan *p, vk_error *err) {
        _cleanup_free_ undo_step *u = calloc(p->n_changes + 1, sizeof(*u));
        size_t done = 0;

        if (!u)
                return vk_error_set(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < p->n_changes; i++) {
                const vk_hook_change *c = &p->changes[i];
                int r = do_change(h, c, &u[done]);

                if (r < 0) {
                        /* an install is all or nothing; a remove stops where it failed and its journal stays */
                        if (!p->remove)
                                roll_back(h, u, done);
                        else
                                for (size_t k = 0; k < done; k++)
                                        free(u[k].before);
                        return vk_error_set(err, r,
                                            "%s /%s: %s; %s", verb(c->kind), c->kind == VK_HOOK_KEEP ? c->kept : c->path,
                                            strerror(-r),
                                            p->remove ? "the steps before it are done; the journal still lists "
                                                        "everything, run hooks remove again once it is fixed"
                                                      : "nothing was changed");
                }
                done++;
        }
        for (size_t k = 0; k < done; k++)
                free(u[k].before);
        return 0;
}
