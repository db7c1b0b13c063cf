/* sriov.h — create or remove SR-IOV virtual functions (Intel iGPU SR-IOV, NVMe, NICs). */
#pragma once

#include "bind.h"

typedef struct vk_sriov_opts {
        int numvfs;
        bool for_vms;  /* the VFs go to VMs: sriov_drivers_autoprobe=0 so no host driver grabs them */
        bool force;    /* remove VFs even while one is on vfio-pci */
        bool dry_run;
        int lock_timeout_ms;
        int wait_ms;   /* how long to wait for the virtfn links (default 5000) */
} vk_sriov_opts;

/* Set pf's VF count. *ret_vfs gets the VF addresses in virtfn order (planned ones with dry_run). */
int vk_sriov_set(vk_host *h, const vk_func *pf, const vk_sriov_opts *o, vk_strv *ret_vfs, vk_error *err);
/* The text of a systemd unit that recreates the VFs at boot through vfiokit itself. */
char *vk_sriov_unit(const char *exe, const char *pf, int numvfs, const char *bind);
