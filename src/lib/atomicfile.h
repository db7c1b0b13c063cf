/* atomicfile.h — write a file so that readers see the old or the new content, never a part. */
#pragma once

#include <sys/types.h>

typedef struct vk_atomic {
        int dirfd;
        int fd;
        char *name;    /* final name in dirfd */
        char *tmpname; /* ".NAME.vfiokit-XXXXXX" in the same directory */
} vk_atomic;

/* Create the temporary file next to PATH (a real path, not inside a --root). */
int vk_atomic_begin(const char *path, mode_t mode, vk_atomic *ret);
/* Same, for a path relative to an already opened directory fd (borrowed). */
int vk_atomic_begin_at(int dirfd, const char *name, mode_t mode, vk_atomic *ret);
/* fsync the data, rename over the target, fsync the directory. */
int vk_atomic_commit(vk_atomic *a);
/* Remove the temporary file; the target is untouched. */
void vk_atomic_abort(vk_atomic *a);
