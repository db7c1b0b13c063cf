/* test-boot-edit.c — the kernel command-line editors (kargs, GRUB, BLS, rEFInd, Limine, kernelstub): exact output,
 * idempotence, conflicts, refusals, odd files. */
#define _GNU_SOURCE
#include "boot-edit-check.h"
#include "boot/edit-internal.h"
#include "report.h"

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
        /* a last line that continues (backslash-newline) would swallow the new line: a blank line ends it first
         * (the CI fuzz run found the added line joined to GRUB_CMDLINE_LINUX's value, and added again next time) */
        r = EXPECT(vk_grub_edit, "GRUB_CMDLINE_LINUX=rw\\\n", &c,
                   "GRUB_CMDLINE_LINUX=rw\\\n\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\n");
        vk_edit_result_clear(&r);
        /* an escaped backslash does not continue */
        r = EXPECT(vk_grub_edit, "X=a\\\\\n", &c, "X=a\\\\\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\n");
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

/* vk_sh_value: a variable read as grub-mkconfig's shell reads it (--trial-boot reads GRUB_DEFAULT with it) */
static char *sh_value(const char *text, const char *var, vk_error *err) {
        char *v = (char *)"unset";
        *err = (vk_error){0};
        int r = vk_sh_value("/etc/test", text, strlen(text), var, &v, err);
        if (r < 0) {
                assert_ptr_equal(v, (char *)"unset"); /* nothing returned on failure */
                return NULL;
        }
        return v ? v : strdup("(none)");
}

static void test_grub_value(void **state) {
        static const struct {
                const char *text, *want;
        } cases[] = {
                {"GRUB_DEFAULT=saved\n", "saved"},
                {"  export GRUB_DEFAULT=\"saved\"\n", "saved"},
                {"GRUB_DEFAULT='saved'\r\n", "saved"},
                {"GRUB_DEFAULT=0\nGRUB_DEFAULT=saved # last one wins\n", "saved"},
                {"GRUB_DEFAULT=saved\nGRUB_DEFAULT+=x\n", "saved"},            /* += is not an assignment of it */
                {"GRUB_DEFAULTS=saved\nX=\"GRUB_DEFAULT=saved\"\n", "(none)"}, /* other names, a value */
                {"GRUB_X=\"a \\\nGRUB_DEFAULT=saved\"\n", "(none)"},        /* inside a continued value */
                {"GRUB_DEFAULT=sa\\\nved\n", "saved"},                       /* continued itself */
                {"GRUB_DEFAULT=\"$(echo saved)\"\n", "$(echo saved)"},         /* an expansion as written */
                {"", "(none)"},
        };
        vk_error err;
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *v = sh_value(cases[i].text, "GRUB_DEFAULT", &err);
                assert_non_null(v);
                assert_string_equal(v, cases[i].want);
                free(v);
        }
        assert_null(sh_value("GRUB_TIMEOUT=5\nGRUB_DEFAULT=\"saved\n", "GRUB_DEFAULT", &err));
        assert_non_null(strstr(err.msg, "/etc/test:2: unterminated \" quote"));
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
        /* kernelstub writes no final newline; the edited file has none either (Pop!_OS round trip) */
        assert_int_equal(r.text[r.len - 1], '}');
        vk_edit_result_clear(&r);
        REFUSE(vk_kernelstub_edit, "{\"user\": {\"kernel_options\": [\"quiet\"\n", &c,
               "/etc/test:2: not valid JSON (it ends before the JSON is complete");
        REFUSE(vk_kernelstub_edit, "{\"user\": {\"kernel_options\": [1]}}", &c, "is not a string");
        REFUSE(vk_kernelstub_edit, "{} x", &c, "/etc/test:1: data after the JSON");
        REFUSE(vk_kernelstub_edit, "", &c, "not valid JSON");
        REFUSE(vk_kernelstub_edit, "[]", &c, "no JSON object");
        REFUSE(vk_kernelstub_edit, "{\"x\": 1}", &c, "neither a \"user\" nor a \"default\"");
        change_clear(&c);
}

/* a 1 MiB value in each command-line file */
static void test_big_lines(void **state) {
        vk_kargs_change c = change("iommu=pt", "amd_iommu=on");
        (void)state;

        big_case(vk_bls_entry_edit, "title x\noptions ", "\n", &c);
        big_case(vk_refind_edit, "\"Boot\" \"", "\"\n", &c);
        big_case(vk_limine_edit, "/L\n  protocol: linux\n  cmdline: ", "\n", &c);
        big_case(vk_kernelstub_edit, "{\"user\": {\"kernel_options\": [\"", "\"]}}\n", &c);
        change_clear(&c);
}

static void test_cmdline_editors_agree(void **state) {
        static const struct {
                editor fn;
                const char *in, *out, *binary;
        } cases[] = {
                {vk_kargs_edit, "intel_iommu=off amd_iommu=on ro\r\n", "intel_iommu=off ro iommu=pt\r\n", "ro\r\n\x01"},
                {vk_grub_edit, "# c\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=off amd_iommu=on ro\"\r\n",
                 "# c\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"intel_iommu=off ro iommu=pt\"\r\n", "# c\r\n\x01"},
                {vk_bls_entry_edit, "# c\r\noptions intel_iommu=off amd_iommu=on ro\r\n",
                 "# c\r\noptions intel_iommu=off ro iommu=pt\r\n", "# c\r\n\x01"},
                {vk_refind_edit, "# c\r\n\"A\" \"intel_iommu=off amd_iommu=on ro\"\r\n",
                 "# c\r\n\"A\" \"intel_iommu=off ro iommu=pt\"\r\n", "# c\r\n\x01"},
                {vk_limine_edit, "# c\r\n/A\r\n protocol: linux\r\n cmdline: intel_iommu=off amd_iommu=on ro\r\n",
                 "# c\r\n/A\r\n protocol: linux\r\n cmdline: intel_iommu=off ro iommu=pt\r\n", "# c\r\n\x01"},
                {vk_kernelstub_edit, "{\"user\": {\"kernel_options\": [\"intel_iommu=off\", \"amd_iommu=on\", \"ro\"]}}\r\n",
                 "{\n  \"user\": {\n    \"kernel_options\": [\n      \"intel_iommu=off\",\n      \"ro\",\n"
                 "      \"iommu=pt\"\n    ]\n  }\n}\n",
                 "{\r\n\x01"},
        };
        vk_kargs_change c = change("intel_iommu=on iommu=pt", "amd_iommu=on");
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                vk_edit_result r = EXPECT(cases[i].fn, cases[i].in, &c, cases[i].out);
                assert_true(has_note(&r, "intel_iommu=off is set; wanted intel_iommu=on (left as is)"));
                assert_true(has_note(&r, "amd_iommu=on: removed"));
                vk_edit_result_clear(&r);
                expect_refused(cases[i].fn, cases[i].binary, strlen(cases[i].binary), &c, "/etc/test:2: binary data");
        }
        change_clear(&c);
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
                cmocka_unit_test(test_grub_value),
                cmocka_unit_test(test_grub_big_line),
                cmocka_unit_test(test_grub_many_lines),
                cmocka_unit_test(test_cmdline_spans),
                cmocka_unit_test(test_bls),
                cmocka_unit_test(test_refind),
                cmocka_unit_test(test_limine),
                cmocka_unit_test(test_kernelstub),
                cmocka_unit_test(test_big_lines),
                cmocka_unit_test(test_cmdline_editors_agree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
