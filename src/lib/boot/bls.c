/* bls.c — edit the "options" lines of a Boot Loader Specification entry (systemd-boot's loader/entries/NAME.conf).
 * The kernel gets every options line joined by spaces, so they are planned as one command line; new arguments go
 * on the last options line, or on a new one when there is none. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>

int vk_bls_entry_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c,
                      vk_edit_result *ret, vk_error *err) {
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        _cleanup_(vk_mapped_clear) vk_mapped m = {0};
        _cleanup_(vk_splice_clear) vk_splice s = {0};
        _cleanup_free_ vk_range *ranges = NULL;
        size_t n = 0, cap = 0, key_end = 0;
        char *out;
        size_t out_len;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        /* "key value" lines; '#' starts a comment line */
        for (size_t p = 0; p < len;) {
                const char *nl = memchr(text + p, '\n', len - p);
                size_t end = nl ? (size_t)(nl - text) : len, q = p, v, vend = end;
                p = nl ? end + 1 : len;
                while (q < end && (text[q] == ' ' || text[q] == '\t'))
                        q++;
                if (end - q < 7 || memcmp(text + q, "options", 7) != 0 ||
                    (q + 7 < end && !strchr(" \t\r", text[q + 7])))
                        continue;
                for (v = q + 7; v < end && (text[v] == ' ' || text[v] == '\t'); v++)
                        ;
                while (vend > v && strchr(" \t\r", text[vend - 1]))
                        vend--;
                void *grown = ranges;
                if ((r = vk_grow(&grown, &cap, n, sizeof(*ranges))) < 0)
                        return r;
                ranges = grown;
                ranges[n++] = (vk_range){v, vend};
                key_end = q + 7;
        }
        r = vk_kargs_plan_ranges(name, text, ranges, n, c, &m, &plan, &notes, err);
        if (r < 0)
                return r;
        if (!vk_kargs_plan_changes(&plan))
                return vk_edit_result_set(ret, text, len, NULL, 0, &notes);
        if ((r = vk_splice_init(&s, len)) < 0)
                return r;
        vk_splice_cut(&s, &m, &plan);
        if (plan.ins) {
                if (!plan.ins_at_start)
                        r = vk_splice_insert(&s, m.raw[plan.ins_after] + 1, strdup(plan.ins));
                else if (n > 0) /* options lines without any argument: the last one gets them */
                        r = vk_splice_insert(&s, ranges[n - 1].start,
                                             vk_printf("%s%s", ranges[n - 1].start == key_end ? " " : "", plan.ins));
                else {
                        const char *eol = vk_edit_eol(text, len);
                        bool open_end = len > 0 && text[len - 1] != '\n';
                        r = vk_splice_insert(&s, len, vk_printf("%soptions %s%s", open_end ? eol : "", plan.ins,
                                                                open_end ? "" : eol));
                }
                if (r < 0)
                        return r;
        }
        r = vk_splice_apply(&s, text, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}
