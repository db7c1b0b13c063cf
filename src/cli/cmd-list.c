/* cmd-list.c — `vfiokit list`: GPUs and their groups, every group with --all, or a Graphviz drawing. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cli.h"

static void print_device(vk_cli *cli, json_object *d, const char *role, const char *note) {
        const char *vendor = vk_js(d, "vendor"), *device = vk_js(d, "device");
        const char *cname = vk_js(d, "class_name"), *vname = vk_js(d, "vendor_name"), *dname = vk_js(d, "device_name");
        json_object *crit = vk_jo(d, "host_critical");
        char ids[16];

        snprintf(ids, sizeof(ids), "[%s:%s]", vendor ? vendor : "????", device ? device : "????");
        printf("    %s%-10s%s %s  %s  %-14s %s%s", vk_streq(role, "BLOCKER") ? vk_color(cli, "red") : "", role,
               vk_color(cli, "reset"), vk_js(d, "address"), ids, vk_js(d, "driver") ? vk_js(d, "driver") : "-",
               cname ? cname : "", cname ? ": " : "");
        /* as lspci does when pci.ids has no name: "Device vvvv:dddd" */
        if (vname && dname)
                printf("%s %s", vname, dname);
        else
                printf("%s%sDevice %s:%s", vname ? vname : "", vname ? " " : "", vendor ? vendor : "????",
                       device ? device : "????");
        for (size_t i = 0; crit && i < json_object_array_length(crit); i++)
                printf("  %s! host %s: %s%s", vk_color(cli, "red"), vk_js(json_object_array_get_idx(crit, i), "kind"),
                       vk_js(json_object_array_get_idx(crit, i), "detail"), vk_color(cli, "reset"));
        if (note)
                printf("  %s(%s)%s", vk_color(cli, "dim"), note, vk_color(cli, "reset"));
        printf("\n");
}

static json_object *find_group(json_object *host, int id) {
        json_object *groups = vk_jo(host, "groups");
        for (size_t i = 0; i < json_object_array_length(groups); i++)
                if (vk_ji(json_object_array_get_idx(groups, i), "id", -1) == id)
                        return json_object_array_get_idx(groups, i);
        return NULL;
}

static bool in_array(json_object *a, const char *s) {
        for (size_t i = 0; a && i < json_object_array_length(a); i++)
                if (vk_streq(json_object_get_string(json_object_array_get_idx(a, i)), s))
                        return true;
        return false;
}

static const char *blocker_reason(json_object *gpu, const char *addr) {
        json_object *r = vk_jo(gpu, "blocker_reasons");
        for (size_t i = 0; i < json_object_array_length(r); i++)
                if (vk_streq(vk_js(json_object_array_get_idx(r, i), "address"), addr))
                        return vk_js(json_object_array_get_idx(r, i), "reason");
        return NULL;
}

static void render_gpus(vk_cli *cli, json_object *host) {
        json_object *gpus = vk_jo(host, "gpus");
        size_t n = json_object_array_length(gpus);

        printf("IOMMU %s · %zu GPU%s\n", vk_jb(host, "iommu_enabled") ? "on" : "OFF", n, n == 1 ? "" : "s");
        if (n == 0)
                printf("\nNo GPU (PCI class 0300, 0302 or 0380) on this host. 'vfiokit list --all' shows every device.\n");
        for (size_t i = 0; i < n; i++) {
                json_object *g = json_object_array_get_idx(gpus, i);
                json_object *grp = vk_ji(g, "group", -1) >= 0 ? find_group(host, vk_ji(g, "group", -1)) : NULL;
                json_object *blockers = vk_jo(g, "blockers"), *others = vk_jo(g, "others");
                json_object *devs = grp ? vk_jo(grp, "devices") : NULL;
                const char *vname = vk_js(g, "vendor_name"), *dname = vk_js(g, "device_name");

                printf("\n%s%s%s  [%s:%s]  %s  %s  ", vk_color(cli, "bold"), vk_js(g, "address"),
                       vk_color(cli, "reset"), vk_js(g, "vendor"), vk_js(g, "device"),
                       vk_streq(vk_js(g, "kind"), "vga") ? "VGA" : vk_streq(vk_js(g, "kind"), "3d") ? "3D" : "display",
                       vk_js(g, "driver") ? vk_js(g, "driver") : "(no driver)");
                if (vname && dname)
                        printf("%s %s\n", vname, dname);
                else
                        printf("%s%sDevice %s:%s\n", vname ? vname : "", vname ? " " : "", vk_js(g, "vendor"),
                               vk_js(g, "device"));
                if (vk_js(g, "physfn"))
                        printf("  SR-IOV virtual function of %s\n", vk_js(g, "physfn"));
                if (!grp) {
                        printf("  no IOMMU group: %s\n", vk_jb(host, "iommu_enabled") ? "see 'vfiokit status'"
                                                                                   : "the IOMMU is off");
                        for (size_t j = 0; j < json_object_array_length(vk_jo(g, "companions")); j++)
                                printf("    companion  %s\n",
                                       json_object_get_string(json_object_array_get_idx(vk_jo(g, "companions"), j)));
                        continue;
                }
                printf("  group %d · %s%s%s", vk_ji(g, "group", -1),
                       json_object_array_length(blockers) ? vk_color(cli, "red") : "",
                       json_object_array_length(blockers) ? "NOT SAFE to pass"
                       : json_object_array_length(others) ? "passes only together with other devices"
                                                          : "ready to pass",
                       vk_color(cli, "reset"));
                printf("%s%s\n", vk_jb(g, "boot_vga") ? " · boot GPU" : "",
                       vk_jb(grp, "viable") ? " · group on vfio-pci (viable)" : "");
                for (size_t j = 0; j < json_object_array_length(devs); j++) {
                        json_object *d = json_object_array_get_idx(devs, j);
                        const char *a = vk_js(d, "address");
                        const char *why = blocker_reason(g, a);
                        const char *role = in_array(blockers, a) ? "BLOCKER"
                                           : vk_streq(a, vk_js(g, "address")) ? "gpu"
                                           : in_array(vk_jo(g, "companions"), a) ? "companion"
                                           : vk_jb(d, "bridge")              ? "bridge"
                                                                             : "other";
                        /* a host-critical blocker already says why on its own line */
                        bool critical = json_object_array_length(vk_jo(d, "host_critical")) > 0;
                        print_device(cli, d, role,
                                     why && !critical ? why : vk_jb(d, "bridge") ? "stays with the host" : NULL);
                }
        }
}

static void render_all(vk_cli *cli, json_object *host) {
        json_object *groups = vk_jo(host, "groups"), *ung = vk_jo(host, "ungrouped");
        size_t n = json_object_array_length(groups);

        printf("IOMMU %s · %zu group%s\n", vk_jb(host, "iommu_enabled") ? "on" : "OFF", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
                json_object *g = json_object_array_get_idx(groups, i), *devs = vk_jo(g, "devices");
                bool viable = vk_jb(g, "viable");

                printf("\n%sgroup %d%s  %s", vk_color(cli, "bold"), vk_ji(g, "id", -1), vk_color(cli, "reset"),
                       viable ? "viable for VFIO" : "in use by host drivers:");
                if (!viable) {
                        vk_strv seen = {0};
                        for (size_t j = 0; j < json_object_array_length(devs); j++) {
                                json_object *d = json_object_array_get_idx(devs, j);
                                const char *drv = vk_js(d, "driver");
                                if (drv && !vk_jb(d, "bridge") && !vk_strv_contains(&seen, drv) &&
                                    vk_strv_push(&seen, drv) >= 0)
                                        printf(" %s", drv);
                        }
                        vk_strv_clear(&seen);
                }
                printf("\n");
                for (size_t j = 0; j < json_object_array_length(devs); j++) {
                        json_object *d = json_object_array_get_idx(devs, j);
                        print_device(cli, d, vk_jb(d, "gpu") ? "gpu" : vk_jb(d, "bridge") ? "bridge" : "", NULL);
                }
        }
        if (json_object_array_length(ung)) {
                printf("\n%sin no IOMMU group%s\n", vk_color(cli, "bold"), vk_color(cli, "reset"));
                for (size_t j = 0; j < json_object_array_length(ung); j++) {
                        json_object *d = json_object_array_get_idx(ung, j);
                        print_device(cli, d, vk_jb(d, "gpu") ? "gpu" : vk_jb(d, "bridge") ? "bridge" : "", NULL);
                }
        }
}

static void dot_string(const char *s) {
        putchar('"');
        for (; s && *s; s++) {
                if (*s == '"' || *s == '\\')
                        putchar('\\');
                putchar(*s);
        }
        putchar('"');
}

/* Graphviz: the PCI tree as edges, IOMMU groups as clusters, host-critical devices in red. */
static int render_dot(const vk_model *m) {
        vk_strv roots = {0};

        printf("digraph vfiokit {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                const vk_critical *c = vk_model_critical(m, f->addr);
                _cleanup_free_ char *label =
                        vk_printf("%s [%04x:%04x]\\n%s\\n%s%s%s", f->addr, f->vendor, f->device,
                                  f->device_name ? f->device_name : (f->class_name ? f->class_name : ""),
                                  f->driver ? f->driver : "no driver", c ? "\\nHOST: " : "",
                                  c ? vk_critical_kind_name(c->kind) : "");
                printf("  \"%s\" [label=", f->addr);
                /* the label holds \n escapes on purpose; quote only the names */
                putchar('"');
                for (const char *p = label; p && *p; p++) {
                        if (*p == '"')
                                putchar('\\');
                        putchar(*p);
                }
                putchar('"');
                if (c)
                        printf(", color=red, penwidth=2");
                else if (vk_func_is_gpu(f))
                        printf(", style=filled, fillcolor=lightblue");
                else if (vk_func_is_bridge(f))
                        printf(", shape=diamond");
                printf("];\n");
        }
        for (size_t i = 0; i < m->n_groups; i++) {
                const vk_group *g = &m->groups[i];
                printf("  subgraph \"cluster_group_%d\" {\n    label=\"IOMMU group %d%s\";\n", g->id, g->id,
                       g->viable ? " (viable)" : "");
                for (size_t j = 0; j < g->n_members; j++)
                        printf("    \"%s\";\n", m->funcs[g->members[j]].addr);
                printf("  }\n");
        }
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                if (f->parent)
                        printf("  \"%s\" -> \"%s\";\n", f->parent, f->addr);
                else if (f->syspath) {
                        /* sys/devices/pci0000:00/… — the host bridge's bus */
                        const char *b = strstr(f->syspath, "/pci");
                        _cleanup_free_ char *bus = b ? strndup(b + 1, strcspn(b + 1, "/")) : strdup("pci");
                        if (!bus)
                                return -ENOMEM;
                        if (!vk_strv_contains(&roots, bus)) {
                                printf("  ");
                                dot_string(bus);
                                printf(" [shape=ellipse];\n");
                                vk_strv_push(&roots, bus);
                        }
                        printf("  ");
                        dot_string(bus);
                        printf(" -> \"%s\";\n", f->addr);
                }
        }
        printf("}\n");
        vk_strv_clear(&roots);
        return 0;
}

int cmd_list(vk_cli *cli, int argc, char **argv) {
        _cleanup_model_ vk_model *m = NULL;
        json_object *o;
        int r;

        (void)argc;
        (void)argv;
        r = vk_cli_load(cli, &m);
        if (r)
                return r;
        if (cli->format && vk_streq(cli->format, "dot"))
                return render_dot(m) < 0 ? vk_err_errno(-ENOMEM, "list") : VK_EXIT_OK;
        o = vk_json_host(m, cli->all);
        if (!o)
                return vk_err_errno(-ENOMEM, "list");
        if (cli->json)
                vk_print_json(o);
        else if (cli->all)
                render_all(cli, o);
        else
                render_gpus(cli, o);
        json_object_put(o);
        return VK_EXIT_OK;
}
