/* status.c — the readiness checks behind `vfiokit status`: each pass/warn/fail with a reason and a fix. */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct checks {
        vk_check *v;
        size_t n;
        int err;
} checks;

const char *vk_result_name(vk_result r) {
        return r == VK_PASS ? "pass" : r == VK_WARN ? "warn" : "fail";
}

/* Append a check; message and fix are printf formats of their own (fix may be NULL). */
static void add(checks *c, const char *id, vk_result res, char *message, char *fix) {
        vk_check *v;

        if (c->err || !id || !message) {
                c->err = -ENOMEM;
                goto drop;
        }
        v = realloc(c->v, (c->n + 1) * sizeof(*v));
        if (!v) {
                c->err = -ENOMEM;
                goto drop;
        }
        c->v = v;
        v[c->n] = (vk_check){.id = strdup(id), .result = res, .message = message, .fix = fix};
        if (!v[c->n].id) {
                c->err = -ENOMEM;
                goto drop;
        }
        c->n++;
        return;
drop:
        free(message);
        free(fix);
}

#define S(...) vk_printf(__VA_ARGS__)

/* Which IOMMU the kernel drives, from its units (dmar* is Intel VT-d, ivhd* is
 * AMD-Vi); only without units (IOMMU off) does the CPU vendor decide. A TCG or
 * nested guest on an AMD CPU can have QEMU's Intel IOMMU. */
static vk_cpu_vendor iommu_kind(const vk_sysinfo *s) {
        for (size_t i = 0; i < s->iommu_units.n; i++) {
                if (vk_startswith(s->iommu_units.v[i], "dmar"))
                        return VK_CPU_INTEL;
                if (vk_startswith(s->iommu_units.v[i], "ivhd"))
                        return VK_CPU_AMD;
        }
        return s->cpu_vendor;
}

static void check_cpu(const vk_model *m, checks *c) {
        const vk_sysinfo *s = &m->sys;

        if (s->vmx || s->svm)
                add(c, "cpu-virt", VK_PASS,
                    S("%s (%s)", s->vmx ? "Intel VT-x available" : "AMD-V available", s->vmx ? "vmx" : "svm"), NULL);
        else if (s->cpu_vendor == VK_CPU_UNKNOWN && !s->n_cpus)
                add(c, "cpu-virt", VK_FAIL, S("cannot read the CPU flags (proc/cpuinfo)"),
                    S("run vfiokit on the host itself, or capture proc/cpuinfo"));
        else
                add(c, "cpu-virt", VK_FAIL, S("the CPU flags show neither vmx nor svm"),
                    S("enable %s in the firmware setup (the flag is hidden while it is off)",
                      s->cpu_vendor == VK_CPU_AMD ? "SVM mode (AMD-V)" : "Intel Virtualization Technology (VT-x)"));

        if (s->kvm_dev)
                add(c, "kvm", VK_PASS, S("/dev/kvm present"), NULL);
        else if (s->vmx || s->svm)
                add(c, "kvm", VK_FAIL, S("/dev/kvm missing: the KVM module is not loaded"),
                    S("modprobe %s (and install the qemu-system package)", s->svm ? "kvm_amd" : "kvm_intel"));
        else
                add(c, "kvm", VK_FAIL, S("/dev/kvm missing"), S("enable CPU virtualization in the firmware setup first"));
}

static void check_firmware(const vk_model *m, checks *c) {
        if (m->sys.efi)
                add(c, "uefi", VK_PASS, S("host booted in UEFI mode"), NULL);
        else
                add(c, "uefi", VK_WARN,
                    S("host booted in legacy BIOS/CSM mode (no /sys/firmware/efi): the GPU's ROM may be shadowed and "
                      "firmware often hides VT-d/AMD-Vi and Above 4G decoding under CSM"),
                    S("switch the firmware to UEFI boot with CSM disabled (the OS may need reinstalling for UEFI)"));
}

static void check_iommu(const vk_model *m, const vk_cmdline_arg *args, size_t n, checks *c) {
        const vk_sysinfo *s = &m->sys;
        const vk_cmdline_arg *intel = vk_cmdline_find(args, n, "intel_iommu");
        const vk_cmdline_arg *amd = vk_cmdline_find(args, n, "amd_iommu");

        if (s->iommu_enabled) {
                add(c, "iommu", VK_PASS,
                    S("IOMMU on: %zu groups%s%s", m->n_groups, s->iommu_units.n ? ", units " : "",
                      s->iommu_units.n ? s->iommu_units.v[0] : ""),
                    NULL);
                return;
        }
        if (iommu_kind(s) == VK_CPU_AMD)
                add(c, "iommu", VK_FAIL, S("IOMMU off: /sys/kernel/iommu_groups is empty"),
                    amd && vk_streq(amd->value, "off")
                            ? S("remove amd_iommu=off from the kernel command line")
                            : S("enable IOMMU (AMD-Vi) in the firmware setup; Linux turns it on by default"));
        else if (intel && intel->value && vk_startswith(intel->value, "on"))
                add(c, "iommu", VK_FAIL,
                    S("IOMMU off although intel_iommu=on is set: /sys/kernel/iommu_groups is empty"),
                    S("enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup"));
        else
                add(c, "iommu", VK_FAIL, S("IOMMU off: /sys/kernel/iommu_groups is empty"),
                    S("enable VT-d in the firmware setup and add intel_iommu=on to the kernel command line "
                      "(vfiokit boot plan DEVICE shows the change)"));
}

static bool iommu_value_known(const char *v, size_t len) {
        static const char *const known[] = {"off", "force", "noforce", "biomerge", "panic", "nopanic", "merge",
                                            "nomerge", "soft", "pt", "nopt", "forcesac", "allowdac", "nodac",
                                            "usedac", "calgary", "memaper", "noaperture", "noagp", "fullflush",
                                            "nofullflush", "allowed"};
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strlen(known[i]) == len && strncmp(v, known[i], len) == 0)
                        return true;
        return false;
}

static void check_cmdline(const vk_model *m, const vk_cmdline_arg *args, size_t n, checks *c) {
        const vk_sysinfo *s = &m->sys;
        const vk_cmdline_arg *intel = vk_cmdline_find(args, n, "intel_iommu");
        const vk_cmdline_arg *amd = vk_cmdline_find(args, n, "amd_iommu");
        const vk_cmdline_arg *iommu = vk_cmdline_find(args, n, "iommu");
        const vk_cmdline_arg *acs = vk_cmdline_find(args, n, "pcie_acs_override");
        vk_cpu_vendor kind = iommu_kind(s);
        size_t before = c->n;

        if (!s->cmdline) {
                add(c, "cmdline", VK_WARN, S("cannot read proc/cmdline"), NULL);
                return;
        }
        if (amd && vk_streq(amd->value, "on"))
                add(c, "cmdline:amd_iommu", VK_WARN,
                    S("amd_iommu=on is not a valid option: the kernel ignores it (valid values are off, "
                      "force_isolation, fullflush, pgtbl_v1, pgtbl_v2, irtcachedis)"),
                    S("remove amd_iommu=on; the AMD IOMMU is on by default"));
        if (amd && kind == VK_CPU_INTEL)
                add(c, "cmdline:amd_iommu", VK_WARN,
                    S("amd_iommu=%s has no effect: this host's IOMMU is Intel VT-d", amd->value ? amd->value : ""),
                    S("remove it; Intel VT-d uses intel_iommu=on"));
        if (intel && kind == VK_CPU_AMD)
                add(c, "cmdline:intel_iommu", VK_WARN,
                    S("intel_iommu=%s has no effect: this host's IOMMU is AMD-Vi", intel->value ? intel->value : ""),
                    S("remove it; the AMD IOMMU is on by default"));
        if (kind == VK_CPU_INTEL && intel && intel->value && vk_startswith(intel->value, "off"))
                add(c, "cmdline:intel_iommu", VK_FAIL, S("intel_iommu=%s turns the IOMMU off", intel->value),
                    S("replace it with intel_iommu=on"));
        else if (kind == VK_CPU_INTEL && !intel && s->iommu_enabled)
                add(c, "cmdline:intel_iommu", VK_WARN,
                    S("intel_iommu=on is not on the command line; the IOMMU is on only by this kernel's default"),
                    S("add intel_iommu=on so a kernel built with the IOMMU off by default keeps it on"));
        if (iommu && iommu->value) {
                /* iommu= takes a comma list; the kernel ignores words it does not know */
                char bad[256] = "";
                const char *v = iommu->value;
                int n_bad = 0;
                while (*v) {
                        size_t len = strcspn(v, ",");
                        if (!iommu_value_known(v, len) && strlen(bad) + len + 4 < sizeof(bad)) {
                                n_bad++;
                                strcat(bad, *bad ? ", '" : "'");
                                strncat(bad, v, len);
                                strcat(bad, "'");
                        }
                        v += len + (v[len] == ',');
                }
                if (*bad)
                        add(c, "cmdline:iommu", VK_WARN,
                            S("iommu=%s: %s %s of iommu= (the kernel ignores %s)", iommu->value, bad,
                              n_bad == 1 ? "is not a value" : "are not values", n_bad == 1 ? "it" : "them"),
                            S("write separate options: %siommu=pt", kind == VK_CPU_AMD ? "" : "intel_iommu=on "));
        }
        if (acs)
                add(c, "cmdline:pcie_acs_override", VK_WARN,
                    S("pcie_acs_override=%s splits IOMMU groups by pretending to have ACS: the devices can still reach "
                      "each other by peer-to-peer DMA, so the VM is not isolated from them",
                      acs->value ? acs->value : ""),
                    S("prefer a slot whose group holds only the GPU; keep the override only if you accept that risk"));
        if (c->n == before) {
                char have[256] = "";
                const char *opts[] = {"intel_iommu", "amd_iommu", "iommu", "vfio_pci.ids"};
                for (size_t i = 0; i < ELEMENTSOF(opts); i++) {
                        const vk_cmdline_arg *a = vk_cmdline_find(args, n, opts[i]);
                        if (a && strlen(have) + strlen(a->key) + (a->value ? strlen(a->value) : 0) + 4 < sizeof(have))
                                snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s%s%s", *have ? ", " : "",
                                         a->key, a->value ? "=" : "", a->value ? a->value : "");
                }
                add(c, "cmdline", VK_PASS,
                    S("kernel command line fits this host's %s%s%s",
                      kind == VK_CPU_AMD ? "AMD-Vi IOMMU" : kind == VK_CPU_INTEL ? "Intel VT-d IOMMU" : "IOMMU",
                      *have ? ": " : "", have),
                    NULL);
        }
}

static void check_vfio(const vk_model *m, checks *c) {
        const vk_sysinfo *s = &m->sys;

        /* built-in first: a built-in vfio-pci also shows in /sys/module */
        if (s->vfio_pci_builtin)
                add(c, "vfio", VK_PASS,
                    S("vfio-pci is built into the kernel (modprobe.d options do not apply; ids go on the command line)"),
                    NULL);
        else if (vk_strv_contains(&s->modules, "vfio_pci"))
                add(c, "vfio", VK_PASS, S("vfio-pci loaded"), NULL);
        else if (s->vfio_pci_available)
                add(c, "vfio", VK_PASS, S("vfio-pci module available (not loaded yet)"), NULL);
        else if (!s->kernel_release)
                add(c, "vfio", VK_WARN, S("cannot tell whether vfio-pci exists (proc/sys/kernel/osrelease unreadable)"),
                    NULL);
        else
                add(c, "vfio", VK_FAIL, S("vfio-pci not found in lib/modules/%s", s->kernel_release),
                    S("install the modules package of kernel %s (CONFIG_VFIO_PCI)", s->kernel_release));
}

static char *func_label(const vk_func *f) {
        if (f->vendor_name && f->device_name)
                return S("%s %s %s", f->addr + 5, f->vendor_name, f->device_name);
        return S("%s [%04x:%04x]", f->addr + 5, f->vendor, f->device);
}

static char *join_addrs(const vk_strv *v) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < v->n; i++)
                len += strlen(v->v[i]) + 2;
        s = calloc(1, len);
        for (size_t i = 0; s && i < v->n; i++) {
                if (i)
                        strcat(s, ", ");
                strcat(s, v->v[i] + 5);
        }
        return s;
}

static void check_gpu(const vk_model *m, const vk_gpu *g, checks *c) {
        const vk_func *f = g->func;
        _cleanup_free_ char *id = S("gpu:%s", f->addr), *label = func_label(f);
        _cleanup_free_ char *others = join_addrs(&g->others);

        if (!id || !label || !others) {
                c->err = -ENOMEM;
                return;
        }
        if (f->iommu_group < 0) {
                add(c, id, VK_FAIL, S("%s is in no IOMMU group", label),
                    S("%s", m->sys.iommu_enabled ? "check the problems listed above for its iommu_group link"
                                           : "turn the IOMMU on first (see the iommu check)"));
                return;
        }
        if (g->n_blockers) {
                char *why = NULL;
                for (size_t i = 0; i < g->n_blockers; i++) {
                        char *n = S("%s%s%s: %s", why ? why : "", why ? "; " : "", g->blockers[i].addr + 5,
                                    g->blockers[i].reason);
                        free(why);
                        why = n;
                }
                add(c, id, VK_FAIL, S("%s: group %d is not safe to pass: %s", label, f->iommu_group, why ? why : ""),
                    S("put the card in a slot whose IOMMU group holds nothing the host needs; vfiokit refuses to "
                      "bind this group"));
                free(why);
                return;
        }
        if (g->others.n) {
                add(c, id, VK_WARN,
                    S("%s: group %d also holds %s, which would go to the VM with it", label, f->iommu_group, others),
                    S("move the card to a slot with its own group, or accept passing those devices too "
                      "(pcie_acs_override splits groups but weakens isolation)"));
                return;
        }
        if (f->boot_vga == 1) {
                add(c, id, VK_WARN,
                    S("%s: group %d is viable, but it is the firmware's boot GPU: its ROM was shadowed at boot, a "
                      "common cause of Code 43 and black screens",
                      label, f->iommu_group),
                    S("make the other GPU primary in the firmware setup, or give the VM a clean vBIOS (--rom)"));
                return;
        }
        if (f->reset_method && !*f->reset_method) {
                add(c, id, VK_WARN, S("%s: group %d is viable, but the device has no reset method", label, f->iommu_group),
                    S("expect it to fail after the first VM shutdown; for AMD cards see vendor-reset"));
                return;
        }
        add(c, id, VK_PASS,
            S("%s: group %d holds only the GPU%s%s%s%s", label, f->iommu_group,
              g->companions.n == 0 ? "" : g->companions.n == 1 ? " and its companion" : " and its companions",
              g->bridges.n ? " (plus bridges, which stay with the host)" : "",
              f->driver && vk_streq(f->driver, "vfio-pci") ? "; already on vfio-pci" : "; ready to pass",
              f->physfn ? " (an SR-IOV VF)" : ""),
            NULL);
}

int vk_status_run(const vk_model *m, vk_check **ret, size_t *ret_n) {
        checks c = {0};
        vk_cmdline_arg *args = NULL;
        vk_gpu *gpus = NULL;
        size_t n_args = 0, n_gpus = 0;
        int r;

        r = vk_cmdline_parse(m->sys.cmdline, &args, &n_args);
        if (r < 0)
                return r;
        r = vk_gpus_list(m, &gpus, &n_gpus);
        if (r < 0) {
                vk_cmdline_free(args, n_args);
                return r;
        }
        check_cpu(m, &c);
        check_firmware(m, &c);
        check_iommu(m, args, n_args, &c);
        check_cmdline(m, args, n_args, &c);
        check_vfio(m, &c);

        if (n_gpus == 0)
                add(&c, "gpus", VK_FAIL, S("no GPU found (PCI class VGA 0300, 3D 0302 or display 0380)"),
                    S("check that the card is seated and enabled in the firmware setup"));
        else
                add(&c, "gpus", VK_PASS, S("%zu GPU function%s found", n_gpus, n_gpus == 1 ? "" : "s"), NULL);
        if (n_gpus == 1)
                add(&c, "host-gpu", VK_WARN,
                    S("one GPU only: the host has no display while the VM owns it"),
                    S("add an integrated or second GPU, or run single-GPU passthrough with vfiokit hooks install VM "
                      "--single-gpu"));
        else if (n_gpus > 1)
                add(&c, "host-gpu", VK_PASS, S("%zu GPUs: one can stay with the host", n_gpus), NULL);
        for (size_t i = 0; i < n_gpus; i++)
                if (!vk_model_critical(m, gpus[i].func->addr) || n_gpus == 1)
                        check_gpu(m, &gpus[i], &c);
        for (size_t i = 0; i < m->n_problems; i++) {
                _cleanup_free_ char *id = S("file:%s", m->problems[i].path);
                add(&c, id, VK_WARN, S("/%s: %s", m->problems[i].path, m->problems[i].message),
                    S("fix or restore this file; vfiokit went on without it"));
        }
        vk_gpus_free(gpus, n_gpus);
        vk_cmdline_free(args, n_args);
        if (c.err) {
                vk_checks_free(c.v, c.n);
                return c.err;
        }
        *ret = c.v;
        *ret_n = c.n;
        return 0;
}

void vk_checks_free(vk_check *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].id);
                free(c[i].message);
                free(c[i].fix);
        }
        free(c);
}
