/* fuzz-initramfs.c — libFuzzer target: the mkinitcpio, booster and initramfs-tools editors on any bytes (first byte:
 * which editor). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vk_strv modules, drop;

static int mkinitcpio(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret,
                      vk_error *err) {
        (void)arg;
        return vk_mkinitcpio_edit(name, text, len, &modules, &drop, ret, err);
}

static int booster(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret,
                   vk_error *err) {
        (void)arg;
        return vk_booster_edit(name, text, len, &modules, ret, err);
}

static int itools(const char *name, const char *text, size_t len, const void *arg, vk_edit_result *ret,
                  vk_error *err) {
        (void)arg;
        return vk_initramfs_tools_edit(name, text, len, &modules, ret, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const fuzz_editor editors[] = {mkinitcpio, booster, itools};
        vk_edit_result r;

        if (modules.n == 0) {
                vk_strv_push(&modules, "vfio_pci");
                vk_strv_push(&modules, "vfio");
                vk_strv_push(&modules, "vfio_iommu_type1");
                vk_strv_push(&drop, "vfio_virqfd");
        }
        if (size < 1)
                return 0;
        r = fuzz_edit_check(editors[data[0] % 3], (const char *)data + 1, size - 1, NULL);
        /* every module is named in the result */
        for (size_t i = 0; r.text && i < modules.n; i++)
                FUZZ_CHECK(strstr(r.text, modules.v[i]) != NULL);
        vk_edit_result_clear(&r);
        return 0;
}
