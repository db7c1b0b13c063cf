/* plan-internal.h — what plan.c and plan-hosts.c share. */
#pragma once

#include "boot.h"

int vk_plan_addf(vk_strv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* TOKEN ("key=value" or "flag") is on the running kernel's command line. */
bool vk_plan_cmdline_has(const vk_model *m, const char *token);
int vk_plan_nixos(vk_boot_plan *p, const char *modprobe, bool m_has_amd_iommu);
int vk_plan_ostree(const vk_model *m, vk_boot_plan *p);
int vk_plan_unknown(vk_boot_plan *p, const char *modprobe);
/* Why no one-shot trial boot is offered, and the way back by hand (NULL: nothing to say). */
const char *vk_plan_trial_note(const vk_boot_detect *d);
/* Read PATH for editing: *ret NULL with *absent when it does not exist; errors name the file. */
int vk_plan_read(vk_host *h, const char *path, char **ret, size_t *ret_len, bool *absent, unsigned *mode,
                 vk_error *err);
int vk_plan_add_file(vk_boot_plan *p, const char *path, const char *old, size_t old_len, bool absent, const char *new,
                     size_t new_len, unsigned mode, const char *why);
int vk_plan_remove_file(vk_boot_plan *p, const char *path, const char *old, size_t old_len, unsigned mode,
                        const char *why);
/* After an edit of NAME: removals that hit (into removed), conflicting options kept, an IOMMU left off. */
int vk_plan_kargs_outcome(vk_boot_plan *p, const char *name, const char *new_text, size_t new_len,
                          const vk_strv *notes, vk_strv *removed);
/* trial.c: whether this boot stack has entry files a trial can add to; the error says why not. */
int vk_plan_trial_possible(const vk_boot_detect *d, vk_error *err);
/* trial.c: the trial entry (a file to create) and its one-shot command; errors say why no trial is possible. */
int vk_plan_trial(vk_host *h, const vk_model *m, vk_boot_plan *p, vk_strv *removed, vk_error *err);
/* The one-shot command (run last) and its undo for revert. */
int vk_plan_trial_cmds(vk_boot_plan *p);
/* Without --trial: remove the trial entry an earlier --trial apply made. */
int vk_plan_trial_cleanup(vk_host *h, vk_boot_plan *p, vk_error *err);
/* plan-modprobe.c: warn about the root's other modprobe.d lines that change what vfiokit.conf does (another ids=,
 * a blacklist or install line for vfio-pci); sets p->modprobe_conflict when vfiokit's ids would be lost. Needs
 * p->ids, p->softdeps and p->vfio_builtin. */
int vk_plan_modprobe_check(vk_host *h, const vk_model *m, const vk_boot_opts *o, vk_boot_plan *p, vk_error *err);
