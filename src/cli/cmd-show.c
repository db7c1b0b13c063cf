/* cmd-show.c — `vfiokit show DEVICE`: everything about one PCI function. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cli.h"

static void row(const char *key, const char *val) { printf("  %-16s %s\n", key, val && *val ? val : "-"); }

static void row_list(const char *key, json_object *a) {
        char buf[1024] = "";
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(a, i));
                if (strlen(buf) + strlen(s) + 3 < sizeof(buf)) {
                        if (i)
                                strcat(buf, " ");
                        strcat(buf, s);
                }
        }
        row(key, buf);
}

static void render_text(vk_cli *cli, json_object *o) {
        json_object *sriov = vk_jo(o, "sriov"), *gpu = vk_jo(o, "gpu_report"), *grp = vk_jo(o, "group_members");
        json_object *crit = vk_jo(o, "host_critical");
        char buf[512];

        printf("%s%s%s  ", vk_color(cli, "bold"), vk_js(o, "address"), vk_color(cli, "reset"));
        if (vk_js(o, "vendor_name") && vk_js(o, "device_name"))
                printf("%s %s\n", vk_js(o, "vendor_name"), vk_js(o, "device_name"));
        else
                printf("%s%sDevice %s:%s\n", vk_js(o, "vendor_name") ? vk_js(o, "vendor_name") : "",
                       vk_js(o, "vendor_name") ? " " : "", vk_js(o, "vendor") ? vk_js(o, "vendor") : "????",
                       vk_js(o, "device") ? vk_js(o, "device") : "????");
        snprintf(buf, sizeof(buf), "%s:%s", vk_js(o, "vendor") ? vk_js(o, "vendor") : "?",
                 vk_js(o, "device") ? vk_js(o, "device") : "?");
        row("id", buf);
        snprintf(buf, sizeof(buf), "%s:%s%s%s", vk_js(o, "subsystem_vendor") ? vk_js(o, "subsystem_vendor") : "?",
                 vk_js(o, "subsystem_device") ? vk_js(o, "subsystem_device") : "?",
                 vk_js(o, "subsystem_name") ? " " : "", vk_js(o, "subsystem_name") ? vk_js(o, "subsystem_name") : "");
        row("subsystem", buf);
        snprintf(buf, sizeof(buf), "%s%s%s", vk_js(o, "class") ? vk_js(o, "class") : "?",
                 vk_js(o, "class_name") ? " " : "", vk_js(o, "class_name") ? vk_js(o, "class_name") : "");
        row("class", buf);
        row("revision", vk_js(o, "revision"));
        row("driver", vk_js(o, "driver"));
        row("driver_override", vk_js(o, "driver_override"));
        row("boot_vga", vk_jo(o, "boot_vga") ? (vk_jb(o, "boot_vga") ? "yes" : "no") : NULL);
        row_list("reset_methods", vk_jo(o, "reset_methods"));
        row("parent", vk_js(o, "parent"));
        row("sysfs", vk_js(o, "sysfs_path"));
        row_list("drm", vk_jo(o, "drm"));
        if (sriov) {
                snprintf(buf, sizeof(buf), "%d of %d VFs enabled", vk_ji(sriov, "numvfs", 0), vk_ji(sriov, "totalvfs", 0));
                row("sriov", buf);
                row_list("vfs", vk_jo(sriov, "vfs"));
        }
        if (vk_js(o, "physfn"))
                row("physfn", vk_js(o, "physfn"));
        for (size_t i = 0; i < json_object_array_length(crit); i++) {
                json_object *c = json_object_array_get_idx(crit, i);
                snprintf(buf, sizeof(buf), "%s%s: %s%s", vk_color(cli, "red"), vk_js(c, "kind"), vk_js(c, "detail"),
                         vk_color(cli, "reset"));
                row("HOST-CRITICAL", buf);
        }
        if (vk_ji(o, "group", -1) < 0)
                row("iommu group", "none");
        else {
                snprintf(buf, sizeof(buf), "%d (%s)", vk_ji(o, "group", -1),
                         vk_jb(o, "group_viable") ? "viable for VFIO" : "in use by host drivers");
                row("iommu group", buf);
                for (size_t i = 0; i < json_object_array_length(grp); i++) {
                        json_object *d = json_object_array_get_idx(grp, i);
                        snprintf(buf, sizeof(buf), "%s [%s:%s] %s%s", vk_js(d, "address"),
                                 vk_js(d, "vendor") ? vk_js(d, "vendor") : "?", vk_js(d, "device") ? vk_js(d, "device") : "?",
                                 vk_js(d, "driver") ? vk_js(d, "driver") : "no driver", vk_jb(d, "bridge") ? " (bridge)" : "");
                        row(i ? "" : "members", buf);
                }
        }
        if (gpu) {
                json_object *reasons = vk_jo(gpu, "blocker_reasons");
                row_list("companions", vk_jo(gpu, "companions"));
                row_list("others in group", vk_jo(gpu, "others"));
                row_list("bridges", vk_jo(gpu, "bridges"));
                if (!json_object_array_length(reasons))
                        row("blockers", "none");
                for (size_t i = 0; i < json_object_array_length(reasons); i++) {
                        json_object *r = json_object_array_get_idx(reasons, i);
                        snprintf(buf, sizeof(buf), "%s%s: %s%s", vk_color(cli, "red"), vk_js(r, "address"),
                                 vk_js(r, "reason"), vk_color(cli, "reset"));
                        row(i ? "" : "blockers", buf);
                }
        }
}

int cmd_show(vk_cli *cli, int argc, char **argv) {
        _cleanup_model_ vk_model *m = NULL;
        vk_func *f = NULL;
        json_object *o;
        int r;

        (void)argc;
        r = vk_cli_load(cli, &m);
        if (r)
                return r;
        r = vk_cli_resolve(m, argv[0], &f);
        if (r)
                return r;
        o = vk_json_func(m, f);
        if (f->iommu_group >= 0) {
                const vk_group *g = vk_model_group(m, f->iommu_group);
                json_object *gj = vk_json_group(m, g);
                json_object_object_add(o, "group_viable", json_object_new_boolean(g->viable));
                json_object_object_add(o, "group_members", json_object_get(vk_jo(gj, "devices")));
                json_object_put(gj);
        }
        if (vk_func_is_gpu(f)) {
                vk_gpu g;
                r = vk_gpu_analyze(m, f, &g);
                if (r < 0) {
                        json_object_put(o);
                        return vk_err_errno(r, "show");
                }
                json_object_object_add(o, "gpu_report", vk_json_gpu(m, &g));
                vk_gpu_clear(&g);
        }
        if (cli->json)
                vk_print_json(o);
        else
                render_text(cli, o);
        json_object_put(o);
        return VK_EXIT_OK;
}
