/* sriov.c — sriov_numvfs the way the kernel wants it: within sriov_totalvfs, through 0, then wait for the VFs. */
#define _GNU_SOURCE
#include "sriov.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysfs.h"

static int read_int_attr(vk_host *h, const char *addr, const char *name, int *ret) {
        _cleanup_free_ char *p = vk_printf("sys/bus/pci/devices/%s/%s", addr, name), *v = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        r = vk_host_read_file(h, p, 64, &v, NULL);
        if (r < 0)
                return r;
        return vk_parse_uint(vk_strip(v), ret);
}

static int vf_addr(vk_host *h, const char *pf, int i, char **ret) {
        _cleanup_free_ char *p = vk_printf("sys/bus/pci/devices/%s/virtfn%d", pf, i), *t = NULL;
        const char *b;
        int r;

        if (!p)
                return -ENOMEM;
        r = vk_host_readlink(h, p, &t);
        if (r < 0)
                return r;
        b = strrchr(t, '/');
        *ret = strdup(b ? b + 1 : t);
        return *ret ? 0 : -ENOMEM;
}

static int write_attr(vk_host *h, const char *pf, const char *name, const char *value, vk_error *err) {
        _cleanup_free_ char *p = vk_printf("sys/bus/pci/devices/%s/%s", pf, name);
        int r;

        if (!p)
                return vk_error_set(err, -ENOMEM, "out of memory");
        r = vk_sysfs_write(h, p, value);
        if (r == -EBUSY && vk_streq(name, "sriov_numvfs"))
                return vk_error_set(err, r, "writing %s to /%s: busy (the kernel changes a VF count only from 0; "
                                    "VFs may be in use)", value, p);
        if (r == -ERANGE || r == -EINVAL)
                return vk_error_set(err, r, "writing %s to /%s: %s (above sriov_totalvfs?)", value, p, strerror(-r));
        if (r < 0)
                return vk_error_set(err, r, "writing %s to /%s: %s", value, p, strerror(-r));
        return 0;
}

int vk_sriov_set(vk_host *h, const vk_func *pf, const vk_sriov_opts *o, vk_strv *ret_vfs, vk_error *err) {
        _cleanup_(vk_lock_releasep) vk_host *locked = NULL;
        vk_strv vfs = {0};
        int total, cur, r;
        char num[16];

        if (read_int_attr(h, pf->addr, "sriov_totalvfs", &total) < 0)
                return vk_error_set(err, -EOPNOTSUPP, "%s is not SR-IOV capable (no sriov_totalvfs)%s", pf->addr,
                                    pf->vendor == 0x8086 && (pf->class_code >> 8) == VK_CLASS_VGA
                                            ? "; Intel iGPUs need the i915 SR-IOV driver (i915-sriov-dkms) and "
                                              "i915.max_vfs"
                                            : "");
        if (o->numvfs < 0 || o->numvfs > total)
                return vk_error_set(err, -ERANGE, "%s supports at most %d VFs (sriov_totalvfs); asked for %d", pf->addr,
                                    total, o->numvfs);
        /* the VF check and the change happen under one lock */
        if (!o->dry_run) {
                r = vk_lock_take(h, o->lock_timeout_ms, err);
                if (r < 0)
                        return r;
                locked = h;
        }
        r = read_int_attr(h, pf->addr, "sriov_numvfs", &cur);
        if (r < 0)
                return vk_error_set(err, r, "/sys/bus/pci/devices/%s/sriov_numvfs: %s", pf->addr, strerror(-r));

        if (cur > 0 && o->numvfs != cur && !o->force) {
                /* removing VFs that a VM may use pulls the device out from under it */
                for (int i = 0; i < cur; i++) {
                        _cleanup_free_ char *vf = NULL, *drv = NULL;
                        if (vf_addr(h, pf->addr, i, &vf) < 0 || vk_read_driver(h, vf, &drv) < 0)
                                continue;
                        if (vk_streq(drv, "vfio-pci"))
                                return vk_error_refuse(err,
                                                       "%s (VF %d of %s) is on vfio-pci and may be in a VM: changing "
                                                       "the VF count removes it; vfiokit unbind %s first, or --force",
                                                       vf, i, pf->addr, vf);
                }
        }
        if (o->dry_run) {
                for (int i = 0; i < o->numvfs; i++) {
                        char *vf = NULL;
                        if (i < cur && vf_addr(h, pf->addr, i, &vf) >= 0)
                                vk_strv_push_take(&vfs, vf);
                        else
                                vk_strv_push_take(&vfs, vk_printf("virtfn%d", i));
                }
                *ret_vfs = vfs;
                return 0;
        }
        if (o->numvfs > 0 && o->numvfs != cur) {
                r = write_attr(h, pf->addr, "sriov_drivers_autoprobe", o->for_vms ? "0" : "1", err);
                if (r < 0)
                        return r;
        }
        if (cur != o->numvfs) {
                /* the kernel refuses non-zero to non-zero with EBUSY: go through 0 */
                if (cur != 0 && (r = write_attr(h, pf->addr, "sriov_numvfs", "0", err)) < 0)
                        return r;
                snprintf(num, sizeof(num), "%d", o->numvfs);
                if (o->numvfs != 0 && (r = write_attr(h, pf->addr, "sriov_numvfs", num, err)) < 0)
                        return r;
        }
        /* the virtfn links appear when the VFs are added; wait for them */
        for (int i = 0; i < o->numvfs; i++) {
                struct timespec pause = {0, 50 * 1000 * 1000};
                int waited = 0, limit = o->wait_ms > 0 ? o->wait_ms : 5000;
                char *vf = NULL;
                while ((r = vf_addr(h, pf->addr, i, &vf)) == -ENOENT && waited < limit) {
                        nanosleep(&pause, NULL);
                        waited += 50;
                }
                if (r < 0) {
                        vk_strv_clear(&vfs);
                        return vk_error_set(err, r, "%s: virtfn%d did not appear within %d ms", pf->addr, i, limit);
                }
                vk_strv_push_take(&vfs, vf);
        }
        *ret_vfs = vfs;
        return 0;
}

char *vk_sriov_unit(const char *exe, const char *pf, int numvfs, const char *bind) {
        return vk_printf("# Written by vfiokit sriov --persist: recreate the SR-IOV VFs of %s at boot.\n"
                         "[Unit]\n"
                         "Description=vfiokit: %d SR-IOV VFs on %s\n"
                         "After=systemd-modules-load.service systemd-udev-settle.service\n"
                         "Before=libvirtd.service\n"
                         "\n"
                         "[Service]\n"
                         "Type=oneshot\n"
                         "RemainAfterExit=yes\n"
                         "ExecStart=%s sriov %s --vfs %d%s%s\n"
                         "\n"
                         "[Install]\n"
                         "WantedBy=multi-user.target\n",
                         pf, numvfs, pf, exe, pf, numvfs, bind && *bind ? " --bind " : "", bind ? bind : "");
}
