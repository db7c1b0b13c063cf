/* diagnose-explain.c — cause and fix of each finding for this host (kernel version, groups, limits), and the
 * host-specific advice for a symptom seen inside the guest (Code 43, VIDEO_TDR_FAILURE, black screen). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose-internal.h"

typedef struct host_facts {
        int kmajor, kminor;       /* -1 when unknown */
        const char *kernel;       /* the release string, or NULL */
        const char *cmdline;      /* NULL when unknown */
        char *memlock;            /* "8 MiB (hard 8 MiB)" from proc/self/limits, or NULL */
        char *unsafe_interrupts;  /* "Y"/"N" from the vfio_iommu_type1 parameter, or NULL */
        char *ignore_msrs;        /* "Y"/"N" from the kvm parameter, or NULL */
        char *battery;            /* the first power_supply of type Battery ("BAT0"), or NULL */
        char *osrelease;          /* proc/sys/kernel/osrelease when there is no model */
} host_facts;

static char *read_attr(vk_host *h, const char *path) {
        char *s = NULL;

        if (!h || vk_host_read_file(h, path, 4096, &s, NULL) < 0)
                return NULL;
        vk_strip(s);
        return s;
}

/* "Max locked memory  8388608  8388608  bytes" → "8 MiB (hard 8 MiB)". */
static char *memlock_text(vk_host *h) {
        _cleanup_free_ char *limits = NULL;
        char soft[32], hard[32];
        const char *l;

        if (!h || vk_host_read_file(h, "proc/self/limits", 65536, &limits, NULL) < 0)
                return NULL;
        l = strstr(limits, "Max locked memory");
        if (!l || sscanf(l + strlen("Max locked memory"), "%31s %31s", soft, hard) != 2)
                return NULL;
        char *parts[2] = {soft, hard};
        char out[2][40];
        for (int i = 0; i < 2; i++) {
                char *end;
                unsigned long long v = strtoull(parts[i], &end, 10);
                if (vk_streq(parts[i], "unlimited") || *end)
                        snprintf(out[i], sizeof(out[i]), "%s", parts[i]);
                else if (v >= 1024 * 1024)
                        snprintf(out[i], sizeof(out[i]), "%llu MiB", v / (1024 * 1024));
                else
                        snprintf(out[i], sizeof(out[i]), "%llu KiB", v / 1024);
        }
        return vk_printf("%s (hard %s)", out[0], out[1]);
}

static char *find_battery(vk_host *h) {
        vk_strv names = {0};
        char *found = NULL;

        if (!h || vk_host_list_dir(h, "sys/class/power_supply", &names) < 0)
                return NULL;
        for (size_t i = 0; i < names.n && !found; i++) {
                _cleanup_free_ char *path = vk_printf("sys/class/power_supply/%s/type", names.v[i]);
                _cleanup_free_ char *type = path ? read_attr(h, path) : NULL;
                if (type && vk_streq(type, "Battery"))
                        found = vk_strdup(names.v[i]);
        }
        vk_strv_clear(&names);
        return found;
}

static void facts_load(host_facts *f, vk_host *h, const vk_model *m) {
        *f = (host_facts){.kmajor = -1, .kminor = -1};
        f->kernel = m ? m->sys.kernel_release : NULL;
        if (!f->kernel)
                f->kernel = f->osrelease = read_attr(h, "proc/sys/kernel/osrelease");
        if (f->kernel && sscanf(f->kernel, "%d.%d", &f->kmajor, &f->kminor) != 2)
                f->kmajor = f->kminor = -1;
        f->cmdline = m ? m->sys.cmdline : NULL;
        f->memlock = memlock_text(h);
        f->unsafe_interrupts = read_attr(h, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts");
        f->ignore_msrs = read_attr(h, "sys/module/kvm/parameters/ignore_msrs");
        f->battery = find_battery(h);
}

static void facts_clear(host_facts *f) {
        free(f->memlock);
        free(f->unsafe_interrupts);
        free(f->ignore_msrs);
        free(f->battery);
        free(f->osrelease);
}

static bool cmdline_has(const host_facts *f, const char *word) {
        return f->cmdline && strstr(f->cmdline, word);
}

static const char *dev_or(const vk_finding *x, const char *other) { return *x->device ? x->device : other; }

/* The fix for a firmware framebuffer that holds a GPU's BAR, by kernel version. */
static char *framebuffer_fix(const host_facts *h) {
        if (h->kmajor >= 6)
                return vk_printf("since Linux 6.0 vfio-pci removes the firmware framebuffer of a VGA device when it "
                                 "binds it, so on %s something else still holds the range: find it with "
                                 "`sudo grep -i -B1 -A3 'bootfb\\|efifb\\|simple' /proc/iomem`; booting with "
                                 "initcall_blacklist=sysfb_init keeps the firmware framebuffer from being set up",
                                 h->kernel);
        if (h->kmajor > 0)
                return vk_printf("%s is older than 6.0, where the kernel does not release the firmware framebuffer "
                                 "by itself: add %s to the kernel command line and reboot (the console then "
                                 "appears only when the host GPU's driver loads)",
                                 h->kernel,
                                 cmdline_has(h, "efifb:off") ? "initcall_blacklist=sysfb_init (video=efifb:off is "
                                                               "already there)"
                                                             : "video=efifb:off (video=vesafb:off on a BIOS host) "
                                                               "or initcall_blacklist=sysfb_init");
        return vk_strdup("on Linux 6.0 and newer vfio-pci releases the firmware framebuffer itself (look in "
                         "/proc/iomem for what else holds the range); on older kernels add video=efifb:off or "
                         "initcall_blacklist=sysfb_init to the kernel command line");
}

static bool is_boot_gpu(const vk_model *m, const char *addr) {
        const vk_func *f = m && *addr ? vk_model_find(m, addr) : NULL;
        return f && f->boot_vga == 1;
}

static int explain_bar(vk_finding *x, const vk_model *m, const host_facts *h) {
        _cleanup_free_ char *fb = framebuffer_fix(h);

        x->cause = vk_printf("the boot framebuffer (efifb/simplefb/vesafb) still holds BAR %ld of %s, so vfio-pci "
                             "cannot reserve it and the guest cannot drive the GPU%s",
                             x->number, dev_or(x, "the device"),
                             is_boot_gpu(m, x->device) ? " (it is this host's boot GPU, boot_vga=1)" : "");
        x->fix = fb ? vk_printf("%s", fb) : NULL;
        return 0;
}

static int explain_region_busy(vk_finding *x, const vk_model *m, const host_facts *h) {
        _cleanup_free_ char *fb = framebuffer_fix(h);
        const char *dev = dev_or(x, "DEVICE");

        x->cause = vk_printf("QEMU could not write BAR %ld of %s: the range is still claimed on the host, typically "
                             "by the firmware framebuffer of the boot GPU%s (seed 004: a GTX 1060 that was the boot "
                             "GPU, VIDEO_TDR_FAILURE in the guest)",
                             x->number, dev,
                             is_boot_gpu(m, x->device) ? ", and this is the boot GPU (boot_vga=1)" : "");
        x->fix = vk_printf("before starting the VM, remove the device and rescan the bus so that the stale claim "
                           "goes away: echo 1 > /sys/bus/pci/devices/%s/remove && echo 1 > /sys/bus/pci/rescan "
                           "(what seed 004 did; a libvirt prepare hook can run it), then vfiokit bind %s; lasting "
                           "fixes: make the other GPU the boot GPU in the firmware setup, or: %s",
                           dev, dev, fb ? fb : "video=efifb:off");
        return 0;
}

static int explain_group(vk_finding *x, const vk_model *m) {
        const vk_func *f = m && *x->device ? vk_model_find(m, x->device) : NULL;
        long gid = x->number >= 0 ? x->number : f ? f->iommu_group : -1;
        const vk_group *g = m && gid >= 0 ? vk_model_group(m, (int)gid) : NULL;
        _cleanup_free_ char *host = NULL, *crit = NULL;
        const char *bind_addr = f && !vk_func_is_bridge(f) ? f->addr : NULL; /* bind refuses a bridge */

        x->cause = gid >= 0 ? vk_printf("QEMU cannot use IOMMU group %ld: a function in it is still on a host "
                                        "driver (VFIO needs every non-bridge function of the group on vfio-pci, or "
                                        "unbound)", gid)
                            : vk_strdup("QEMU cannot use the device's IOMMU group: a function in it is still on a "
                                        "host driver (VFIO needs every non-bridge function of the group on vfio-pci, "
                                        "or unbound)");
        if (!g) {
                x->fix = vk_strdup("vfiokit list --all shows each group and its drivers; vfiokit bind DEVICE moves "
                                   "every non-bridge function of the group to vfio-pci at once");
                return 0;
        }
        for (size_t i = 0; i < g->n_members; i++) {
                const vk_func *o = &m->funcs[g->members[i]];
                const vk_critical *c = vk_model_critical(m, o->addr);
                char *n;
                if (c) {
                        n = vk_printf("%s%s%s (%s)", crit ? crit : "", crit ? ", " : "", o->addr, c->detail);
                        free(crit);
                        crit = n;
                }
                if (vk_func_is_bridge(o) || !o->driver || vk_streq(o->driver, "vfio-pci") ||
                    vk_streq(o->driver, "pci-stub"))
                        continue;
                if (!bind_addr)
                        bind_addr = o->addr;
                n = vk_printf("%s%s%s on %s", host ? host : "", host ? ", " : "", o->addr, o->driver);
                free(host);
                host = n;
        }
        if (crit)
                x->fix = vk_printf("group %ld also holds what the host needs: %s; it cannot be passed safely (another "
                                   "slot, or a board whose ACS splits the group)", gid, crit);
        else if (host)
                x->fix = vk_printf("this host's group %ld has %s: move the whole group with vfiokit bind %s "
                                   "(journaled; vfiokit unbind gives it back)",
                                   gid, host, bind_addr);
        else
                x->fix = vk_printf("every non-bridge function of group %ld is on vfio-pci (or unbound) now, so the "
                                   "log is older than that: start the VM again", gid);
        return 0;
}

static int explain_remapping(vk_finding *x, const host_facts *h) {
        x->cause = vk_strdup("VFIO refuses to attach the group because the IOMMU does no interrupt remapping (off in "
                             "the firmware, disabled with intremap=off/nointremap, or absent): a device could then "
                             "inject interrupts into the host");
        if (h->unsafe_interrupts && vk_streq(h->unsafe_interrupts, "Y")) {
                x->fix = vk_strdup("allow_unsafe_interrupts is already Y on this host, so the refusal comes from "
                                   "elsewhere: look in dmesg for 'ineligible for IOMMU domain attach due to platform "
                                   "RMRR' (Intel RMRR devices cannot be passed) or a group member in use");
                return 0;
        }
        x->fix = vk_printf("turn interrupt remapping on: VT-d/AMD-Vi and 'Interrupt Remapping' in the firmware "
                           "setup%s; only where the platform has none, `options vfio_iommu_type1 "
                           "allow_unsafe_interrupts=1` in /etc/modprobe.d/vfio.conf — the risk: a guest can then "
                           "forge MSI writes and inject interrupts into the host, so only with guests you trust",
                           cmdline_has(h, "intremap=off") || cmdline_has(h, "nointremap")
                                   ? ", and remove intremap=off/nointremap from the kernel command line"
                                   : "");
        return 0;
}

static int explain_memlock(vk_finding *x, vk_host *host, const host_facts *h) {
        if (x->number > 0)
                x->cause = vk_printf("QEMU could not pin the guest's memory for DMA: the locked-memory limit "
                                     "(RLIMIT_MEMLOCK) was %ld MiB, less than the VM's RAM (VFIO pins all of it)",
                                     x->number / (1024 * 1024));
        else
                x->cause = vk_strdup("QEMU could not pin the guest's memory for DMA: the locked-memory limit "
                                     "(RLIMIT_MEMLOCK) of the QEMU process is lower than the VM's RAM (VFIO pins "
                                     "all of it)");
        x->fix = vk_printf("%s%s%sraise it above the VM's RAM + 1 GiB for the user who runs QEMU (ulimit -l, "
                           "memlock in /etc/security/limits.conf, or LimitMEMLOCK= in its unit); under libvirt, "
                           "which raises the limit itself for a VM with <hostdev>, a <memtune><hard_limit> below "
                           "RAM + 1 GiB is the usual cause",
                           h->memlock ? "the locked-memory limit here is " : "",
                           h->memlock ? h->memlock : "",
                           h->memlock ? (host && vk_host_is_live(host) ? " (vfiokit's own, as this shell gives it): "
                                                                       : " (proc/self/limits in the root): ")
                                      : "");
        return 0;
}

static int explain_reset(vk_finding *x, const vk_model *m) {
        const vk_func *f = m && *x->device ? vk_model_find(m, x->device) : NULL;

        _cleanup_free_ char *method = !f ? vk_strdup("")
                                         : f->reset_method && (strstr(f->reset_method, "flr") ||
                                                               strstr(f->reset_method, "pm"))
                                                 ? vk_printf("; but this host lists reset_method '%s' for it, so what "
                                                             "QEMU misses is only the bus (hot) reset and FLR still "
                                                             "resets it: then the message is a warning",
                                                             f->reset_method)
                                         : f->reset_method ? vk_printf("; its reset_method is '%s'", f->reset_method)
                                                           : vk_strdup("; it has no reset_method at all");

        x->cause = vk_printf("QEMU found no reset for %s (no FLR or PM reset it could use, and a bus reset would reach "
                             "devices outside the VM), so it may keep state from its last user%s",
                             dev_or(x, "the device"), method ? method : "");
        x->fix = vk_printf("pass every function of its slot and IOMMU group together (vfiokit bind %s) so that a "
                           "bus reset becomes possible; AMD Polaris/Vega/Navi GPUs with the reset bug need the "
                           "vendor-reset module; for a chipset audio or USB controller this is only a warning",
                           dev_or(x, "DEVICE"));
        return 0;
}

static int explain_power(vk_finding *x, const vk_model *m, bool header) {
        const vk_func *f = m && *x->device ? vk_model_find(m, x->device) : NULL;
        const char *dev = dev_or(x, "DEVICE");

        x->cause = header ? vk_printf("%s answers config-space reads with all ones (header type 0x7f = 127): it is "
                                      "powered off (D3cold, as a laptop's dGPU under runtime power management) or "
                                      "hung after a previous VM", dev_or(x, "the device"))
                          : vk_printf("%s did not come back from the D3 power-saving state; its config space is "
                                      "unreachable", dev_or(x, "the device"));
        x->fix = vk_printf("keep it powered: echo on > /sys/bus/pci/devices/%s/power/control, and `options vfio-pci "
                           "disable_idle_d3=1` so that vfio-pci leaves idle devices in D0%s; a hung device comes "
                           "back with echo 1 > /sys/bus/pci/devices/%s/remove && echo 1 > /sys/bus/pci/rescan, or a "
                           "reboot",
                           dev,
                           f && f->driver && vk_startswith(f->driver, "nvidia")
                                   ? "; the host's nvidia driver holds it: stop nvidia-persistenced and bind it to "
                                     "vfio-pci at boot (vfio-pci.ids= on the kernel command line)"
                                   : "",
                           dev);
        return 0;
}

static int explain_fault(vk_finding *x, const vk_model *m) {
        const vk_func *f = m && *x->device ? vk_model_find(m, x->device) : NULL;
        const char *dev = dev_or(x, "a device");

        x->cause = vk_printf("%s did DMA to an address its IOMMU domain does not map (a DMAR/AMD-Vi fault)", dev);
        if (f && f->driver && vk_streq(f->driver, "vfio-pci"))
                x->fix = vk_printf("%s is on vfio-pci, so the fault comes from the passed-through device: usually DMA "
                                   "still running from a previous guest because the device was not reset (vfiokit "
                                   "show %s shows its reset_method), or the guest driver's own bug; an Intel iGPU or "
                                   "USB controller with RMRRs cannot be passed reliably at all",
                                   f->addr, f->addr);
        else if (f)
                x->fix = vk_printf("%s is on %s, a host driver: the fault is the driver's or the firmware's, not "
                                   "passthrough's; iommu=pt keeps host devices out of translation",
                                   f->addr, f->driver ? f->driver : "no driver");
        else
                x->fix = vk_strdup("for a device on vfio-pci: DMA left running by a previous guest (no reset) or the "
                                   "guest driver; for a device on a host driver: that driver's or the firmware's bug "
                                   "(iommu=pt keeps host devices out of translation)");
        return 0;
}

static int explain_probe(vk_finding *x, const vk_model *m, const host_facts *h) {
        const vk_func *f = m && *x->device ? vk_model_find(m, x->device) : NULL;
        const char *dev = dev_or(x, "DEVICE");
        _cleanup_free_ char *fb = NULL;

        if (x->number == 16) {
                fb = framebuffer_fix(h);
                x->cause = vk_printf("vfio-pci could not take %s (EBUSY): its resources are held by someone else, "
                                     "typically a BAR by the boot framebuffer or another driver", dev_or(x, "it"));
                x->fix = vk_printf("vfiokit bind %s unbinds the current driver first; if a framebuffer holds it: %s",
                                   dev, fb ? fb : "video=efifb:off");
                return 0;
        }
        x->cause = vk_printf("vfio-pci refused %s (EINVAL)", dev_or(x, "the device"));
        if (f && vk_func_is_bridge(f))
                x->fix = vk_printf("%s is a PCI bridge, which vfio-pci never takes: bind the functions behind it "
                                   "(vfiokit bind leaves bridges with the host)", f->addr);
        else if (f && f->virtfns.n > 0)
                x->fix = vk_printf("%s is an SR-IOV PF with VFs enabled: pass a VF, or remove the VFs first "
                                   "(vfiokit sriov %s --vfs 0)", f->addr, f->addr);
        else if (f && f->iommu_group < 0)
                x->fix = vk_printf("%s is in no IOMMU group: the IOMMU is off; turn on VT-d/AMD-Vi in the firmware "
                                   "(and intel_iommu=on on Intel)", f->addr);
        else
                x->fix = vk_strdup("vfio-pci refuses bridges, SR-IOV PFs that have VFs, and devices without an IOMMU "
                                   "group (IOMMU off): vfiokit show DEVICE tells which applies");
        return 0;
}

static int explain_msr(vk_finding *x, const host_facts *h, bool ignored) {
        if (ignored) {
                x->cause = vk_strdup("kvm.ignore_msrs is on and the guest touched model-specific registers KVM does "
                                     "not emulate; KVM ignored them: harmless unless the guest misbehaves");
                x->fix = vk_strdup("nothing to fix; `options kvm report_ignored_msrs=0` in /etc/modprobe.d/kvm.conf "
                                   "keeps these lines out of the log");
                return 0;
        }
        x->cause = vk_strdup("the guest used model-specific registers KVM does not emulate and KVM answered with a "
                             "fault: Windows guests can crash (BSOD) on it");
        if (h->ignore_msrs && vk_streq(h->ignore_msrs, "Y"))
                x->fix = vk_strdup("ignore_msrs is Y on this host now, so the log is from before it was set");
        else if (cmdline_has(h, "ignore_msrs=1"))
                x->fix = vk_strdup("the kernel command line has kvm.ignore_msrs=1, yet KVM did not ignore them: check "
                                   "/sys/module/kvm/parameters/ignore_msrs (kvm loaded with other options?)");
        else
                x->fix = vk_strdup("`options kvm ignore_msrs=1 report_ignored_msrs=0` in /etc/modprobe.d/kvm.conf "
                                   "(or kvm.ignore_msrs=1 on the kernel command line); now: echo 1 > "
                                   "/sys/module/kvm/parameters/ignore_msrs");
        return 0;
}

/* Cause and fix of each signature id of diagnose.c's table; test-diagnose.c checks that none is missing. */
typedef struct explain_ctx {
        vk_host *host;
        const vk_model *m;
        host_facts f;
} explain_ctx;

static int x_bar(vk_finding *x, const explain_ctx *c) { return explain_bar(x, c->m, &c->f); }
static int x_region(vk_finding *x, const explain_ctx *c) { return explain_region_busy(x, c->m, &c->f); }
static int x_group(vk_finding *x, const explain_ctx *c) { return explain_group(x, c->m); }
static int x_remap(vk_finding *x, const explain_ctx *c) { return explain_remapping(x, &c->f); }
static int x_memlock(vk_finding *x, const explain_ctx *c) { return explain_memlock(x, c->host, &c->f); }
static int x_reset(vk_finding *x, const explain_ctx *c) { return explain_reset(x, c->m); }
static int x_header(vk_finding *x, const explain_ctx *c) { return explain_power(x, c->m, true); }
static int x_d3(vk_finding *x, const explain_ctx *c) { return explain_power(x, c->m, false); }
static int x_fault(vk_finding *x, const explain_ctx *c) { return explain_fault(x, c->m); }
static int x_probe(vk_finding *x, const explain_ctx *c) { return explain_probe(x, c->m, &c->f); }
static int x_msr_unhandled(vk_finding *x, const explain_ctx *c) { return explain_msr(x, &c->f, false); }
static int x_msr_ignored(vk_finding *x, const explain_ctx *c) { return explain_msr(x, &c->f, true); }

static const struct {
        const char *id;
        int (*explain)(vk_finding *x, const explain_ctx *c);
} explainers[] = {
        {"bar-reserve", x_bar},
        {"vfio-region-busy", x_region},
        {"group-not-viable", x_group},
        {"no-interrupt-remapping", x_remap},
        {"memlock", x_memlock},
        {"no-reset", x_reset},
        {"header-127", x_header},
        {"power-d3", x_d3},
        {"iommu-fault", x_fault},
        {"probe-failed", x_probe},
        {"msr-unhandled", x_msr_unhandled},
        {"msr-ignored", x_msr_ignored},
};

bool vk_diag_has_explainer(const char *id) {
        for (size_t i = 0; i < ELEMENTSOF(explainers); i++)
                if (vk_streq(explainers[i].id, id))
                        return true;
        return false;
}

int vk_diag_explain(vk_diag *d, vk_host *host, const vk_model *m) {
        explain_ctx c = {.host = host, .m = m};
        size_t n;
        vk_finding *fs = vk_diag_findings_mut(d, &n);
        int r = 0;

        facts_load(&c.f, host, m);
        for (size_t i = 0; i < n && r >= 0; i++) {
                vk_finding *x = &fs[i];
                size_t k = 0;
                free(x->cause);
                free(x->fix);
                x->cause = x->fix = NULL;
                while (k < ELEMENTSOF(explainers) && !vk_streq(explainers[k].id, x->id))
                        k++;
                if (k == ELEMENTSOF(explainers))
                        r = -EINVAL; /* a signature without its explanation: a bug the unit test catches */
                else if (explainers[k].explain(x, &c) < 0 || !x->cause || !x->fix)
                        r = -ENOMEM;
        }
        facts_clear(&c.f);
        return r;
}

/* diagnose-symptom.c holds vk_diag_symptom; it shares the facts through these. */
int vk_diag_facts_battery(vk_host *h, char **ret) {
        *ret = find_battery(h);
        return 0;
}

int vk_diag_facts_kernel(vk_host *h, const vk_model *m, int *ret_major, char **ret_release) {
        host_facts f;

        facts_load(&f, h, m);
        *ret_major = f.kmajor;
        *ret_release = vk_strdup(f.kernel);
        facts_clear(&f);
        return 0;
}
