/* refind.c — edit refind_linux.conf: every line is `"Title" "options"`, one boot entry each, and every entry's
 * options get the same change (rEFInd offers them all; a fallback entry without vfio would undo the setup). */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>

typedef struct field {
        size_t start, end; /* the contents, quotes excluded */
        bool quoted;
} field;

/* Split one line into fields: "quoted" (no escapes in rEFInd) or bare words. */
static int split_fields(const char *name, const char *text, size_t p, size_t end, field *f, size_t max, size_t *ret_n,
                        vk_error *err) {
        size_t n = 0;
        for (;;) {
                while (p < end && strchr(" \t\r", text[p]))
                        p++;
                if (p >= end)
                        break;
                if (text[p] == '"') {
                        const char *close = memchr(text + p + 1, '"', end - p - 1);
                        if (!close)
                                return vk_error_set(err, -EINVAL, "%s:%zu: unterminated \" quote; close it", name,
                                                    vk_edit_line_of(text, p));
                        if (n < max)
                                f[n] = (field){p + 1, (size_t)(close - text), true};
                        p = (size_t)(close - text) + 1;
                } else {
                        size_t s = p;
                        while (p < end && !strchr(" \t\r", text[p])) {
                                if (text[p] == '"')
                                        return vk_error_set(err, -EINVAL,
                                                            "%s:%zu: a \" inside an unquoted field; quote the whole "
                                                            "field: \"Title\" \"options\"",
                                                            name, vk_edit_line_of(text, p));
                                p++;
                        }
                        if (n < max)
                                f[n] = (field){s, p, false};
                }
                n++;
        }
        *ret_n = n;
        return 0;
}

static int edit_entry(const char *name, const char *text, const field *f, size_t n_fields, const vk_kargs_change *c,
                      vk_splice *s, vk_strv *notes, vk_error *err) {
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        _cleanup_(vk_mapped_clear) vk_mapped m = {0};
        _cleanup_(vk_strv_clear) vk_strv mine = {0};
        vk_range range = n_fields > 1 ? (vk_range){f[1].start, f[1].end} : (vk_range){0, 0};
        int r;

        r = vk_kargs_plan_ranges(name, text, &range, n_fields > 1, c, &m, &plan, &mine, err);
        if (r < 0)
                return r;
        if ((r = vk_edit_note_merge(notes, &mine)) < 0)
                return r;
        vk_splice_cut(s, &m, &plan);
        if (!plan.ins)
                return 0;
        if (strchr(plan.ins, '"'))
                return vk_error_set(err, -EINVAL, "%s:%zu: %s holds a \", which refind_linux.conf cannot quote", name,
                                    vk_edit_line_of(text, f[0].start), plan.ins);
        if (n_fields < 2) /* a title without options */
                return vk_splice_insert(s, f[0].end + f[0].quoted, vk_printf(" \"%s\"", plan.ins));
        if (!f[1].quoted && (r = vk_splice_insert(s, f[1].start, strdup("\""))) < 0)
                return r;
        return vk_splice_insert(s, plan.ins_at_start ? f[1].start : m.raw[plan.ins_after] + 1,
                                vk_printf("%s%s", plan.ins, f[1].quoted ? "" : "\""));
}

int vk_refind_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err) {
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_(vk_splice_clear) vk_splice s = {0};
        size_t entries = 0;
        char *out;
        size_t out_len;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        if ((r = vk_splice_init(&s, len)) < 0)
                return r;
        for (size_t p = 0; p < len;) {
                const char *nl = memchr(text + p, '\n', len - p);
                size_t end = nl ? (size_t)(nl - text) : len, q = p, n = 0;
                field f[2];
                p = nl ? end + 1 : len;
                while (q < end && strchr(" \t\r", text[q]))
                        q++;
                if (q >= end || text[q] == '#')
                        continue;
                r = split_fields(name, text, q, end, f, 2, &n, err);
                if (r < 0)
                        return r;
                r = edit_entry(name, text, f, n, c, &s, &notes, err);
                if (r < 0)
                        return r;
                entries++;
        }
        if (entries == 0)
                return vk_error_set(err, -EINVAL,
                                    "%s: no \"Title\" \"options\" line; vfiokit does not invent an entry (it would "
                                    "need root=): add one, or let rEFInd's mkrlconf write the file",
                                    name);
        r = vk_splice_apply(&s, text, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}
