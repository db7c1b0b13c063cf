/* capture.c — write the traced files, links and directories of a host as a tar through libarchive. */
#define _GNU_SOURCE
#include "capture.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>

#include "model.h"

/* Configuration files the boot, VM and hook commands read; absent ones are skipped. */
static const char *const config_files[] = {
        "etc/default/grub", "etc/kernel/cmdline", "etc/mkinitcpio.conf", "etc/initramfs-tools/modules",
        "etc/booster.yaml", "etc/libvirt/hooks/qemu", "proc/net/ipv6_route",
        /* export --fleet names each host's node by it */
        "etc/hostname",
        /* names are looked up in the root's pci.ids: carry it so names match elsewhere */
        "usr/share/misc/pci.ids", "usr/share/hwdata/pci.ids",
};
static const char *const config_dirs[] = {
        "etc/modprobe.d", "etc/dracut.conf.d", "etc/mkinitcpio.conf.d", "usr/share/qemu/firmware",
};

#define CONFIG_MAX (8u << 20)

static void read_configs(vk_host *h) {
        for (size_t i = 0; i < ELEMENTSOF(config_files); i++) {
                char *data = NULL;
                if (vk_host_read_file(h, config_files[i], CONFIG_MAX, &data, NULL) >= 0)
                        free(data);
        }
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                vk_strv names = {0};
                if (vk_host_list_dir(h, config_dirs[i], &names) < 0)
                        continue;
                for (size_t j = 0; j < names.n; j++) {
                        _cleanup_free_ char *p = vk_printf("%s/%s", config_dirs[i], names.v[j]);
                        char *data = NULL;
                        if (p && vk_host_read_file(h, p, CONFIG_MAX, &data, NULL) >= 0)
                                free(data);
                }
                vk_strv_clear(&names);
        }
}

typedef struct entry {
        vk_trace_kind kind;
        char *path;
        const char *data;
        size_t len;
} entry;

/* Recorded links sorted by path, for bsearch by a (pointer, length) prefix. */
typedef struct links {
        const vk_trace_entry **v;
        size_t n;
} links;

typedef struct prefix {
        const char *s;
        size_t len;
} prefix;

static int cmp_prefix(const void *key, const void *elem) {
        const prefix *k = key;
        const char *p = (*(const vk_trace_entry *const *)elem)->path;
        size_t plen = strlen(p);
        int c = strncmp(k->s, p, k->len < plen ? k->len : plen);
        return c ? c : (k->len > plen) - (k->len < plen);
}

static int cmp_link(const void *a, const void *b) {
        return strcmp((*(const vk_trace_entry *const *)a)->path, (*(const vk_trace_entry *const *)b)->path);
}

static const vk_trace_entry *find_link(const links *l, const char *path, size_t plen) {
        prefix k = {path, plen};
        const vk_trace_entry *const *e = l->n ? bsearch(&k, l->v, l->n, sizeof(*l->v), cmp_prefix) : NULL;
        return e ? *e : NULL;
}

/* Rewrite a path read through recorded symlinks into the path of the real
 * object, so that a link and a directory never claim the same name. */
static char *canonical(const links *lk, const char *path, bool keep_last) {
        char *cur = strdup(path);

        for (int round = 0; cur && round < 40; round++) {
                bool changed = false;
                size_t len = strlen(cur);
                for (size_t i = 1; i <= len && !changed; i++) {
                        const vk_trace_entry *l;
                        if (i < len && cur[i] != '/')
                                continue;
                        if (i == len && keep_last)
                                break;
                        l = find_link(lk, cur, i);
                        if (l) {
                                _cleanup_free_ char *dir = strndup(cur, i);
                                char *slash = dir ? strrchr(dir, '/') : NULL;
                                _cleanup_free_ char *resolved = NULL;
                                char *next;
                                if (!dir) {
                                        free(cur);
                                        return NULL;
                                }
                                if (slash)
                                        *slash = 0;
                                resolved = vk_resolve_link_path(slash ? dir : "", l->data);
                                next = resolved ? vk_printf("%s%s", resolved, cur + i) : NULL;
                                free(cur);
                                cur = next;
                                changed = true;
                        }
                }
                if (!changed)
                        return cur;
        }
        free(cur);
        return NULL;
}

static int cmp_entry(const void *a, const void *b) {
        const entry *x = a, *y = b;
        int c = strcmp(x->path, y->path);
        /* for one path: a link or file wins over a directory that was only implied */
        return c ? c : (int)x->kind - (int)y->kind;
}

static int add_entry(entry **v, size_t *n, size_t *cap, vk_trace_kind kind, char *path, const char *data, size_t len) {
        if (!path)
                return -ENOMEM;
        if (*n == *cap) {
                size_t nc = *cap ? *cap * 2 : 1024;
                entry *e = realloc(*v, nc * sizeof(entry));
                if (!e) {
                        free(path);
                        return -ENOMEM;
                }
                *v = e;
                *cap = nc;
        }
        (*v)[(*n)++] = (entry){.kind = kind, .path = path, .data = data, .len = len};
        return 0;
}

static int write_archive(int fd, entry *v, size_t n, size_t *ret_n) {
        struct archive *a = archive_write_new();
        struct archive_entry *ae = archive_entry_new();
        size_t written = 0;
        int r = 0;

        if (!a || !ae) {
                r = -ENOMEM;
                goto out;
        }
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
                r = -EIO;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                if (i && vk_streq(v[i].path, v[i - 1].path))
                        continue; /* read twice, or implied and read */
                archive_entry_clear(ae);
                archive_entry_set_pathname(ae, v[i].path);
                archive_entry_set_mtime(ae, 0, 0); /* reproducible */
                switch (v[i].kind) {
                case VK_TRACE_FILE:
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, 0644);
                        archive_entry_set_size(ae, (la_int64_t)v[i].len);
                        break;
                case VK_TRACE_LINK:
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_perm(ae, 0777);
                        archive_entry_set_symlink(ae, v[i].data);
                        break;
                case VK_TRACE_DIR:
                        archive_entry_set_filetype(ae, AE_IFDIR);
                        archive_entry_set_perm(ae, 0755);
                        break;
                }
                if (archive_write_header(a, ae) != ARCHIVE_OK) {
                        r = -EIO;
                        goto out;
                }
                if (v[i].kind == VK_TRACE_FILE && v[i].len &&
                    archive_write_data(a, v[i].data, v[i].len) != (la_ssize_t)v[i].len) {
                        r = -EIO;
                        goto out;
                }
                written++;
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                r = -EIO;
out:
        if (ae)
                archive_entry_free(ae);
        if (a)
                archive_write_free(a);
        if (r == 0 && ret_n)
                *ret_n = written;
        return r;
}

int vk_capture_write(vk_host *h, int fd, size_t *ret_n_entries) {
        vk_model *m = NULL;
        const vk_trace_entry *t;
        entry *v = NULL;
        links lk = {0};
        size_t n_t, n = 0, cap = 0;
        int r;

        vk_host_set_trace(h, true);
        r = vk_model_load(h, &m);
        if (r < 0)
                goto out;
        read_configs(h);
        t = vk_host_trace(h, &n_t);
        lk.v = calloc(n_t ? n_t : 1, sizeof(*lk.v));
        if (!lk.v) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n_t; i++)
                if (t[i].kind == VK_TRACE_LINK)
                        lk.v[lk.n++] = &t[i];
        qsort(lk.v, lk.n, sizeof(*lk.v), cmp_link);
        for (size_t i = 0; i < n_t && r >= 0; i++) {
                char *p = canonical(&lk, t[i].path, t[i].kind == VK_TRACE_LINK);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                /* every parent directory, so the tar unpacks without implied dirs */
                for (char *s = strchr(p, '/'); s && r >= 0; s = strchr(s + 1, '/'))
                        r = add_entry(&v, &n, &cap, VK_TRACE_DIR, strndup(p, (size_t)(s - p)), NULL, 0);
                if (r >= 0)
                        r = add_entry(&v, &n, &cap, t[i].kind, p, t[i].data, t[i].len);
                else
                        free(p);
        }
        if (r >= 0) {
                qsort(v, n, sizeof(entry), cmp_entry);
                r = write_archive(fd, v, n, ret_n_entries);
        }
out:
        for (size_t i = 0; i < n; i++)
                free(v[i].path);
        free(v);
        free(lk.v);
        vk_model_free(m);
        vk_host_set_trace(h, false);
        return r;
}
