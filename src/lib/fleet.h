/* fleet.h — unpack `vfiokit capture` tarballs from other hosts into private directories, safely. */
#pragma once

#include <stdint.h>

#include "util.h"

/* What a capture may hold: far above a 16384-function server's, far below a disk-filling bomb. */
#define VK_CAPTURE_MAX_FILE (64ull << 20)
#define VK_CAPTURE_MAX_TOTAL (1ull << 30)
#define VK_CAPTURE_MAX_ENTRIES 2000000u

/* Unpack the tar (optionally compressed) read from fd into a new 0700 directory under parent ($TMPDIR or
 * /tmp when NULL); name is how messages call the capture. Only regular files, directories and symlinks
 * whose targets stay inside the capture; no absolute or ".." paths, nothing written through a symlink,
 * no duplicates, every limit above. On failure nothing is left behind and err names the entry. */
int vk_capture_unpack_fd(int fd, const char *name, const char *parent, char **ret_dir, vk_error *err);
int vk_capture_unpack(const char *path, const char *parent, char **ret_dir, vk_error *err);
/* Remove a directory tree that vk_capture_unpack made (never following its symlinks). */
int vk_capture_remove(const char *dir);
