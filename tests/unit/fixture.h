/* fixture.h — build small fake host trees inside a temporary directory for the unit tests. */
#pragma once

#include <stdbool.h>

/* A fresh empty directory under $TMPDIR; free with fx_remove(). */
char *fx_new(void);
void fx_remove(char *root);
/* Write ROOT/PATH (parents created) with CONTENT. */
void fx_file(const char *root, const char *path, const char *content);
/* Make ROOT/PATH a symlink to TARGET (parents created). */
void fx_link(const char *root, const char *path, const char *target);
void fx_dir(const char *root, const char *path);
void fx_unlink(const char *root, const char *path);

/* One PCI function with the kernel's layout: sys/devices/pci0000:00/PARENTS/ADDR,
 * the sys/bus/pci/devices link, driver and iommu_group links. parents may be "". */
typedef struct fx_pci {
        const char *addr;    /* "0000:01:00.0" */
        const char *parents; /* "0000:00:01.0" or "" */
        unsigned vendor, device, class_code;
        const char *driver;  /* NULL: unbound */
        int group;           /* -1: no IOMMU group */
        int boot_vga;        /* -1: no attribute */
} fx_pci;
/* Returns the device directory relative to root (static buffer). */
const char *fx_pci_add(const char *root, const fx_pci *d);
/* A small desktop: iGPU (host display), a GPU+audio behind a root port in group 1,
 * an NVMe root disk and a NIC with the default route. */
void fx_desktop(const char *root, const char *cpu_vendor, const char *cmdline);
