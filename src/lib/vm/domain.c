/* domain.c — the libvirt domain XML of a planned VM (a libxml2 tree, never pasted strings), and reading one back. */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

/* A builder that remembers the first allocation failure, so the tree code reads straight. */
typedef struct xb {
        bool oom;
} xb;

static xmlNodePtr el(xb *b, xmlNodePtr parent, const char *name, const char *text) {
        xmlNodePtr n;

        if (!parent)
                return NULL;
        /* xmlNewTextChild escapes the text; xmlNewChild would parse entities in it */
        n = xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
        if (!n)
                b->oom = true;
        return n;
}

static xmlNodePtr elf(xb *b, xmlNodePtr parent, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static xmlNodePtr elf(xb *b, xmlNodePtr parent, const char *name, const char *fmt, ...) {
        char text[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        return el(b, parent, name, text);
}

/* Set attributes from NULL-terminated name, value pairs. */
static xmlNodePtr at(xb *b, xmlNodePtr n, ...) {
        va_list ap;
        const char *name;

        if (!n)
                return NULL;
        va_start(ap, n);
        while ((name = va_arg(ap, const char *))) {
                const char *value = va_arg(ap, const char *);
                if (!xmlNewProp(n, BAD_CAST name, BAD_CAST value))
                        b->oom = true;
        }
        va_end(ap);
        return n;
}

static xmlNodePtr state_on(xb *b, xmlNodePtr parent, const char *name) {
        return at(b, el(b, parent, name, NULL), "state", "on", NULL);
}

static void pci_address(xb *b, xmlNodePtr parent, const char *addr, bool with_type, bool multifunction) {
        unsigned dom = 0, bus = 0, slot = 0, fn = 0;
        char d[8], bu[8], s[8], f[8];

        sscanf(addr, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
        snprintf(d, sizeof(d), "0x%04x", dom);
        snprintf(bu, sizeof(bu), "0x%02x", bus);
        snprintf(s, sizeof(s), "0x%02x", slot);
        snprintf(f, sizeof(f), "0x%x", fn);
        xmlNodePtr a = el(b, parent, "address", NULL);
        if (with_type)
                at(b, a, "type", "pci", NULL);
        at(b, a, "domain", d, "bus", bu, "slot", s, "function", f, NULL);
        if (multifunction)
                at(b, a, "multifunction", "on", NULL);
}

static const char *osinfo_id(vk_vm_os os) {
        switch (os) {
        case VK_VM_WIN11:
                return "http://microsoft.com/win/11";
        case VK_VM_WIN10:
                return "http://microsoft.com/win/10";
        case VK_VM_LINUX:
                break;
        }
        return "http://libosinfo.org/linux/2022";
}

static void add_os(xb *b, xmlNodePtr dom, const vk_vm *v) {
        xmlNodePtr os = el(b, dom, "os", NULL), n;

        at(b, el(b, os, "type", "hvm"), "arch", "x86_64", "machine", "q35", NULL);
        n = at(b, el(b, os, "loader", v->fw.code), "readonly", "yes", "type", "pflash", NULL);
        if (v->fw.secure_boot && v->fw.requires_smm)
                at(b, n, "secure", "yes", NULL);
        if (!vk_streq(v->fw.code_format, "raw"))
                at(b, n, "format", v->fw.code_format, NULL);
        n = at(b, el(b, os, "nvram", v->nvram), "template", v->fw.vars, NULL);
        if (!vk_streq(v->fw.vars_format, "raw"))
                at(b, n, "format", v->fw.vars_format, NULL);
        if (v->smbios_host)
                at(b, el(b, os, "smbios", NULL), "mode", "host", NULL);
}

static void add_features(xb *b, xmlNodePtr dom, const vk_vm *v) {
        xmlNodePtr f = el(b, dom, "features", NULL), hv;

        el(b, f, "acpi", NULL);
        el(b, f, "apic", NULL);
        if (v->hyperv) {
                /* what Windows uses to run well under KVM; vendor_id also stops old drivers' hypervisor check */
                hv = at(b, el(b, f, "hyperv", NULL), "mode", "custom", NULL);
                state_on(b, hv, "relaxed");
                state_on(b, hv, "vapic");
                at(b, state_on(b, hv, "spinlocks"), "retries", "8191", NULL);
                state_on(b, hv, "vpindex");
                state_on(b, hv, "runtime");
                state_on(b, hv, "synic");
                state_on(b, hv, "stimer");
                state_on(b, hv, "reset");
                at(b, state_on(b, hv, "vendor_id"), "value", "vfiokit", NULL);
                state_on(b, hv, "frequencies");
                state_on(b, hv, "tlbflush");
                state_on(b, hv, "ipi");
        }
        if (v->kvm_hidden)
                state_on(b, el(b, f, "kvm", NULL), "hidden");
        at(b, el(b, f, "vmport", NULL), "state", "off", NULL);
        if (v->fw.requires_smm)
                state_on(b, f, "smm");
        at(b, el(b, f, "ioapic", NULL), "driver", "kvm", NULL);
}

static void add_cpu(xb *b, xmlNodePtr dom, const vk_vm *v) {
        xmlNodePtr c = at(b, el(b, dom, "cpu", NULL), "mode", "host-passthrough", "check", "none", "migratable", "off",
                          NULL);
        char s[16], co[16], t[16];

        snprintf(s, sizeof(s), "%d", v->sockets);
        snprintf(co, sizeof(co), "%d", v->cores);
        snprintf(t, sizeof(t), "%d", v->threads);
        at(b, el(b, c, "topology", NULL), "sockets", s, "dies", "1", "cores", co, "threads", t, NULL);
        at(b, el(b, c, "cache", NULL), "mode", "passthrough", NULL);
        if (v->amd_cpu && v->threads > 1) /* AMD guests see SMT siblings only with topoext */
                at(b, el(b, c, "feature", NULL), "policy", "require", "name", "topoext", NULL);
}

static void add_clock(xb *b, xmlNodePtr dom, const vk_vm *v) {
        /* Windows keeps the RTC in local time */
        xmlNodePtr c = at(b, el(b, dom, "clock", NULL), "offset", v->os == VK_VM_LINUX ? "utc" : "localtime", NULL);

        at(b, el(b, c, "timer", NULL), "name", "rtc", "tickpolicy", "catchup", NULL);
        at(b, el(b, c, "timer", NULL), "name", "pit", "tickpolicy", "delay", NULL);
        at(b, el(b, c, "timer", NULL), "name", "hpet", "present", "no", NULL);
        if (v->hyperv)
                at(b, el(b, c, "timer", NULL), "name", "hypervclock", "present", "yes", NULL);
}

static void add_disks(xb *b, xmlNodePtr devs, const vk_vm *v) {
        xmlNodePtr d;
        char dev[8];
        int sd = 0;

        if (v->disk) {
                d = at(b, el(b, devs, "disk", NULL), "type", v->disk_block ? "block" : "file", "device", "disk", NULL);
                at(b, el(b, d, "driver", NULL), "name", "qemu", "type", v->disk_format, "cache", "none", "io", "native",
                   "discard", "unmap", NULL);
                at(b, el(b, d, "source", NULL), v->disk_block ? "dev" : "file", v->disk, NULL);
                if (v->disk_scsi)
                        snprintf(dev, sizeof(dev), "sd%c", 'a' + sd++);
                else
                        snprintf(dev, sizeof(dev), "vda");
                at(b, el(b, d, "target", NULL), "dev", dev, "bus", v->disk_scsi ? "scsi" : "virtio", NULL);
                at(b, el(b, d, "boot", NULL), "order", "1", NULL);
        }
        for (size_t i = 0; i < v->cdroms.n && sd < 26; i++) {
                d = at(b, el(b, devs, "disk", NULL), "type", "file", "device", "cdrom", NULL);
                at(b, el(b, d, "driver", NULL), "name", "qemu", "type", "raw", NULL);
                at(b, el(b, d, "source", NULL), "file", v->cdroms.v[i], NULL);
                snprintf(dev, sizeof(dev), "sd%c", 'a' + sd++);
                at(b, el(b, d, "target", NULL), "dev", dev, "bus", "sata", NULL);
                el(b, d, "readonly", NULL);
                if (i == 0 && v->installer) /* the installer boots when the new disk is still empty */
                        at(b, el(b, d, "boot", NULL), "order", "2", NULL);
        }
}

static void add_controllers(xb *b, xmlNodePtr devs, const vk_vm *v) {
        at(b, el(b, devs, "controller", NULL), "type", "pci", "index", "0", "model", "pcie-root", NULL);
        /* one root port per guest slot of passed-through functions: a GPU sits behind a PCIe port as on the host */
        for (int i = 1; i <= v->n_root_ports; i++) {
                char idx[16];
                snprintf(idx, sizeof(idx), "%d", i);
                at(b, el(b, devs, "controller", NULL), "type", "pci", "index", idx, "model", "pcie-root-port", NULL);
        }
        at(b, el(b, devs, "controller", NULL), "type", "usb", "index", "0", "model", "qemu-xhci", "ports", "15", NULL);
        if (v->disk_scsi)
                at(b, el(b, devs, "controller", NULL), "type", "scsi", "index", "0", "model", "virtio-scsi", NULL);
}

static void add_interface(xb *b, xmlNodePtr devs, const vk_vm *v) {
        static const char *const types[] = {
                [VK_VM_NET_DEFAULT] = "network",
                [VK_VM_NET_NETWORK] = "network",
                [VK_VM_NET_BRIDGE] = "bridge",
                [VK_VM_NET_TAP] = "ethernet",
        };
        xmlNodePtr i = at(b, el(b, devs, "interface", NULL), "type", types[v->net], NULL);

        at(b, el(b, i, "mac", NULL), "address", v->mac, NULL);
        if (v->net == VK_VM_NET_TAP) /* an existing tap the user set up (seed 000: systemd-networkd) */
                at(b, el(b, i, "target", NULL), "dev", v->net_name, "managed", "no", NULL);
        else
                at(b, el(b, i, "source", NULL), v->net == VK_VM_NET_BRIDGE ? "bridge" : "network", v->net_name, NULL);
        at(b, el(b, i, "model", NULL), "type", "virtio", NULL);
}

static void add_display(xb *b, xmlNodePtr devs, const vk_vm *v) {
        xmlNodePtr g;

        if (v->graphics == VK_VM_GFX_NONE) {
                /* the passed-through GPU is the only display */
                at(b, el(b, el(b, devs, "video", NULL), "model", NULL), "type", "none", NULL);
                return;
        }
        at(b, el(b, devs, "input", NULL), "type", "tablet", "bus", "usb", NULL);
        g = at(b, el(b, devs, "graphics", NULL), "type", v->graphics == VK_VM_GFX_VNC ? "vnc" : "spice", "autoport",
               "yes", NULL);
        at(b, el(b, g, "listen", NULL), "type", "address", "address", "127.0.0.1", NULL);
        /* plain VGA: OVMF and every installer drive it without extra drivers */
        at(b, el(b, el(b, devs, "video", NULL), "model", NULL), "type", "vga", NULL);
        if (v->graphics == VK_VM_GFX_SPICE)
                at(b, el(b, at(b, el(b, devs, "channel", NULL), "type", "spicevmc", NULL), "target", NULL), "type",
                   "virtio", "name", "com.redhat.spice.0", NULL);
}

/* --audio ich9: an emulated HD Audio controller; its sound goes to the SPICE client, or nowhere without SPICE. */
static void add_sound(xb *b, xmlNodePtr devs, const vk_vm *v) {
        if (v->audio != VK_VM_AUDIO_ICH9)
                return;
        at(b, el(b, at(b, el(b, devs, "sound", NULL), "model", "ich9", NULL), "audio", NULL), "id", "1", NULL);
        at(b, el(b, devs, "audio", NULL), "id", "1", "type", v->graphics == VK_VM_GFX_SPICE ? "spice" : "none", NULL);
}

static void add_hostdevs(xb *b, xmlNodePtr devs, const vk_vm *v) {
        for (size_t i = 0; i < v->n_hostdevs; i++) {
                const vk_vm_hostdev *d = &v->hostdevs[i];
                xmlNodePtr h = at(b, el(b, devs, "hostdev", NULL), "mode", "subsystem", "type", "pci", "managed", "yes",
                                  NULL);
                char guest[16];

                pci_address(b, el(b, h, "source", NULL), d->host, false, false);
                at(b, el(b, h, "alias", NULL), "name", d->alias, NULL);
                if (d->rom)
                        at(b, el(b, h, "rom", NULL), "file", d->rom, NULL);
                snprintf(guest, sizeof(guest), "0000:%02x:00.%d", d->bus, d->function);
                pci_address(b, h, guest, true, d->multifunction);
        }
        for (size_t i = 0; i < v->n_usb; i++) {
                xmlNodePtr h = at(b, el(b, devs, "hostdev", NULL), "mode", "subsystem", "type", "usb", "managed", "yes",
                                  NULL);
                xmlNodePtr s = el(b, h, "source", NULL);
                char id[8];
                snprintf(id, sizeof(id), "0x%04x", v->usb[i].vendor);
                at(b, el(b, s, "vendor", NULL), "id", id, NULL);
                snprintf(id, sizeof(id), "0x%04x", v->usb[i].product);
                at(b, el(b, s, "product", NULL), "id", id, NULL);
        }
}

/* Laptop dGPUs: the guest must see the real subsystem ids. <qemu:override> (libvirt >= 8.2) sets the
 * vfio-pci properties in decimal; the old <qemu:commandline> "-set device.hostdev0…" broke in libvirt 8.1. */
static void add_overrides(xb *b, xmlNodePtr dom, xmlNsPtr qemu, const vk_vm *v) {
        xmlNodePtr o = NULL;

        for (size_t i = 0; i < v->n_hostdevs; i++) {
                const vk_vm_hostdev *d = &v->hostdevs[i];
                char val[16];
                xmlNodePtr dev, fe;

                if (!d->sub_ids)
                        continue;
                if (!o && !(o = xmlNewChild(dom, qemu, BAD_CAST "override", NULL)))
                        b->oom = true;
                dev = o ? xmlNewChild(o, qemu, BAD_CAST "device", NULL) : NULL;
                at(b, dev, "alias", d->alias, NULL);
                fe = dev ? xmlNewChild(dev, qemu, BAD_CAST "frontend", NULL) : NULL;
                snprintf(val, sizeof(val), "%u", d->sub_vendor);
                at(b, fe ? xmlNewChild(fe, qemu, BAD_CAST "property", NULL) : NULL, "name", "x-pci-sub-vendor-id", "type",
                   "unsigned", "value", val, NULL);
                snprintf(val, sizeof(val), "%u", d->sub_device);
                at(b, fe ? xmlNewChild(fe, qemu, BAD_CAST "property", NULL) : NULL, "name", "x-pci-sub-device-id", "type",
                   "unsigned", "value", val, NULL);
                if (!dev || !fe)
                        b->oom = true;
        }
}

static xmlDocPtr build(const vk_vm *v) {
        xb b = {0};
        xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
        xmlNodePtr dom, n, devs;
        xmlNsPtr qemu = NULL, osinfo;
        bool overrides = false;

        if (!doc)
                return NULL;
        dom = xmlNewDocNode(doc, NULL, BAD_CAST "domain", NULL);
        if (!dom) {
                xmlFreeDoc(doc);
                return NULL;
        }
        xmlDocSetRootElement(doc, dom);
        at(&b, dom, "type", "kvm", NULL);
        for (size_t i = 0; i < v->n_hostdevs; i++)
                overrides |= v->hostdevs[i].sub_ids;
        if (overrides && !(qemu = xmlNewNs(dom, BAD_CAST QEMU_NS, BAD_CAST "qemu")))
                b.oom = true;
        el(&b, dom, "name", v->name);
        if (v->n_hostdevs)
                elf(&b, dom, "description", "Written by vfiokit vm new: %s and the rest of its IOMMU group passed through.",
                    v->hostdevs[0].host);
        else
                el(&b, dom, "description", "Written by vfiokit vm new, without passed-through devices.");
        n = el(&b, el(&b, dom, "metadata", NULL), "libosinfo", NULL);
        if (n && (osinfo = xmlNewNs(n, BAD_CAST LIBOSINFO_NS, BAD_CAST "libosinfo")))
                xmlSetNs(n, osinfo);
        else
                b.oom = true, osinfo = NULL;
        if (n && osinfo)
                at(&b, xmlNewChild(n, osinfo, BAD_CAST "os", NULL), "id", osinfo_id(v->os), NULL);
        at(&b, elf(&b, dom, "memory", "%" PRIu64, v->memory_mib), "unit", "MiB", NULL);
        at(&b, elf(&b, dom, "currentMemory", "%" PRIu64, v->memory_mib), "unit", "MiB", NULL);
        if (v->hugepages)
                el(&b, el(&b, dom, "memoryBacking", NULL), "hugepages", NULL);
        at(&b, elf(&b, dom, "vcpu", "%d", v->vcpus), "placement", "static", NULL);
        add_os(&b, dom, v);
        add_features(&b, dom, v);
        add_cpu(&b, dom, v);
        add_clock(&b, dom, v);
        el(&b, dom, "on_poweroff", "destroy");
        el(&b, dom, "on_reboot", "restart");
        el(&b, dom, "on_crash", "destroy");
        n = el(&b, dom, "pm", NULL);
        at(&b, el(&b, n, "suspend-to-mem", NULL), "enabled", "no", NULL);
        at(&b, el(&b, n, "suspend-to-disk", NULL), "enabled", "no", NULL);

        devs = el(&b, dom, "devices", NULL);
        add_disks(&b, devs, v);
        add_controllers(&b, devs, v);
        add_interface(&b, devs, v);
        add_display(&b, devs, v);
        add_sound(&b, devs, v);
        if (v->os == VK_VM_LINUX) {
                at(&b, el(&b, devs, "serial", NULL), "type", "pty", NULL);
                at(&b, el(&b, devs, "console", NULL), "type", "pty", NULL);
        }
        if (v->tpm)
                at(&b, el(&b, at(&b, el(&b, devs, "tpm", NULL), "model", "tpm-crb", NULL), "backend", NULL), "type",
                   "emulator", "version", "2.0", NULL);
        add_hostdevs(&b, devs, v);
        at(&b, el(&b, devs, "memballoon", NULL), "model", v->memballoon ? "virtio" : "none", NULL);
        if (qemu)
                add_overrides(&b, dom, qemu, v);
        if (b.oom) {
                xmlFreeDoc(doc);
                return NULL;
        }
        return doc;
}

int vk_vm_domain_xml(const vk_vm *v, char **ret, size_t *ret_len) {
        xmlDocPtr doc = build(v);
        xmlBufferPtr buf = NULL;
        xmlSaveCtxtPtr save;
        char *out = NULL;
        size_t len;
        int r = -ENOMEM;

        if (!doc)
                return -ENOMEM;
        buf = xmlBufferCreate();
        save = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL) : NULL;
        if (save) {
                long w = xmlSaveDoc(save, doc);
                if (xmlSaveClose(save) >= 0 && w >= 0) {
                        len = (size_t)xmlBufferLength(buf);
                        out = malloc(len + 1);
                        if (out) {
                                memcpy(out, xmlBufferContent(buf), len);
                                out[len] = 0;
                                *ret = out;
                                if (ret_len)
                                        *ret_len = len;
                                r = 0;
                        }
                } else
                        r = -EIO;
        }
        if (buf)
                xmlBufferFree(buf);
        xmlFreeDoc(doc);
        return r;
}


/* Run argv and collect its stdout and stderr (both pipes drained together, so neither can fill up and block). */
static int spawn_capture(char *const argv[], char **ret_out, size_t *ret_len, char **ret_err, int *ret_status) {
        int out[2] = {-1, -1}, err[2] = {-1, -1}, r, status;
        char *bufs[2] = {NULL, NULL};
        size_t lens[2] = {0, 0};
        pid_t pid;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                goto close;
        }
        /* fork and execvp, not posix_spawn: <spawn.h> would be this library's own header where src/lib is on the
         * include path (the fuzz build); the child only calls async-signal-safe functions */
        pid = fork();
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
                    dup2(err[1], STDERR_FILENO) < 0)
                        _exit(126);
                execvp(argv[0], argv);
                _exit(errno == ENOENT ? 127 : 126); /* the shell's "not found" and "cannot run" */
        }
        r = pid < 0 ? -errno : 0;
        close(out[1]);
        close(err[1]);
        out[1] = err[1] = -1;
        if (r < 0)
                goto close;
        struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
        while (p[0].fd >= 0 || p[1].fd >= 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (int i = 0; i < 2; i++) {
                        char chunk[16384];
                        ssize_t n;
                        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        n = read(p[i].fd, chunk, sizeof(chunk));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                p[i].fd = -1;
                                continue;
                        }
                        char *nb = realloc(bufs[i], lens[i] + (size_t)n + 1);
                        if (!nb) {
                                r = -ENOMEM;
                                p[0].fd = p[1].fd = -1;
                                break;
                        }
                        memcpy(nb + lens[i], chunk, (size_t)n);
                        lens[i] += (size_t)n;
                        nb[lens[i]] = 0;
                        bufs[i] = nb;
                }
        }
        close(out[0]);
        close(err[0]);
        out[0] = err[0] = -1;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        goto close;
                }
        if (r < 0)
                goto close;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !bufs[0] && !bufs[1]) {
                r = -ENOENT; /* execvp found no such program */
                goto close;
        }
        if (!bufs[0] && !(bufs[0] = strdup(""))) {
                r = -ENOMEM;
                goto close;
        }
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        *ret_out = bufs[0];
        *ret_len = lens[0];
        *ret_err = bufs[1];
        return 0;
close:
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (err[i] >= 0)
                        close(err[i]);
                free(bufs[i]);
        }
        return r;
}

int vk_vm_dumpxml(const char *name, char **ret, size_t *ret_len, vk_error *err) {
        /* --inactive: the definition the user edits, not the live one with libvirt's runtime additions */
        char *argv[] = {"virsh", "--connect", "qemu:///system", "dumpxml", "--inactive", "--", (char *)name, NULL};
        const char *uri = getenv("LIBVIRT_DEFAULT_URI");
        _cleanup_free_ char *errtext = NULL;
        char *out = NULL;
        size_t len = 0;
        int status = 0, r;

        if (uri && *uri) /* the user's own choice of connection beats the system one passthrough VMs live in */
                argv[2] = (char *)uri;
        r = spawn_capture(argv, &out, &len, &errtext, &status);
        if (r == -ENOENT)
                return vk_error_set(err, r, "virsh is not installed (Debian: libvirt-clients); lint the file instead: "
                                            "vfiokit vm lint FILE.xml");
        if (r < 0)
                return vk_error_set(err, r, "running virsh dumpxml %s: %s", name, strerror(-r));
        if (status != 0) {
                free(out);
                return vk_error_set(err, -ENOENT, "virsh dumpxml %s failed: %s", name,
                                    errtext && *errtext ? vk_strip(errtext) : "(no message)");
        }
        *ret = out;
        *ret_len = len;
        return 0;
}
