/* spawn.c — posix_spawnp and wait; commands are argv arrays, never interpolated strings. */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int vk_spawn(char *const argv[], vk_error *err) {
        pid_t pid;
        int r, status;

        r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        if (r != 0)
                return vk_error_set(err, -r, "running %s: %s", argv[0], strerror(r));
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return vk_error_set(err, -errno, "waiting for %s: %s", argv[0], strerror(errno));
        if (WIFSIGNALED(status))
                return vk_error_set(err, -EINTR, "%s was killed by signal %d", argv[0], WTERMSIG(status));
        r = WEXITSTATUS(status);
        if (r != 0)
                vk_error_set(err, r, "%s exited with status %d", argv[0], r);
        return r;
}
