/* bootjournal.h — the boot journal (/var/lib/vfiokit/boot-journal.json): the originals revert puts back. */
#pragma once

#include "boot.h"

typedef struct vk_bj_file {
        char *path;       /* root-relative */
        bool absent;      /* vfiokit created it: revert removes it */
        char *original;   /* the bytes before the first apply (NULL when absent) */
        size_t original_len;
        unsigned mode;
        bool backup_made; /* vfiokit wrote PATH.vfiokit-orig (revert removes it) */
} vk_bj_file;

typedef struct vk_boot_journal {
        char *created;       /* UTC time of the first apply */
        vk_strv devices;     /* the GPUs applied for */
        vk_strv functions;   /* every function that should be on vfio-pci */
        vk_strv kargs_add, kargs_remove;
        vk_bj_file *files;
        size_t n_files;
        vk_strv dirs_created; /* parents first */
        vk_boot_cmd *cmds;   /* regenerate commands revert runs again */
        size_t n_cmds;
        vk_boot_cmd *undo;   /* commands that undo a command (rpm-ostree kargs) */
        size_t n_undo;
} vk_boot_journal;

void vk_bj_clear(vk_boot_journal *j);
/* *ret_exists false (and an empty journal) when there is none; a corrupt one is -EBADMSG naming the file. */
int vk_bj_load(vk_host *h, vk_boot_journal *ret, bool *ret_exists, vk_error *err);
/* Parse a journal's text (the fuzz target's entry point). */
int vk_bj_parse(const char *text, size_t len, vk_boot_journal *ret, vk_error *err);
/* The JSON text (pretty, stable order) of j. */
/* A string list and a command list ({argv, why}) as JSON: the form the journal and `boot plan --json` share. */
struct json_object;
struct json_object *vk_bj_strv_json(const vk_strv *v);
struct json_object *vk_bj_cmds_json(const vk_boot_cmd *c, size_t n);
int vk_bj_serialize(const vk_boot_journal *j, char **ret);
vk_bj_file *vk_bj_find(const vk_boot_journal *j, const char *path);
int vk_bj_add_file(vk_boot_journal *j, const char *path, bool absent, const char *original, size_t len, unsigned mode,
                   bool backup_made);
/* Add c to (*v, *n) unless an equal argv is there. */
int vk_bj_add_cmd(vk_boot_cmd **v, size_t *n, const vk_boot_cmd *c);
/* Remove the temp files (".NAME.vfiokit-XXXXXX") a crash between write and rename left next to PATH.
 * Safe under the writers' lock: no other vfiokit is writing then. */
void vk_bj_remove_stale_temps(vk_host *h, const char *path);
