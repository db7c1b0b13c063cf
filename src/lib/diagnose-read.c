/* diagnose-read.c — the logs diagnose reads: user files and stdin, the kernel log (/dev/kmsg or klogctl), the
 * systemd journal (libsystemd, loaded at run time) and libvirt's per-VM QEMU log; all in bounded memory. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diagnose-internal.h"

#define READ_CHUNK 65536

/* Compressed logs (logrotate's .gz, journal exports) are not text: say how to read them instead. */
static const char *binary_kind(const unsigned char *b, size_t n) {
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                return "gzip-compressed: zcat it into vfiokit diagnose -";
        if (n >= 6 && !memcmp(b, "\xfd" "7zXZ\0", 6))
                return "xz-compressed: xzcat it into vfiokit diagnose -";
        if (n >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4))
                return "zstd-compressed: zstdcat it into vfiokit diagnose -";
        if (n >= 8 && !memcmp(b, "LPKSHHRH", 8))
                return "a journal file: read it with journalctl --file=FILE > log.txt";
        if (memchr(b, 0, n < 8192 ? n : 8192))
                return "binary data, not a text log";
        return NULL;
}

int vk_diag_read_fd(vk_diag *d, size_t input, int fd) {
        _cleanup_free_ char *buf = malloc(READ_CHUNK), *carry = malloc(VK_DIAG_LINE_MAX);
        size_t clen = 0, n_inputs;
        bool skipping = false, first = true;
        int r;

        if (!buf || !carry)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, READ_CHUNK);
                size_t off = 0;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        vk_diag_input_fail(d, input, "%s: %s", vk_diag_inputs(d, &n_inputs)[input].name,
                                           strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                if (first) {
                        const char *kind = binary_kind((const unsigned char *)buf, (size_t)n);
                        first = false;
                        if (kind) {
                                vk_diag_input_fail(d, input, "%s: %s", vk_diag_inputs(d, &n_inputs)[input].name,
                                                   kind);
                                return -EBADMSG;
                        }
                }
                while (off < (size_t)n) {
                        char *nl = memchr(buf + off, '\n', (size_t)n - off);
                        size_t seg = nl ? (size_t)(nl - (buf + off)) : (size_t)n - off;

                        if (nl && clen == 0 && !skipping) {
                                r = vk_diag_feed_line(d, input, buf + off, seg);
                        } else {
                                /* a line across reads: keep its first VK_DIAG_LINE_MAX bytes, drop the rest */
                                size_t take = seg < VK_DIAG_LINE_MAX - clen ? seg : VK_DIAG_LINE_MAX - clen;
                                memcpy(carry + clen, buf + off, take);
                                clen += take;
                                skipping = skipping || take < seg;
                                r = 0;
                                if (nl) {
                                        r = vk_diag_feed_line(d, input, carry, clen);
                                        clen = 0;
                                        skipping = false;
                                }
                        }
                        if (r < 0)
                                return r;
                        off += seg + (nl ? 1 : 0);
                }
        }
        if (clen > 0 || skipping)
                return vk_diag_feed_line(d, input, carry, clen);
        return 0;
}

int vk_diag_read_file(vk_diag *d, const char *path) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t in;
        bool std_in = vk_streq(path, "-");
        int r = vk_diag_input_add(d, std_in ? "standard input" : path, &in);

        if (r < 0)
                return r;
        /* the user's own file, named as they typed it: not a path inside --root */
        fd = std_in ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (r == -ENOENT)
                        vk_diag_input_fail(d, in, "%s: no such file; give the path of a saved log (dmesg, journalctl, "
                                           "/var/log/libvirt/qemu/VM.log) or - for standard input", path);
                else if (r == -EACCES)
                        vk_diag_input_fail(d, in, "%s: permission denied; logs under /var/log are root's: sudo "
                                           "vfiokit diagnose %s", path, path);
                else
                        vk_diag_input_fail(d, in, "%s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                vk_diag_input_fail(d, in, "%s: is a directory; name the log files in it", path);
                return -EISDIR;
        }
        return vk_diag_read_fd(d, in, fd);
}

/* /dev/kmsg gives one record per read: "PRI,SEQ,USEC,FLAGS;text\n" and " KEY=value" continuation lines. */
static int read_kmsg(vk_diag *d, size_t in, int fd) {
        _cleanup_free_ char *rec = malloc(VK_DIAG_LINE_MAX + 64), *line = malloc(VK_DIAG_LINE_MAX + 32);

        if (!rec || !line)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, rec, VK_DIAG_LINE_MAX + 63);
                unsigned long long usec = 0;
                char *text, *end;
                int r;

                if (n < 0 && (errno == EINTR || errno == EPIPE)) /* EPIPE: records overwritten while reading */
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                rec[n] = 0;
                text = strchr(rec, ';');
                if (!text)
                        continue;
                sscanf(rec, "%*u,%*u,%llu", &usec);
                text++;
                end = strchr(text, '\n');
                if (end)
                        *end = 0;
                /* shown as dmesg shows it */
                int len = snprintf(line, VK_DIAG_LINE_MAX + 32, "[%5llu.%06llu] %s", usec / 1000000, usec % 1000000,
                                   text);
                r = vk_diag_feed_line(d, in, line, len < 0 ? 0 : (size_t)len);
                if (r < 0)
                        return r;
        }
}

/* klogctl's buffer: "<6>[    0.000000] text" lines; the priority prefix goes. */
static int read_klog(vk_diag *d, size_t in) {
        int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
        _cleanup_free_ char *buf = NULL;
        char *p;

        if (size < 0)
                return -errno;
        buf = malloc((size_t)size + 1);
        if (!buf)
                return -ENOMEM;
        size = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
        if (size < 0)
                return -errno;
        buf[size] = 0;
        for (p = buf; *p;) {
                char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                char *t = p;
                if (*t == '<' && (t = memchr(p, '>', len < 8 ? len : 8)))
                        t++;
                else
                        t = p;
                int r = vk_diag_feed_line(d, in, t, len - (size_t)(t - p));
                if (r < 0)
                        return r;
                p += len + (nl ? 1 : 0);
        }
        return 0;
}

int vk_diag_read_kernel_log(vk_diag *d, vk_host *h) {
        _cleanup_close_ int fd = -1;
        size_t in;
        int r;

        if (!vk_host_is_live(h)) {
                r = vk_diag_input_add(d, "/var/log/dmesg", &in);
                if (r < 0)
                        return r;
                r = vk_host_open(h, "var/log/dmesg", O_RDONLY | O_NOCTTY, &fd);
                if (r < 0) {
                        vk_diag_input_fail(d, in, "--dmesg with --root %s reads %s/var/log/dmesg: %s; the kernel log "
                                           "is the live host's: run there, or save its dmesg and pass the file",
                                           vk_host_root(h), vk_host_root(h), vk_errno_text(r));
                        return r;
                }
                return vk_diag_read_fd(d, in, fd);
        }
        r = vk_diag_input_add(d, "kernel log", &in);
        if (r < 0)
                return r;
        r = vk_host_open(h, "dev/kmsg", O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
        if (r >= 0) {
                r = read_kmsg(d, in, fd);
                if (r >= 0 || r == -ENOMEM)
                        return r;
        }
        r = read_klog(d, in);
        if (r == -EPERM || r == -EACCES) {
                vk_diag_input_fail(d, in, "the kernel log: reading it needs root on this host (kernel.dmesg_restrict): "
                                   "sudo vfiokit diagnose --dmesg, or save `sudo dmesg > dmesg.txt` and pass the file");
                return r;
        }
        if (r < 0 && r != -ENOMEM)
                vk_diag_input_fail(d, in, "the kernel log: neither /dev/kmsg nor klogctl could be read (%s)",
                                   strerror(-r));
        return r;
}

/* libsystemd's journal API, loaded at run time so that vfiokit needs libsystemd only to read the journal. */
typedef struct sd_journal sd_journal;
typedef struct journal_api {
        void *lib;
        int (*open)(sd_journal **ret, int flags);
        int (*open_directory_fd)(sd_journal **ret, int fd, int flags);
        void (*close)(sd_journal *j);
        int (*add_match)(sd_journal *j, const void *data, size_t size);
        int (*next)(sd_journal *j);
        int (*get_data)(sd_journal *j, const char *field, const void **data, size_t *len);
} journal_api;
#define SD_JOURNAL_LOCAL_ONLY 1
#define SD_JOURNAL_SYSTEM 4
#define SD_JOURNAL_OS_ROOT 16

static bool journal_load(journal_api *a) {
        a->lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!a->lib)
                return false;
        *(void **)&a->open = dlsym(a->lib, "sd_journal_open");
        *(void **)&a->open_directory_fd = dlsym(a->lib, "sd_journal_open_directory_fd");
        *(void **)&a->close = dlsym(a->lib, "sd_journal_close");
        *(void **)&a->add_match = dlsym(a->lib, "sd_journal_add_match");
        *(void **)&a->next = dlsym(a->lib, "sd_journal_next");
        *(void **)&a->get_data = dlsym(a->lib, "sd_journal_get_data");
        return a->open && a->open_directory_fd && a->close && a->add_match && a->next && a->get_data;
}

/* FIELD=value of the current entry, without "FIELD=". */
static bool journal_field(const journal_api *a, sd_journal *j, const char *field, const char **ret, size_t *ret_len) {
        const void *data;
        size_t len, fl = strlen(field);

        if (a->get_data(j, field, &data, &len) < 0 || len <= fl || memcmp(data, field, fl) || ((char *)data)[fl] != '=')
                return false;
        *ret = (const char *)data + fl + 1;
        *ret_len = len - fl - 1;
        return true;
}

int vk_diag_read_journal(vk_diag *d, vk_host *h) {
        journal_api a = {0};
        sd_journal *j = NULL;
        _cleanup_close_ int rootfd = -1;
        _cleanup_free_ char *line = malloc(VK_DIAG_LINE_MAX + 1);
        size_t in, entries = 0;
        bool live = vk_host_is_live(h);
        int r = vk_diag_input_add(d, live ? "journal (this boot)" : "journal", &in);

        if (r < 0 || !line)
                return r < 0 ? r : -ENOMEM;
        if (!journal_load(&a)) {
                if (a.lib)
                        dlclose(a.lib);
                vk_diag_input_fail(d, in, "the journal: libsystemd.so.0 (Debian: libsystemd0) cannot be loaded, so "
                                   "vfiokit cannot read it; save `journalctl -b > journal.txt` and pass the file");
                return -ENOPKG;
        }
        if (live) {
                r = a.open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
                _cleanup_free_ char *boot = NULL;
                if (r >= 0 && vk_host_read_file(h, "proc/sys/kernel/random/boot_id", 64, &boot, NULL) >= 0) {
                        char match[64] = "_BOOT_ID=";
                        size_t k = strlen(match);
                        for (const char *p = boot; *p && k < sizeof(match) - 1; p++)
                                if (*p != '-' && *p != '\n')
                                        match[k++] = *p;
                        match[k] = 0;
                        r = a.add_match(j, match, k);
                }
        } else {
                r = vk_host_open(h, "", O_RDONLY | O_DIRECTORY, &rootfd);
                if (r >= 0)
                        r = a.open_directory_fd(&j, rootfd, SD_JOURNAL_OS_ROOT);
        }
        if (r < 0) {
                vk_diag_input_fail(d, in, "the journal: cannot open it (%s)%s", strerror(-r),
                                   r == -EACCES || r == -EPERM ? "; sudo, or membership in group systemd-journal" : "");
                if (j)
                        a.close(j);
                dlclose(a.lib);
                return r;
        }
        while ((r = a.next(j)) > 0) {
                const char *msg, *ident;
                size_t mlen, ilen;
                entries++;
                if (!journal_field(&a, j, "MESSAGE", &msg, &mlen))
                        continue;
                if (!journal_field(&a, j, "SYSLOG_IDENTIFIER", &ident, &ilen))
                        ident = "?", ilen = 1;
                /* "kernel: …", "libvirtd: …": as journalctl shows them; a multi-line message gives several lines */
                for (const char *p = msg; p < msg + mlen && r >= 0;) {
                        const char *nl = memchr(p, '\n', (size_t)(msg + mlen - p));
                        size_t len = nl ? (size_t)(nl - p) : (size_t)(msg + mlen - p);
                        int n = snprintf(line, VK_DIAG_LINE_MAX + 1, "%.*s: %.*s", (int)(ilen < 64 ? ilen : 64), ident,
                                         (int)(len < VK_DIAG_LINE_MAX ? len : VK_DIAG_LINE_MAX), p);
                        r = vk_diag_feed_line(d, in, line, n < 0 ? 0 : (size_t)n);
                        p += len + 1;
                }
                if (r < 0)
                        break;
        }
        a.close(j);
        dlclose(a.lib);
        if (r < 0) {
                if (r != -ENOMEM)
                        vk_diag_input_fail(d, in, "the journal: reading it failed (%s)", strerror(-r));
                return r;
        }
        if (entries == 0) {
                if (live)
                        vk_diag_input_fail(d, in, "the journal has no entries for this boot (no systemd-journald, or "
                                           "not readable by this user: sudo, or group systemd-journal)");
                else
                        vk_diag_input_fail(d, in, "the journal: %s/var/log/journal and run/log/journal hold no "
                                           "entries", vk_host_root(h));
                return -ENODATA;
        }
        return 0;
}

int vk_diag_read_libvirt(vk_diag *d, vk_host *h, const char *vm) {
        _cleanup_free_ char *path = NULL, *name = NULL;
        _cleanup_close_ int fd = -1;
        size_t in;
        int r;

        if (!*vm || strchr(vm, '/') || vk_streq(vm, ".") || vk_streq(vm, "..")) {
                r = vk_diag_input_add(d, vm, &in);
                if (r >= 0)
                        vk_diag_input_fail(d, in, "--libvirt '%s': not a domain name (virsh list --all shows them)", vm);
                return r < 0 ? r : -EINVAL;
        }
        path = vk_printf("var/log/libvirt/qemu/%s.log", vm);
        name = vk_printf("/%s", path ? path : "");
        if (!path || !name)
                return -ENOMEM;
        r = vk_diag_input_add(d, name, &in);
        if (r < 0)
                return r;
        r = vk_host_open(h, path, O_RDONLY | O_NOCTTY, &fd);
        if (r == -ENOENT)
                vk_diag_input_fail(d, in, "no libvirt log for VM '%s': %s%s does not exist (libvirt names it after the "
                                   "domain: virsh list --all)", vm, vk_host_is_live(h) ? "" : vk_host_root(h), name);
        else if (r == -EACCES)
                vk_diag_input_fail(d, in, "%s: permission denied; libvirt's logs are root's: sudo vfiokit diagnose "
                                   "--libvirt %s", name, vm);
        else if (r < 0)
                vk_diag_input_fail(d, in, "%s: %s", name, strerror(-r));
        if (r < 0)
                return r;
        return vk_diag_read_fd(d, in, fd);
}
