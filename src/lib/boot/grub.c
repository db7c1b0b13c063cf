/* grub.c — edit GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, a shell file: the value is read as the shell reads
 * it (quotes, escapes, lines continued), its arguments edited, and only the bytes of those arguments changed. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>

#define VAR_DEFAULT "GRUB_CMDLINE_LINUX_DEFAULT"
#define VAR_LINUX "GRUB_CMDLINE_LINUX"

/* One shell word: its logical text mapped to raw bytes, and the quoting of each character. */
typedef struct shword {
        size_t start, end; /* raw */
        vk_mapped m;
        char *ctx;         /* per character: 'n' unquoted, 's' in '...', 'd' in "..." */
        size_t ctx_cap;
        char last_ctx;     /* quoting at the end of the word, and where text goes to stay inside it */
        size_t last_at;
        bool plain;        /* no quotes, no backslashes: the raw word is its value */
        size_t expansion;  /* raw offset of a $ or ` the shell would expand, SIZE_MAX when none */
} shword;

static void shword_clear(shword *w) {
        vk_mapped_clear(&w->m);
        free(w->ctx);
        *w = (shword){0};
}

static int push(shword *w, char c, size_t raw, uint8_t rawlen, char ctx) {
        size_t n = w->m.n;
        int r = vk_mapped_push(&w->m, c, raw, rawlen);
        if (r < 0)
                return r;
        if (w->ctx_cap < w->m.cap) {
                char *v = realloc(w->ctx, w->m.cap);
                if (!v)
                        return -ENOMEM;
                w->ctx = v;
                w->ctx_cap = w->m.cap;
        }
        w->ctx[n] = ctx;
        return 0;
}

static bool ends_word(char c) { return strchr(" \t\r\n;&|<>()", c) != NULL; }

int vk_sh_unterminated(const char *name, const char *text, size_t at, vk_error *err) {
        return vk_error_set(err, -EINVAL,
                            "%s:%zu: unterminated %c quote; close it (vfiokit changes nothing until the file parses)",
                            name, vk_edit_line_of(text, at), text[at]);
}

/* The word at pos, read as POSIX sh reads an assignment's value. */
static int parse_word(const char *name, const char *text, size_t len, size_t pos, shword *w, vk_error *err) {
        size_t p = pos;
        int r = 0;

        *w = (shword){.start = pos, .last_ctx = 'n', .last_at = pos, .plain = true, .expansion = SIZE_MAX};
        while (p < len && !ends_word(text[p])) {
                char c = text[p];
                if (c == '\'') {
                        size_t open = p++;
                        w->plain = false;
                        for (; p < len && text[p] != '\''; p++)
                                if ((r = push(w, text[p], p, 1, 's')) < 0)
                                        return r;
                        if (p >= len)
                                return vk_sh_unterminated(name, text, open, err);
                        w->last_ctx = 's';
                        w->last_at = p++;
                } else if (c == '"') {
                        size_t open = p++;
                        w->plain = false;
                        while (p < len && text[p] != '"') {
                                if (text[p] == '\\' && p + 1 < len && strchr("$`\"\\\n", text[p + 1])) {
                                        if (text[p + 1] != '\n' && (r = push(w, text[p + 1], p, 2, 'd')) < 0)
                                                return r;
                                        p += 2;
                                        continue;
                                }
                                if ((text[p] == '$' || text[p] == '`') && w->expansion == SIZE_MAX)
                                        w->expansion = p;
                                if ((r = push(w, text[p], p, 1, 'd')) < 0)
                                        return r;
                                p++;
                        }
                        if (p >= len)
                                return vk_sh_unterminated(name, text, open, err);
                        w->last_ctx = 'd';
                        w->last_at = p++;
                } else if (c == '\\') {
                        w->plain = false;
                        if (p + 1 >= len) /* a \ that escapes nothing: text added after it would be escaped */
                                return vk_error_set(err, -EINVAL, "%s:%zu: the file ends with a \\; remove it", name,
                                                    vk_edit_line_of(text, p));
                        else {
                                if (text[p + 1] != '\n' && (r = push(w, text[p + 1], p, 2, 'n')) < 0)
                                        return r;
                                p += 2;
                        }
                        w->last_ctx = 'n';
                        w->last_at = p;
                } else {
                        if ((c == '$' || c == '`') && w->expansion == SIZE_MAX)
                                w->expansion = p;
                        if ((r = push(w, c, p, 1, 'n')) < 0)
                                return r;
                        w->last_ctx = 'n';
                        w->last_at = ++p;
                }
        }
        w->end = p;
        if (!w->m.text && (r = vk_mapped_push(&w->m, 0, 0, 0)) >= 0)
                w->m.n = 0; /* an empty value still has a text */
        return r < 0 ? r : 0;
}

/* Skip one command that is not ours, up to the next line it does not continue. Returns the offset after it. */
int vk_sh_skip_command(const char *name, const char *text, size_t len, size_t p, size_t *ret, vk_error *err) {
        bool word_start = true;

        while (p < len) {
                char c = text[p];
                if (c == '\n') {
                        p++;
                        break;
                }
                if (c == '#' && word_start) {
                        while (p < len && text[p] != '\n')
                                p++;
                        continue;
                }
                if (strchr(" \t\r;&|()", c)) {
                        word_start = true;
                        p++;
                        continue;
                }
                word_start = false;
                if (c == '\\') {
                        if (p + 1 >= len || (text[p + 1] == '\n' && p + 2 >= len))
                                return vk_error_set(err, -EINVAL,
                                                    "%s:%zu: the file ends with a \\ that continues the last line "
                                                    "into nothing; remove it",
                                                    name, vk_edit_line_of(text, p));
                        p += 2;
                } else if (c == '\'') {
                        const char *q = memchr(text + p + 1, '\'', len - p - 1);
                        if (!q)
                                return vk_sh_unterminated(name, text, p, err);
                        p = (size_t)(q - text) + 1;
                } else if (c == '"') {
                        size_t open = p++;
                        while (p < len && text[p] != '"')
                                p += text[p] == '\\' ? 2 : 1;
                        if (p >= len)
                                return vk_sh_unterminated(name, text, open, err);
                        p++;
                } else
                        p++;
        }
        *ret = p;
        return 0;
}

/* Where "NAME=" starts at p (after blanks and an "export "), or SIZE_MAX. */
size_t vk_sh_match_assignment(const char *text, size_t len, size_t p, const char *var) {
        size_t n = strlen(var);
        if (len - p > 7 && memcmp(text + p, "export", 6) == 0 && (text[p + 6] == ' ' || text[p + 6] == '\t')) {
                p += 6;
                while (p < len && (text[p] == ' ' || text[p] == '\t'))
                        p++;
        }
        if (len - p > n && memcmp(text + p, var, n) == 0 && (text[p + n] == '=' || text[p + n] == '+'))
                return p + n;
        return SIZE_MAX;
}

int vk_sh_value(const char *name, const char *text, size_t len, const char *var, char **ret, vk_error *err) {
        _cleanup_free_ char *val = NULL;
        size_t p = 0;
        int r;

        while (p < len) {
                size_t q = p, at;
                shword w;
                while (q < len && (text[q] == ' ' || text[q] == '\t'))
                        q++;
                at = vk_sh_match_assignment(text, len, q, var);
                if (at == SIZE_MAX || text[at] == '+') {
                        if ((r = vk_sh_skip_command(name, text, len, q, &p, err)) < 0)
                                return r;
                        continue;
                }
                r = parse_word(name, text, len, at + 1, &w, err);
                if (r >= 0) {
                        free(val);
                        val = strndup(w.m.text, w.m.n);
                        r = val ? vk_sh_skip_command(name, text, len, w.end, &p, err) : -ENOMEM;
                }
                shword_clear(&w);
                if (r < 0)
                        return r == -ENOMEM ? vk_error_set(err, r, "out of memory") : r;
        }
        *ret = TAKE_PTR(val);
        return 0;
}

static char *shell_escape(const char *s, char ctx) {
        size_t n = strlen(s), o = 0;
        char *out = malloc(n * 4 + 3);
        if (!out)
                return NULL;
        if (ctx == 'n')
                out[o++] = '"';
        for (; *s; s++) {
                if (ctx == 's' && *s == '\'') {
                        memcpy(out + o, "'\\''", 4);
                        o += 4;
                        continue;
                }
                if (ctx != 's' && strchr("\"\\$`", *s))
                        out[o++] = '\\';
                out[o++] = *s;
        }
        if (ctx == 'n')
                out[o++] = '"';
        out[o] = 0;
        return out;
}

typedef struct grubfile {
        shword def, linux_;
        bool have_def, have_linux;
} grubfile;

static void grubfile_clear(grubfile *g) {
        shword_clear(&g->def);
        shword_clear(&g->linux_);
}

static int scan(const char *name, const char *text, size_t len, grubfile *g, vk_error *err) {
        size_t p = 0;
        int r;

        while (p < len) {
                size_t q = p, at;
                shword w;
                bool is_def;

                while (q < len && (text[q] == ' ' || text[q] == '\t'))
                        q++;
                at = vk_sh_match_assignment(text, len, q, VAR_DEFAULT);
                is_def = at != SIZE_MAX;
                if (!is_def)
                        at = vk_sh_match_assignment(text, len, q, VAR_LINUX);
                if (at == SIZE_MAX) {
                        r = vk_sh_skip_command(name, text, len, q, &p, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (text[at] == '+')
                        return vk_error_set(err, -EINVAL,
                                            "%s:%zu: %s is appended to with +=; vfiokit edits only plain assignments: "
                                            "write it as NAME=\"...\"",
                                            name, vk_edit_line_of(text, q), is_def ? VAR_DEFAULT : VAR_LINUX);
                r = parse_word(name, text, len, at + 1, &w, err);
                if (r < 0) {
                        shword_clear(&w);
                        return r;
                }
                p = w.end;
                while (p < len && (text[p] == ' ' || text[p] == '\t' || text[p] == '\r'))
                        p++;
                if (p < len && text[p] == '#')
                        while (p < len && text[p] != '\n')
                                p++;
                if (p < len && text[p] != '\n') {
                        shword_clear(&w);
                        return vk_error_set(err, -EINVAL,
                                            "%s:%zu: more shell follows the %s assignment on its line; vfiokit edits "
                                            "only an assignment on a line of its own: move the rest to the next line",
                                            name, vk_edit_line_of(text, q), is_def ? VAR_DEFAULT : VAR_LINUX);
                }
                p += p < len;
                if (is_def) {
                        shword_clear(&g->def);
                        g->def = w;
                        g->have_def = true;
                } else {
                        shword_clear(&g->linux_);
                        g->linux_ = w;
                        g->have_linux = true;
                }
        }
        return 0;
}

/* The variable is missing: a new line at the end, the file's line ending kept (and its lack of a last one). */
static char *new_assignment(const char *text, size_t len, const char *ins) {
        const char *eol = vk_edit_eol(text, len);
        bool ends_open = len > 0 && text[len - 1] != '\n';
        size_t bs = 0;
        _cleanup_free_ char *val = shell_escape(ins, 'd');

        if (!val)
                return NULL;
        /* a last line ending in an unescaped backslash continues into whatever follows: a blank line first ends
         * it, or the new assignment would become part of the user's last value */
        while (!ends_open && bs + 1 < len && text[len - 2 - bs] == '\\')
                bs++;
        return vk_printf("%s%s" VAR_DEFAULT "=\"%s\"%s", ends_open ? eol : "", bs % 2 ? eol : "", val,
                         ends_open ? "" : eol);
}

/* w's plain unquoted value double-quoted with the plan made: quiet -> "quiet iommu=pt". */
static char *requote_plain(const shword *w, const vk_kargs_plan *plan) {
        _cleanup_free_ char *value = NULL;
        size_t vlen;

        /* w is plain: its raw bytes are its value, so the plan applies to them as they are */
        if (vk_kargs_plan_apply(w->m.text, w->m.n, plan, &value, &vlen) < 0)
                return NULL;
        return shell_escape(value, 'n');
}

static int expansion_refused(const char *name, const char *text, const char *var, const shword *w, vk_error *err) {
        return vk_error_set(err, -EINVAL,
                            "%s:%zu: %s uses a shell expansion (%c), so its value is only known when GRUB runs; "
                            "make the value literal, or edit the options by hand",
                            name, vk_edit_line_of(text, w->expansion), var, text[w->expansion]);
}

/* GRUB_CMDLINE_LINUX goes on every entry, recovery ones too: it only loses what is removed (amd_iommu=on). */
static int plan_linux(const char *name, const char *text, const grubfile *g, const vk_kargs_change *c, vk_splice *s,
                      vk_strv *notes, vk_error *err) {
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        vk_kargs_change removals = {.remove = c->remove};
        int r;

        if (!g->have_linux || c->remove.n == 0)
                return 0;
        r = vk_kargs_plan_make(name, vk_edit_line_of(text, g->linux_.start), g->linux_.m.text, g->linux_.m.n, NULL, &removals, &plan, notes,
                               err);
        if (r < 0)
                return r;
        if (plan.n_del > 0 && g->linux_.expansion != SIZE_MAX)
                return expansion_refused(name, text, VAR_LINUX, &g->linux_, err);
        vk_splice_cut(s, &g->linux_.m, &plan);
        return 0;
}

int vk_grub_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                 vk_error *err) {
        _cleanup_(grubfile_clear) grubfile g = {0};
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        _cleanup_(vk_strv_clear) vk_strv notes = {0}, linux_notes = {0};
        _cleanup_(vk_splice_clear) vk_splice s = {0};
        const shword *w = &g.def;
        char *out = NULL;
        size_t out_len = 0, at;
        char ctx;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        r = scan(name, text, len, &g, err);
        if (r < 0)
                return r;
        if (g.have_def && w->expansion != SIZE_MAX)
                return expansion_refused(name, text, VAR_DEFAULT, w, err);
        r = vk_kargs_plan_make(name, g.have_def ? vk_edit_line_of(text, w->start) : 1, g.have_def ? w->m.text : "", g.have_def ? w->m.n : 0,
                               g.have_linux ? g.linux_.m.text : NULL, c, &plan, &notes, err);
        if (r < 0)
                return r;
        if ((r = vk_splice_init(&s, len)) < 0)
                return r;
        if ((r = plan_linux(name, text, &g, c, &s, &linux_notes, err)) < 0 ||
            (r = vk_edit_note_merge(&notes, &linux_notes)) < 0)
                return r;

        if (!g.have_def) {
                if (plan.ins && (r = vk_splice_insert(&s, len, new_assignment(text, len, plan.ins))) < 0)
                        return r;
        } else if (vk_kargs_plan_changes(&plan)) {
                if (plan.ins_at_start) {
                        at = w->last_at;
                        ctx = w->last_ctx;
                } else {
                        size_t i = plan.ins_after;
                        at = w->m.raw[i] + w->m.rawlen[i];
                        ctx = w->ctx[i];
                }
                if (plan.ins && ctx == 'n' && w->plain) {
                        /* a bare word cannot hold a space: the whole value becomes one double-quoted word */
                        for (size_t i = w->start; i < w->end; i++)
                                s.gone[i] = true;
                        r = vk_splice_insert(&s, w->start, requote_plain(w, &plan));
                } else {
                        vk_splice_cut(&s, &w->m, &plan);
                        if (plan.ins)
                                r = vk_splice_insert(&s, at, shell_escape(plan.ins, ctx));
                }
                if (r < 0)
                        return r;
        }
        r = vk_splice_apply(&s, text, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}
