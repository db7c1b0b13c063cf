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
const char *vk_plan_trial_note(vk_bootloader b);
/* plan-modprobe.c: warn about the root's other modprobe.d lines that change what vfiokit.conf does (another ids=,
 * a blacklist or install line for vfio-pci); sets p->modprobe_conflict when vfiokit's ids would be lost. Needs
 * p->ids, p->softdeps and p->vfio_builtin. */
int vk_plan_modprobe_check(vk_host *h, const vk_model *m, const vk_boot_opts *o, vk_boot_plan *p, vk_error *err);
