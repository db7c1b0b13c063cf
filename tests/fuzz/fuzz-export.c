/* fuzz-export.c — libFuzzer target for what export parses: capture tars from other hosts (vk_capture_unpack_fd,
 * then the model loader and every export renderer on what was unpacked) and the names it derives from pci.ids
 * strings and file names.
 *
 * Input: first byte even → the rest is a tar (optionally compressed); odd → the rest is a device name, a host
 * file name and an etc/hostname, split at 0xff. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "export.h"
#include "fleet.h"
#include "fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                 \
        do {                                                                     \
                if (!(x)) {                                                      \
                        fprintf(stderr, "fuzz-export: check failed: %s\n", #x); \
                        __builtin_trap();                                        \
                }                                                                \
        } while (0)

static char parent[PATH_MAX];
static const char *unpacked;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tmp = getenv("TMPDIR");
        (void)argc;
        (void)argv;
        if (!tmp && access("/dev/shm", W_OK) == 0)
                tmp = "/dev/shm";
        snprintf(parent, sizeof(parent), "%s/fuzz-export-XXXXXX", tmp ? tmp : "/tmp");
        CHECK(mkdtemp(parent));
        return 0;
}

/* Every symlink that was unpacked resolves (physically, as the kernel does) inside the capture or nowhere. */
static int check_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void)st;
        (void)ftw;
        if (type == FTW_SL || type == FTW_SLN) {
                char real[PATH_MAX];
                if (realpath(path, real)) {
                        size_t n = strlen(unpacked);
                        CHECK(strncmp(real, unpacked, n) == 0 && (real[n] == '/' || real[n] == 0));
                }
        }
        return 0;
}

static bool qualified_name(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
                        return false;
        return true;
}

static void fuzz_names(const char *name, const char *file, const char *hostname) {
        vk_export_func f = {.vendor = 0x10de, .device = 0x2484, .name = (char *)name};
        char *res = vk_export_resource_name(&f), *alias = vk_export_alias_name(&f), *id = vk_export_mapping_id(&f);
        char *node = vk_export_name_from_file(file);
        const char *slash;

        CHECK(res && alias && id);
        slash = strchr(res, '/');
        CHECK(slash && qualified_name(slash + 1));
        CHECK(*alias && !strpbrk(alias, ":, ") && strlen(alias) <= 63);
        CHECK(isalpha((unsigned char)id[0]) && strlen(id) >= 2);
        for (const char *p = id; *p; p++)
                CHECK(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_');
        CHECK(!node || vk_export_valid_node_name(node));
        free(res);
        free(alias);
        free(id);
        free(node);
        {
                /* etc/hostname in a root: a valid node name or none */
                char *root = fx_new();
                vk_host *h = NULL;
                char *got = NULL;
                fx_file(root, "etc/hostname", hostname);
                CHECK(vk_host_new(root, &h) == 0);
                if (vk_export_hostname(h, NULL, &got) == 0) {
                        CHECK(vk_export_valid_node_name(got));
                        free(got);
                }
                vk_host_free(h);
                fx_remove(root);
        }
}

static void fuzz_tar(const uint8_t *data, size_t size) {
        int fd = memfd_create("capture", MFD_CLOEXEC);
        char *dir = NULL;
        vk_error err = {0};

        CHECK(fd >= 0);
        CHECK(write(fd, data, size) == (ssize_t)size);
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        if (vk_capture_unpack_fd(fd, "fuzz.tar", parent, &dir, &err) == 0) {
                vk_host *h = NULL;
                vk_model *m = NULL;

                unpacked = dir;
                CHECK(nftw(dir, check_entry, 16, FTW_PHYS) == 0);
                CHECK(vk_host_new(dir, &h) == 0);
                if (vk_model_load(h, &m) == 0) {
                        vk_export e = {0};
                        char *name = NULL;
                        if (vk_export_hostname(h, "fuzz", &name) == 0 &&
                            vk_export_add_host(&e, m, name, "fuzz.tar", NULL, 0, false, &err) == 0 &&
                            vk_export_merge(&e, true, &err) == 0) {
                                char *text = NULL;
                                json_object *o = NULL;
                                CHECK(vk_export_kubevirt_yaml(&e, &text) == 0);
                                free(text);
                                CHECK(vk_export_nova(&e, &text) == 0);
                                free(text);
                                CHECK(vk_export_proxmox(&e, &text) == 0);
                                free(text);
                                CHECK(vk_export_json(&e, VK_EXPORT_PROXMOX, &o) == 0);
                                json_object_put(o);
                        }
                        free(name);
                        vk_export_clear(&e);
                        vk_model_free(m);
                }
                vk_host_free(h);
                CHECK(vk_capture_remove(dir) == 0);
                free(dir);
        } else
                CHECK(err.msg[0]);
        close(fd);
        /* nothing left behind, whatever the input */
        CHECK(rmdir(parent) == 0 && mkdir(parent, 0700) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size == 0)
                return 0;
        if (data[0] % 2 == 0) {
                fuzz_tar(data + 1, size - 1);
                return 0;
        }
        {
                char *s = strndup((const char *)data + 1, size - 1), *parts[3] = {"", "", ""};
                size_t n = 0;
                CHECK(s);
                parts[n++] = s;
                for (char *p = s; *p && n < 3; p++)
                        if ((unsigned char)*p == 0xff) {
                                *p = 0;
                                parts[n++] = p + 1;
                        }
                fuzz_names(parts[0], parts[1], parts[2]);
                free(s);
        }
        return 0;
}
