/* simkernel.c — the kernel's side of driver_override, unbind, drivers_probe and sriov_numvfs, on plain files. */
#define _GNU_SOURCE
#include "simkernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

static char *dev_dir(const simkernel *k, const char *addr) {
        /* the real directory behind sys/bus/pci/devices/ADDR, relative to the root */
        char link[PATH_MAX], full[PATH_MAX * 2];
        char *rp;
        snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/%s", k->root, addr);
        rp = realpath(link, NULL);
        if (!rp)
                return NULL;
        snprintf(full, sizeof(full), "%s", rp + strlen(k->root) + 1);
        free(rp);
        return strdup(full);
}

static char *read_text(const char *root, const char *path) {
        char full[PATH_MAX], buf[4096];
        ssize_t n;
        int fd;
        snprintf(full, sizeof(full), "%s/%s", root, path);
        fd = open(full, O_RDONLY);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return NULL;
        buf[n] = 0;
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = 0;
        return strdup(buf);
}

static char *current_driver(const simkernel *k, const char *addr) {
        char p[PATH_MAX], t[PATH_MAX];
        ssize_t n;
        snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/driver", k->root, addr);
        n = readlink(p, t, sizeof(t) - 1);
        if (n < 0)
                return NULL;
        t[n] = 0;
        return strdup(strrchr(t, '/') + 1);
}

static int depth_of(const char *dir) {
        int d = 0;
        for (const char *c = dir; *c; c++)
                d += *c == '/';
        return d;
}

static void update_vfio_dev(simkernel *k, const char *addr);

static void set_driver(simkernel *k, const char *addr, const char *drv) {
        char *dir = dev_dir(k, addr), p[PATH_MAX], t[PATH_MAX], up[256] = "";
        char *cur = current_driver(k, addr);
        for (int i = 0; i < depth_of(dir); i++)
                strcat(up, "../");
        if (cur) {
                snprintf(p, sizeof(p), "%s/driver", dir);
                fx_unlink(k->root, p);
                snprintf(p, sizeof(p), "sys/bus/pci/drivers/%s/%s", cur, addr);
                fx_unlink(k->root, p);
        }
        if (drv) {
                snprintf(p, sizeof(p), "%s/driver", dir);
                snprintf(t, sizeof(t), "%sbus/pci/drivers/%s", up, drv);
                fx_link(k->root, p, t);
                snprintf(p, sizeof(p), "sys/bus/pci/drivers/%s/%s", drv, addr);
                snprintf(t, sizeof(t), "../../../../%s", dir + 4);
                fx_link(k->root, p, t);
        }
        free(cur);
        free(dir);
        update_vfio_dev(k, addr);
}

/* /dev/vfio/N exists while every non-bridge member of group N is on vfio-pci. */
static void update_vfio_dev(simkernel *k, const char *addr) {
        char p[PATH_MAX], t[PATH_MAX], dev[64];
        ssize_t n;
        DIR *d;
        struct dirent *de;
        bool all = true;
        const char *g;

        snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/%s/iommu_group", k->root, addr);
        n = readlink(p, t, sizeof(t) - 1);
        if (n < 0)
                return;
        t[n] = 0;
        g = strrchr(t, '/') + 1;
        snprintf(p, sizeof(p), "%s/sys/kernel/iommu_groups/%s/devices", k->root, g);
        d = opendir(p);
        while (d && (de = readdir(d))) {
                char *drv, *cls, cp[PATH_MAX];
                if (de->d_name[0] == '.')
                        continue;
                drv = current_driver(k, de->d_name);
                snprintf(cp, sizeof(cp), "sys/bus/pci/devices/%s/class", de->d_name);
                cls = read_text(k->root, cp);
                if (!(cls && strncmp(cls, "0x0604", 6) == 0) && !(drv && strcmp(drv, "vfio-pci") == 0))
                        all = false;
                free(drv);
                free(cls);
        }
        if (d)
                closedir(d);
        snprintf(dev, sizeof(dev), "dev/vfio/%s", g);
        if (all)
                fx_file(k->root, dev, "");
        else
                fx_unlink(k->root, dev);
}

static const char *natural_driver(const simkernel *k, const char *addr) {
        for (int i = 0; i < k->n_natural; i++)
                if (strcmp(k->natural[i][0], addr) == 0)
                        return k->natural[i][1][0] ? k->natural[i][1] : NULL;
        return NULL;
}

void simkernel_init(simkernel *k, const char *root) {
        char p[PATH_MAX];
        DIR *d;
        struct dirent *de;

        *k = (simkernel){.root = root};
        snprintf(p, sizeof(p), "%s/sys/bus/pci/devices", root);
        d = opendir(p);
        while (d && (de = readdir(d)) && k->n_natural < 64) {
                char *drv;
                if (de->d_name[0] == '.')
                        continue;
                drv = current_driver(k, de->d_name);
                snprintf(k->natural[k->n_natural][0], 32, "%s", de->d_name);
                snprintf(k->natural[k->n_natural][1], 32, "%s", drv && strcmp(drv, "vfio-pci") ? drv : "");
                k->n_natural++;
                free(drv);
        }
        if (d)
                closedir(d);
}

static int probe(simkernel *k, const char *addr) {
        char p[PATH_MAX], *ovr, *cls, *numvfs, *cur = current_driver(k, addr);
        const char *drv;
        int r = 0;

        if (cur) {
                free(cur);
                return 0; /* already bound: nothing to probe */
        }
        snprintf(p, sizeof(p), "sys/bus/pci/devices/%s/driver_override", addr);
        ovr = read_text(k->root, p);
        drv = ovr && strcmp(ovr, "(null)") && *ovr ? ovr : natural_driver(k, addr);
        snprintf(p, sizeof(p), "sys/bus/pci/devices/%s/class", addr);
        cls = read_text(k->root, p);
        snprintf(p, sizeof(p), "sys/bus/pci/devices/%s/sriov_numvfs", addr);
        numvfs = read_text(k->root, p);
        snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/%s", k->root, drv ? drv : "none");
        if (!drv || access(p, F_OK) < 0)
                drv = NULL; /* no such driver loaded: stays unbound, and drivers_probe still says 0 */
        else if (strcmp(drv, "vfio-pci") == 0 &&
                 ((cls && strncmp(cls, "0x0604", 6) == 0) || (numvfs && strcmp(numvfs, "0") != 0)))
                drv = NULL; /* vfio-pci's probe fails with -22: bridges, PFs with VFs */
        if (drv && strcmp(drv, "vfio-pci") == 0 && k->probe_binds_nothing)
                drv = NULL;
        if (drv)
                set_driver(k, addr, drv);
        free(ovr);
        free(cls);
        free(numvfs);
        return r;
}

static int sriov(simkernel *k, const char *pfdir, const char *value) {
        char p[PATH_MAX], *total, *cur, *autoprobe;
        int want = atoi(value), have, max, r = 0;
        char pfaddr[16];

        snprintf(pfaddr, sizeof(pfaddr), "%s", strrchr(pfdir, '/') + 1);
        snprintf(p, sizeof(p), "%s/sriov_totalvfs", pfdir);
        total = read_text(k->root, p);
        snprintf(p, sizeof(p), "%s/sriov_numvfs", pfdir);
        cur = read_text(k->root, p);
        snprintf(p, sizeof(p), "%s/sriov_drivers_autoprobe", pfdir);
        autoprobe = read_text(k->root, p);
        have = cur ? atoi(cur) : 0;
        max = total ? atoi(total) : 0;
        if (want > max)
                r = -ERANGE;
        else if (have && want && want != have)
                r = -EBUSY;
        else if (want != have) {
                /* VFs: functions after the PF's in the same slot, each in a new group 100+i */
                for (int i = 0; i < (want ? want : have); i++) {
                        char vf[16], vdir[PATH_MAX], t[PATH_MAX], parent[PATH_MAX];
                        snprintf(vf, sizeof(vf), "%.11s%d", pfaddr, pfaddr[11] - '0' + 1 + i);
                        snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(pfdir, '/') - pfdir), pfdir);
                        snprintf(vdir, sizeof(vdir), "%s/%s", parent, vf);
                        snprintf(p, sizeof(p), "%s/virtfn%d", pfdir, i);
                        if (want) {
                                char vendor[PATH_MAX], *v;
                                fx_pci *unused = NULL;
                                (void)unused;
                                fx_dir(k->root, vdir);
                                snprintf(vendor, sizeof(vendor), "%s/vendor", pfdir);
                                v = read_text(k->root, vendor);
                                snprintf(t, sizeof(t), "%s/vendor", vdir);
                                fx_file(k->root, t, v ? v : "0x8086");
                                free(v);
                                snprintf(vendor, sizeof(vendor), "%s/device", pfdir);
                                v = read_text(k->root, vendor);
                                snprintf(t, sizeof(t), "%s/device", vdir);
                                fx_file(k->root, t, v ? v : "0x0000");
                                free(v);
                                snprintf(t, sizeof(t), "%s/class", vdir);
                                fx_file(k->root, t, "0x030000\n");
                                snprintf(t, sizeof(t), "%s/driver_override", vdir);
                                fx_file(k->root, t, "(null)\n");
                                snprintf(t, sizeof(t), "%s/physfn", vdir);
                                snprintf(vendor, sizeof(vendor), "../%s", pfaddr);
                                fx_link(k->root, t, vendor);
                                snprintf(vendor, sizeof(vendor), "../%s", vf);
                                fx_link(k->root, p, vendor);
                                snprintf(t, sizeof(t), "sys/bus/pci/devices/%s", vf);
                                snprintf(vendor, sizeof(vendor), "../../../%s", vdir + 4);
                                fx_link(k->root, t, vendor);
                                snprintf(t, sizeof(t), "%s/iommu_group", vdir);
                                snprintf(vendor, sizeof(vendor), "../../../kernel/iommu_groups/%d", 100 + i);
                                fx_link(k->root, t, vendor);
                                snprintf(t, sizeof(t), "sys/kernel/iommu_groups/%d/devices/%s", 100 + i, vf);
                                snprintf(vendor, sizeof(vendor), "../../../../%s", vdir + 4);
                                fx_link(k->root, t, vendor);
                                if (k->n_natural < 64) {
                                        snprintf(k->natural[k->n_natural][0], 32, "%s", vf);
                                        snprintf(k->natural[k->n_natural][1], 32, "%s", natural_driver(k, pfaddr) ? natural_driver(k, pfaddr) : "");
                                        k->n_natural++;
                                }
                                if (!autoprobe || strcmp(autoprobe, "0") != 0)
                                        probe(k, vf);
                        } else {
                                char *drv = current_driver(k, vf), gl[PATH_MAX];
                                if (drv) {
                                        snprintf(t, sizeof(t), "sys/bus/pci/drivers/%s/%s", drv, vf);
                                        fx_unlink(k->root, t);
                                }
                                free(drv);
                                fx_unlink(k->root, p);
                                snprintf(t, sizeof(t), "sys/bus/pci/devices/%s", vf);
                                fx_unlink(k->root, t);
                                snprintf(gl, sizeof(gl), "%s/sys/kernel/iommu_groups/%d", k->root, 100 + i);
                                fx_remove(strdup(gl));
                                snprintf(gl, sizeof(gl), "%s/%s", k->root, vdir);
                                fx_remove(strdup(gl));
                                snprintf(gl, sizeof(gl), "dev/vfio/%d", 100 + i);
                                fx_unlink(k->root, gl);
                        }
                }
                snprintf(p, sizeof(p), "%s/sriov_numvfs", pfdir);
                {
                        char num[16];
                        snprintf(num, sizeof(num), "%d\n", want);
                        fx_file(k->root, p, num);
                }
        }
        free(total);
        free(cur);
        free(autoprobe);
        return r;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int sim_write(vk_host *h, const char *path, const char *value, void *userdata) {
        simkernel *k = userdata;
        char buf[256], *dir;
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        (void)h;

        k->writes++;
        if (k->vanish_at_first && k->writes == 1) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "sys/bus/pci/devices/%s", k->vanish_at_first);
                fx_unlink(k->root, p);
        }
        if ((k->fail_at && k->writes == k->fail_at) || (k->fail_path_suffix && ends_with(path, k->fail_path_suffix)))
                return -k->fail_errno;
        snprintf(buf, sizeof(buf), "%s", value);
        while (*buf && buf[strlen(buf) - 1] == '\n')
                buf[strlen(buf) - 1] = 0;

        if (strcmp(base, "driver_override") == 0) {
                char addr[16], real[PATH_MAX];
                snprintf(addr, sizeof(addr), "%.12s", path + strlen("sys/bus/pci/devices/"));
                dir = dev_dir(k, addr);
                if (!dir)
                        return -ENOENT;
                snprintf(real, sizeof(real), "%s/driver_override", dir);
                free(dir);
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "\n");
                fx_file(k->root, real, strcmp(buf, "\n") == 0 ? "(null)\n" : buf);
                return 0;
        }
        if (strcmp(base, "unbind") == 0) {
                char drv[64], *cur;
                snprintf(drv, sizeof(drv), "%.*s", (int)(base - 1 - (path + strlen("sys/bus/pci/drivers/"))),
                         path + strlen("sys/bus/pci/drivers/"));
                if (!(dir = dev_dir(k, buf)))
                        return -ENODEV;
                free(dir);
                cur = current_driver(k, buf);
                if (!cur || strcmp(cur, drv) != 0) {
                        free(cur);
                        return -ENODEV;
                }
                free(cur);
                set_driver(k, buf, NULL);
                return 0;
        }
        if (strcmp(path, "sys/bus/pci/drivers_probe") == 0) {
                if (!(dir = dev_dir(k, buf)))
                        return -ENODEV;
                free(dir);
                return probe(k, buf);
        }
        if (strcmp(base, "sriov_numvfs") == 0 || strcmp(base, "sriov_drivers_autoprobe") == 0) {
                char addr[16];
                int r;
                snprintf(addr, sizeof(addr), "%.12s", path + strlen("sys/bus/pci/devices/"));
                if (!(dir = dev_dir(k, addr)))
                        return -ENOENT;
                if (strcmp(base, "sriov_numvfs") == 0)
                        r = sriov(k, dir, buf);
                else {
                        char p[PATH_MAX];
                        snprintf(p, sizeof(p), "%s/sriov_drivers_autoprobe", dir);
                        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "\n");
                        fx_file(k->root, p, buf);
                        r = 0;
                }
                free(dir);
                return r;
        }
        return -EINVAL; /* a write the simulation does not know: the test should not make it */
}

const vk_sysfs_ops simkernel_ops = {.write = sim_write};

/* tree snapshot */
static char *snap_buf;
static size_t snap_len, snap_cap;
static size_t snap_root_len;
typedef struct line {
        char *s;
} line;
static line *snap_lines;
static size_t snap_n, snap_lcap;

static int snap_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        char *l = NULL, t[PATH_MAX];
        const char *rel = path + snap_root_len;
        (void)ftw;
        if (strcmp(rel, "/run/vfiokit/lock") == 0 || strcmp(rel, "/run/vfiokit") == 0 || strcmp(rel, "/run") == 0)
                return 0; /* the lock and its directory stay by design; the journal does not */
        if (flag == FTW_SL) {
                ssize_t n = readlink(path, t, sizeof(t) - 1);
                t[n > 0 ? n : 0] = 0;
                if (asprintf(&l, "L %s -> %s", rel, t) < 0)
                        return -1;
        } else if (flag == FTW_F) {
                char *c = NULL;
                FILE *f = fopen(path, "r");
                size_t sz = 0;
                if (f) {
                        c = calloc(1, (size_t)st->st_size + 1);
                        sz = c ? fread(c, 1, (size_t)st->st_size, f) : 0;
                        fclose(f);
                }
                if (asprintf(&l, "F %s %o [%.*s]", rel, st->st_mode & 07777, (int)sz, c ? c : "") < 0)
                        l = NULL;
                free(c);
        } else if (asprintf(&l, "D %s", rel) < 0)
                return -1;
        if (snap_n == snap_lcap) {
                snap_lcap = snap_lcap ? snap_lcap * 2 : 1024;
                snap_lines = realloc(snap_lines, snap_lcap * sizeof(line));
        }
        snap_lines[snap_n++].s = l;
        return 0;
}

static int cmp_line(const void *a, const void *b) { return strcmp(((const line *)a)->s, ((const line *)b)->s); }

char *tree_snapshot(const char *root) {
        snap_n = 0;
        snap_root_len = strlen(root);
        nftw(root, snap_one, 32, FTW_PHYS);
        qsort(snap_lines, snap_n, sizeof(line), cmp_line);
        snap_len = 0;
        snap_cap = 0;
        snap_buf = NULL;
        for (size_t i = 0; i < snap_n; i++) {
                size_t l = strlen(snap_lines[i].s);
                if (snap_len + l + 2 > snap_cap) {
                        snap_cap = (snap_len + l + 2) * 2;
                        snap_buf = realloc(snap_buf, snap_cap);
                }
                memcpy(snap_buf + snap_len, snap_lines[i].s, l);
                snap_len += l;
                snap_buf[snap_len++] = '\n';
                snap_buf[snap_len] = 0;
                free(snap_lines[i].s);
        }
        free(snap_lines);
        snap_lines = NULL;
        snap_lcap = 0;
        return snap_buf ? snap_buf : strdup("");
}
