/* fuzz-attr.c — libFuzzer target: the sysfs attribute parsers (hex, decimal, PCI address) and the link-target resolver,
 * each checked against a plain reference of what it must accept. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
        do {                              \
                if (!(x))                 \
                        __builtin_trap(); \
        } while (0)

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static void check_hex(const char *s, uint32_t max) {
        const uint32_t poison = 0xdeadbeef;
        uint32_t v = poison;
        uint64_t ref = 0;
        bool ok = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2];
        int r = vk_parse_hex(s, max, &v);

        for (const char *p = s + 2; ok && *p; p++) {
                int d = hexval(*p);
                ok = d >= 0;
                ref = ref * 16 + (uint64_t)(d < 0 ? 0 : d);
                if (ref > max)
                        ok = false; /* also stops ref from overflowing */
        }
        CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        CHECK((r == 0) == ok);
        CHECK(r == 0 ? v == ref && v <= max : v == poison); /* ret_ untouched on failure */
}

static void check_uint(const char *s) {
        int v = -7;
        bool ok = *s != 0;
        long long ref = 0;
        int r = vk_parse_uint(s, &v);

        for (const char *p = s; ok && *p; p++) {
                ok = *p >= '0' && *p <= '9';
                ref = ref * 10 + (*p - '0');
                if (ref > 0x7fffffff)
                        ok = false;
        }
        CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        CHECK((r == 0) == ok);
        CHECK(r == 0 ? v == ref : v == -7);
}

static void check_pci_addr(const char *s) {
        bool ref = strlen(s) == 12;

        for (size_t i = 0; ref && i < 12; i++)
                ref = i == 4 || i == 7 ? s[i] == ':'
                      : i == 10  ? s[i] == '.'
                                 : isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f'); /* lower case only */
        if (ref)
                ref = hexval(s[8]) * 16 + hexval(s[9]) <= 0x1f && s[11] >= '0' && s[11] <= '7';
        CHECK(vk_is_pci_addr(s) == ref);
}

/* The resolved path is root-relative and clean: no leading, trailing or double '/', no "." or "..". */
static void check_clean(const char *p) {
        CHECK(p[0] != '/');
        CHECK(!*p || p[strlen(p) - 1] != '/');
        CHECK(!strstr(p, "//"));
        for (const char *c = p; *c;) {
                size_t len = strcspn(c, "/");
                CHECK(!(len == 1 && c[0] == '.'));
                CHECK(!(len == 2 && c[0] == '.' && c[1] == '.'));
                c += len + (c[len] == '/');
        }
}

static void check_link(const char *linkdir, const char *target) {
        char *p = vk_resolve_link_path(linkdir, target), *again, *joined, *flat;

        CHECK(p);
        check_clean(p);
        again = vk_resolve_link_path("", p); /* resolving a clean path changes nothing */
        CHECK(again && strcmp(again, p) == 0);
        /* a relative target is the link's directory plus the target; an absolute one ignores the directory */
        joined = target[0] == '/' ? strdup(target) : vk_printf("%s/%s", linkdir, target);
        CHECK(joined);
        flat = vk_resolve_link_path("", joined);
        CHECK(flat && strcmp(flat, p) == 0);
        free(flat);
        free(joined);
        free(again);
        free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* up to the first NUL: one string; after it: a second one (the link target) */
        char *buf = malloc(size + 2);
        const char *a, *b;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = buf[size + 1] = 0;
        a = buf;
        b = buf + strlen(buf) + 1;
        if (b > buf + size)
                b = buf + size; /* no NUL in the input: an empty second string */

        for (int i = 0; i < 2; i++) {
                const char *s = i ? b : a;
                check_hex(s, 0xff);
                check_hex(s, 0xffff);
                check_hex(s, 0xffffff);
                check_hex(s, UINT32_MAX);
                check_uint(s);
                check_pci_addr(s);
        }
        check_link(a, b);
        check_link("sys/bus/pci/devices", a);
        free(buf);
        return 0;
}
