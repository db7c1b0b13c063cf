/* test-boot-initramfs.c — the initramfs editors (mkinitcpio, initramfs-tools, booster) and vfiokit's own rendered
 * files (modprobe.d, dracut.conf.d). */
#define _GNU_SOURCE
#include "boot-edit-check.h"

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

        assert_int_equal(vk_dracut_render(&m, NULL, &out), -EINVAL);
        vk_strv_push(&m, "vfio_pci");
        vk_strv_push(&m, "vfio");
        vk_strv_push(&m, "vfio_iommu_type1");
        assert_int_equal(vk_dracut_render(&m, NULL, &out), 0);
        assert_non_null(strstr(out, "# Written by vfiokit"));
        assert_non_null(strstr(out, "\nforce_drivers+=\" vfio_pci vfio vfio_iommu_type1 \"\n"));
        assert_null(strstr(out, "dracut -f"));
        free(out);
        /* the comment names this system's rebuild command, not Fedora's (Silverblue: rpm-ostree) */
        assert_int_equal(vk_dracut_render(&m, "rpm-ostree initramfs --enable", &out), 0);
        assert_non_null(strstr(out, "`rpm-ostree initramfs --enable`"));
        assert_null(strstr(out, "dracut -f"));
        free(out);
        vk_strv_push(&m, "vfio\"; rm");
        assert_int_equal(vk_dracut_render(&m, NULL, &out), -EINVAL);
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

/* a 1 MiB value in each initramfs file */
static void test_big_lines(void **state) {
        (void)state;
        big_case(mkinitcpio, "MODULES=(", ")\n", NULL);
        big_case(itools, "# ", "\n", NULL);
        big_case(booster, "modules_force_load: x,", "\n", NULL);
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
                cmocka_unit_test(test_modprobe_render),
                cmocka_unit_test(test_dracut_render),
                cmocka_unit_test(test_initramfs_tools),
                cmocka_unit_test(test_mkinitcpio),
                cmocka_unit_test(test_booster),
                cmocka_unit_test(test_big_lines),
        };
        return cmocka_run_group_tests(tests, setup_modules, teardown_modules);
}
