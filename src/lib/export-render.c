/* export-render.c — the merged export as each engine takes it: a KubeVirt CR patch (YAML through libyaml),
 * nova.conf [pci] lines (JSON values from json-c), Proxmox /etc/pve/mapping/pci.cfg sections, and a neutral
 * JSON description. Every text output is rendered from the same json-c objects that --json prints (the YAML
 * through export-yaml.c). */
#define _GNU_SOURCE
#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define JSON_LINE (JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

static json_object *jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }

static json_object *jstr_take(char *s) {
        json_object *o = jstr(s);
        free(s);
        return o;
}

static void put_take(json_object *o, const char *key, char *s) { json_object_object_add(o, key, jstr_take(s)); }

/* One selector per vendor:device over the included units, in first-seen order, with names that are unique
 * among them (a shared pci.ids name gets the ids appended). */
typedef struct selector {
        const vk_export_func *f;
        char *resource, *alias;
} selector;

static void selectors_free(selector *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(s[i].resource);
                free(s[i].alias);
        }
        free(s);
}

static int selectors_build(const vk_export *e, selector **ret, size_t *ret_n) {
        size_t n = 0, cap = 0;
        selector *s = NULL;

        for (size_t i = 0; i < e->n_units; i++) {
                const vk_export_unit *u = &e->units[i];
                for (size_t k = 0; u->included && k < u->n_funcs; k++) {
                        const vk_export_func *f = &u->funcs[k];
                        bool seen = false;
                        for (size_t j = 0; j < n && !seen; j++)
                                seen = s[j].f->vendor == f->vendor && s[j].f->device == f->device;
                        if (seen)
                                continue;
                        if (n == cap) {
                                selector *v = realloc(s, (cap = cap ? cap * 2 : 8) * sizeof(*s));
                                if (!v) {
                                        selectors_free(s, n);
                                        return -ENOMEM;
                                }
                                s = v;
                        }
                        s[n] = (selector){.f = f, .resource = vk_export_resource_name(f),
                                          .alias = vk_export_alias_name(f)};
                        if (!s[++n - 1].resource || !s[n - 1].alias) {
                                selectors_free(s, n);
                                return -ENOMEM;
                        }
                }
        }
        for (size_t i = 0; i < n; i++) {
                bool clash_r = false, clash_a = false;
                for (size_t j = 0; j < n; j++) {
                        if (j == i)
                                continue;
                        _cleanup_free_ char *r = vk_export_resource_name(s[j].f), *a = vk_export_alias_name(s[j].f);
                        clash_r |= r && vk_streq(r, s[i].resource);
                        clash_a |= a && vk_streq(a, s[i].alias);
                }
                if (clash_r) {
                        /* room for the suffix inside the 63 characters of the name part */
                        char *slash = strchr(s[i].resource, '/');
                        if (slash && strlen(slash + 1) > 53)
                                slash[54] = 0;
                        char *x = vk_printf("%s_%04X_%04X", s[i].resource, s[i].f->vendor, s[i].f->device);
                        free(s[i].resource);
                        s[i].resource = x;
                }
                if (clash_a) {
                        char *x = vk_printf("%s-%04x-%04x", s[i].alias, s[i].f->vendor, s[i].f->device);
                        free(s[i].alias);
                        s[i].alias = x;
                }
                if (!s[i].resource || !s[i].alias) {
                        selectors_free(s, n);
                        return -ENOMEM;
                }
        }
        *ret = s;
        *ret_n = n;
        return 0;
}

static const selector *selector_of(const selector *s, size_t n, const vk_export_func *f) {
        for (size_t i = 0; i < n; i++)
                if (s[i].f->vendor == f->vendor && s[i].f->device == f->device)
                        return &s[i];
        return NULL;
}

int vk_export_kubevirt_patch(const vk_export *e, json_object **ret) {
        selector *s = NULL;
        size_t n = 0;
        int r = selectors_build(e, &s, &n);
        json_object *root, *meta, *spec, *conf, *dev, *gates, *perm, *pci;

        if (r < 0)
                return r;
        root = json_object_new_object();
        json_object_object_add(root, "apiVersion", jstr("kubevirt.io/v1"));
        json_object_object_add(root, "kind", jstr("KubeVirt"));
        json_object_object_add(root, "metadata", meta = json_object_new_object());
        json_object_object_add(meta, "name", jstr("kubevirt"));
        json_object_object_add(meta, "namespace", jstr("kubevirt"));
        json_object_object_add(root, "spec", spec = json_object_new_object());
        json_object_object_add(spec, "configuration", conf = json_object_new_object());
        json_object_object_add(conf, "developerConfiguration", dev = json_object_new_object());
        json_object_object_add(dev, "featureGates", gates = json_object_new_array());
        json_object_array_add(gates, jstr("HostDevices"));
        json_object_object_add(conf, "permittedHostDevices", perm = json_object_new_object());
        json_object_object_add(perm, "pciHostDevices", pci = json_object_new_array());
        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_new_object();
                /* KubeVirt's documentation writes the selector in upper case */
                put_take(d, "pciVendorSelector", vk_printf("%04X:%04X", s[i].f->vendor, s[i].f->device));
                json_object_object_add(d, "resourceName", jstr(s[i].resource));
                json_object_object_add(d, "externalResourceProvider", json_object_new_boolean(false));
                json_object_array_add(pci, d);
        }
        selectors_free(s, n);
        *ret = root;
        return 0;
}

static const char *host_list(const vk_export *e, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = 0;
        for (size_t i = 0; i < e->hosts.n && used < size; i++)
                used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", e->hosts.v[i]);
        return buf;
}

/* The comment lines every text output starts with: how each node hands the functions to vfio-pci. An id
 * that a function staying with the host also has cannot go into vfio-pci.ids: that would take it too. */
static void print_vfio_ids(FILE *f, const vk_export *e) {
        fprintf(f, "# Each node must have these functions on vfio-pci (kernel command line, or vfiokit bind):\n");
        for (size_t h = 0; h < e->hosts.n; h++) {
                vk_strv ids = {0}, shared = {0}, addrs = {0};
                for (size_t i = 0; i < e->n_units; i++) {
                        const vk_export_unit *u = &e->units[i];
                        for (size_t k = 0; u->included && vk_streq(u->host, e->hosts.v[h]) && k < u->n_funcs; k++) {
                                const vk_export_func *x = &u->funcs[k];
                                int exported = 0;
                                char id[16];

                                for (size_t j = 0; j < e->n_units; j++)
                                        for (size_t l = 0; e->units[j].included && l < e->units[j].n_funcs; l++)
                                                exported += vk_streq(e->units[j].host, e->hosts.v[h]) &&
                                                            e->units[j].funcs[l].vendor == x->vendor &&
                                                            e->units[j].funcs[l].device == x->device;
                                snprintf(id, sizeof(id), "%04x:%04x", x->vendor, x->device);
                                if (exported < x->same_id) {
                                        if (!vk_strv_contains(&shared, id))
                                                vk_strv_push(&shared, id);
                                        vk_strv_push(&addrs, x->addr);
                                } else if (!vk_strv_contains(&ids, id))
                                        vk_strv_push(&ids, id);
                        }
                }
                if (ids.n) {
                        fprintf(f, "#   %s: vfio-pci.ids=", e->hosts.v[h]);
                        for (size_t i = 0; i < ids.n; i++)
                                fprintf(f, "%s%s", i ? "," : "", ids.v[i]);
                        fputc('\n', f);
                }
                if (shared.n) {
                        fprintf(f, "#   %s: by address (vfiokit bind, or vfiokit sriov --bind for VFs):", e->hosts.v[h]);
                        for (size_t i = 0; i < addrs.n; i++)
                                fprintf(f, " %s", addrs.v[i]);
                        fprintf(f, "\n#     never vfio-pci.ids=");
                        for (size_t i = 0; i < shared.n; i++)
                                fprintf(f, "%s%s", i ? "," : "", shared.v[i]);
                        fprintf(f, ": a function that stays with the host has %s too\n",
                                shared.n == 1 ? "that id" : "those ids");
                }
                vk_strv_clear(&ids);
                vk_strv_clear(&shared);
                vk_strv_clear(&addrs);
        }
}

/* The memstream's buffer is only final after fclose: take it by address. */
static int finish(FILE *f, char **buf, char **ret) {
        if (fclose(f) != 0) {
                free(*buf);
                return -ENOMEM;
        }
        *ret = *buf;
        return 0;
}

int vk_export_kubevirt_yaml(const vk_export *e, char **ret) {
        json_object *patch = NULL;
        _cleanup_free_ char *yaml = NULL;
        selector *s = NULL;
        size_t n = 0, len = 0;
        char *buf = NULL, hosts[512];
        FILE *f;
        int r;

        r = vk_export_kubevirt_patch(e, &patch);
        if (r >= 0)
                r = vk_export_json_to_yaml(patch, &yaml);
        json_object_put(patch);
        if (r >= 0)
                r = selectors_build(e, &s, &n);
        if (r < 0)
                return r;
        f = open_memstream(&buf, &len);
        if (!f) {
                selectors_free(s, n);
                return -ENOMEM;
        }
        fprintf(f, "# KubeVirt host devices of %s (vfiokit export --format=kubevirt)\n", host_list(e, hosts, sizeof(hosts)));
        fprintf(f, "# Apply: kubectl patch kubevirt kubevirt -n kubevirt --type merge --patch-file FILE\n"
                   "# A merge patch replaces whole lists: when featureGates already names other gates, add\n"
                   "# HostDevices to them instead (kubectl edit kubevirt kubevirt -n kubevirt).\n");
        print_vfio_ids(f, e);
        /* a card's functions share an IOMMU group: a VM that gets one must get all of them */
        for (size_t i = 0; i < e->n_units; i++) {
                const vk_export_unit *u = &e->units[i];
                bool again = false;
                if (!u->included || u->n_funcs < 2)
                        continue;
                for (size_t k = 0; k < i && !again; k++)
                        again = e->units[k].included && vk_streq(e->units[k].composition, u->composition);
                if (again)
                        continue;
                fprintf(f, "# %04X:%04X comes with %zu more function%s: a VM must request all of them together in\n"
                           "# spec.domain.devices.hostDevices (deviceName):",
                        u->funcs[0].vendor, u->funcs[0].device, u->n_funcs - 1, u->n_funcs == 2 ? "" : "s");
                for (size_t k = 0; k < u->n_funcs; k++) {
                        const selector *x = selector_of(s, n, &u->funcs[k]);
                        fprintf(f, "%s %s", k ? " +" : "", x ? x->resource : "?");
                }
                fputc('\n', f);
        }
        fputs(yaml, f);
        selectors_free(s, n);
        return finish(f, &buf, ret);
}

/* Nova: per compute node its device_spec list; the aliases (the same on every node and on nova-api); one
 * flavor extra spec per distinct card. */
static int nova_json(const vk_export *e, json_object **ret) {
        selector *s = NULL;
        size_t n = 0;
        int r = selectors_build(e, &s, &n);
        json_object *root, *nodes, *aliases, *flavors;

        if (r < 0)
                return r;
        root = json_object_new_object();
        json_object_object_add(root, "compute_nodes", nodes = json_object_new_array());
        for (size_t h = 0; h < e->hosts.n; h++) {
                json_object *node = NULL, *specs = NULL;
                for (size_t i = 0; i < e->n_units; i++) {
                        const vk_export_unit *u = &e->units[i];
                        if (!u->included || !vk_streq(u->host, e->hosts.v[h]))
                                continue;
                        if (!node) {
                                node = json_object_new_object();
                                json_object_object_add(node, "node", jstr(e->hosts.v[h]));
                                json_object_object_add(node, "device_spec", specs = json_object_new_array());
                                json_object_array_add(nodes, node);
                        }
                        for (size_t k = 0; k < u->n_funcs; k++) {
                                json_object *d = json_object_new_object();
                                put_take(d, "vendor_id", vk_printf("%04x", u->funcs[k].vendor));
                                put_take(d, "product_id", vk_printf("%04x", u->funcs[k].device));
                                json_object_object_add(d, "address", jstr(u->funcs[k].addr));
                                json_object_array_add(specs, d);
                        }
                }
        }
        json_object_object_add(root, "alias", aliases = json_object_new_array());
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_new_object();
                put_take(a, "vendor_id", vk_printf("%04x", s[i].f->vendor));
                put_take(a, "product_id", vk_printf("%04x", s[i].f->device));
                json_object_object_add(a, "device_type", jstr(s[i].f->device_type));
                json_object_object_add(a, "name", jstr(s[i].alias));
                json_object_array_add(aliases, a);
        }
        json_object_object_add(root, "flavor_extra_specs", flavors = json_object_new_array());
        for (size_t i = 0; i < e->n_units; i++) {
                const vk_export_unit *u = &e->units[i];
                bool again = false;
                char *buf = NULL;
                size_t len = 0;
                FILE *f;

                if (!u->included)
                        continue;
                for (size_t k = 0; k < i && !again; k++)
                        again = e->units[k].included && vk_streq(e->units[k].composition, u->composition);
                if (again || !(f = open_memstream(&buf, &len)))
                        continue;
                for (size_t k = 0; k < u->n_funcs; k++) {
                        const selector *x = selector_of(s, n, &u->funcs[k]);
                        fprintf(f, "%s%s:1", k ? "," : "", x ? x->alias : "?");
                }
                if (fclose(f) == 0) {
                        json_object *spec = json_object_new_object();
                        json_object_object_add(spec, "pci_passthrough:alias", jstr(buf));
                        json_object_array_add(flavors, spec);
                }
                free(buf);
        }
        selectors_free(s, n);
        *ret = root;
        return 0;
}

int vk_export_nova(const vk_export *e, char **ret) {
        json_object *nova = NULL, *nodes, *aliases, *flavors;
        char *buf = NULL, hosts[512];
        size_t len = 0;
        FILE *f;
        int r = nova_json(e, &nova);

        if (r < 0)
                return r;
        f = open_memstream(&buf, &len);
        if (!f) {
                json_object_put(nova);
                return -ENOMEM;
        }
        nodes = json_object_object_get(nova, "compute_nodes");
        aliases = json_object_object_get(nova, "alias");
        flavors = json_object_object_get(nova, "flavor_extra_specs");
        fprintf(f, "# OpenStack Nova PCI passthrough of %s (vfiokit export --format=nova)\n"
                   "# nova.conf of each compute node: its [pci] section below. nova-api (the controllers) needs the\n"
                   "# same alias lines; they must be identical everywhere.\n",
                host_list(e, hosts, sizeof(hosts)));
        print_vfio_ids(f, e);
        fprintf(f, "# Flavors (one per card; a card's functions share an IOMMU group, so ask for all of them):\n");
        for (size_t i = 0; i < json_object_array_length(flavors); i++)
                fprintf(f, "#   openstack flavor set FLAVOR --property \"pci_passthrough:alias\"=\"%s\"\n",
                        json_object_get_string(json_object_object_get(json_object_array_get_idx(flavors, i),
                                                                      "pci_passthrough:alias")));
        for (size_t h = 0; h < json_object_array_length(nodes); h++) {
                json_object *node = json_object_array_get_idx(nodes, h), *specs;
                fprintf(f, "\n# compute node %s\n[pci]\n", json_object_get_string(json_object_object_get(node, "node")));
                specs = json_object_object_get(node, "device_spec");
                for (size_t i = 0; i < json_object_array_length(specs); i++)
                        fprintf(f, "device_spec = %s\n",
                                json_object_to_json_string_ext(json_object_array_get_idx(specs, i), JSON_LINE));
                for (size_t i = 0; i < json_object_array_length(aliases); i++)
                        fprintf(f, "alias = %s\n",
                                json_object_to_json_string_ext(json_object_array_get_idx(aliases, i), JSON_LINE));
        }
        json_object_put(nova);
        return finish(f, &buf, ret);
}

/* Proxmox: one mapping per device model (all functions of a card as one path "0000:01:00"), one map entry
 * per node; several devices on one node go into one entry as "path1;path2", which Proxmox takes as "the
 * first free one" and checks each against the entry's id and subsystem-id. */
typedef struct pmx_item {
        const vk_export_unit *u;
        const vk_export_func *f;
        bool all_functions;
} pmx_item;

static bool pmx_same_model(const pmx_item *a, const pmx_item *b) {
        return a->f->vendor == b->f->vendor && a->f->device == b->f->device && a->all_functions == b->all_functions;
}

static int proxmox_json(const vk_export *e, json_object **ret) {
        pmx_item *items = NULL;
        size_t n = 0;
        json_object *root = json_object_new_object(), *mappings = json_object_new_array();
        vk_strv ids = {0};

        json_object_object_add(root, "mappings", mappings);
        for (size_t i = 0; i < e->n_units; i++) {
                const vk_export_unit *u = &e->units[i];
                bool whole = u->n_funcs > 1 && u->funcs[1].role == VK_EXPORT_COMPANION &&
                             vk_streq(u->funcs[0].addr + 10, ".0");
                if (!u->included)
                        continue;
                for (size_t k = 0; k < u->n_funcs; k++) {
                        pmx_item *v;
                        if (whole && k > 0 && u->funcs[k].role == VK_EXPORT_COMPANION)
                                continue; /* inside "all functions" */
                        v = realloc(items, (n + 1) * sizeof(*v));
                        if (!v) {
                                free(items);
                                json_object_put(root);
                                return -ENOMEM;
                        }
                        items = v;
                        items[n++] = (pmx_item){u, &u->funcs[k], whole && k == 0};
                }
        }
        for (size_t i = 0; i < n; i++) {
                bool done = false;
                json_object *mapping, *map;
                _cleanup_free_ char *id = NULL;
                char *desc;

                for (size_t k = 0; k < i && !done; k++)
                        done = pmx_same_model(&items[k], &items[i]);
                if (done)
                        continue;
                id = vk_export_mapping_id(items[i].f);
                if (id && vk_strv_contains(&ids, id)) {
                        char *x = vk_printf("%s_%04x_%04x%s", id, items[i].f->vendor, items[i].f->device,
                                            items[i].all_functions ? "_all" : "");
                        free(id);
                        id = x;
                }
                if (!id || vk_strv_push(&ids, id) < 0)
                        continue;
                mapping = json_object_new_object();
                json_object_object_add(mapping, "id", jstr(id));
                desc = vk_printf("%s%s", items[i].f->name ? items[i].f->name : "PCI device",
                                 items[i].all_functions ? " (all functions)" : "");
                put_take(mapping, "description", desc);
                json_object_object_add(mapping, "map", map = json_object_new_array());
                json_object_array_add(mappings, mapping);
                for (size_t h = 0; h < e->hosts.n; h++) {
                        const pmx_item *first = NULL;
                        char *buf = NULL;
                        size_t len = 0;
                        FILE *f = NULL;
                        for (size_t k = i; k < n; k++) {
                                const pmx_item *x = &items[k];
                                if (!pmx_same_model(x, &items[i]) || !vk_streq(x->u->host, e->hosts.v[h]))
                                        continue;
                                /* every path of an entry must match its subsystem-id: another board gets its own */
                                if (first && (x->f->subsys_vendor != first->f->subsys_vendor ||
                                              x->f->subsys_device != first->f->subsys_device))
                                        continue;
                                if (!first) {
                                        first = x;
                                        f = open_memstream(&buf, &len);
                                        if (!f)
                                                break;
                                } else
                                        fputc(';', f);
                                fprintf(f, "%.*s", x->all_functions ? 10 : 12, x->f->addr);
                        }
                        if (!first || !f)
                                continue;
                        if (fclose(f) == 0) {
                                /* the keys in the order Proxmox's own writer sorts them */
                                json_object *m = json_object_new_object();
                                put_take(m, "id", vk_printf("%04x:%04x", first->f->vendor, first->f->device));
                                json_object_object_add(m, "iommugroup", json_object_new_int(first->f->iommu_group));
                                json_object_object_add(m, "node", jstr(e->hosts.v[h]));
                                json_object_object_add(m, "path", jstr(buf));
                                put_take(m, "subsystem-id",
                                         vk_printf("%04x:%04x", first->f->subsys_vendor, first->f->subsys_device));
                                json_object_array_add(map, m);
                        }
                        free(buf);
                }
        }
        free(items);
        vk_strv_clear(&ids);
        *ret = root;
        return 0;
}

int vk_export_proxmox(const vk_export *e, char **ret) {
        json_object *pmx = NULL, *mappings;
        char *buf = NULL, hosts[512];
        size_t len = 0;
        FILE *f;
        int r = proxmox_json(e, &pmx);

        if (r < 0)
                return r;
        f = open_memstream(&buf, &len);
        if (!f) {
                json_object_put(pmx);
                return -ENOMEM;
        }
        fprintf(f, "# Proxmox VE PCI resource mappings of %s (vfiokit export --format=proxmox)\n"
                   "# Add these sections to /etc/pve/mapping/pci.cfg (or create them in Datacenter → Resource\n"
                   "# Mappings); a VM then uses one as: qm set VMID --hostpci0 mapping=ID,pcie=1\n",
                host_list(e, hosts, sizeof(hosts)));
        print_vfio_ids(f, e);
        mappings = json_object_object_get(pmx, "mappings");
        for (size_t i = 0; i < json_object_array_length(mappings); i++) {
                json_object *m = json_object_array_get_idx(mappings, i), *map = json_object_object_get(m, "map");
                fprintf(f, "\n%s\n", json_object_get_string(json_object_object_get(m, "id")));
                for (size_t k = 0; k < json_object_array_length(map); k++) {
                        bool first = true;
                        fprintf(f, "\tmap ");
                        json_object_object_foreach(json_object_array_get_idx(map, k), key, val) {
                                fprintf(f, "%s%s=%s", first ? "" : ",", key, json_object_get_string(val));
                                first = false;
                        }
                        fputc('\n', f);
                }
                fprintf(f, "\tdescription %s\n", json_object_get_string(json_object_object_get(m, "description")));
        }
        json_object_put(pmx);
        return finish(f, &buf, ret);
}

static const char *role_name(vk_export_role r) {
        return r == VK_EXPORT_DEVICE ? "device" : r == VK_EXPORT_COMPANION ? "companion" : "group";
}

int vk_export_json(const vk_export *e, vk_export_format fmt, json_object **ret) {
        json_object *root = json_object_new_object(), *hosts, *units, *warnings, *engine = NULL;
        int r;

        json_object_object_add(root, "format", jstr(vk_export_format_name(fmt)));
        json_object_object_add(root, "hosts", hosts = json_object_new_array());
        for (size_t i = 0; i < e->hosts.n; i++) {
                json_object *h = json_object_new_object();
                json_object_object_add(h, "name", jstr(e->hosts.v[i]));
                json_object_object_add(h, "source", jstr(e->sources.v[i]));
                json_object_array_add(hosts, h);
        }
        json_object_object_add(root, "units", units = json_object_new_array());
        for (size_t i = 0; i < e->n_units; i++) {
                const vk_export_unit *u = &e->units[i];
                json_object *o = json_object_new_object(), *funcs, *unsafe;
                json_object_object_add(o, "host", jstr(u->host));
                json_object_object_add(o, "device", jstr(u->funcs[0].addr));
                json_object_object_add(o, "included", json_object_new_boolean(u->included));
                json_object_object_add(o, "unsafe", unsafe = json_object_new_array());
                for (size_t k = 0; k < u->unsafe.n; k++)
                        json_object_array_add(unsafe, jstr(u->unsafe.v[k]));
                json_object_object_add(o, "inconsistent", jstr(u->inconsistent));
                json_object_object_add(o, "iommu_groups", jstr(u->composition));
                json_object_object_add(o, "functions", funcs = json_object_new_array());
                for (size_t k = 0; k < u->n_funcs; k++) {
                        const vk_export_func *f = &u->funcs[k];
                        json_object *x = json_object_new_object();
                        json_object_object_add(x, "address", jstr(f->addr));
                        put_take(x, "vendor_id", vk_printf("%04x", f->vendor));
                        put_take(x, "product_id", vk_printf("%04x", f->device));
                        put_take(x, "subsystem_id", vk_printf("%04x:%04x", f->subsys_vendor, f->subsys_device));
                        json_object_object_add(x, "iommu_group",
                                               f->iommu_group >= 0 ? json_object_new_int(f->iommu_group) : NULL);
                        json_object_object_add(x, "role", jstr(role_name(f->role)));
                        json_object_object_add(x, "device_type", jstr(f->device_type));
                        json_object_object_add(x, "vendor_name", jstr(f->vendor_name));
                        json_object_object_add(x, "name", jstr(f->name));
                        json_object_array_add(funcs, x);
                }
                json_object_array_add(units, o);
        }
        json_object_object_add(root, "warnings", warnings = json_object_new_array());
        for (size_t i = 0; i < e->warnings.n; i++)
                json_object_array_add(warnings, jstr(e->warnings.v[i]));
        switch (fmt) {
        case VK_EXPORT_KUBEVIRT:
                r = vk_export_kubevirt_patch(e, &engine);
                break;
        case VK_EXPORT_NOVA:
                r = nova_json(e, &engine);
                break;
        case VK_EXPORT_PROXMOX:
        default:
                r = proxmox_json(e, &engine);
                break;
        }
        if (r < 0) {
                json_object_put(root);
                return r;
        }
        json_object_object_add(root, vk_export_format_name(fmt), engine);
        *ret = root;
        return 0;
}
