/* fuzz-firmware.c — libFuzzer target: QEMU firmware descriptors (vk_firmware_parse) and vm sizes (vk_vm_parse_size). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
        do {                              \
                if (!(x))                 \
                        __builtin_trap(); \
        } while (0)

static void check_firmware(const char *json, size_t len) {
        vk_firmware f = {0};
        vk_error err = {0};
        int r = vk_firmware_parse("/fuzz.json", json, len, &f, &err);

        CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r < 0) {
                CHECK(f.code == NULL && f.descriptor == NULL); /* ret untouched on failure */
                CHECK(r == -ENOMEM || strstr(err.msg, "/fuzz.json"));
                return;
        }
        CHECK(f.code && f.code[0] == '/' && f.vars && f.vars[0] == '/');
        CHECK(strcmp(f.code_format, "raw") == 0 || strcmp(f.code_format, "qcow2") == 0);
        CHECK(strcmp(f.vars_format, "raw") == 0 || strcmp(f.vars_format, "qcow2") == 0);
        CHECK(strcmp(f.descriptor, "/fuzz.json") == 0);
        CHECK(!f.enrolled_keys || strstr(json, "enrolled-keys"));
        vk_firmware_clear(&f);
}

/* digits, then at most one unit letter and "iB"/"B": the reference for what vk_vm_parse_size accepts */
static void check_size(const char *s) {
        uint64_t bytes = 0xdeadbeef;
        size_t digits = strspn(s, "0123456789");
        int r = vk_vm_parse_size(s, 1, &bytes);

        if (r == 0) {
                CHECK(digits > 0 && bytes > 0);
                CHECK(s[digits] == 0 || strchr("kKmMgGtT", s[digits]));
        } else {
                CHECK(r == -EINVAL || r == -ERANGE);
                CHECK(bytes == 0xdeadbeef);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        check_firmware(s, size);
        if (size < 64)
                check_size(s);
        free(s);
        return 0;
}
