/* fuzz-edit.h — what every boot-config editor target checks: a refusal is -EINVAL with a message and no text; an
 * accepted edit is a NUL-terminated text that a second edit leaves alone (changed false, same bytes). */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/edit.h"

#define FUZZ_CHECK(cond)                                                              \
        do {                                                                          \
                if (!(cond)) {                                                        \
                        fprintf(stderr, "fuzz-edit: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
                        __builtin_trap();                                             \
                }                                                                     \
        } while (0)

typedef int (*fuzz_editor)(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret,
                           vk_error *err);

static inline vk_kargs_change fuzz_change(int variant) {
        vk_kargs_change c = {0};
        static const char *const adds[][3] = {
                {"intel_iommu=on", "iommu=pt", "vfio-pci.ids=10de:2484,10de:228b"},
                {"amd_iommu=off", "pcie_acs_override=downstream,multifunction", "dyndbg=\"a b\""},
        };
        static const char *const removes[][2] = {{"amd_iommu=on", "pcie_acs_override"}, {"intel_iommu", "quiet"}};
        for (int i = 0; i < 3; i++)
                vk_strv_push(&c.add, adds[variant & 1][i]);
        for (int i = 0; i < 2; i++)
                vk_strv_push(&c.remove, removes[variant & 1][i]);
        return c;
}

static inline void fuzz_change_clear(vk_kargs_change *c) {
        vk_strv_clear(&c->add);
        vk_strv_clear(&c->remove);
}

/* Edit text and check the contract; returns the result (cleared by the caller) or an empty one when refused. */
static inline vk_edit_result fuzz_edit_check(fuzz_editor fn, const char *text, size_t len, const void *arg) {
        vk_edit_result r = {0}, again = {0};
        vk_error err = {0};
        int k = fn("fuzz.conf", text, len, arg, &r, &err);

        if (k < 0) {
                FUZZ_CHECK(k == -EINVAL);
                FUZZ_CHECK(err.msg[0] != 0);
                FUZZ_CHECK(strncmp(err.msg, "fuzz.conf", 9) == 0);
                FUZZ_CHECK(r.text == NULL);
                return r;
        }
        FUZZ_CHECK(k == 0);
        FUZZ_CHECK(r.text != NULL);
        FUZZ_CHECK(r.text[r.len] == 0);
        FUZZ_CHECK(strlen(r.text) == r.len);
        FUZZ_CHECK(r.changed == (r.len != len || memcmp(r.text, text, len) != 0));
        k = fn("fuzz.conf", r.text, r.len, arg, &again, &err);
        if (k != 0)
                fprintf(stderr, "fuzz-edit: the output is refused: %s\n---\n%s\n---\n", err.msg, r.text);
        FUZZ_CHECK(k == 0);
        if (again.changed)
                fprintf(stderr, "fuzz-edit: not idempotent:\n--- first\n%s\n--- second\n%s\n---\n", r.text, again.text);
        FUZZ_CHECK(!again.changed);
        FUZZ_CHECK(again.len == r.len && memcmp(again.text, r.text, r.len) == 0);
        vk_edit_result_clear(&again);
        return r;
}
