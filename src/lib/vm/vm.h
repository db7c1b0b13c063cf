/* vm.h — define a VM around a passed-through GPU: the plan, its libvirt domain XML and its QEMU launcher. */
#pragma once

#include <stdint.h>

#include "../model.h"

/* ---- firmware.c: UEFI firmware from QEMU's descriptors (docs/interop/firmware.json) ---- */

typedef struct vk_firmware {
        char *descriptor;  /* the JSON file it came from, "/usr/share/qemu/firmware/60-edk2-x86_64.json" */
        char *code;        /* mapping.executable.filename (a path on the host) */
        char *code_format; /* "raw" or "qcow2" */
        char *vars;        /* mapping.nvram-template.filename: copied once per VM */
        char *vars_format;
        bool secure_boot, enrolled_keys, requires_smm;
} vk_firmware;

/* Parse one descriptor. -EINVAL (err says why) when it is not a UEFI firmware
 * in split flash mode (code + variable template) for x86_64 q35 machines. */
int vk_firmware_parse(const char *path, const char *json, size_t len, vk_firmware *ret, vk_error *err);
/* Pick the firmware a VM should boot, the way QEMU and libvirt look for it:
 * descriptors from /usr/share/qemu/firmware and /etc/qemu/firmware (a file in
 * /etc replaces the one of the same name, an empty one hides it), in file-name
 * order; the first whose files exist (inside the host's root) and whose
 * features fit. secure: Secure Boot with the Microsoft keys enrolled (Windows
 * 11); otherwise firmware without Secure Boot. -ENOENT with the package to
 * install in err when nothing fits. */
int vk_firmware_select(vk_host *h, const char *os_id, bool secure, vk_firmware *ret, vk_error *err);
void vk_firmware_clear(vk_firmware *f);

/* ---- plan.c, passthrough.c: every decision, made once, for both renderers ---- */

typedef enum vk_vm_os { VK_VM_WIN11, VK_VM_WIN10, VK_VM_LINUX } vk_vm_os;
typedef enum vk_vm_format { VK_VM_LIBVIRT, VK_VM_QEMU } vk_vm_format;
typedef enum vk_vm_net {
        VK_VM_NET_DEFAULT, /* libvirt network "default" / QEMU user networking */
        VK_VM_NET_NETWORK, /* a libvirt network by name */
        VK_VM_NET_BRIDGE,  /* a host bridge */
        VK_VM_NET_TAP,     /* an existing tap device, not managed */
} vk_vm_net;
typedef enum vk_vm_graphics { VK_VM_GFX_DEFAULT, VK_VM_GFX_SPICE, VK_VM_GFX_VNC, VK_VM_GFX_NONE } vk_vm_graphics;
typedef enum vk_vm_audio {
        VK_VM_AUDIO_NONE, /* no emulated sound: the passed-through GPU's HDMI audio is the guest's */
        VK_VM_AUDIO_ICH9, /* an emulated Intel HD Audio (ICH9) controller with a codec */
} vk_vm_audio;

/* What the user asked for; zero values mean "decide from the host". */
typedef struct vk_vm_opts {
        const char *name;
        vk_vm_format format;
        vk_vm_os os;
        vk_func *gpu;            /* required unless no_hostdev */
        vk_func *usb_controller; /* optional: a whole USB controller (its group goes too) */
        bool no_hostdev;         /* leave the passthrough devices out (boot tests) */
        const vk_strv *force_host; /* full addresses allowed despite being host-critical */
        int cpus;                /* 0: the host's CPUs but one core */
        uint64_t memory_mib;     /* 0: half the host's RAM, at most 16 GiB */
        uint64_t disk_create_bytes; /* --disk SIZE: create a qcow2 of this size */
        const char *disk_path;   /* --disk-path */
        bool disk_scsi;          /* virtio-scsi instead of virtio-blk */
        const char *iso;
        vk_vm_net net;
        const char *net_name;    /* network, bridge or tap name */
        const char *const *usb;  /* "046d:c52b", NULL-terminated; may be NULL */
        const char *rom;
        int memballoon;          /* -1: none with passthrough, virtio without; 0 none; 1 virtio */
        vk_vm_graphics graphics;
        vk_vm_audio audio;
        bool smbios_host;
        const char *state_dir;   /* QEMU script: where the variable store, TPM state and default disk live */
} vk_vm_opts;

typedef struct vk_vm_hostdev {
        char host[16];        /* "0000:01:00.0" */
        char alias[32];       /* libvirt user alias / QEMU id: "ua-gpu", "ua-pci-01-00-1" */
        int bus;              /* guest: the pcie-root-port (1…) whose slot 0 holds it */
        int function;         /* guest function in that slot */
        bool multifunction;   /* function 0 of a slot with several functions */
        const char *rom;      /* vBIOS file, GPU only */
        bool sub_ids;         /* override the subsystem ids the guest sees (MUXless laptops) */
        uint16_t sub_vendor, sub_device;
} vk_vm_hostdev;

typedef struct vk_vm_usb {
        uint16_t vendor, product;
} vk_vm_usb;

typedef struct vk_vm {
        char *name;
        vk_vm_os os;
        vk_vm_format format;
        int vcpus, sockets, cores, threads;
        bool amd_cpu;             /* SMT needs topoext on AMD */
        uint64_t memory_mib;
        bool hugepages;
        vk_firmware fw;
        char *nvram;              /* the VM's own copy of fw.vars */
        vk_vm_hostdev *hostdevs;  /* GPU slot first */
        size_t n_hostdevs;
        int n_root_ports;         /* one per guest slot */
        vk_strv bind;             /* one function per IOMMU group, for 'vfiokit bind' before QEMU starts */
        vk_strv bind_forced;      /* --force-host-device addresses that bind needs too */
        bool hyperv, kvm_hidden;
        char *disk;               /* NULL: no disk */
        const char *disk_format;  /* "qcow2" or "raw" */
        bool disk_block, disk_scsi;
        uint64_t disk_create_bytes; /* 0: the disk exists */
        vk_strv cdroms;           /* installer first, then virtio-win */
        bool installer;           /* cdroms[0] is the installer (it boots when the disk is empty) */
        vk_vm_net net;
        char *net_name;
        char mac[18];
        vk_vm_usb *usb;
        size_t n_usb;
        vk_vm_graphics graphics;
        vk_vm_audio audio;        /* its backend: SPICE with SPICE graphics, else none (no host sound) */
        bool memballoon, smbios_host, tpm;
        char *state_dir;          /* QEMU script only */
        vk_strv notes;            /* what the user should know about the choices made */
} vk_vm;

/* Decide everything from the options and the host. Refusals (a blocked GPU
 * group) set err->refused; bad options are -EINVAL with err naming the option. */
int vk_vm_plan(vk_host *h, const vk_model *m, const vk_vm_opts *o, vk_vm **ret, vk_error *err);
vk_vm *vk_vm_free(vk_vm *v);
static inline void vk_vm_freep(vk_vm **v) { vk_vm_free(*v); }
#define _cleanup_vm_ _cleanup_(vk_vm_freep)

/* Shared by plan.c and passthrough.c. */
int vk_vm_plan_passthrough(vk_host *h, const vk_model *m, const vk_vm_opts *o, vk_vm *v, vk_error *err);
int vk_vm_note(vk_vm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool vk_vm_path_exists(vk_host *h, const char *path, bool *ret_is_dir);

/* "128G", "512M", "1T", "4096" (MiB); a suffix may end in "iB" or "B". */
int vk_vm_parse_size(const char *s, uint64_t default_unit, uint64_t *ret_bytes);
/* The argv of the qemu-img command that creates the disk; -ENOENT when there is none to create. */
int vk_vm_disk_argv(const vk_vm *v, vk_strv *ret);
/* A stable locally administered MAC (52:54:00:xx:xx:xx) from the VM name. */
void vk_vm_mac(const char *name, char ret[static 18]);

/* ---- domain.c: the libvirt domain, built with libxml2 ---- */
int vk_vm_domain_xml(const vk_vm *v, char **ret, size_t *ret_len);
/* The XML of an existing libvirt domain (virsh dumpxml NAME, an argv without a shell). */
int vk_vm_dumpxml(const char *name, char **ret, size_t *ret_len, vk_error *err);

/* ---- qemuargv.c: the QEMU launcher ---- */
/* QEMU's argv for the VM as it runs under KVM with its display (argv[0] is the binary). */
int vk_vm_qemu_argv(const vk_vm *v, vk_strv *ret);
/* An executable POSIX sh script: pre-steps (variable store copy, TPM, bind), then
 * exec of QEMU with every argument single-quoted. VFIOKIT_ACCEL=tcg and
 * VFIOKIT_CONSOLE=serial switch to TCG and a serial console (tests). */
int vk_vm_qemu_script(const vk_vm *v, char **ret);
/* Quote s for a POSIX shell: 'it'\''s'. */
char *vk_sh_quote(const char *s);
