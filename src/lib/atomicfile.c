/* atomicfile.c — temp file in the same directory, fsync, rename, fsync the directory. */
#define _GNU_SOURCE
#include "atomicfile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util.h"

static int begin(int dirfd, bool own_dirfd, const char *name, mode_t mode, vk_atomic *ret) {
        vk_atomic a = {.dirfd = dirfd, .fd = -1};

        if (!*name || strchr(name, '/')) {
                if (own_dirfd)
                        close(dirfd);
                return -EINVAL;
        }
        a.name = strdup(name);
        if (!a.name)
                goto oom;
        for (int tries = 0; tries < 100; tries++) {
                unsigned long long rnd = 0;
                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
                        rnd = (unsigned long long)getpid() * 2654435761u + (unsigned)tries;
                free(a.tmpname);
                a.tmpname = vk_printf(".%s.vfiokit-%06llx", name, rnd & 0xffffff);
                if (!a.tmpname)
                        goto oom;
                a.fd = openat(dirfd, a.tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (a.fd >= 0 || errno != EEXIST)
                        break;
        }
        if (a.fd < 0) {
                int r = -errno;
                free(a.name);
                free(a.tmpname);
                if (own_dirfd)
                        close(dirfd);
                return r;
        }
        if (!own_dirfd) {
                a.dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
                if (a.dirfd < 0) {
                        int r = -errno;
                        vk_atomic_abort(&(vk_atomic){.dirfd = dirfd, .fd = a.fd, .name = a.name, .tmpname = a.tmpname});
                        return r;
                }
        }
        *ret = a;
        return 0;
oom:
        free(a.name);
        free(a.tmpname);
        if (own_dirfd)
                close(dirfd);
        return -ENOMEM;
}

int vk_atomic_begin_at(int dirfd, const char *name, mode_t mode, vk_atomic *ret) {
        return begin(dirfd, false, name, mode, ret);
}

int vk_atomic_begin(const char *path, mode_t mode, vk_atomic *ret) {
        _cleanup_free_ char *dir = strdup(path);
        const char *base;
        char *slash;
        int dirfd;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash) {
                *slash = 0;
                base = slash + 1;
                dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        } else {
                base = path;
                dirfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        }
        if (dirfd < 0)
                return -errno;
        return begin(dirfd, true, base, mode, ret);
}

int vk_atomic_commit(vk_atomic *a) {
        int r = 0, dfd;

        if (fsync(a->fd) < 0)
                r = -errno;
        if (close(a->fd) < 0 && r == 0)
                r = -errno;
        a->fd = -1;
        if (r == 0 && renameat(a->dirfd, a->tmpname, a->dirfd, a->name) < 0)
                r = -errno;
        if (r < 0) {
                vk_atomic_abort(a);
                return r;
        }
        /* an O_PATH fd cannot be fsynced: reopen the directory itself */
        dfd = openat(a->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                if (fsync(dfd) < 0)
                        r = -errno;
                close(dfd);
        }
        close(a->dirfd);
        free(a->name);
        free(a->tmpname);
        *a = (vk_atomic){.dirfd = -1, .fd = -1};
        return r;
}

void vk_atomic_abort(vk_atomic *a) {
        if (a->fd >= 0)
                close(a->fd);
        if (a->tmpname && a->dirfd >= 0)
                unlinkat(a->dirfd, a->tmpname, 0);
        if (a->dirfd >= 0)
                close(a->dirfd);
        free(a->name);
        free(a->tmpname);
        *a = (vk_atomic){.dirfd = -1, .fd = -1};
}
