/* edit-pending.c — the editors of edit.h not written yet: each says so and changes nothing (removed as they land). */
#include "edit.h"

#include <errno.h>

#define PENDING(what) \
        vk_error_set(err, -EOPNOTSUPP, "%s: vfiokit cannot edit %s yet; nothing was changed", name, what)

int vk_bls_entry_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                      vk_error *err) {
        (void)text, (void)len, (void)c, (void)ret;
        return PENDING("Boot Loader Specification entries");
}

int vk_kernelstub_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c,
                       vk_edit_result *ret, vk_error *err) {
        (void)text, (void)len, (void)c, (void)ret;
        return PENDING("the kernelstub configuration");
}

int vk_refind_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err) {
        (void)text, (void)len, (void)c, (void)ret;
        return PENDING("refind_linux.conf");
}

int vk_limine_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err) {
        (void)text, (void)len, (void)c, (void)ret;
        return PENDING("Limine's configuration");
}

int vk_mkinitcpio_edit(const char *name, const char *text, size_t len, const vk_strv *modules, const vk_strv *drop,
                       vk_edit_result *ret, vk_error *err) {
        (void)text, (void)len, (void)modules, (void)drop, (void)ret;
        return PENDING("mkinitcpio.conf");
}

int vk_booster_edit(const char *name, const char *text, size_t len, const vk_strv *modules, vk_edit_result *ret,
                    vk_error *err) {
        (void)text, (void)len, (void)modules, (void)ret;
        return PENDING("booster.yaml");
}
