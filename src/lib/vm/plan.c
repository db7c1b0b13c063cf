/* plan.c — decide a VM's CPUs, memory, firmware, devices and guest PCI layout from the options and the host. */
#define _GNU_SOURCE
#include "vm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define DEFAULT_MEMORY_CAP_MIB (16 * 1024)

vk_vm *vk_vm_free(vk_vm *v) {
        if (!v)
                return NULL;
        free(v->name);
        vk_firmware_clear(&v->fw);
        free(v->nvram);
        free(v->hostdevs);
        vk_strv_clear(&v->bind);
        vk_strv_clear(&v->bind_forced);
        free(v->disk);
        vk_strv_clear(&v->cdroms);
        free(v->net_name);
        free(v->usb);
        free(v->state_dir);
        vk_strv_clear(&v->notes);
        free(v);
        return NULL;
}

int vk_vm_parse_size(const char *s, uint64_t default_unit, uint64_t *ret_bytes) {
        uint64_t n = 0, unit = default_unit;
        const char *p = s;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                if (n > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                n = n * 10 + (uint64_t)(*p - '0');
        }
        if (*p) {
                switch (toupper((unsigned char)*p)) {
                case 'K':
                        unit = UINT64_C(1) << 10;
                        break;
                case 'M':
                        unit = MiB;
                        break;
                case 'G':
                        unit = GiB;
                        break;
                case 'T':
                        unit = UINT64_C(1) << 40;
                        break;
                default:
                        return -EINVAL;
                }
                p++;
                if (vk_streq(p, "iB") || vk_streq(p, "B") || vk_streq(p, "ib") || vk_streq(p, "b"))
                        p += strlen(p);
                if (*p)
                        return -EINVAL;
        }
        if (n == 0)
                return -EINVAL;
        if (n > UINT64_MAX / unit)
                return -ERANGE;
        *ret_bytes = n * unit;
        return 0;
}

void vk_vm_mac(const char *name, char ret[static 18]) {
        uint32_t h = 2166136261u; /* FNV-1a: the same name gives the same MAC on every run and host */
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 16777619u;
        snprintf(ret, 18, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

int vk_vm_note(vk_vm *v, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return vk_strv_push_take(&v->notes, s);
}

static bool valid_name(const char *s) {
        if (!s || !*s || *s == '.' || *s == '-' || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

bool vk_vm_path_exists(vk_host *h, const char *path, bool *ret_is_dir) {
        bool is_dir = false;
        bool ok = vk_host_stat(h, path, &is_dir) >= 0;
        if (ret_is_dir)
                *ret_is_dir = is_dir;
        return ok;
}

/* Sockets, cores per socket and threads per core from /proc/cpuinfo. */
static void host_topology(vk_host *h, const vk_model *m, int *ret_cpus, int *ret_cores, int *ret_threads) {
        _cleanup_free_ char *text = NULL;
        vk_strv packages = {0};
        int cpus = 0, cores = 0, siblings = 0;
        char *save = NULL;

        if (vk_host_read_file(h, "proc/cpuinfo", 16u << 20, &text, NULL) >= 0)
                for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        char *colon = strchr(line, ':');
                        int n;
                        if (!colon)
                                continue;
                        *colon = 0;
                        vk_strip(line);
                        vk_strip(colon + 1);
                        const char *val = colon + 1 + strspn(colon + 1, " \t");
                        if (vk_streq(line, "processor"))
                                cpus++;
                        else if (vk_streq(line, "physical id") && !vk_strv_contains(&packages, val))
                                vk_strv_push(&packages, val);
                        else if (vk_streq(line, "cpu cores") && !cores && vk_parse_uint(val, &n) >= 0)
                                cores = n;
                        else if (vk_streq(line, "siblings") && !siblings && vk_parse_uint(val, &n) >= 0)
                                siblings = n;
                }
        if (cpus == 0)
                cpus = m->sys.n_cpus > 0 ? m->sys.n_cpus : 1;
        *ret_cpus = cpus;
        *ret_threads = cores > 0 && siblings >= cores && siblings % cores == 0 ? siblings / cores : 1;
        *ret_cores = cpus / *ret_threads > 0 ? cpus / *ret_threads : 1; /* cores in all packages */
        (void)packages.n;
        vk_strv_clear(&packages);
}

static int plan_cpus(vk_host *h, const vk_model *m, const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        int cpus, cores, threads;

        host_topology(h, m, &cpus, &cores, &threads);
        if (o->cpus > cpus)
                return vk_error_set(err, -EINVAL, "--cpus %d: the host has %d CPUs, and a VM with a GPU wants real ones",
                                    o->cpus, cpus);
        if (o->cpus > 0)
                v->vcpus = o->cpus;
        else /* every core but one, which stays with the host (and QEMU's own threads) */
                v->vcpus = cores > 1 ? (cores - 1) * threads : cpus;
        v->threads = v->vcpus % threads == 0 ? threads : 1;
        v->cores = v->vcpus / v->threads;
        v->sockets = 1;
        v->amd_cpu = m->sys.cpu_vendor == VK_CPU_AMD;
        return 0;
}

static uint64_t meminfo_kb(vk_host *h, const char *key) {
        _cleanup_free_ char *text = NULL;
        size_t klen = strlen(key);

        if (vk_host_read_file(h, "proc/meminfo", 1u << 20, &text, NULL) < 0)
                return 0;
        for (char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == ':')
                        return strtoull(p + klen + 1, NULL, 10);
        return 0;
}

static int plan_memory(vk_host *h, const vk_model *m, const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        uint64_t host_mib = m->sys.mem_total_kb / 1024;

        if (o->memory_mib) {
                if (host_mib && o->memory_mib >= host_mib)
                        return vk_error_set(err, -EINVAL,
                                            "--memory %" PRIu64 "M: the host has only %" PRIu64 " MiB; leave it some",
                                            o->memory_mib, host_mib);
                v->memory_mib = o->memory_mib;
        } else {
                /* half the host, in whole GiB, at most 16 GiB: enough for games, and the host keeps running */
                uint64_t half = host_mib / 2 / 1024 * 1024;
                v->memory_mib = half < 1024 ? 1024 : half > DEFAULT_MEMORY_CAP_MIB ? DEFAULT_MEMORY_CAP_MIB : half;
        }
        if (m->sys.hugepages_total > 0) {
                uint64_t page_kb = meminfo_kb(h, "Hugepagesize");
                uint64_t have_mib = page_kb ? m->sys.hugepages_total * page_kb / 1024 : 0;
                v->hugepages = true;
                if (page_kb && v->memory_mib * 1024 % page_kb)
                        v->memory_mib = (v->memory_mib * 1024 + page_kb - 1) / page_kb * page_kb / 1024;
                if (have_mib < v->memory_mib)
                        return vk_vm_note(v,
                                    "the host has %" PRIu64 " MiB of hugepages, less than the VM's %" PRIu64
                                    " MiB: it will not start until vm.nr_hugepages is raised",
                                    have_mib, v->memory_mib);
        }
        return 0;
}

static const char *disk_format_of(vk_host *h, const char *path) {
        _cleanup_close_ int fd = -1;
        char head[4];
        size_t plen = strlen(path);

        /* qcow2 images start with "QFI\xfb"; anything else QEMU would open as raw */
        if (vk_host_open(h, path, O_RDONLY | O_CLOEXEC, &fd) >= 0)
                return read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) && memcmp(head, "QFI\xfb", 4) == 0
                               ? "qcow2"
                               : "raw";
        return plen > 6 && vk_streq(path + plen - 6, ".qcow2") ? "qcow2" : "raw";
}

static int plan_disk(vk_host *h, const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        bool is_dir = false, exists;

        v->disk_scsi = o->disk_scsi;
        if (!o->disk_create_bytes && !o->disk_path)
                return vk_vm_note(v, "no disk: add --disk SIZE to create one, or --disk-path for an existing image");
        if (o->disk_path)
                v->disk = strdup(o->disk_path);
        else if (o->format == VK_VM_QEMU)
                v->disk = vk_printf("%s/%s.qcow2", v->state_dir, v->name);
        else
                v->disk = vk_printf("/var/lib/libvirt/images/%s.qcow2", v->name);
        if (!v->disk)
                return -ENOMEM;
        exists = vk_vm_path_exists(h, v->disk, &is_dir);
        if (exists && is_dir)
                return vk_error_set(err, -EISDIR, "--disk-path %s is a directory; name the image file", v->disk);
        v->disk_block = vk_startswith(v->disk, "/dev/");
        if (o->disk_create_bytes) {
                if (v->disk_block)
                        return vk_error_set(err, -EINVAL, "--disk SIZE creates an image file; %s is a device: drop --disk",
                                            v->disk);
                if (exists)
                        return vk_error_set(err, -EEXIST,
                                            "%s exists: vfiokit does not overwrite a disk (use it with --disk-path %s "
                                            "and no --disk)",
                                            v->disk, v->disk);
                v->disk_create_bytes = o->disk_create_bytes;
                v->disk_format = "qcow2";
                return 0;
        }
        if (!exists) {
                if (vk_host_is_live(h))
                        return vk_error_set(err, -ENOENT, "--disk-path %s: no such file (add --disk SIZE to create it)",
                                            v->disk);
                int r = vk_vm_note(v, "--disk-path %s: not checked (it is a path on the target host, not inside --root)",
                             v->disk);
                if (r < 0)
                        return r;
        }
        v->disk_format = v->disk_block ? "raw" : disk_format_of(h, v->disk);
        return 0;
}

static int plan_cdroms(vk_host *h, const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        vk_strv entries = {0};
        const char *pick = NULL;
        int r = 0;

        if (o->iso) {
                if (!vk_vm_path_exists(h, o->iso, NULL)) {
                        if (vk_host_is_live(h))
                                return vk_error_set(err, -ENOENT, "--iso %s: no such file", o->iso);
                        r = vk_vm_note(v, "--iso %s: not checked (it is a path on the target host, not inside --root)",
                                 o->iso);
                }
                if (r >= 0)
                        r = vk_strv_push(&v->cdroms, o->iso);
                v->installer = true;
        }
        if (r < 0 || v->os == VK_VM_LINUX)
                return r;
        /* Windows has no virtio drivers of its own: its installer needs the virtio-win ISO to see the disk */
        if (vk_host_list_dir(h, "usr/share/virtio-win", &entries) >= 0)
                for (size_t i = 0; i < entries.n; i++) {
                        size_t len = strlen(entries.v[i]);
                        if (!vk_startswith(entries.v[i], "virtio-win") || len < 4 ||
                            !vk_streq(entries.v[i] + len - 4, ".iso"))
                                continue;
                        if (vk_streq(entries.v[i], "virtio-win.iso") || !pick || !vk_streq(pick, "virtio-win.iso"))
                                pick = entries.v[i]; /* the unversioned link, else the newest by name */
                }
        if (pick) {
                char *p = vk_printf("/usr/share/virtio-win/%s", pick);
                r = p ? vk_strv_push_take(&v->cdroms, p) : -ENOMEM;
        } else if (v->disk)
                r = vk_vm_note(v, "no virtio-win ISO in /usr/share/virtio-win: Windows Setup will not see the %s disk "
                            "without it (https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/)",
                         v->disk_scsi ? "virtio-scsi" : "virtio");
        vk_strv_clear(&entries);
        return r;
}

static int parse_hex4(const char *s, size_t len, uint16_t *ret) {
        unsigned v = 0;
        if (len != 4)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (!isxdigit((unsigned char)s[i]))
                        return -EINVAL;
                v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
        }
        *ret = (uint16_t)v;
        return 0;
}

static int plan_usb(const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        size_t n = 0;

        while (o->usb && o->usb[n])
                n++;
        if (!n)
                return 0;
        v->usb = calloc(n, sizeof(*v->usb));
        if (!v->usb)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *s = o->usb[i], *colon = strchr(s, ':');
                if (!colon || parse_hex4(s, (size_t)(colon - s), &v->usb[i].vendor) < 0 ||
                    parse_hex4(colon + 1, strlen(colon + 1), &v->usb[i].product) < 0)
                        return vk_error_set(err, -EINVAL, "--usb %s: expected VENDOR:PRODUCT in hex, as lsusb shows it "
                                                          "(046d:c52b)",
                                            s);
                for (size_t k = 0; k < i; k++)
                        if (v->usb[k].vendor == v->usb[i].vendor && v->usb[k].product == v->usb[i].product)
                                return vk_error_set(err, -EINVAL, "--usb %s is given twice", s);
        }
        v->n_usb = n;
        return 0;
}

static int plan_net(const vk_vm_opts *o, vk_vm *v, vk_error *err) {
        v->net = o->net;
        if (o->net == VK_VM_NET_NETWORK && o->format == VK_VM_QEMU)
                return vk_error_set(err, -EINVAL,
                                    "--network names a libvirt network; a QEMU script uses --bridge BR or --tap IFNAME "
                                    "(or neither, for user networking)");
        if (o->net != VK_VM_NET_DEFAULT) {
                if (!o->net_name || !*o->net_name || strlen(o->net_name) > 15 || strpbrk(o->net_name, " /,=\t\n'\""))
                        return vk_error_set(err, -EINVAL, "'%s' is not an interface or network name",
                                            o->net_name ? o->net_name : "");
                v->net_name = strdup(o->net_name);
        } else
                v->net_name = strdup(o->format == VK_VM_QEMU ? "user" : "default");
        if (!v->net_name)
                return -ENOMEM;
        vk_vm_mac(v->name, v->mac);
        return 0;
}

int vk_vm_plan(vk_host *h, const vk_model *m, const vk_vm_opts *o, vk_vm **ret, vk_error *err) {
        _cleanup_vm_ vk_vm *v = calloc(1, sizeof(*v));
        bool secure;
        int r;

        if (!v)
                return vk_error_set(err, -ENOMEM, "out of memory");
        if (!valid_name(o->name))
                return vk_error_set(err, -EINVAL,
                                    "'%s' is not a VM name: use letters, digits, '-', '_' and '.' (at most 64, not "
                                    "starting with '.' or '-')",
                                    o->name ? o->name : "");
        v->name = strdup(o->name);
        v->os = o->os;
        v->format = o->format;
        if (o->format == VK_VM_QEMU)
                v->state_dir = o->state_dir ? strdup(o->state_dir) : vk_printf("/var/lib/vfiokit/vm/%s", o->name);
        if (!v->name || (o->format == VK_VM_QEMU && !v->state_dir))
                return vk_error_set(err, -ENOMEM, "out of memory");
        if (o->smbios_host && o->format == VK_VM_QEMU)
                return vk_error_set(err, -EINVAL, "--smbios-host is for libvirt domains (libvirt copies the host's "
                                                  "SMBIOS tables); a QEMU script cannot");

        /* the options first, so a typo is reported before anything about the host */
        r = plan_usb(o, v, err);
        if (r >= 0)
                r = plan_net(o, v, err);
        if (r >= 0)
                r = vk_vm_plan_passthrough(h, m, o, v, err);
        if (r >= 0)
                r = plan_cpus(h, m, o, v, err);
        if (r >= 0)
                r = plan_memory(h, m, o, v, err);
        if (r >= 0) {
                secure = o->os == VK_VM_WIN11;
                r = vk_firmware_select(h, m->sys.os_id, secure, &v->fw, err);
        }
        if (r >= 0) {
                const char *ext = vk_streq(v->fw.vars_format, "qcow2") ? "qcow2" : "fd";
                v->nvram = o->format == VK_VM_QEMU ? vk_printf("%s/%s_VARS.%s", v->state_dir, v->name, ext)
                                                   : vk_printf("/var/lib/libvirt/qemu/nvram/%s_VARS.%s", v->name, ext);
                if (!v->nvram)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = plan_disk(h, o, v, err);
        if (r >= 0)
                r = plan_cdroms(h, o, v, err);
        if (r < 0) {
                if (r == -ENOMEM)
                        vk_error_set(err, r, "out of memory");
                return r;
        }
        v->hyperv = o->os != VK_VM_LINUX;
        v->tpm = o->os == VK_VM_WIN11;
        v->smbios_host = o->smbios_host;
        v->graphics = o->graphics != VK_VM_GFX_DEFAULT ? o->graphics
                      : o->format == VK_VM_QEMU        ? VK_VM_GFX_VNC
                                                       : VK_VM_GFX_SPICE;
        v->audio = o->audio;
        /* a balloon cannot take back memory that passthrough pinned for DMA: it only confuses the guest */
        v->memballoon = o->memballoon >= 0 ? o->memballoon == 1 : v->n_hostdevs == 0;
        if (v->memballoon && v->n_hostdevs)
                r = vk_vm_note(v, "--memballoon virtio with passthrough: the balloon cannot reclaim memory that is pinned "
                            "for the GPU's DMA");
        if (r >= 0 && v->graphics == VK_VM_GFX_NONE && v->n_hostdevs == 0)
                r = vk_vm_note(v, "no display and no GPU: the VM has only its serial console");
        if (r < 0)
                return vk_error_set(err, r, "out of memory");
        *ret = TAKE_PTR(v);
        return 0;
}

static char *size_text(uint64_t bytes) {
        if (bytes % GiB == 0)
                return vk_printf("%" PRIu64 "G", bytes / GiB);
        if (bytes % MiB == 0)
                return vk_printf("%" PRIu64 "M", bytes / MiB);
        return vk_printf("%" PRIu64, bytes);
}

int vk_vm_disk_argv(const vk_vm *v, vk_strv *ret) {
        vk_strv a = {0};
        char *size;
        int r = 0;

        if (!v->disk || !v->disk_create_bytes)
                return -ENOENT;
        size = size_text(v->disk_create_bytes);
        if (!size)
                return -ENOMEM;
        const char *args[] = {"qemu-img", "create", "-q", "-f", "qcow2", v->disk, size};
        for (size_t i = 0; i < ELEMENTSOF(args) && r >= 0; i++)
                r = vk_strv_push(&a, args[i]);
        free(size);
        if (r < 0) {
                vk_strv_clear(&a);
                return r;
        }
        *ret = a;
        return 0;
}
