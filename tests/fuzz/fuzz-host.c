/* fuzz-host.c — libFuzzer target: load the whole host model, run the status checks and list the GPUs on a
 * fixture host whose /proc, /etc, modules and GPU attribute files come from the input.
 *
 * Input format: slices separated by 0xff, written in order into the files of `slots` below. A missing slice
 * (fewer separators) leaves that file as the fixture has it; a slice of the single byte 0xfe removes the file.
 * An odd input length loads through the fallback resolver instead of openat2. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GPU_DIR "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"
#define SEPARATOR 0xff
#define REMOVE 0xfe

#define CHECK(x)                                                               \
        do {                                                                   \
                if (!(x)) {                                                    \
                        fprintf(stderr, "fuzz-host: check failed: %s\n", #x); \
                        __builtin_trap();                                      \
                }                                                              \
        } while (0)

static const char *const slots[] = {
        "proc/cpuinfo",
        "proc/cmdline",
        "proc/mounts",
        "proc/net/route",
        "proc/net/ipv6_route",
        "etc/os-release",
        "lib/modules/6.1.0-27-amd64/modules.dep",
        GPU_DIR "/vendor",
        GPU_DIR "/class",
        GPU_DIR "/boot_vga",
        GPU_DIR "/reset_method",
        GPU_DIR "/sriov_numvfs",
        GPU_DIR "/sriov_totalvfs",
        "proc/sys/kernel/osrelease",
        "proc/meminfo",
        "lib/modules/6.1.0-27-amd64/modules.builtin",
        "usr/share/misc/pci.ids",
};
#define N_SLOTS (sizeof(slots) / sizeof(slots[0]))

static char *root;
static int root_fd = -1;
/* The fixture's own content of each slot (NULL: the file is absent), restored when a slice is missing. */
static struct {
        char *data;
        size_t len;
} defaults[N_SLOTS];
static int free_fd_baseline;

/* A small pci.ids of the fixture's devices: the system's 1 MB one would be parsed on every input. */
static const char pci_ids[] = "8086  Intel Corporation\n"
                              "\t1901  6th-10th Gen Core Processor PCIe Controller (x16)\n"
                              "\t3e98  CoffeeLake-S GT2 [UHD Graphics 630]\n"
                              "10de  NVIDIA Corporation\n"
                              "\t2484  GA104 [GeForce RTX 3070]\n"
                              "\t\t10de 1234  Test board\n"
                              "\t228b  GA104 High Definition Audio Controller\n"
                              "144d  Samsung Electronics Co Ltd\n"
                              "\ta808  NVMe SSD Controller SM981/PM981/PM983\n"
                              "C 03  Display controller\n"
                              "\t00  VGA compatible controller\n"
                              "\t02  3D controller\n"
                              "C 06  Bridge\n"
                              "\t04  PCI bridge\n";

static int lowest_free_fd(void) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        close(fd);
        return fd;
}

static void cleanup(void) {
        if (root_fd >= 0)
                close(root_fd);
        for (size_t i = 0; i < N_SLOTS; i++)
                free(defaults[i].data);
        fx_remove(root);
        root = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        /* thousands of small writes a second: keep them in memory when nobody chose a TMPDIR */
        if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
                setenv("TMPDIR", "/dev/shm", 1);
        root = fx_new();
        fx_desktop(root, "GenuineIntel", "quiet\n");
        fx_file(root, "usr/share/misc/pci.ids", pci_ids);
        fx_file(root, "proc/meminfo", "MemTotal:       32779412 kB\nHugePages_Total:       0\n");
        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(root_fd >= 0);
        for (size_t i = 0; i < N_SLOTS; i++) {
                int fd = openat(root_fd, slots[i], O_RDONLY | O_CLOEXEC);
                char buf[8192];
                ssize_t n;

                if (fd < 0)
                        continue;
                n = read(fd, buf, sizeof(buf));
                close(fd);
                CHECK(n >= 0);
                defaults[i].data = malloc((size_t)n + 1);
                CHECK(defaults[i].data);
                memcpy(defaults[i].data, buf, (size_t)n);
                defaults[i].len = (size_t)n;
        }
        atexit(cleanup);
        free_fd_baseline = lowest_free_fd();
        return 0;
}

static void put(size_t slot, const uint8_t *data, size_t len) {
        int fd;

        if (!data || (len == 1 && data[0] == REMOVE)) {
                CHECK(unlinkat(root_fd, slots[slot], 0) == 0 || errno == ENOENT);
                return;
        }
        fd = openat(root_fd, slots[slot], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                CHECK(n > 0);
                data += n;
                len -= (size_t)n;
        }
        close(fd);
}

static void check_model(const vk_model *m, const vk_check *checks, size_t n_checks, const vk_gpu *gpus,
                        size_t n_gpus) {
        CHECK(m->n_funcs == 8); /* the inputs never touch the bus listing */
        for (size_t i = 0; i < m->n_problems; i++)
                CHECK(m->problems[i].path && m->problems[i].message);
        for (size_t i = 0; i < n_checks; i++)
                CHECK(checks[i].id && checks[i].message && checks[i].result <= VK_FAIL);
        for (size_t i = 0; i < n_gpus; i++) {
                CHECK(vk_func_is_gpu(gpus[i].func));
                CHECK(vk_model_find(m, gpus[i].func->addr) == gpus[i].func);
        }
        for (size_t i = 0; i < m->n_groups; i++)
                for (size_t j = 0; j < m->groups[i].n_members; j++)
                        CHECK(m->groups[i].members[j] < m->n_funcs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *p = data, *const end = data + size;
        vk_host *h = NULL;
        vk_model *m = NULL;
        vk_check *checks = NULL;
        vk_gpu *gpus = NULL;
        size_t n_checks = 0, n_gpus = 0, slot = 0;
        int r;

        while (slot < N_SLOTS && size > 0) {
                const uint8_t *sep = memchr(p, SEPARATOR, (size_t)(end - p));

                put(slot++, p, (size_t)((sep ? sep : end) - p));
                if (!sep)
                        break;
                p = sep + 1;
        }
        for (; slot < N_SLOTS; slot++)
                put(slot, (const uint8_t *)defaults[slot].data, defaults[slot].len);

        CHECK(vk_host_new(root, &h) == 0);
        if (size % 2)
                vk_host_set_resolver(h, VK_RESOLVE_FALLBACK);
        /* garbage files become problems: the load fails only without a PCI bus or memory */
        r = vk_model_load(h, &m);
        CHECK(r == 0);
        CHECK(vk_status_run(m, &checks, &n_checks) == 0);
        CHECK(vk_gpus_list(m, &gpus, &n_gpus) == 0);
        check_model(m, checks, n_checks, gpus, n_gpus);
        vk_gpus_free(gpus, n_gpus);
        vk_checks_free(checks, n_checks);
        vk_model_free(m);
        vk_host_free(h);
        CHECK(lowest_free_fd() == free_fd_baseline); /* no file descriptor left open */
        return 0;
}
