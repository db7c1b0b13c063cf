/* boot-edit-check.h — what the boot-config editor tests share: a change from two word lists, and edit checks that
 * compare the output and always edit it a second time (idempotence). */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/edit.h"

#define NAME_FOR_TESTS "/etc/test"

typedef int (*editor)(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                      vk_error *err);

static inline vk_kargs_change change(const char *add, const char *remove) {
        vk_kargs_change c = {0};
        /* space-separated lists keep the tests short */
        for (int k = 0; k < 2; k++) {
                const char *list = k ? remove : add;
                char *copy = strdup(list ? list : ""), *save = NULL;
                for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                        assert_int_equal(vk_strv_push(k ? &c.remove : &c.add, t), 0);
                free(copy);
        }
        return c;
}

static inline void change_clear(vk_kargs_change *c) {
        vk_strv_clear(&c->add);
        vk_strv_clear(&c->remove);
}

static inline bool has_note(const vk_edit_result *r, const char *needle) {
        for (size_t i = 0; i < r->notes.n; i++)
                if (strstr(r->notes.v[i], needle))
                        return true;
        return false;
}

/* Edit in, expect out, then edit out again: same text, changed false. Returns the first result (caller clears). */
static inline vk_edit_result edit_expect(editor fn, const char *in, size_t in_len, const vk_kargs_change *c, const char *out) {
        vk_edit_result r = {0}, again = {0};
        vk_error err = {0};

        if (fn(NAME_FOR_TESTS, in, in_len, c, &r, &err) != 0)
                fail_msg("edit failed: %s", err.msg);
        if (out) {
                if (r.len != strlen(out) || memcmp(r.text, out, r.len) != 0)
                        fail_msg("got\n[%s]\nwanted\n[%s]", r.text, out);
                assert_int_equal(r.changed, in_len != strlen(out) || memcmp(in, out, in_len) != 0);
        }
        assert_int_equal(r.text[r.len], 0);
        if (fn(NAME_FOR_TESTS, r.text, r.len, c, &again, &err) != 0)
                fail_msg("second edit failed: %s", err.msg);
        assert_false(again.changed);
        assert_int_equal(again.len, r.len);
        assert_memory_equal(again.text, r.text, r.len);
        vk_edit_result_clear(&again);
        return r;
}
#define EXPECT(fn, in, c, out) edit_expect(fn, in, strlen(in), c, out)

static inline void expect_refused(editor fn, const char *in, size_t len, const vk_kargs_change *c, const char *msg) {
        vk_edit_result r = {0};
        vk_error err = {0};
        assert_int_equal(fn(NAME_FOR_TESTS, in, len, c, &r, &err), -EINVAL);
        assert_null(r.text);
        if (!strstr(err.msg, msg))
                fail_msg("error [%s] does not say [%s]", err.msg, msg);
}

/* sizeof, not strlen: some inputs hold NUL bytes */
#define REFUSE(fn, lit, c, msg) expect_refused(fn, lit, sizeof(lit) - 1, c, msg)

/* prefix + 1 MiB of "abcdefg " + suffix, edited by fn: accepted, changed, idempotent */
static inline void big_case(editor fn, const char *prefix, const char *suffix, const vk_kargs_change *c) {
        size_t n = 1 << 20, pl = strlen(prefix), sl = strlen(suffix);
        char *big = malloc(pl + n + sl + 1);
        vk_edit_result r;

        memcpy(big, prefix, pl);
        for (size_t i = 0; i < n; i += 8)
                memcpy(big + pl + i, "abcdefg ", 8);
        memcpy(big + pl + n, suffix, sl + 1);
        r = edit_expect(fn, big, pl + n + sl, c, NULL);
        assert_true(r.changed);
        vk_edit_result_clear(&r);
        free(big);
}

