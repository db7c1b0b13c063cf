/* cmd-diagnose.c — `vfiokit diagnose [FILE...] [--dmesg] [--journal] [--libvirt VM] [--symptom S]`: known failure
 * signatures in the logs, with the cause and this host's fix; advice for what the guest shows. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "../lib/diagnose.h"
#include "cli.h"

const vk_cmdopt diagnose_opts[] = {
        {"dmesg", NULL, "read the kernel log (/dev/kmsg; with --root: ROOT/var/log/dmesg)"},
        {"journal", NULL, "read the systemd journal of this boot (with --root: the root's journal)"},
        {"libvirt", "VM", "read libvirt's QEMU log of VM (/var/log/libvirt/qemu/VM.log, repeatable)"},
        {"symptom", "WHAT", "what the guest shows: code43, tdr (VIDEO_TDR_FAILURE) or black-screen"},
        {NULL, NULL, NULL},
};

static json_object *jstr(const char *s) { return s && *s ? json_object_new_string(s) : NULL; }

/* The device as this host knows it: "NVIDIA Corporation GP106 [GeForce GTX 1060 3GB] · group 16 · vfio-pci". */
static json_object *json_finding(const vk_model *m, const vk_diag_input *inputs, const vk_finding *f) {
        json_object *o = json_object_new_object();
        const vk_func *fn = m && *f->device ? vk_model_find(m, f->device) : NULL;

        json_object_object_add(o, "id", json_object_new_string(f->id));
        json_object_object_add(o, "source", json_object_new_string(vk_log_source_name(f->source)));
        json_object_object_add(o, "input", json_object_new_string(inputs[f->input].name));
        json_object_object_add(o, "count", json_object_new_int64((int64_t)f->count));
        json_object_object_add(o, "first_line", json_object_new_int64((int64_t)f->first_line));
        json_object_object_add(o, "last_line", json_object_new_int64((int64_t)f->last_line));
        json_object_object_add(o, "line", json_object_new_string(f->line));
        json_object_object_add(o, "device", jstr(f->device));
        json_object_object_add(o, "number", f->number >= 0 ? json_object_new_int64(f->number) : NULL);
        if (fn) {
                _cleanup_free_ char *name = vk_printf("%s %s", fn->vendor_name ? fn->vendor_name : "",
                                                      fn->device_name ? fn->device_name : "");
                json_object_object_add(o, "device_name", jstr(name ? vk_strip(name) : NULL));
                json_object_object_add(o, "iommu_group",
                                       fn->iommu_group >= 0 ? json_object_new_int(fn->iommu_group) : NULL);
                json_object_object_add(o, "driver", jstr(fn->driver));
                json_object_object_add(o, "boot_vga", json_object_new_boolean(fn->boot_vga == 1));
        }
        json_object_object_add(o, "cause", jstr(f->cause));
        json_object_object_add(o, "fix", jstr(f->fix));
        return o;
}

static json_object *build_json(const vk_diag *d, const vk_model *m, const char *symptom) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();
        size_t n_in, n_f, n_adv, total = 0;
        const vk_diag_input *in = vk_diag_inputs(d, &n_in);
        const vk_finding *f = vk_diag_findings(d, &n_f);
        const vk_advice *adv = vk_diag_advice(d, &n_adv);

        for (size_t i = 0; i < n_in; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "name", json_object_new_string(in[i].name));
                json_object_object_add(e, "lines", json_object_new_int64((int64_t)in[i].lines));
                json_object_object_add(e, "error", jstr(in[i].error));
                json_object_array_add(a, e);
                total += in[i].lines;
        }
        json_object_object_add(o, "inputs", a);
        json_object_object_add(o, "lines", json_object_new_int64((int64_t)total));
        a = json_object_new_array();
        for (size_t i = 0; i < n_f; i++)
                json_object_array_add(a, json_finding(m, in, &f[i]));
        json_object_object_add(o, "findings", a);
        json_object_object_add(o, "findings_dropped", json_object_new_int64((int64_t)vk_diag_dropped(d)));
        json_object_object_add(o, "symptom", jstr(symptom));
        a = json_object_new_array();
        for (size_t i = 0; i < n_adv; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "device", jstr(adv[i].device));
                json_object_object_add(e, "text", json_object_new_string(adv[i].text));
                json_object_array_add(a, e);
        }
        json_object_object_add(o, "advice", a);
        return o;
}

static void render_text(vk_cli *cli, json_object *o) {
        json_object *inputs = vk_jo(o, "inputs"), *findings = vk_jo(o, "findings"), *advice = vk_jo(o, "advice");
        size_t n_in = json_object_array_length(inputs), n_f = json_object_array_length(findings);
        size_t n_adv = json_object_array_length(advice), n_read = 0;

        for (size_t i = 0; i < n_f; i++) {
                json_object *f = json_object_array_get_idx(findings, i);
                int count = vk_ji(f, "count", 1), first = vk_ji(f, "first_line", 0), last = vk_ji(f, "last_line", 0);

                printf("%s[%s]%s %s, ", vk_color(cli, "bold"), vk_js(f, "id"), vk_color(cli, "reset"),
                       vk_js(f, "source"));
                if (count == 1)
                        printf("1 line (line %d of %s)\n", first, vk_js(f, "input"));
                else
                        printf("%d lines (lines %d–%d of %s)\n", count, first, last, vk_js(f, "input"));
                if (vk_js(f, "device")) {
                        printf("  device: %s", vk_js(f, "device"));
                        if (vk_js(f, "device_name"))
                                printf("  %s", vk_js(f, "device_name"));
                        if (vk_jo(f, "iommu_group"))
                                printf(" · group %d", vk_ji(f, "iommu_group", -1));
                        if (vk_jo(f, "device_name"))
                                printf(" · %s", vk_js(f, "driver") ? vk_js(f, "driver") : "no driver");
                        if (vk_jb(f, "boot_vga"))
                                printf(" · boot GPU");
                        printf("\n");
                }
                printf("  line %d: %s\n", first, vk_js(f, "line"));
                printf("  %scause:%s %s\n", vk_color(cli, "yellow"), vk_color(cli, "reset"), vk_js(f, "cause"));
                printf("  %sfix:%s   %s\n\n", vk_color(cli, "green"), vk_color(cli, "reset"), vk_js(f, "fix"));
        }
        if (vk_ji(o, "findings_dropped", 0) > 0)
                printf("(%d more findings not shown: the log holds more distinct signatures and devices than vfiokit "
                       "keeps)\n\n", vk_ji(o, "findings_dropped", 0));
        if (n_adv > 0) {
                printf("%sfor %s on this host:%s\n", vk_color(cli, "bold"), vk_js(o, "symptom"), vk_color(cli, "reset"));
                for (size_t i = 0; i < n_adv; i++)
                        printf("  - %s\n", vk_js(json_object_array_get_idx(advice, i), "text"));
                printf("\n");
        }
        for (size_t i = 0; i < n_in; i++)
                if (!vk_js(json_object_array_get_idx(inputs, i), "error"))
                        n_read++;
        if (n_read == 0)
                return;
        if (n_f > 0)
                printf("%zu finding%s in %d lines from ", n_f, n_f == 1 ? "" : "s", vk_ji(o, "lines", 0));
        else
                printf("no known failure signature in %d lines from ", vk_ji(o, "lines", 0));
        for (size_t i = 0, k = 0; i < n_in; i++) {
                json_object *e = json_object_array_get_idx(inputs, i);
                if (vk_js(e, "error"))
                        continue;
                printf("%s%s", k++ ? ", " : "", vk_js(e, "name"));
        }
        printf("\n");
}

int cmd_diagnose(vk_cli *cli, int argc, char **argv) {
        _cleanup_diag_ vk_diag *d = NULL;
        _cleanup_model_ vk_model *m = NULL;
        const char *symptom = vk_cli_opt(cli, "symptom"), *vms[32];
        size_t n_vms = vk_cli_opt_all(cli, "libvirt", vms, ELEMENTSOF(vms));
        bool dmesg = vk_cli_opt(cli, "dmesg"), journal = vk_cli_opt(cli, "journal");
        int r;

        if (symptom && !vk_streq(symptom, "code43") && !vk_streq(symptom, "tdr") &&
            !vk_streq(symptom, "black-screen")) {
                vk_err("--symptom=%s: expected code43, tdr (VIDEO_TDR_FAILURE) or black-screen", symptom);
                return VK_EXIT_USAGE;
        }
        if (n_vms > ELEMENTSOF(vms)) {
                vk_err("--libvirt: at most %zu VMs at once", ELEMENTSOF(vms));
                return VK_EXIT_USAGE;
        }
        if (argc == 0 && !dmesg && !journal && n_vms == 0 && !symptom) {
                vk_err("diagnose: say what to read: FILE (- for standard input), --dmesg, --journal or --libvirt VM; "
                       "or --symptom code43|tdr|black-screen");
                return VK_EXIT_USAGE;
        }
        r = vk_diag_new(&d);
        if (r < 0)
                return vk_err_errno(r, "diagnose: compiling the signature table");
        /* the host model names devices and groups in the fixes; without it (no sysfs) the fixes are generic */
        if (vk_model_load(cli->host, &m) < 0) {
                m = NULL;
                if (cli->verbose)
                        vk_err("note: %s is not a readable host (no PCI bus): fixes will not name its devices",
                               cli->root);
        }
        for (int i = 0; i < argc; i++)
                if ((r = vk_diag_read_file(d, argv[i])) == -ENOMEM)
                        return vk_err_errno(r, argv[i]);
        if (dmesg && (r = vk_diag_read_kernel_log(d, cli->host)) == -ENOMEM)
                return vk_err_errno(r, "the kernel log");
        if (journal && (r = vk_diag_read_journal(d, cli->host)) == -ENOMEM)
                return vk_err_errno(r, "the journal");
        for (size_t i = 0; i < n_vms; i++)
                if ((r = vk_diag_read_libvirt(d, cli->host, vms[i])) == -ENOMEM)
                        return vk_err_errno(r, vms[i]);
        r = vk_diag_explain(d, cli->host, m);
        if (r >= 0 && symptom)
                r = vk_diag_symptom(d, cli->host, m, symptom);
        if (r < 0)
                return vk_err_errno(r, "diagnose");

        json_object *o = build_json(d, m, symptom);
        size_t n_in, n_f;
        bool failed_input = false;
        const vk_diag_input *in = vk_diag_inputs(d, &n_in);
        vk_diag_findings(d, &n_f);
        for (size_t i = 0; i < n_in; i++)
                if (in[i].error) {
                        vk_err("%s", in[i].error);
                        failed_input = true;
                }
        if (cli->json)
                vk_print_json(o);
        else
                render_text(cli, o);
        json_object_put(o);
        return n_f > 0 || failed_input ? VK_EXIT_FAIL : VK_EXIT_OK;
}
