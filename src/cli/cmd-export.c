/* cmd-export.c — `vfiokit export --format=kubevirt|nova|proxmox [DEVICE...]` and `--fleet CAPTURE.tar...`:
 * the device selectors cluster engines take, from this host or merged over captures of many. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../lib/export.h"
#include "../lib/fleet.h"
#include "cli.h"

const vk_cmdopt export_opts[] = {
        {"format", "FMT", "kubevirt (a KubeVirt CR patch), nova (nova.conf [pci]) or proxmox (pci.cfg mappings)"},
        {"fleet", NULL, "the arguments are capture tars of many hosts (vfiokit capture -o), merged into one"},
        {"device", "DEVICE", "export this device (address or vendor:device; repeatable; with --fleet too)"},
        {"force", NULL, "also export devices whose group is unsafe, or that differ across the fleet"},
        {NULL, NULL, NULL},
};

#define MAX_DEVICES 256

/* This host's node name: etc/hostname in the root, else the running system's name or the root's directory. */
static int this_hostname(vk_cli *cli, char **ret) {
        char live[256] = "";
        _cleanup_free_ char *base = NULL;

        if (vk_host_is_live(cli->host))
                (void)gethostname(live, sizeof(live) - 1);
        else {
                base = vk_export_name_from_file(cli->root[strlen(cli->root) - 1] == '/' ? "" : cli->root);
                if (base)
                        snprintf(live, sizeof(live), "%s", base);
        }
        live[strcspn(live, ".")] = 0;
        return vk_export_hostname(cli->host, live, ret);
}

static int add_capture(vk_export *e, const char *path, const char *const *devices, size_t n_devices) {
        _cleanup_free_ char *dir = NULL, *fallback = vk_export_name_from_file(path), *name = NULL;
        _cleanup_host_ vk_host *h = NULL;
        _cleanup_model_ vk_model *m = NULL;
        vk_error err = {0};
        int r;

        r = vk_capture_unpack(path, NULL, &dir, &err);
        if (r < 0) {
                vk_err("%s", err.msg);
                return VK_EXIT_FAIL;
        }
        r = vk_host_new(dir, &h);
        if (r >= 0)
                r = vk_model_load(h, &m);
        if (r == -ENOENT || r == -ENOTDIR)
                vk_err("%s: not a vfiokit capture: it has no sys/bus/pci/devices; make one on that host with: "
                       "vfiokit capture -o host.tar", path);
        else if (r < 0)
                vk_err("%s: %s", path, strerror(-r));
        if (r >= 0 && (r = vk_export_hostname(h, fallback, &name)) < 0)
                vk_err("%s: no node name: its etc/hostname is missing or invalid, and the file name is no host name "
                       "either; rename it to NODE.tar", path);
        if (r >= 0 && vk_export_add_host(e, m, name, path, devices, n_devices, false, &err) < 0) {
                vk_err("%s", err.msg);
                r = err.r ? err.r : -EINVAL;
        }
        vk_model_free(TAKE_PTR(m));
        vk_host_free(TAKE_PTR(h));
        if (vk_capture_remove(dir) < 0)
                vk_err("warning: could not remove %s", dir);
        return r < 0 ? VK_EXIT_FAIL : 0;
}

static int print_export(vk_cli *cli, const vk_export *e, vk_export_format fmt) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (cli->json) {
                json_object *o = NULL;
                r = vk_export_json(e, fmt, &o);
                if (r < 0)
                        return vk_err_errno(r, "export");
                vk_print_json(o);
                json_object_put(o);
                return VK_EXIT_OK;
        }
        for (size_t i = 0; i < e->warnings.n; i++)
                vk_err("warning: %s", e->warnings.v[i]);
        switch (fmt) {
        case VK_EXPORT_KUBEVIRT:
                r = vk_export_kubevirt_yaml(e, &text);
                break;
        case VK_EXPORT_NOVA:
                r = vk_export_nova(e, &text);
                break;
        case VK_EXPORT_PROXMOX:
        default:
                r = vk_export_proxmox(e, &text);
                break;
        }
        if (r < 0)
                return vk_err_errno(r, "export");
        fputs(text, stdout);
        return VK_EXIT_OK;
}

int cmd_export(vk_cli *cli, int argc, char **argv) {
        _cleanup_(vk_export_clear) vk_export e = {0};
        const char *devices[MAX_DEVICES];
        bool fleet = vk_cli_opt(cli, "fleet") != NULL;
        size_t n_devices = 0;
        vk_export_format fmt;
        vk_error err = {0};
        int r;

        if (!cli->format) {
                vk_err("export: say which engine: --format=kubevirt, --format=nova or --format=proxmox");
                return VK_EXIT_USAGE;
        }
        if (vk_export_format_parse(cli->format, &fmt) < 0) {
                vk_err("--format=%s: export writes kubevirt, nova or proxmox (--json adds a JSON description)",
                       cli->format);
                return VK_EXIT_USAGE;
        }
        n_devices = vk_cli_opt_all(cli, "device", devices, MAX_DEVICES);
        if (!fleet)
                for (int i = 0; i < argc && n_devices < MAX_DEVICES; i++)
                        devices[n_devices++] = argv[i];
        if (n_devices > MAX_DEVICES) {
                vk_err("export: at most %d devices", MAX_DEVICES);
                return VK_EXIT_USAGE;
        }
        if (fleet) {
                if (argc == 0) {
                        vk_err("export --fleet: give the capture tars: vfiokit export --format=%s --fleet a.tar b.tar",
                               cli->format);
                        return VK_EXIT_USAGE;
                }
                if (!vk_streq(cli->root, "/")) {
                        vk_err("export --fleet reads the hosts from their captures; --root does not apply");
                        return VK_EXIT_USAGE;
                }
                for (int i = 0; i < argc; i++) {
                        r = add_capture(&e, argv[i], devices, n_devices);
                        if (r)
                                return r;
                }
        } else {
                _cleanup_model_ vk_model *m = NULL;
                _cleanup_free_ char *name = NULL;

                r = vk_cli_load(cli, &m);
                if (r)
                        return r;
                if (this_hostname(cli, &name) < 0) {
                        vk_err("%s: cannot tell the node name: etc/hostname is missing or not a host name",
                               cli->root);
                        return VK_EXIT_FAIL;
                }
                if (vk_export_add_host(&e, m, name, cli->root, devices, n_devices, true, &err) < 0) {
                        vk_err("%s", err.msg);
                        return err.r == -EINVAL ? VK_EXIT_USAGE : VK_EXIT_FAIL;
                }
        }
        r = vk_export_merge(&e, cli->force, &err);
        if (r < 0) {
                /* "nothing safe to export": the warnings are the reasons */
                for (size_t i = 0; i < e.warnings.n && vk_startswith(err.msg, "nothing"); i++)
                        vk_err("warning: %s", e.warnings.v[i]);
                return vk_cli_fail(&err);
        }
        return print_export(cli, &e, fmt);
}
