/* export.c — which devices of which hosts go to a cluster engine: units (device + slot + group), their safety,
 * the fleet merge (one mapping, inconsistent hosts left out) and the names engines accept. */
#define _GNU_SOURCE
#include "export.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const format_names[] = {
        [VK_EXPORT_KUBEVIRT] = "kubevirt",
        [VK_EXPORT_NOVA] = "nova",
        [VK_EXPORT_PROXMOX] = "proxmox",
};

int vk_export_format_parse(const char *s, vk_export_format *ret) {
        for (size_t i = 0; i < ELEMENTSOF(format_names); i++)
                if (vk_streq(s, format_names[i])) {
                        *ret = (vk_export_format)i;
                        return 0;
                }
        return -EINVAL;
}

const char *vk_export_format_name(vk_export_format f) {
        return (size_t)f < ELEMENTSOF(format_names) ? format_names[f] : "?";
}

static void unit_clear(vk_export_unit *u) {
        for (size_t i = 0; i < u->n_funcs; i++) {
                free(u->funcs[i].name);
                free(u->funcs[i].vendor_name);
        }
        free(u->funcs);
        free(u->host);
        free(u->inconsistent);
        free(u->composition);
        vk_strv_clear(&u->unsafe);
        *u = (vk_export_unit){0};
}

void vk_export_clear(vk_export *e) {
        for (size_t i = 0; i < e->n_units; i++)
                unit_clear(&e->units[i]);
        free(e->units);
        vk_strv_clear(&e->hosts);
        vk_strv_clear(&e->sources);
        vk_strv_clear(&e->warnings);
        *e = (vk_export){0};
}

/* Proxmox node names (pve-node) and Kubernetes node names are DNS labels. */
bool vk_export_valid_node_name(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                        return false;
        return true;
}

int vk_export_hostname(vk_host *h, const char *fallback, char **ret) {
        _cleanup_free_ char *data = NULL;

        if (vk_host_read_file(h, "etc/hostname", 4096, &data, NULL) >= 0) {
                /* the first word of the first non-comment line; a node is named by its short name */
                char *save = NULL;
                for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        line += strspn(line, " \t");
                        if (!*line || *line == '#')
                                continue;
                        line[strcspn(line, " \t.")] = 0;
                        if (vk_export_valid_node_name(line)) {
                                char *s = strdup(line);
                                if (!s)
                                        return -ENOMEM;
                                *ret = s;
                                return 0;
                        }
                        break;
                }
        }
        if (fallback && vk_export_valid_node_name(fallback)) {
                char *s = strdup(fallback);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        return -ENOENT;
}

char *vk_export_name_from_file(const char *path) {
        static const char *const suffixes[] = {".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".tar"};
        const char *base = strrchr(path, '/');
        _cleanup_free_ char *s = strdup(base ? base + 1 : path);
        size_t n;

        if (!s)
                return NULL;
        n = strlen(s);
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t k = strlen(suffixes[i]);
                if (n > k && vk_streq(s + n - k, suffixes[i])) {
                        s[n - k] = 0;
                        break;
                }
        }
        return vk_export_valid_node_name(s) ? TAKE_PTR(s) : NULL;
}

static bool same_slot(const vk_func *a, const vk_func *b) { return strncmp(a->addr, b->addr, 10) == 0; }

static bool unit_has(const vk_export_unit *u, const char *addr) {
        for (size_t i = 0; i < u->n_funcs; i++)
                if (vk_streq(u->funcs[i].addr, addr))
                        return true;
        return false;
}

static int unit_add(const vk_model *m, vk_export_unit *u, const vk_func *f, vk_export_role role) {
        vk_export_func *v;
        int same_id = 0;

        if (unit_has(u, f->addr))
                return 0;
        v = realloc(u->funcs, (u->n_funcs + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        u->funcs = v;
        v = &v[u->n_funcs];
        *v = (vk_export_func){.vendor = f->vendor, .device = f->device, .subsys_vendor = f->subsys_vendor,
                              .subsys_device = f->subsys_device, .iommu_group = f->iommu_group, .role = role};
        snprintf(v->addr, sizeof(v->addr), "%s", f->addr);
        /* nova's libvirt driver: a function with a physfn is a VF, one that can have VFs is a PF */
        v->device_type = f->physfn ? "type-VF" : f->sriov_totalvfs > 0 ? "type-PF" : "type-PCI";
        /* vfio-pci.ids would claim every one of them at boot */
        for (size_t i = 0; i < m->n_funcs; i++)
                same_id += m->funcs[i].ids_valid && m->funcs[i].vendor == f->vendor && m->funcs[i].device == f->device;
        v->same_id = same_id;
        v->name = vk_strdup(f->device_name);
        v->vendor_name = vk_strdup(f->vendor_name);
        if ((f->device_name && !v->name) || (f->vendor_name && !v->vendor_name)) {
                free(v->name);
                free(v->vendor_name);
                return -ENOMEM;
        }
        u->n_funcs++;
        return 0;
}

static const char *critical_text(vk_critical_kind k) {
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

/* Why passing u would take something the host needs, or cannot work at all. */
static int check_unit(const vk_model *m, vk_export_unit *u) {
        const vk_func *dev = vk_model_find(m, u->funcs[0].addr);
        int r = 0;

        u->impossible = (dev && vk_func_is_bridge(dev)) || u->funcs[0].iommu_group < 0;
        if (dev && vk_func_is_bridge(dev))
                r = vk_strv_push_take(&u->unsafe, vk_printf("%s is a PCI bridge: vfio-pci does not take bridges",
                                                            dev->addr));
        if (r >= 0 && u->funcs[0].iommu_group < 0)
                r = vk_strv_push_take(&u->unsafe,
                                      m->sys.iommu_enabled
                                              ? vk_printf("%s is in no IOMMU group: it cannot be passed", dev->addr)
                                              : strdup("no IOMMU: enable VT-d/AMD-Vi in the firmware (and "
                                                       "intel_iommu=on on Intel)"));
        for (size_t i = 0; i < u->n_funcs && r >= 0; i++) {
                const vk_export_func *x = &u->funcs[i];
                const vk_func *f = vk_model_find(m, x->addr);

                for (size_t k = 0; k < m->n_critical && r >= 0; k++)
                        if (vk_streq(m->critical[k].addr, x->addr))
                                r = vk_strv_push_take(&u->unsafe,
                                                      vk_printf("%s is %s (%s)", x->addr,
                                                                critical_text(m->critical[k].kind),
                                                                m->critical[k].detail ? m->critical[k].detail : "?"));
                if (r >= 0 && f && f->sriov_numvfs > 0 && !vk_func_is_bridge(f)) {
                        u->impossible = true;
                        r = vk_strv_push_take(&u->unsafe,
                                              vk_printf("%s is an SR-IOV PF with %d VFs: vfio-pci refuses it "
                                                        "(export a VF instead)",
                                                        x->addr, f->sriov_numvfs));
                }
                if (r >= 0 && f && x->role == VK_EXPORT_GROUP && !vk_model_critical(m, x->addr)) {
                        unsigned base = f->class_code >> 16;
                        if (base == 0x01 || base == 0x02)
                                r = vk_strv_push_take(&u->unsafe,
                                                      vk_printf("IOMMU group %d also holds %s, a %s (%s): the host "
                                                                "would lose it",
                                                                x->iommu_group, x->addr,
                                                                base == 0x01 ? "storage controller" : "network controller",
                                                                x->name ? x->name : "unknown device"));
                }
        }
        return r;
}

/* The functions' ids split by IOMMU group, in the unit's order: what must match across a fleet. */
static char *composition(const vk_export_unit *u) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        _cleanup_free_ bool *done = calloc(u->n_funcs ? u->n_funcs : 1, sizeof(bool));

        if (!f || !done) {
                if (f)
                        fclose(f);
                free(buf);
                return NULL;
        }
        for (size_t i = 0; i < u->n_funcs; i++) {
                if (done[i])
                        continue;
                fprintf(f, "%s[", i ? " " : "");
                for (size_t k = i, first = 1; k < u->n_funcs; k++)
                        if (!done[k] && u->funcs[k].iommu_group == u->funcs[i].iommu_group &&
                            (u->funcs[i].iommu_group >= 0 || k == i)) {
                                fprintf(f, "%s%04x:%04x", first ? "" : " ", u->funcs[k].vendor, u->funcs[k].device);
                                done[k] = true;
                                first = 0;
                        }
                fputc(']', f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static bool host_has(const vk_export *e, const char *host, const char *addr) {
        for (size_t i = 0; i < e->n_units; i++)
                if (vk_streq(e->units[i].host, host) && unit_has(&e->units[i], addr))
                        return true;
        return false;
}

static int add_unit(vk_export *e, const vk_model *m, const char *host, vk_func *dev, bool named) {
        vk_export_unit u = {.named = named};
        vk_export_unit *v;
        int r;

        if (host_has(e, host, dev->addr))
                return 0; /* already exported with another device of its slot or group */
        u.host = strdup(host);
        r = u.host ? unit_add(m, &u, dev, VK_EXPORT_DEVICE) : -ENOMEM;
        /* functions are sorted by address: a slot's functions are neighbours */
        for (size_t i = 0; i < m->n_funcs && r >= 0; i++) {
                const vk_func *o = &m->funcs[i];
                if (o != dev && same_slot(o, dev) && !vk_func_sriov_related(o, dev) && !vk_func_is_bridge(o))
                        r = unit_add(m, &u, o, VK_EXPORT_COMPANION);
        }
        /* the groups of the device and of each companion (an ACS override may split a card) */
        for (size_t i = 0; i < u.n_funcs && r >= 0; i++) {
                const vk_group *g = u.funcs[i].iommu_group >= 0 ? vk_model_group(m, u.funcs[i].iommu_group) : NULL;
                for (size_t k = 0; g && k < g->n_members && r >= 0; k++) {
                        const vk_func *o = &m->funcs[g->members[k]];
                        if (!vk_func_is_bridge(o))
                                r = unit_add(m, &u, o, VK_EXPORT_GROUP);
                }
        }
        if (r >= 0)
                r = check_unit(m, &u);
        if (r >= 0)
                u.composition = composition(&u);
        if (r >= 0 && !u.composition)
                r = -ENOMEM;
        if (r >= 0) {
                v = realloc(e->units, (e->n_units + 1) * sizeof(*v));
                if (!v)
                        r = -ENOMEM;
                else {
                        e->units = v;
                        e->units[e->n_units++] = u;
                        return 0;
                }
        }
        unit_clear(&u);
        return r;
}

int vk_export_add_host(vk_export *e, const vk_model *m, const char *host, const char *source,
                       const char *const *devices, size_t n_devices, bool must_match, vk_error *err) {
        int r;

        for (size_t i = 0; i < e->hosts.n; i++)
                if (vk_streq(e->hosts.v[i], host))
                        return vk_error_set(err, -EEXIST, "%s: host %s is already in the export (from %s): one "
                                            "capture per host", source, host, e->sources.v[i]);
        r = vk_strv_push(&e->hosts, host);
        if (r >= 0)
                r = vk_strv_push(&e->sources, source);
        if (r < 0)
                return vk_error_set(err, r, "out of memory");
        if (n_devices == 0) {
                for (size_t i = 0; i < m->n_funcs; i++)
                        if (vk_func_is_gpu(&m->funcs[i])) {
                                r = add_unit(e, m, host, &m->funcs[i], false);
                                if (r < 0)
                                        return vk_error_set(err, r, "out of memory");
                        }
                return 0;
        }
        for (size_t d = 0; d < n_devices; d++) {
                vk_strv matches = {0};
                vk_func *f = NULL;

                r = vk_model_resolve(m, devices[d], &f, &matches);
                if (r == -EINVAL)
                        return vk_error_set(err, r, "'%s' is not a device name: use a PCI address (0000:01:00.0 or "
                                            "01:00.0) or vendor:device (10de:2484)", devices[d]);
                if (r == -ENOENT) {
                        if (must_match)
                                return vk_error_set(err, r, "no PCI function %s on %s; 'vfiokit list --all' shows "
                                                    "every function", devices[d], host);
                        r = vk_strv_push_take(&e->warnings, vk_printf("%s: has no %s", host, devices[d]));
                        if (r < 0)
                                return vk_error_set(err, r, "out of memory");
                        continue;
                }
                /* an id that matches several functions exports each of them (two cards of one model, an SR-IOV
                 * PF's VFs); those that are unsafe are left out as unnamed GPUs are, not refused */
                for (size_t i = 0; (r >= 0 || r == -ENOTUNIQ) && i < (r == -ENOTUNIQ ? matches.n : 1); i++) {
                        vk_func *x = r == -ENOTUNIQ ? vk_model_find(m, matches.v[i]) : f;
                        int k = x ? add_unit(e, m, host, x, must_match && r >= 0) : 0;
                        if (k < 0) {
                                vk_strv_clear(&matches);
                                return vk_error_set(err, k, "out of memory");
                        }
                }
                vk_strv_clear(&matches);
                if (r < 0 && r != -ENOTUNIQ)
                        return vk_error_set(err, r, "%s: %s", devices[d], strerror(-r));
        }
        return 0;
}

static bool same_hardware(const vk_export_unit *a, const vk_export_unit *b) {
        return a->funcs[0].subsys_vendor == b->funcs[0].subsys_vendor &&
               a->funcs[0].subsys_device == b->funcs[0].subsys_device && vk_streq(a->composition, b->composition);
}

static char *describe_difference(const vk_export_unit *u, const vk_export_unit *ref) {
        if (!vk_streq(u->composition, ref->composition))
                return vk_printf("its IOMMU groups hold %s here but %s on %s (%s)", u->composition, ref->composition,
                                 ref->host, ref->funcs[0].addr);
        return vk_printf("subsystem %04x:%04x here but %04x:%04x on %s (%s): another board", u->funcs[0].subsys_vendor,
                         u->funcs[0].subsys_device, ref->funcs[0].subsys_vendor, ref->funcs[0].subsys_device, ref->host,
                         ref->funcs[0].addr);
}

static int warn_unit(vk_export *e, const vk_export_unit *u, bool forced, const char *why) {
        const vk_export_func *d = &u->funcs[0];
        return vk_strv_push_take(&e->warnings,
                                 vk_printf("%s: %s [%04x:%04x] %s: %s", u->host, d->addr, d->vendor, d->device,
                                           forced ? "included by --force although" : "left out", why));
}

int vk_export_merge(vk_export *e, bool force, vk_error *err) {
        size_t n_included = 0;
        int r = 0;

        e->force = force;
        /* a device the user named on this host: refuse instead of quietly leaving it out */
        for (size_t i = 0; i < e->n_units; i++) {
                const vk_export_unit *u = &e->units[i];
                if (u->named && u->unsafe.n && (!force || u->impossible)) {
                        _cleanup_free_ char *why = vk_strv_join(&u->unsafe, "; ");
                        return vk_error_refuse(err, "%s [%04x:%04x] %s: %s; export another device%s",
                                               u->funcs[0].addr, u->funcs[0].vendor, u->funcs[0].device,
                                               u->impossible ? "cannot be passed" : "is not safe to pass",
                                               why ? why : "unsafe",
                                               u->impossible ? "" : ", or --force to export it anyway");
                }
        }
        for (size_t i = 0; i < e->n_units && r >= 0; i++) {
                vk_export_unit *u = &e->units[i];
                u->included = !u->unsafe.n || (force && !u->impossible);
                if (u->unsafe.n) {
                        _cleanup_free_ char *why = vk_strv_join(&u->unsafe, "; ");
                        r = why ? warn_unit(e, u, u->included, why) : -ENOMEM;
                }
        }
        /* one device model across the fleet: the majority's hardware is the reference, ties go to the first */
        for (size_t i = 0; i < e->n_units && r >= 0; i++) {
                vk_export_unit *u = &e->units[i];
                const vk_export_unit *ref = NULL;
                size_t best = 0;

                if (u->unsafe.n)
                        continue;
                for (size_t k = 0; k < e->n_units; k++) {
                        const vk_export_unit *c = &e->units[k];
                        size_t votes = 0;
                        if (c->unsafe.n || c->funcs[0].vendor != u->funcs[0].vendor ||
                            c->funcs[0].device != u->funcs[0].device)
                                continue;
                        for (size_t j = 0; j < e->n_units; j++) {
                                const vk_export_unit *o = &e->units[j];
                                if (!o->unsafe.n && o->funcs[0].vendor == c->funcs[0].vendor &&
                                    o->funcs[0].device == c->funcs[0].device && same_hardware(o, c))
                                        votes++;
                        }
                        if (votes > best) {
                                best = votes;
                                ref = c;
                        }
                }
                if (ref && !same_hardware(u, ref)) {
                        u->inconsistent = describe_difference(u, ref);
                        r = u->inconsistent ? warn_unit(e, u, force, u->inconsistent) : -ENOMEM;
                        u->included = force;
                }
        }
        if (r < 0)
                return vk_error_set(err, r, "out of memory");
        for (size_t i = 0; i < e->n_units; i++)
                n_included += e->units[i].included;
        if (n_included == 0) {
                bool forceable = false;
                for (size_t i = 0; i < e->n_units; i++)
                        forceable |= !e->units[i].impossible;
                if (e->n_units == 0)
                        return vk_error_set(err, -ENOENT, "nothing to export: no GPU%s; name a device (vfiokit list "
                                            "--all shows every function)", e->hosts.n > 1 ? " on any host" : "");
                return vk_error_refuse(err, "nothing safe to export (the warnings above say why)%s",
                                       forceable && !force ? "; --force exports what vfio-pci can take anyway" : "");
        }
        return 0;
}

/* Upper- or lower-case the name, one sep for every run of other characters, at most max bytes. */
static char *sanitize(const char *name, char sep, bool upper, size_t max) {
        size_t n = 0;
        char *s = malloc(strlen(name) + 1);

        if (!s)
                return NULL;
        for (const char *p = name; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (isalnum(c) && c < 0x80)
                        s[n++] = (char)(upper ? toupper(c) : tolower(c));
                else if (n && s[n - 1] != sep)
                        s[n++] = sep;
        }
        while (n && s[n - 1] == sep)
                n--;
        if (n > max) {
                n = max;
                while (n && s[n - 1] == sep)
                        n--;
        }
        s[n] = 0;
        return s;
}

static char *base_name(const vk_export_func *f, char sep, bool upper, size_t max) {
        char fallback[32];
        _cleanup_free_ char *s = f->name ? sanitize(f->name, sep, upper, max) : NULL;

        if (s && *s)
                return TAKE_PTR(s);
        snprintf(fallback, sizeof(fallback), "pci %04x %04x", f->vendor, f->device);
        return sanitize(fallback, sep, upper, max);
}

char *vk_export_resource_name(const vk_export_func *f) {
        /* the vendor's own domain where the device plugins use one; the prefix is any DNS subdomain */
        static const struct {
                uint16_t vendor;
                const char *domain;
        } domains[] = {{0x10de, "nvidia.com"}, {0x1002, "amd.com"}, {0x1022, "amd.com"}, {0x8086, "intel.com"}};
        const char *domain = "devices.vfiokit";
        /* a k8s qualified name: [A-Za-z0-9] at both ends, [-A-Za-z0-9_.] inside, at most 63 */
        _cleanup_free_ char *name = base_name(f, '_', true, 63);

        for (size_t i = 0; i < ELEMENTSOF(domains); i++)
                if (domains[i].vendor == f->vendor)
                        domain = domains[i].domain;
        return name ? vk_printf("%s/%s", domain, name) : NULL;
}

char *vk_export_alias_name(const vk_export_func *f) {
        /* the flavor extra spec lists "alias:count,alias:count": no ':' or ',' in a name */
        return base_name(f, '-', false, 63);
}

char *vk_export_mapping_id(const vk_export_func *f) {
        /* pve-configid: a letter, then letters, digits and '_' (older releases take no '-') */
        _cleanup_free_ char *s = base_name(f, '_', false, 60);

        if (!s)
                return NULL;
        if (!isalpha((unsigned char)s[0]) || strlen(s) < 2)
                return vk_printf("pci_%s", s);
        return TAKE_PTR(s);
}
