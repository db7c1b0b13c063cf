/* test-status.c — the readiness checks: each rule that status applies, on fixture hosts. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "report.h"

typedef struct run {
        char *root;
        vk_host *h;
        vk_model *m;
        vk_check *c;
        size_t n;
} run;

static void start(run *r, const char *vendor, const char *cmdline) {
        r->root = fx_new();
        fx_desktop(r->root, vendor, cmdline);
}

static void check(run *r) {
        assert_int_equal(vk_host_new(r->root, &r->h), 0);
        assert_int_equal(vk_model_load(r->h, &r->m), 0);
        assert_int_equal(vk_status_run(r->m, &r->c, &r->n), 0);
}

static void finish(run *r) {
        vk_checks_free(r->c, r->n);
        vk_model_free(r->m);
        vk_host_free(r->h);
        fx_remove(r->root);
}

static const vk_check *find(const run *r, const char *id) {
        for (size_t i = 0; i < r->n; i++)
                if (vk_streq(r->c[i].id, id))
                        return &r->c[i];
        return NULL;
}

static void expect(const run *r, const char *id, vk_result res, const char *text) {
        const vk_check *c = find(r, id);
        if (!c) {
                for (size_t i = 0; i < r->n; i++)
                        fprintf(stderr, "have %s %s: %s\n", vk_result_name(r->c[i].result), r->c[i].id, r->c[i].message);
                fail_msg("no check %s", id);
        }
        if (c->result != res || (text && !strstr(c->message, text)))
                fail_msg("%s: %s '%s', expected %s with '%s'", id, vk_result_name(c->result), c->message,
                         vk_result_name(res), text ? text : "");
}

static int fails(const run *r) {
        int n = 0;
        for (size_t i = 0; i < r->n; i++)
                n += r->c[i].result == VK_FAIL;
        return n;
}

static void test_ready_intel(void **state) {
        run r = {0};
        (void)state;
        start(&r, "GenuineIntel", "BOOT_IMAGE=/vmlinuz ro quiet intel_iommu=on iommu=pt\n");
        check(&r);
        expect(&r, "cpu-virt", VK_PASS, "vmx");
        expect(&r, "kvm", VK_PASS, NULL);
        expect(&r, "uefi", VK_PASS, NULL);
        expect(&r, "iommu", VK_PASS, "5 groups");
        expect(&r, "cmdline", VK_PASS, "iommu=pt");
        expect(&r, "vfio", VK_PASS, "available");
        expect(&r, "gpus", VK_PASS, "2 GPU");
        expect(&r, "host-gpu", VK_PASS, NULL);
        expect(&r, "gpu:0000:01:00.0", VK_PASS, "group 1 holds only the GPU and its companion");
        assert_null(find(&r, "gpu:0000:00:02.0")); /* the host's display is not a candidate */
        assert_int_equal(fails(&r), 0);
        finish(&r);
}

static void test_amd_iommu_on_is_invalid(void **state) {
        run r = {0};
        (void)state;
        start(&r, "AuthenticAMD", "quiet splash amd_iommu=on iommu=pt\n");
        check(&r);
        expect(&r, "cpu-virt", VK_PASS, "svm");
        expect(&r, "cmdline:amd_iommu", VK_WARN, "not a valid option");
        assert_null(find(&r, "cmdline"));
        finish(&r);
}

/* Regression (found by the real-kernel test): QEMU TCG reports an AMD CPU with
 * QEMU's Intel IOMMU. intel_iommu=on is right there; the units decide, not the CPU. */
static void test_iommu_kind_from_units(void **state) {
        run r = {0};
        (void)state;
        start(&r, "AuthenticAMD", "console=ttyS0 intel_iommu=on iommu=pt\n");
        fx_link(r.root, "sys/class/iommu/dmar0", "../../devices/virtual/iommu/dmar0");
        fx_dir(r.root, "sys/devices/virtual/iommu/dmar0");
        check(&r);
        assert_null(find(&r, "cmdline:intel_iommu"));
        expect(&r, "cmdline", VK_PASS, "Intel VT-d");
        finish(&r);
        /* and an Intel CPU with an AMD IOMMU unit: amd_iommu= is the one that applies */
        start(&r, "GenuineIntel", "quiet amd_iommu=off\n");
        fx_link(r.root, "sys/class/iommu/ivhd0", "../../devices/pci0000:00/0000:00:00.2/iommu/ivhd0");
        check(&r);
        assert_null(find(&r, "cmdline:amd_iommu"));
        assert_null(find(&r, "cmdline:intel_iommu"));
        finish(&r);
}

static void test_iommu_value_typo(void **state) {
        run r = {0};
        (void)state;
        /* seed 001: "iommu=on,iommu=pt" sets neither */
        start(&r, "GenuineIntel", "quiet iommu=on,iommu=pt\n");
        check(&r);
        expect(&r, "cmdline:iommu", VK_WARN, "'on', 'iommu=pt'");
        expect(&r, "cmdline:intel_iommu", VK_WARN, "not on the command line");
        finish(&r);
}

static void test_acs_override(void **state) {
        run r = {0};
        (void)state;
        start(&r, "AuthenticAMD", "quiet pcie_acs_override=downstream,multifunction\n");
        check(&r);
        expect(&r, "cmdline:pcie_acs_override", VK_WARN, "peer-to-peer");
        finish(&r);
}

static void test_iommu_off(void **state) {
        run r = {0};
        (void)state;
        start(&r, "GenuineIntel", "quiet intel_iommu=on\n");
        fx_unlink(r.root, "sys/kernel/iommu_groups/0/devices/0000:00:00.0");
        /* remove every group: rebuild the tree without them */
        for (int g = 0; g <= 4; g++) {
                char p[128];
                snprintf(p, sizeof(p), "sys/kernel/iommu_groups/%d", g);
                fx_remove(vk_printf("%s/%s", r.root, p));
        }
        fx_dir(r.root, "sys/kernel/iommu_groups");
        check(&r);
        expect(&r, "iommu", VK_FAIL, "although intel_iommu=on is set");
        expect(&r, "gpu:0000:01:00.0", VK_FAIL, "no IOMMU group");
        assert_true(fails(&r) >= 2);
        finish(&r);
}

static void test_no_virt_no_kvm_bios(void **state) {
        run r = {0};
        (void)state;
        start(&r, "GenuineIntel", "quiet intel_iommu=on\n");
        fx_file(r.root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2\n");
        fx_unlink(r.root, "dev/kvm");
        fx_remove(vk_printf("%s/sys/firmware/efi", r.root));
        check(&r);
        expect(&r, "cpu-virt", VK_FAIL, "neither vmx nor svm");
        expect(&r, "kvm", VK_FAIL, "/dev/kvm missing");
        expect(&r, "uefi", VK_WARN, "legacy BIOS");
        finish(&r);
}

static void test_single_gpu_and_shared_group(void **state) {
        run r = {0};
        (void)state;
        start(&r, "GenuineIntel", "intel_iommu=on\n");
        /* drop the iGPU: one GPU left, and give its group the USB controller too */
        fx_unlink(r.root, "sys/bus/pci/devices/0000:00:02.0");
        fx_unlink(r.root, "sys/kernel/iommu_groups/2/devices/0000:00:02.0");
        fx_remove(vk_printf("%s/sys/kernel/iommu_groups/2", r.root));
        fx_pci_add(r.root, &(fx_pci){"0000:00:14.0", "", 0x8086, 0xa36d, 0x0c0330, "xhci_hcd", 1, -1});
        check(&r);
        expect(&r, "host-gpu", VK_WARN, "one GPU only");
        expect(&r, "gpu:0000:01:00.0", VK_WARN, "also holds 00:14.0");
        finish(&r);
}

static void test_vfio_missing(void **state) {
        run r = {0};
        (void)state;
        start(&r, "GenuineIntel", "intel_iommu=on\n");
        fx_file(r.root, "lib/modules/6.1.0-27-amd64/modules.dep", "kernel/drivers/net/e1000e.ko: \n");
        check(&r);
        expect(&r, "vfio", VK_FAIL, "not found");
        finish(&r);
        start(&r, "GenuineIntel", "intel_iommu=on\n");
        fx_file(r.root, "lib/modules/6.1.0-27-amd64/modules.builtin", "kernel/drivers/vfio/pci/vfio-pci.ko\n");
        check(&r);
        expect(&r, "vfio", VK_PASS, "built into the kernel");
        finish(&r);
}

static void test_problems_become_warnings(void **state) {
        run r = {0};
        (void)state;
        start(&r, "GenuineIntel", "intel_iommu=on\n");
        fx_file(r.root, "sys/devices/pci0000:00/0000:00:1f.6/class", "0xnothex\n");
        check(&r);
        expect(&r, "file:sys/devices/pci0000:00/0000:00:1f.6/class", VK_WARN, "garbage value '0xnothex'");
        finish(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ready_intel),        cmocka_unit_test(test_amd_iommu_on_is_invalid),
                cmocka_unit_test(test_iommu_value_typo),   cmocka_unit_test(test_acs_override),
                cmocka_unit_test(test_iommu_kind_from_units),
                cmocka_unit_test(test_iommu_off),          cmocka_unit_test(test_no_virt_no_kvm_bios),
                cmocka_unit_test(test_single_gpu_and_shared_group), cmocka_unit_test(test_vfio_missing),
                cmocka_unit_test(test_problems_become_warnings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
