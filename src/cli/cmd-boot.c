/* cmd-boot.c — `vfiokit boot plan|apply|verify|revert`: hand a GPU's group to vfio-pci at every boot. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/boot/boot.h"
#include "../lib/boot/bootjournal.h"
#include "cli.h"
#include "load.h"

const vk_cmdopt boot_opts[] = {
        {"cmdline-ids", NULL, "plan/apply: vfio-pci.ids=… on the kernel command line too (not only modprobe.d)"},
        {"acs-override", NULL, "plan/apply: add pcie_acs_override=downstream,multifunction (unsafe isolation)"},
        {"iommu-pt", NULL, "plan/apply: add iommu=pt"},
        {"keep-amd-iommu", NULL, "plan/apply: leave an (invalid) amd_iommu=on where it is"},
        /* a global flag (cli->force, OPT_FORCE) declared here for its boot meaning in --help */
        {"force", NULL, "plan/apply: go on although another device has one of the ids (ids= takes it too), the IOMMU "
                        "stays off, or another modprobe.d file's ids= would replace vfiokit's"},
        {"trial-boot", NULL, "plan/apply: put the options in a new entry that only the next boot uses (BLS entries)"},
        {NULL, NULL, NULL},
};

/* The one description of a plan both renderers print. */
static json_object *plan_json(const vk_boot_plan *p) {
        json_object *o = json_object_new_object(), *k = json_object_new_object(), *files = json_object_new_array();

        json_object_object_add(o, "device", json_object_new_string(p->gpu));
        json_object_object_add(o, "group", p->group >= 0 ? json_object_new_int(p->group) : NULL);
        json_object_object_add(o, "functions", vk_bj_strv_json(&p->functions));
        json_object_object_add(o, "bootloader", json_object_new_string(vk_bootloader_name(p->detect.bootloader)));
        json_object_object_add(o, "detected_by", json_object_new_string(p->detect.evidence ? p->detect.evidence : ""));
        json_object_object_add(o, "initramfs", json_object_new_string(vk_initramfs_name(p->detect.initramfs)));
        json_object_object_add(o, "vfio_pci_builtin", json_object_new_boolean(p->vfio_builtin));
        json_object_object_add(o, "ids", vk_bj_strv_json(&p->ids));
        json_object_object_add(o, "softdeps", vk_bj_strv_json(&p->softdeps));
        json_object_object_add(o, "initramfs_modules", vk_bj_strv_json(&p->modules));
        json_object_object_add(k, "add", vk_bj_strv_json(&p->kargs_add));
        json_object_object_add(k, "remove", vk_bj_strv_json(&p->kargs_remove));
        json_object_object_add(k, "left_as_is", vk_bj_strv_json(&p->kargs_kept));
        json_object_object_add(k, "iommu_off", p->iommu_off ? json_object_new_string(p->iommu_off) : NULL);
        json_object_object_add(o, "kernel_options", k);
        if (p->trial.n == 2) {
                json_object *t = json_object_new_object();
                json_object_object_add(t, "entry", json_object_new_string(p->trial.v[0]));
                json_object_object_add(t, "copy_of", json_object_new_string(p->trial.v[1]));
                json_object_object_add(o, "trial", t);
        } else
                json_object_object_add(o, "trial", NULL);
        json_object_object_add(o, "modprobe_conflict",
                               p->modprobe_conflict ? json_object_new_string(p->modprobe_conflict) : NULL);
        for (size_t i = 0; i < p->n_files; i++) {
                const vk_boot_file *f = &p->files[i];
                json_object *e = json_object_new_object();
                char *diff = NULL;
                char mode[8];
                snprintf(mode, sizeof(mode), "%04o", f->mode);
                json_object_object_add(e, "path", json_object_new_string(f->path));
                json_object_object_add(e, "action", json_object_new_string(f->old_absent ? "create"
                                                                            : f->remove      ? "remove"
                                                                                             : "modify"));
                json_object_object_add(e, "why", json_object_new_string(f->why));
                json_object_object_add(e, "mode", json_object_new_string(mode));
                if (vk_diff_unified(f->path, f->old, f->old_len, f->old_absent, f->new, f->new_len, &diff) >= 0)
                        json_object_object_add(e, "diff", json_object_new_string(diff));
                free(diff);
                json_object_array_add(files, e);
        }
        json_object_object_add(o, "files", files);
        json_object_object_add(o, "commands", vk_bj_cmds_json(p->cmds, p->n_cmds));
        json_object_object_add(o, "warnings", vk_bj_strv_json(&p->warnings));
        json_object_object_add(o, "notes", vk_bj_strv_json(&p->notes));
        json_object_object_add(o, "nixos_snippet", p->nixos_snippet ? json_object_new_string(p->nixos_snippet) : NULL);
        return o;
}

static void print_plan(const vk_cli *cli, json_object *o) {
        json_object *k = vk_jo(o, "kernel_options"), *a;
        const char *bold = vk_color(cli, "bold"), *yellow = vk_color(cli, "yellow"), *reset = vk_color(cli, "reset");

        printf("%sboot plan for %s%s", bold, vk_js(o, "device"), reset);
        if (vk_ji(o, "group", -1) >= 0)
                printf(" (IOMMU group %d)", vk_ji(o, "group", -1));
        printf(":");
        a = vk_jo(o, "functions");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf(" %s", json_object_get_string(json_object_array_get_idx(a, i)));
        printf("\n  bootloader:     %s", vk_js(o, "bootloader"));
        if (*vk_js(o, "detected_by"))
                printf(" (%s)", vk_js(o, "detected_by"));
        printf("\n  initramfs:      %s\n  vfio-pci ids:   ", vk_js(o, "initramfs"));
        a = vk_jo(o, "ids");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf("%s%s", i ? "," : "", json_object_get_string(json_object_array_get_idx(a, i)));
        printf("\n  softdeps:      ");
        a = vk_jo(o, "softdeps");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf(" %s", json_object_get_string(json_object_array_get_idx(a, i)));
        if (!json_object_array_length(a))
                printf(vk_jb(o, "vfio_pci_builtin") ? " (none needed: vfio-pci is built into the kernel)" : " (none)");
        printf("\n  kernel options:");
        a = vk_jo(k, "add");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf(" +%s", json_object_get_string(json_object_array_get_idx(a, i)));
        a = vk_jo(k, "remove");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf(" -%s", json_object_get_string(json_object_array_get_idx(a, i)));
        if (!json_object_array_length(vk_jo(k, "add")) && !json_object_array_length(a))
                printf(" (no change)");
        if (vk_jo(o, "trial"))
                printf("\n  trial entry:    /%s (a copy of /%s), booted once", vk_js(vk_jo(o, "trial"), "entry"),
                       vk_js(vk_jo(o, "trial"), "copy_of"));
        a = vk_jo(k, "left_as_is");
        if (json_object_array_length(a))
                printf("\n  left as is:    ");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf("%s %s", i ? "," : "", json_object_get_string(json_object_array_get_idx(a, i)));
        printf("\n");
        a = vk_jo(o, "warnings");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf("\n%swarning:%s %s\n", yellow, reset, json_object_get_string(json_object_array_get_idx(a, i)));
        a = vk_jo(o, "files");
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *f = json_object_array_get_idx(a, i);
                printf("\n# %s /%s (%s)\n%s", vk_js(f, "action"), vk_js(f, "path"), vk_js(f, "why"), vk_js(f, "diff"));
        }
        a = vk_jo(o, "commands");
        if (json_object_array_length(a))
                printf("\ncommands:\n");
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *c = json_object_array_get_idx(a, i), *argv = vk_jo(c, "argv");
                printf(" ");
                for (size_t w = 0; w < json_object_array_length(argv); w++)
                        printf(" %s", json_object_get_string(json_object_array_get_idx(argv, w)));
                if (vk_js(c, "why"))
                        printf("    # %s", vk_js(c, "why"));
                printf("\n");
        }
        if (vk_js(o, "nixos_snippet"))
                printf("\nadd to /etc/nixos/configuration.nix:\n\n%s", vk_js(o, "nixos_snippet"));
        a = vk_jo(o, "notes");
        if (json_object_array_length(a))
                printf("\n");
        for (size_t i = 0; i < json_object_array_length(a); i++)
                printf("note: %s\n", json_object_get_string(json_object_array_get_idx(a, i)));
}

static bool must_be_root(const vk_cli *cli, const char *verb) {
        if (!vk_host_is_live(cli->host) || cli->dry_run || geteuid() == 0)
                return false;
        vk_err("boot %s changes the system and must run as root: sudo vfiokit boot %s (or --dry-run to see the plan)",
               verb, verb);
        return true;
}

static bool confirm(const vk_cli *cli) {
        char line[16];
        if (cli->yes)
                return true;
        if (!isatty(STDIN_FILENO)) {
                vk_err("boot apply changes how this host boots: read the plan above, then confirm with --yes");
                return false;
        }
        printf("\napply these changes? [y/N] ");
        fflush(stdout);
        return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static void print_list(const char *label, const vk_strv *v, const char *prefix) {
        for (size_t i = 0; i < v->n; i++)
                printf("%s %s%s\n", label, prefix, v->v[i]);
}

static int boot_plan_apply(vk_cli *cli, bool apply, const char *device) {
        _cleanup_model_ vk_model *m = NULL;
        vk_boot_opts o = {.cmdline_ids = vk_cli_opt(cli, "cmdline-ids") != NULL,
                          .acs_override = vk_cli_opt(cli, "acs-override") != NULL,
                          .iommu_pt = vk_cli_opt(cli, "iommu-pt") != NULL,
                          .keep_amd_iommu = vk_cli_opt(cli, "keep-amd-iommu") != NULL,
                          .force = cli->force,
                          .trial = vk_cli_opt(cli, "trial-boot") != NULL,
                          .force_host = &cli->force_host};
        vk_boot_plan p = {0};
        vk_boot_apply_result res = {0};
        vk_error err = {0};
        vk_func *gpu = NULL;
        json_object *out;
        int r, rc = VK_EXIT_OK;

        if (apply && must_be_root(cli, "apply"))
                return VK_EXIT_FAIL;
        r = vk_cli_load_flags(cli, VK_LOAD_NO_NAMES, &m);
        if (!r)
                r = vk_cli_resolve(m, device, &gpu);
        if (r)
                return r;
        if (vk_boot_plan_make(cli->host, m, gpu, &o, &p, &err) < 0)
                return vk_cli_fail(&err);
        out = plan_json(&p);
        if (!cli->json)
                print_plan(cli, out);
        if (p.detect.bootloader == VK_BL_UNKNOWN || (apply && p.detect.bootloader == VK_BL_NIXOS))
                rc = VK_EXIT_FAIL; /* nothing was done here: a script must not go on to reboot */
        else if (p.detect.bootloader == VK_BL_NIXOS)
                ;
        else if (!vk_boot_plan_changes(&p)) {
                if (!cli->json)
                        printf("\nnothing to change: the boot configuration already hands this group to vfio-pci\n");
        } else if (apply && p.iommu_off && !o.force) {
                vk_error_refuse(&err, "%s: this option keeps the IOMMU off, so vfio-pci cannot work after the reboot; "
                                "nothing was changed. Delete it from that line, or --force to apply anyway",
                                p.iommu_off);
                rc = vk_cli_fail(&err);
        } else if (apply && p.modprobe_conflict && !o.force) {
                vk_error_refuse(&err, "%s: read after /etc/modprobe.d/vfiokit.conf, its ids= replace vfiokit's, so "
                                "vfio-pci would not take this group at boot; nothing was changed. Merge the lists "
                                "or delete that line (see the warning above), or --force to apply anyway",
                                p.modprobe_conflict);
                rc = vk_cli_fail(&err);
        } else if (apply && cli->dry_run) {
                if (!cli->json)
                        printf("\ndry run: nothing was written or run\n");
        } else if (apply && !confirm(cli))
                rc = VK_EXIT_FAIL;
        else if (apply && vk_boot_apply(cli->host, &p, &res, &err) < 0)
                rc = vk_cli_fail(&err);
        else if (apply) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, "files_written", json_object_new_int((int)res.files_written));
                json_object_object_add(a, "commands_run", vk_bj_strv_json(&res.commands_run));
                json_object_object_add(a, "commands_not_run", vk_bj_strv_json(&res.commands_not_run));
                json_object_object_add(out, "applied", a);
                if (!cli->json) {
                        printf("\nwrote %zu file%s (originals in /%s)\n", res.files_written,
                               res.files_written == 1 ? "" : "s", VK_BOOT_JOURNAL_PATH);
                        print_list("ran", &res.commands_run, "");
                        if (res.commands_not_run.n)
                                printf("--root: these commands were not run; run them on the host itself:\n");
                        print_list(" ", &res.commands_not_run, "");
                        if (o.trial)
                                printf("reboot once: the next boot uses the trial entry; if the host does not come "
                                       "up, reset it and it starts as before. Then run vfiokit boot verify, and "
                                       "vfiokit boot apply %s without --trial-boot to keep it; vfiokit boot revert undoes "
                                       "all of it\n",
                                       device);
                        else
                                printf("reboot, then run vfiokit boot verify; vfiokit boot revert undoes all of it\n");
                }
        }
        if (cli->json)
                vk_print_json(out);
        json_object_put(out);
        vk_boot_apply_result_clear(&res);
        vk_boot_plan_clear(&p);
        return rc;
}

static int boot_verify(vk_cli *cli, const char *device) {
        _cleanup_model_ vk_model *m = NULL;
        vk_boot_checks c = {0};
        vk_error err = {0};
        vk_func *gpu = NULL;
        json_object *out;
        int r, rc = VK_EXIT_OK;

        if (must_be_root(cli, "verify"))
                return VK_EXIT_FAIL;
        r = vk_cli_load_flags(cli, VK_LOAD_NO_NAMES, &m);
        if (!r && device)
                r = vk_cli_resolve(m, device, &gpu);
        if (r)
                return r;
        if (vk_boot_verify(cli->host, m, gpu, &c, &err) < 0)
                return vk_cli_fail(&err);
        out = json_object_new_array();
        for (size_t i = 0; i < c.n; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "check", json_object_new_string(c.v[i].name));
                json_object_object_add(e, "pass", json_object_new_boolean(c.v[i].pass));
                json_object_object_add(e, "detail", json_object_new_string(c.v[i].detail));
                json_object_object_add(e, "fix", c.v[i].fix ? json_object_new_string(c.v[i].fix) : NULL);
                json_object_array_add(out, e);
                if (!c.v[i].pass)
                        rc = VK_EXIT_FAIL;
                if (cli->json)
                        continue;
                printf("%s%s%s  %s: %s\n", vk_color(cli, c.v[i].pass ? "green" : "red"), c.v[i].pass ? "pass" : "FAIL",
                       vk_color(cli, "reset"), c.v[i].name, c.v[i].detail);
                if (c.v[i].fix)
                        printf("      fix: %s\n", c.v[i].fix);
        }
        if (cli->json)
                vk_print_json(out);
        json_object_put(out);
        vk_boot_checks_clear(&c);
        return rc;
}

static int boot_revert(vk_cli *cli) {
        vk_boot_revert_result res = {0};
        vk_error err = {0};

        if (must_be_root(cli, "revert"))
                return VK_EXIT_FAIL;
        if (vk_boot_revert(cli->host, cli->dry_run, &res, &err) < 0)
                return vk_cli_fail(&err);
        if (cli->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "dry_run", json_object_new_boolean(cli->dry_run));
                json_object_object_add(o, "restored", vk_bj_strv_json(&res.restored));
                json_object_object_add(o, "removed", vk_bj_strv_json(&res.removed));
                json_object_object_add(o, "commands_run", vk_bj_strv_json(&res.commands_run));
                json_object_object_add(o, "commands_not_run", vk_bj_strv_json(&res.commands_not_run));
                vk_print_json(o);
                json_object_put(o);
        } else {
                const char *would = cli->dry_run ? "would " : "";
                for (size_t i = 0; i < res.restored.n; i++)
                        printf("%srestore /%s\n", would, res.restored.v[i]);
                for (size_t i = 0; i < res.removed.n; i++)
                        printf("%sremove /%s\n", would, res.removed.v[i]);
                print_list("ran", &res.commands_run, "");
                if (res.commands_not_run.n)
                        printf("%s:\n", cli->dry_run ? "would run" : "--root: not run; run them on the host itself");
                print_list(" ", &res.commands_not_run, "");
                if (!cli->dry_run)
                        printf("the boot configuration is back as it was; reboot to use it\n");
        }
        vk_boot_revert_result_clear(&res);
        return VK_EXIT_OK;
}

int cmd_boot(vk_cli *cli, int argc, char **argv) {
        const char *verb = argv[0];
        bool takes_device = vk_streq(verb, "plan") || vk_streq(verb, "apply");

        if (!takes_device && !vk_streq(verb, "verify") && !vk_streq(verb, "revert")) {
                vk_err("boot: '%s' is not a boot verb: plan DEVICE, apply DEVICE, verify [DEVICE] or revert", verb);
                return VK_EXIT_USAGE;
        }
        if ((takes_device && argc != 2) || (vk_streq(verb, "revert") && argc != 1)) {
                vk_err("boot %s: expected %s", verb, takes_device ? "a DEVICE (01:00.0 or 10de:2484)" : "no DEVICE");
                return VK_EXIT_USAGE;
        }
        /* the edit options shape a plan; verify and revert read the journal instead */
        if (!takes_device) {
                for (size_t i = 0; i < cli->opt_names.n; i++) {
                        vk_err("boot %s: option --%s does not apply to it", verb, cli->opt_names.v[i]);
                        return VK_EXIT_USAGE;
                }
                if (cli->force || cli->force_host.n) {
                        vk_err("boot %s: option %s does not apply to it", verb,
                               cli->force ? "--force" : "--force-host-device");
                        return VK_EXIT_USAGE;
                }
        }
        if (takes_device)
                return boot_plan_apply(cli, vk_streq(verb, "apply"), argv[1]);
        if (vk_streq(verb, "verify"))
                return boot_verify(cli, argc == 2 ? argv[1] : NULL);
        return boot_revert(cli);
}
