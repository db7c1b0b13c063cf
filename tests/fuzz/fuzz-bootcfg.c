/* fuzz-bootcfg.c — libFuzzer target: the BLS entry, rEFInd, Limine and kernelstub editors on any bytes (first byte:
 * which editor, and which change). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WRAP(fn)                                                                                                   \
        static int fn##_(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret,     \
                         vk_error *err) {                                                                          \
                return fn(name, text, len, arg, ret, err);                                                         \
        }
WRAP(vk_bls_entry_edit)
WRAP(vk_refind_edit)
WRAP(vk_limine_edit)
WRAP(vk_kernelstub_edit)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const fuzz_editor editors[] = {vk_bls_entry_edit_, vk_refind_edit_, vk_limine_edit_, vk_kernelstub_edit_};
        vk_kargs_change c;
        vk_edit_result r;

        if (size < 1)
                return 0;
        c = fuzz_change(data[0] >> 2);
        r = fuzz_edit_check(editors[data[0] % 4], (const char *)data + 1, size - 1, &c);
        vk_edit_result_clear(&r);
        fuzz_change_clear(&c);
        return 0;
}
