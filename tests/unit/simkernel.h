/* simkernel.h — a simulated PCI core for fixture trees: sysfs writes take the effect the kernel gives them. */
#pragma once

#include <stdbool.h>

#include "sysfs.h"

typedef struct simkernel {
        const char *root;   /* the fixture directory */
        int writes;         /* writes seen so far */
        int fail_at;        /* 1-based write number that fails with fail_errno (0: never) */
        int fail_errno;
        const char *fail_path_suffix; /* when set, fail every write whose path ends so */
        const char *vanish_at_first;  /* a device address removed just before the first write */
        bool probe_binds_nothing;     /* a probe for vfio-pci fails, as for a device it rejects */
        char natural[64][2][32];      /* address → the driver a probe gives it without an override */
        int n_natural;
} simkernel;

extern const vk_sysfs_ops simkernel_ops;
/* Remember each function's current driver as the one a plain probe binds. */
void simkernel_init(simkernel *k, const char *root);
/* The whole tree as text (path, type, content or target), for before/after comparison. */
char *tree_snapshot(const char *root);
