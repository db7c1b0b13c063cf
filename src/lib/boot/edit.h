/* edit.h — the boot-config editors: each turns a file's text into its new text (parse, modify, serialize).
 *
 * They are pure functions over buffers: no I/O, no --root, no printing. The engine (plan.c) reads the
 * file, calls an editor, diffs, and writes atomically. An editor:
 *   - keeps every byte it does not need to change (comments, other lines, quoting, CRLF, a missing
 *     final newline);
 *   - is idempotent: editing its own output again gives the same text and changed == false;
 *   - never adds an option that is already there; a conflicting value (iommu=off when iommu=pt is
 *     wanted) is left alone and reported in notes;
 *   - refuses (-EINVAL, err says "NAME:LINE: what is wrong, and what to do") input it cannot edit safely:
 *     an unterminated quote, binary data, a line it cannot parse. Nothing is returned then.
 * NAME is only used in messages (the path as the user knows it, e.g. /etc/default/grub). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../util.h"

/* What the kernel command line should gain and lose. */
typedef struct vk_kargs_change {
        vk_strv add;    /* whole tokens: "intel_iommu=on", "iommu=pt", "vfio-pci.ids=10de:2484,10de:228b" */
        vk_strv remove; /* "amd_iommu=on" removes that exact token; "amd_iommu" removes the key with any value */
} vk_kargs_change;

typedef struct vk_edit_result {
        char *text; /* the whole new file, NUL-terminated (the input copied when nothing changes) */
        size_t len;
        bool changed;
        vk_strv notes; /* one line each: "iommu=pt: already present", "iommu=off is set; wanted iommu=pt (left as is)" */
} vk_edit_result;
void vk_edit_result_clear(vk_edit_result *r);

/* A kernel command line as one string (tokens split the way the kernel does, "quoted values" kept). */
int vk_kargs_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                  vk_error *err);
/* /etc/default/grub: GRUB_CMDLINE_LINUX_DEFAULT (a shell assignment; its quoting is kept; added when missing). */
int vk_grub_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                 vk_error *err);
/* systemd-boot: a Boot Loader Specification entry (loader/entries/NAME.conf), its "options" line(s). */
int vk_bls_entry_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c,
                      vk_edit_result *ret, vk_error *err);
/* Pop!_OS kernelstub: /etc/kernelstub/configuration (JSON), the "user" profile's kernel_options array. */
int vk_kernelstub_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c,
                       vk_edit_result *ret, vk_error *err);
/* rEFInd: refind_linux.conf, the options (second quoted field) of every line. */
int vk_refind_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err);
/* Limine: limine.conf "cmdline:"/"kernel_cmdline:" of every Linux entry (and limine.cfg's CMDLINE=). */
int vk_limine_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                   vk_error *err);

/* /etc/modprobe.d/vfiokit.conf is vfiokit's own file: rendered whole. */
typedef struct vk_modprobe_want {
        vk_strv ids;      /* "10de:2484", in order, no duplicates */
        vk_strv softdeps; /* drivers that must wait for vfio-pci: "nouveau", "snd_hda_intel" */
} vk_modprobe_want;
int vk_modprobe_render(const vk_modprobe_want *w, char **ret);

/* initramfs: make MODULES load early (in order, e.g. vfio_pci vfio vfio_iommu_type1). */
/* mkinitcpio.conf: MODULES=(...) edited as an array (it may span lines); modules already there stay.
 * drop lists modules to remove from the array (vfio_virqfd on kernels >= 6.2). */
int vk_mkinitcpio_edit(const char *name, const char *text, size_t len, const vk_strv *modules, const vk_strv *drop,
                       vk_edit_result *ret, vk_error *err);
/* initramfs-tools: /etc/initramfs-tools/modules, one module per line. */
int vk_initramfs_tools_edit(const char *name, const char *text, size_t len, const vk_strv *modules,
                            vk_edit_result *ret, vk_error *err);
/* booster: /etc/booster.yaml, its modules_force_load list (comma-separated). */
int vk_booster_edit(const char *name, const char *text, size_t len, const vk_strv *modules, vk_edit_result *ret,
                    vk_error *err);
/* dracut: /etc/dracut.conf.d/vfiokit.conf is vfiokit's own file (the name must end in .conf). REGEN is the command
 * that rebuilds the initramfs on this system (shown in the file's comment), NULL when none is known. */
int vk_dracut_render(const vk_strv *modules, const char *regen, char **ret);
