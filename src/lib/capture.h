/* capture.h — snapshot what vfiokit reads from a host into a tar that works as --root. */
#pragma once

#include "host.h"

/* Load the model and read the configuration files later commands use, with
 * tracing on, then write every traced file, link and directory as a tar to
 * fd. ret_n_entries (optional) gets the number of archive members. */
int vk_capture_write(vk_host *h, int fd, size_t *ret_n_entries);
