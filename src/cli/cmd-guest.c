/* cmd-guest.c — `vfiokit guest media VM --out DIR`: what seeds 000 and 004 set up by hand inside Windows. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/guest.h"
#include "../lib/spawn.h"
#include "cli.h"

const vk_cmdopt guest_opts[] = {
        {"out", "DIR", "the directory to write into (a directory of yours, never inside --root; made 0700)"},
        {"user", "NAME", "the local administrator account (default: user; at most 20 characters)"},
        {"password-file", "FILE", "its password: the file's first line (default: an empty password, with a warning)"},
        {"locale", "LOCALE", "language, keyboard and formats of the installed Windows (default: en-US)"},
        {"os", "OS", "win11 or win10 (default: what the VM's definition says, else win11)"},
        {"bypass-tpm-check", NULL, "let Windows 11 Setup skip its TPM, Secure Boot and memory checks (LabConfig)"},
        {"iso", "FILE.iso", "also pack the files into a CD image for the VM (xorriso)"},
        {"force", NULL, "replace files in --out that have other content"},
        {NULL, NULL, NULL},
};

#define MAX_FILES 3

/* The password file's first line; the file must hold nothing after it. */
static int read_password(const char *path, char **ret, bool *ret_shared) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char buf[1024];
        size_t len = 0;
        struct stat st;
        vk_error err = {0};

        if (fd < 0 || fstat(fd, &st) < 0) {
                vk_err("--password-file %s: %s; put the password alone in a file only you can read (chmod 600)",
                       path, strerror(errno));
                return VK_EXIT_FAIL;
        }
        if (!S_ISREG(st.st_mode)) {
                vk_err("--password-file %s: not a regular file; put the password alone in a file (chmod 600)", path);
                return VK_EXIT_FAIL;
        }
        for (;;) {
                ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        vk_err("--password-file %s: %s", path, strerror(errno));
                        return VK_EXIT_FAIL;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
                if (len == sizeof(buf) - 1) {
                        vk_err("--password-file %s: longer than a password can be; put only the password in it", path);
                        return VK_EXIT_FAIL;
                }
        }
        buf[len] = 0;
        if (memchr(buf, 0, len)) {
                vk_err("--password-file %s: holds a NUL byte; put only the password in it, one line", path);
                return VK_EXIT_FAIL;
        }
        if (len && buf[len - 1] == '\n')
                buf[--len] = 0;
        if (len && buf[len - 1] == '\r')
                buf[--len] = 0;
        if (vk_guest_check_password(buf, &err) < 0) {
                vk_err("--password-file %s: %s", path, err.msg);
                return VK_EXIT_FAIL;
        }
        *ret_shared = st.st_mode & 077;
        *ret = strdup(buf);
        explicit_bzero(buf, sizeof(buf));
        return *ret ? 0 : vk_err_errno(-ENOMEM, "--password-file");
}

static const char *action_name(vk_guest_action a, bool dry_run) {
        switch (a) {
        case VK_GUEST_CREATE:
                return dry_run ? "would create" : "created";
        case VK_GUEST_REPLACE:
                return dry_run ? "would replace" : "replaced";
        default:
                return "unchanged";
        }
}

/* The ISO: made only on the live host (never under --root), into a temporary name, then renamed. */
static int make_iso(vk_cli *cli, const char *iso, const char *dir, const vk_guest_file *files, size_t n, vk_strv *argv,
                    bool inputs_changed, json_object *ji) {
        _cleanup_free_ char *tmp = NULL;
        vk_error err = {0};
        struct stat st;
        bool exists = stat(iso, &st) == 0;
        int r;

        json_object_object_add(ji, "path", json_object_new_string(iso));
        if (exists && !inputs_changed) {
                json_object_object_add(ji, "action", json_object_new_string("unchanged"));
                if (!cli->json)
                        printf("  %-13s %s (the files it packs did not change)\n", "unchanged", iso);
                return 0;
        }
        if (cli->dry_run || !vk_host_is_live(cli->host)) {
                json_object_object_add(ji, "action", json_object_new_string("not run"));
                if (!cli->json) {
                        printf("  (%s: not run) ", cli->dry_run ? "--dry-run" : "--root");
                        for (size_t i = 0; i < argv->n; i++)
                                printf("%s%s", i ? " " : "", argv->v[i]);
                        printf("\n");
                }
                return 0;
        }
        tmp = vk_printf("%s.vfiokit-tmp", iso);
        if (!tmp)
                return vk_err_errno(-ENOMEM, "--iso");
        (void)unlink(tmp);
        /* xorriso writes a temporary; it replaces the ISO only once complete */
        vk_strv_clear(argv);
        if (vk_guest_iso_argv(tmp, dir, files, n, argv) < 0)
                return vk_err_errno(-ENOMEM, "--iso");
        r = vk_spawn(argv->v, &err);
        if (r != 0) {
                (void)unlink(tmp);
                if (r == -ENOENT)
                        vk_err("--iso: xorriso is not installed (Debian: apt-get install xorriso); the files are "
                               "written, the ISO is not");
                else
                        vk_err("--iso: %s; the files are written, the ISO is not", err.msg);
                return VK_EXIT_FAIL;
        }
        if (rename(tmp, iso) < 0) {
                vk_err("--iso: renaming %s to %s: %s", tmp, iso, strerror(errno));
                (void)unlink(tmp);
                return VK_EXIT_FAIL;
        }
        json_object_object_add(ji, "action", json_object_new_string(exists ? "replaced" : "created"));
        if (!cli->json)
                printf("  %-13s %s\n", exists ? "replaced" : "created", iso);
        return 0;
}

/* An absolute --iso path (the README tells virsh where it is). */
static int check_iso(const char *opt, char **ret) {
        _cleanup_free_ char *cwd = opt[0] == '/' ? NULL : getcwd(NULL, 0);
        size_t len = strlen(opt);
        struct stat st;

        if (len < 5 || strcmp(opt + len - 4, ".iso") != 0 || opt[len - 5] == '/') {
                vk_err("--iso %s: name the image FILE.iso", opt);
                return VK_EXIT_USAGE;
        }
        *ret = opt[0] == '/' ? strdup(opt) : cwd ? vk_printf("%s/%s", cwd, opt) : NULL;
        if (!*ret)
                return vk_err_errno(-ENOMEM, "--iso");
        if (lstat(*ret, &st) == 0 && !S_ISREG(st.st_mode)) {
                vk_err("--iso %s: exists and is not a regular file; choose another name", opt);
                return VK_EXIT_REFUSED;
        }
        return 0;
}

int cmd_guest(vk_cli *cli, int argc, char **argv) {
        const char *out = vk_cli_opt(cli, "out"), *pwfile = vk_cli_opt(cli, "password-file"),
                   *os = vk_cli_opt(cli, "os"), *iso_opt = vk_cli_opt(cli, "iso");
        _cleanup_free_ char *password = NULL, *xml = NULL, *reg = NULL, *readme = NULL, *iso = NULL;
        _cleanup_model_ vk_model *m = NULL;
        _cleanup_close_ int dirfd = -1;
        vk_guest_opts o = {.vm = argc > 1 ? argv[1] : NULL, .user = vk_cli_opt(cli, "user"),
                           .locale = vk_cli_opt(cli, "locale"), .os = VK_GUEST_WIN11,
                           .bypass_tpm_check = vk_cli_opt(cli, "bypass-tpm-check") != NULL};
        _cleanup_(vk_guest_vm_clear) vk_guest_vm vm = {0};
        _cleanup_(vk_strv_clear) vk_strv warnings = {0};
        vk_guest_file files[MAX_FILES];
        vk_strv iso_argv = {0};
        vk_error err = {0};
        size_t n = 0, xml_len = 0, reg_len = 0;
        bool shared = false, changed = false;
        int r;

        if (argc != 2 || !vk_streq(argv[0], "media")) {
                vk_err("guest: expected 'media VM' (vfiokit guest media VM --out DIR)");
                return VK_EXIT_USAGE;
        }
        if (!out || !*out) {
                vk_err("guest media: say where to write: --out DIR (a directory of yours, not inside --root)");
                return VK_EXIT_USAGE;
        }
        if (!o.user)
                o.user = "user";
        if (!o.locale)
                o.locale = "en-US";
        if (os && !vk_streq(os, "win11") && !vk_streq(os, "win10")) {
                vk_err("--os %s: guest media writes for win11 or win10", os);
                return VK_EXIT_USAGE;
        }
        if (vk_guest_check_user(o.user, &err) < 0 || vk_guest_check_locale(o.locale, &err) < 0) {
                vk_err("%s", err.msg);
                return VK_EXIT_USAGE;
        }
        if (iso_opt && (r = check_iso(iso_opt, &iso)))
                return r;
        if (pwfile && (r = read_password(pwfile, &password, &shared)))
                return r;
        if (!vk_guest_valid_vm_name(o.vm)) {
                vk_err("guest media: '%s' is not a VM name: use letters, digits, '-', '_' and '.' (at most 64, not "
                       "starting with '.' or '-')", o.vm);
                return VK_EXIT_USAGE;
        }
        if (vk_guest_vm_load(cli->host, o.vm, &vm, &err) < 0) {
                vk_err("%s", err.msg);
                return VK_EXIT_FAIL;
        }
        /* names of the passed-through functions; the README is still right without them */
        if (vm.n_hostdevs && vk_model_load(cli->host, &m) < 0)
                m = NULL;
        o.os = os ? (vk_streq(os, "win10") ? VK_GUEST_WIN10 : VK_GUEST_WIN11) : vm.os_known ? vm.os : VK_GUEST_WIN11;
        o.password = password ? password : "";
        if (os && vm.os_known && vm.os != o.os)
                vk_strv_push_take(&warnings, vk_printf("--os %s, but %s is defined for %s", os, vm.path,
                                                       vm.os == VK_GUEST_WIN11 ? "win11" : "win10"));
        if (!vm.found)
                vk_strv_push_take(&warnings, vk_printf("%s does not exist: README-guest.txt has only the generic "
                                                       "text about the GPU", vm.path));
        if (shared)
                vk_strv_push_take(&warnings, vk_printf("--password-file %s can be read by others: chmod 600 it",
                                                       pwfile));
        if (!*o.password)
                vk_strv_push_take(&warnings, vk_printf("the account '%s' gets an EMPTY password (no --password-file); "
                                                       "rdp-blank-password.reg lets RDP in without one: read its risk",
                                                       o.user));

        if (vk_guest_autounattend(&o, &xml, &xml_len, &err) < 0)
                return vk_cli_fail(&err);
        files[n++] = (vk_guest_file){.name = "autounattend.xml", .data = xml, .len = xml_len};
        if (!*o.password) {
                if (vk_guest_rdp_reg(&reg, &reg_len) < 0)
                        return vk_err_errno(-ENOMEM, "guest media");
                files[n++] = (vk_guest_file){.name = "rdp-blank-password.reg", .data = reg, .len = reg_len};
        }
        r = vk_guest_readme(&o, &vm, m, reg != NULL, iso, &readme);
        if (r < 0)
                return vk_err_errno(r, "README-guest.txt");
        files[n++] = (vk_guest_file){.name = "README-guest.txt", .data = readme, .len = strlen(readme)};

        /* everything is checked before the first byte is written */
        if (vk_guest_open_dir(out, cli->dry_run, &dirfd, &err) < 0 ||
            vk_guest_plan_files(dirfd, out, files, n, cli->force, &err) < 0)
                return vk_cli_fail(&err);
        for (size_t i = 0; i < n; i++)
                changed |= files[i].action != VK_GUEST_SAME;
        if (iso && changed && !cli->force && access(iso, F_OK) == 0) {
                vk_err("--iso %s exists and the files it would pack are new; nothing was written (--force replaces "
                       "it)", iso);
                return VK_EXIT_REFUSED;
        }
        if (!cli->dry_run && password && faccessat(dirfd, "rdp-blank-password.reg", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                vk_strv_push_take(&warnings, vk_printf("%s/rdp-blank-password.reg is left from a run without a "
                                                       "password: delete it", out));
        if (!cli->dry_run && vk_guest_write_files(dirfd, out, files, n, &err) < 0)
                return vk_cli_fail(&err);

        json_object *jo = json_object_new_object(), *jf = json_object_new_array(), *jw = json_object_new_array();
        json_object_object_add(jo, "vm", json_object_new_string(o.vm));
        json_object_object_add(jo, "os", json_object_new_string(o.os == VK_GUEST_WIN11 ? "win11" : "win10"));
        json_object_object_add(jo, "user", json_object_new_string(o.user));
        json_object_object_add(jo, "empty_password", json_object_new_boolean(!*o.password));
        json_object_object_add(jo, "out", json_object_new_string(out));
        json_object_object_add(jo, "dry_run", json_object_new_boolean(cli->dry_run));
        if (!cli->json)
                printf("guest media for %s (%s, user %s) in %s:\n", o.vm, o.os == VK_GUEST_WIN11 ? "win11" : "win10",
                       o.user, out);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "name", json_object_new_string(files[i].name));
                json_object_object_add(e, "action",
                                       json_object_new_string(action_name(files[i].action, cli->dry_run)));
                json_object_array_add(jf, e);
                if (!cli->json)
                        printf("  %-13s %s/%s\n", action_name(files[i].action, cli->dry_run), out, files[i].name);
        }
        json_object_object_add(jo, "files", jf);
        r = VK_EXIT_OK;
        if (iso) {
                json_object *ji = json_object_new_object(), *ja = json_object_new_array();
                if (vk_guest_iso_argv(iso, out, files, n, &iso_argv) < 0) {
                        json_object_put(ji);
                        json_object_put(ja);
                        r = vk_err_errno(-ENOMEM, "--iso");
                } else {
                        for (size_t i = 0; i < iso_argv.n; i++)
                                json_object_array_add(ja, json_object_new_string(iso_argv.v[i]));
                        json_object_object_add(ji, "argv", ja);
                        r = make_iso(cli, iso, out, files, n, &iso_argv, changed, ji);
                        json_object_object_add(jo, "iso", ji);
                }
                vk_strv_clear(&iso_argv);
        }
        for (size_t i = 0; i < warnings.n; i++) {
                json_object_array_add(jw, json_object_new_string(warnings.v[i]));
                if (!cli->json)
                        vk_err("warning: %s", warnings.v[i]);
        }
        json_object_object_add(jo, "warnings", jw);
        if (cli->json)
                vk_print_json(jo);
        else if (r == VK_EXIT_OK)
                printf("next: %s/README-guest.txt\n", out);
        json_object_put(jo);
        if (password)
                explicit_bzero(password, strlen(password));
        return r;
}
