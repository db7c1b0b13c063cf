/* export.h — a host's (or a fleet's) passable devices as cluster engines take them: KubeVirt, Nova, Proxmox. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef enum vk_export_format {
        VK_EXPORT_KUBEVIRT,
        VK_EXPORT_NOVA,
        VK_EXPORT_PROXMOX,
} vk_export_format;

/* "kubevirt" → VK_EXPORT_KUBEVIRT; -EINVAL for anything else. */
int vk_export_format_parse(const char *s, vk_export_format *ret);
const char *vk_export_format_name(vk_export_format f);

typedef enum vk_export_role {
        VK_EXPORT_DEVICE,    /* the GPU or the device the user named */
        VK_EXPORT_COMPANION, /* another function of its slot (HDMI audio, USB-C, UCSI) */
        VK_EXPORT_GROUP,     /* another non-bridge function of its IOMMU group */
} vk_export_role;

typedef struct vk_export_func {
        char addr[16];
        uint16_t vendor, device, subsys_vendor, subsys_device;
        int iommu_group; /* -1 without an IOMMU */
        vk_export_role role;
        const char *device_type; /* Nova's "type-PCI", "type-PF" (SR-IOV capable) or "type-VF" */
        int same_id;             /* functions of its host with its vendor:device, itself included */
        char *name;              /* pci.ids device name, NULL when unknown */
        char *vendor_name;
} vk_export_func;

/* One device as an engine passes it: with its slot's functions and the rest of its IOMMU group. */
typedef struct vk_export_unit {
        char *host;             /* node name */
        vk_export_func *funcs;  /* funcs[0] is the device */
        size_t n_funcs;
        vk_strv unsafe;         /* why passing it would hurt the host or cannot work; empty when safe */
        bool impossible;        /* vfio-pci cannot take it at all (bridge, PF with VFs, no IOMMU): no --force */
        char *inconsistent;     /* how it differs from the same device on the other hosts (fleet), or NULL */
        char *composition;      /* its functions' ids split by IOMMU group: "[10de:2484 10de:228b]" */
        bool named;             /* the user named it (a refusal, not a note, when unsafe) */
        bool included;          /* in the mapping (decided by vk_export_merge) */
} vk_export_unit;

typedef struct vk_export {
        vk_strv hosts, sources; /* node names and where each came from (root dir or capture file) */
        vk_export_unit *units;
        size_t n_units;
        vk_strv warnings;       /* one line each: what was left out (or forced in) and why */
        bool force;
} vk_export;

void vk_export_clear(vk_export *e);

/* The node name of a host: the first label of etc/hostname in its root, else fallback (which may be NULL).
 * -ENOENT when neither gives a valid name. */
int vk_export_hostname(vk_host *h, const char *fallback, char **ret);
/* "dir/pve-1.tar.gz" → "pve-1"; NULL when nothing is left that is a valid node name. */
char *vk_export_name_from_file(const char *path);
bool vk_export_valid_node_name(const char *s);

/* Add host HOST's units: the GPUs, or the functions that match DEVICES (addresses or vendor:device ids).
 * With must_match, a device name that matches nothing is an error (-ENOENT, err says which); in a fleet a
 * host without it is only noted. -EINVAL for a name that is neither an address nor an id. */
int vk_export_add_host(vk_export *e, const vk_model *m, const char *host, const char *source,
                       const char *const *devices, size_t n_devices, bool must_match, vk_error *err);

/* Decide what goes into the mapping: safe units that agree with the rest of the fleet (majority, ties to
 * the first host); with force also the unsafe and inconsistent ones that vfio-pci can take. Fills
 * e->warnings. A named unsafe device is a refusal (err->refused, -EPERM); nothing left to export is one too
 * (the warnings say why). */
int vk_export_merge(vk_export *e, bool force, vk_error *err);

/* Names derived from pci.ids, each valid where it is used; NULL on no memory. */
char *vk_export_resource_name(const vk_export_func *f); /* "nvidia.com/GA104_GEFORCE_RTX_3070" (k8s) */
char *vk_export_alias_name(const vk_export_func *f);    /* "ga104-geforce-rtx-3070" (Nova alias) */
char *vk_export_mapping_id(const vk_export_func *f);    /* "ga104_geforce_rtx_3070" (Proxmox pve-configid) */

/* Renderers (export-render.c). Each output is complete text ending in a newline. */
int vk_export_kubevirt_patch(const vk_export *e, json_object **ret); /* the KubeVirt CR patch */
int vk_export_kubevirt_yaml(const vk_export *e, char **ret);
int vk_export_nova(const vk_export *e, char **ret);
int vk_export_proxmox(const vk_export *e, char **ret);
/* A neutral description of what was exported and why, plus the engine's own configuration as JSON. */
int vk_export_json(const vk_export *e, vk_export_format f, json_object **ret);
/* The same JSON as YAML through libyaml (strings always quoted: 1002:6798 is a number to YAML 1.1). */
int vk_export_json_to_yaml(json_object *o, char **ret);
