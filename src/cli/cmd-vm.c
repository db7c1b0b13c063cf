/* cmd-vm.c — `vfiokit vm new NAME --gpu DEVICE` (libvirt domain or QEMU script) and `vfiokit vm lint FILE`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/atomicfile.h"
#include "../lib/spawn.h"
#include "../lib/vm/lint.h"
#include "../lib/vm/vm.h"
#include "cli.h"

#define MiB (UINT64_C(1) << 20)

/* The vm options main.c hands over by name; each stores its argument (or "1") in one field. */
static const struct {
        const char *name;
        size_t offset;
        bool lint; /* for vm lint (all others are for vm new) */
} vm_options[] = {
        {"gpu", offsetof(vk_cli_vm, gpu), false},
        {"os", offsetof(vk_cli_vm, os), false},
        {"cpus", offsetof(vk_cli_vm, cpus), false},
        {"memory", offsetof(vk_cli_vm, memory), false},
        {"disk", offsetof(vk_cli_vm, disk), false},
        {"disk-path", offsetof(vk_cli_vm, disk_path), false},
        {"disk-bus", offsetof(vk_cli_vm, disk_bus), false},
        {"iso", offsetof(vk_cli_vm, iso), false},
        {"bridge", offsetof(vk_cli_vm, bridge), false},
        {"network", offsetof(vk_cli_vm, network), false},
        {"tap", offsetof(vk_cli_vm, tap), false},
        {"usb-controller", offsetof(vk_cli_vm, usb_controller), false},
        {"rom", offsetof(vk_cli_vm, rom), false},
        {"memballoon", offsetof(vk_cli_vm, memballoon), false},
        {"graphics", offsetof(vk_cli_vm, graphics), false},
        {"no-graphics", offsetof(vk_cli_vm, no_graphics), false},
        {"smbios-host", offsetof(vk_cli_vm, smbios_host), false},
        {"no-hostdev", offsetof(vk_cli_vm, no_hostdev), false},
        {"audio", offsetof(vk_cli_vm, audio), false},
        {"define", offsetof(vk_cli_vm, define), false},
        {"connect", offsetof(vk_cli_vm, connect), false},
        {"libvirt", offsetof(vk_cli_vm, libvirt), true},
};

int vk_cli_vm_option(vk_cli *cli, const char *name, const char *arg) {
        vk_cli_vm *o = &cli->vm;

        if (!o->first)
                o->first = name;
        if (vk_streq(name, "usb")) {
                if (o->n_usb >= ELEMENTSOF(o->usb) - 1) {
                        vk_err("--usb: at most %zu devices; pass a whole controller with --usb-controller",
                               ELEMENTSOF(o->usb) - 1);
                        return VK_EXIT_USAGE;
                }
                o->usb[o->n_usb++] = arg;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(vm_options); i++)
                if (vk_streq(vm_options[i].name, name)) {
                        const char **field = (const char **)((char *)o + vm_options[i].offset);
                        if (*field && arg) {
                                vk_err("--%s is given twice", name);
                                return VK_EXIT_USAGE;
                        }
                        *field = arg ? arg : "1";
                        return 0;
                }
        vk_err("--%s: not a vm option", name);
        return VK_EXIT_USAGE;
}

/* The first option given that belongs to the other vm verb, or NULL. */
static const char *misplaced_option(const vk_cli_vm *o, bool lint) {
        if (!lint && o->n_usb)
                return NULL;
        if (lint && o->n_usb)
                return "usb";
        for (size_t i = 0; i < ELEMENTSOF(vm_options); i++) {
                const char *const *field = (const char *const *)((const char *)o + vm_options[i].offset);
                if (*field && vm_options[i].lint != lint)
                        return vm_options[i].name;
        }
        return NULL;
}

/* Paths in the definition are the host's: make a relative one absolute (it names a file here, on the live host). */
static int absolute_path(vk_cli *cli, const char *opt, const char *in, char **ret) {
        _cleanup_free_ char *cwd = NULL;

        if (!in) {
                *ret = NULL;
                return 0;
        }
        if (in[0] == '/') {
                *ret = strdup(in);
                return *ret ? 0 : vk_err_errno(-ENOMEM, opt);
        }
        if (!vk_host_is_live(cli->host)) {
                vk_err("--%s %s: give an absolute path; with --root it names a file on that host", opt, in);
                return VK_EXIT_USAGE;
        }
        cwd = getcwd(NULL, 0);
        *ret = cwd ? vk_printf("%s/%s", cwd, in) : NULL;
        return *ret ? 0 : vk_err_errno(-errno, "getcwd");
}

static int parse_new_options(vk_cli *cli, vk_vm_opts *o) {
        const vk_cli_vm *c = &cli->vm;
        uint64_t bytes;
        int nets = !!c->bridge + !!c->network + !!c->tap;

        if (!cli->format || vk_streq(cli->format, "libvirt") || vk_streq(cli->format, "xml"))
                o->format = VK_VM_LIBVIRT;
        else if (vk_streq(cli->format, "qemu"))
                o->format = VK_VM_QEMU;
        else {
                vk_err("vm new --format=%s: expected libvirt (a domain XML, the default) or qemu (a launcher script)",
                       cli->format);
                return VK_EXIT_USAGE;
        }
        if (!c->os || vk_streq(c->os, "win11"))
                o->os = VK_VM_WIN11;
        else if (vk_streq(c->os, "win10"))
                o->os = VK_VM_WIN10;
        else if (vk_streq(c->os, "linux"))
                o->os = VK_VM_LINUX;
        else {
                vk_err("--os=%s: expected win11 (the default: Secure Boot and a TPM), win10 or linux", c->os);
                return VK_EXIT_USAGE;
        }
        if (c->cpus && (vk_parse_uint(c->cpus, &o->cpus) < 0 || o->cpus < 1 || o->cpus > 1024)) {
                vk_err("--cpus=%s: expected a number of virtual CPUs", c->cpus);
                return VK_EXIT_USAGE;
        }
        if (c->memory) {
                if (vk_vm_parse_size(c->memory, MiB, &bytes) < 0 || bytes < 256 * MiB) {
                        vk_err("--memory=%s: expected a size of at least 256M, such as 8G or 16384M (a bare number "
                               "is MiB)",
                               c->memory);
                        return VK_EXIT_USAGE;
                }
                o->memory_mib = bytes / MiB;
        }
        if (c->disk) {
                if (vk_vm_parse_size(c->disk, UINT64_C(1) << 30, &bytes) < 0 || bytes < MiB) {
                        vk_err("--disk=%s: expected a size such as 128G (a bare number is GiB)", c->disk);
                        return VK_EXIT_USAGE;
                }
                o->disk_create_bytes = bytes;
        }
        if (c->disk_bus && !vk_streq(c->disk_bus, "virtio") && !vk_streq(c->disk_bus, "scsi")) {
                vk_err("--disk-bus=%s: expected virtio (virtio-blk, the default) or scsi (virtio-scsi)", c->disk_bus);
                return VK_EXIT_USAGE;
        }
        o->disk_scsi = c->disk_bus && vk_streq(c->disk_bus, "scsi");
        if (nets > 1) {
                vk_err("vm new: give one of --bridge, --network and --tap");
                return VK_EXIT_USAGE;
        }
        o->net = c->bridge ? VK_VM_NET_BRIDGE : c->network ? VK_VM_NET_NETWORK : c->tap ? VK_VM_NET_TAP : VK_VM_NET_DEFAULT;
        o->net_name = c->bridge ? c->bridge : c->network ? c->network : c->tap;
        if (c->graphics && !vk_streq(c->graphics, "spice") && !vk_streq(c->graphics, "vnc") &&
            !vk_streq(c->graphics, "none")) {
                vk_err("--graphics=%s: expected spice, vnc or none", c->graphics);
                return VK_EXIT_USAGE;
        }
        if (c->no_graphics && c->graphics && !vk_streq(c->graphics, "none")) {
                vk_err("--no-graphics and --graphics=%s contradict each other", c->graphics);
                return VK_EXIT_USAGE;
        }
        o->graphics = c->no_graphics || (c->graphics && vk_streq(c->graphics, "none")) ? VK_VM_GFX_NONE
                      : !c->graphics                                                   ? VK_VM_GFX_DEFAULT
                      : vk_streq(c->graphics, "vnc")                                   ? VK_VM_GFX_VNC
                                                                                       : VK_VM_GFX_SPICE;
        if (c->memballoon && !vk_streq(c->memballoon, "none") && !vk_streq(c->memballoon, "virtio")) {
                vk_err("--memballoon=%s: expected none or virtio", c->memballoon);
                return VK_EXIT_USAGE;
        }
        o->memballoon = !c->memballoon ? -1 : vk_streq(c->memballoon, "virtio");
        if (c->audio && !vk_streq(c->audio, "none") && !vk_streq(c->audio, "ich9")) {
                vk_err("--audio=%s: expected none (the default: the GPU's HDMI audio is the guest's sound) or ich9 (an "
                       "emulated Intel HD Audio)",
                       c->audio);
                return VK_EXIT_USAGE;
        }
        o->audio = c->audio && vk_streq(c->audio, "ich9") ? VK_VM_AUDIO_ICH9 : VK_VM_AUDIO_NONE;
        if (c->connect && !c->define) {
                vk_err("vm new: --connect=%s names the libvirt for --define; add --define", c->connect);
                return VK_EXIT_USAGE;
        }
        if (c->define && o->format == VK_VM_QEMU) {
                vk_err("vm new: --define hands a domain to libvirt; a QEMU script (--format=qemu) is not one");
                return VK_EXIT_USAGE;
        }
        if (c->define && cli->output) {
                vk_err("vm new: --define defines the domain instead of writing it: give --define or --output, not both");
                return VK_EXIT_USAGE;
        }
        o->smbios_host = c->smbios_host != NULL;
        o->no_hostdev = c->no_hostdev != NULL;
        if (!c->gpu && !c->no_hostdev) {
                vk_err("vm new: say which GPU the VM gets: --gpu DEVICE (vfiokit list shows them)");
                return VK_EXIT_USAGE;
        }
        if (c->gpu && c->no_hostdev) {
                vk_err("vm new: --gpu and --no-hostdev contradict each other");
                return VK_EXIT_USAGE;
        }
        if (c->usb_controller && c->no_hostdev) {
                vk_err("vm new: --usb-controller and --no-hostdev contradict each other");
                return VK_EXIT_USAGE;
        }
        o->usb = c->n_usb ? c->usb : NULL;
        return 0;
}

static int write_output(vk_cli *cli, const char *text, size_t len, mode_t mode) {
        vk_atomic a;
        size_t done = 0;
        int r = vk_atomic_begin(cli->output, mode, &a);

        if (r < 0)
                return vk_err_errno(r, cli->output);
        while (done < len) {
                ssize_t n = write(a.fd, text + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        vk_atomic_abort(&a);
                        return vk_err_errno(r, cli->output);
                }
                done += (size_t)n;
        }
        /* the mode given to open is masked by the umask; a launcher must stay executable */
        if (mode & 0111 && fchmod(a.fd, mode) < 0) {
                r = -errno;
                vk_atomic_abort(&a);
                return vk_err_errno(r, cli->output);
        }
        r = vk_atomic_commit(&a);
        return r < 0 ? vk_err_errno(r, cli->output) : 0;
}

static char *argv_text(const vk_strv *a) {
        char *out = strdup("");
        for (size_t i = 0; out && i < a->n; i++) {
                bool plain = a->v[i][strspn(a->v[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                     "-_./:=+,@")] == 0;
                _cleanup_free_ char *w = plain ? strdup(a->v[i]) : vk_sh_quote(a->v[i]);
                char *n = w ? vk_printf("%s%s%s", out, i ? " " : "", w) : NULL;
                free(out);
                out = n;
        }
        return out;
}

/* --disk SIZE: qemu-img on the live host; inside --root only the command is shown. */
static int create_disk(vk_cli *cli, const vk_vm *v, FILE *msg, json_object *j) {
        vk_strv argv = {0};
        _cleanup_free_ char *text = NULL, *dir = NULL;
        vk_error err = {0};
        int r = vk_vm_disk_argv(v, &argv);

        if (r == -ENOENT)
                return 0;
        if (r < 0 || !(text = argv_text(&argv)) || !(dir = strdup(v->disk))) {
                vk_strv_clear(&argv);
                return vk_err_errno(-ENOMEM, "vm new");
        }
        json_object_object_add(j, "disk_command", json_object_new_string(text));
        if (!vk_host_is_live(cli->host) || cli->dry_run) {
                if (!cli->json)
                        fprintf(msg, "(%s: not run) %s\n", cli->dry_run ? "dry run" : "--root", text);
                vk_strv_clear(&argv);
                return 0;
        }
        r = vk_host_mkdir_p(cli->host, dirname(dir));
        if (r < 0) {
                vk_strv_clear(&argv);
                return vk_err_errno(r, v->disk);
        }
        if (!cli->json)
                fprintf(msg, "running %s\n", text);
        argv.v = realloc(argv.v, (argv.n + 1) * sizeof(char *));
        if (!argv.v)
                return vk_err_errno(-ENOMEM, "vm new");
        argv.v[argv.n] = NULL;
        r = vk_spawn(argv.v, &err);
        vk_strv_clear(&argv);
        if (r == -ENOENT) {
                vk_err("qemu-img is not installed (Debian: qemu-utils); nothing was written");
                return VK_EXIT_FAIL;
        }
        if (r != 0) {
                vk_err("creating the disk: %s; nothing was written", err.msg);
                return VK_EXIT_FAIL;
        }
        return 0;
}

static int resolve_force(vk_cli *cli, const vk_model *m, vk_strv *ret) {
        for (size_t i = 0; i < cli->force_host.n; i++) {
                vk_func *f = NULL;
                int r = vk_cli_resolve(m, cli->force_host.v[i], &f);
                if (r)
                        return r;
                if (vk_strv_push(ret, f->addr) < 0)
                        return vk_err_errno(-ENOMEM, "vm new");
        }
        return 0;
}

static int vm_new(vk_cli *cli, const char *name) {
        _cleanup_model_ vk_model *m = NULL;
        _cleanup_vm_ vk_vm *v = NULL;
        _cleanup_free_ char *iso = NULL, *disk_path = NULL, *rom = NULL, *out_abs = NULL, *text = NULL;
        _cleanup_free_ char *state_dir = NULL;
        vk_vm_opts o = {.name = name};
        vk_strv forced = {0};
        vk_error err = {0};
        size_t len = 0;
        FILE *msg;
        int r;

        r = parse_new_options(cli, &o);
        if (!r && cli->vm.define && !vk_cli_have_libvirt)
                r = vk_cli_vm_define(NULL, NULL, NULL, (char[37]){0});
        if (!r)
                r = absolute_path(cli, "iso", cli->vm.iso, &iso);
        if (!r)
                r = absolute_path(cli, "disk-path", cli->vm.disk_path, &disk_path);
        if (!r)
                r = absolute_path(cli, "rom", cli->vm.rom, &rom);
        if (r)
                return r;
        o.iso = iso;
        o.disk_path = disk_path;
        o.rom = rom;
        if (o.format == VK_VM_QEMU && cli->output && !vk_streq(cli->output, "-")) {
                /* a launcher keeps its VM's files next to itself, as seed 000's ~/kvm-win did */
                _cleanup_free_ char *cwd = cli->output[0] == '/' ? NULL : getcwd(NULL, 0);
                out_abs = cli->output[0] == '/' ? strdup(cli->output) : cwd ? vk_printf("%s/%s", cwd, cli->output) : NULL;
                if (!out_abs || !(state_dir = strdup(out_abs)))
                        return vk_err_errno(-ENOMEM, "vm new");
                o.state_dir = dirname(state_dir);
        }

        r = vk_cli_load(cli, &m);
        if (!r && cli->vm.gpu)
                r = vk_cli_resolve(m, cli->vm.gpu, &o.gpu);
        if (!r && cli->vm.usb_controller)
                r = vk_cli_resolve(m, cli->vm.usb_controller, &o.usb_controller);
        if (!r)
                r = resolve_force(cli, m, &forced);
        if (r) {
                vk_strv_clear(&forced);
                return r;
        }
        o.force_host = &forced;
        r = vk_vm_plan(cli->host, m, &o, &v, &err);
        vk_strv_clear(&forced);
        if (r < 0) {
                if (err.refused)
                        return vk_cli_fail(&err);
                vk_err("vm new: %s", err.msg[0] ? err.msg : strerror(-r));
                return r == -EINVAL ? VK_EXIT_USAGE : VK_EXIT_FAIL;
        }
        r = o.format == VK_VM_QEMU ? vk_vm_qemu_script(v, &text) : vk_vm_domain_xml(v, &text, &len);
        if (r < 0)
                return vk_err_errno(r, "vm new");
        len = strlen(text);

        const char *uri = cli->vm.connect ? cli->vm.connect : "qemu:///system";
        bool define = cli->vm.define != NULL;
        if (define && !vk_host_is_live(cli->host) && !cli->vm.connect) {
                /* the domain describes the host inside --root; this host's libvirt is not the place for it */
                vk_err("vm new --define: with --root the domain is for that host, so it is not defined here; it would "
                       "be defined in %s as '%s'. On that host: vfiokit vm new ... -o %s.xml && virsh define %s.xml, "
                       "or give --connect URI",
                       uri, v->name, v->name, v->name);
                return VK_EXIT_USAGE;
        }
        bool to_file = cli->output && !vk_streq(cli->output, "-");
        json_object *j = json_object_new_object();
        msg = (to_file || (define && !cli->dry_run)) && !cli->json ? stdout : stderr;
        json_object_object_add(j, "name", json_object_new_string(v->name));
        json_object_object_add(j, "format", json_object_new_string(o.format == VK_VM_QEMU ? "qemu" : "libvirt"));
        json_object_object_add(j, "output", to_file ? json_object_new_string(cli->output) : NULL);
        json_object_object_add(j, "firmware", json_object_new_string(v->fw.descriptor));
        json_object_object_add(j, "dry_run", json_object_new_boolean(cli->dry_run));
        r = create_disk(cli, v, msg, j);
        if (r) {
                json_object_put(j);
                return r;
        }
        if (to_file && !cli->dry_run) {
                r = write_output(cli, text, len, o.format == VK_VM_QEMU ? 0755 : 0644);
                if (r) {
                        json_object_put(j);
                        return r;
                }
        }
        if (define && !cli->dry_run) {
                char uuid[37];
                r = vk_cli_vm_define(uri, text, NULL, uuid);
                if (r) {
                        json_object_put(j);
                        return r;
                }
                json_object *d = json_object_new_object();
                json_object_object_add(d, "uri", json_object_new_string(uri));
                json_object_object_add(d, "uuid", json_object_new_string(uuid));
                json_object_object_add(j, "defined", d);
                if (!cli->json)
                        printf("defined %s (%s)\n", v->name, uuid);
        } else if (define && !cli->json)
                fprintf(stderr, "(dry run: not defined) would define '%s' in %s\n", v->name, uri);
        if (!cli->json && (!to_file || cli->dry_run) && !(define && !cli->dry_run))
                fwrite(text, 1, len, stdout);
        if (cli->json && !to_file && !(define && !cli->dry_run))
                json_object_object_add(j, "document", json_object_new_string(text));
        json_object *notes = json_object_new_array();
        for (size_t i = 0; i < v->notes.n; i++) {
                json_object_array_add(notes, json_object_new_string(v->notes.v[i]));
                if (!cli->json)
                        fprintf(msg, "note: %s\n", v->notes.v[i]);
        }
        json_object_object_add(j, "notes", notes);
        if (cli->json)
                vk_print_json(j);
        else if (to_file) {
                fprintf(msg, "%s %s (firmware: %s)\n", cli->dry_run ? "would write" : "wrote", cli->output,
                        v->fw.descriptor);
                if (o.format == VK_VM_QEMU)
                        fprintf(msg, "start it as root: %s%s\n", cli->output[0] == '/' ? "" : "./", cli->output);
                else
                        fprintf(msg, "define and start it: virsh define %s && virsh start %s\n", cli->output, v->name);
        }
        json_object_put(j);
        return VK_EXIT_OK;
}

static const char *severity_name(vk_severity s) {
        return s == VK_SEV_ERROR ? "error" : s == VK_SEV_WARN ? "warning" : "info";
}

static int read_stream(int fd, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                if (cap - len < 65536) {
                        if (cap >= (64u << 20)) {
                                free(buf);
                                return -EFBIG;
                        }
                        char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = -errno;
                        free(buf);
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int vm_lint(vk_cli *cli, const char *file) {
        _cleanup_model_ vk_model *m = NULL;
        _cleanup_free_ char *buf = NULL, *label = NULL;
        vk_findings fs = {0};
        size_t len = 0, bad = 0;
        int r;

        if (file && cli->vm.libvirt) {
                vk_err("vm lint: give a FILE or --libvirt NAME, not both");
                return VK_EXIT_USAGE;
        }
        if (!file && !cli->vm.libvirt) {
                vk_err("vm lint: give the domain to check: vfiokit vm lint FILE.xml (or --libvirt NAME)");
                return VK_EXIT_USAGE;
        }
        if (cli->vm.libvirt) {
                vk_error err = {0};
                if (!vk_host_is_live(cli->host)) {
                        vk_err("vm lint --libvirt asks this host's libvirt; with --root, lint a file: virsh dumpxml %s "
                               "> %s.xml",
                               cli->vm.libvirt, cli->vm.libvirt);
                        return VK_EXIT_USAGE;
                }
                r = vk_vm_dumpxml(cli->vm.libvirt, &buf, &len, &err);
                if (r < 0) {
                        vk_err("vm lint: %s", err.msg);
                        return VK_EXIT_FAIL;
                }
                label = vk_printf("libvirt:%s", cli->vm.libvirt);
        } else {
                _cleanup_close_ int fd = vk_streq(file, "-") ? dup(STDIN_FILENO) : open(file, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return vk_err_errno(-errno, file);
                r = read_stream(fd, &buf, &len);
                if (r < 0)
                        return vk_err_errno(r, file);
                label = strdup(vk_streq(file, "-") ? "<stdin>" : file);
        }
        if (!label)
                return vk_err_errno(-ENOMEM, "vm lint");
        /* the host makes the address and host-critical checks possible; without it they are skipped */
        if (vk_model_load(cli->host, &m) < 0)
                m = NULL;
        r = vk_vm_lint(label, buf, len, m, &fs);
        if (r < 0)
                return vk_err_errno(r, "vm lint");
        json_object *j = json_object_new_object(), *a = json_object_new_array();
        for (size_t i = 0; i < fs.n; i++) {
                const vk_finding *f = &fs.v[i];
                bad += f->severity != VK_SEV_INFO;
                if (cli->json) {
                        json_object *e = json_object_new_object();
                        json_object_object_add(e, "id", json_object_new_string(f->id));
                        json_object_object_add(e, "severity", json_object_new_string(severity_name(f->severity)));
                        json_object_object_add(e, "line", f->line ? json_object_new_int(f->line) : NULL);
                        json_object_object_add(e, "column", f->column ? json_object_new_int(f->column) : NULL);
                        json_object_object_add(e, "message", json_object_new_string(f->message));
                        json_object_object_add(e, "fix", f->fix ? json_object_new_string(f->fix) : NULL);
                        json_object_array_add(a, e);
                        continue;
                }
                if (f->line && f->column)
                        printf("%s:%d:%d: ", label, f->line, f->column);
                else if (f->line)
                        printf("%s:%d: ", label, f->line);
                else
                        printf("%s: ", label);
                printf("%s%s%s: %s\n", vk_color(cli, f->severity == VK_SEV_ERROR  ? "red"
                                                      : f->severity == VK_SEV_WARN ? "yellow"
                                                                                   : "dim"),
                       severity_name(f->severity), vk_color(cli, "reset"), f->message);
                if (f->fix)
                        printf("  fix: %s\n", f->fix);
        }
        if (cli->json) {
                json_object_object_add(j, "file", json_object_new_string(label));
                json_object_object_add(j, "host_checks", json_object_new_boolean(m != NULL));
                json_object_object_add(j, "findings", a);
                vk_print_json(j);
        } else {
                json_object_put(a);
                if (fs.n == 0)
                        printf("%s: no problems found\n", label);
        }
        json_object_put(j);
        vk_findings_clear(&fs);
        return bad ? VK_EXIT_FAIL : VK_EXIT_OK;
}

int cmd_vm(vk_cli *cli, int argc, char **argv) {
        bool lint = vk_streq(argv[0], "lint");
        const char *wrong;

        if (!lint && !vk_streq(argv[0], "new")) {
                vk_err("vm: '%s' is not a vm command: vm new NAME --gpu DEVICE, or vm lint FILE", argv[0]);
                return VK_EXIT_USAGE;
        }
        wrong = misplaced_option(&cli->vm, lint);
        if (wrong || (lint && (cli->format || cli->force_host.n))) {
                vk_err("vm %s: option --%s is for vm %s", argv[0], wrong ? wrong : cli->format ? "format" : "force-host-device",
                       lint ? "new" : "lint");
                return VK_EXIT_USAGE;
        }
        if (lint)
                return vm_lint(cli, argc > 1 ? argv[1] : NULL);
        if (argc != 2) {
                vk_err("vm new: name the VM: vfiokit vm new NAME --gpu DEVICE");
                return VK_EXIT_USAGE;
        }
        return vm_new(cli, argv[1]);
}
