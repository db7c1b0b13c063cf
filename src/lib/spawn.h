/* spawn.h — run a host command from an argv array (posix_spawn), never through a shell. */
#pragma once

#include "util.h"

/* Run argv[0] (searched in PATH) and wait. Returns its exit status (0-255),
 * -ENOENT when the program does not exist, or another -errno. */
int vk_spawn(char *const argv[], vk_error *err);
