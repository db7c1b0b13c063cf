/* host.h — the vk_host context: one root directory fd through which every path is opened. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct vk_host vk_host;

typedef enum vk_resolver {
        VK_RESOLVE_AUTO,     /* openat2(RESOLVE_IN_ROOT), or the fallback when the kernel lacks it */
        VK_RESOLVE_FALLBACK, /* always the component-by-component walk (tests, old kernels) */
} vk_resolver;

/* Everything vfiokit read, in order, when tracing is on: what `capture` archives. */
typedef enum vk_trace_kind {
        VK_TRACE_FILE, /* a regular file and the bytes read from it */
        VK_TRACE_LINK, /* a symlink and its target text */
        VK_TRACE_DIR,  /* a directory that was listed or tested */
} vk_trace_kind;

typedef struct vk_trace_entry {
        vk_trace_kind kind;
        char *path; /* relative to the root, no leading '/' */
        char *data; /* file bytes or link target */
        size_t len;
} vk_trace_entry;

int vk_host_new(const char *root, vk_host **ret);
vk_host *vk_host_free(vk_host *h);
static inline void vk_host_freep(vk_host **h) { vk_host_free(*h); }
#define _cleanup_host_ _cleanup_(vk_host_freep)

/* The root as the user gave it, and whether it is the running system's "/". */
const char *vk_host_root(const vk_host *h);
bool vk_host_is_live(const vk_host *h);
void vk_host_set_resolver(vk_host *h, vk_resolver r);
void vk_host_set_trace(vk_host *h, bool on);
const vk_trace_entry *vk_host_trace(const vk_host *h, size_t *ret_n);

/* Open PATH (relative to the root; a leading '/' is allowed) without ever
 * leaving the root: symlinks, absolute or "..", resolve inside it. */
int vk_host_open(vk_host *h, const char *path, int flags, int *ret_fd);
/* Read a whole file (at most max bytes, else -EFBIG); *ret is NUL-terminated. */
int vk_host_read_file(vk_host *h, const char *path, size_t max, char **ret, size_t *ret_len);
/* The target text of the symlink PATH (its parent is resolved inside the root). */
int vk_host_readlink(vk_host *h, const char *path, char **ret);
/* Sorted names in directory PATH, without "." and "..". */
int vk_host_list_dir(vk_host *h, const char *path, vk_strv *ret);
/* 0 when PATH exists inside the root (following links inside it), else -errno. */
int vk_host_stat(vk_host *h, const char *path, bool *ret_is_dir);

/* Attributes of one sysfs directory, already opened: dirfd + its root-relative
 * path (for tracing and messages). Regular files only, never through a link. */
int vk_attr_read(vk_host *h, int dirfd, const char *dirpath, const char *name, char **ret);
int vk_attr_readlink(vk_host *h, int dirfd, const char *dirpath, const char *name, char **ret);

/* Create directory PATH and its parents inside the root (mode 0755). */
int vk_host_mkdir_p(vk_host *h, const char *path);
/* Replace PATH inside the root atomically (temp file, fsync, rename, fsync dir). */
int vk_host_write_file(vk_host *h, const char *path, const char *data, size_t len, unsigned mode);
int vk_host_unlink(vk_host *h, const char *path);
/* Remove the empty directory PATH (-ENOTEMPTY when it is not). */
int vk_host_rmdir(vk_host *h, const char *path);
/* Rename FROM to TO inside the root (one rename(2): TO is replaced, never missing in between). */
int vk_host_rename(vk_host *h, const char *from, const char *to);

/* Fault injection for the tests of file writers: vk_host_write_file calls the hook before each step and
 * fails that step with the -errno it returns (0: go on). The step after the temp file is complete and
 * before the rename is where a test may kill the process to simulate a crash. vk_host_unlink, vk_host_rmdir
 * and vk_host_rename call it once, before they change anything (path: what goes away, or the rename's TO).
 * NULL (the default) costs one pointer test per write. */
typedef enum vk_write_step {
        VK_WRITE_CREATE, /* before the temp file is created */
        VK_WRITE_DATA,   /* before the bytes are written to it */
        VK_WRITE_RENAME, /* the temp file is complete; before fsync + rename */
        VK_WRITE_UNLINK, /* vk_host_unlink: before the file is removed */
        VK_WRITE_RMDIR,  /* vk_host_rmdir: before the directory is removed */
        VK_WRITE_MOVE,   /* vk_host_rename: before the rename */
} vk_write_step;
typedef int (*vk_write_hook)(const char *path, vk_write_step step, void *userdata);
void vk_host_set_write_hook(vk_host *h, vk_write_hook hook, void *userdata);

/* Where journal.c keeps the writers' lock of this host (fd, nesting depth). */
int *vk_host_lock_fd(vk_host *h);
int *vk_host_lock_depth(vk_host *h);
