/* boot.h — the boot-time hand-over engine: detect the boot stack, plan the edits, apply, verify, revert. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../host.h"
#include "../model.h"
#include "../util.h"

#define VK_BOOT_JOURNAL_PATH "var/lib/vfiokit/boot-journal.json"
/* The loader entry `boot apply --trial` makes next to the others (trial.c). */
#define VK_TRIAL_ENTRY "vfiokit-trial.conf"

typedef enum vk_bootloader {
        VK_BL_UNKNOWN,
        VK_BL_GRUB,       /* /etc/default/grub + grub.cfg (BLS entries too on Fedora) */
        VK_BL_SDBOOT,     /* systemd-boot: /etc/kernel/cmdline and/or loader entries */
        VK_BL_KERNELSTUB, /* Pop!_OS */
        VK_BL_REFIND,
        VK_BL_LIMINE,
        VK_BL_OSTREE,     /* rpm-ostree / bootc: kargs are a command, not a file */
        VK_BL_NIXOS,      /* configuration.nix: a snippet to add, nothing touched */
} vk_bootloader;

typedef enum vk_initramfs {
        VK_INITRD_NONE,
        VK_INITRD_MKINITCPIO,
        VK_INITRD_DRACUT,
        VK_INITRD_INITRAMFS_TOOLS,
        VK_INITRD_BOOSTER,
} vk_initramfs;

/* One kind of file the kernel command line lives in. */
typedef enum vk_kargs_kind {
        VK_KARGS_GRUB,       /* /etc/default/grub */
        VK_KARGS_BLS,        /* loader/entries/NAME.conf */
        VK_KARGS_LINE,       /* /etc/kernel/cmdline */
        VK_KARGS_KERNELSTUB, /* /etc/kernelstub/configuration */
        VK_KARGS_REFIND,     /* refind_linux.conf */
        VK_KARGS_LIMINE,     /* limine.conf / limine.cfg */
} vk_kargs_kind;

/* A command of the plan, as an argv array. */
typedef struct vk_boot_cmd {
        vk_strv argv;
        char *why; /* "regenerate the initramfs" */
        bool once; /* not run again by revert (bootctl set-oneshot): not journaled */
} vk_boot_cmd;

typedef struct vk_kargs_file {
        char *path; /* root-relative, no leading '/' */
        vk_kargs_kind kind;
} vk_kargs_file;

typedef struct vk_boot_detect {
        vk_bootloader bootloader;
        char *evidence;          /* "/etc/default/grub, /boot/grub/grub.cfg": what it was recognised by */
        vk_kargs_file *kargs;    /* files that carry the command line, in the order they are edited */
        size_t n_kargs;
        vk_boot_cmd *bl_regen;   /* what makes the bootloader read the edited files (empty: it reads them) */
        size_t n_bl_regen;
        bool grub_bls;           /* Fedora: GRUB reads BLS entries */
        vk_initramfs initramfs;
        char *initramfs_conf;    /* mkinitcpio.conf, initramfs-tools/modules, booster.yaml, or dracut's drop-in */
        vk_boot_cmd *initrd_regen;
        size_t n_initrd_regen;
        vk_strv kernels;         /* installed kernel versions (lib/modules), for per-kernel commands */
        vk_strv notes;
} vk_boot_detect;

const char *vk_bootloader_name(vk_bootloader b);
const char *vk_initramfs_name(vk_initramfs i);
/* From the root's files only (nothing runs). An unknown bootloader is not an error. */
int vk_boot_detect_host(vk_host *h, vk_boot_detect *ret, vk_error *err);
void vk_boot_detect_clear(vk_boot_detect *d);

typedef struct vk_boot_file {
        char *path;         /* root-relative */
        bool old_absent;    /* the file does not exist yet */
        char *old;          /* NULL when absent */
        size_t old_len;
        char *new;          /* NULL when the file is removed */
        size_t new_len;
        bool remove;        /* apply deletes it (a trial entry that is no longer needed) */
        unsigned mode;
        char *why;          /* "kernel command line", "vfio-pci options and softdeps" */
} vk_boot_file;

typedef struct vk_boot_opts {
        bool cmdline_ids;    /* vfio-pci.ids= on the kernel command line too */
        bool acs_override;   /* pcie_acs_override=downstream,multifunction */
        bool iommu_pt;
        bool keep_amd_iommu; /* do not remove the invalid amd_iommu=on */
        bool force;          /* go on although another device shares an id */
        bool trial;          /* the options go into a new entry booted once (trial.c) */
        const vk_strv *force_host; /* --force-host-device addresses */
} vk_boot_opts;

typedef struct vk_boot_plan {
        vk_boot_detect detect;
        char gpu[16];
        int group;
        vk_strv ids;         /* "10de:2484" */
        vk_strv functions;   /* the group's non-bridge addresses */
        vk_strv softdeps;
        vk_strv modules;     /* early modules for the initramfs */
        vk_strv kargs_add, kargs_remove;
        vk_boot_file *files;
        size_t n_files;
        vk_boot_cmd *cmds;
        size_t n_cmds;
        vk_boot_cmd *undo;   /* what revert runs to undo a command (rpm-ostree kargs); journaled */
        size_t n_undo;
        vk_strv warnings;    /* loud: said before anything else */
        vk_strv notes;
        char *nixos_snippet; /* NixOS only */
        bool vfio_builtin;
        vk_strv kargs_kept;  /* conflicting arguments left as they are: "intel_iommu=off (wanted intel_iommu=on)" */
        char *iommu_off;     /* "/etc/kernel/cmdline:1: intel_iommu=off": the IOMMU stays off; apply refuses */
        vk_strv trial;       /* --trial: {the trial entry's path, the entry it copies}; empty otherwise */
        char *modprobe_conflict; /* "/etc/modprobe.d/zz.conf:2: options vfio-pci ids=…": read after vfiokit.conf,
                                  * its ids= win and leave out some of ours; apply refuses */
} vk_boot_plan;

void vk_boot_cmd_clear(vk_boot_cmd *c);
/* Append a command (argv ends with NULL) to *v. */
int vk_boot_cmd_add(vk_boot_cmd **v, size_t *n, const char *why, const char *const *argv);
/* "grub-mkconfig -o /boot/grub/grub.cfg" for display (words with spaces or quotes are quoted). */
char *vk_boot_cmd_text(const vk_boot_cmd *c);

/* Build the plan for GPU (a function of the model). Refusals (exit 3) and failures come back in err;
 * an unknown bootloader is a plan with no kernel-line file and a note saying so. */
int vk_boot_plan_make(vk_host *h, const vk_model *m, const vk_func *gpu, const vk_boot_opts *o, vk_boot_plan *ret,
                      vk_error *err);
void vk_boot_plan_clear(vk_boot_plan *p);
/* True when applying the plan would change a file or run a command. */
bool vk_boot_plan_changes(const vk_boot_plan *p);

/* diff.c: a unified diff (3 lines of context) of old → new, labelled a/PATH b/PATH; "" when equal.
 * old_absent: the file is created (--- /dev/null); new NULL: it is removed (+++ /dev/null). */
int vk_diff_unified(const char *path, const char *old, size_t old_len, bool old_absent, const char *new,
                    size_t new_len, char **ret);
/* The last path component is the trial entry's name. */
bool vk_trial_entry_is(const char *path);

/* apply.c */
typedef struct vk_boot_apply_result {
        size_t files_written;
        vk_strv commands_run;     /* as text, in order */
        vk_strv commands_not_run; /* with --root: the commands the user should run on the real host */
} vk_boot_apply_result;
void vk_boot_apply_result_clear(vk_boot_apply_result *r);
/* Take the writers' lock, journal, write every file, run the commands (live root only). A failed command
 * stops it; err names the command, its exit status and `vfiokit boot revert`. */
int vk_boot_apply(vk_host *h, const vk_boot_plan *p, vk_boot_apply_result *ret, vk_error *err);

/* revert.c */
typedef struct vk_boot_revert_result {
        vk_strv restored, removed; /* paths */
        vk_strv commands_run, commands_not_run;
} vk_boot_revert_result;
void vk_boot_revert_result_clear(vk_boot_revert_result *r);
/* Put back every journaled original byte for byte, remove created files, rerun the regenerate commands.
 * dry_run: fill the result, change nothing. -ENOENT (with err) when there is no journal. */
int vk_boot_revert(vk_host *h, bool dry_run, vk_boot_revert_result *ret, vk_error *err);

/* verify.c */
typedef struct vk_boot_check {
        char *name;   /* "kernel command line" */
        bool pass;
        char *detail; /* what was seen */
        char *fix;    /* NULL when it passes */
} vk_boot_check;
typedef struct vk_boot_checks {
        vk_boot_check *v;
        size_t n;
} vk_boot_checks;
void vk_boot_checks_clear(vk_boot_checks *c);
/* gpu may be NULL: then the devices are the journal's. */
int vk_boot_verify(vk_host *h, const vk_model *m, const vk_func *gpu, vk_boot_checks *ret, vk_error *err);
