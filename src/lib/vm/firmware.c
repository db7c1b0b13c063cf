/* firmware.c — choose UEFI firmware (OVMF) from QEMU's firmware descriptors, as QEMU and libvirt do. */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <string.h>

#define MAX_DESCRIPTOR (256u << 10)

/* System descriptors first; a file of the same name under /etc replaces it (QEMU's interop rules). */
static const char *const descriptor_dirs[] = {"usr/share/qemu/firmware", "etc/qemu/firmware"};

void vk_firmware_clear(vk_firmware *f) {
        free(f->descriptor);
        free(f->code);
        free(f->code_format);
        free(f->vars);
        free(f->vars_format);
        *f = (vk_firmware){0};
}

static json_object *member(json_object *o, const char *key, json_type type) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

static bool array_has_string(json_object *a, const char *s) {
        size_t n = a ? json_object_array_length(a) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (json_object_is_type(e, json_type_string) && vk_streq(json_object_get_string(e), s))
                        return true;
        }
        return false;
}

/* A machine pattern fits q35 when it matches any versioned q35 type ("pc-q35-*", "pc-q35-7.*", "q35"). */
static bool machine_fits_q35(const char *pattern) {
        return fnmatch(pattern, "q35", 0) == 0 || fnmatch(pattern, "pc-q35-", 0) == 0 ||
               vk_startswith(pattern, "pc-q35-");
}

static bool targets_fit(json_object *targets) {
        size_t n = targets ? json_object_array_length(targets) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(targets, i);
                json_object *arch = member(t, "architecture", json_type_string);
                json_object *machines = member(t, "machines", json_type_array);
                size_t k = machines ? json_object_array_length(machines) : 0;

                if (!arch || !vk_streq(json_object_get_string(arch), "x86_64"))
                        continue;
                for (size_t j = 0; j < k; j++) {
                        json_object *p = json_object_array_get_idx(machines, j);
                        if (json_object_is_type(p, json_type_string) && machine_fits_q35(json_object_get_string(p)))
                                return true;
                }
        }
        return false;
}

/* mapping.executable / mapping.nvram-template: {"filename": "/abs/path", "format": "raw"} */
static int flash_file(json_object *mapping, const char *key, char **ret_file, char **ret_format) {
        json_object *o = member(mapping, key, json_type_object);
        json_object *file = member(o, "filename", json_type_string);
        json_object *format = member(o, "format", json_type_string);
        const char *fmt = format ? json_object_get_string(format) : "raw";

        if (!file || json_object_get_string(file)[0] != '/')
                return -EINVAL;
        if (!vk_streq(fmt, "raw") && !vk_streq(fmt, "qcow2"))
                return -EINVAL;
        *ret_file = strdup(json_object_get_string(file));
        *ret_format = strdup(fmt);
        return *ret_file && *ret_format ? 0 : -ENOMEM;
}

int vk_firmware_parse(const char *path, const char *json, size_t len, vk_firmware *ret, vk_error *err) {
        json_tokener *tok = json_tokener_new();
        json_object *root = NULL, *mapping, *features, *dev, *mode;
        vk_firmware f = {0};
        int r = -EINVAL;

        if (!tok)
                return -ENOMEM;
        if (len > INT32_MAX)
                len = INT32_MAX;
        root = json_tokener_parse_ex(tok, json, (int)len);
        if (!root || json_tokener_get_error(tok) != json_tokener_success) {
                vk_error_set(err, -EINVAL, "%s: not valid JSON (%s)", path,
                             json_tokener_error_desc(json_tokener_get_error(tok)));
                goto out;
        }
        if (!json_object_is_type(root, json_type_object)) {
                vk_error_set(err, -EINVAL, "%s: not a firmware descriptor (no JSON object)", path);
                goto out;
        }
        if (!array_has_string(member(root, "interface-types", json_type_array), "uefi")) {
                vk_error_set(err, -EINVAL, "%s: not UEFI firmware", path);
                goto out;
        }
        mapping = member(root, "mapping", json_type_object);
        dev = member(mapping, "device", json_type_string);
        mode = member(mapping, "mode", json_type_string);
        /* "memory" (SEV/TDX) and "kernel" mappings, and stateless or combined flash, have no variable template */
        if (!dev || !vk_streq(json_object_get_string(dev), "flash") ||
            (mode && !vk_streq(json_object_get_string(mode), "split"))) {
                vk_error_set(err, -EINVAL, "%s: not split flash firmware (code and variable store)", path);
                goto out;
        }
        if (!targets_fit(member(root, "targets", json_type_array))) {
                vk_error_set(err, -EINVAL, "%s: not for x86_64 q35 machines", path);
                goto out;
        }
        r = flash_file(mapping, "executable", &f.code, &f.code_format);
        if (r == 0)
                r = flash_file(mapping, "nvram-template", &f.vars, &f.vars_format);
        if (r == -EINVAL)
                vk_error_set(err, r, "%s: mapping has no absolute executable and nvram-template filenames", path);
        if (r < 0)
                goto out;
        features = member(root, "features", json_type_array);
        f.secure_boot = array_has_string(features, "secure-boot");
        f.enrolled_keys = array_has_string(features, "enrolled-keys");
        f.requires_smm = array_has_string(features, "requires-smm");
        f.descriptor = strdup(path);
        if (!f.descriptor) {
                r = -ENOMEM;
                goto out;
        }
        *ret = f;
        f = (vk_firmware){0};
        r = 0;
out:
        vk_firmware_clear(&f);
        json_object_put(root);
        json_tokener_free(tok);
        return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool file_exists(vk_host *h, const char *path) {
        bool is_dir;
        return vk_host_stat(h, path, &is_dir) >= 0 && !is_dir;
}

static const char *ovmf_package(const char *os_id) {
        if (!os_id)
                return "OVMF (Debian/Ubuntu: ovmf; Fedora: edk2-ovmf; Arch: edk2-ovmf; openSUSE: qemu-ovmf-x86_64)";
        if (vk_streq(os_id, "debian") || vk_streq(os_id, "ubuntu") || vk_streq(os_id, "linuxmint") ||
            vk_streq(os_id, "pop"))
                return "ovmf (apt install ovmf)";
        if (vk_streq(os_id, "fedora") || vk_streq(os_id, "rhel") || vk_streq(os_id, "centos") ||
            vk_streq(os_id, "rocky") || vk_streq(os_id, "almalinux"))
                return "edk2-ovmf (dnf install edk2-ovmf)";
        if (vk_streq(os_id, "arch") || vk_streq(os_id, "manjaro") || vk_streq(os_id, "endeavouros"))
                return "edk2-ovmf (pacman -S edk2-ovmf)";
        if (vk_startswith(os_id, "opensuse"))
                return "qemu-ovmf-x86_64 (zypper install qemu-ovmf-x86_64)";
        return "OVMF (Debian/Ubuntu: ovmf; Fedora: edk2-ovmf; Arch: edk2-ovmf; openSUSE: qemu-ovmf-x86_64)";
}

/* The descriptor paths in effect, sorted by file name; /etc wins, empty files hide. */
static int descriptor_paths(vk_host *h, vk_strv *ret) {
        vk_strv names = {0}, paths = {0};
        int r = 0;

        for (size_t d = 0; d < ELEMENTSOF(descriptor_dirs) && r >= 0; d++) {
                vk_strv entries = {0};
                if (vk_host_list_dir(h, descriptor_dirs[d], &entries) < 0)
                        continue;
                for (size_t i = 0; i < entries.n && r >= 0; i++) {
                        size_t len = strlen(entries.v[i]);
                        if (len > 5 && vk_streq(entries.v[i] + len - 5, ".json") &&
                            !vk_strv_contains(&names, entries.v[i]))
                                r = vk_strv_push(&names, entries.v[i]);
                }
                vk_strv_clear(&entries);
        }
        if (names.n)
                qsort(names.v, names.n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                /* the last directory that has the name decides */
                for (size_t d = ELEMENTSOF(descriptor_dirs); d-- > 0;) {
                        _cleanup_free_ char *p = vk_printf("%s/%s", descriptor_dirs[d], names.v[i]);
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        if (file_exists(h, p)) {
                                r = vk_strv_push(&paths, p);
                                break;
                        }
                }
        }
        vk_strv_clear(&names);
        if (r < 0) {
                vk_strv_clear(&paths);
                return r;
        }
        *ret = paths;
        return 0;
}

int vk_firmware_select(vk_host *h, const char *os_id, bool secure, vk_firmware *ret, vk_error *err) {
        vk_strv paths = {0};
        vk_firmware fallback = {0};
        _cleanup_free_ char *missing = NULL; /* "X names Y, which is missing" for the error */
        int r, found = 0, usable = 0;

        r = descriptor_paths(h, &paths);
        if (r < 0)
                return vk_error_set(err, r, "reading the QEMU firmware descriptors: %s", strerror(-r));
        for (size_t i = 0; i < paths.n && !found; i++) {
                _cleanup_free_ char *json = NULL, *abs = vk_printf("/%s", paths.v[i]);
                size_t len = 0;
                vk_firmware f = {0};

                if (!abs) {
                        r = -ENOMEM;
                        break;
                }
                r = vk_host_read_file(h, paths.v[i], MAX_DESCRIPTOR, &json, &len);
                if (r == -ENOMEM)
                        break;
                if (r < 0 || len == 0) /* unreadable, or an empty file that hides a system one */
                        continue;
                r = vk_firmware_parse(abs, json, len, &f, NULL);
                if (r == -ENOMEM)
                        break;
                if (r < 0)
                        continue;
                /* a descriptor of a package that is half removed: QEMU could not start with it */
                if (!file_exists(h, f.code) || !file_exists(h, f.vars)) {
                        if (!missing)
                                missing = vk_printf(" (%s names %s, which is missing)", abs,
                                                    file_exists(h, f.code) ? f.vars : f.code);
                        vk_firmware_clear(&f);
                        continue;
                }
                usable++;
                if (secure ? f.secure_boot && f.enrolled_keys : !f.secure_boot) {
                        *ret = f;
                        found = 1;
                } else if (!secure && !f.enrolled_keys && !fallback.descriptor)
                        fallback = f; /* Secure Boot without keys enrolled behaves like plain firmware */
                else
                        vk_firmware_clear(&f);
        }
        vk_strv_clear(&paths);
        if (r == -ENOMEM) {
                vk_firmware_clear(&fallback);
                return vk_error_set(err, r, "out of memory");
        }
        if (found) {
                vk_firmware_clear(&fallback);
                return 0;
        }
        if (fallback.descriptor) {
                *ret = fallback;
                return 0;
        }
        if (usable)
                return vk_error_set(err, -ENOENT,
                                    "no UEFI firmware with Secure Boot and the Microsoft keys enrolled (Windows 11 needs "
                                    "both) among the descriptors in /usr/share/qemu/firmware and /etc/qemu/firmware; "
                                    "install %s, or use --os win10",
                                    ovmf_package(os_id));
        return vk_error_set(err, -ENOENT,
                            "no UEFI firmware for x86_64 q35 is installed (no usable descriptor in "
                            "/usr/share/qemu/firmware or /etc/qemu/firmware%s); install %s",
                            missing ? missing : "", ovmf_package(os_id));
}
