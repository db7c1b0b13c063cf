/* sysfs.c — writing sysfs attributes on the real kernel, with a bounded wait for driver callbacks. */
#define _GNU_SOURCE
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
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

/* The child shares our memory (CLONE_VM): no page tables to copy, which makes
 * it much cheaper than fork(), and it only calls write() and _exit(). */
/* The child shares our memory (CLONE_VM): no page tables to copy, which makes
 * it much cheaper than fork(). Everything it touches lives in one block that is
 * freed only after it returned; a child stuck in a driver keeps its block. */
typedef struct bounded_write {
        int dirfd;
        int done_fd;  /* the child writes one byte here when the write returned */
        int result;
        size_t len;
        char *name;   /* points into data[] */
        char *value;  /* points into data[] */
        char data[];  /* name, value, then the child's stack */
} bounded_write;

#define CHILD_STACK (64 * 1024)

/* Blocks of children stuck in a driver stay referenced here: still in use, not leaked. */
static bounded_write *abandoned[16];

static int bounded_child(void *arg) {
        bounded_write *w = arg;
        /* syscalls only: the parent's malloc is not ours to touch */
        int fd = openat(w->dirfd, w->name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : write(fd, w->value, w->len);
        char one = 1;

        w->result = fd < 0 || n < 0 ? -errno : (size_t)n == w->len ? 0 : -EIO;
        if (write(w->done_fd, &one, 1) < 0) {
        }
        /* returning ends the child (glibc's clone calls the exit syscall); no
         * _exit(), whose no-return hook upsets ASan on a stack of our own */
        return 0;
}

static int write_bounded(vk_host *h, const char *path, const char *value) {
        const char *slash = strrchr(path, '/');
        size_t nlen, vlen = strlen(value), stack_off;
        bounded_write *w;
        int pipefd[2], r, status;
        struct timespec start, now;
        pid_t pid;

        if (!slash)
                return -EINVAL;
        nlen = strlen(slash + 1);
        /* the stack goes last, 16-byte aligned */
        stack_off = (offsetof(bounded_write, data) + nlen + 1 + vlen + 1 + 15) & ~(size_t)15;
        w = calloc(1, stack_off + CHILD_STACK);
        if (!w)
                return -ENOMEM;
        w->name = w->data;
        memcpy(w->name, slash + 1, nlen + 1);
        w->value = w->name + nlen + 1;
        memcpy(w->value, value, vlen + 1);
        w->len = vlen;
        {
                /* resolve the directory here; the child only opens the attribute and
                 * writes (opening a sysfs attribute does not block) */
                _cleanup_free_ char *dir = strndup(path, (size_t)(slash - path));
                if (!dir) {
                        free(w);
                        return -ENOMEM;
                }
                r = vk_host_open(h, dir, O_PATH | O_DIRECTORY, &w->dirfd);
                if (r < 0) {
                        free(w);
                        return r;
                }
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                close(w->dirfd);
                free(w);
                return r;
        }
        w->done_fd = pipefd[1];
        pid = clone(bounded_child, (char *)w + stack_off + CHILD_STACK, CLONE_VM | SIGCHLD, w);
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                close(w->dirfd);
                free(w);
                return r;
        }
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
                long left;
                clock_gettime(CLOCK_MONOTONIC, &now);
                left = vk_host_write_timeout(h) -
                       ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
                if (left <= 0) {
                        /* a task stuck in the driver ignores SIGKILL until it returns;
                         * leave it its block, directory fd and pipe end, and report */
                        kill(pid, SIGKILL);
                        close(pipefd[0]);
                        for (size_t i = 0; i < ELEMENTSOF(abandoned); i++)
                                if (!abandoned[i]) {
                                        abandoned[i] = w;
                                        break;
                                }
                        return -ETIMEDOUT;
                }
                r = poll(&p, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        r = -errno;
                        break;
                }
                if (r > 0)
                        break;
        }
        waitpid(pid, &status, 0);
        if (r >= 0)
                r = w->result;
        close(pipefd[0]);
        close(pipefd[1]);
        close(w->dirfd);
        free(w);
        return r;
}

static int kernel_write(vk_host *h, const char *path, const char *value, void *userdata) {
        (void)userdata;
        return may_block(path) ? write_bounded(h, path, value) : write_once(h, path, value);
}

const vk_sysfs_ops vk_sysfs_kernel_ops = {.write = kernel_write};
