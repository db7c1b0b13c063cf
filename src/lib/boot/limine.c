/* limine.c — edit the kernel command line of every Linux entry of limine.conf ("cmdline:" or "kernel_cmdline:"
 * under an entry with "protocol: linux") and of the older limine.cfg ("CMDLINE=" / "KERNEL_CMDLINE=" under a ":"
 * entry). Each entry is its own command line; an entry without one gets a line after its protocol line. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* One Linux entry being read. */
typedef struct entry {
        bool in_entry, linux_;
        bool old_syntax;     /* KEY=value (limine.cfg) rather than key: value */
        size_t protocol_eol; /* where a new cmdline line goes: after the protocol line */
        size_t indent_start, indent_end;
        bool have_cmdline;
        vk_range cmdline;
        size_t cmdline_key_end;
} entry;

static bool key_is(const char *k, size_t n, const char *want) { return strlen(want) == n && strncasecmp(k, want, n) == 0; }

static int finish_entry(const char *name, const char *text, size_t len, const entry *e, const vk_kargs_change *c,
                        vk_splice *s, vk_strv *notes, vk_error *err) {
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        _cleanup_(vk_mapped_clear) vk_mapped m = {0};
        _cleanup_(vk_strv_clear) vk_strv mine = {0};
        int r;

        if (!e->linux_)
                return 0;
        r = vk_kargs_plan_ranges(name, text, &e->cmdline, e->have_cmdline, c, &m, &plan, &mine, err);
        if (r < 0)
                return r;
        if ((r = vk_edit_note_merge(notes, &mine)) < 0)
                return r;
        vk_splice_cut(s, &m, &plan);
        if (!plan.ins)
                return 0;
        if (!e->have_cmdline) {
                const char *eol = vk_edit_eol(text, len);
                bool open_end = e->protocol_eol == len && len > 0 && text[len - 1] != '\n';
                return vk_splice_insert(s, e->protocol_eol,
                                        vk_printf("%s%.*s%s%s%s", open_end ? eol : "",
                                                  (int)(e->indent_end - e->indent_start), text + e->indent_start,
                                                  e->old_syntax ? "CMDLINE=" : "cmdline: ", plan.ins,
                                                  open_end ? "" : eol));
        }
        if (!plan.ins_at_start)
                return vk_splice_insert(s, m.raw[plan.ins_after] + 1, strdup(plan.ins));
        /* "cmdline:" with nothing after it */
        return vk_splice_insert(s, e->cmdline.start,
                                vk_printf("%s%s", e->cmdline.start == e->cmdline_key_end && !e->old_syntax ? " " : "",
                                          plan.ins));
}

int vk_limine_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err) {
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_(vk_splice_clear) vk_splice s = {0};
        entry e = {0};
        size_t linux_entries = 0;
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
                size_t end = nl ? (size_t)(nl - text) : len, q = p, k, v, vend = end;
                size_t line_start = p;
                p = nl ? end + 1 : len;
                while (q < end && (text[q] == ' ' || text[q] == '\t'))
                        q++;
                if (q < end && (text[q] == '/' || text[q] == ':')) {
                        /* a new entry closes the one before */
                        if ((r = finish_entry(name, text, len, &e, c, &s, &notes, err)) < 0)
                                return r;
                        linux_entries += e.linux_;
                        e = (entry){.in_entry = true, .old_syntax = text[q] == ':'};
                        continue;
                }
                if (q >= end || text[q] == '#')
                        continue;
                for (k = q; k < end && text[k] != ':' && text[k] != '='; k++)
                        ;
                if (k >= end)
                        continue;
                for (v = k + 1; v < end && (text[v] == ' ' || text[v] == '\t'); v++)
                        ;
                while (vend > v && strchr(" \t\r", text[vend - 1]))
                        vend--;
                if (key_is(text + q, k - q, "protocol")) {
                        e.linux_ = e.in_entry && key_is(text + v, vend - v, "linux");
                        e.old_syntax = text[k] == '=';
                        e.protocol_eol = nl ? end + 1 : len;
                        e.indent_start = line_start;
                        e.indent_end = q;
                } else if (key_is(text + q, k - q, "cmdline") || key_is(text + q, k - q, "kernel_cmdline")) {
                        /* the last one is the one limine uses */
                        e.have_cmdline = true;
                        e.cmdline = (vk_range){v, vend};
                        e.cmdline_key_end = k + 1;
                }
        }
        if ((r = finish_entry(name, text, len, &e, c, &s, &notes, err)) < 0)
                return r;
        linux_entries += e.linux_;
        if (linux_entries == 0)
                return vk_error_set(err, -EINVAL,
                                    "%s: no Linux entry (protocol: linux) to edit; add the options to your Linux "
                                    "entry by hand",
                                    name);
        r = vk_splice_apply(&s, text, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}
