/* journal.h — what runtime binds changed, so unbind/restore can put back exactly the original drivers. */
#pragma once

#include "host.h"

#define VK_JOURNAL_PATH "run/vfiokit/journal.json"
#define VK_LOCK_PATH "run/vfiokit/lock"

typedef struct vk_journal_entry {
        char addr[16];
        char *driver;          /* the driver before vfiokit moved it, NULL when unbound */
        char *driver_override; /* the override before, NULL when none */
        int group;
} vk_journal_entry;

typedef struct vk_journal {
        vk_journal_entry *v;
        size_t n;
} vk_journal;

/* A missing journal is empty; a corrupt one is -EBADMSG with err naming the file. */
int vk_journal_load(vk_host *h, vk_journal *ret, vk_error *err);
/* Atomically replace the journal (or remove it when empty). */
int vk_journal_save(vk_host *h, const vk_journal *j, vk_error *err);
void vk_journal_clear(vk_journal *j);
vk_journal_entry *vk_journal_find(const vk_journal *j, const char *addr);
/* Record addr's original state; the first record wins (a second bind never overwrites it). */
int vk_journal_add(vk_journal *j, const char *addr, const char *driver, const char *override, int group);
void vk_journal_remove(vk_journal *j, const char *addr);

struct json_object;
/* Parse TEXT (NUL-terminated) as exactly one JSON value, as every journal is read: 0 and *ret, or
 * -EBADMSG with *ret_reason saying why (json-c's words), or -ENOMEM. */
int vk_json_parse_whole(const char *text, struct json_object **ret, const char **ret_reason);

/* Take the one lock all writers share, waiting up to timeout_ms. Re-entrant per
 * host: a command that sets VFs and then binds them holds it across both. */
int vk_lock_take(vk_host *h, int timeout_ms, vk_error *err);
/* Undo one vk_lock_take; the last one clears the pid and unlocks. */
void vk_lock_release(vk_host *h);
/* For _cleanup_: release when the pointer is set. */
static inline void vk_lock_releasep(vk_host **h) {
        if (*h)
                vk_lock_release(*h);
}
