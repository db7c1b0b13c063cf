/* host.c — the root fd and the only file I/O of the library: safe opens inside the root, attribute reads, tracing. */
#define _GNU_SOURCE
#include "host.h"
#include "sysfs.h"
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VK_MAX_SYMLINKS 40
#define VK_MAX_DEPTH 256
#define VK_ATTR_MAX 4096

struct vk_host {
        int rootfd;
        char *root;
        bool live;
        vk_resolver resolver;
        bool have_openat2; /* cleared when the kernel says ENOSYS */
        bool tracing;
        const struct vk_sysfs_ops *sysfs_ops;
        void *sysfs_userdata;
        int write_timeout_ms;
        int lock_fd, lock_depth; /* the writers' flock, held re-entrantly (journal.c) */
        vk_write_hook write_hook; /* tests only: fault injection in vk_host_write_file */
        void *write_hook_userdata;
        vk_trace_entry *trace;
        size_t n_trace, cap_trace;
};

int vk_host_new(const char *root, vk_host **ret) {
        _cleanup_free_ vk_host *h = NULL;
        struct stat a, b;

        if (!root || !*root)
                root = "/";
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (h->rootfd < 0)
                return -errno;
        h->root = strdup(root);
        if (!h->root) {
                close(h->rootfd);
                return -ENOMEM;
        }
        h->have_openat2 = true;
        h->write_timeout_ms = 10000;
        h->lock_fd = -1;
        /* "live" means the root is this system's own "/": only then may commands run. */
        h->live = fstat(h->rootfd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
                  a.st_ino == b.st_ino;
        *ret = TAKE_PTR(h);
        return 0;
}

vk_host *vk_host_free(vk_host *h) {
        if (!h)
                return NULL;
        if (h->rootfd >= 0)
                close(h->rootfd);
        if (h->lock_fd >= 0)
                close(h->lock_fd);
        for (size_t i = 0; i < h->n_trace; i++) {
                free(h->trace[i].path);
                free(h->trace[i].data);
        }
        free(h->trace);
        free(h->root);
        free(h);
        return NULL;
}

const char *vk_host_root(const vk_host *h) { return h->root; }
bool vk_host_is_live(const vk_host *h) { return h->live; }
void vk_host_set_resolver(vk_host *h, vk_resolver r) { h->resolver = r; }
void vk_host_set_trace(vk_host *h, bool on) { h->tracing = on; }

const vk_trace_entry *vk_host_trace(const vk_host *h, size_t *ret_n) {
        *ret_n = h->n_trace;
        return h->trace;
}

static const char *skip_slashes(const char *p) {
        while (*p == '/')
                p++;
        return p;
}

static void trace_add(vk_host *h, vk_trace_kind kind, const char *path, const char *data, size_t len) {
        vk_trace_entry *e;

        if (!h->tracing)
                return;
        if (h->n_trace == h->cap_trace) {
                size_t cap = h->cap_trace ? h->cap_trace * 2 : 256;
                vk_trace_entry *t = realloc(h->trace, cap * sizeof(*t));
                if (!t)
                        return; /* capture reports the short trace as missing files, never corrupts */
                h->trace = t;
                h->cap_trace = cap;
        }
        e = &h->trace[h->n_trace];
        e->kind = kind;
        e->path = strdup(skip_slashes(path));
        e->data = NULL;
        e->len = len;
        if (data) {
                e->data = malloc(len + 1);
                if (e->data) {
                        memcpy(e->data, data, len);
                        e->data[len] = 0;
                }
        }
        if (!e->path || (data && !e->data)) {
                free(e->path);
                free(e->data);
                return;
        }
        h->n_trace++;
}

/* The fallback resolver: walk one component at a time with O_NOFOLLOW, expand
 * symlinks ourselves, and clamp ".." and absolute targets at the root. */
static int open_fallback(vk_host *h, const char *path, int flags, int *ret_fd) {
        int stack[VK_MAX_DEPTH];
        size_t depth = 0;
        int links = 0, r;
        _cleanup_free_ char *work = strdup(skip_slashes(path));
        char *rest;

        if (!work)
                return -ENOMEM;
        rest = work;
        for (;;) {
                char *slash, *comp;
                int parent = depth ? stack[depth - 1] : h->rootfd;
                struct stat st;
                bool last;

                rest = (char *)skip_slashes(rest);
                if (!*rest)
                        break;
                comp = rest;
                slash = strchr(rest, '/');
                if (slash) {
                        *slash = 0;
                        rest = slash + 1;
                } else
                        rest = comp + strlen(comp);
                last = !*skip_slashes(rest);

                if (vk_streq(comp, "."))
                        continue;
                if (vk_streq(comp, "..")) {
                        if (depth)
                                close(stack[--depth]);
                        continue;
                }
                if (fstatat(parent, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        goto fail;
                }
                if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
                        char target[4096];
                        ssize_t n;
                        char *next;

                        if (++links > VK_MAX_SYMLINKS) {
                                r = -ELOOP;
                                goto fail;
                        }
                        n = readlinkat(parent, comp, target, sizeof(target) - 1);
                        if (n < 0) {
                                r = -errno;
                                goto fail;
                        }
                        target[n] = 0;
                        if (target[0] == '/')
                                while (depth)
                                        close(stack[--depth]);
                        next = vk_printf("%s/%s", target, rest);
                        if (!next) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        free(work);
                        work = rest = next;
                        continue;
                }
                if (last) {
                        int fd = openat(parent, comp, (flags | O_NOFOLLOW | O_CLOEXEC) & ~O_CREAT);
                        if (fd < 0) {
                                r = -errno;
                                goto fail;
                        }
                        while (depth)
                                close(stack[--depth]);
                        *ret_fd = fd;
                        return 0;
                }
                if (!S_ISDIR(st.st_mode)) {
                        r = -ENOTDIR;
                        goto fail;
                }
                if (depth == VK_MAX_DEPTH) {
                        r = -ENAMETOOLONG;
                        goto fail;
                }
                r = openat(parent, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (r < 0) {
                        r = -errno;
                        goto fail;
                }
                stack[depth++] = r;
        }
        /* the path named the root itself (or a directory reached through "..") */
        r = openat(depth ? stack[depth - 1] : h->rootfd, ".", flags | O_CLOEXEC);
        if (r < 0) {
                r = -errno;
                goto fail;
        }
        while (depth)
                close(stack[--depth]);
        *ret_fd = r;
        return 0;
fail:
        while (depth)
                close(stack[--depth]);
        return r;
}

int vk_host_open(vk_host *h, const char *path, int flags, int *ret_fd) {
        if (h->resolver == VK_RESOLVE_AUTO && h->have_openat2) {
                struct open_how how = {
                        .flags = (uint64_t)(flags | O_CLOEXEC),
                        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
                };
                const char *p = skip_slashes(path);
                long fd = syscall(SYS_openat2, h->rootfd, *p ? p : ".", &how, sizeof(how));

                if (fd >= 0) {
                        *ret_fd = (int)fd;
                        return 0;
                }
                if (errno != ENOSYS && errno != EPERM)
                        return -errno;
                h->have_openat2 = false; /* old kernel or seccomp: walk by hand from now on */
        }
        return open_fallback(h, path, flags, ret_fd);
}

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = NULL;

        for (;;) {
                ssize_t n;

                if (len + 1 >= cap || !buf) {
                        char *b;
                        if (buf)
                                cap *= 2;
                        b = realloc(buf, cap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int vk_host_read_file(vk_host *h, const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        r = vk_host_open(h, path, O_RDONLY | O_NONBLOCK, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL; /* a FIFO or device node in a fixture: never block on it */
        r = read_fd(fd, max, &data, &len);
        if (r < 0)
                return r;
        trace_add(h, VK_TRACE_FILE, path, data, len);
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(data);
        return 0;
}

/* Open PATH's parent directory inside the root. *ret_base points into *ret_buf (free it). */
static int open_parent(vk_host *h, const char *path, int *ret_dirfd, const char **ret_base, char **ret_buf) {
        char *buf = strdup(skip_slashes(path));
        char *slash;
        int r;

        if (!buf)
                return -ENOMEM;
        slash = strrchr(buf, '/');
        if (slash)
                *slash = 0;
        r = vk_host_open(h, slash ? buf : ".", O_PATH | O_DIRECTORY, ret_dirfd);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret_base = slash ? slash + 1 : buf;
        *ret_buf = buf;
        return 0;
}

int vk_host_readlink(vk_host *h, const char *path, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        const char *base;
        int r;

        r = open_parent(h, path, &fd, &base, &buf);
        if (r < 0)
                return r;
        /* the traced path is the parent as given, so capture records the link where it was read */
        return vk_attr_readlink(h, fd, base == buf ? "" : buf, base, ret);
}

/* A listed directory's links and subdirectories are part of what was read:
 * record them so a capture of the tree lists the same way. */
static void trace_dir_entry(vk_host *h, int dfd, const char *dirpath, const char *name) {
        _cleanup_free_ char *p = vk_printf("%s/%s", skip_slashes(dirpath), name);
        struct stat st;
        char target[4096];
        ssize_t n;

        if (!p || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return;
        if (S_ISDIR(st.st_mode))
                trace_add(h, VK_TRACE_DIR, p, NULL, 0);
        else if (S_ISLNK(st.st_mode) && (n = readlinkat(dfd, name, target, sizeof(target) - 1)) >= 0)
                trace_add(h, VK_TRACE_LINK, p, target, (size_t)n);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

int vk_host_list_dir(vk_host *h, const char *path, vk_strv *ret) {
        _cleanup_close_ int fd = -1;
        vk_strv names = {0};
        char buf[16384] __attribute__((aligned(8)));
        int r;

        r = vk_host_open(h, path, O_RDONLY | O_DIRECTORY, &fd);
        if (r < 0)
                return r;
        /* getdents64 directly: no DIR allocation or fcntl per directory, and
         * sysfs directories fit in one or two calls */
        for (;;) {
                long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
                if (n < 0) {
                        r = -errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                for (long off = 0; off < n;) {
                        struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
                        off += de->d_reclen;
                        if (vk_streq(de->d_name, ".") || vk_streq(de->d_name, ".."))
                                continue;
                        if (h->tracing)
                                trace_dir_entry(h, fd, path, de->d_name);
                        r = vk_strv_push(&names, de->d_name);
                        if (r < 0)
                                goto fail;
                }
        }
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        trace_add(h, VK_TRACE_DIR, path, NULL, 0);
        *ret = names;
        return 0;
fail:
        vk_strv_clear(&names);
        return r;
}

int vk_host_stat(vk_host *h, const char *path, bool *ret_is_dir) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        r = vk_host_open(h, path, O_PATH, &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                trace_add(h, VK_TRACE_DIR, path, NULL, 0);
        else
                trace_add(h, VK_TRACE_FILE, path, "", 0);
        if (ret_is_dir)
                *ret_is_dir = S_ISDIR(st.st_mode);
        return 0;
}

static char *join(const char *dir, const char *name) {
        return *dir ? vk_printf("%s/%s", dir, name) : strdup(name);
}

int vk_attr_read(vk_host *h, int dirfd, const char *dirpath, const char *name, char **ret) {
        char buf[VK_ATTR_MAX + 1];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        /* No fstat: this is the hot path (a dozen attributes per function). O_NOFOLLOW
         * refuses links, O_NONBLOCK keeps a FIFO from blocking, and read() fails
         * on a directory. */
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* A sysfs attribute is at most a page and comes in one read. */
        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return errno == EISDIR || errno == EAGAIN ? -EINVAL : -errno;
        if (n > VK_ATTR_MAX)
                return -EFBIG;
        buf[n] = 0;
        if (h->tracing) {
                _cleanup_free_ char *p = join(dirpath, name);
                if (p)
                        trace_add(h, VK_TRACE_FILE, p, buf, (size_t)n);
        }
        if (memchr(buf, 0, (size_t)n))
                return -EBADMSG; /* NUL bytes: not a text attribute */
        *ret = strdup(vk_strip(buf));
        return *ret ? 0 : -ENOMEM;
}

int vk_attr_readlink(vk_host *h, int dirfd, const char *dirpath, const char *name, char **ret) {
        char buf[4096];
        ssize_t n;

        n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        if (h->tracing) {
                _cleanup_free_ char *p = join(dirpath, name);
                if (p)
                        trace_add(h, VK_TRACE_LINK, p, buf, (size_t)n);
        }
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

void vk_host_set_sysfs_ops(vk_host *h, const vk_sysfs_ops *ops, void *userdata) {
        h->sysfs_ops = ops;
        h->sysfs_userdata = userdata;
}

void vk_host_set_write_timeout(vk_host *h, int ms) { h->write_timeout_ms = ms; }
int vk_host_write_timeout(const vk_host *h) { return h->write_timeout_ms; }

int vk_sysfs_write(vk_host *h, const char *path, const char *value) {
        const vk_sysfs_ops *ops = h->sysfs_ops ? h->sysfs_ops : &vk_sysfs_kernel_ops;
        return ops->write(h, path, value, h->sysfs_userdata);
}

int vk_host_mkdir_p(vk_host *h, const char *path) {
        _cleanup_free_ char *p = strdup(skip_slashes(path));
        size_t len;

        if (!p)
                return -ENOMEM;
        len = strlen(p);
        /* create each prefix in its parent, each parent resolved inside the root */
        for (size_t i = 0; i <= len; i++) {
                _cleanup_close_ int fd = -1;
                char *slash;
                int r;

                if (p[i] != '/' && p[i] != 0)
                        continue;
                p[i] = 0;
                slash = strrchr(p, '/');
                if (slash)
                        *slash = 0;
                r = vk_host_open(h, slash ? p : ".", O_PATH | O_DIRECTORY, &fd);
                if (r >= 0 && mkdirat(fd, slash ? slash + 1 : p, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                if (slash)
                        *slash = '/';
                if (i < len)
                        p[i] = '/';
                if (r < 0)
                        return r;
        }
        return 0;
}

int vk_host_write_file(vk_host *h, const char *path, const char *data, size_t len, unsigned mode) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int dfd = -1;
        const char *base;
        vk_atomic a;
        int r;

        r = open_parent(h, path, &dfd, &base, &buf);
        if (r < 0)
                return r;
        if (h->write_hook && (r = h->write_hook(path, VK_WRITE_CREATE, h->write_hook_userdata)) < 0)
                return r;
        r = vk_atomic_begin_at(dfd, base, (mode_t)mode, &a);
        if (r < 0)
                return r;
        if (h->write_hook && (r = h->write_hook(path, VK_WRITE_DATA, h->write_hook_userdata)) < 0) {
                vk_atomic_abort(&a);
                return r;
        }
        for (size_t off = 0; off < len;) {
                ssize_t n = write(a.fd, data + off, len - off);
                if (n < 0) {
                        r = -errno;
                        vk_atomic_abort(&a);
                        return r;
                }
                off += (size_t)n;
        }
        if (h->write_hook && (r = h->write_hook(path, VK_WRITE_RENAME, h->write_hook_userdata)) < 0) {
                vk_atomic_abort(&a);
                return r;
        }
        return vk_atomic_commit(&a);
}

void vk_host_set_write_hook(vk_host *h, vk_write_hook hook, void *userdata) {
        h->write_hook = hook;
        h->write_hook_userdata = userdata;
}

int vk_host_unlink(vk_host *h, const char *path) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int dfd = -1;
        const char *base;
        int r;

        r = open_parent(h, path, &dfd, &base, &buf);
        if (r < 0)
                return r;
        if (h->write_hook && (r = h->write_hook(path, VK_WRITE_UNLINK, h->write_hook_userdata)) < 0)
                return r;
        return unlinkat(dfd, base, 0) < 0 ? -errno : 0;
}

int vk_host_rmdir(vk_host *h, const char *path) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int dfd = -1;
        const char *base;
        int r;

        r = open_parent(h, path, &dfd, &base, &buf);
        if (r < 0)
                return r;
        if (h->write_hook && (r = h->write_hook(path, VK_WRITE_RMDIR, h->write_hook_userdata)) < 0)
                return r;
        return unlinkat(dfd, base, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int vk_host_rename(vk_host *h, const char *from, const char *to) {
        _cleanup_free_ char *fbuf = NULL, *tbuf = NULL;
        _cleanup_close_ int fdfd = -1, tdfd = -1;
        const char *fbase, *tbase;
        int r;

        r = open_parent(h, from, &fdfd, &fbase, &fbuf);
        if (r >= 0)
                r = open_parent(h, to, &tdfd, &tbase, &tbuf);
        if (r < 0)
                return r;
        if (h->write_hook && (r = h->write_hook(to, VK_WRITE_MOVE, h->write_hook_userdata)) < 0)
                return r;
        return renameat(fdfd, fbase, tdfd, tbase) < 0 ? -errno : 0;
}

int *vk_host_lock_fd(vk_host *h) { return &h->lock_fd; }
int *vk_host_lock_depth(vk_host *h) { return &h->lock_depth; }
