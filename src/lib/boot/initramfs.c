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
        size_t n;
} elems;

static void elems_clear(elems *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i].value);
        free(e->v);
        *e = (elems){0};
}

static int elems_push(elems *e, size_t start, size_t end, const char *value, size_t vlen) {
        elem *v = realloc(e->v, (e->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        e->v = v;
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
