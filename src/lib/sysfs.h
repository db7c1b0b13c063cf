/* sysfs.h — the one way the library writes to sysfs: an ops table, so tests can put a simulated kernel under the same code. */
#pragma once

#include "host.h"

typedef struct vk_sysfs_ops {
        /* Write VALUE to the attribute PATH (root-relative), like `echo -n VALUE > PATH`.
         * Returns 0 or the -errno the kernel gave. */
        int (*write)(vk_host *h, const char *path, const char *value, void *userdata);
} vk_sysfs_ops;

/* The kernel's: open inside the root, one write(). Writes that can block in a
 * driver (unbind, bind, drivers_probe, remove, sriov_numvfs) run in a child
 * process that is waited for at most the host's write timeout. */
extern const vk_sysfs_ops vk_sysfs_kernel_ops;

void vk_host_set_sysfs_ops(vk_host *h, const vk_sysfs_ops *ops, void *userdata);
/* Milliseconds a blocking sysfs write may take before it is reported as hung (default 10000). */
void vk_host_set_write_timeout(vk_host *h, int ms);
int vk_host_write_timeout(const vk_host *h);
int vk_sysfs_write(vk_host *h, const char *path, const char *value);
