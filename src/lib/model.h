/* model.h — what vfiokit knows about a host: PCI functions, IOMMU groups, host-critical devices, system facts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "host.h"
#include "util.h"

#define VK_CLASS_VGA 0x0300
#define VK_CLASS_3D 0x0302
#define VK_CLASS_DISPLAY 0x0380

typedef struct vk_func {
        char addr[16];     /* "0000:01:00.0" */
        char *syspath;     /* "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0" */
        char *parent;      /* upstream bridge's address, NULL on a root bus */
        bool ids_valid;    /* vendor, device and class parsed */
        uint16_t vendor, device, subsys_vendor, subsys_device;
        uint32_t class_code; /* 24 bits: base, sub, prog-if */
        int revision;        /* -1 when unknown */
        int boot_vga;        /* -1 when the attribute is absent (non-VGA) */
        char *driver;        /* NULL when unbound */
        char *driver_override; /* NULL when "(null)" */
        char *reset_method;  /* NULL when absent: no reset method */
        int sriov_totalvfs, sriov_numvfs; /* -1 when not SR-IOV capable */
        int iommu_group;     /* -1 when none */
        char *physfn;        /* a VF's PF address */
        vk_strv virtfns;     /* a PF's VF addresses */
        vk_strv drm_cards;   /* "card0" … for display functions */
        char *vendor_name, *device_name, *subsys_name, *class_name; /* pci.ids, may be NULL */
} vk_func;

typedef struct vk_group {
        int id;
        size_t *members; /* indexes into vk_model.funcs, sorted by address */
        size_t n_members;
        bool viable;     /* every non-bridge member unbound or on vfio-pci / pci-stub */
} vk_group;

typedef enum vk_critical_kind {
        VK_CRITICAL_ROOT_DISK,
        VK_CRITICAL_DEFAULT_ROUTE,
        VK_CRITICAL_DISPLAY,
} vk_critical_kind;

typedef struct vk_critical {
        char addr[16];
        vk_critical_kind kind;
        char *detail; /* "/ on /dev/nvme0n1p2", "default route via eno1", "card0 (i915)" */
} vk_critical;

typedef struct vk_problem {
        char *path;    /* root-relative file the problem is about */
        char *message; /* what is wrong with it */
} vk_problem;

typedef enum vk_cpu_vendor { VK_CPU_UNKNOWN, VK_CPU_INTEL, VK_CPU_AMD } vk_cpu_vendor;

typedef struct vk_sysinfo {
        vk_cpu_vendor cpu_vendor;
        char *cpu_model;
        int n_cpus;
        bool vmx, svm;
        bool kvm_dev;        /* /dev/kvm exists */
        bool efi;            /* /sys/firmware/efi exists */
        char *cmdline;       /* NULL when /proc/cmdline unreadable */
        char *kernel_release;
        char *os_pretty, *os_id; /* from os-release */
        bool iommu_enabled;  /* /sys/kernel/iommu_groups non-empty */
        vk_strv iommu_units; /* /sys/class/iommu entries */
        vk_strv modules;     /* loaded modules of interest */
        bool vfio_pci_builtin, vfio_pci_available;
        uint64_t mem_total_kb;
        uint64_t hugepages_total;
} vk_sysinfo;

typedef struct vk_model {
        vk_host *host; /* not owned */
        vk_func *funcs; /* sorted by address */
        size_t n_funcs;
        vk_group *groups; /* sorted by id */
        size_t n_groups;
        vk_critical *critical;
        size_t n_critical;
        vk_problem *problems;
        size_t n_problems;
        vk_sysinfo sys;
} vk_model;

/* Read everything from the host. Unreadable or garbage files do not fail the
 * load: they become problems naming the path. Only a missing PCI bus or no
 * memory fails. */
int vk_model_load(vk_host *h, vk_model **ret);
/* Commands that change drivers need neither names (pci.ids) nor the system
 * facts (cpuinfo, cmdline, modules.dep …): only functions, groups and the
 * host-critical devices. */
enum {
        VK_LOAD_NO_NAMES = 1 << 0,
        VK_LOAD_NO_SYSINFO = 1 << 1,
        VK_LOAD_FOR_CHANGE = VK_LOAD_NO_NAMES | VK_LOAD_NO_SYSINFO,
};
int vk_model_load_flags(vk_host *h, unsigned flags, vk_model **ret);
vk_model *vk_model_free(vk_model *m);
static inline void vk_model_freep(vk_model **m) { vk_model_free(*m); }
#define _cleanup_model_ _cleanup_(vk_model_freep)

int vk_model_add_problem(vk_model *m, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Look-ups */
vk_func *vk_model_find(const vk_model *m, const char *addr);
const vk_group *vk_model_group(const vk_model *m, int id);
const vk_critical *vk_model_critical(const vk_model *m, const char *addr);
/* Resolve a user's device name: "0000:01:00.0", "01:00.0" or "10de:2484".
 * -ENOENT when nothing matches, -ENOTUNIQ when an id matches several
 * functions (*ret_matches then lists them), -EINVAL when it is neither form. */
int vk_model_resolve(const vk_model *m, const char *name, vk_func **ret, vk_strv *ret_matches);

/* Classification */
bool vk_func_is_gpu(const vk_func *f);
bool vk_func_is_bridge(const vk_func *f);
/* A VF and its PF or sibling VFs share a slot but are not one card's functions. */
bool vk_func_sriov_related(const vk_func *a, const vk_func *b);
const char *vk_critical_kind_name(vk_critical_kind k);

/* guard.c: the interfaces that carry a default route (IPv4 /proc/net/route, IPv6 /proc/net/ipv6_route),
 * each once; a missing route file is no route. */
int vk_default_route_ifaces(vk_host *h, vk_strv *ret, vk_error *err);

/* pci.c */
/* "sys/bus/pci/devices" + "../../../devices/x" → "sys/devices/x" */
char *vk_resolve_link_path(const char *linkdir, const char *target);
/* A short human text for a -errno from reading a file. */
const char *vk_errno_text(int r);
int vk_pci_scan(vk_model *m);
/* sysinfo.c */
int vk_sysinfo_load(vk_model *m);
void vk_sysinfo_clear(vk_sysinfo *s);
/* iommu.c */
int vk_iommu_scan(vk_model *m);
/* guard.c */
int vk_guard_scan(vk_model *m);
/* names.c: fill the *_name fields from pci.ids (the root's, else the system's) */
int vk_names_fill(vk_model *m);
