/* modprobe-conf.h — read a root's modprobe.d the way kmod does: which files, in which order, and their commands. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../host.h"
#include "../util.h"

typedef enum vk_mpd_cmd {
        VK_MPD_OPTIONS,   /* options MODULE PARAMS... */
        VK_MPD_BLACKLIST, /* blacklist MODULE */
        VK_MPD_INSTALL,   /* install MODULE COMMAND... */
        VK_MPD_SOFTDEP,   /* softdep MODULE pre: ... post: ... */
        VK_MPD_OTHER,     /* alias, remove, weakdep, and the deprecated include/config kmod ignores */
        VK_MPD_BAD,       /* a line modprobe ignores as malformed ("ignoring bad line") */
} vk_mpd_cmd;

typedef struct vk_mpd_line {
        size_t line;    /* 1-based number of the first physical line of this (maybe continued) line */
        vk_mpd_cmd cmd;
        char *command;  /* the first word as written ("options"); NULL for an empty VK_MPD_BAD */
        char *module;   /* with '-' folded to '_' as kmod does ("vfio_pci"); NULL when absent */
        char *args;     /* the rest of the line after the module, as kmod keeps it ("" when none) */
} vk_mpd_line;

/* Split TEXT into kmod's logical lines and commands. Never fails on content (modprobe itself only logs bad lines,
 * which come back as VK_MPD_BAD); -ENOMEM only. *ret may be NULL when there is no command. */
int vk_modprobe_conf_parse(const char *text, size_t len, vk_mpd_line **ret, size_t *ret_n);
void vk_mpd_lines_free(vk_mpd_line *v, size_t n);

/* The root-relative paths of the modprobe.d files modprobe reads, in the order it reads them. */
int vk_modprobe_conf_files(vk_host *h, vk_strv *ret);

/* The kernel's parse_args() view of an options string: the value of the LAST `KEY=` parameter (quotes removed),
 * NULL when KEY is absent. *ret_others gets every other parameter as written. */
int vk_modprobe_param(const char *args, const char *key, char **ret_value, vk_strv *ret_others);

/* vfio-pci's ids= syntax: vendor:device[:subvendor[:subdevice[:class[:class_mask]]]] in hex (modprobe.c). */
bool vk_modprobe_is_pci_id(const char *s);
