/* fuzz-bootjournal.c — libFuzzer target: the boot journal's parser, and its serializer on whatever parsed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootjournal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        vk_boot_journal j = {0}, again = {0};
        vk_error err = {0};
        char *text = NULL, *text2 = NULL;

        if (vk_bj_parse((const char *)data, size, &j, &err) < 0) {
                if (!err.msg[0])
                        __builtin_trap(); /* a refusal always says why */
                return 0;
        }
        /* what was accepted serializes, parses again and serializes to the same text (revert relies on it) */
        if (vk_bj_serialize(&j, &text) < 0 || vk_bj_parse(text, strlen(text), &again, &err) < 0 ||
            vk_bj_serialize(&again, &text2) < 0 || strcmp(text, text2) != 0)
                __builtin_trap();
        for (size_t i = 0; i < j.n_files; i++)
                if (!j.files[i].path[0] || j.files[i].path[0] == '/' || strstr(j.files[i].path, "/../"))
                        __builtin_trap();
        free(text);
        free(text2);
        vk_bj_clear(&j);
        vk_bj_clear(&again);
        return 0;
}
