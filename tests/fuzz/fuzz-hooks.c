/* fuzz-hooks.c — libFuzzer target: what `hooks` parses, a libvirt domain XML (vk_hook_domain_parse) and its own
 * journal (vk_hooks_journal_parse), on arbitrary bytes; an accepted input must give safe values for the script. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
        do {                              \
                if (!(x))                 \
                        __builtin_trap(); \
        } while (0)

static void check_domain(const char *buf, size_t len) {
        vk_hook_domain d = {0};
        vk_error err = {0};
        int r = vk_hook_domain_parse("/fuzz.xml", buf, len, &d, &err);

        if (r < 0) {
                CHECK(r == -EBADMSG || r == -ENOMEM || r == -EFBIG);
                CHECK(d.name == NULL && d.devices.n == 0);
                CHECK(r == -ENOMEM || strstr(err.msg, "/fuzz.xml"));
                return;
        }
        /* what goes into the hook script: a name libvirt accepts, addresses of fixed characters */
        CHECK(vk_hooks_vm_name_is_valid(d.name));
        for (size_t i = 0; i < d.devices.n; i++)
                CHECK(vk_is_pci_addr(d.devices.v[i]));
        CHECK(d.managed.n <= d.devices.n);
        if (d.devices.n) {
                vk_strv none = {0};
                char *s = vk_hooks_vm_script(d.name, "/usr/bin/vfiokit", &d.devices, &none, true);
                CHECK(s && strncmp(s, "#!/bin/sh\n", 10) == 0);
                free(s);
        }
        vk_hook_domain_clear(&d);
}

static void check_journal(const char *text) {
        vk_hooks_journal j = {0}, back = {0};
        vk_error err = {0};
        char *again;
        int r = vk_hooks_journal_parse("/fuzz.json", text, &j, &err);

        if (r < 0) {
                CHECK(r == -EBADMSG || r == -ENOMEM);
                CHECK(j.n == 0);
                return;
        }
        for (size_t i = 0; i < j.n; i++) {
                const char *p = j.v[i].path;
                size_t n = strlen(p);
                /* root-relative, and no ".." component ("a..b" is a name) */
                CHECK(p[0] != '/' && strcmp(p, "..") != 0 && strncmp(p, "../", 3) != 0 && !strstr(p, "/../") &&
                      !(n >= 3 && strcmp(p + n - 3, "/..") == 0));
                CHECK(j.v[i].is_dir || j.v[i].content);
        }
        /* what is saved reads back the same */
        again = vk_hooks_journal_serialize(&j);
        CHECK(again);
        CHECK(vk_hooks_journal_parse("/fuzz.json", again, &back, &err) == 0 && back.n == j.n);
        free(again);
        vk_hooks_journal_clear(&j);
        vk_hooks_journal_clear(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        check_domain(s, size);
        check_journal(s); /* up to the first NUL, as the journal is read */
        free(s);
        return 0;
}
