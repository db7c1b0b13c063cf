/* fuzz-diagnose.c — libFuzzer target: the log matcher, grouping and explanation on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static vk_diag *d; /* compiled once: regcomp of the table costs more than matching a short input */
        size_t in, n, n_in, matched = 0;

        if (!d && vk_diag_new(&d) < 0)
                __builtin_trap(); /* the table's regexes always compile */
        vk_diag_reset(d);
        if (vk_diag_input_add(d, "fuzz", &in) < 0 || vk_diag_feed(d, in, (const char *)data, size) < 0)
                goto out;
        const vk_diag_input *inputs = vk_diag_inputs(d, &n_in);
        const vk_finding *f = vk_diag_findings(d, &n);
        for (size_t i = 0; i < n; i++) {
                if (f[i].count < 1 || f[i].first_line < 1 || f[i].first_line > f[i].last_line ||
                    f[i].last_line > inputs[in].lines || !f[i].line || strlen(f[i].line) > VK_DIAG_LINE_MAX)
                        __builtin_trap();
                if (f[i].device[0] && !vk_is_pci_addr(f[i].device))
                        __builtin_trap();
                matched += f[i].count;
        }
        if (matched + vk_diag_dropped(d) > inputs[in].lines)
                __builtin_trap();
        /* every line the grouping counted, the single-line matcher agrees on */
        const char *first = memchr(data, '\n', size) ? (const char *)data : NULL;
        if (first) {
                size_t len = (size_t)((const char *)memchr(data, '\n', size) - first);
                const char *ids[16];
                const char *id = vk_diag_match(d, first, len);
                size_t k = vk_diag_match_all(d, first, len, ids, 16);
                if (id && k == 0)
                        __builtin_trap();
        }
        if (vk_diag_explain(d, NULL, NULL) < 0)
                goto out;
        f = vk_diag_findings(d, &n);
        for (size_t i = 0; i < n; i++)
                if (!f[i].cause || !f[i].fix)
                        __builtin_trap();
out:
        vk_diag_reset(d);
        return 0;
}
