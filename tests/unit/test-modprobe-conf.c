/* test-modprobe-conf.c — the modprobe.d reader: kmod's line grammar on odd input, its file order, and the plan's
 * warnings for another file's vfio-pci ids= on a fixture root. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "boot/modprobe-conf.h"
#include "fixture.h"
#include "model.h"

typedef struct parsed {
        vk_mpd_line *v;
        size_t n;
} parsed;

static parsed parse(const char *text, size_t len) {
        parsed p = {0};
        assert_int_equal(vk_modprobe_conf_parse(text, len, &p.v, &p.n), 0);
        return p;
}

static void parsed_free(parsed *p) { vk_mpd_lines_free(p->v, p->n); }

static void test_commands_and_modules(void **state) {
        (void)state;
        static const char text[] = "# comment\n"
                                   "\n"
                                   "options vfio-pci ids=10de:2484,10de:228b disable_vga=1\n"
                                   "  blacklist\tnouveau\n"
                                   "install vfio_pci /bin/false\n"
                                   "softdep nvidia pre: vfio-pci\n"
                                   "alias pci:v000010DEd* nouveau\n";
        parsed p = parse(text, strlen(text));
        assert_int_equal(p.n, 5);
        assert_int_equal(p.v[0].cmd, VK_MPD_OPTIONS);
        assert_int_equal(p.v[0].line, 3);
        assert_string_equal(p.v[0].module, "vfio_pci"); /* '-' folded as kmod does */
        assert_string_equal(p.v[0].args, "ids=10de:2484,10de:228b disable_vga=1");
        assert_int_equal(p.v[1].cmd, VK_MPD_BLACKLIST); /* leading blanks are fine, only "#" must be first */
        assert_string_equal(p.v[1].module, "nouveau");
        assert_int_equal(p.v[2].cmd, VK_MPD_INSTALL);
        assert_string_equal(p.v[2].args, "/bin/false");
        assert_int_equal(p.v[3].cmd, VK_MPD_SOFTDEP);
        assert_string_equal(p.v[3].args, "pre: vfio-pci");
        assert_int_equal(p.v[4].cmd, VK_MPD_OTHER);
        parsed_free(&p);
}

static void test_continuations(void **state) {
        (void)state;
        /* backslash-newline joins (no space added, as getline_wrapped does); the line number is the first line's */
        static const char text[] = "options vfio-pci \\\nids=10de:2484,\\\n10de:228b\nblacklist a\\b\n";
        parsed p = parse(text, strlen(text));
        char *ids = NULL;
        assert_int_equal(p.n, 2);
        assert_int_equal(p.v[0].line, 1);
        assert_int_equal(vk_modprobe_param(p.v[0].args, "ids", &ids, NULL), 0);
        assert_string_equal(ids, "10de:2484,10de:228b");
        free(ids);
        assert_int_equal(p.v[1].line, 4); /* after three physical lines */
        assert_string_equal(p.v[1].module, "ab"); /* a backslash before another byte is dropped */
        parsed_free(&p);
}

static void test_malformed(void **state) {
        (void)state;
        static const char text[] = "options vfio-pci\n"       /* no options: kmod's "bad line" */
                                   "options\n"                /* no module */
                                   "frobnicate vfio-pci x\n" /* unknown command */
                                   " # indented comment\n"    /* '#' not first: kmod calls it a bad line too */
                                   "blacklist\n"
                                   "options vfio-pci ids=1 # trailing\n" /* no inline comments in modprobe.d */
                                   "trailing backslash\\";
        parsed p = parse(text, strlen(text));
        assert_int_equal(p.n, 7);
        for (size_t i = 0; i < 5; i++) {
                assert_int_equal(p.v[i].cmd, VK_MPD_BAD);
                assert_null(p.v[i].module);
                assert_int_equal(p.v[i].line, i + 1);
        }
        assert_int_equal(p.v[5].cmd, VK_MPD_OPTIONS);
        assert_string_equal(p.v[5].args, "ids=1 # trailing");
        assert_int_equal(p.v[6].cmd, VK_MPD_BAD);
        assert_string_equal(p.v[6].command, "trailing");
        parsed_free(&p);
}

static void test_crlf(void **state) {
        (void)state;
        /* kmod splits words on space and tab only: the '\r' stays in the last word, so this blacklist names
         * "vfio_pci\r" and blacklists nothing; the kernel's parameter parser takes '\r' as a blank */
        static const char text[] = "options vfio-pci ids=10de:2484\r\nblacklist vfio-pci\r\n";
        parsed p = parse(text, strlen(text));
        char *ids = NULL;
        assert_int_equal(p.n, 2);
        assert_int_equal(vk_modprobe_param(p.v[0].args, "ids", &ids, NULL), 0);
        assert_string_equal(ids, "10de:2484");
        free(ids);
        assert_string_equal(p.v[1].module, "vfio_pci\r");
        parsed_free(&p);
}

static void test_binary_garbage(void **state) {
        (void)state;
        static const char text[] = "\x7f" "ELF\x02\x01\x01\0\0\0options vfio-pci ids=1:2\n\xff\xfe\x00\x01\n"
                                   "options vfio-pci ids=10de:2484\0 hidden=1\n";
        parsed p = parse(text, sizeof(text) - 1);
        assert_int_equal(p.n, 3);
        assert_int_equal(p.v[0].cmd, VK_MPD_BAD); /* "\x7f" "ELF…" up to the NUL */
        assert_int_equal(p.v[1].cmd, VK_MPD_BAD);
        assert_int_equal(p.v[2].cmd, VK_MPD_OPTIONS);
        assert_string_equal(p.v[2].args, "ids=10de:2484"); /* a NUL ends kmod's C string */
        parsed_free(&p);
        p = parse("", 0);
        assert_int_equal(p.n, 0);
        parsed_free(&p);
}

static void test_param(void **state) {
        (void)state;
        char *v = NULL;
        vk_strv others = {0};
        /* the kernel keeps the last ids=; quotes around a value go */
        assert_int_equal(vk_modprobe_param("ids=1:2 disable_vga=1  ids=\"3:4,5:6\" x=\"a b\"", "ids", &v, &others), 0);
        assert_string_equal(v, "3:4,5:6");
        assert_int_equal(others.n, 2);
        assert_string_equal(others.v[0], "disable_vga=1");
        assert_string_equal(others.v[1], "x=\"a b\"");
        free(v);
        vk_strv_clear(&others);
        assert_int_equal(vk_modprobe_param("idsx=1 ids", "ids", &v, NULL), 0);
        assert_null(v);
}

static void test_file_order(void **state) {
        (void)state;
        char *root = fx_new();
        vk_host *h = NULL;
        vk_strv files = {0};

        fx_file(root, "etc/modprobe.d/vfio.conf", "");
        fx_file(root, "usr/lib/modprobe.d/vfio.conf", ""); /* same name: /etc's wins */
        fx_file(root, "usr/lib/modprobe.d/50-nvidia.conf", "");
        fx_file(root, "run/modprobe.d/zz.conf", "");
        fx_file(root, "lib/modprobe.d/vfio_pci.conf", "");
        fx_file(root, "etc/modprobe.d/notes.txt", "");  /* not *.conf */
        fx_file(root, "etc/modprobe.d/old.alias", "");  /* kmod before 33 reads *.alias too */
        fx_file(root, "etc/modprobe.d/.hidden.conf", "");
        fx_dir(root, "etc/modprobe.d/dir.conf");
        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_modprobe_conf_files(h, &files), 0);
        assert_int_equal(files.n, 5);
        /* strcmp order of the file name, whatever the directory */
        assert_string_equal(files.v[0], "usr/lib/modprobe.d/50-nvidia.conf");
        assert_string_equal(files.v[1], "etc/modprobe.d/old.alias");
        assert_string_equal(files.v[2], "etc/modprobe.d/vfio.conf");
        assert_string_equal(files.v[3], "lib/modprobe.d/vfio_pci.conf");
        assert_string_equal(files.v[4], "run/modprobe.d/zz.conf");
        vk_strv_clear(&files);
        vk_host_free(h);
        fx_remove(root);
}

/* The plan on the fixture desktop (GPU 01:00.0 = 10de:2484 with its audio) beside FILE with TEXT. */
static void plan_with(const char *file, const char *text, bool cmdline_ids, vk_boot_plan *ret) {
        char *root = fx_new();
        vk_host *h = NULL;
        vk_model *m = NULL;
        vk_error err = {0};
        vk_boot_opts o = {.cmdline_ids = cmdline_ids};

        fx_desktop(root, "GenuineIntel", "BOOT_IMAGE=/boot/vmlinuz root=/dev/nvme0n1p2 ro quiet\n");
        fx_file(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        fx_file(root, "boot/grub/grub.cfg", "# generated\n");
        fx_file(root, file, text);
        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_model_load_flags(h, VK_LOAD_NO_NAMES, &m), 0);
        if (vk_boot_plan_make(h, m, vk_model_find(m, "0000:01:00.0"), &o, ret, &err) < 0)
                fail_msg("plan: %s", err.msg);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static const char *find(const vk_strv *v, const char *needle) {
        for (size_t i = 0; i < v->n; i++)
                if (strstr(v->v[i], needle))
                        return v->v[i];
        return NULL;
}

static void test_plan_conflicts(void **state) {
        (void)state;
        vk_boot_plan p = {0};
        _cleanup_free_ char *ids = NULL;

        /* read before vfiokit.conf, a subset: redundant, no conflict */
        plan_with("etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2484\n", false, &p);
        assert_non_null(find(&p.warnings, "/etc/modprobe.d/vfio.conf:1: options vfio-pci ids=10de:2484"));
        assert_non_null(find(&p.warnings, "redundant and can be deleted, and so can the whole file"));
        assert_null(p.modprobe_conflict);
        vk_boot_plan_clear(&p);

        /* read after vfiokit.conf and missing one of ours: the conflict apply refuses on */
        plan_with("etc/modprobe.d/zz.conf", "# mine\noptions vfio_pci ids=10de:2484\n", false, &p);
        assert_non_null(p.modprobe_conflict);
        assert_string_equal(p.modprobe_conflict, "/etc/modprobe.d/zz.conf:2: options vfio-pci ids=10de:2484");
        ids = vk_printf("`options vfio-pci ids=%s,%s`", p.ids.v[0], p.ids.v[1]);
        assert_non_null(find(&p.warnings, ids));
        vk_boot_plan_clear(&p);

        /* --cmdline-ids: kmod adds the command line's vfio-pci.ids= after every file, so ours win */
        plan_with("etc/modprobe.d/zz.conf", "options vfio_pci ids=10de:2484\n", true, &p);
        assert_null(p.modprobe_conflict);
        assert_non_null(find(&p.warnings, "on the kernel command line (--cmdline-ids) comes after every file"));
        vk_boot_plan_clear(&p);

        /* the same name in /usr/lib is shadowed by /etc's: only /etc's counts */
        plan_with("usr/lib/modprobe.d/zz.conf", "options vfio_pci ids=10de:2484\n", false, &p);
        assert_non_null(p.modprobe_conflict);
        vk_boot_plan_clear(&p);

        plan_with("etc/modprobe.d/bl.conf", "blacklist vfio_pci\ninstall vfio-pci /bin/true\nblacklist nouveau\n",
                  false, &p);
        assert_non_null(find(&p.warnings, "/etc/modprobe.d/bl.conf:1: blacklist vfio_pci"));
        assert_non_null(find(&p.warnings, "/etc/modprobe.d/bl.conf:2: install vfio_pci /bin/true"));
        assert_non_null(find(&p.notes, "/etc/modprobe.d/bl.conf:3: blacklist nouveau: harmless"));
        assert_null(p.modprobe_conflict);
        vk_boot_plan_clear(&p);

        /* garbage is read (as modprobe does) and said, not fatal */
        plan_with("etc/modprobe.d/junk.conf", "\x1b[2J\x7f" "ELF\x01\x02\noptions vfio-pci ids=\x1b]0;x\x07\n", false, &p);
        assert_non_null(find(&p.notes, "/etc/modprobe.d/junk.conf:1: modprobe ignores this line (`?[2J?ELF??`"));
        assert_non_null(find(&p.warnings, "/etc/modprobe.d/junk.conf:2: options vfio-pci ids=?]0;x? "));
        /* no control byte of the file reaches the terminal */
        for (size_t i = 0; i < p.notes.n; i++)
                assert_null(strchr(p.notes.v[i], '\x1b'));
        for (size_t i = 0; i < p.warnings.n; i++)
                assert_null(strchr(p.warnings.v[i], '\x1b'));
        vk_boot_plan_clear(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_commands_and_modules),
                cmocka_unit_test(test_continuations),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_crlf),
                cmocka_unit_test(test_binary_garbage),
                cmocka_unit_test(test_param),
                cmocka_unit_test(test_file_order),
                cmocka_unit_test(test_plan_conflicts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
