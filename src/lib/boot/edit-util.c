/* edit-util.c — helpers every boot-config editor uses: refusing binary input, line numbers, the result. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>

int vk_grow(void **v, size_t *cap, size_t n, size_t size) {
        size_t ncap;
        void *nv;

        if (n < *cap)
                return 0;
        ncap = *cap ? *cap * 2 : 16;
        nv = realloc(*v, ncap * size);
        if (!nv)
                return -ENOMEM;
        *v = nv;
        *cap = ncap;
        return 0;
}

size_t vk_edit_line_of(const char *text, size_t off) {
        size_t line = 1;
        for (size_t i = 0; i < off; i++)
                if (text[i] == '\n')
                        line++;
        return line;
}

int vk_edit_check_text(const char *name, const char *text, size_t len, vk_error *err) {
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)text[i];
                if (c >= 0x20 && c != 0x7f)
                        continue;
                if (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
                        continue;
                return vk_error_set(err, -EINVAL,
                                    "%s:%zu: binary data (byte 0x%02x), not a text config; restore the file from a "
                                    "backup or your package manager before vfiokit edits it",
                                    name, vk_edit_line_of(text, i), c);
        }
        return 0;
}

const char *vk_edit_eol(const char *text, size_t len) {
        const char *nl = memchr(text, '\n', len);
        return nl && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

void vk_edit_result_clear(vk_edit_result *r) {
        if (!r)
                return;
        free(r->text);
        vk_strv_clear(&r->notes);
        *r = (vk_edit_result){0};
}

int vk_edit_result_set(vk_edit_result *ret, const char *orig, size_t orig_len, char *buf, size_t len, vk_strv *notes) {
        bool changed = buf && (len != orig_len || memcmp(buf, orig, len) != 0);

        if (!changed) {
                char *copy = malloc(orig_len + 1);
                if (!copy) {
                        free(buf);
                        return -ENOMEM;
                }
                memcpy(copy, orig, orig_len);
                copy[orig_len] = 0;
                free(buf);
                buf = copy;
                len = orig_len;
        }
        *ret = (vk_edit_result){.text = buf, .len = len, .changed = changed, .notes = *notes};
        *notes = (vk_strv){0};
        return 0;
}

int vk_mapped_push(vk_mapped *m, char c, size_t raw, uint8_t rawlen) {
        if (m->n + 1 >= m->cap) {
                size_t ncap = m->cap ? m->cap * 2 : 256;
                char *t = realloc(m->text, ncap);
                if (!t)
                        return -ENOMEM;
                m->text = t;
                size_t *r = realloc(m->raw, ncap * sizeof(*r));
                if (!r)
                        return -ENOMEM;
                m->raw = r;
                uint8_t *l = realloc(m->rawlen, ncap);
                if (!l)
                        return -ENOMEM;
                m->rawlen = l;
                m->cap = ncap;
        }
        m->text[m->n] = c;
        m->raw[m->n] = raw;
        m->rawlen[m->n] = rawlen;
        m->n++;
        m->text[m->n] = 0;
        return 0;
}

void vk_mapped_clear(vk_mapped *m) {
        free(m->text);
        free(m->raw);
        free(m->rawlen);
        *m = (vk_mapped){0};
}

int vk_splice_init(vk_splice *s, size_t len) {
        *s = (vk_splice){.len = len, .gone = calloc(len + 1, sizeof(bool))};
        return s->gone ? 0 : -ENOMEM;
}

void vk_splice_clear(vk_splice *s) {
        for (size_t i = 0; i < s->n_ins; i++)
                free(s->ins[i].text);
        free(s->ins);
        free(s->gone);
        *s = (vk_splice){0};
}

int vk_splice_insert(vk_splice *s, size_t at, char *text) {
        struct vk_splice_ins *v;
        void *p = s->ins;
        size_t i;

        if (!text)
                return -ENOMEM;
        if (vk_grow(&p, &s->cap_ins, s->n_ins, sizeof(*v)) < 0) {
                free(text);
                return -ENOMEM;
        }
        s->ins = v = p;
        for (i = s->n_ins; i > 0 && v[i - 1].at > at; i--)
                v[i] = v[i - 1];
        v[i] = (struct vk_splice_ins){at, text};
        s->n_ins++;
        return 0;
}

void vk_splice_cut(vk_splice *s, const vk_mapped *m, const vk_kargs_plan *p) {
        for (size_t d = 0; d < p->n_del; d++)
                for (size_t i = p->del[d].start; i < p->del[d].end && i < m->n; i++)
                        for (size_t b = 0; b < m->rawlen[i]; b++)
                                s->gone[m->raw[i] + b] = true;
}

int vk_splice_apply(const vk_splice *s, const char *text, char **ret, size_t *ret_len) {
        size_t total = s->len + 1, o = 0, k = 0;
        char *out;

        for (size_t i = 0; i < s->n_ins; i++)
                total += strlen(s->ins[i].text);
        out = malloc(total);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i <= s->len; i++) {
                for (; k < s->n_ins && s->ins[k].at == i; k++) {
                        size_t n = strlen(s->ins[k].text);
                        memcpy(out + o, s->ins[k].text, n);
                        o += n;
                }
                if (i < s->len && !s->gone[i])
                        out[o++] = text[i];
        }
        out[o] = 0;
        *ret = out;
        *ret_len = o;
        return 0;
}

int vk_edit_note_merge(vk_strv *notes, vk_strv *more) {
        for (size_t i = 0; i < more->n; i++)
                if (!vk_strv_contains(notes, more->v[i])) {
                        int r = vk_strv_push_take(notes, more->v[i]);
                        more->v[i] = NULL;
                        if (r < 0)
                                return r;
                }
        vk_strv_clear(more);
        return 0;
}
