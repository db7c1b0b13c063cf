/* hooks.h — libvirt qemu hooks that bind a VM's PCI devices before it starts and give them back after it stops. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define VK_HOOKS_DIR "etc/libvirt/hooks"
#define VK_HOOKS_DISPATCHER "etc/libvirt/hooks/qemu"
#define VK_HOOKS_JOURNAL "var/lib/vfiokit/hooks.json"
#define VK_HOOKS_DM_LINK "etc/systemd/system/display-manager.service"
/* The first line after the shebang of vfiokit's dispatcher: how `install` knows the file at qemu is its own. */
#define VK_HOOKS_DISPATCHER_MARK "# vfiokit-hooks-dispatcher 1"

/* ---- hooks-domain.c: what the hook needs from a domain XML (libxml2) ---- */

/* libvirt's rule for a QEMU domain name (not empty, no '/', no newline), plus what makes it safe as a path
 * component and inside a shell word: no control characters, not "." or "..". */
bool vk_hooks_vm_name_is_valid(const char *name);

typedef struct vk_hook_domain {
        char *name;      /* <name> */
        vk_strv devices; /* full PCI addresses of <hostdev type='pci'> and <interface type='hostdev'>, in order */
        vk_strv managed; /* the subset with managed='yes' (libvirt moves those itself too) */
} vk_hook_domain;
void vk_hook_domain_clear(vk_hook_domain *d);
/* Parse a domain XML held in buf. A malformed document or a bad hostdev address is -EBADMSG with err naming
 * `label` (the file) and the line. Never prints (libxml2's messages are caught). */
int vk_hook_domain_parse(const char *label, const char *buf, size_t len, vk_hook_domain *ret, vk_error *err);

/* The AMD GPUs that cannot reset themselves between VM runs (the "AMD reset bug"): the device ids
 * gnif/vendor-reset handles (src/device-db.h: Polaris 10/11/12, Vega 10/20, Navi 10/12/14, Arcturus).
 * Returns the family name, or NULL when the id is not one of them. */
const char *vk_amd_reset_bug_family(uint16_t vendor, uint16_t device);

/* ---- hooks-journal.c: /var/lib/vfiokit/hooks.json, what install added, so remove takes exactly that ---- */
typedef struct vk_hooks_entry {
        char *owner;   /* the VM, or NULL for what the VMs share (dispatcher, qemu.d, the journal's dir) */
        bool is_dir;
        char *path;    /* root-relative */
        char *kept;    /* the original kept next to a file, or NULL */
        char *content; /* the bytes vfiokit wrote (files) */
        unsigned mode;
} vk_hooks_entry;

typedef struct vk_hooks_journal {
        vk_hooks_entry *v;
        size_t n;
} vk_hooks_journal;

int vk_hooks_journal_load(vk_host *h, vk_hooks_journal *ret, vk_error *err);
/* Parse journal text (label names the file in errors); exported for the fuzz target and tests. */
int vk_hooks_journal_parse(const char *label, const char *text, vk_hooks_journal *ret, vk_error *err);
char *vk_hooks_journal_serialize(const vk_hooks_journal *j);
void vk_hooks_journal_clear(vk_hooks_journal *j);
int vk_hooks_journal_add(vk_hooks_journal *j, const vk_hooks_entry *e);
vk_hooks_entry *vk_hooks_journal_find(const vk_hooks_journal *j, const char *path);
bool vk_hooks_journal_has_owner(const vk_hooks_journal *j, const char *owner);

/* ---- hooks.c: plan, apply, remove ---- */

typedef enum vk_hook_change_kind {
        VK_HOOK_MKDIR,     /* create a directory */
        VK_HOOK_KEEP,      /* keep the file that is at path as kept (a hard link: same bytes, mode, owner) */
        VK_HOOK_WRITE,     /* write content to path (atomically) */
        VK_HOOK_SAME,      /* path already holds exactly this content: nothing to do */
        VK_HOOK_RESTORE,   /* put kept back at path (rename over it) */
        VK_HOOK_UNLINK,    /* remove path */
        VK_HOOK_RMDIR,     /* remove the directory path (only when empty) */
        VK_HOOK_LEAVE,     /* nothing to do at path (note says why: it is already gone) */
} vk_hook_change_kind;

typedef struct vk_hook_change {
        vk_hook_change_kind kind;
        char *path;    /* root-relative */
        char *kept;    /* KEEP/RESTORE: the FILE.vfiokit-orig */
        char *content; /* WRITE/SAME */
        unsigned mode;
        char *note;    /* why, for the user */
} vk_hook_change;

typedef struct vk_hook_opts {
        bool single_gpu;
        const char *vfiokit; /* absolute path the hook runs vfiokit by */
} vk_hook_opts;

typedef struct vk_hook_plan {
        bool remove;
        char *vm;
        char *domain_path;       /* "/etc/libvirt/qemu/VM.xml" */
        vk_strv devices;         /* what the hook binds */
        vk_strv forced;          /* functions driving the host display, passed with --force-host-device */
        bool single_gpu;
        char *display_manager;   /* the unit display-manager.service points to ("gdm3.service") */
        vk_strv vtconsoles;      /* framebuffer consoles bound now ("vtcon1") */
        vk_strv framebuffers;    /* firmware framebuffers bound now ("efi-framebuffer.0") */
        vk_strv prepare, release; /* what the hook will do at each phase, in order (human text) */
        vk_strv warnings;        /* the AMD reset bug, … */
        vk_strv notes;           /* worth knowing, nothing to fix */
        vk_hook_change *changes;
        size_t n_changes;
        char *script;            /* the per-VM script */
        bool restart_libvirtd;   /* no qemu hook existed: libvirt only looks for hooks when it starts */
        bool changed;            /* something would be written or removed */
        vk_hooks_journal journal; /* the journal after the plan is carried out */
} vk_hook_plan;
void vk_hook_plan_clear(vk_hook_plan *p);

/* What `hooks install VM` would do on this host; writes nothing. Refusals (err->refused): a device in the
 * VM's groups is the root disk's controller or the default route's NIC, the host display without
 * single_gpu, single_gpu without a display manager to restart. */
int vk_hooks_plan_install(vk_host *h, const vk_model *m, const char *vm, const vk_hook_opts *o, vk_hook_plan *ret,
                          vk_error *err);
/* What `hooks remove VM` would do: exactly the journal's entries for VM (and the shared dispatcher when VM is
 * the last one). -ENOENT when vfiokit installed no hook for VM. Refused (err->refused, all problems named)
 * when a file it would remove changed since install, a kept original it would put back is missing, or a
 * directory it would remove is no longer one: a remove is all or nothing, so it does not start. */
int vk_hooks_plan_remove(vk_host *h, const char *vm, vk_hook_plan *ret, vk_error *err);
/* Carry out a plan and save the journal (the last step); on a failure, undo what this call did (the bytes and
 * modes from before) and return it with err naming the file, the errno and the fix. A remove first checks it
 * may write every directory it changes. */
int vk_hooks_apply(vk_host *h, vk_hook_plan *p, vk_error *err);

/* ---- hooks-script.c: the two shell scripts (static text; the only values in them are validated) ---- */
const char *vk_hooks_dispatcher_text(void);
/* The per-VM script: VM name (validated), vfiokit's absolute path, device addresses, forced addresses. */
char *vk_hooks_vm_script(const char *vm, const char *vfiokit, const vk_strv *devices, const vk_strv *forced,
                         bool single_gpu);
/* True when s is safe inside a single-quoted shell word and as an absolute program path. */
bool vk_hooks_exe_path_is_valid(const char *s);

