/* cmdline.c — split a kernel command line into key=value arguments the way the kernel's next_arg() does. */
#define _GNU_SOURCE
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static char *dup_range(const char *s, size_t n) { return strndup(s, n); }

static bool key_eq(const char *a, const char *b) {
        /* the kernel treats '-' and '_' alike in parameter names */
        for (; *a && *b; a++, b++) {
                char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
                if (x != y)
                        return false;
        }
        return *a == *b;
}

int vk_cmdline_parse(const char *line, vk_cmdline_arg **ret, size_t *ret_n) {
        vk_cmdline_arg *args = NULL;
        size_t n = 0;
        const char *p = line ? line : "";

        for (;;) {
                const char *start, *eq = NULL;
                bool quoted = false;
                size_t len;
                vk_cmdline_arg *a;

                while (isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                start = p;
                for (; *p && (quoted || !isspace((unsigned char)*p)); p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (*p == '=' && !eq)
                                eq = p;
                }
                len = (size_t)(p - start);
                a = realloc(args, (n + 1) * sizeof(*a));
                if (!a)
                        goto oom;
                args = a;
                a = &args[n];
                *a = (vk_cmdline_arg){0};
                if (eq) {
                        const char *v = eq + 1;
                        size_t vlen = (size_t)(start + len - v);
                        const char *k = start;
                        size_t klen = (size_t)(eq - start);
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
                        a->key = dup_range(k, klen);
                        a->value = dup_range(v, vlen);
                        if (!a->key || !a->value) {
                                n++;
                                goto oom;
                        }
                } else {
                        const char *k = start;
                        size_t klen = len;
                        if (klen >= 2 && k[0] == '"' && k[klen - 1] == '"') {
                                k++;
                                klen -= 2;
                        }
                        a->key = dup_range(k, klen);
                        if (!a->key) {
                                n++;
                                goto oom;
                        }
                }
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
                if (key_eq(a[i - 1].key, key))
                        return &a[i - 1];
        return NULL;
}
