/* test-boot-edit.c — the boot-config editors: exact output, idempotence, conflicts, refusals, odd files. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/edit.h"
#include "report.h"

#define NAME_FOR_TESTS "/etc/test"

typedef int (*editor)(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                      vk_error *err);

static vk_kargs_change change(const char *add, const char *remove) {
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

static void change_clear(vk_kargs_change *c) {
        vk_strv_clear(&c->add);
        vk_strv_clear(&c->remove);
}

static bool has_note(const vk_edit_result *r, const char *needle) {
        for (size_t i = 0; i < r->notes.n; i++)
                if (strstr(r->notes.v[i], needle))
                        return true;
        return false;
}

/* Edit in, expect out, then edit out again: same text, changed false. Returns the first result (caller clears). */
static vk_edit_result edit_expect(editor fn, const char *in, size_t in_len, const vk_kargs_change *c, const char *out) {
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

static void expect_refused(editor fn, const char *in, size_t len, const vk_kargs_change *c, const char *msg) {
        vk_edit_result r = {0};
        vk_error err = {0};
        assert_int_equal(fn(NAME_FOR_TESTS, in, len, c, &r, &err), -EINVAL);
        assert_null(r.text);
        if (!strstr(err.msg, msg))
                fail_msg("error [%s] does not say [%s]", err.msg, msg);
}

/* sizeof, not strlen: some inputs hold NUL bytes */
#define REFUSE(fn, lit, c, msg) expect_refused(fn, lit, sizeof(lit) - 1, c, msg)

/* ---- kernel command line ---- */

static void test_kargs_add_present_conflict(void **state) {
        vk_kargs_change c = change("intel_iommu=on iommu=pt", NULL);
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_kargs_edit, "quiet splash\n", &c, "quiet splash intel_iommu=on iommu=pt\n");
        assert_true(r.changed);
        vk_edit_result_clear(&r);
        r = EXPECT(vk_kargs_edit, "quiet intel_iommu=on iommu=pt", &c, "quiet intel_iommu=on iommu=pt");
        assert_false(r.changed);
        assert_true(has_note(&r, "iommu=pt: already present"));
        vk_edit_result_clear(&r);
        /* conflicting values are left alone and reported */
        r = EXPECT(vk_kargs_edit, "iommu=off intel_iommu=off ro", &c, "iommu=off intel_iommu=off ro");
        assert_true(has_note(&r, "iommu=off is set; wanted iommu=pt (left as is)"));
        assert_true(has_note(&r, "intel_iommu=off is set; wanted intel_iommu=on"));
        vk_edit_result_clear(&r);
        /* the kernel's last one wins: an earlier =off does not matter, a later one does */
        r = EXPECT(vk_kargs_edit, "intel_iommu=off intel_iommu=on", &c, "intel_iommu=off intel_iommu=on iommu=pt");
        vk_edit_result_clear(&r);
        /* '-' and '_' are the same key; empty and blank lines */
        r = EXPECT(vk_kargs_edit, "intel-iommu=on", &c, "intel-iommu=on iommu=pt");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_kargs_edit, "", &c, "intel_iommu=on iommu=pt");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_kargs_edit, "\n", &c, "intel_iommu=on iommu=pt\n");
        vk_edit_result_clear(&r);
        change_clear(&c);
}

static void test_kargs_quotes_and_remove(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_kargs_edit, "quiet udev.log_priority=3 audit=0 amd_iommu=on iommu=pt", &c,
                   "quiet udev.log_priority=3 audit=0 iommu=pt");
        assert_true(has_note(&r, "amd_iommu=on: removed"));
        vk_edit_result_clear(&r);
        r = EXPECT(vk_kargs_edit, "amd_iommu=on  quiet", &c, "quiet iommu=pt");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_kargs_edit, "amd_iommu=on", &c, "iommu=pt");
        vk_edit_result_clear(&r);
        /* amd_iommu=off is another value: only the exact token goes */
        r = EXPECT(vk_kargs_edit, "amd_iommu=off", &c, "amd_iommu=off iommu=pt");
        vk_edit_result_clear(&r);
        /* a quoted value with spaces is one argument, kept byte for byte */
        r = EXPECT(vk_kargs_edit, "dyndbg=\"file amd_iommu=on +p\"  ro", &c, "dyndbg=\"file amd_iommu=on +p\"  ro iommu=pt");
        vk_edit_result_clear(&r);
        change_clear(&c);
        c = change(NULL, "amd_iommu");
        r = EXPECT(vk_kargs_edit, "a amd_iommu=on b amd_iommu c", &c, "a b c");
        vk_edit_result_clear(&r);
        change_clear(&c);
        c = change("iommu=pt", NULL);
        REFUSE(vk_kargs_edit, "quiet dyndbg=\"x", &c, "/etc/test:1: the kernel command line has an unterminated \"");
        REFUSE(vk_kargs_edit, "quiet\0x", &c, "/etc/test:1: binary data");
        change_clear(&c);
        /* bad change: not one argument, both added and removed */
        c = change("iommu=pt", "iommu");
        REFUSE(vk_kargs_edit, "quiet", &c, "both added and removed");
        change_clear(&c);
}

static void test_kargs_ids(void **state) {
        vk_kargs_change c = change("vfio-pci.ids=10de:2484,10de:228b", NULL);
        vk_edit_result r;
        (void)state;

        /* other ids: a conflict, never a silent merge */
        r = EXPECT(vk_kargs_edit, "vfio-pci.ids=1002:67df", &c, "vfio-pci.ids=1002:67df");
        assert_true(has_note(&r, "vfio-pci.ids=1002:67df is set; wanted vfio-pci.ids=10de:2484,10de:228b"));
        vk_edit_result_clear(&r);
        /* a superset already there is enough */
        r = EXPECT(vk_kargs_edit, "vfio_pci.ids=10DE:228b,10de:2484,1002:67df", &c,
                   "vfio_pci.ids=10DE:228b,10de:2484,1002:67df");
        assert_true(has_note(&r, "already present"));
        vk_edit_result_clear(&r);
        /* ours keeps every id there: replaced */
        r = EXPECT(vk_kargs_edit, "ro vfio-pci.ids=10de:2484 quiet", &c, "ro quiet vfio-pci.ids=10de:2484,10de:228b");
        assert_true(has_note(&r, "replaced"));
        vk_edit_result_clear(&r);
        change_clear(&c);
}

static void test_kargs_big_line(void **state) {
        size_t n = 1 << 20;
        char *big = malloc(n + 1);
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        vk_edit_result r;
        (void)state;

        for (size_t i = 0; i < n; i += 8)
                memcpy(big + i, "abcdefg ", 8);
        memcpy(big + n / 2, "amd_iommu=on ", 13);
        big[n] = 0;
        r = edit_expect(vk_kargs_edit, big, n, &c, NULL);
        assert_true(r.changed);
        assert_int_equal(r.len, n - 13 + 9);
        assert_non_null(strstr(r.text, "abcdefg iommu=pt"));
        assert_null(strstr(r.text, "amd_iommu"));
        vk_edit_result_clear(&r);
        change_clear(&c);
        free(big);
}

/* ---- /etc/default/grub ---- */

#define SEED002 "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet udev.log_priority=3 audit=0 amd_iommu=on iommu=pt\"\n"

static void test_grub_seed002(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        const char *in = "# GRUB boot loader configuration\n"
                         "GRUB_DEFAULT=0\n"
                         "GRUB_TIMEOUT=5\n"
                         "GRUB_DISTRIBUTOR=\"Arch\"\n" SEED002 "GRUB_CMDLINE_LINUX=\"\"\n"
                         "# don't touch 'this' comment\n"
                         "GRUB_PRELOAD_MODULES=\"part_gpt part_msdos\"\n";
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_grub_edit, in, &c,
                   "# GRUB boot loader configuration\n"
                   "GRUB_DEFAULT=0\n"
                   "GRUB_TIMEOUT=5\n"
                   "GRUB_DISTRIBUTOR=\"Arch\"\n"
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet udev.log_priority=3 audit=0 iommu=pt\"\n"
                   "GRUB_CMDLINE_LINUX=\"\"\n"
                   "# don't touch 'this' comment\n"
                   "GRUB_PRELOAD_MODULES=\"part_gpt part_msdos\"\n");
        assert_true(has_note(&r, "amd_iommu=on: removed"));
        assert_true(has_note(&r, "iommu=pt: already present"));
        vk_edit_result_clear(&r);
        change_clear(&c);
}

static void test_grub_quoting(void **state) {
        vk_kargs_change c = change("intel_iommu=on iommu=pt", NULL);
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT='quiet splash'\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT='quiet splash intel_iommu=on iommu=pt'\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=quiet\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt\"\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=on iommu=pt\"\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\"\"\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=on iommu=pt\"\n");
        vk_edit_result_clear(&r);
        /* escapes stay as they are; a kernel-quoted value inside shell quotes is one argument */
        r = EXPECT(vk_grub_edit, "export GRUB_CMDLINE_LINUX_DEFAULT=\"quiet dyndbg=\\\"file x.c +p\\\"\" # mine\n", &c,
                   "export GRUB_CMDLINE_LINUX_DEFAULT=\"quiet dyndbg=\\\"file x.c +p\\\" intel_iommu=on iommu=pt\" # mine\n");
        vk_edit_result_clear(&r);
        /* unquoted with a backslash: a double-quoted piece is added, the rest is not rewritten */
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=quiet\\ splash\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=quiet\\ splash\" intel_iommu=on iommu=pt\"\n");
        vk_edit_result_clear(&r);
        /* a value continued on the next line */
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet \\\nsplash\"\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet \\\nsplash intel_iommu=on iommu=pt\"\n");
        vk_edit_result_clear(&r);
        change_clear(&c);
}

static void test_grub_lines(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        vk_edit_result r;
        (void)state;

        /* the last assignment is the one the shell keeps */
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\"a amd_iommu=on\"\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"b\"\r\n", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"a amd_iommu=on\"\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"b iommu=pt\"\r\n");
        vk_edit_result_clear(&r);
        /* missing: added, with the file's line ending, and no final newline when it had none */
        r = EXPECT(vk_grub_edit, "GRUB_TIMEOUT=5\r\n", &c, "GRUB_TIMEOUT=5\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\r\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_grub_edit, "GRUB_TIMEOUT=5", &c, "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet amd_iommu=on\"", &c,
                   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_grub_edit, "", &c, "GRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\n");
        vk_edit_result_clear(&r);
        /* inside another variable's multi-line value, a look-alike line is not an assignment */
        r = EXPECT(vk_grub_edit, "X=\"\nGRUB_CMDLINE_LINUX_DEFAULT=no\n\"\n", &c,
                   "X=\"\nGRUB_CMDLINE_LINUX_DEFAULT=no\n\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\n");
        vk_edit_result_clear(&r);
        /* GRUB_CMDLINE_LINUX loses what is removed too (it is on every entry) */
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX=\"amd_iommu=on rw\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"amd_iommu=on\"\n", &c,
                   "GRUB_CMDLINE_LINUX=\"rw\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\n");
        assert_int_equal(r.notes.n, 1);
        vk_edit_result_clear(&r);
        /* what GRUB_CMDLINE_LINUX has counts as present */
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX=\"iommu=pt\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n", &c,
                   "GRUB_CMDLINE_LINUX=\"iommu=pt\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        assert_true(has_note(&r, "already present"));
        vk_edit_result_clear(&r);
        change_clear(&c);
}

static void test_grub_refused(void **state) {
        vk_kargs_change c = change("iommu=pt", NULL);
        (void)state;

        REFUSE(vk_grub_edit, "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\nGRUB_X=1\n", &c,
                       "/etc/test:2: unterminated \" quote");
        REFUSE(vk_grub_edit, "# ok\nGRUB_X='a\n", &c, "/etc/test:2: unterminated ' quote");
        REFUSE(vk_grub_edit, "GRUB_TIMEOUT=5\n\x01\x02\xff", &c, "/etc/test:2: binary data");
        REFUSE(vk_grub_edit, "GRUB_X=1\0\n", &c, "/etc/test:1: binary data");
        REFUSE(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT x\"\n", &c,
                       "shell expansion");
        REFUSE(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT+=\" x\"\n", &c, "+=");
        REFUSE(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=\"x\"; GRUB_X=1\n", &c, "/etc/test:1: more shell");
        REFUSE(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT='a \"b'\n", &c, "unterminated \"");
        REFUSE(vk_grub_edit, "GRUB_X=1 \\", &c, "continues the last line");
        /* found by fuzz-grub: text added after a lone \ would be escaped by it */
        REFUSE(vk_grub_edit, "GRUB_CMDLINE_LINUX_DEFAULT=quiet\v\\", &c, "/etc/test:1: the file ends with a \\");
        change_clear(&c);
}

static void test_grub_big_line(void **state) {
        size_t n = 1 << 20;
        char *big = malloc(n + 64);
        vk_kargs_change c = change("iommu=pt", NULL);
        vk_edit_result r;
        size_t o;
        (void)state;

        o = (size_t)sprintf(big, "GRUB_CMDLINE_LINUX_DEFAULT=\"");
        while (o < n)
                o += (size_t)sprintf(big + o, "quiet ");
        o += (size_t)sprintf(big + o, "ro\"\n");
        r = edit_expect(vk_grub_edit, big, o, &c, NULL);
        assert_true(r.changed);
        assert_int_equal(r.len, o + 9);
        assert_memory_equal(r.text + o - 4, "ro iommu=pt\"\n", 13);
        vk_edit_result_clear(&r);
        change_clear(&c);
        free(big);
}

/* 1 MiB of assignments: line numbers are counted only for messages, never once per assignment */
static void test_grub_many_lines(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        static const char line[] = "GRUB_CMDLINE_LINUX_DEFAULT=\"amd_iommu=on\"\n";
        size_t n = (1 << 20) / (sizeof(line) - 1), o = 0;
        char *big = malloc(n * (sizeof(line) - 1) + 1);
        vk_edit_result r;
        (void)state;

        for (size_t i = 0; i < n; i++, o += sizeof(line) - 1)
                memcpy(big + o, line, sizeof(line) - 1);
        big[o] = 0;
        r = edit_expect(vk_grub_edit, big, o, &c, NULL);
        assert_int_equal(r.len, o - strlen("amd_iommu=on") + strlen("iommu=pt"));
        assert_memory_equal(r.text + r.len - sizeof("=\"iommu=pt\"\n") + 1, "=\"iommu=pt\"\n", sizeof("=\"iommu=pt\"\n") - 1);
        vk_edit_result_clear(&r);
        change_clear(&c);
        free(big);
}

static void test_cmdline_spans(void **state) {
        vk_cmdline_span *s = NULL;
        vk_cmdline_arg a;
        size_t n = 0;
        const char *line = "  ro dyndbg=\"file x.c +p\"\tquiet\n";
        (void)state;

        assert_int_equal(vk_cmdline_split(line, strlen(line), &s, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(s[0].start, 2);
        assert_int_equal(s[0].end, 4);
        assert_int_equal(s[0].eq, SIZE_MAX);
        assert_int_equal(s[1].start, 5);
        assert_int_equal(s[1].eq, 11);
        assert_int_equal(s[1].end, 25);
        assert_int_equal(vk_cmdline_arg_from_span(line, &s[1], &a), 0);
        assert_string_equal(a.key, "dyndbg");
        assert_string_equal(a.value, "file x.c +p");
        free(a.key);
        free(a.value);
        assert_int_equal(s[2].end, 31);
        free(s);
}

/* ---- BLS entries, rEFInd, Limine, kernelstub ---- */

static void test_bls(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_bls_entry_edit,
                   "# Boot Loader Specification type#1 entry\ntitle   Fedora Linux 39\nversion 6.5.6\n"
                   "linux   /vmlinuz-6.5.6\noptions root=UUID=abc ro amd_iommu=on rhgb quiet\ninitrd  /initramfs.img\n",
                   &c,
                   "# Boot Loader Specification type#1 entry\ntitle   Fedora Linux 39\nversion 6.5.6\n"
                   "linux   /vmlinuz-6.5.6\noptions root=UUID=abc ro rhgb quiet iommu=pt\ninitrd  /initramfs.img\n");
        vk_edit_result_clear(&r);
        /* several options lines are one command line: present on the first is present */
        r = EXPECT(vk_bls_entry_edit, "options iommu=pt\r\noptions quiet\r\n", &c, "options iommu=pt\r\noptions quiet\r\n");
        assert_true(has_note(&r, "already present"));
        vk_edit_result_clear(&r);
        r = EXPECT(vk_bls_entry_edit, "options amd_iommu=on\noptions quiet\n", &c, "options \noptions quiet iommu=pt\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_bls_entry_edit, "title x\nlinux /vmlinuz", &c, "title x\nlinux /vmlinuz\noptions iommu=pt");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_bls_entry_edit, "options\n", &c, "options iommu=pt\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_bls_entry_edit, "", &c, "options iommu=pt\n");
        vk_edit_result_clear(&r);
        REFUSE(vk_bls_entry_edit, "title x\noptions a=\"b\n", &c, "/etc/test:2: the kernel command line has an unterminated");
        REFUSE(vk_bls_entry_edit, "options x\0", &c, "binary data");
        change_clear(&c);
}

static void test_refind(void **state) {
        vk_kargs_change c = change("intel_iommu=on", NULL);
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_refind_edit,
                   "# generated by mkrlconf\n\"Boot with standard options\"  \"ro root=UUID=x quiet\"\n"
                   "\"Boot to single-user mode\"    \"ro root=UUID=x single\"\n",
                   &c,
                   "# generated by mkrlconf\n\"Boot with standard options\"  \"ro root=UUID=x quiet intel_iommu=on\"\n"
                   "\"Boot to single-user mode\"    \"ro root=UUID=x single intel_iommu=on\"\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_refind_edit, "\"Default\" \"\"\r\n\"Bare\" ro\r\n\"Title only\"", &c,
                   "\"Default\" \"intel_iommu=on\"\r\n\"Bare\" \"ro intel_iommu=on\"\r\n\"Title only\" \"intel_iommu=on\"");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_refind_edit, "\"A\" \"intel_iommu=off\"\n", &c, "\"A\" \"intel_iommu=off\"\n");
        assert_true(has_note(&r, "intel_iommu=off is set"));
        vk_edit_result_clear(&r);
        REFUSE(vk_refind_edit, "\"A\" \"ro\n", &c, "/etc/test:1: unterminated \" quote");
        REFUSE(vk_refind_edit, "\"A\" ro\"x\"\n", &c, "/etc/test:1: a \" inside an unquoted field");
        REFUSE(vk_refind_edit, "# only a comment\n", &c, "no \"Title\" \"options\" line");
        REFUSE(vk_refind_edit, "", &c, "no \"Title\" \"options\" line");
        change_clear(&c);
}

static void test_limine(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_limine_edit,
                   "timeout: 5\n\n/Arch Linux\n    protocol: linux\n    path: boot():/vmlinuz-linux\n"
                   "    cmdline: root=UUID=x rw amd_iommu=on\n    module_path: boot():/initramfs-linux.img\n\n"
                   "/Windows\n    protocol: efi_chainload\n    image_path: boot():/EFI/Microsoft/bootmgfw.efi\n"
                   "/Arch (fallback)\n    protocol: linux\n    kernel_cmdline: root=UUID=x rw\n",
                   &c,
                   "timeout: 5\n\n/Arch Linux\n    protocol: linux\n    path: boot():/vmlinuz-linux\n"
                   "    cmdline: root=UUID=x rw iommu=pt\n    module_path: boot():/initramfs-linux.img\n\n"
                   "/Windows\n    protocol: efi_chainload\n    image_path: boot():/EFI/Microsoft/bootmgfw.efi\n"
                   "/Arch (fallback)\n    protocol: linux\n    kernel_cmdline: root=UUID=x rw iommu=pt\n");
        vk_edit_result_clear(&r);
        /* an entry without a cmdline gets one after its protocol line */
        r = EXPECT(vk_limine_edit, "/Linux\r\n  protocol: linux\r\n  path: boot():/vmlinuz\r\n", &c,
                   "/Linux\r\n  protocol: linux\r\n  cmdline: iommu=pt\r\n  path: boot():/vmlinuz\r\n");
        vk_edit_result_clear(&r);
        /* limine.cfg, the old syntax */
        r = EXPECT(vk_limine_edit, "TIMEOUT=3\n:Arch\n    PROTOCOL=linux\n    CMDLINE=rw amd_iommu=on\n", &c,
                   "TIMEOUT=3\n:Arch\n    PROTOCOL=linux\n    CMDLINE=rw iommu=pt\n");
        vk_edit_result_clear(&r);
        r = EXPECT(vk_limine_edit, ":Arch\nPROTOCOL=linux", &c, ":Arch\nPROTOCOL=linux\nCMDLINE=iommu=pt");
        vk_edit_result_clear(&r);
        REFUSE(vk_limine_edit, "/Windows\n  protocol: efi_chainload\n", &c, "no Linux entry");
        REFUSE(vk_limine_edit, "", &c, "no Linux entry");
        REFUSE(vk_limine_edit, "/L\n protocol: linux\n cmdline: a=\"b\n", &c, "/etc/test:3: the kernel command line");
        change_clear(&c);
}

#define STUB_HEAD "{\n  \"default\": {\n    \"kernel_options\": [ \"quiet\", \"splash\" ],\n    \"esp_path\": \"/boot/efi\"\n  },\n"

static void test_kernelstub(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        vk_edit_result r;
        (void)state;

        r = EXPECT(vk_kernelstub_edit,
                   STUB_HEAD "  \"user\": {\n    \"kernel_options\": [ \"quiet loglevel=0\", \"amd_iommu=on\", \"splash\" ],\n"
                             "    \"esp_path\": \"/boot/efi\",\n    \"setup_loader\": false\n  }\n}\n",
                   &c,
                   "{\n  \"default\": {\n    \"kernel_options\": [\n      \"quiet\",\n      \"splash\"\n    ],\n"
                   "    \"esp_path\": \"/boot/efi\"\n  },\n  \"user\": {\n    \"kernel_options\": [\n      \"quiet loglevel=0\",\n"
                   "      \"splash\",\n      \"iommu=pt\"\n    ],\n    \"esp_path\": \"/boot/efi\",\n"
                   "    \"setup_loader\": false\n  }\n}\n");
        vk_edit_result_clear(&r);
        /* present: the file is not rewritten at all, formatting and all */
        r = EXPECT(vk_kernelstub_edit, "{\"user\":{\"kernel_options\":[\"iommu=pt\"]}}", &c,
                   "{\"user\":{\"kernel_options\":[\"iommu=pt\"]}}");
        vk_edit_result_clear(&r);
        /* no "user" yet: made from "default", as kernelstub does */
        r = edit_expect(vk_kernelstub_edit, STUB_HEAD "  \"x\": 1\n}", strlen(STUB_HEAD "  \"x\": 1\n}"), &c, NULL);
        assert_non_null(strstr(r.text, "\"user\": {\n    \"kernel_options\": [\n      \"quiet\",\n      \"splash\",\n"
                                       "      \"iommu=pt\"\n    ],\n    \"esp_path\": \"/boot/efi\"\n  }"));
        vk_edit_result_clear(&r);
        REFUSE(vk_kernelstub_edit, "{\"user\": {\"kernel_options\": [\"quiet\"\n", &c, "/etc/test:");
        REFUSE(vk_kernelstub_edit, "{\"user\": {\"kernel_options\": [1]}}", &c, "is not a string");
        REFUSE(vk_kernelstub_edit, "{} x", &c, "/etc/test:1: data after the JSON");
        REFUSE(vk_kernelstub_edit, "", &c, "not valid JSON");
        REFUSE(vk_kernelstub_edit, "[]", &c, "no JSON object");
        REFUSE(vk_kernelstub_edit, "{\"x\": 1}", &c, "neither a \"user\" nor a \"default\"");
        change_clear(&c);
}

/* ---- vfiokit's own files ---- */

static void test_modprobe_render(void **state) {
        vk_modprobe_want w = {0};
        char *out = NULL;
        (void)state;

        vk_strv_push(&w.ids, "10de:2484");
        vk_strv_push(&w.ids, "10de:228b");
        vk_strv_push(&w.softdeps, "nouveau");
        vk_strv_push(&w.softdeps, "snd_hda_intel");
        assert_int_equal(vk_modprobe_render(&w, &out), 0);
        assert_string_equal(out, "# Written by vfiokit (vfiokit boot apply): vfio-pci claims these devices before "
                                 "their usual drivers.\n"
                                 "# Undo with `vfiokit boot revert`; vfiokit rewrites this file, so change it through "
                                 "vfiokit.\n"
                                 "options vfio-pci ids=10de:2484,10de:228b\n"
                                 "softdep nouveau pre: vfio-pci\n"
                                 "softdep snd_hda_intel pre: vfio-pci\n");
        free(out);
        out = NULL;
        vk_strv_push(&w.ids, "10de:22 8b");
        assert_int_equal(vk_modprobe_render(&w, &out), -EINVAL);
        assert_null(out);
        vk_strv_clear(&w.ids);
        vk_strv_clear(&w.softdeps);
}

static void test_dracut_render(void **state) {
        vk_strv m = {0};
        char *out = NULL;
        (void)state;

        assert_int_equal(vk_dracut_render(&m, &out), -EINVAL);
        vk_strv_push(&m, "vfio_pci");
        vk_strv_push(&m, "vfio");
        vk_strv_push(&m, "vfio_iommu_type1");
        assert_int_equal(vk_dracut_render(&m, &out), 0);
        assert_non_null(strstr(out, "# Written by vfiokit"));
        assert_non_null(strstr(out, "\nforce_drivers+=\" vfio_pci vfio vfio_iommu_type1 \"\n"));
        free(out);
        vk_strv_push(&m, "vfio\"; rm");
        assert_int_equal(vk_dracut_render(&m, &out), -EINVAL);
        vk_strv_clear(&m);
}

/* ---- initramfs ---- */

static vk_strv modules_vfio;

static int itools(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                  vk_error *err) {
        (void)c;
        return vk_initramfs_tools_edit(name, text, len, &modules_vfio, ret, err);
}

static void test_initramfs_tools(void **state) {
        vk_edit_result r;
        (void)state;

        r = EXPECT(itools, "# List of modules\n# one per line\n", NULL,
                   "# List of modules\n# one per line\nvfio_pci\nvfio\nvfio_iommu_type1\n");
        vk_edit_result_clear(&r);
        /* before a GPU driver already listed; arguments and comments kept */
        r = EXPECT(itools, "# mods\r\nnvidia modeset=1\r\nvfio\r\n", NULL,
                   "# mods\r\nvfio_pci\r\nvfio_iommu_type1\r\nnvidia modeset=1\r\nvfio\r\n");
        assert_true(has_note(&r, "vfio: already listed"));
        vk_edit_result_clear(&r);
        r = EXPECT(itools, "# no newline", NULL, "# no newline\nvfio_pci\nvfio\nvfio_iommu_type1\n");
        vk_edit_result_clear(&r);
        r = EXPECT(itools, "", NULL, "vfio_pci\nvfio\nvfio_iommu_type1\n");
        vk_edit_result_clear(&r);
        r = EXPECT(itools, "vfio-pci\nvfio\nvfio_iommu_type1\n", NULL, "vfio-pci\nvfio\nvfio_iommu_type1\n");
        assert_false(r.changed);
        vk_edit_result_clear(&r);
        REFUSE(itools, "vfio\n\x7f\x45LF", NULL, "/etc/test:2: binary data");
}

static vk_strv modules_drop;

static int mkinitcpio(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                      vk_error *err) {
        (void)c;
        return vk_mkinitcpio_edit(name, text, len, &modules_vfio, &modules_drop, ret, err);
}

static int booster(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err) {
        (void)c;
        return vk_booster_edit(name, text, len, &modules_vfio, ret, err);
}

static void test_mkinitcpio(void **state) {
        vk_edit_result r;
        (void)state;

        r = EXPECT(mkinitcpio, "# vim:set ft=sh\nMODULES=()\nHOOKS=(base udev)\n", NULL,
                   "# vim:set ft=sh\nMODULES=(vfio_pci vfio vfio_iommu_type1)\nHOOKS=(base udev)\n");
        vk_edit_result_clear(&r);
        /* existing modules keep their order; ours go before them; vfio_virqfd is dropped */
        r = EXPECT(mkinitcpio, "MODULES=(nvidia vfio_virqfd nvidia_drm) # gpu\n", NULL,
                   "MODULES=(vfio_pci vfio vfio_iommu_type1 nvidia nvidia_drm) # gpu\n");
        assert_true(has_note(&r, "vfio_virqfd: dropped"));
        vk_edit_result_clear(&r);
        /* an array spanning lines with comments, the old string form, an empty value, a missing one */
        r = EXPECT(mkinitcpio, "MODULES=(\r\n  # early KMS\r\n  'amdgpu' # (quoted)\r\n  vfio\r\n)\r\n", NULL,
                   "MODULES=(\r\n  # early KMS\r\n  vfio_pci vfio_iommu_type1 'amdgpu' # (quoted)\r\n  vfio\r\n)\r\n");
        vk_edit_result_clear(&r);
        r = EXPECT(mkinitcpio, "MODULES=\"i915 vfio_virqfd\"", NULL, "MODULES=\"vfio_pci vfio vfio_iommu_type1 i915\"");
        vk_edit_result_clear(&r);
        r = EXPECT(mkinitcpio, "MODULES=\nHOOKS=(base)\n", NULL, "MODULES=(vfio_pci vfio vfio_iommu_type1)\nHOOKS=(base)\n");
        vk_edit_result_clear(&r);
        r = EXPECT(mkinitcpio, "", NULL, "MODULES=(vfio_pci vfio vfio_iommu_type1)\n");
        vk_edit_result_clear(&r);
        /* the last MODULES wins in bash */
        REFUSE(mkinitcpio, "MODULES=(a)\nMODULES=(b\n", NULL, "/etc/test:2: MODULES=( is never closed");
        r = EXPECT(mkinitcpio, "MODULES=(a)\nMODULES=(b)\n", NULL, "MODULES=(a)\nMODULES=(vfio_pci vfio vfio_iommu_type1 b)\n");
        vk_edit_result_clear(&r);
        REFUSE(mkinitcpio, "MODULES=(vfio\nHOOKS=(base)\n", NULL, "/etc/test:1: MODULES=( is not closed before line 2");
        REFUSE(mkinitcpio, "MODULES=(vfio\n", NULL, "/etc/test:1: MODULES=( is never closed");
        REFUSE(mkinitcpio, "# x\nMODULES=('vfio)\n", NULL, "/etc/test:2: unterminated ' quote");
        REFUSE(mkinitcpio, "MODULES=(\x1b[31m)\n", NULL, "binary data");
}

static void test_booster(void **state) {
        vk_edit_result r;
        (void)state;

        r = EXPECT(booster, "universal: false\nmodules_force_load: nvidia\ncompression: zstd\n", NULL,
                   "universal: false\nmodules_force_load: vfio_pci,vfio,vfio_iommu_type1,nvidia\ncompression: zstd\n");
        vk_edit_result_clear(&r);
        r = EXPECT(booster, "compression: zstd # fast\r\n", NULL,
                   "compression: zstd # fast\r\nmodules_force_load: vfio_pci,vfio,vfio_iommu_type1\r\n");
        vk_edit_result_clear(&r);
        r = EXPECT(booster, "modules_force_load: \"vfio, vfio-pci\" # mine", NULL,
                   "modules_force_load: \"vfio_iommu_type1,vfio, vfio-pci\" # mine");
        vk_edit_result_clear(&r);
        r = EXPECT(booster, "modules_force_load:\n", NULL, "modules_force_load: vfio_pci,vfio,vfio_iommu_type1\n");
        vk_edit_result_clear(&r);
        r = EXPECT(booster, "", NULL, "modules_force_load: vfio_pci,vfio,vfio_iommu_type1\n");
        vk_edit_result_clear(&r);
        REFUSE(booster, "modules_force_load: [vfio]\n", NULL, "/etc/test:1: modules_force_load is not a plain string");
        REFUSE(booster, "modules_force_load:\n  - vfio\n", NULL, "YAML list");
        REFUSE(booster, "modules_force_load: a\nmodules_force_load: b\n", NULL, "/etc/test:2: modules_force_load is set twice");
        REFUSE(booster, "a: 1\n\0", NULL, "/etc/test:2: binary data");
}

static int setup_modules(void **state) {
        (void)state;
        vk_strv_push(&modules_drop, "vfio_virqfd");
        vk_strv_push(&modules_vfio, "vfio_pci");
        vk_strv_push(&modules_vfio, "vfio");
        vk_strv_push(&modules_vfio, "vfio_iommu_type1");
        return 0;
}

static int teardown_modules(void **state) {
        (void)state;
        vk_strv_clear(&modules_vfio);
        vk_strv_clear(&modules_drop);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kargs_add_present_conflict),
                cmocka_unit_test(test_kargs_quotes_and_remove),
                cmocka_unit_test(test_kargs_ids),
                cmocka_unit_test(test_kargs_big_line),
                cmocka_unit_test(test_grub_seed002),
                cmocka_unit_test(test_grub_quoting),
                cmocka_unit_test(test_grub_lines),
                cmocka_unit_test(test_grub_refused),
                cmocka_unit_test(test_grub_big_line),
                cmocka_unit_test(test_grub_many_lines),
                cmocka_unit_test(test_cmdline_spans),
                cmocka_unit_test(test_bls),
                cmocka_unit_test(test_refind),
                cmocka_unit_test(test_limine),
                cmocka_unit_test(test_kernelstub),
                cmocka_unit_test(test_modprobe_render),
                cmocka_unit_test(test_dracut_render),
                cmocka_unit_test(test_initramfs_tools),
                cmocka_unit_test(test_mkinitcpio),
                cmocka_unit_test(test_booster),
        };
        return cmocka_run_group_tests(tests, setup_modules, teardown_modules);
}
