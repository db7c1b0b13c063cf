/* guest-readme.c — reading the VM's libvirt definition, and README-guest.txt: the steps after the install. */
#define _GNU_SOURCE
#include "guest.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

static bool is_el(const xmlNode *n, const char *name, const char *ns) {
        if (!n || n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST name))
                return false;
        return ns ? n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns) : !n->ns;
}

static xmlNode *child(const xmlNode *n, const char *name, const char *ns) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (is_el(c, name, ns))
                        return c;
        return NULL;
}

/* An attribute as a C string (caller frees), NULL when absent. */
static char *attr(const xmlNode *n, const char *name) {
        xmlChar *v = n ? xmlGetProp(n, BAD_CAST name) : NULL;
        char *s = v ? strdup((const char *)v) : NULL;
        xmlFree(v);
        return s;
}

static bool hex_attr(const xmlNode *n, const char *name, unsigned long max, unsigned long *ret) {
        _cleanup_free_ char *v = attr(n, name);
        char *end;

        if (!v || !*v)
                return false;
        errno = 0;
        *ret = strtoul(v, &end, 0); /* libvirt writes 0x… but takes decimal too */
        return !errno && !*end && *ret <= max;
}

static int add_hostdev(vk_guest_vm *vm, const xmlNode *hd, const char *path, vk_error *err) {
        xmlNode *a = child(child(hd, "source", NULL), "address", NULL);
        unsigned long dom, bus, slot, fn;
        vk_guest_hostdev *v, *d;

        if (!a)
                return 0; /* a hostdev by other means (a mdev, a USB device): not a PCI function of this host */
        if (!hex_attr(a, "domain", 0xffff, &dom) || !hex_attr(a, "bus", 0xff, &bus) ||
            !hex_attr(a, "slot", 0x1f, &slot) || !hex_attr(a, "function", 7, &fn))
                return vk_error_set(err, -EINVAL, "%s:%ld: a <hostdev> source address is not a PCI address; fix it "
                                    "(virsh edit) or write the VM again with vfiokit vm new", path, xmlGetLineNo(a));
        v = realloc(vm->hostdevs, (vm->n_hostdevs + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        vm->hostdevs = v;
        d = &v[vm->n_hostdevs++];
        *d = (vk_guest_hostdev){0};
        snprintf(d->addr, sizeof(d->addr), "%04lx:%02lx:%02lx.%lx", dom, bus, slot, fn);
        d->alias = attr(child(hd, "alias", NULL), "name");
        return 0;
}

/* <qemu:override><qemu:device alias=A><qemu:frontend><qemu:property name='x-pci-sub-vendor-id'… */
static void mark_overrides(vk_guest_vm *vm, const xmlNode *ov) {
        for (xmlNode *dev = ov->children; dev; dev = dev->next) {
                _cleanup_free_ char *alias = is_el(dev, "device", QEMU_NS) ? attr(dev, "alias") : NULL;
                bool sub = false;

                for (xmlNode *p = child(child(dev, "frontend", QEMU_NS), "property", QEMU_NS); alias && p;
                     p = p->next) {
                        _cleanup_free_ char *name = is_el(p, "property", QEMU_NS) ? attr(p, "name") : NULL;
                        sub |= name && vk_streq(name, "x-pci-sub-vendor-id");
                }
                for (size_t i = 0; sub && i < vm->n_hostdevs; i++)
                        if (vm->hostdevs[i].alias && vk_streq(vm->hostdevs[i].alias, alias))
                                vm->hostdevs[i].sub_ids = true;
        }
}

/* The first error libxml2 reports names the line to fix; later ones are its consequences. */
typedef struct first_error {
        int line;
        char message[256];
} first_error;

static void on_xml_error(void *ctx, xmlErrorPtr e) {
        first_error *f = ctx;
        if (!f->message[0] && e && e->level >= XML_ERR_ERROR) {
                f->line = e->line;
                snprintf(f->message, sizeof(f->message), "%s", e->message ? e->message : "parse error");
                vk_strip(f->message);
                for (char *p = f->message; *p; p++) /* one line: libxml2 puts the offending bytes on a second */
                        if ((unsigned char)*p < 0x20 || *p == 0x7f)
                                *p = ' ';
        }
}

static void ignore_generic_error(void *ctx, const char *msg, ...) {
        (void)ctx;
        (void)msg;
}

/* The library never prints: this thread's libxml2 messages go to on_xml_error while we parse. */
static xmlDocPtr parse(const char *xml, size_t len, first_error *first) {
        xmlGenericErrorFunc old_generic = xmlGenericError;
        void *old_generic_ctx = xmlGenericErrorContext;
        xmlStructuredErrorFunc old_structured = xmlStructuredError;
        void *old_structured_ctx = xmlStructuredErrorContext;
        xmlDocPtr doc;

        xmlInitParser();
        xmlSetGenericErrorFunc(NULL, ignore_generic_error);
        xmlSetStructuredErrorFunc(first, on_xml_error);
        /* no network, no DTD, no entity substitution: a domain never needs them */
        doc = xmlReadMemory(len ? xml : "", (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
        xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
        xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
        if (doc && first->message[0]) { /* recovered from an error: still not well-formed */
                xmlFreeDoc(doc);
                doc = NULL;
        }
        return doc;
}

static void xml_doc_freep(xmlDocPtr *d) {
        if (*d)
                xmlFreeDoc(*d);
}

int vk_guest_vm_parse(const char *xml, size_t len, const char *path, vk_guest_vm *ret, vk_error *err) {
        _cleanup_(xml_doc_freep) xmlDocPtr doc = NULL;
        vk_guest_vm vm = {.found = true};
        first_error first = {0};
        bool used[26] = {0};
        xmlNode *root, *devs, *c;
        int r = 0;

        if (len > INT32_MAX)
                return vk_error_set(err, -EFBIG, "%s: too large for a domain definition", path);
        if (!len)
                return vk_error_set(err, -EINVAL, "%s: the file is empty; write the VM again with vfiokit vm new or "
                                    "remove the file", path);
        doc = parse(xml, len, &first);
        if (!doc)
                return vk_error_set(err, -EINVAL, "%s:%d: not well-formed XML (%s); fix it with virsh edit", path,
                                    first.line, first.message[0] ? vk_strip(first.message) : "no document");
        root = xmlDocGetRootElement(doc);
        if (!is_el(root, "domain", NULL))
                return vk_error_set(err, -EINVAL, "%s: the root element is not <domain>: not a libvirt domain "
                                    "definition", path);
        for (c = child(child(child(root, "metadata", NULL), "libosinfo", LIBOSINFO_NS), "os", LIBOSINFO_NS); c;) {
                _cleanup_free_ char *id = attr(c, "id");
                if (id && strstr(id, "microsoft.com/win/11"))
                        vm.os_known = true, vm.os = VK_GUEST_WIN11;
                else if (id && strstr(id, "microsoft.com/win/10"))
                        vm.os_known = true, vm.os = VK_GUEST_WIN10;
                break;
        }
        devs = child(root, "devices", NULL);
        for (c = devs ? devs->children : NULL; c && r >= 0; c = c->next) {
                if (is_el(c, "hostdev", NULL)) {
                        _cleanup_free_ char *type = attr(c, "type");
                        if (type && vk_streq(type, "pci"))
                                r = add_hostdev(&vm, c, path, err);
                } else if (is_el(c, "shmem", NULL)) {
                        _cleanup_free_ char *model = attr(child(c, "model", NULL), "type");
                        vm.has_shmem |= model && vk_startswith(model, "ivshmem");
                } else if (is_el(c, "disk", NULL)) {
                        _cleanup_free_ char *dev = attr(child(c, "target", NULL), "dev");
                        if (dev && vk_startswith(dev, "sd") && dev[2] >= 'a' && dev[2] <= 'z' && !dev[3])
                                used[dev[2] - 'a'] = true;
                }
        }
        if (r < 0) {
                vk_guest_vm_clear(&vm);
                return r == -ENOMEM ? vk_error_set(err, r, "%s: out of memory", path) : r;
        }
        for (c = root->children; c; c = c->next) {
                if (is_el(c, "override", QEMU_NS))
                        mark_overrides(&vm, c);
                else if (is_el(c, "commandline", QEMU_NS))
                        for (xmlNode *a = c->children; a; a = a->next) {
                                _cleanup_free_ char *v = is_el(a, "arg", QEMU_NS) ? attr(a, "value") : NULL;
                                vm.has_acpitable |= v && vk_streq(v, "-acpitable");
                        }
        }
        for (int i = 0; i < 26; i++)
                if (!used[i]) {
                        snprintf(vm.free_cdrom, sizeof(vm.free_cdrom), "sd%c", 'a' + i);
                        break;
                }
        vm.path = strdup(path);
        if (!vm.path) {
                vk_guest_vm_clear(&vm);
                return vk_error_set(err, -ENOMEM, "%s: out of memory", path);
        }
        *ret = vm;
        return 0;
}

bool vk_guest_valid_vm_name(const char *s) {
        if (!s || !*s || *s == '.' || *s == '-' || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

int vk_guest_vm_load(vk_host *h, const char *name, vk_guest_vm *ret, vk_error *err) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        size_t len = 0;
        int r;

        if (!vk_guest_valid_vm_name(name))
                return vk_error_set(err, -EINVAL, "'%s' is not a VM name: use letters, digits, '-', '_' and '.' "
                                    "(at most 64, not starting with '.' or '-')", name ? name : "");
        path = vk_printf("/etc/libvirt/qemu/%s.xml", name);
        if (!path)
                return -ENOMEM;
        r = vk_host_read_file(h, path, 4 << 20, &xml, &len);
        if (r == -ENOENT) {
                *ret = (vk_guest_vm){.found = false, .path = TAKE_PTR(path)};
                return 0;
        }
        if (r < 0)
                return vk_error_set(err, r, "%s: %s; run as a user who can read it (sudo) or fix its permissions",
                                    path, strerror(-r));
        return vk_guest_vm_parse(xml, len, path, ret, err);
}

void vk_guest_vm_clear(vk_guest_vm *vm) {
        for (size_t i = 0; i < vm->n_hostdevs; i++)
                free(vm->hostdevs[i].alias);
        free(vm->hostdevs);
        free(vm->path);
        *vm = (vk_guest_vm){0};
}

static const char *os_name(vk_guest_os os) { return os == VK_GUEST_WIN11 ? "Windows 11" : "Windows 10"; }

/* The VM's own devices: what its definition passes through, and what a laptop's dGPU needs besides. */
static void gpu_section(FILE *f, const vk_guest_opts *o, const vk_guest_vm *vm, const vk_model *m) {
        bool laptop = false, all_sub_ids = true, any = false;

        fprintf(f, "3. The GPU\n\n");
        if (!vm->found) {
                fprintf(f, "   There is no libvirt definition %s on this host, so this section is generic.\n"
                           "   Once the VM exists (vfiokit vm new %s --gpu DEVICE --define), run guest media again\n"
                           "   for the text about its own GPU.\n\n"
                           "   A desktop GPU: connect a monitor to one of its outputs, or give it a dummy plug or the\n"
                           "   virtual display of step 4. A laptop's MUXless dGPU (a 3D controller without outputs)\n"
                           "   also needs the laptop's subsystem ids and a fake battery: vm new sets the ids; the\n"
                           "   battery is described in the ArchWiki page \"PCI passthrough via OVMF\" (Code 43 with\n"
                           "   mobile NVIDIA GPUs).\n\n",
                        vm->path, o->vm);
                return;
        }
        if (!vm->n_hostdevs) {
                fprintf(f, "   %s passes no PCI device through: the guest sees only the emulated display.\n"
                           "   Add the GPU with vfiokit vm new %s --gpu DEVICE.\n\n", vm->path, o->vm);
                return;
        }
        fprintf(f, "   %s passes these PCI functions through:\n\n", vm->path);
        for (size_t i = 0; i < vm->n_hostdevs; i++) {
                const vk_guest_hostdev *d = &vm->hostdevs[i];
                const vk_func *fn = m ? vk_model_find(m, d->addr) : NULL;
                bool is_3d = fn && fn->ids_valid && (fn->class_code >> 8) == VK_CLASS_3D;

                if (fn && fn->ids_valid)
                        fprintf(f, "     %s  [%04x:%04x]  %s%s%s%s\n", d->addr, fn->vendor, fn->device,
                                fn->vendor_name ? fn->vendor_name : "", fn->vendor_name ? " " : "",
                                fn->device_name ? fn->device_name : "(no name in pci.ids)",
                                is_3d ? "  (3D controller)" : "");
                else
                        fprintf(f, "     %s  (not found on this host: is it the host the VM runs on?)\n", d->addr);
                if (is_3d || d->sub_ids) {
                        laptop = true;
                        all_sub_ids &= d->sub_ids;
                }
                any |= fn && fn->ids_valid && vk_func_is_gpu(fn);
        }
        fprintf(f, "\n");
        if (laptop) {
                fprintf(f, "   This is a laptop's MUXless dGPU: it has no outputs of its own, and its Windows driver wants\n"
                           "   what a desktop card does not:\n"
                           "   - the laptop's subsystem ids: %s\n"
                           "   - a battery: NVIDIA's mobile driver stops at Code 43 in a VM without one. %s\n"
                           "   - a display: it draws through the host's iGPU, so the guest needs the virtual display of\n"
                           "     step 4 and a way to see it: streaming or Looking Glass (step 6).\n\n",
                        all_sub_ids ? "the definition sets them (<qemu:override>, x-pci-sub-vendor-id)."
                                    : "the definition does NOT set them. Write the VM again with vfiokit vm new\n"
                                      "     (it adds <qemu:override> with x-pci-sub-vendor-id/-device-id), or add it.",
                        vm->has_acpitable ? "The definition already passes an -acpitable: check that it is the battery."
                                          : "Give it the fake\n"
                                            "     battery table SSDT1.dat of the ArchWiki page \"PCI passthrough via OVMF\" (section on\n"
                                            "     Code 43 with mobile NVIDIA GPUs), added with virsh edit at the end of <domain>\n"
                                            "     (xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0' on <domain>):\n"
                                            "       <qemu:commandline>\n"
                                            "         <qemu:arg value='-acpitable'/>\n"
                                            "         <qemu:arg value='file=/var/lib/libvirt/qemu/SSDT1.dat'/>\n"
                                            "       </qemu:commandline>");
        } else if (any) {
                fprintf(f, "   A desktop GPU: connect a monitor to one of its outputs, or use a dummy plug or the virtual\n"
                           "   display of step 4 when it runs headless.\n\n");
        }
        fprintf(f, "   Windows Update installs the GPU's driver by itself once the VM is online; or install the\n"
                   "   vendor's driver (nvidia.com, amd.com, intel.com). Device Manager shows it under Display adapters.\n\n");
}

static void iso_step(FILE *f, const vk_guest_opts *o, const vk_guest_vm *vm, const char *iso_name) {
        const char *target = vm->found && vm->free_cdrom[0] ? vm->free_cdrom : "sdc";

        fprintf(f, "1. Install Windows with the answer file\n\n"
                   "   Windows Setup reads autounattend.xml from the root of every CD and USB drive it finds.\n");
        if (iso_name)
                fprintf(f, "   %s holds these files: attach it to the VM as one more CD before its first start:\n", iso_name);
        else
                fprintf(f, "   Pack it into a small CD image (or run guest media again with --iso FILE.iso):\n"
                           "     xorriso -as mkisofs -J -r -V VFIOKIT_UNATTEND -o unattend.iso autounattend.xml\n"
                           "   and attach that to the VM as one more CD before its first start:\n");
        fprintf(f, "     virsh attach-disk %s %s %s --type cdrom --mode readonly --config\n"
                   "   or, with virsh edit, inside <devices>:\n"
                   "     <disk type='file' device='cdrom'>\n"
                   "       <driver name='qemu' type='raw'/>\n"
                   "       <source file='%s'/>\n"
                   "       <target dev='%s' bus='sata'/>\n"
                   "       <readonly/>\n"
                   "     </disk>\n\n",
                o->vm, iso_name ? iso_name : "/path/to/unattend.iso", target,
                iso_name ? iso_name : "/path/to/unattend.iso", target);
        fprintf(f, "   What it does:\n"
                   "   - language, keyboard and formats %s; accepts the licence\n"
                   "   - creates the local administrator '%s' (%s)\n"
                   "   - hides the Microsoft-account pages (HideOnlineAccountScreens)%s\n"
                   "   - turns Remote Desktop on and opens its firewall group\n",
                o->locale, o->user, o->password && *o->password ? "password from --password-file" : "EMPTY password",
                o->os == VK_GUEST_WIN11 ? ";\n     BypassNRO, so that the setup never insists on a network" : "");
        if (o->bypass_tpm_check)
                fprintf(f, "   - skips the TPM, Secure Boot and memory checks (--bypass-tpm-check: LabConfig). Windows 11\n"
                           "     24H2's new Setup may ignore it; a VM from vfiokit vm new has a TPM 2.0 anyway.\n");
        fprintf(f, "\n");
        fprintf(f, "   What it does NOT do: choose, partition or wipe a disk. Setup stops at \"Where do you want to\n"
                   "   install Windows?\". The VM's virtio disk shows only after \"Load driver\" -> the virtio-win CD ->\n"
                   "   viostor\\%s\\amd64 (vioscsi\\%s\\amd64 for a SCSI disk). The product key page stays too: type\n"
                   "   your key or choose \"I don't have a product key\".\n\n"
                   "   The password in autounattend.xml is only base64-encoded (Windows' format), not encrypted: keep\n"
                   "   this directory private (vfiokit made it 0700 and the files 0600).\n\n",
                o->os == VK_GUEST_WIN11 ? "w11" : "w10", o->os == VK_GUEST_WIN11 ? "w11" : "w10");
}

int vk_guest_readme(const vk_guest_opts *o, const vk_guest_vm *vm, const vk_model *m, bool reg_written,
                    const char *iso_name, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        const char *w = o->os == VK_GUEST_WIN11 ? "w11" : "w10";

        if (!f)
                return -errno;
        fprintf(f, "vfiokit guest media for the VM '%s' (%s)\n\n", o->vm, os_name(o->os));
        fprintf(f, "Files\n"
                   "  autounattend.xml        the answer file for Windows Setup (step 1)\n");
        if (reg_written)
                fprintf(f, "  rdp-blank-password.reg  lets Remote Desktop log on without a password (step 5; RISKY)\n");
        fprintf(f, "  README-guest.txt        this file\n\n");
        iso_step(f, o, vm, iso_name);

        fprintf(f, "2. The virtio drivers and guest tools\n\n"
                   "   vm new attaches the virtio-win ISO (/usr/share/virtio-win/virtio-win.iso, Debian/Fedora package\n"
                   "   virtio-win, or https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/)\n"
                   "   as a CD. After the first logon run virtio-win-guest-tools.exe from that CD: it installs every\n"
                   "   driver (NetKVM network, balloon, serial, display) and the QEMU guest agent. One driver at a\n"
                   "   time, from an administrator prompt (E: being the CD):\n"
                   "     pnputil /add-driver E:\\NetKVM\\%s\\amd64\\*.inf /install\n\n", w);
        gpu_section(f, o, vm, m);
        fprintf(f, "4. A display for a headless GPU\n\n"
                   "   A GPU without a monitor renders nothing Windows can show, and streaming then captures nothing\n"
                   "   or falls back to software. Install a virtual display driver: Virtual Display Driver,\n"
                   "   https://github.com/VirtualDrivers/Virtual-Display-Driver (its installer; let it start at logon).\n"
                   "   Then in Settings > System > Display make that display the main one: the emulated VNC/SPICE\n"
                   "   display cannot be accelerated.\n\n");
        fprintf(f, "5. Remote Desktop\n\n"
                   "   The answer file turns it on (fDenyTSConnections=false) and opens the firewall group \"Remote\n"
                   "   Desktop\". From Linux: xfreerdp /v:ADDRESS /u:\"%s\" (or Remmina). Windows Home has no Remote\n"
                   "   Desktop server. RDP brings its own display adapter: the GPU's picture is not what you see\n"
                   "   through it, so use it for setup and repairs, and streaming (step 6) for the GPU.\n",
                o->user);
        if (reg_written)
                fprintf(f, "\n   The account has an EMPTY password, and Windows refuses network logons of such accounts\n"
                           "   (LimitBlankPasswordUse=1). rdp-blank-password.reg sets it to 0: double-click it in the VM\n"
                           "   (or reg import rdp-blank-password.reg) and reboot. RISK: then anyone who reaches port 3389\n"
                           "   of the VM logs on as %s without a password. Only on a VM behind NAT or a trusted LAN; the\n"
                           "   better fix is a password: run guest media again with --password-file FILE.\n",
                        o->user);
        fprintf(f, "\n6. Streaming\n\n"
                   "   Sunshine + Moonlight: install Sunshine in the VM (https://github.com/LizardByte/Sunshine), open\n"
                   "   https://localhost:47990 there to set its user and pair a Moonlight client\n"
                   "   (https://moonlight-stream.org: phones, TVs, PCs). Predefine the programs you start from\n"
                   "   Moonlight. If Moonlight cannot start a program, connect to Desktop first, log on, go back.\n\n"
                   "   Parsec (https://parsec.app): error -14003 with a headless GPU means no display: step 4. Close RDP\n"
                   "   sessions while streaming: RDP's WDDM driver and Parsec's capture get in each other's way.\n\n"
                   "   Looking Glass (https://looking-glass.io) shows the guest's screen in a window on this host with\n"
                   "   almost no latency. It needs shared memory (IVSHMEM) in the VM: with virsh edit %s, inside\n"
                   "   <devices>:\n"
                   "     <shmem name='looking-glass'>\n"
                   "       <model type='ivshmem-plain'/>\n"
                   "       <size unit='M'>32</size>\n"
                   "     </shmem>\n"
                   "   32 MiB is enough up to 1920x1080; 2560x1440 needs 64 and 3840x2160 needs 128 (width x height\n"
                   "   x 4 x 2 bytes + 10 MiB, rounded up to a power of two). Give your user the shared file with a\n"
                   "   line in /etc/tmpfiles.d/10-looking-glass.conf:\n"
                   "     f /dev/shm/looking-glass 0660 YOURUSER kvm -\n"
                   "   In the VM install the Looking Glass host application (since B6 it brings the IVSHMEM driver); on this\n"
                   "   host run looking-glass-client of the same version.%s\n",
                o->vm, vm->has_shmem ? "\n   The definition already has an IVSHMEM <shmem> device." : "");
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
