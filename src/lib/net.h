/* net.h — host bridges and taps for VMs: detect the network stack, plan the files and commands, apply, undo. */
#pragma once

#include "host.h"

#define VK_NET_JOURNAL_PATH "var/lib/vfiokit/net.json"

typedef enum vk_net_backend {
        VK_NET_AUTO = 0,
        VK_NET_NETWORKD,
        VK_NET_NETPLAN,
        VK_NET_NM,
} vk_net_backend;

const char *vk_net_backend_name(vk_net_backend b);
/* "networkd", "netplan" or "nm"; -EINVAL otherwise. */
int vk_net_backend_parse(const char *s, vk_net_backend *ret);
/* The stack that configures this root's network. Several (networkd and NetworkManager both enabled, no netplan
 * above them) or none is -ENOTUNIQ / -ENOENT with err listing what was found and asking for --backend. */
int vk_net_detect(vk_host *h, vk_net_backend *ret, vk_error *err);

/* An interface name the kernel, networkd, netplan and nmcli all take as it is: 1-15 bytes of letters,
 * digits, '.', '_', '-', not "." or "..". WHAT names it in the message ("bridge name"). */
int vk_net_check_name(const char *what, const char *name, vk_error *err);

typedef struct vk_net_file {
        char *path;    /* root-relative, no leading '/' */
        char *content; /* the new content; NULL: remove the file */
        char *old;     /* the content now, NULL when the file does not exist */
        unsigned mode;
} vk_net_file;

typedef struct vk_net_plan {
        bool bridge;            /* a bridge, else a tap */
        char *name;
        char *uplink, *user, *master; /* uplink (bridge); user and master bridge (tap) */
        vk_net_backend backend;
        vk_net_file *files;
        size_t n_files;
        vk_strv *run;           /* commands to run after writing, each an argv */
        size_t n_run;
        vk_strv *undo;          /* what `net remove` runs after removing the files */
        size_t n_undo;
        vk_strv notes;          /* what the user should know: one line each */
        bool default_route;     /* the uplink carries a default route: changing it can cut the host off */
        bool done;              /* the journal already holds exactly this: nothing to change */
} vk_net_plan;

void vk_net_plan_clear(vk_net_plan *p);

/* Plan bridge BR over UPLINK. Refusals (exit 3): a wireless, missing, bridge or already-bridged uplink, an
 * existing BR that vfiokit did not make, a static netplan uplink it cannot move. */
int vk_net_plan_bridge(vk_host *h, const char *br, const char *uplink, vk_net_backend backend, vk_net_plan *ret,
                       vk_error *err);
/* Plan a persistent tap TAP owned by USER (checked in ROOT/etc/passwd), optionally a port of MASTER. */
int vk_net_plan_tap(vk_host *h, const char *tap, const char *user, const char *master, vk_net_backend backend,
                    vk_net_plan *ret, vk_error *err);
/* Plan undoing what the journal holds for NAME: files removed or their originals restored, undo commands. */
int vk_net_plan_remove(vk_host *h, const char *name, vk_net_plan *ret, vk_error *err);

/* Write the plan's files atomically (first originals kept as FILE.vfiokit-orig) and record it in the journal;
 * for a remove plan, put the files back and drop the journal entry. Runs no command: the caller does. */
int vk_net_apply(vk_host *h, const vk_net_plan *p, vk_error *err);
int vk_net_apply_remove(vk_host *h, const vk_net_plan *p, vk_error *err);
