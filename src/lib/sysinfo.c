/* sysinfo.c — CPU, firmware, kernel command line, modules and distro facts from /proc, /sys and /etc. */
#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_PROC_FILE (16u << 20)

/* Modules whose presence status and later commands care about. */
static const char *const interesting_modules[] = {
        "kvm", "kvm_intel", "kvm_amd", "vfio", "vfio_pci", "vfio_pci_core", "vfio_iommu_type1",
        "vfio_virqfd", "pci_stub", "nouveau", "nvidia", "nvidia_drm", "amdgpu", "radeon", "i915", "xe",
        "snd_hda_intel", "vendor_reset",
};

static int read_proc(vk_model *m, const char *path, char **ret, bool optional) {
        int r = vk_host_read_file(m->host, path, MAX_PROC_FILE, ret, NULL);
        if (r < 0) {
                *ret = NULL;
                if (!(optional && r == -ENOENT))
                        vk_model_add_problem(m, path, "%s", vk_errno_text(r));
                return r == -ENOMEM ? r : 0;
        }
        return 1;
}

/* "key\t: value" lines; only the first processor block names the model. */
static void parse_cpuinfo(vk_sysinfo *s, char *text) {
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':');
                char *key = line, *val;

                if (!colon)
                        continue;
                *colon = 0;
                val = colon + 1;
                while (*val == ' ' || *val == '\t')
                        val++;
                vk_strip(key);
                if (vk_streq(key, "processor"))
                        s->n_cpus++;
                else if (vk_streq(key, "vendor_id") && s->cpu_vendor == VK_CPU_UNKNOWN) {
                        if (vk_streq(val, "GenuineIntel"))
                                s->cpu_vendor = VK_CPU_INTEL;
                        else if (vk_streq(val, "AuthenticAMD") || vk_streq(val, "HygonGenuine"))
                                s->cpu_vendor = VK_CPU_AMD;
                } else if (vk_streq(key, "model name") && !s->cpu_model)
                        s->cpu_model = strdup(vk_strip(val));
                else if (vk_streq(key, "flags") && !s->vmx && !s->svm) {
                        char *fs = NULL;
                        for (char *fl = strtok_r(val, " \t", &fs); fl; fl = strtok_r(NULL, " \t", &fs)) {
                                if (vk_streq(fl, "vmx"))
                                        s->vmx = true;
                                else if (vk_streq(fl, "svm"))
                                        s->svm = true;
                        }
                }
        }
}

/* os-release: KEY=value with optional shell quotes; unquote the simple cases. */
static char *os_release_value(const char *text, const char *key) {
        size_t klen = strlen(key);
        const char *p = text;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);

                if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
                        const char *v = p + klen + 1;
                        size_t vlen = len - klen - 1;
                        char *out;
                        size_t o = 0;

                        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
                                vlen--;
                        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                                v++;
                                vlen -= 2;
                        }
                        out = malloc(vlen + 1);
                        if (!out)
                                return NULL;
                        for (size_t i = 0; i < vlen; i++) {
                                if (v[i] == '\\' && i + 1 < vlen)
                                        i++;
                                out[o++] = v[i];
                        }
                        out[o] = 0;
                        return out;
                }
                p = eol ? eol + 1 : NULL;
        }
        return NULL;
}


static bool modules_file_lists(const char *text, const char *ko) {
        /* lines are "kernel/drivers/vfio/pci/vfio-pci.ko[.xz|.zst|.gz]" optionally followed by ":" */
        size_t klen = strlen(ko);

        for (const char *p = text; p && *p;) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);
                const char *colon = memchr(p, ':', len);
                size_t plen = colon ? (size_t)(colon - p) : len;
                const char *base = p;

                for (size_t i = 0; i < plen; i++)
                        if (p[i] == '/')
                                base = p + i + 1;
                if ((size_t)(p + plen - base) >= klen && strncmp(base, ko, klen) == 0 &&
                    (base[klen] == ':' || base[klen] == '.' || base + klen == p + plen))
                        return true;
                p = eol ? eol + 1 : NULL;
        }
        return false;
}

static int load_modules(vk_model *m) {
        vk_sysinfo *s = &m->sys;
        _cleanup_free_ char *builtin = NULL, *dep = NULL, *bpath = NULL, *dpath = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(interesting_modules); i++) {
                _cleanup_free_ char *p = vk_printf("sys/module/%s", interesting_modules[i]);
                bool is_dir = false;

                if (!p)
                        return -ENOMEM;
                if (vk_host_stat(m->host, p, &is_dir) >= 0 && is_dir)
                        if (vk_strv_push(&s->modules, interesting_modules[i]) < 0)
                                return -ENOMEM;
        }
        if (!s->kernel_release)
                return 0;
        bpath = vk_printf("lib/modules/%s/modules.builtin", s->kernel_release);
        dpath = vk_printf("lib/modules/%s/modules.dep", s->kernel_release);
        if (!bpath || !dpath)
                return -ENOMEM;
        r = read_proc(m, bpath, &builtin, true);
        if (r < 0)
                return r;
        r = read_proc(m, dpath, &dep, true);
        if (r < 0)
                return r;
        s->vfio_pci_builtin = builtin && modules_file_lists(builtin, "vfio-pci.ko");
        s->vfio_pci_available = s->vfio_pci_builtin || (dep && modules_file_lists(dep, "vfio-pci.ko"));
        return 0;
}

static void parse_meminfo(vk_sysinfo *s, const char *text) {
        for (const char *p = text; p && *p;) {
                unsigned long long v;
                if (sscanf(p, "MemTotal: %llu kB", &v) == 1)
                        s->mem_total_kb = v;
                else if (sscanf(p, "HugePages_Total: %llu", &v) == 1)
                        s->hugepages_total = v;
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
}

int vk_sysinfo_load(vk_model *m) {
        vk_sysinfo *s = &m->sys;
        _cleanup_free_ char *cpuinfo = NULL, *osr = NULL, *rel = NULL, *meminfo = NULL;
        vk_strv groups = {0};
        bool is_dir;
        int r;

        if ((r = read_proc(m, "proc/cpuinfo", &cpuinfo, false)) < 0)
                return r;
        if (cpuinfo)
                parse_cpuinfo(s, cpuinfo);
        if ((r = read_proc(m, "proc/cmdline", &s->cmdline, false)) < 0)
                return r;
        if (s->cmdline)
                vk_strip(s->cmdline);
        if ((r = read_proc(m, "proc/sys/kernel/osrelease", &rel, false)) < 0)
                return r;
        if (rel && *vk_strip(rel))
                s->kernel_release = TAKE_PTR(rel);
        if ((r = read_proc(m, "proc/meminfo", &meminfo, true)) < 0)
                return r;
        if (meminfo)
                parse_meminfo(s, meminfo);
        if ((r = read_proc(m, "etc/os-release", &osr, true)) < 0)
                return r;
        if (!osr && (r = read_proc(m, "usr/lib/os-release", &osr, true)) < 0)
                return r;
        if (osr) {
                s->os_pretty = os_release_value(osr, "PRETTY_NAME");
                s->os_id = os_release_value(osr, "ID");
        }
        s->efi = vk_host_stat(m->host, "sys/firmware/efi", &is_dir) >= 0 && is_dir;
        s->kvm_dev = vk_host_stat(m->host, "dev/kvm", &is_dir) >= 0 && !is_dir;

        r = vk_host_list_dir(m->host, "sys/kernel/iommu_groups", &groups);
        if (r >= 0) {
                s->iommu_enabled = groups.n > 0;
                vk_strv_clear(&groups);
        } else if (r != -ENOENT)
                vk_model_add_problem(m, "sys/kernel/iommu_groups", "%s", vk_errno_text(r));
        r = vk_host_list_dir(m->host, "sys/class/iommu", &s->iommu_units);
        if (r == -ENOMEM)
                return r;
        return load_modules(m);
}

void vk_sysinfo_clear(vk_sysinfo *s) {
        free(s->cpu_model);
        free(s->cmdline);
        free(s->kernel_release);
        free(s->os_pretty);
        free(s->os_id);
        vk_strv_clear(&s->iommu_units);
        vk_strv_clear(&s->modules);
}
