/* lint.c — `vm lint`: read a libvirt domain XML with libxml2 and report the mistakes that break GPU passthrough. */
#define _GNU_SOURCE
#include "lint.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"
#define VENDOR_ID_MAX 12
#define NVIDIA 0x10de

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlError *xml_error_arg;
#endif

typedef struct pci_addr {
        unsigned long domain, bus, slot, function;
} pci_addr;

/* One PCI passthrough: <hostdev type='pci'> or <interface type='hostdev'>. */
typedef struct hostdev {
        xmlNode *node;
        size_t index;      /* in document order */
        bool valid;        /* the source address parsed */
        bool duplicate;    /* an earlier hostdev has the same source address */
        pci_addr host;
        char addr[16];     /* the source address in the kernel's spelling */
        const vk_func *func; /* NULL without a model or when the address is not on this host */
        bool has_guest;    /* an explicit guest <address type='pci'> */
        pci_addr guest;
        bool multifunction;
} hostdev;

typedef struct lint {
        const char *name;
        const vk_model *m;
        xmlNode *root, *os, *features, *devices;
        hostdev *hd;       /* in document order */
        size_t n_hd;
        hostdev **by_addr; /* the valid ones by source address, then document order: slots are runs */
        size_t n_by_addr;
        unsigned long n_hostdev_aliases; /* libvirt names hostdevs hostdev0, hostdev1, … */
        vk_strv aliases;   /* user aliases, read when a qemu:device needs them */
        bool aliases_read;
        vk_findings out;
        size_t cap;
        int err;
} lint;

#define S(...) vk_printf(__VA_ARGS__)

/* Append a finding; takes message and fix (either may be NULL only on allocation failure, fix also by choice). */
static void add_at(lint *l, const char *id, vk_severity sev, long line, int column, char *message, char *fix) {
        vk_finding *v;

        if (l->err || !message)
                goto nomem;
        if (l->out.n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 8;
                v = reallocarray(l->out.v, cap, sizeof(*v));
                if (!v)
                        goto nomem;
                l->out.v = v;
                l->cap = cap;
        }
        v = l->out.v;
        /* values come from the file: keep control characters out of one-line messages */
        for (char *p = message; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        for (char *p = fix; p && *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = ' ';
        v[l->out.n] = (vk_finding){.id = strdup(id), .severity = sev, .line = line > 0 && line < INT_MAX ? (int)line : 0,
                                   .column = column > 0 ? column : 0, .message = message, .fix = fix};
        if (!v[l->out.n].id)
                goto nomem;
        l->out.n++;
        return;
nomem:
        l->err = -ENOMEM;
        free(message);
        free(fix);
}

static void add(lint *l, const char *id, vk_severity sev, const xmlNode *node, char *message, char *fix) {
        add_at(l, id, sev, node ? xmlGetLineNo(node) : 0, 0, message, fix);
}

void vk_findings_clear(vk_findings *f) {
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++) {
                free(f->v[i].id);
                free(f->v[i].message);
                free(f->v[i].fix);
        }
        free(f->v);
        *f = (vk_findings){0};
}

/* ---- reading the tree ---- */

/* libvirt matches its own elements by name alone; extension elements (qemu:, libosinfo:) by namespace too. */
static bool is_element(const xmlNode *n, const char *name, const char *ns) {
        if (n->type != XML_ELEMENT_NODE || (name && !xmlStrEqual(n->name, BAD_CAST name)))
                return false;
        return !ns || (n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns));
}

static xmlNode *next_element(xmlNode *n, const char *name, const char *ns) {
        for (; n; n = n->next)
                if (is_element(n, name, ns))
                        return n;
        return NULL;
}

#define FOREACH_ELEMENT(c, parent, name, ns) \
        for (xmlNode *c = next_element((parent) ? (parent)->children : NULL, name, ns); c; \
             c = next_element(c->next, name, ns))

static xmlNode *child(const xmlNode *parent, const char *name) {
        return parent ? next_element(parent->children, name, NULL) : NULL;
}

/* The text of a node list (text and CDATA). Entity references stay unexpanded: a domain never needs them, and
 * following them would let a few bytes of DTD stand for gigabytes. */
static char *text_of(lint *l, const xmlNode *list) {
        size_t len = 0;
        char *s, *p;

        for (const xmlNode *c = list; c; c = c->next)
                if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
                        len += strlen((const char *)c->content);
        s = p = malloc(len + 1);
        if (!s) {
                l->err = -ENOMEM;
                return NULL;
        }
        for (const xmlNode *c = list; c; c = c->next)
                if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
                        size_t n = strlen((const char *)c->content);
                        memcpy(p, c->content, n);
                        p += n;
                }
        *p = 0;
        return s;
}

/* An attribute's value, or NULL when absent. Like libvirt (xmlGetProp) any namespace prefix matches, but
 * unlike xmlGetProp no default comes from a DTD. */
static char *attr(lint *l, const xmlNode *n, const char *name) {
        for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
                if (xmlStrEqual(a->name, BAD_CAST name))
                        return text_of(l, a->children);
        return NULL;
}

static bool attr_is(lint *l, const xmlNode *n, const char *name, const char *value) {
        _cleanup_free_ char *v = attr(l, n, name);
        return v && strcmp(v, value) == 0;
}

/* A number as libvirt reads PCI address parts (strtoul base 0): 0x1f, 31 and 037 are the same. */
static bool parse_libvirt_uint(const char *s, unsigned long max, unsigned long *ret) {
        unsigned long v = 0, base = 10;

        while (isspace((unsigned char)*s))
                s++;
        if (*s == '+')
                s++;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2]))
                base = 16, s += 2;
        else if (s[0] == '0')
                base = 8;
        if (!*s)
                return false;
        for (; *s; s++) {
                unsigned long d;
                if (isdigit((unsigned char)*s))
                        d = (unsigned long)(*s - '0');
                else if (isxdigit((unsigned char)*s))
                        d = (unsigned long)(tolower((unsigned char)*s) - 'a' + 10);
                else
                        return false;
                if (d >= base || d > max || v > (max - d) / base)
                        return false;
                v = v * base + d;
        }
        *ret = v;
        return true;
}

static bool parse_decimal(const char *s, unsigned long max, unsigned long *ret) {
        unsigned long v = 0;

        if (!*s)
                return false;
        for (; *s; s++) {
                unsigned long d = (unsigned long)(*s - '0');
                if (!isdigit((unsigned char)*s) || d > max || v > (max - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

static bool is_hex_literal(const char *s) {
        return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/* Read <address domain= bus= slot= function=>; a missing part is 0, as libvirt takes it. */
static bool read_address(lint *l, const xmlNode *n, const char *what, pci_addr *ret) {
        static const struct {
                const char *name;
                unsigned long max;
        } parts[] = {{"domain", 0xffff}, {"bus", 0xff}, {"slot", 0x1f}, {"function", 7}};
        unsigned long v[ELEMENTSOF(parts)] = {0};

        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                _cleanup_free_ char *s = attr(l, n, parts[i].name);
                if (s && !parse_libvirt_uint(s, parts[i].max, &v[i])) {
                        add(l, "address-invalid", VK_SEV_ERROR, n,
                            S("%s <address %s='%.40s'> is not a number from 0 to %#lx", what, parts[i].name, s,
                              parts[i].max),
                            S("write it as libvirt does, in hex with 0x (%s='0x%02lx' is the largest)", parts[i].name,
                              parts[i].max));
                        return false;
                }
        }
        *ret = (pci_addr){v[0], v[1], v[2], v[3]};
        return true;
}

static bool same_slot(const pci_addr *a, const pci_addr *b) {
        return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

static void read_hostdev(lint *l, xmlNode *n, hostdev *h) {
        xmlNode *src = child(n, "source"), *addr = child(src, "address"), *guest;

        *h = (hostdev){.node = n};
        if (!addr)
                add(l, "address-invalid", VK_SEV_ERROR, n, S("a PCI <hostdev> without <source><address>"),
                    S("name the host device: <source><address domain='0x0000' bus='0x01' slot='0x00' "
                      "function='0x0'/></source>"));
        else if (read_address(l, addr, "host device", &h->host)) {
                h->valid = true;
                snprintf(h->addr, sizeof(h->addr), "%04lx:%02lx:%02lx.%lx", h->host.domain, h->host.bus, h->host.slot,
                         h->host.function);
                if (l->m)
                        h->func = vk_model_find(l->m, h->addr);
        }
        guest = child(n, "address");
        if (guest && attr_is(l, guest, "type", "pci") && read_address(l, guest, "guest", &h->guest)) {
                h->has_guest = true;
                h->multifunction = attr_is(l, guest, "multifunction", "on");
        }
}

static int by_address(const void *a, const void *b) {
        const hostdev *x = *(hostdev *const *)a, *y = *(hostdev *const *)b;
        int c = strcmp(x->addr, y->addr); /* fixed-width hex: the text orders as the numbers do */
        return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

static void collect_hostdevs(lint *l) {
        size_t n = 0, i = 0;

        FOREACH_ELEMENT(c, l->devices, NULL, NULL) {
                if (is_element(c, "hostdev", NULL) || is_element(c, "interface", NULL))
                        n++;
        }
        if (n == 0)
                return;
        l->hd = calloc(n, sizeof(*l->hd));
        l->by_addr = calloc(n, sizeof(*l->by_addr));
        if (!l->hd || !l->by_addr) {
                l->err = -ENOMEM;
                return;
        }
        FOREACH_ELEMENT(c, l->devices, NULL, NULL) {
                _cleanup_free_ char *mode = attr(l, c, "mode");
                if (is_element(c, "hostdev", NULL)) {
                        l->n_hostdev_aliases++;
                        if (!attr_is(l, c, "type", "pci") || (mode && strcmp(mode, "subsystem") != 0))
                                continue;
                } else if (!is_element(c, "interface", NULL) || !attr_is(l, c, "type", "hostdev"))
                        continue;
                else
                        l->n_hostdev_aliases++;
                read_hostdev(l, c, &l->hd[i]);
                l->hd[i].index = i;
                if (l->hd[i].valid)
                        l->by_addr[l->n_by_addr++] = &l->hd[i];
                i++;
        }
        l->n_hd = i;
        qsort(l->by_addr, l->n_by_addr, sizeof(*l->by_addr), by_address);
        for (i = 1; i < l->n_by_addr; i++) {
                hostdev *h = l->by_addr[i];
                if (strcmp(l->by_addr[i - 1]->addr, h->addr) != 0)
                        continue;
                h->duplicate = true;
                add(l, "hostdev-duplicate", VK_SEV_ERROR, h->node,
                    S("host device %s is passed through a second time (first on line %ld)", h->addr,
                      xmlGetLineNo(l->by_addr[i - 1]->node)),
                    S("remove one of the two <hostdev>s: libvirt refuses a device that is already in use"));
        }
}

static int addr_key(const void *key, const void *elem) {
        return strcmp(key, (*(hostdev *const *)elem)->addr);
}

static const hostdev *find_hostdev(const lint *l, const char *addr) {
        hostdev **h = l->n_by_addr ? bsearch(addr, l->by_addr, l->n_by_addr, sizeof(*l->by_addr), addr_key) : NULL;
        return h ? *h : NULL;
}

/* A hostdev that is, or may be, a GPU: the model says so, or cannot say (no model, not on this host). */
static const hostdev *first_gpu(const lint *l, bool nvidia) {
        for (size_t i = 0; i < l->n_hd; i++) {
                const vk_func *f = l->hd[i].func;
                if (l->hd[i].valid && (!f || (vk_func_is_gpu(f) && (!nvidia || f->vendor == NVIDIA))))
                        return &l->hd[i];
        }
        return NULL;
}

static const char *gpu_words(const hostdev *h) {
        return h->func ? "the GPU" : "the PCI device";
}

/* "a, b, c" */
static char *join(char *list, const char *item) {
        char *s = list ? S("%s, %s", list, item) : S("%s", item);
        free(list);
        return s;
}

/* ---- the checks ---- */

static const char *critical_words(vk_critical_kind k) {
        switch (k) {
        case VK_CRITICAL_ROOT_DISK:
                return "the controller of the host's root disk";
        case VK_CRITICAL_DEFAULT_ROUTE:
                return "the NIC of the host's default route";
        case VK_CRITICAL_DISPLAY:
                return "the host's active display";
        }
        return "host-critical";
}

static void check_host_devices(lint *l) {
        for (size_t i = 0; l->m && i < l->n_hd; i++) {
                const hostdev *h = &l->hd[i];
                if (!h->valid || h->duplicate)
                        continue;
                if (!h->func) {
                        add(l, "hostdev-missing", VK_SEV_ERROR, h->node, S("host device %s does not exist on this host", h->addr),
                            S("check the address with `vfiokit list --all`: PCI addresses change when cards move "
                              "or the firmware's settings change"));
                        continue;
                }
                for (size_t j = 0; j < l->m->n_critical; j++) {
                        const vk_critical *c = &l->m->critical[j];
                        if (strcmp(c->addr, h->addr) == 0)
                                add(l, "hostdev-host-critical", VK_SEV_ERROR, h->node,
                                    S("host device %s is %s (%s): the host loses it while the VM runs", h->addr,
                                      critical_words(c->kind), c->detail ? c->detail : "in use"),
                                    S("remove this <hostdev>, or move the host off %s first", h->addr));
                }
                if (vk_func_is_bridge(h->func))
                        add(l, "hostdev-bridge", VK_SEV_ERROR, h->node,
                            S("host device %s is a PCI bridge, which vfio-pci refuses", h->addr),
                            S("pass the devices behind the bridge, not the bridge itself"));
        }
}

static bool bound_to_vfio(const vk_func *f) {
        return f->driver && (strcmp(f->driver, "vfio-pci") == 0 || strcmp(f->driver, "pci-stub") == 0);
}

/* A GPU passed through in the same slot as f: f is then the GPU's companion, not merely a group member. */
static bool beside_passed_gpu(const lint *l, const vk_func *f) {
        for (size_t i = 0; i < l->m->n_funcs; i++) {
                const vk_func *g = &l->m->funcs[i];
                if (strncmp(g->addr, f->addr, 10) == 0 && vk_func_is_gpu(g) && find_hostdev(l, g->addr))
                        return true;
        }
        return false;
}

/* The GPU's other functions (HDMI audio, USB-C, UCSI): the guest's driver expects them, and when they share the
 * GPU's IOMMU group VFIO cannot start without them. */
static void check_companions(lint *l) {
        for (size_t i = 0; l->m && i < l->n_hd; i++) {
                const hostdev *h = &l->hd[i];
                _cleanup_free_ char *missing = NULL;
                bool same_group = false;

                if (!h->func || h->duplicate || !vk_func_is_gpu(h->func))
                        continue;
                for (size_t j = 0; j < l->m->n_funcs; j++) {
                        const vk_func *f = &l->m->funcs[j];
                        if (f == h->func || strncmp(f->addr, h->addr, 10) != 0 || vk_func_is_bridge(f) ||
                            vk_func_sriov_related(f, h->func) || find_hostdev(l, f->addr))
                                continue;
                        missing = join(missing, f->addr);
                        if (!missing) {
                                l->err = -ENOMEM;
                                return;
                        }
                        same_group |= f->iommu_group >= 0 && f->iommu_group == h->func->iommu_group;
                }
                if (missing)
                        add(l, "companion-missing", same_group ? VK_SEV_ERROR : VK_SEV_WARN, h->node,
                            S("the GPU %s is passed through without the other functions of its card: %s%s", h->addr,
                              missing,
                              same_group ? " (in its IOMMU group, so libvirt cannot start the VM while they stay on "
                                           "the host)"
                                         : ""),
                            S("add a <hostdev> for %s, in the GPU's guest slot (GPU function 0 with "
                              "multifunction='on', the others functions 1, 2, …)",
                              missing));
        }
}

/* VFIO opens a whole IOMMU group: every other member must be passed through too or be on vfio-pci already. */
static void check_groups(lint *l) {
        for (size_t i = 0; l->m && i < l->m->n_groups; i++) {
                const vk_group *g = &l->m->groups[i];
                const hostdev *first = NULL;
                _cleanup_free_ char *missing = NULL;
                const char *critical = NULL;

                for (size_t k = 0; k < g->n_members; k++) {
                        const hostdev *h = find_hostdev(l, l->m->funcs[g->members[k]].addr);
                        if (h && (!first || h->index < first->index))
                                first = h;
                }
                if (!first)
                        continue;
                for (size_t k = 0; k < g->n_members; k++) {
                        const vk_func *f = &l->m->funcs[g->members[k]];
                        const vk_critical *c;
                        if (vk_func_is_bridge(f) || find_hostdev(l, f->addr) || bound_to_vfio(f) ||
                            beside_passed_gpu(l, f))
                                continue;
                        missing = join(missing, f->addr);
                        if (!missing) {
                                l->err = -ENOMEM;
                                return;
                        }
                        if (!critical && (c = vk_model_critical(l->m, f->addr)))
                                critical = critical_words(c->kind);
                }
                if (missing)
                        add(l, "group-incomplete", critical ? VK_SEV_ERROR : VK_SEV_WARN, first->node,
                            S("IOMMU group %d of %s also holds %s, which the domain does not pass through and which "
                              "is not on vfio-pci: the VM cannot start while part of the group is on a host driver%s%s",
                              g->id, first->addr, missing, critical ? "; one of them is " : "",
                              critical ? critical : ""),
                            critical ? S("this group cannot be passed through safely: put the card in another slot "
                                         "(another IOMMU group)")
                                     : S("add them as <hostdev>s too, or bind them to vfio-pci first "
                                         "(`vfiokit bind %s` binds the whole group)",
                                         first->addr));
        }
}

static void describe_guest(char *buf, size_t size, const hostdev *h) {
        if (h->has_guest)
                snprintf(buf, size, "%s → %04lx:%02lx:%02lx.%lx", h->addr, h->guest.domain, h->guest.bus,
                         h->guest.slot, h->guest.function);
        else
                snprintf(buf, size, "%s → (no guest address)", h->addr);
}

/* The functions of one card belong in one guest slot, as on the host: drivers expect the audio next to the GPU.
 * run holds the n hostdevs of one host slot, by function. */
static void check_slot(lint *l, hostdev *const *run, size_t n) {
        const hostdev *first = NULL, *gpu = NULL, *fn0 = NULL, *guest = NULL;
        _cleanup_free_ char *list = NULL;
        size_t unique = 0, explicit = 0;
        bool split = false;

        for (size_t i = 0; i < n; i++) {
                const hostdev *h = run[i];
                char buf[64];
                if (h->duplicate)
                        continue;
                unique++;
                if (!first || h->index < first->index)
                        first = h;
                if (h->has_guest) {
                        explicit++;
                        split |= guest && !same_slot(&h->guest, &guest->guest);
                        guest = guest ? guest : h;
                        if (h->guest.function == 0 && !fn0)
                                fn0 = h;
                }
                if (!gpu && (h->func ? vk_func_is_gpu(h->func) : h->host.function == 0))
                        gpu = h;
                describe_guest(buf, sizeof(buf), h);
                list = join(list, buf);
                if (!list) {
                        l->err = -ENOMEM;
                        return;
                }
        }
        if (unique < 2)
                return;
        if (split || explicit < unique)
                add(l, "functions-split", VK_SEV_WARN, first->node,
                    S("the functions of host slot %.10s are in different guest slots (%s)%s", first->addr, list,
                      explicit < unique ? "; without a guest <address> libvirt puts each device in a slot of its own"
                                        : ""),
                    S("give them one guest bus and slot, as on the host: function 0%s with multifunction='on', the "
                      "others functions 1, 2, …",
                      gpu && gpu->func ? " (the GPU)" : ""));
        else if (gpu && gpu->guest.function != 0)
                add(l, "functions-split", VK_SEV_WARN, gpu->node,
                    S("%s %s is guest function %lu, not 0", gpu_words(gpu), gpu->addr, gpu->guest.function),
                    S("make %s function='0x0' of the guest slot, with multifunction='on'", gpu->addr));
        else if (fn0 && !fn0->multifunction)
                add(l, "functions-split", VK_SEV_WARN, fn0->node,
                    S("%s shares its guest slot with the card's other functions, but its guest <address> lacks "
                      "multifunction='on'",
                      fn0->addr),
                    S("add multifunction='on' to the guest <address> of %s", fn0->addr));
}

static void check_split(lint *l) {
        for (size_t i = 0, j; i < l->n_by_addr; i = j) {
                for (j = i + 1; j < l->n_by_addr && same_slot(&l->by_addr[j]->host, &l->by_addr[i]->host); j++)
                        ;
                check_slot(l, &l->by_addr[i], j - i);
        }
}

static bool is_i440fx(const char *machine) {
        return strcmp(machine, "pc") == 0 || vk_startswith(machine, "pc-i440fx") ||
               (vk_startswith(machine, "pc-") && isdigit((unsigned char)machine[3]));
}

static void check_machine(lint *l) {
        xmlNode *type = child(l->os, "type");
        _cleanup_free_ char *machine = attr(l, type, "machine"), *arch = attr(l, type, "arch");
        const hostdev *gpu = first_gpu(l, false);

        if (!gpu || (arch && strcmp(arch, "x86_64") != 0 && strcmp(arch, "i686") != 0))
                return;
        if (machine && *machine && !is_i440fx(machine))
                return;
        add(l, "machine-i440fx", VK_SEV_WARN, type ? type : l->os ? l->os : l->root,
            machine && *machine ? S("machine '%.40s' is the i440fx PC, with %s %s passed through: it has no PCIe, "
                                    "so the card sits on a plain PCI bus",
                                    machine, gpu_words(gpu), gpu->addr)
                                : S("<os><type> names no machine, so QEMU's default i440fx PC is used, with %s %s "
                                    "passed through: it has no PCIe, so the card sits on a plain PCI bus",
                                    gpu_words(gpu), gpu->addr),
            S("use machine='q35' (GPU drivers expect a PCIe port; changing the machine of an installed Windows "
              "makes it find new hardware once)"));
}

static bool has_uefi(lint *l) {
        xmlNode *loader = child(l->os, "loader");
        _cleanup_free_ char *path = loader ? text_of(l, loader->children) : NULL;

        if (attr_is(l, l->os, "firmware", "efi") || attr_is(l, loader, "type", "pflash"))
                return true;
        /* a loader without type='pflash' is still OVMF when its path says so */
        return path && (strcasestr(path, "ovmf") || strcasestr(path, "edk2"));
}

static void check_firmware(lint *l) {
        const hostdev *gpu = first_gpu(l, false);

        if (!gpu || has_uefi(l))
                return;
        add(l, "firmware-bios", VK_SEV_WARN, l->os ? l->os : l->root,
            S("the VM boots with BIOS (SeaBIOS), not UEFI, with %s %s passed through: the GPU's legacy VGA ROM then "
              "has to run, which needs the host's VGA arbitration and fails with UEFI-only cards",
              gpu_words(gpu), gpu->addr),
            S("use <os firmware='efi'> (libvirt picks OVMF from the QEMU firmware descriptors); an installed "
              "Windows has to be reinstalled for UEFI (GPT disk)"));
}

static void check_hyperv(lint *l) {
        xmlNode *v = child(child(l->features, "hyperv"), "vendor_id");
        _cleanup_free_ char *value = attr(l, v, "value");

        if (!v || !attr_is(l, v, "state", "on") || !value || strlen(value) <= VENDOR_ID_MAX)
                return;
        add(l, "vendor-id-too-long", VK_SEV_ERROR, v,
            S("<vendor_id value='%.40s'> is %zu characters; libvirt accepts at most %d", value, strlen(value),
              VENDOR_ID_MAX),
            S("use at most %d characters, e.g. value='%.*s'", VENDOR_ID_MAX, VENDOR_ID_MAX, value));
}

static void check_kvm_hidden(lint *l) {
        const hostdev *gpu = first_gpu(l, true);

        if (!gpu || attr_is(l, child(child(l->features, "kvm"), "hidden"), "state", "on"))
                return;
        add(l, "kvm-hidden-missing", VK_SEV_WARN, gpu->node,
            gpu->func ? S("the NVIDIA GPU %s is passed through without <kvm><hidden state='on'/></kvm>", gpu->addr)
                      : S("%s may be an NVIDIA GPU and the domain has no <kvm><hidden state='on'/></kvm>", gpu->addr),
            S("add <kvm><hidden state='on'/></kvm> to <features>: needed only for NVIDIA drivers before 465, which "
              "stop with Code 43 in a VM"));
}

/* A property value QEMU must get in decimal: hex is sub-ids-hex, anything else not a 16-bit number sub-ids-invalid. */
static void check_sub_id(lint *l, const xmlNode *n, const char *prop, const char *value, size_t len) {
        _cleanup_free_ char *v = strndup(value, len);
        unsigned long num;

        if (!v) {
                l->err = -ENOMEM;
                return;
        }
        if (is_hex_literal(v) && parse_libvirt_uint(v, 0xffff, &num))
                add(l, "sub-ids-hex", VK_SEV_ERROR, n,
                    S("%s value '%.40s' is hex; QEMU reads this property in decimal", prop, v),
                    S("write %s=%lu (0x%04lx in decimal)", prop, num, num));
        else if (!parse_decimal(v, 0xffff, &num))
                add(l, "sub-ids-invalid", VK_SEV_ERROR, n,
                    S("%s value '%.40s' is not a 16-bit decimal number", prop, v),
                    S("write the subsystem id from `lspci -nnv` (Subsystem: VVVV:DDDD) in decimal"));
}

static void check_commandline(lint *l, xmlNode *cmd) {
        xmlNode *prev = NULL;
        _cleanup_free_ char *prev_value = NULL;

        FOREACH_ELEMENT(arg, cmd, "arg", QEMU_NS) {
                _cleanup_free_ char *value = attr(l, arg, "value");
                static const char *const props[] = {"x-pci-sub-vendor-id", "x-pci-sub-device-id"};

                if (!value)
                        continue;
                if (prev && prev_value && strcmp(prev_value, "-set") == 0 && vk_startswith(value, "device."))
                        add(l, "old-set-trick", VK_SEV_ERROR, prev,
                            S("<qemu:arg value='-set'/> <qemu:arg value='%.60s'/>: since libvirt 8.1 devices are "
                              "given to QEMU as JSON, which -set cannot change, so QEMU refuses to start",
                              value),
                            S("use <qemu:override><qemu:device alias='hostdev0'><qemu:frontend><qemu:property "
                              "name='x-pci-sub-vendor-id' type='unsigned' value='DECIMAL'/>… instead (libvirt ≥ 8.2)"));
                for (size_t i = 0; i < ELEMENTSOF(props); i++) {
                        /* -set device.hostdev0.x-pci-sub-vendor-id=V, -device vfio-pci,…,x-pci-sub-vendor-id=V */
                        for (const char *p = strstr(value, props[i]); p; p = strstr(p + 1, props[i]))
                                if (p[strlen(props[i])] == '=') {
                                        p += strlen(props[i]) + 1;
                                        check_sub_id(l, arg, props[i], p, strcspn(p, ","));
                                        break;
                                }
                }
                free(prev_value);
                prev = arg;
                prev_value = TAKE_PTR(value);
        }
}

static int by_string(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The <alias name='ua-…'/> written on devices, sorted. */
static void collect_aliases(lint *l) {
        l->aliases_read = true;
        FOREACH_ELEMENT(dev, l->devices, NULL, NULL) {
                char *name = attr(l, child(dev, "alias"), "name");
                if (name && vk_strv_push_take(&l->aliases, name) < 0)
                        l->err = -ENOMEM;
        }
        if (l->aliases.n)
                qsort(l->aliases.v, l->aliases.n, sizeof(*l->aliases.v), by_string);
}

static bool alias_exists(lint *l, const char *alias) {
        unsigned long n;

        /* libvirt's own names for hostdevs */
        if (vk_startswith(alias, "hostdev") && parse_decimal(alias + 7, ULONG_MAX, &n))
                return n < l->n_hostdev_aliases;
        /* other automatic names (net0, …) are not checked; user aliases have to be written on a device */
        if (!vk_startswith(alias, "ua-"))
                return true;
        if (!l->aliases_read)
                collect_aliases(l);
        return l->aliases.n && bsearch(&alias, l->aliases.v, l->aliases.n, sizeof(*l->aliases.v), by_string);
}

static void check_override(lint *l, xmlNode *ov) {
        FOREACH_ELEMENT(dev, ov, "device", QEMU_NS) {
                _cleanup_free_ char *alias = attr(l, dev, "alias");

                if (alias && !alias_exists(l, alias))
                        add(l, "override-alias-unknown", VK_SEV_WARN, dev,
                            S("<qemu:device alias='%.40s'> names no device of this domain, so libvirt ignores it",
                              alias),
                            S("use the hostdev's alias: libvirt names hostdevs hostdev0, hostdev1, … in the order "
                              "of <devices>, or set one with <alias name='ua-gpu'/>"));
                FOREACH_ELEMENT(fe, dev, "frontend", QEMU_NS) {
                        FOREACH_ELEMENT(p, fe, "property", QEMU_NS) {
                                _cleanup_free_ char *name = attr(l, p, "name"), *value = attr(l, p, "value"),
                                                   *type = attr(l, p, "type");
                                if (!name || !value ||
                                    (strcmp(name, "x-pci-sub-vendor-id") != 0 && strcmp(name, "x-pci-sub-device-id") != 0))
                                        continue;
                                if (!type || strcmp(type, "unsigned") != 0)
                                        add(l, "sub-ids-invalid", VK_SEV_ERROR, p,
                                            S("<qemu:property name='%s'> has type '%.20s'; QEMU wants a number", name,
                                              type ? type : "(none)"),
                                            S("write type='unsigned'"));
                                else
                                        check_sub_id(l, p, name, value, strlen(value));
                        }
                }
        }
}

static void check_qemu(lint *l) {
        FOREACH_ELEMENT(c, l->root, NULL, NULL) {
                bool ours = is_element(c, NULL, QEMU_NS);
                if (!ours && (is_element(c, "commandline", NULL) || is_element(c, "override", NULL))) {
                        add(l, "qemu-namespace", VK_SEV_WARN, c,
                            S("<%s%s%s> is not in the QEMU namespace %s, so libvirt ignores it",
                              c->ns && c->ns->prefix ? (const char *)c->ns->prefix : "",
                              c->ns && c->ns->prefix ? ":" : "", (const char *)c->name, QEMU_NS),
                            S("declare xmlns:qemu='%s' on <domain> and write <qemu:%s>", QEMU_NS, (const char *)c->name));
                        continue;
                }
                if (is_element(c, "commandline", QEMU_NS))
                        check_commandline(l, c);
                else if (is_element(c, "override", QEMU_NS))
                        check_override(l, c);
        }
}

static void check_memballoon(lint *l) {
        xmlNode *mb = child(l->devices, "memballoon");
        _cleanup_free_ char *model = attr(l, mb, "model");

        if (l->n_hd == 0 || (model && strcmp(model, "none") == 0))
                return;
        add(l, "memballoon", VK_SEV_WARN, mb ? mb : l->devices,
            mb ? S("<memballoon model='%.20s'> with PCI passthrough: VFIO pins all of the guest's memory, so the "
                   "balloon cannot give any back and only confuses the guest",
                   model ? model : "")
               : S("no <memballoon>, so libvirt adds a virtio one, with PCI passthrough: VFIO pins all of the "
                   "guest's memory, so the balloon cannot give any back"),
            S("add <memballoon model='none'/> to <devices>"));
}

static bool looks_like_win11(lint *l) {
        xmlNode *name = child(l->root, "name");
        _cleanup_free_ char *text = name ? text_of(l, name->children) : NULL;

        FOREACH_ELEMENT(info, child(l->root, "metadata"), "libosinfo", LIBOSINFO_NS) {
                FOREACH_ELEMENT(os, info, "os", LIBOSINFO_NS) {
                        _cleanup_free_ char *id = attr(l, os, "id");
                        if (id && strstr(id, "win/11"))
                                return true;
                }
        }
        if (!text)
                return false;
        /* win11, Win-11, windows_11, "Windows 11" */
        size_t j = 0;
        for (size_t i = 0; text[i]; i++)
                if (isalnum((unsigned char)text[i]))
                        text[j++] = (char)tolower((unsigned char)text[i]);
        text[j] = 0;
        return strstr(text, "win11") || strstr(text, "windows11");
}

static bool has_secure_boot(lint *l) {
        if (attr_is(l, child(l->os, "loader"), "secure", "yes"))
                return true;
        if (!attr_is(l, l->os, "firmware", "efi"))
                return false;
        FOREACH_ELEMENT(f, child(l->os, "firmware"), "feature", NULL) {
                if (attr_is(l, f, "name", "secure-boot") && attr_is(l, f, "enabled", "yes"))
                        return true;
        }
        return false;
}

static void check_win11(lint *l) {
        xmlNode *tpm = child(l->devices, "tpm");

        if (!looks_like_win11(l))
                return;
        if (!tpm)
                add(l, "win11-no-tpm", VK_SEV_ERROR, l->devices ? l->devices : l->root,
                    S("the domain looks like Windows 11, which needs a TPM 2.0, and has no <tpm>"),
                    S("add <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm> (package swtpm)"));
        else if (attr_is(l, child(tpm, "backend"), "version", "1.2"))
                add(l, "win11-no-tpm", VK_SEV_ERROR, tpm,
                    S("the domain looks like Windows 11, which needs a TPM 2.0, and its <tpm> is version 1.2"),
                    S("use <backend type='emulator' version='2.0'/>"));
        if (!has_secure_boot(l))
                add(l, "win11-no-secureboot", VK_SEV_ERROR, l->os ? l->os : l->root,
                    S("the domain looks like Windows 11, which needs Secure Boot, and its firmware has none"),
                    S("use <os firmware='efi'><firmware><feature enabled='yes' name='secure-boot'/>"
                      "<feature enabled='yes' name='enrolled-keys'/></firmware></os> (machine q35)"));
}

/* ---- parsing ---- */

typedef struct parse_state {
        bool failed, nomem;
        int line, column;   /* of the first error with a position */
        char *message;      /* that error's text */
        char *unclosed;     /* a start tag without its '>' */
        int unclosed_line;
} parse_state;

static void on_xml_error(void *data, xml_error_arg e) {
        parse_state *s = data;

        if (!e || e->level < XML_ERR_ERROR)
                return;
        if (e->code == XML_ERR_NO_MEMORY) {
                s->nomem = true;
                return;
        }
        s->failed = true;
        if (e->code == XML_ERR_GT_REQUIRED && e->str1 && !s->unclosed) {
                s->unclosed = strdup(e->str1);
                s->unclosed_line = e->int1;
                s->nomem |= !s->unclosed;
        }
        if (s->message && (s->line > 0 || e->line <= 0))
                return;
        free(s->message);
        s->message = strdup(e->message ? e->message : "not well-formed");
        if (!s->message) {
                s->nomem = true;
                return;
        }
        vk_strip(s->message);
        s->line = e->line > 0 ? e->line : 0;
        s->column = e->line > 0 && e->int2 > 0 ? e->int2 : 0;
}

static void ignore_generic_error(void *ctx, const char *msg, ...) {
        (void)ctx;
        (void)msg;
}

/* The library never prints: every libxml2 message of this thread goes to on_xml_error while we parse. */
static int parse(const char *buf, size_t len, parse_state *s, xmlDoc **ret) {
        xmlGenericErrorFunc old_generic = xmlGenericError;
        void *old_generic_ctx = xmlGenericErrorContext;
        xmlStructuredErrorFunc old_structured = xmlStructuredError;
        void *old_structured_ctx = xmlStructuredErrorContext;
        xmlParserCtxt *ctxt;
        xmlDoc *doc = NULL;

        xmlInitParser(); /* idempotent; libxml2 wants it before any thread parses */
        xmlSetGenericErrorFunc(NULL, ignore_generic_error);
        xmlSetStructuredErrorFunc(s, on_xml_error);
        ctxt = xmlNewParserCtxt();
        /* no network, no DTD loading, no entity substitution: a domain never needs them */
        if (ctxt)
                doc = xmlCtxtReadMemory(ctxt, len ? buf : "", (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
        xmlFreeParserCtxt(ctxt);
        xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
        xmlSetGenericErrorFunc(old_generic_ctx, old_generic);

        if (!ctxt || s->nomem) {
                xmlFreeDoc(doc);
                return -ENOMEM;
        }
        if (!doc && !s->message) {
                s->message = strdup("the parser gave no document");
                if (!s->message)
                        return -ENOMEM;
        }
        if (!doc || s->failed) {
                xmlFreeDoc(doc);
                doc = NULL;
        }
        *ret = doc;
        return 0;
}

static void report_malformed(lint *l, const parse_state *s) {
        add_at(l, "xml-malformed", VK_SEV_ERROR, s->line, s->column,
               s->unclosed ? S("%s is not well-formed XML: %s (the start tag <%.40s> on line %d has no closing '>')",
                               l->name, s->message, s->unclosed, s->unclosed_line)
                           : S("%s is not well-formed XML: %s", l->name, s->message),
               s->unclosed ? S("close the <%.40s …> start tag on line %d with '>'", s->unclosed, s->unclosed_line)
               : s->line   ? S("fix the XML at line %d, column %d (`xmllint --noout FILE` lists every error)", s->line,
                               s->column)
                           : S("fix the XML (`xmllint --noout FILE` lists every error)"));
}

static int by_line(const void *a, const void *b) {
        const vk_finding *x = *(vk_finding *const *)a, *y = *(vk_finding *const *)b;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x < y ? -1 : x > y; /* stable: the order the checks ran in */
}

/* Order the findings by line, as a reader goes through the file. */
static int sort_findings(vk_findings *f) {
        _cleanup_free_ vk_finding **order = NULL;
        _cleanup_free_ vk_finding *v = NULL;

        if (f->n < 2)
                return 0;
        order = calloc(f->n, sizeof(*order));
        v = calloc(f->n, sizeof(*v));
        if (!order || !v)
                return -ENOMEM;
        for (size_t i = 0; i < f->n; i++)
                order[i] = &f->v[i];
        qsort(order, f->n, sizeof(*order), by_line);
        for (size_t i = 0; i < f->n; i++)
                v[i] = *order[i];
        memcpy(f->v, v, f->n * sizeof(*v));
        return 0;
}

int vk_vm_lint(const char *name, const char *buf, size_t len, const vk_model *m, vk_findings *ret) {
        static void (*const checks[])(lint *) = {
                check_host_devices, check_companions, check_groups, check_split,      check_machine,
                check_firmware,     check_hyperv,     check_kvm_hidden, check_qemu,   check_memballoon, check_win11,
        };
        lint l = {.name = name ? name : "the domain", .m = m};
        parse_state s = {0};
        xmlDoc *doc = NULL;
        int r = 0;

        if (!buf && len > 0)
                return -EINVAL;
        if (len > INT_MAX) {
                add_at(&l, "xml-malformed", VK_SEV_ERROR, 0, 0, S("%s is too large for a domain XML", l.name), NULL);
                goto done;
        }
        r = parse(buf, len, &s, &doc);
        if (r < 0)
                goto finish;
        if (!doc) {
                report_malformed(&l, &s);
                goto done;
        }
        l.root = xmlDocGetRootElement(doc);
        if (!l.root || !xmlStrEqual(l.root->name, BAD_CAST "domain")) {
                add(&l, "not-a-domain", VK_SEV_ERROR, l.root,
                    S("%s is not a libvirt domain: its root element is <%.40s>, not <domain>", l.name,
                      l.root ? (const char *)l.root->name : ""),
                    S("lint the domain definition (`virsh dumpxml NAME`), not a network, pool or capabilities XML"));
                goto done;
        }
        l.os = child(l.root, "os");
        l.features = child(l.root, "features");
        l.devices = child(l.root, "devices");
        collect_hostdevs(&l);
        for (size_t i = 0; i < ELEMENTSOF(checks) && !l.err; i++)
                checks[i](&l);
done:
        r = l.err;
        if (r >= 0)
                r = sort_findings(&l.out);
        if (r >= 0) {
                *ret = l.out;
                l.out = (vk_findings){0};
        }
finish:
        vk_findings_clear(&l.out);
        free(l.hd);
        free(l.by_addr);
        vk_strv_clear(&l.aliases);
        free(s.message);
        free(s.unclosed);
        xmlFreeDoc(doc);
        return r;
}
