/* fixture.c — helpers that write fake sysfs/procfs trees for unit tests. */
#define _GNU_SOURCE
#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path) {
        fprintf(stderr, "fixture: %s %s: %s\n", what, path, strerror(errno));
        abort();
}

static void mkparents(const char *full) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s", full);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        die("mkdir", buf);
                *p = '/';
        }
}

char *fx_new(void) {
        const char *tmp = getenv("TMPDIR");
        char *dir;
        if (asprintf(&dir, "%s/vfiokit-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 || !mkdtemp(dir))
                abort();
        return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                chmod(path, 0700), rmdir(path);
        else
                unlink(path);
        return 0;
}

void fx_remove(char *root) {
        if (!root)
                return;
        nftw(root, rm_one, 32, FTW_DEPTH | FTW_PHYS);
        free(root);
}

void fx_file(const char *root, const char *path, const char *content) {
        char full[4096];
        FILE *f;
        snprintf(full, sizeof(full), "%s/%s", root, path);
        mkparents(full);
        unlink(full);
        f = fopen(full, "w");
        if (!f)
                die("write", full);
        fputs(content, f);
        fclose(f);
}

void fx_link(const char *root, const char *path, const char *target) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", root, path);
        mkparents(full);
        unlink(full);
        if (symlink(target, full) < 0)
                die("symlink", full);
}

void fx_dir(const char *root, const char *path) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s/", root, path);
        mkparents(full);
}

void fx_unlink(const char *root, const char *path) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", root, path);
        unlink(full);
}

static const char *up(int n) {
        static char buf[256];
        buf[0] = 0;
        for (int i = 0; i < n; i++)
                strcat(buf, "../");
        return buf;
}

const char *fx_pci_add(const char *root, const fx_pci *d) {
        static char dir[1024];
        char p[1200], t[1200], v[64];
        int depth;

        if (*d->parents)
                snprintf(dir, sizeof(dir), "sys/devices/pci0000:00/%s/%s", d->parents, d->addr);
        else
                snprintf(dir, sizeof(dir), "sys/devices/pci0000:00/%s", d->addr);
        depth = 0;
        for (const char *c = dir; *c; c++)
                depth += *c == '/';
        /* depth = number of components - 1; links inside the dir climb depth components */
#define ATTR(name, fmt, val)                                      \
        do {                                                      \
                snprintf(p, sizeof(p), "%s/" name, dir);          \
                snprintf(v, sizeof(v), fmt "\n", val);            \
                fx_file(root, p, v);                              \
        } while (0)
        ATTR("vendor", "0x%04x", d->vendor);
        ATTR("device", "0x%04x", d->device);
        ATTR("subsystem_vendor", "0x%04x", d->vendor);
        ATTR("subsystem_device", "0x%04x", 0x1234u);
        ATTR("class", "0x%06x", d->class_code);
        ATTR("revision", "0x%02x", 0xa1u);
        ATTR("driver_override", "%s", "(null)");
        if (d->boot_vga >= 0)
                ATTR("boot_vga", "%d", d->boot_vga);
#undef ATTR
        snprintf(p, sizeof(p), "sys/bus/pci/devices/%s", d->addr);
        snprintf(t, sizeof(t), "../../../%s", dir + 4);
        fx_link(root, p, t);
        if (d->driver) {
                snprintf(p, sizeof(p), "%s/driver", dir);
                snprintf(t, sizeof(t), "%sbus/pci/drivers/%s", up(depth), d->driver);
                fx_link(root, p, t);
                snprintf(p, sizeof(p), "sys/bus/pci/drivers/%s/bind", d->driver);
                fx_file(root, p, "");
                /* the driver's directory links back to each device it drives */
                snprintf(p, sizeof(p), "sys/bus/pci/drivers/%s/%s", d->driver, d->addr);
                snprintf(t, sizeof(t), "../../../../%s", dir + 4);
                fx_link(root, p, t);
        }
        if (d->group >= 0) {
                snprintf(p, sizeof(p), "%s/iommu_group", dir);
                snprintf(t, sizeof(t), "%skernel/iommu_groups/%d", up(depth), d->group);
                fx_link(root, p, t);
                snprintf(p, sizeof(p), "sys/kernel/iommu_groups/%d/devices/%s", d->group, d->addr);
                snprintf(t, sizeof(t), "../../../../%s", dir + 4);
                fx_link(root, p, t);
        }
        return dir;
}

void fx_desktop(const char *root, const char *cpu_vendor, const char *cmdline) {
        char cpuinfo[512];
        const char *flag = strcmp(cpu_vendor, "AuthenticAMD") == 0 ? "svm" : "vmx";
        const fx_pci devs[] = {
                {"0000:00:00.0", "", 0x8086, 0x3e30, 0x060000, NULL, 0, -1},
                {"0000:00:01.0", "", 0x8086, 0x1901, 0x060400, "pcieport", 1, -1},
                {"0000:01:00.0", "0000:00:01.0", 0x10de, 0x2484, 0x030000, "nouveau", 1, 0},
                {"0000:01:00.1", "0000:00:01.0", 0x10de, 0x228b, 0x040300, "snd_hda_intel", 1, -1},
                {"0000:00:02.0", "", 0x8086, 0x3e98, 0x030000, "i915", 2, 1},
                {"0000:00:1d.0", "", 0x8086, 0xa330, 0x060400, "pcieport", 3, -1},
                {"0000:02:00.0", "0000:00:1d.0", 0x144d, 0xa808, 0x010802, "nvme", 3, -1},
                {"0000:00:1f.6", "", 0x8086, 0x15bc, 0x020000, "e1000e", 4, -1},
        };
        for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
                fx_pci_add(root, &devs[i]);
        fx_dir(root, "sys/devices/pci0000:00/0000:00:02.0/drm/card0");
        fx_dir(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm/card1");
        fx_dir(root, "sys/firmware/efi");
        fx_dir(root, "sys/class/iommu");
        fx_file(root, "dev/kvm", "");
        fx_file(root, "dev/vfio/vfio", "");
        snprintf(cpuinfo, sizeof(cpuinfo),
                 "processor\t: 0\nvendor_id\t: %s\nmodel name\t: Test CPU\nflags\t\t: fpu %s sse2\n\n"
                 "processor\t: 1\nvendor_id\t: %s\nmodel name\t: Test CPU\nflags\t\t: fpu %s sse2\n\n",
                 cpu_vendor, flag, cpu_vendor, flag);
        fx_file(root, "proc/cpuinfo", cpuinfo);
        fx_file(root, "proc/cmdline", cmdline);
        fx_file(root, "proc/sys/kernel/osrelease", "6.1.0-27-amd64\n");
        fx_file(root, "lib/modules/6.1.0-27-amd64/modules.dep",
                "kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n");
        fx_file(root, "proc/mounts", "sysfs /sys sysfs rw 0 0\n/dev/nvme0n1p2 / ext4 rw,relatime 0 0\n");
        fx_link(root, "sys/class/block/nvme0n1p2",
                "../../devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
        fx_dir(root, "sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
        fx_file(root, "proc/net/route",
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                "eno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                "eno1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
        fx_link(root, "sys/class/net/eno1", "../../devices/pci0000:00/0000:00:1f.6/net/eno1");
        fx_dir(root, "sys/devices/pci0000:00/0000:00:1f.6/net/eno1");
        fx_file(root, "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
}
