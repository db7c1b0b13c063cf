/* test-hooks.c — the parsers and the text behind `vfiokit hooks`: domain XML, journal, names, the AMD table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hooks.h"

static const char domain[] =
        "<domain type='kvm'>\n"
        "  <name>win10</name>\n"
        "  <devices>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        "      <source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source>\n"
        "    </hostdev>\n"
        "    <hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/></source></hostdev>\n"
        "    <interface type='hostdev'><source><address type='pci' bus='3' slot='0x10' function='2'/></source>"
        "</interface>\n"
        "    <hostdev mode='subsystem' type='pci'>\n"
        "      <source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source>\n"
        "    </hostdev>\n"
        "  </devices>\n"
        "</domain>\n";

static void test_domain_devices(void **state) {
        vk_hook_domain d = {0};
        vk_error err = {0};

        (void)state;
        assert_int_equal(vk_hook_domain_parse("win10.xml", domain, strlen(domain), &d, &err), 0);
        assert_string_equal(d.name, "win10");
        /* usb hostdevs are not PCI; the same function twice is one */
        assert_int_equal(d.devices.n, 2);
        assert_string_equal(d.devices.v[0], "0000:05:00.0");
        assert_string_equal(d.devices.v[1], "0000:03:10.2");
        assert_int_equal(d.managed.n, 1);
        vk_hook_domain_clear(&d);
}

static void expect_bad(const char *xml, const char *needle) {
        vk_hook_domain d = {0};
        vk_error err = {0};

        assert_int_equal(vk_hook_domain_parse("/etc/libvirt/qemu/x.xml", xml, strlen(xml), &d, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "/etc/libvirt/qemu/x.xml"));
        if (!strstr(err.msg, needle))
                fail_msg("'%s' does not say '%s'", err.msg, needle);
        assert_null(d.name);
}

static void test_domain_malformed(void **state) {
        (void)state;
        expect_bad("", "not well-formed");
        expect_bad("<domain><name>x</name><devices>\n<hostdev type='pci'>\n</devices></domain>", ":3: not well-formed");
        expect_bad("<network><name>x</name></network>", "not a libvirt domain");
        expect_bad("<domain><name></name></domain>", "no valid <name>");
        expect_bad("<domain><name>a/b</name></domain>", "no valid <name>");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source><address bus='0x100' slot='0' "
                   "function='0'/></source></hostdev></devices></domain>",
                   "not valid");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source><address bus='1' slot='0x20' "
                   "function='0'/></source></hostdev></devices></domain>",
                   "not valid");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source><address bus='-1' slot='0' "
                   "function='0'/></source></hostdev></devices></domain>",
                   "not valid");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source/></hostdev></devices></domain>",
                   "no <source><address>");
        expect_bad("<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><name>&e;</name></domain>",
                   "no valid <name>");
}

static void test_vm_names(void **state) {
        (void)state;
        assert_true(vk_hooks_vm_name_is_valid("win10"));
        assert_true(vk_hooks_vm_name_is_valid("my vm's name"));
        assert_true(vk_hooks_vm_name_is_valid("-x"));
        assert_false(vk_hooks_vm_name_is_valid(""));
        assert_false(vk_hooks_vm_name_is_valid("."));
        assert_false(vk_hooks_vm_name_is_valid(".."));
        assert_false(vk_hooks_vm_name_is_valid("a/b"));
        assert_false(vk_hooks_vm_name_is_valid("a\nb"));
        assert_false(vk_hooks_vm_name_is_valid("a\tb"));
}

static void test_amd_reset_table(void **state) {
        (void)state;
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x67df), "Polaris 10"); /* RX 480/580 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x67ff), "Polaris 11"); /* RX 560 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x687f), "Vega 10");    /* Vega 56/64 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x731f), "Navi 10");    /* RX 5600/5700 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x7340), "Navi 14");    /* RX 5500 */
        assert_null(vk_amd_reset_bug_family(0x1002, 0x73ff));                       /* Navi 23 resets fine */
        assert_null(vk_amd_reset_bug_family(0x1002, 0x67c3));                       /* a gap in Polaris 10 */
        assert_null(vk_amd_reset_bug_family(0x10de, 0x67df));
}

static void test_script_quoting(void **state) {
        vk_strv devs = {0}, none = {0};
        char *s;

        (void)state;
        vk_strv_push(&devs, "0000:05:00.0");
        s = vk_hooks_vm_script("it's", "/usr/bin/vfiokit", &devs, &none, false);
        assert_non_null(s);
        assert_non_null(strstr(s, "\nvm='it'\\''s'\n"));
        assert_non_null(strstr(s, "\ndevices='0000:05:00.0'\nforce=''\nsingle_gpu=no\n"));
        free(s);
        assert_null(vk_hooks_vm_script("a/b", "/usr/bin/vfiokit", &devs, &none, false));
        assert_null(vk_hooks_vm_script("w", "/opt/my vfiokit", &devs, &none, false));
        assert_null(vk_hooks_vm_script("w", "vfiokit", &devs, &none, false));
        assert_null(vk_hooks_vm_script("w", "/usr/bin/vfiokit", &none, &none, false));
        vk_strv_push(&devs, "05:00.1; reboot");
        assert_null(vk_hooks_vm_script("w", "/usr/bin/vfiokit", &devs, &none, false));
        vk_strv_clear(&devs);
}

static void test_journal_roundtrip(void **state) {
        vk_hooks_journal j = {0}, back = {0};
        vk_hooks_entry d = {.is_dir = true, .path = "etc/libvirt/hooks/qemu.d"};
        vk_hooks_entry f = {.owner = "win10", .path = "etc/libvirt/hooks/qemu", .kept = "etc/libvirt/hooks/qemu.vfiokit-orig",
                            .content = "#!/bin/sh\necho \"é\"\n", .mode = 0755};
        vk_error err = {0};
        char *text, *again;

        (void)state;
        assert_int_equal(vk_hooks_journal_add(&j, &d), 0);
        assert_int_equal(vk_hooks_journal_add(&j, &f), 0);
        text = vk_hooks_journal_serialize(&j);
        assert_non_null(text);
        assert_int_equal(vk_hooks_journal_parse("j", text, &back, &err), 0);
        assert_int_equal(back.n, 2);
        assert_true(back.v[0].is_dir);
        assert_null(back.v[0].owner);
        assert_string_equal(back.v[1].content, f.content);
        assert_string_equal(back.v[1].kept, f.kept);
        assert_int_equal(back.v[1].mode, 0755);
        assert_true(vk_hooks_journal_has_owner(&back, "win10"));
        again = vk_hooks_journal_serialize(&back);
        assert_string_equal(text, again);
        free(text);
        free(again);
        vk_hooks_journal_clear(&j);
        vk_hooks_journal_clear(&back);
}

static void test_journal_malformed(void **state) {
        (void)state;
        static const char *const bad[] = {
                "",
                "{",
                "[]",
                "{\"entries\": {}}",
                "{\"entries\": [1]}",
                "{\"entries\": [{\"path\": \"etc/x\", \"content\": \"\"}]}",                  /* no dir */
                "{\"entries\": [{\"dir\": false, \"path\": \"etc/x\"}]}",                     /* no content */
                "{\"entries\": [{\"dir\": true, \"path\": \"/etc/x\"}]}",                     /* absolute */
                "{\"entries\": [{\"dir\": true, \"path\": \"etc/../../x\"}]}",                /* escapes */
                "{\"entries\": [{\"dir\": true, \"path\": \"etc//x\"}]}",
                "{\"entries\": [{\"dir\": false, \"path\": \"a\", \"content\": \"\", \"kept\": \"../b\"}]}",
                "{\"entries\": [{\"dir\": false, \"path\": \"a\", \"content\": \"\", \"mode\": 99999}]}",
                "{\"entries\": [{\"dir\": true, \"path\": \"a\", \"owner\": \"x/y\"}]}",
                "{\"entries\": [{\"dir\": true, \"path\": \"a\"}, {\"dir\": true, \"path\": \"a\"}]}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                vk_hooks_journal j = {0};
                vk_error err = {0};
                if (vk_hooks_journal_parse("/var/lib/vfiokit/hooks.json", bad[i], &j, &err) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_non_null(strstr(err.msg, "/var/lib/vfiokit/hooks.json is corrupt"));
                assert_int_equal(j.n, 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_domain_devices),  cmocka_unit_test(test_domain_malformed),
                cmocka_unit_test(test_vm_names),        cmocka_unit_test(test_amd_reset_table),
                cmocka_unit_test(test_script_quoting),  cmocka_unit_test(test_journal_roundtrip),
                cmocka_unit_test(test_journal_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
