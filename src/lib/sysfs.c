/* sysfs.c — writing sysfs attributes on the real kernel, with a bounded wait for driver callbacks. */
#define _GNU_SOURCE
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int write_once(vk_host *h, const char *path, const char *value) {
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;
        int r;

        r = vk_host_open(h, path, O_WRONLY | O_NOFOLLOW, &fd);
        if (r < 0)
                return r;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

/* unbind/bind/probe/remove/numvfs run driver code that can sleep forever on a
 * wedged device; a child does the write so the parent can give up. */
static bool may_block(const char *path) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        return vk_streq(base, "unbind") || vk_streq(base, "bind") || vk_streq(base, "drivers_probe") ||
               vk_streq(base, "remove") || vk_streq(base, "rescan") || vk_streq(base, "sriov_numvfs") ||
               vk_streq(base, "reset");
}

static int write_bounded(vk_host *h, const char *path, const char *value) {
        int pipefd[2], r = 0, status;
        struct timespec start, now;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                int e = write_once(h, path, value);
                ssize_t unused = write(pipefd[1], &e, sizeof(e));
                (void)unused;
                _exit(0);
        }
        close(pipefd[1]);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
                long left;
                clock_gettime(CLOCK_MONOTONIC, &now);
                left = vk_host_write_timeout(h) - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
                if (left <= 0) {
                        /* a task stuck in the driver ignores SIGKILL until it returns; do not wait for it */
                        kill(pid, SIGKILL);
                        close(pipefd[0]);
                        return -ETIMEDOUT;
                }
                r = poll(&p, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        r = -errno;
                        break;
                }
                if (r == 0)
                        continue;
                if (read(pipefd[0], &r, sizeof(r)) != sizeof(r))
                        r = -EIO;
                break;
        }
        close(pipefd[0]);
        waitpid(pid, &status, 0);
        return r;
}

static int kernel_write(vk_host *h, const char *path, const char *value, void *userdata) {
        (void)userdata;
        return may_block(path) ? write_bounded(h, path, value) : write_once(h, path, value);
}

const vk_sysfs_ops vk_sysfs_kernel_ops = {.write = kernel_write};
