/* cmdline.c — split a kernel command line into key=value arguments the way the kernel's next_arg() does. */
#define _GNU_SOURCE
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

static char *dup_range(const char *s, size_t n) { return strndup(s, n); }

bool vk_cmdline_key_eq(const char *a, const char *b) {
        /* the kernel treats '-' and '_' alike in parameter names */
        for (; *a && *b; a++, b++) {
                char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
                if (x != y)
                        return false;
        }
        return *a == *b;
}

/* One argument from *pos: spaces skipped, then up to a space outside double quotes (the kernel's next_arg()).
 * Returns false at the end of the line. */
static bool next_span(const char *line, size_t len, size_t *pos, vk_cmdline_span *ret) {
        size_t p = *pos;
        bool quoted = false;

        while (p < len && isspace((unsigned char)line[p]))
                p++;
        if (p >= len)
                return false;
        *ret = (vk_cmdline_span){.start = p, .eq = SIZE_MAX};
        for (; p < len && (quoted || !isspace((unsigned char)line[p])); p++) {
                if (line[p] == '"')
                        quoted = !quoted;
                else if (line[p] == '=' && ret->eq == SIZE_MAX)
                        ret->eq = p;
        }
        ret->end = p;
        *pos = p;
        return true;
}

int vk_cmdline_split(const char *line, size_t len, vk_cmdline_span **ret, size_t *ret_n) {
        vk_cmdline_span *spans = NULL, s;
        size_t n = 0, cap = 0, pos = 0;

        while (next_span(line, len, &pos, &s)) {
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        vk_cmdline_span *v = realloc(spans, ncap * sizeof(*v));
                        if (!v) {
                                free(spans);
                                return -ENOMEM;
                        }
                        spans = v;
                        cap = ncap;
                }
                spans[n++] = s;
        }
        *ret = spans;
        *ret_n = n;
        return 0;
}

int vk_cmdline_arg_from_span(const char *line, const vk_cmdline_span *s, vk_cmdline_arg *ret) {
        const char *start = line + s->start;
        size_t len = s->end - s->start;
        vk_cmdline_arg a = {0};

        if (s->eq != SIZE_MAX) {
                const char *eq = line + s->eq, *v = eq + 1, *k = start;
                size_t vlen = (size_t)(start + len - v), klen = (size_t)(eq - start);
                if (klen && *k == '"') {
                        k++;
                        klen--;
                }
                if (vlen && *v == '"') {
                        v++;
                        vlen--;
                        if (vlen && v[vlen - 1] == '"')
                                vlen--;
                }
                a.key = dup_range(k, klen);
                a.value = dup_range(v, vlen);
        } else {
                const char *k = start;
                size_t klen = len;
                if (klen >= 2 && k[0] == '"' && k[klen - 1] == '"') {
                        k++;
                        klen -= 2;
                }
                a.key = dup_range(k, klen);
        }
        if (!a.key || (s->eq != SIZE_MAX && !a.value)) {
                free(a.key);
                free(a.value);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

int vk_cmdline_parse(const char *line, vk_cmdline_arg **ret, size_t *ret_n) {
        vk_cmdline_arg *args = NULL;
        size_t n = 0, cap = 0, pos = 0, len;
        vk_cmdline_span s;

        line = line ? line : "";
        len = strlen(line);
        while (next_span(line, len, &pos, &s)) {
                if (n == cap) {
                        /* doubling: a 1 MiB line has ~100k arguments */
                        size_t ncap = cap ? cap * 2 : 16;
                        vk_cmdline_arg *a = realloc(args, ncap * sizeof(*a));
                        if (!a)
                                goto oom;
                        args = a;
                        cap = ncap;
                }
                if (vk_cmdline_arg_from_span(line, &s, &args[n]) < 0)
                        goto oom;
                n++;
        }
        *ret = args;
        *ret_n = n;
        return 0;
oom:
        vk_cmdline_free(args, n);
        return -ENOMEM;
}

void vk_cmdline_free(vk_cmdline_arg *a, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(a[i].key);
                free(a[i].value);
        }
        free(a);
}

const vk_cmdline_arg *vk_cmdline_find(const vk_cmdline_arg *a, size_t n, const char *key) {
        for (size_t i = n; i > 0; i--)
                if (vk_cmdline_key_eq(a[i - 1].key, key))
                        return &a[i - 1];
        return NULL;
}
