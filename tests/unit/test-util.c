/* test-util.c — number, address and command-line parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "report.h"
#include "util.h"

char *vk_resolve_link_path(const char *linkdir, const char *target);

static void test_parse_hex(void **state) {
        uint32_t v = 0;
        (void)state;
        assert_int_equal(vk_parse_hex("0x10de", 0xffff, &v), 0);
        assert_int_equal(v, 0x10de);
        assert_int_equal(vk_parse_hex("0x030000", 0xffffff, &v), 0);
        assert_int_equal(v, 0x030000);
        assert_int_equal(vk_parse_hex("10de", 0xffff, &v), -EINVAL);   /* sysfs always writes 0x */
        assert_int_equal(vk_parse_hex("0x", 0xffff, &v), -EINVAL);
        assert_int_equal(vk_parse_hex("", 0xffff, &v), -EINVAL);
        assert_int_equal(vk_parse_hex("0xzz", 0xffff, &v), -EINVAL);
        assert_int_equal(vk_parse_hex("0x10de ", 0xffff, &v), -EINVAL);
        assert_int_equal(vk_parse_hex("0x10000", 0xffff, &v), -ERANGE);
        assert_int_equal(vk_parse_hex("0xffffffffffffffffff", 0xffffff, &v), -ERANGE);
        assert_int_equal(v, 0x030000); /* untouched on failure */
}

static void test_parse_uint(void **state) {
        int v = -1;
        (void)state;
        assert_int_equal(vk_parse_uint("17", &v), 0);
        assert_int_equal(v, 17);
        assert_int_equal(vk_parse_uint("-1", &v), -EINVAL);
        assert_int_equal(vk_parse_uint("", &v), -EINVAL);
        assert_int_equal(vk_parse_uint("12a", &v), -EINVAL);
        assert_int_equal(vk_parse_uint("99999999999", &v), -ERANGE);
}

static void test_strv_join(void **state) {
        vk_strv v = {0};
        char *s;
        (void)state;
        assert_non_null(s = vk_strv_join(&v, ", "));
        assert_string_equal(s, "");
        free(s);
        assert_int_equal(vk_strv_push(&v, "10de:2484"), 0);
        assert_non_null(s = vk_strv_join(&v, ","));
        assert_string_equal(s, "10de:2484");
        free(s);
        assert_int_equal(vk_strv_push(&v, ""), 0);
        assert_int_equal(vk_strv_push(&v, "10de:228b"), 0);
        assert_non_null(s = vk_strv_join(&v, "; "));
        assert_string_equal(s, "10de:2484; ; 10de:228b");
        free(s);
        vk_strv_clear(&v);
}

static void test_pci_addr(void **state) {
        (void)state;
        assert_true(vk_is_pci_addr("0000:01:00.0"));
        assert_true(vk_is_pci_addr("0001:ff:1f.7"));
        assert_false(vk_is_pci_addr("01:00.0"));
        assert_false(vk_is_pci_addr("0000:01:20.0")); /* device > 0x1f */
        assert_false(vk_is_pci_addr("0000:01:00.8")); /* function > 7 */
        assert_false(vk_is_pci_addr("0000-01:00.0"));
        assert_false(vk_is_pci_addr("0000:0A:00.0")); /* the kernel writes lower case */
        assert_false(vk_is_pci_addr(NULL));
}

static void test_link_path(void **state) {
        char *p;
        (void)state;
        p = vk_resolve_link_path("sys/bus/pci/devices", "../../../devices/pci0000:00/0000:00:01.0");
        assert_string_equal(p, "sys/devices/pci0000:00/0000:00:01.0");
        free(p);
        /* ".." never climbs above the root */
        p = vk_resolve_link_path("sys", "../../../../etc/passwd");
        assert_string_equal(p, "etc/passwd");
        free(p);
        p = vk_resolve_link_path("sys/class/net", "/devices/./x");
        assert_string_equal(p, "devices/x");
        free(p);
}

static void test_cmdline(void **state) {
        vk_cmdline_arg *a = NULL;
        size_t n = 0;
        const vk_cmdline_arg *x;
        (void)state;

        assert_int_equal(vk_cmdline_parse("BOOT_IMAGE=/vmlinuz ro  quiet intel_iommu=on iommu=on,iommu=pt "
                                          "dyndbg=\"file foo.c +p\" vfio-pci.ids=10de:2484,10de:228b intel_iommu=off",
                                          &a, &n),
                         0);
        assert_int_equal(n, 8);
        assert_string_equal(a[0].key, "BOOT_IMAGE");
        assert_string_equal(a[0].value, "/vmlinuz");
        assert_string_equal(a[1].key, "ro");
        assert_null(a[1].value);
        assert_string_equal(a[4].value, "on,iommu=pt"); /* split at the first '=' only */
        assert_string_equal(a[5].value, "file foo.c +p"); /* quotes group spaces and are removed */
        x = vk_cmdline_find(a, n, "vfio_pci.ids");      /* '-' and '_' are the same */
        assert_non_null(x);
        assert_string_equal(x->value, "10de:2484,10de:228b");
        x = vk_cmdline_find(a, n, "intel_iommu"); /* the last one wins, as in the kernel */
        assert_string_equal(x->value, "off");
        assert_null(vk_cmdline_find(a, n, "amd_iommu"));
        vk_cmdline_free(a, n);

        assert_int_equal(vk_cmdline_parse("", &a, &n), 0);
        assert_int_equal(n, 0);
        vk_cmdline_free(a, n);
        assert_int_equal(vk_cmdline_parse("unterminated=\"abc def", &a, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(a[0].value, "abc def");
        vk_cmdline_free(a, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_hex), cmocka_unit_test(test_parse_uint), cmocka_unit_test(test_pci_addr),
                cmocka_unit_test(test_link_path), cmocka_unit_test(test_cmdline), cmocka_unit_test(test_strv_join),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
