/* test-model.c — the host model on small fixture hosts: groups, companions, host-critical devices, bad input. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "report.h"

#define GPU_DIR "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"

static vk_model *load(const char *root, vk_host **ret_h) {
        vk_host *h = NULL;
        vk_model *m = NULL;
        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_model_load(h, &m), 0);
        *ret_h = h;
        return m;
}

static bool has_problem(const vk_model *m, const char *path, const char *text) {
        for (size_t i = 0; i < m->n_problems; i++)
                if (vk_streq(m->problems[i].path, path) && strstr(m->problems[i].message, text))
                        return true;
        return false;
}

static void dump_problems(const vk_model *m) {
        for (size_t i = 0; i < m->n_problems; i++)
                fprintf(stderr, "problem: %s: %s\n", m->problems[i].path, m->problems[i].message);
}

static void test_desktop(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        vk_gpu g;
        vk_func *f;
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet intel_iommu=on\n");
        m = load(root, &h);
        dump_problems(m);
        assert_int_equal(m->n_problems, 0);
        assert_int_equal(m->n_funcs, 8);
        assert_int_equal(m->n_groups, 5);
        assert_true(m->sys.iommu_enabled);
        assert_true(m->sys.vmx);
        assert_true(m->sys.efi);
        assert_true(m->sys.kvm_dev);
        assert_true(m->sys.vfio_pci_available);
        assert_int_equal(m->sys.cpu_vendor, VK_CPU_INTEL);

        f = vk_model_find(m, "0000:01:00.0");
        assert_non_null(f);
        assert_string_equal(f->parent, "0000:00:01.0");
        assert_string_equal(f->driver, "nouveau");
        assert_int_equal(f->iommu_group, 1);
        assert_int_equal(f->boot_vga, 0);
        assert_int_equal(f->class_code, 0x030000);
        assert_false(vk_model_group(m, 1)->viable); /* nouveau and snd_hda_intel hold it */

        assert_int_equal(vk_gpu_analyze(m, f, &g), 0);
        assert_int_equal(g.companions.n, 1);
        assert_string_equal(g.companions.v[0], "0000:01:00.1");
        assert_int_equal(g.bridges.n, 1);
        assert_string_equal(g.bridges.v[0], "0000:00:01.0");
        assert_int_equal(g.others.n, 0);
        assert_int_equal(g.n_blockers, 0);
        vk_gpu_clear(&g);

        /* host-critical: the NVMe under / , the NIC with the default route, the iGPU showing the desktop */
        assert_int_equal(m->n_critical, 3);
        assert_int_equal(vk_model_critical(m, "0000:02:00.0")->kind, VK_CRITICAL_ROOT_DISK);
        assert_int_equal(vk_model_critical(m, "0000:00:1f.6")->kind, VK_CRITICAL_DEFAULT_ROUTE);
        assert_int_equal(vk_model_critical(m, "0000:00:02.0")->kind, VK_CRITICAL_DISPLAY);
        assert_null(vk_model_critical(m, "0000:01:00.0"));

        /* the iGPU is the active display: it blocks itself */
        assert_int_equal(vk_gpu_analyze(m, vk_model_find(m, "0000:00:02.0"), &g), 0);
        assert_int_equal(g.n_blockers, 1);
        assert_string_equal(g.blockers[0].addr, "0000:00:02.0");
        vk_gpu_clear(&g);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_shared_group_blockers(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        vk_gpu g;
        (void)state;

        fx_desktop(root, "AuthenticAMD", "quiet\n");
        /* move the NVMe (root disk) and the NIC into the GPU's group, as on seed 004's B550 */
        fx_unlink(root, "sys/kernel/iommu_groups/3/devices/0000:02:00.0");
        fx_link(root, "sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/iommu_group", "../../../../kernel/iommu_groups/1");
        fx_link(root, "sys/kernel/iommu_groups/1/devices/0000:02:00.0",
                "../../../../devices/pci0000:00/0000:00:1d.0/0000:02:00.0");
        fx_unlink(root, "sys/kernel/iommu_groups/4/devices/0000:00:1f.6");
        fx_link(root, "sys/devices/pci0000:00/0000:00:1f.6/iommu_group", "../../../kernel/iommu_groups/1");
        fx_link(root, "sys/kernel/iommu_groups/1/devices/0000:00:1f.6", "../../../../devices/pci0000:00/0000:00:1f.6");
        m = load(root, &h);
        assert_int_equal(vk_gpu_analyze(m, vk_model_find(m, "0000:01:00.0"), &g), 0);
        assert_int_equal(g.others.n, 2);
        assert_int_equal(g.n_blockers, 2);
        assert_string_equal(g.blockers[0].addr, "0000:00:1f.6");
        assert_non_null(strstr(g.blockers[0].reason, "default route via eno1"));
        assert_string_equal(g.blockers[1].addr, "0000:02:00.0");
        assert_non_null(strstr(g.blockers[1].reason, "/ on /dev/nvme0n1p2"));
        vk_gpu_clear(&g);
        /* the group the NVMe left keeps only its bridge */
        assert_int_equal(vk_model_group(m, 3)->n_members, 1);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_malformed(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        vk_func *f;
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet\n");
        fx_file(root, GPU_DIR "/vendor", "garbage\n");
        fx_file(root, GPU_DIR "/boot_vga", "2\n");
        fx_file(root, "sys/devices/pci0000:00/0000:00:02.0/class", "");
        fx_unlink(root, "sys/devices/pci0000:00/0000:00:1f.6/device");
        fx_link(root, "sys/devices/pci0000:00/0000:00:1f.6/revision", "/etc/passwd");
        fx_link(root, "sys/bus/pci/devices/0000:05:00.0", "../../../devices/pci0000:00/0000:05:00.0"); /* dangling */
        fx_link(root, "sys/bus/pci/devices/junk", "../../../devices/pci0000:00/junk");
        fx_dir(root, "sys/kernel/iommu_groups/9/devices");
        fx_dir(root, "sys/kernel/iommu_groups/01/devices"); /* would alias group 1 */
        fx_link(root, "sys/devices/pci0000:00/0000:00:00.0/iommu_group", "../../../kernel/iommu_groups/x");
        fx_file(root, "proc/mounts", "\x01\x02 garbage\n\n/dev/ / \n");
        fx_file(root, "proc/net/route", "Iface\nnot a route\n");
        m = load(root, &h);
        dump_problems(m);

        assert_true(has_problem(m, GPU_DIR "/vendor", "garbage value 'garbage'"));
        assert_true(has_problem(m, GPU_DIR "/boot_vga", "expected 0 or 1"));
        assert_true(has_problem(m, "sys/devices/pci0000:00/0000:00:02.0/class", "empty value"));
        assert_true(has_problem(m, "sys/devices/pci0000:00/0000:00:1f.6/device", "missing"));
        assert_true(has_problem(m, "sys/devices/pci0000:00/0000:00:1f.6/revision", "symlink"));
        assert_true(has_problem(m, "sys/bus/pci/devices/0000:05:00.0", "dangling link"));
        assert_true(has_problem(m, "sys/bus/pci/devices/junk", "not a PCI address"));
        assert_true(has_problem(m, "sys/kernel/iommu_groups/9/devices", "has no devices"));
        assert_true(has_problem(m, "sys/kernel/iommu_groups/01", "not a group number"));
        assert_int_equal(vk_model_group(m, 1)->n_members, 3);
        assert_true(has_problem(m, "sys/devices/pci0000:00/0000:00:00.0/iommu_group", "not a group number"));

        f = vk_model_find(m, "0000:01:00.0");
        assert_non_null(f); /* still listed, without trusted ids */
        assert_false(f->ids_valid);
        assert_false(vk_func_is_gpu(f));
        assert_int_equal(f->boot_vga, -1);
        assert_null(vk_model_find(m, "0000:05:00.0"));
        assert_int_equal(m->n_funcs, 8);
        assert_null(vk_model_critical(m, "0000:02:00.0")); /* garbage mounts: nothing found, nothing crashed */
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_unreadable(void **state) {
        char *root = fx_new(), path[4096];
        vk_host *h;
        vk_model *m;
        (void)state;

        if (geteuid() == 0) {
                fx_remove(root);
                skip(); /* root reads mode 000 files; the FIFO and link cases cover the rest */
        }
        fx_desktop(root, "GenuineIntel", "quiet\n");
        snprintf(path, sizeof(path), "%s/" GPU_DIR "/device", root);
        assert_int_equal(chmod(path, 0), 0);
        m = load(root, &h);
        assert_true(has_problem(m, GPU_DIR "/device", "permission denied"));
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_lvm_root_and_bridge_route(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet\n");
        fx_file(root, "proc/mounts", "/dev/mapper/vg-root / ext4 rw 0 0\n");
        fx_link(root, "dev/mapper/vg-root", "../dm-0");
        fx_link(root, "sys/class/block/dm-0", "../../devices/virtual/block/dm-0");
        fx_link(root, "sys/devices/virtual/block/dm-0/slaves/nvme0n1p2",
                "../../../../pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
        fx_file(root, "proc/net/route",
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                "br0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
        fx_link(root, "sys/class/net/br0", "../../devices/virtual/net/br0");
        fx_link(root, "sys/devices/virtual/net/br0/lower_eno1", "../../../pci0000:00/0000:00:1f.6/net/eno1");
        m = load(root, &h);
        dump_problems(m);
        assert_non_null(vk_model_critical(m, "0000:02:00.0"));
        assert_non_null(strstr(vk_model_critical(m, "0000:02:00.0")->detail, "/dev/mapper/vg-root"));
        assert_non_null(vk_model_critical(m, "0000:00:1f.6"));
        assert_non_null(strstr(vk_model_critical(m, "0000:00:1f.6")->detail, "br0"));
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_uevent(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        vk_func *f;
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet\n");
        /* uevent is read first: ids, class, subsystem and driver in one read */
        fx_file(root, GPU_DIR "/uevent",
                "DRIVER=nvidia\nPCI_CLASS=30200\nPCI_ID=10DE:2191\nPCI_SUBSYS_ID=1558:8550\n"
                "PCI_SLOT_NAME=0000:01:00.0\nMODALIAS=pci:v000010DEd00002191sv00001558sd00008550bc03sc02i00\n");
        /* a garbled one is reported and the single attributes are read instead */
        fx_file(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/uevent", "PCI_ID=10DE:ZZZZ\nPCI_CLASS=40300\n");
        /* no DRIVER= line: unbound */
        fx_file(root, "sys/devices/pci0000:00/0000:00:1f.6/uevent", "PCI_CLASS=20000\nPCI_ID=8086:15BC\n");
        m = load(root, &h);
        f = vk_model_find(m, "0000:01:00.0");
        assert_int_equal(f->device, 0x2191);
        assert_int_equal(f->class_code, 0x030200);
        assert_int_equal(f->subsys_vendor, 0x1558);
        assert_string_equal(f->driver, "nvidia");
        f = vk_model_find(m, "0000:01:00.1");
        assert_true(has_problem(m, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/uevent", "garbled"));
        assert_int_equal(f->device, 0x228b); /* from the device attribute */
        assert_string_equal(f->driver, "snd_hda_intel");
        assert_null(vk_model_find(m, "0000:00:1f.6")->driver);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

/* seed 004: the boot GPU is on vfio-pci, the host's screen is on the other card */
static void test_display_when_boot_gpu_is_passed(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        (void)state;

        fx_desktop(root, "AuthenticAMD", "quiet\n");
        fx_link(root, "sys/devices/pci0000:00/0000:00:02.0/driver", "../../../bus/pci/drivers/vfio-pci");
        fx_file(root, GPU_DIR "/drm/card1/card1-DP-1/status", "disconnected\n");
        m = load(root, &h);
        assert_null(vk_model_critical(m, "0000:01:00.0")); /* no monitor: not the host's display */
        assert_null(vk_model_critical(m, "0000:00:02.0"));
        vk_model_free(m);
        vk_host_free(h);
        fx_file(root, GPU_DIR "/drm/card1/card1-HDMI-A-1/status", "connected\n");
        m = load(root, &h);
        assert_non_null(vk_model_critical(m, "0000:01:00.0"));
        assert_non_null(strstr(vk_model_critical(m, "0000:01:00.0")->detail, "card1-HDMI-A-1"));
        vk_model_free(m);
        vk_host_free(h);
        /* while the boot GPU drives a display, a monitor on another card does not make it critical */
        fx_link(root, "sys/devices/pci0000:00/0000:00:02.0/driver", "../../../bus/pci/drivers/i915");
        m = load(root, &h);
        assert_null(vk_model_critical(m, "0000:01:00.0"));
        assert_non_null(vk_model_critical(m, "0000:00:02.0"));
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_resolve(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        vk_func *f = NULL;
        vk_strv matches = {0};
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet\n");
        /* a second identical card: the id becomes ambiguous */
        fx_pci_add(root, &(fx_pci){"0000:03:00.0", "", 0x10de, 0x2484, 0x030000, "nouveau", 7, 0});
        m = load(root, &h);
        assert_int_equal(vk_model_resolve(m, "01:00.1", &f, NULL), 0);
        assert_string_equal(f->addr, "0000:01:00.1");
        assert_int_equal(vk_model_resolve(m, "0000:00:1F.6", &f, NULL), 0);
        assert_string_equal(f->addr, "0000:00:1f.6");
        assert_int_equal(vk_model_resolve(m, "10de:228b", &f, NULL), 0);
        assert_string_equal(f->addr, "0000:01:00.1");
        assert_int_equal(vk_model_resolve(m, "10de:2484", &f, &matches), -ENOTUNIQ);
        assert_int_equal(matches.n, 2);
        vk_strv_clear(&matches);
        assert_int_equal(vk_model_resolve(m, "09:00.0", &f, NULL), -ENOENT);
        assert_int_equal(vk_model_resolve(m, "1234:5678", &f, NULL), -ENOENT);
        assert_int_equal(vk_model_resolve(m, "gpu", &f, NULL), -EINVAL);
        assert_int_equal(vk_model_resolve(m, "10de:24", &f, NULL), -EINVAL);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_no_pci_bus(void **state) {
        char *root = fx_new();
        vk_host *h = NULL;
        vk_model *m = NULL;
        (void)state;
        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_model_load(h, &m), -ENOENT);
        assert_null(m);
        vk_host_free(h);
        fx_remove(root);
}

/* Regression: a garbage sriov_numvfs made load_func look up virtfn0 … virtfn2147483646, one readlinkat each: the
 * load hung for hours. Found by tests/fuzz/fuzz-host (libFuzzer timeout). The kernel links virtfn0..N-1, so
 * the walk stops at the first missing link. */
static void test_sriov_numvfs_garbage(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        vk_func *f;
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet\n");
        fx_file(root, GPU_DIR "/sriov_totalvfs", "7\n");
        fx_file(root, GPU_DIR "/sriov_numvfs", "2147483647\n");
        fx_link(root, GPU_DIR "/virtfn0", "../0000:01:00.4");
        alarm(20); /* before the fix: hours; SIGALRM fails the test instead */
        m = load(root, &h);
        alarm(0);
        f = vk_model_find(m, "0000:01:00.0");
        assert_int_equal(f->sriov_numvfs, 2147483647);
        assert_int_equal(f->virtfns.n, 1);
        assert_string_equal(f->virtfns.v[0], "0000:01:00.4");
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

/* Bytes in use by malloc, with every tcache bin filled first: glibc counts cached chunks as in use, and
 * without this their coming and going hides a small leak. */
static size_t malloc_in_use(void) {
        void *p[64][7];
        for (size_t s = 0; s < 64; s++)
                for (size_t i = 0; i < 7; i++)
                        p[s][i] = malloc(s * 16 + 8);
        for (size_t s = 0; s < 64; s++)
                for (size_t i = 0; i < 7; i++)
                        free(p[s][i]);
        return mallinfo2().uordblks;
}

/* Regression: vk_names_fill cleared libpci's id_file_name before pci_cleanup, leaking the "pci.ids" name that
 * libpci allocates when its default "pci.ids.gz" is missing (Debian), on every load of a root without pci.ids.
 * Found by tests/fuzz/fuzz-host under LeakSanitizer; mallinfo2 shows it without ASan too. */
static void test_names_no_leak(void **state) {
        char *root = fx_new();
        vk_host *h;
        vk_model *m;
        size_t before;
        (void)state;

        fx_desktop(root, "GenuineIntel", "quiet\n");
        for (int i = 0; i < 2; i++) { /* warm up: libc's and libpci's one-time allocations */
                m = load(root, &h);
                vk_model_free(m);
                vk_host_free(h);
        }
        before = malloc_in_use();
        for (int i = 0; i < 64; i++) {
                m = load(root, &h);
                vk_model_free(m);
                vk_host_free(h);
        }
        assert_in_range(malloc_in_use(), 0, before + 1024); /* the leak was 32 bytes a load: 2048 */
        fx_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_desktop),     cmocka_unit_test(test_shared_group_blockers),
                cmocka_unit_test(test_malformed),   cmocka_unit_test(test_unreadable),
                cmocka_unit_test(test_lvm_root_and_bridge_route), cmocka_unit_test(test_resolve), cmocka_unit_test(test_uevent),
                cmocka_unit_test(test_display_when_boot_gpu_is_passed),
                cmocka_unit_test(test_no_pci_bus), cmocka_unit_test(test_names_no_leak),
                cmocka_unit_test(test_sriov_numvfs_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
