/* fleet.c — unpack a capture tar from another host (untrusted input) into a private directory: every entry is
 * created relative to directory fds that were opened without following links, so no entry can write outside. */
#define _GNU_SOURCE
#include "fleet.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_COMPONENTS 128

typedef struct unpacker {
        struct archive *a;
        int rootfd;
        /* the directory of the previous entry: a capture is sorted, so most entries share it */
        char cached[4096];
        int cached_fd;
        const char *name;
        uint64_t total;
        vk_error *err;
} unpacker;

/* Split an entry's path into its components: "./sys/x" → {"sys","x"}. Refuses absolute paths and "..". */
static int split_path(unpacker *u, const char *path, char *buf, size_t size, char **comp, size_t *ret_n) {
        size_t n = 0;
        char *save = NULL;

        if (!path || !*path)
                return vk_error_set(u->err, -EINVAL, "%s: an entry has no name; the capture is damaged", u->name);
        if (path[0] == '/')
                return vk_error_set(u->err, -EINVAL, "%s: entry '%s' is an absolute path; refusing a capture that "
                                    "writes outside its directory", u->name, path);
        if (strlen(path) >= size)
                return vk_error_set(u->err, -ENAMETOOLONG, "%s: entry '%.80s…' has a path that is too long",
                                    u->name, path);
        strcpy(buf, path);
        for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (vk_streq(c, "."))
                        continue;
                if (vk_streq(c, ".."))
                        return vk_error_set(u->err, -EINVAL, "%s: entry '%s' climbs out with '..'; refusing a "
                                            "capture that writes outside its directory", u->name, path);
                if (n == MAX_COMPONENTS)
                        return vk_error_set(u->err, -ENAMETOOLONG, "%s: entry '%.80s…' is nested too deep",
                                            u->name, path);
                comp[n++] = c;
        }
        *ret_n = n;
        return 0;
}

/* Open (creating as needed) the directory of comp[0..n), never through a symlink. */
static int open_dirs(unpacker *u, char **comp, size_t n, const char *path, int *ret_fd) {
        char key[4096];
        size_t used = 0;
        int fd;

        for (size_t i = 0; i < n && used < sizeof(key); i++)
                used += (size_t)snprintf(key + used, sizeof(key) - used, "%s/", comp[i]);
        key[used < sizeof(key) ? used : sizeof(key) - 1] = 0;
        /* a directory once made stays one: a later entry of the same name fails with EEXIST */
        if (u->cached_fd >= 0 && vk_streq(key, u->cached)) {
                fd = fcntl(u->cached_fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return vk_error_set(u->err, -errno, "%s: %s", u->name, strerror(errno));
                *ret_fd = fd;
                return 0;
        }
        /* a child of the cached directory (a directory entry and then its files): walk on from there */
        size_t start = 0, clen = strlen(u->cached);
        if (u->cached_fd >= 0 && clen && clen < used && strncmp(key, u->cached, clen) == 0) {
                for (size_t i = 0; i < clen; i++)
                        start += u->cached[i] == '/';
                fd = fcntl(u->cached_fd, F_DUPFD_CLOEXEC, 3);
        } else
                fd = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return vk_error_set(u->err, -errno, "%s: %s", u->name, strerror(errno));
        for (size_t i = start; i < n; i++) {
                int next;
                if (mkdirat(fd, comp[i], 0755) < 0 && errno != EEXIST) {
                        int r = -errno;
                        close(fd);
                        return vk_error_set(u->err, r, "%s: cannot create the directory of '%s': %s", u->name, path,
                                            strerror(-r));
                }
                next = openat(fd, comp[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(fd);
                if (next < 0)
                        return vk_error_set(u->err, -EINVAL, "%s: entry '%s' lies under '%s', which is not a "
                                            "directory (a symlink or a file); refusing it", u->name, path, comp[i]);
                fd = next;
        }
        if (u->cached_fd >= 0)
                close(u->cached_fd);
        u->cached_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        snprintf(u->cached, sizeof(u->cached), "%s", u->cached_fd >= 0 ? key : "");
        *ret_fd = fd;
        return 0;
}

/* A relative target of the form "../../x/y" whose ".." all come first and stay within the link's depth:
 * the ".." then climb real directories (every directory here was made without following links), and each
 * link met further down obeys the same rule, so resolving it never leaves the capture. Sysfs links have
 * exactly this form. */
static bool target_inside(const char *target, size_t depth) {
        size_t up = 0;
        bool down = false;
        const char *p = target;

        if (!*target || target[0] == '/')
                return false;
        while (*p) {
                size_t len = strcspn(p, "/");
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        if (down || ++up > depth)
                                return false;
                } else if (len && !(len == 1 && p[0] == '.'))
                        down = true;
                p += len;
                p += strspn(p, "/");
        }
        return true;
}

static int write_file(unpacker *u, int dirfd, const char *base, const char *path, struct archive_entry *ae) {
        _cleanup_close_ int fd = -1;
        char buf[65536];
        uint64_t size = 0;

        if (archive_entry_size_is_set(ae) && (uint64_t)archive_entry_size(ae) > VK_CAPTURE_MAX_FILE)
                return vk_error_set(u->err, -EFBIG, "%s: entry '%s' is %lld bytes, more than a capture's files "
                                    "(%llu MiB at most)", u->name, path, (long long)archive_entry_size(ae),
                                    VK_CAPTURE_MAX_FILE >> 20);
        fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return vk_error_set(u->err, -errno, "%s: entry '%s': %s", u->name, path,
                                    errno == EEXIST ? "it appears twice; the capture is damaged" : strerror(errno));
        for (;;) {
                la_ssize_t n = archive_read_data(u->a, buf, sizeof(buf));
                if (n == 0)
                        break;
                if (n < 0)
                        return vk_error_set(u->err, -EIO, "%s: entry '%s' cannot be read (%s); is the capture "
                                            "truncated?", u->name, path, archive_error_string(u->a));
                size += (uint64_t)n;
                u->total += (uint64_t)n;
                if (size > VK_CAPTURE_MAX_FILE)
                        return vk_error_set(u->err, -EFBIG, "%s: entry '%s' is larger than a capture's files "
                                            "(%llu MiB at most)", u->name, path, VK_CAPTURE_MAX_FILE >> 20);
                if (u->total > VK_CAPTURE_MAX_TOTAL)
                        return vk_error_set(u->err, -EFBIG, "%s: more than %llu MiB unpacked; that is no capture",
                                            u->name, VK_CAPTURE_MAX_TOTAL >> 20);
                for (la_ssize_t off = 0; off < n;) {
                        ssize_t w = write(fd, buf + off, (size_t)(n - off));
                        if (w < 0)
                                return vk_error_set(u->err, -errno, "%s: writing '%s': %s", u->name, path,
                                                    strerror(errno));
                        off += w;
                }
        }
        return 0;
}

static int unpack_entry(unpacker *u, struct archive_entry *ae) {
        const char *path = archive_entry_pathname(ae);
        char buf[4096], *comp[MAX_COMPONENTS];
        _cleanup_close_ int dirfd = -1;
        size_t n = 0;
        int r;

        r = split_path(u, path, buf, sizeof(buf), comp, &n);
        if (r < 0)
                return r;
        if (archive_entry_hardlink(ae))
                return vk_error_set(u->err, -EINVAL, "%s: entry '%s' is a hard link; a capture has none", u->name,
                                    path);
        switch (archive_entry_filetype(ae)) {
        case AE_IFDIR:
                return open_dirs(u, comp, n, path, &dirfd);
        case AE_IFREG:
        case AE_IFLNK:
                if (n == 0)
                        return vk_error_set(u->err, -EINVAL, "%s: entry '%s' names the capture's own directory",
                                            u->name, path);
                r = open_dirs(u, comp, n - 1, path, &dirfd);
                if (r < 0)
                        return r;
                if (archive_entry_filetype(ae) == AE_IFREG)
                        return write_file(u, dirfd, comp[n - 1], path, ae);
                {
                        const char *target = archive_entry_symlink(ae);
                        if (!target || !target_inside(target, n - 1))
                                return vk_error_set(u->err, -EINVAL, "%s: entry '%s' is a symlink to '%s', outside "
                                                    "the capture; refusing it", u->name, path,
                                                    target ? target : "");
                        if (symlinkat(target, dirfd, comp[n - 1]) < 0)
                                return vk_error_set(u->err, -errno, "%s: entry '%s': %s", u->name, path,
                                                    errno == EEXIST ? "it appears twice; the capture is damaged"
                                                                    : strerror(errno));
                        return 0;
                }
        default:
                return vk_error_set(u->err, -EINVAL, "%s: entry '%s' is a device, fifo or socket; a capture has "
                                    "only files, directories and symlinks", u->name, path);
        }
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void)st;
        (void)ftw;
        return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int vk_capture_remove(const char *dir) {
        if (!dir)
                return 0;
        return nftw(dir, remove_one, 32, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

int vk_capture_unpack_fd(int fd, const char *name, const char *parent, char **ret_dir, vk_error *err) {
        _cleanup_free_ char *dir = NULL;
        unpacker u = {.name = name, .rootfd = -1, .cached_fd = -1, .err = err};
        struct archive_entry *ae;
        size_t entries = 0;
        int r = 0;

        if (!parent)
                parent = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        dir = vk_printf("%s/vfiokit-capture-XXXXXX", parent);
        if (!dir)
                return vk_error_set(err, -ENOMEM, "out of memory");
        if (!mkdtemp(dir))
                return vk_error_set(err, -errno, "%s: cannot make a directory in %s: %s", name, parent,
                                    strerror(errno));
        u.rootfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        u.a = archive_read_new();
        if (u.rootfd < 0 || !u.a) {
                r = vk_error_set(err, u.a ? -errno : -ENOMEM, "%s: %s", dir, strerror(u.a ? errno : ENOMEM));
                goto out;
        }
        archive_read_support_format_tar(u.a);
        archive_read_support_format_gnutar(u.a);
        archive_read_support_filter_all(u.a);
        if (archive_read_open_fd(u.a, fd, 65536) != ARCHIVE_OK) {
                r = vk_error_set(err, -EINVAL, "%s: not a vfiokit capture (%s); make one with: vfiokit capture -o "
                                 "host.tar", name, archive_error_string(u.a));
                goto out;
        }
        for (;;) {
                int k = archive_read_next_header(u.a, &ae);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN) {
                        r = vk_error_set(err, -EINVAL, "%s: %s after %zu entries (%s); make a new one with: vfiokit "
                                         "capture -o host.tar", name, entries ? "truncated or damaged" :
                                         "not a vfiokit capture (a tar)", entries, archive_error_string(u.a));
                        goto out;
                }
                if (++entries > VK_CAPTURE_MAX_ENTRIES) {
                        r = vk_error_set(err, -EFBIG, "%s: more than %u entries; that is no capture", name,
                                         VK_CAPTURE_MAX_ENTRIES);
                        goto out;
                }
                r = unpack_entry(&u, ae);
                if (r < 0)
                        goto out;
        }
        if (entries == 0)
                r = vk_error_set(err, -EINVAL, "%s: an empty archive, not a vfiokit capture", name);
out:
        if (u.a)
                archive_read_free(u.a);
        if (u.rootfd >= 0)
                close(u.rootfd);
        if (u.cached_fd >= 0)
                close(u.cached_fd);
        if (r < 0) {
                vk_capture_remove(dir);
                return r;
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

int vk_capture_unpack(const char *path, const char *parent, char **ret_dir, vk_error *err) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return vk_error_set(err, -errno, "%s: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return vk_error_set(err, -EINVAL, "%s: not a file; give the tar that 'vfiokit capture -o' wrote",
                                    path);
        return vk_capture_unpack_fd(fd, path, parent, ret_dir, err);
}
