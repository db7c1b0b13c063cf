/* journal.c — the runtime journal (JSON under /run/vfiokit) and the writers' lock. */
#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

void vk_journal_clear(vk_journal *j) {
        for (size_t i = 0; i < j->n; i++) {
                free(j->v[i].driver);
                free(j->v[i].driver_override);
        }
        free(j->v);
        *j = (vk_journal){0};
}

vk_journal_entry *vk_journal_find(const vk_journal *j, const char *addr) {
        for (size_t i = 0; i < j->n; i++)
                if (vk_streq(j->v[i].addr, addr))
                        return &j->v[i];
        return NULL;
}

int vk_journal_add(vk_journal *j, const char *addr, const char *driver, const char *override, int group) {
        vk_journal_entry *e;

        if (vk_journal_find(j, addr))
                return 0;
        e = realloc(j->v, (j->n + 1) * sizeof(*e));
        if (!e)
                return -ENOMEM;
        j->v = e;
        e = &e[j->n];
        *e = (vk_journal_entry){.group = group};
        snprintf(e->addr, sizeof(e->addr), "%s", addr);
        e->driver = vk_strdup(driver);
        e->driver_override = vk_strdup(override);
        if ((driver && !e->driver) || (override && !e->driver_override)) {
                free(e->driver);
                free(e->driver_override);
                return -ENOMEM;
        }
        j->n++;
        return 0;
}

void vk_journal_remove(vk_journal *j, const char *addr) {
        vk_journal_entry *e = vk_journal_find(j, addr);
        if (!e)
                return;
        free(e->driver);
        free(e->driver_override);
        memmove(e, e + 1, (size_t)(j->v + j->n - (e + 1)) * sizeof(*e));
        j->n--;
}

static const char *opt_string(json_object *o, const char *key, bool *ok) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v)) {
                *ok = false;
                return NULL;
        }
        if (json_object_is_type(v, json_type_null))
                return NULL;
        if (!json_object_is_type(v, json_type_string))
                *ok = false;
        return json_object_get_string(v);
}

int vk_json_parse_whole(const char *text, json_object **ret, const char **ret_reason) {
        enum json_tokener_error jerr;
        json_tokener *tok = json_tokener_new();
        json_object *root;

        if (!tok)
                return -ENOMEM;
        /* length + 1: the NUL ends the value, so "{} x" or a truncated file is an error, not a prefix */
        root = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
        jerr = json_tokener_get_error(tok);
        json_tokener_free(tok);
        if (!root || jerr != json_tokener_success) {
                json_object_put(root);
                *ret_reason = json_tokener_error_desc(jerr);
                return -EBADMSG;
        }
        *ret = root;
        return 0;
}

int vk_journal_load(vk_host *h, vk_journal *ret, vk_error *err) {
        _cleanup_free_ char *text = NULL;
        vk_journal j = {0};
        json_object *root, *entries;
        const char *why;
        int r;

        r = vk_host_read_file(h, VK_JOURNAL_PATH, 1u << 20, &text, NULL);
        if (r == -ENOENT) {
                *ret = j;
                return 0;
        }
        if (r < 0)
                return vk_error_set(err, r, "/%s: %s", VK_JOURNAL_PATH, strerror(-r));
        r = vk_json_parse_whole(text, &root, &why);
        if (r == -ENOMEM)
                return vk_error_set(err, r, "out of memory");
        if (r < 0)
                return vk_error_set(err, r,
                                    "/%s is corrupt (%s); nothing was changed: read it to see what was bound, "
                                    "then fix or remove it",
                                    VK_JOURNAL_PATH, why);
        if (!json_object_object_get_ex(root, "entries", &entries) || !json_object_is_type(entries, json_type_array))
                goto corrupt;
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *e = json_object_array_get_idx(entries, i), *g;
                bool ok = true;
                const char *addr = opt_string(e, "address", &ok);
                const char *drv = opt_string(e, "driver", &ok);
                const char *ovr = opt_string(e, "driver_override", &ok);
                int group = -1;

                if (json_object_object_get_ex(e, "group", &g) && json_object_is_type(g, json_type_int))
                        group = json_object_get_int(g);
                if (!ok || !addr || !vk_is_pci_addr(addr))
                        goto corrupt;
                if (vk_journal_add(&j, addr, drv, ovr, group) < 0) {
                        json_object_put(root);
                        vk_journal_clear(&j);
                        return vk_error_set(err, -ENOMEM, "out of memory");
                }
        }
        json_object_put(root);
        *ret = j;
        return 0;
corrupt:
        json_object_put(root);
        vk_journal_clear(&j);
        return vk_error_set(err, -EBADMSG,
                            "/%s is corrupt (an entry lacks a valid address, driver or driver_override); nothing was "
                            "changed: read it to see what was bound, then fix or remove it",
                            VK_JOURNAL_PATH);
}

int vk_journal_save(vk_host *h, const vk_journal *j, vk_error *err) {
        json_object *root, *entries;
        const char *text;
        int r;

        if (j->n == 0) {
                r = vk_host_unlink(h, VK_JOURNAL_PATH);
                if (r < 0 && r != -ENOENT)
                        return vk_error_set(err, r, "removing /%s: %s", VK_JOURNAL_PATH, strerror(-r));
                return 0;
        }
        r = vk_host_mkdir_p(h, "run/vfiokit");
        if (r < 0)
                return vk_error_set(err, r, "creating /run/vfiokit: %s", strerror(-r));
        root = json_object_new_object();
        entries = json_object_new_array();
        json_object_object_add(root, "version", json_object_new_int(1));
        for (size_t i = 0; i < j->n; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "address", json_object_new_string(j->v[i].addr));
                json_object_object_add(e, "driver", j->v[i].driver ? json_object_new_string(j->v[i].driver) : NULL);
                json_object_object_add(e, "driver_override",
                                       j->v[i].driver_override ? json_object_new_string(j->v[i].driver_override) : NULL);
                json_object_object_add(e, "group", json_object_new_int(j->v[i].group));
                json_object_array_add(entries, e);
        }
        json_object_object_add(root, "entries", entries);
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = vk_host_write_file(h, VK_JOURNAL_PATH, text, strlen(text), 0644);
        json_object_put(root);
        if (r < 0)
                return vk_error_set(err, r, "writing /%s: %s; nothing was changed", VK_JOURNAL_PATH, strerror(-r));
        return 0;
}

/* Name the holder only when it really is a vfiokit: the pid in the file may be
 * stale, and a hook script holding the lock with flock(1) writes none. */
static void describe_holder(vk_host *h, int fd, char *buf, size_t size) {
        char pid[32], path[64];
        _cleanup_free_ char *comm = NULL;
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        int p;

        buf[0] = 0;
        pid[n > 0 ? n : 0] = 0;
        if (vk_parse_uint(vk_strip(pid), &p) < 0 || p <= 0)
                return;
        snprintf(path, sizeof(path), "proc/%d/comm", p);
        if (vk_host_read_file(h, path, 64, &comm, NULL) >= 0 && vk_streq(vk_strip(comm), "vfiokit"))
                snprintf(buf, size, " (vfiokit, pid %d)", p);
}

int vk_lock_take(vk_host *h, int timeout_ms, vk_error *err) {
        int *lock_fd = vk_host_lock_fd(h), *depth = vk_host_lock_depth(h);
        _cleanup_close_ int dfd = -1, fd = -1;
        struct timespec pause = {0, 100 * 1000 * 1000};
        char pid[32];
        int r, waited = 0;

        if (*lock_fd >= 0) {
                (*depth)++;
                return 0;
        }
        r = vk_host_mkdir_p(h, "run/vfiokit");
        if (r >= 0)
                r = vk_host_open(h, "run/vfiokit", O_PATH | O_DIRECTORY, &dfd);
        if (r < 0)
                return vk_error_set(err, r, "creating /run/vfiokit: %s", strerror(-r));
        fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return vk_error_set(err, -errno, "/%s: %s", VK_LOCK_PATH, strerror(errno));
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return vk_error_set(err, -errno, "locking /%s: %s", VK_LOCK_PATH, strerror(errno));
                if (waited >= timeout_ms) {
                        char who[64];
                        describe_holder(h, fd, who, sizeof(who));
                        return vk_error_set(err, -EBUSY,
                                            "another process%s holds /%s, the lock of every vfiokit writer; waited %d "
                                            "s, try again when it is done",
                                            who, VK_LOCK_PATH, timeout_ms / 1000);
                }
                nanosleep(&pause, NULL);
                waited += 100;
        }
        snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
                /* the pid is only a hint for the message above */
        }
        *lock_fd = TAKE_FD(fd);
        *depth = 1;
        return 0;
}

void vk_lock_release(vk_host *h) {
        int *lock_fd = vk_host_lock_fd(h), *depth = vk_host_lock_depth(h);

        if (*lock_fd < 0 || --(*depth) > 0)
                return;
        /* no stale pid for the next waiter to blame */
        if (ftruncate(*lock_fd, 0) < 0) {
        }
        close(*lock_fd);
        *lock_fd = -1;
}
