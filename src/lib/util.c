/* util.c — small string and number helpers used across the library. */
#define _GNU_SOURCE
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool vk_streq(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

bool vk_startswith(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

char *vk_strip(char *s) {
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = 0;
        return s;
}

int vk_parse_hex(const char *s, uint32_t max, uint32_t *ret) {
        uint64_t v = 0;
        const char *p;

        if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
                return -EINVAL;
        for (p = s + 2; *p; p++) {
                int d;
                if (*p >= '0' && *p <= '9')
                        d = *p - '0';
                else if (*p >= 'a' && *p <= 'f')
                        d = *p - 'a' + 10;
                else if (*p >= 'A' && *p <= 'F')
                        d = *p - 'A' + 10;
                else
                        return -EINVAL;
                v = v * 16 + (uint64_t)d;
                if (v > max)
                        return -ERANGE;
        }
        *ret = (uint32_t)v;
        return 0;
}

int vk_parse_uint(const char *s, int *ret) {
        long v = 0;
        const char *p;

        if (!s || !*s)
                return -EINVAL;
        for (p = s; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                v = v * 10 + (*p - '0');
                if (v > 0x7fffffff)
                        return -ERANGE;
        }
        *ret = (int)v;
        return 0;
}

bool vk_is_pci_addr(const char *s) {
        /* DDDD:BB:DD.F, lower-case hex as the kernel writes it */
        static const char pattern[] = "xxxx:xx:xx.x";
        size_t i;

        if (!s || strlen(s) != sizeof(pattern) - 1)
                return false;
        for (i = 0; pattern[i]; i++) {
                if (pattern[i] == 'x') {
                        if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
                                return false;
                } else if (s[i] != pattern[i])
                        return false;
        }
        /* device 0-1f, function 0-7 */
        return strtoul(s + 8, NULL, 16) <= 0x1f && s[11] >= '0' && s[11] <= '7';
}

char *vk_strdup(const char *s) { return s ? strdup(s) : NULL; }

char *vk_printf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int vk_strv_push_take(vk_strv *s, char *str) {
        if (!str)
                return -ENOMEM;
        if (s->n + 1 >= s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                char **v = realloc(s->v, cap * sizeof(char *));
                if (!v) {
                        free(str);
                        return -ENOMEM;
                }
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = str;
        s->v[s->n] = NULL;
        return 0;
}

int vk_strv_push(vk_strv *s, const char *str) { return vk_strv_push_take(s, vk_strdup(str)); }

bool vk_strv_contains(const vk_strv *s, const char *str) {
        for (size_t i = 0; i < s->n; i++)
                if (vk_streq(s->v[i], str))
                        return true;
        return false;
}

char *vk_strv_join(const vk_strv *s, const char *sep) {
        size_t n = 1, sl = strlen(sep), o = 0;
        char *t;

        for (size_t i = 0; i < s->n; i++)
                n += strlen(s->v[i]) + sl;
        t = malloc(n);
        if (!t)
                return NULL;
        for (size_t i = 0; i < s->n; i++) {
                size_t l = strlen(s->v[i]);
                if (i) {
                        memcpy(t + o, sep, sl);
                        o += sl;
                }
                memcpy(t + o, s->v[i], l);
                o += l;
        }
        t[o] = 0;
        return t;
}

void vk_strv_clear(vk_strv *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (vk_strv){0};
}

int vk_error_set(vk_error *err, int r, const char *fmt, ...) {
        va_list ap;

        if (err) {
                err->r = r;
                err->refused = false;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return r;
}

int vk_error_refuse(vk_error *err, const char *fmt, ...) {
        va_list ap;

        if (err) {
                err->r = -EPERM;
                err->refused = true;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return -EPERM;
}
