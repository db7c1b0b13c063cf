/* internal.h — what net.c and the per-stack planners (net/backends.c, net/journal.c) share. */
#pragma once

#include <json-c/json.h>

#include "../net.h"
#include "ini.h"

/* The facts of one interface that planning uses. */
typedef struct vk_net_link {
        char name[16];
        char *mac, *driver, *type; /* NULL when unknown */
        vk_net_iface match;        /* the same, for networkd's [Match] */
} vk_net_link;
void vk_net_link_clear(vk_net_link *l);
/* Read sys/class/net/NAME: -ENOENT when the interface does not exist. */
int vk_net_link_read(vk_host *h, const char *name, vk_net_link *ret);

int vk_net_plan_file(vk_net_plan *p, vk_host *h, const char *path, char *content, unsigned mode);
/* Append an argv (NULL-terminated list of strings) to *v. */
int vk_net_cmd(vk_strv **v, size_t *n, ...) __attribute__((sentinel));
int vk_net_note(vk_net_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The stacks' planners; IGNORE lists files vfiokit wrote before under this name (not the user's). */
int vk_networkd_plan_bridge(vk_host *h, const vk_net_link *up, const vk_strv *ignore, vk_net_plan *p,
                            vk_error *err);
int vk_netplan_plan_bridge(vk_host *h, const vk_net_link *up, const vk_strv *ignore, vk_net_plan *p,
                           vk_error *err);
int vk_nm_plan_bridge(vk_host *h, const vk_net_link *up, vk_net_plan *p, vk_error *err);
int vk_networkd_plan_tap(vk_host *h, const vk_strv *ignore, vk_net_plan *p, vk_error *err);

/* The journal: {"entries": [{"name", "kind", "backend", "uplink"|"user"/"master", "files": [{"path",
 * "orig"}], "undo": [[argv], ...]}]}. A missing file is empty; a corrupt one is -EBADMSG naming it. */
int vk_net_journal_load(vk_host *h, json_object **ret, vk_error *err);
json_object *vk_net_journal_entry(json_object *j, const char *name);
/* The paths an entry wrote. */
int vk_net_journal_files(json_object *entry, vk_strv *ret);
