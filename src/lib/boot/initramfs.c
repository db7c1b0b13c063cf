/* initramfs.c — make the initramfs load vfio early: mkinitcpio's MODULES array, initramfs-tools' modules file and
 * booster's modules_force_load. Missing modules go first (before any GPU driver already listed); nothing else moves. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "../report.h"

static bool module_eq(const char *a, size_t alen, const char *b) {
        _cleanup_free_ char *x = strndup(a, alen);
        return x && vk_cmdline_key_eq(x, b); /* modprobe, like the kernel, treats '-' and '_' alike */
}

static int check_modules(const char *name, const vk_strv *modules, const vk_strv *drop, vk_error *err) {
        for (size_t i = 0; i < modules->n + (drop ? drop->n : 0); i++) {
                const char *m = i < modules->n ? modules->v[i] : drop->v[i - modules->n];
                bool ok = *m != 0;
                for (const char *s = m; *s; s++)
                        ok &= isalnum((unsigned char)*s) || *s == '_' || *s == '-';
                if (!ok)
                        return vk_error_set(err, -EINVAL, "%s: \"%s\" is not a module name", name, m);
                if (i >= modules->n && vk_strv_contains(modules, m))
                        return vk_error_set(err, -EINVAL, "%s: %s is both added and dropped", name, m);
        }
        return 0;
}

/* One module named in a file: where it is and its name. */
typedef struct elem {
        size_t start, end; /* raw bytes of the element (with its quotes) */
        char *value;
} elem;

typedef struct elems {
        elem *v;
        size_t n, cap;
} elems;

static void elems_clear(elems *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i].value);
        free(e->v);
        *e = (elems){0};
}

static int elems_push(elems *e, size_t start, size_t end, const char *value, size_t vlen) {
        void *p = e->v;
        elem *v;
        if (vk_grow(&p, &e->cap, e->n, sizeof(*v)) < 0)
                return -ENOMEM;
        e->v = v = p;
        v[e->n] = (elem){start, end, strndup(value, vlen)};
        if (!v[e->n].value)
                return -ENOMEM;
        e->n++;
        return 0;
}

static bool elems_have(const elems *e, const char *module) {
        for (size_t i = 0; i < e->n; i++)
                if (module_eq(e->v[i].value, strlen(e->v[i].value), module))
                        return true;
        return false;
}

/* The modules not yet in e, space- or comma-joined; NULL when none is missing (or on ENOMEM: *r says). */
static char *missing(const elems *e, const vk_strv *modules, const char *sep, int *r) {
        char *out = NULL;
        *r = 0;
        for (size_t i = 0; i < modules->n; i++) {
                char *s;
                if (elems_have(e, modules->v[i]))
                        continue;
                s = vk_printf("%s%s%s", out ? out : "", out ? sep : "", modules->v[i]);
                free(out);
                if (!(out = s)) {
                        *r = -ENOMEM;
                        return NULL;
                }
        }
        return out;
}

/* text with [del, del_end) ranges cut and ins put at raw offset at. */
static int splice(const char *text, size_t len, const bool *gone, size_t at, const char *ins, char **ret,
                  size_t *ret_len) {
        size_t ins_len = ins ? strlen(ins) : 0, o = 0;
        char *out = malloc(len + ins_len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i <= len; i++) {
                if (i == at && ins) {
                        memcpy(out + o, ins, ins_len);
                        o += ins_len;
                }
                if (i < len && !(gone && gone[i]))
                        out[o++] = text[i];
        }
        out[o] = 0;
        *ret = out;
        *ret_len = o;
        return 0;
}

/* ---- initramfs-tools: /etc/initramfs-tools/modules ---- */

int vk_initramfs_tools_edit(const char *name, const char *text, size_t len, const vk_strv *modules,
                            vk_edit_result *ret, vk_error *err) {
        _cleanup_(elems_clear) elems e = {0};
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_free_ char *want = NULL, *ins = NULL;
        const char *eol = vk_edit_eol(text, len);
        size_t at = SIZE_MAX;
        char *out = NULL;
        size_t out_len = 0;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        r = check_modules(name, modules, NULL, err);
        if (r < 0)
                return r;
        /* a line is "module [arguments]"; # starts a comment line */
        for (size_t p = 0; p < len;) {
                const char *nl = memchr(text + p, '\n', len - p);
                size_t end = nl ? (size_t)(nl - text) : len, q = p, w;
                while (q < end && isspace((unsigned char)text[q]))
                        q++;
                for (w = q; w < end && !isspace((unsigned char)text[w]); w++)
                        ;
                if (q < end && text[q] != '#') {
                        if (at == SIZE_MAX)
                                at = p;
                        if ((r = elems_push(&e, q, w, text + q, w - q)) < 0)
                                return r;
                }
                p = nl ? end + 1 : len;
        }
        for (size_t i = 0; i < modules->n; i++)
                if (elems_have(&e, modules->v[i]) &&
                    (r = vk_strv_push_take(&notes, vk_printf("%s: already listed", modules->v[i]))) < 0)
                        return r;
        want = missing(&e, modules, eol, &r);
        if (r < 0)
                return r;
        if (!want)
                return vk_edit_result_set(ret, text, len, NULL, 0, &notes);
        if (at != SIZE_MAX) /* before the first module: vfio must load before a GPU driver listed here */
                ins = vk_printf("%s%s", want, eol);
        else if (len > 0 && text[len - 1] != '\n') /* update-initramfs reads with `read`, which drops an open last line */
                ins = vk_printf("%s%s%s", eol, want, eol);
        else
                ins = vk_printf("%s%s", want, eol);
        if (!ins)
                return -ENOMEM;
        r = splice(text, len, NULL, at == SIZE_MAX ? len : at, ins, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}

/* ---- mkinitcpio: MODULES=(...) in /etc/mkinitcpio.conf, a bash file ---- */

/* A MODULES value: the bytes where new modules go and its elements. */
typedef struct modvalue {
        size_t open;  /* offset of '(' or the opening quote; SIZE_MAX for an empty unquoted value */
        size_t value; /* offset of the value (after '=') */
        elems e;
} modvalue;

static int parse_array(const char *name, const char *text, size_t len, size_t open, elems *e, size_t *ret_end,
                       vk_error *err) {
        _cleanup_free_ char *buf = malloc(len + 1);
        size_t p = open + 1;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                size_t start, n = 0;
                int r;
                while (p < len && strchr(" \t\r\n", text[p]))
                        p++;
                if (p >= len)
                        return vk_error_set(err, -EINVAL, "%s:%zu: MODULES=( is never closed; add the )", name,
                                            vk_edit_line_of(text, open));
                if (text[p] == '#') {
                        while (p < len && text[p] != '\n')
                                p++;
                        continue;
                }
                if (text[p] == ')')
                        break;
                start = p;
                while (p < len && !strchr(" \t\r\n)", text[p])) {
                        char c = text[p];
                        if (c == '\'' || c == '"') {
                                size_t q = p + 1;
                                while (q < len && text[q] != c) {
                                        if (c == '"' && text[q] == '\\' && q + 1 < len)
                                                q++;
                                        buf[n++] = text[q++];
                                }
                                if (q >= len)
                                        return vk_sh_unterminated(name, text, p, err);
                                p = q + 1;
                        } else if (c == '\\') {
                                if (p + 1 >= len)
                                        return vk_error_set(err, -EINVAL, "%s:%zu: the file ends with a \\; remove it",
                                                            name, vk_edit_line_of(text, p));
                                if (text[p + 1] != '\n')
                                        buf[n++] = text[p + 1];
                                p += 2;
                        } else if (c == '(') {
                                /* bash rejects it too: most likely the ) of MODULES=( is missing */
                                return vk_error_set(err, -EINVAL,
                                                    "%s:%zu: MODULES=( is not closed before line %zu; add the )", name,
                                                    vk_edit_line_of(text, open), vk_edit_line_of(text, p));
                        } else
                                buf[n++] = text[p++];
                }
                if ((r = elems_push(e, start, p, buf, n)) < 0)
                        return r;
        }
        *ret_end = p + 1;
        return 0;
}

/* MODULES="a b": the old string form; words split at blanks, no escapes. */
static int parse_string(const char *name, const char *text, size_t len, size_t open, elems *e, size_t *ret_end,
                        vk_error *err) {
        char q = text[open];
        size_t p = open + 1;
        int r;

        for (;;) {
                size_t start;
                while (p < len && strchr(" \t\r\n", text[p]))
                        p++;
                if (p >= len)
                        return vk_sh_unterminated(name, text, open, err);
                if (text[p] == q)
                        break;
                if (text[p] == '\\' || (q == '"' && (text[p] == '$' || text[p] == '`')))
                        return vk_error_set(err, -EINVAL,
                                            "%s:%zu: MODULES uses shell escapes or expansions; write it as a plain "
                                            "array, MODULES=(a b c)",
                                            name, vk_edit_line_of(text, p));
                for (start = p; p < len && !strchr(" \t\r\n", text[p]) && text[p] != q; p++)
                        ;
                if ((r = elems_push(e, start, p, text + start, p - start)) < 0)
                        return r;
        }
        *ret_end = p + 1;
        return 0;
}

static int scan_modules(const char *name, const char *text, size_t len, modvalue *ret, bool *found, vk_error *err) {
        size_t p = 0;
        int r;

        *found = false;
        while (p < len) {
                size_t q = p, at, end = len;
                modvalue v = {0};
                while (q < len && (text[q] == ' ' || text[q] == '\t'))
                        q++;
                at = vk_sh_match_assignment(text, len, q, "MODULES");
                if (at == SIZE_MAX) {
                        if ((r = vk_sh_skip_command(name, text, len, q, &p, err)) < 0)
                                return r;
                        continue;
                }
                if (text[at] == '+')
                        return vk_error_set(err, -EINVAL,
                                            "%s:%zu: MODULES is appended to with +=; vfiokit edits only one plain "
                                            "MODULES=(...) array: merge them",
                                            name, vk_edit_line_of(text, q));
                v.value = at + 1;
                if (v.value < len && text[v.value] == '(') {
                        v.open = v.value;
                        r = parse_array(name, text, len, v.open, &v.e, &end, err);
                } else if (v.value < len && (text[v.value] == '"' || text[v.value] == '\'')) {
                        v.open = v.value;
                        r = parse_string(name, text, len, v.open, &v.e, &end, err);
                } else if (v.value >= len || strchr(" \t\r\n#", text[v.value])) {
                        v.open = SIZE_MAX;
                        end = v.value;
                        r = 0;
                } else
                        r = vk_error_set(err, -EINVAL, "%s:%zu: MODULES is not an array; write it as MODULES=(a b c)",
                                         name, vk_edit_line_of(text, q));
                if (r < 0 || (r = vk_sh_skip_command(name, text, len, end, &p, err)) < 0) {
                        elems_clear(&v.e);
                        return r;
                }
                if (*found)
                        elems_clear(&ret->e);
                *ret = v;
                *found = true;
        }
        return 0;
}

/* Drop element i with the blanks that separate it: those before it when something precedes it on its line,
 * else those after it. */
static void drop_elem(const char *text, size_t len, const elem *el, bool *gone) {
        size_t s = el->start, e = el->end;
        while (s > 0 && (text[s - 1] == ' ' || text[s - 1] == '\t'))
                s--;
        if (s > 0 && text[s - 1] != '\n' && text[s - 1] != '(' && text[s - 1] != '"' && text[s - 1] != '\'')
                ;
        else {
                s = el->start;
                while (e < len && (text[e] == ' ' || text[e] == '\t'))
                        e++;
        }
        for (size_t i = s; i < e; i++)
                gone[i] = true;
}

int vk_mkinitcpio_edit(const char *name, const char *text, size_t len, const vk_strv *modules, const vk_strv *drop,
                       vk_edit_result *ret, vk_error *err) {
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_free_ char *want = NULL, *ins = NULL;
        _cleanup_free_ bool *gone = NULL;
        modvalue v = {0};
        bool found, any_gone = false;
        char *out = NULL;
        size_t out_len = 0, at;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        r = check_modules(name, modules, drop, err);
        if (r < 0)
                return r;
        r = scan_modules(name, text, len, &v, &found, err);
        if (r < 0)
                goto finish;
        gone = calloc(len + 1, sizeof(bool));
        if (!gone) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < v.e.n; i++)
                for (size_t j = 0; drop && j < drop->n; j++)
                        if (module_eq(v.e.v[i].value, strlen(v.e.v[i].value), drop->v[j])) {
                                drop_elem(text, len, &v.e.v[i], gone);
                                any_gone = true;
                                r = vk_strv_push_take(&notes, vk_printf("%s: dropped from MODULES", drop->v[j]));
                                if (r < 0)
                                        goto finish;
                        }
        for (size_t i = 0; i < modules->n; i++)
                if (elems_have(&v.e, modules->v[i]) &&
                    (r = vk_strv_push_take(&notes, vk_printf("%s: already in MODULES", modules->v[i]))) < 0)
                        goto finish;
        want = missing(&v.e, modules, " ", &r);
        if (r < 0)
                goto finish;
        if (!want && !any_gone) {
                r = vk_edit_result_set(ret, text, len, NULL, 0, &notes);
                goto finish;
        }
        if (!found) {
                const char *eol = vk_edit_eol(text, len);
                bool open_end = len > 0 && text[len - 1] != '\n';
                out = vk_printf("%.*s%sMODULES=(%s)%s", (int)len, text, open_end ? eol : "", want, open_end ? "" : eol);
                r = out ? vk_edit_result_set(ret, text, len, out, strlen(out), &notes) : -ENOMEM;
                goto finish;
        }
        /* missing modules go first, so vfio-pci loads before a GPU driver already listed */
        if (!want)
                at = len + 1;
        else if (v.open == SIZE_MAX) {
                at = v.value;
                ins = vk_printf("(%s)", want);
        } else if (v.e.n > 0) {
                at = v.e.v[0].start;
                ins = vk_printf("%s ", want);
        } else {
                at = v.open + 1;
                ins = strdup(want);
        }
        if (want && !ins) {
                r = -ENOMEM;
                goto finish;
        }
        r = splice(text, len, gone, at, ins, &out, &out_len);
        if (r >= 0)
                r = vk_edit_result_set(ret, text, len, out, out_len, &notes);
finish:
        elems_clear(&v.e);
        return r;
}

/* ---- booster: modules_force_load in /etc/booster.yaml, a comma-separated string ---- */

int vk_booster_edit(const char *name, const char *text, size_t len, const vk_strv *modules, vk_edit_result *ret,
                    vk_error *err) {
        static const char key[] = "modules_force_load:";
        _cleanup_(elems_clear) elems e = {0};
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_free_ char *want = NULL, *ins = NULL;
        size_t at = SIZE_MAX, found_line = 0;
        bool inner_empty = true;
        char *out = NULL;
        size_t out_len = 0;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        r = check_modules(name, modules, NULL, err);
        if (r < 0)
                return r;
        for (size_t p = 0; p < len;) {
                const char *nl = memchr(text + p, '\n', len - p);
                size_t end = nl ? (size_t)(nl - text) : len, v, vend;
                char q = 0;

                if (end - p < sizeof(key) - 1 || memcmp(text + p, key, sizeof(key) - 1) != 0) {
                        p = nl ? end + 1 : len;
                        continue;
                }
                if (found_line)
                        return vk_error_set(err, -EINVAL, "%s:%zu: modules_force_load is set twice (also on line %zu); "
                                            "keep one",
                                            name, vk_edit_line_of(text, p), found_line);
                found_line = vk_edit_line_of(text, p);
                v = p + sizeof(key) - 1;
                at = v;
                while (v < end && (text[v] == ' ' || text[v] == '\t'))
                        v++;
                vend = end;
                while (vend > v && strchr(" \t\r", text[vend - 1]))
                        vend--;
                if (v < vend && (text[v] == '"' || text[v] == '\'')) {
                        const char *close = memchr(text + v + 1, text[v], vend - v - 1);
                        if (!close)
                                return vk_error_set(err, -EINVAL, "%s:%zu: unterminated %c quote; close it", name,
                                                    found_line, text[v]);
                        q = text[v];
                        at = v + 1;
                        v++;
                        vend = (size_t)(close - text);
                } else {
                        for (size_t i = v; i < vend; i++)
                                if (text[i] == '#' && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
                                        vend = i;
                                        break;
                                }
                        while (vend > v && strchr(" \t", text[vend - 1]))
                                vend--;
                        if (v < vend && strchr("[{|>&*!-", text[v]))
                                return vk_error_set(err, -EINVAL,
                                                    "%s:%zu: modules_force_load is not a plain string; write it as "
                                                    "modules_force_load: a,b,c",
                                                    name, found_line);
                        if (v < vend)
                                at = v;
                }
                (void)q;
                for (size_t s = v; s < vend;) {
                        size_t c = s, t;
                        while (c < vend && text[c] != ',')
                                c++;
                        for (t = c; t > s && strchr(" \t", text[t - 1]); t--)
                                ;
                        while (s < t && strchr(" \t", text[s]))
                                s++;
                        if (t > s && (r = elems_push(&e, s, t, text + s, t - s)) < 0)
                                return r;
                        inner_empty &= t == s;
                        s = c + 1;
                }
                if (v == vend && !q) {
                        /* an empty value may be a block list on the next lines */
                        size_t n = nl ? end + 1 : len;
                        while (n < len && (text[n] == ' ' || text[n] == '\t'))
                                n++;
                        if (n < len && text[n] == '-' && n > end + 1)
                                return vk_error_set(err, -EINVAL,
                                                    "%s:%zu: modules_force_load is a YAML list; booster wants a "
                                                    "string: write it as modules_force_load: a,b,c",
                                                    name, found_line);
                }
                p = nl ? end + 1 : len;
        }
        for (size_t i = 0; i < modules->n; i++)
                if (elems_have(&e, modules->v[i]) &&
                    (r = vk_strv_push_take(&notes, vk_printf("%s: already in modules_force_load", modules->v[i]))) < 0)
                        return r;
        want = missing(&e, modules, ",", &r);
        if (r < 0)
                return r;
        if (!want)
                return vk_edit_result_set(ret, text, len, NULL, 0, &notes);
        if (!found_line) {
                const char *eol = vk_edit_eol(text, len);
                bool open_end = len > 0 && text[len - 1] != '\n';
                out = vk_printf("%.*s%smodules_force_load: %s%s", (int)len, text, open_end ? eol : "", want,
                                open_end ? "" : eol);
                return out ? vk_edit_result_set(ret, text, len, out, strlen(out), &notes) : -ENOMEM;
        }
        if (!inner_empty)
                ins = vk_printf("%s,", want);
        else if (text[at - 1] == ':')
                ins = vk_printf(" %s", want);
        else
                ins = strdup(want);
        if (!ins)
                return -ENOMEM;
        r = splice(text, len, NULL, at, ins, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}
