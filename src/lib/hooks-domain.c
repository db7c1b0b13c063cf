/* hooks-domain.c — the PCI devices of a libvirt domain XML (libxml2), VM name rules, the AMD reset-bug ids. */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlError *xml_error_arg;
#endif

bool vk_hooks_vm_name_is_valid(const char *name) {
        if (!name || !*name || vk_streq(name, ".") || vk_streq(name, "..") || strlen(name) > 255)
                return false;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                if (*p == '/' || *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

void vk_hook_domain_clear(vk_hook_domain *d) {
        free(d->name);
        vk_strv_clear(&d->devices);
        vk_strv_clear(&d->managed);
        *d = (vk_hook_domain){0};
}

typedef struct xml_failure {
        bool failed, nomem;
        int line;
        char message[256];
} xml_failure;

static void on_xml_error(void *data, xml_error_arg e) {
        xml_failure *f = data;

        if (!e || e->level < XML_ERR_ERROR)
                return;
        if (e->code == XML_ERR_NO_MEMORY)
                f->nomem = true;
        if (f->failed)
                return; /* the first error is the one to fix */
        f->failed = true;
        f->line = e->line;
        snprintf(f->message, sizeof(f->message), "%s", e->message ? e->message : "not well-formed");
        vk_strip(f->message);
}

static void ignore_generic_error(void *ctx, const char *msg, ...) {
        (void)ctx;
        (void)msg;
}

static xmlNode *child(xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && vk_streq((const char *)c->name, name))
                        return c;
        return NULL;
}

static bool attr_is(xmlNode *n, const char *name, const char *value) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
        bool is = v && vk_streq((const char *)v, value);
        xmlFree(v);
        return is;
}

/* One address attribute: libvirt writes "0x01" but accepts decimal too. */
static int address_part(xmlNode *a, const char *name, unsigned long max, bool required, unsigned long *ret) {
        xmlChar *v = xmlGetProp(a, (const xmlChar *)name);
        char *end = NULL;
        unsigned long n;

        if (!v) {
                *ret = 0;
                return required ? -EINVAL : 0;
        }
        errno = 0;
        n = strtoul((const char *)v, &end, 0);
        if (errno || end == (char *)v || *end || n > max || ((const char *)v)[0] == '-') {
                xmlFree(v);
                return -EINVAL;
        }
        xmlFree(v);
        *ret = n;
        return 0;
}

static int add_device(xmlNode *dev, const char *label, vk_hook_domain *d, vk_error *err) {
        xmlNode *addr = child(child(dev, "source"), "address");
        unsigned long dom, bus, slot, fn;
        char buf[16];

        if (!addr)
                return vk_error_set(err, -EBADMSG,
                                    "%s:%d: a PCI <%s> has no <source><address>; fix the domain (virsh edit)", label,
                                    (int)xmlGetLineNo(dev), (const char *)dev->name);
        if (address_part(addr, "domain", 0xffff, false, &dom) < 0 || address_part(addr, "bus", 0xff, true, &bus) < 0 ||
            address_part(addr, "slot", 0x1f, true, &slot) < 0 || address_part(addr, "function", 7, true, &fn) < 0)
                return vk_error_set(err, -EBADMSG,
                                    "%s:%d: the PCI address of a <%s> is not valid (bus 0x00-0xff, slot 0x00-0x1f, "
                                    "function 0-7); fix the domain (virsh edit)",
                                    label, (int)xmlGetLineNo(addr), (const char *)dev->name);
        snprintf(buf, sizeof(buf), "%04lx:%02lx:%02lx.%lx", dom, bus, slot, fn);
        if (vk_strv_contains(&d->devices, buf))
                return 0;
        if (vk_strv_push(&d->devices, buf) < 0 || (attr_is(dev, "managed", "yes") && vk_strv_push(&d->managed, buf) < 0))
                return -ENOMEM;
        return 0;
}

static int read_domain(xmlDoc *doc, const char *label, vk_hook_domain *d, vk_error *err) {
        xmlNode *root = xmlDocGetRootElement(doc), *devices, *name;
        xmlChar *text;
        int r;

        if (!root || !vk_streq((const char *)root->name, "domain"))
                return vk_error_set(err, -EBADMSG, "%s is not a libvirt domain (its root element is not <domain>)",
                                    label);
        name = child(root, "name");
        text = name ? xmlNodeGetContent(name) : NULL;
        if (!text || !vk_hooks_vm_name_is_valid((const char *)text)) {
                xmlFree(text);
                return vk_error_set(err, -EBADMSG, "%s: the domain has no valid <name>", label);
        }
        d->name = strdup((const char *)text);
        xmlFree(text);
        if (!d->name)
                return -ENOMEM;
        devices = child(root, "devices");
        for (xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if ((vk_streq((const char *)c->name, "hostdev") && attr_is(c, "type", "pci")) ||
                    (vk_streq((const char *)c->name, "interface") && attr_is(c, "type", "hostdev"))) {
                        r = add_device(c, label, d, err);
                        if (r < 0)
                                return r == -ENOMEM ? vk_error_set(err, r, "out of memory") : r;
                }
        }
        return 0;
}

int vk_hook_domain_parse(const char *label, const char *buf, size_t len, vk_hook_domain *ret, vk_error *err) {
        xmlGenericErrorFunc old_generic = xmlGenericError;
        void *old_generic_ctx = xmlGenericErrorContext;
        xmlStructuredErrorFunc old_structured = xmlStructuredError;
        void *old_structured_ctx = xmlStructuredErrorContext;
        xml_failure f = {0};
        vk_hook_domain d = {0};
        xmlParserCtxt *ctxt;
        xmlDoc *doc = NULL;
        int r;

        if (len > INT_MAX)
                return vk_error_set(err, -EFBIG, "%s is too large for a domain XML", label);
        xmlInitParser();
        xmlSetGenericErrorFunc(NULL, ignore_generic_error);
        xmlSetStructuredErrorFunc(&f, on_xml_error);
        ctxt = xmlNewParserCtxt();
        /* no network, no DTD, no entity substitution: a domain never needs them */
        if (ctxt)
                doc = xmlCtxtReadMemory(ctxt, len ? buf : "", (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
        xmlFreeParserCtxt(ctxt);
        xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
        xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
        if (!ctxt || f.nomem) {
                xmlFreeDoc(doc);
                return vk_error_set(err, -ENOMEM, "out of memory");
        }
        if (!doc || f.failed) {
                xmlFreeDoc(doc);
                if (f.line > 0)
                        return vk_error_set(err, -EBADMSG, "%s:%d: not well-formed XML: %s; fix it (virsh edit)", label,
                                            f.line, f.message);
                return vk_error_set(err, -EBADMSG, "%s is not well-formed XML%s%s; fix it (virsh edit)", label,
                                    f.message[0] ? ": " : "", f.message);
        }
        r = read_domain(doc, label, &d, err);
        xmlFreeDoc(doc);
        if (r < 0) {
                vk_hook_domain_clear(&d);
                return r;
        }
        *ret = d;
        return 0;
}

/* The ids of the AMD GPUs that gnif/vendor-reset gives a device-specific reset to, taken from its device
 * table (https://github.com/gnif/vendor-reset/blob/master/src/device-db.h): these cards do not come back
 * from a bus reset after a guest used them, so the second VM start fails or hangs the host. */
static const struct {
        uint16_t first, last; /* an inclusive range of device ids, or one id */
        const char *family;
} amd_reset_bug[] = {
        {0x66a0, 0x66a4, "Vega 20"}, {0x66a7, 0x66a7, "Vega 20"}, {0x66af, 0x66af, "Vega 20"},
        {0x67c0, 0x67c2, "Polaris 10"}, {0x67c4, 0x67c4, "Polaris 10"}, {0x67c7, 0x67c9, "Polaris 10"},
        {0x67ca, 0x67ca, "Polaris 10"}, {0x67cc, 0x67cc, "Polaris 10"}, {0x67cf, 0x67d0, "Polaris 10"},
        {0x67df, 0x67df, "Polaris 10"}, {0x6fdf, 0x6fdf, "Polaris 10"},
        {0x67e0, 0x67e1, "Polaris 11"}, {0x67e3, 0x67e3, "Polaris 11"}, {0x67e7, 0x67e9, "Polaris 11"},
        {0x67eb, 0x67eb, "Polaris 11"}, {0x67ef, 0x67ef, "Polaris 11"}, {0x67ff, 0x67ff, "Polaris 11"},
        {0x6980, 0x6981, "Polaris 12"}, {0x6985, 0x6987, "Polaris 12"}, {0x6995, 0x6995, "Polaris 12"},
        {0x6997, 0x6997, "Polaris 12"}, {0x699f, 0x699f, "Polaris 12"},
        {0x6860, 0x6864, "Vega 10"}, {0x6867, 0x686f, "Vega 10"}, {0x687f, 0x687f, "Vega 10"},
        {0x7310, 0x7310, "Navi 10"}, {0x7312, 0x7312, "Navi 10"}, {0x7318, 0x731b, "Navi 10"},
        {0x731e, 0x731f, "Navi 10"}, {0x1681, 0x1681, "Navi 10"},
        {0x7340, 0x7341, "Navi 14"}, {0x7347, 0x7347, "Navi 14"}, {0x734f, 0x734f, "Navi 14"},
        {0x7360, 0x7360, "Navi 12"}, {0x7362, 0x7362, "Navi 12"},
        {0x738c, 0x738c, "Arcturus (Instinct MI100)"},
};

const char *vk_amd_reset_bug_family(uint16_t vendor, uint16_t device) {
        if (vendor != 0x1002)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(amd_reset_bug); i++)
                if (device >= amd_reset_bug[i].first && device <= amd_reset_bug[i].last)
                        return amd_reset_bug[i].family;
        return NULL;
}
