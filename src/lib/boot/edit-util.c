/* edit-util.c — helpers every boot-config editor uses: refusing binary input, line numbers, the result. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>

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

int vk_mapped_apply(const char *raw, size_t raw_len, const vk_mapped *m, const vk_kargs_plan *p, size_t at,
                    const char *ins, char **ret, size_t *ret_len) {
        _cleanup_free_ bool *gone = calloc(raw_len + 1, sizeof(bool));
        size_t ins_len = ins ? strlen(ins) : 0, o = 0;
        char *out;

        if (!gone)
                return -ENOMEM;
        for (size_t d = 0; d < p->n_del; d++)
                for (size_t i = p->del[d].start; i < p->del[d].end && i < m->n; i++)
                        for (size_t b = 0; b < m->rawlen[i]; b++)
                                gone[m->raw[i] + b] = true;
        out = malloc(raw_len + ins_len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i <= raw_len; i++) {
                if (i == at && ins) {
                        memcpy(out + o, ins, ins_len);
                        o += ins_len;
                }
                if (i < raw_len && !gone[i])
                        out[o++] = raw[i];
        }
        out[o] = 0;
        *ret = out;
        *ret_len = o;
        return 0;
}
