/* netplan.h — read netplan YAML (libyaml) for what a bridge over an uplink needs, and write vfiokit's own file. */
#pragma once

#include "../util.h"

/* What the netplan files say about one uplink and one bridge name, accumulated file by file in netplan's
 * merge order (later files override scalars, concatenate sequences, merge mappings). */
typedef struct vk_netplan_info {
        char *renderer;     /* network.renderer, the last one given; NULL: netplan's default, networkd */
        char *id;           /* the uplink's netplan id (its key under ethernets), NULL when no file names it */
        char *id_file;      /* the last file that defines that id */
        int dhcp4, dhcp6;   /* the uplink's merged values: -1 not set, 0 false, 1 true */
        char *static_at;    /* "FILE:LINE: addresses" when the uplink has static configuration */
        char *port_at;      /* "FILE:LINE: bridges.br1" when the uplink is already in a bridge or bond */
        char *bridge_at;    /* "FILE:LINE" when the bridge name is already defined */
} vk_netplan_info;

void vk_netplan_info_clear(vk_netplan_info *i);

/* Fold one YAML file into *info. UPLINK/MAC identify the uplink (match: name/macaddress are understood).
 * Malformed YAML, or YAML that is not a netplan document, is -EINVAL with err "NAME:LINE: what". */
int vk_netplan_inspect(const char *name, const char *text, size_t len, const char *uplink, const char *mac,
                       const char *bridge, vk_netplan_info *info, vk_error *err);

/* vfiokit's netplan file for BRIDGE over the uplink id ID: the uplink loses dhcp4/dhcp6, the bridge takes them. */
char *vk_netplan_render(const char *bridge, const char *id, const char *mac, bool dhcp4, bool dhcp6,
                        const char *after);
