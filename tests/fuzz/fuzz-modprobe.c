/* fuzz-modprobe.c — libFuzzer target: the modprobe.d reader (kmod's line grammar) and the options parameter parser
 * on any bytes; checks what every caller relies on, not only that nothing crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/modprobe-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *)data;
        vk_mpd_line *v = NULL;
        size_t n = 0, lines = 1, prev = 0;

        for (size_t i = 0; i < size; i++)
                lines += text[i] == '\n';
        if (vk_modprobe_conf_parse(text, size, &v, &n) < 0)
                __builtin_trap(); /* content never fails, only memory could */
        for (size_t i = 0; i < n; i++) {
                const vk_mpd_line *l = &v[i];
                char *value = NULL;
                vk_strv others = {0};
                /* FILE:LINE in warnings: increasing, inside the file */
                if (l->line <= prev || l->line > lines)
                        __builtin_trap();
                prev = l->line;
                if (l->cmd != VK_MPD_BAD && l->cmd != VK_MPD_OTHER && (!l->module || !l->args || strchr(l->module, '-')))
                        __builtin_trap();
                if (l->cmd == VK_MPD_OPTIONS) {
                        if (!l->args[0] || vk_modprobe_param(l->args, "ids", &value, &others) < 0)
                                __builtin_trap();
                        /* the value is what follows "ids=" in one word of the line */
                        if (value && strlen(value) + 4 > strlen(l->args))
                                __builtin_trap();
                        free(value);
                        vk_strv_clear(&others);
                }
        }
        vk_mpd_lines_free(v, n);
        return 0;
}
