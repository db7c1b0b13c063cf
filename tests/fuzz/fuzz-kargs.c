/* fuzz-kargs.c — libFuzzer target: the kernel command-line editor on any bytes (first byte: which change). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-edit.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int kargs(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret, vk_error *err) {
        return vk_kargs_edit(name, text, len, arg, ret, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        vk_kargs_change c;
        vk_edit_result r;

        if (size < 1)
                return 0;
        c = fuzz_change(data[0]);
        r = fuzz_edit_check(kargs, (const char *)data + 1, size - 1, &c);
        if (r.text) {
                /* every key we add is on the line afterwards: ours, or a conflicting value left as it was */
                vk_cmdline_arg *a = NULL;
                size_t n = 0;
                FUZZ_CHECK(vk_cmdline_parse(r.text, &a, &n) == 0);
                for (size_t i = 0; i < c.add.n; i++) {
                        char key[64];
                        size_t k = strcspn(c.add.v[i], "=");
                        snprintf(key, sizeof(key), "%.*s", (int)k, c.add.v[i]);
                        FUZZ_CHECK(vk_cmdline_find(a, n, key) != NULL);
                }
                vk_cmdline_free(a, n);
        }
        vk_edit_result_clear(&r);
        fuzz_change_clear(&c);
        return 0;
}
