/* fuzz-grub.c — libFuzzer target: the /etc/default/grub editor on any bytes (first byte: which change), and the
 * reader of one variable (vk_sh_value, what --trial-boot reads GRUB_DEFAULT with). */
#include <stdint.h>
#include <stdlib.h>

#include "boot/edit-internal.h"
#include "fuzz-edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int grub(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret, vk_error *err) {
        return vk_grub_edit(name, text, len, arg, ret, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        vk_kargs_change c;
        vk_edit_result r;

        if (size < 1)
                return 0;
        c = fuzz_change(data[0]);
        r = fuzz_edit_check(grub, (const char *)data + 1, size - 1, &c);
        /* the variable is there afterwards (added when missing) */
        if (r.text)
                FUZZ_CHECK(strstr(r.text, "GRUB_CMDLINE_LINUX_DEFAULT=") != NULL || !r.changed);
        vk_edit_result_clear(&r);
        fuzz_change_clear(&c);
        {
                vk_error err = {0};
                char *v = NULL;
                /* a refusal says why; a value is a string (expansions as written) */
                if (vk_sh_value("/etc/default/grub", (const char *)data + 1, size - 1, "GRUB_DEFAULT", &v, &err) < 0)
                        FUZZ_CHECK(err.msg[0] != 0 && v == NULL);
                free(v);
        }
        return 0;
}
