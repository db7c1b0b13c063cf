/* test-hooks.c — the parsers and the text behind `vfiokit hooks` (domain XML, journal, names, the AMD table),
 * and install/remove on a fixture root: all or nothing, with a fault injected at every file step. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../unit/fixture.h"
#include "hooks.h"
#include "host.h"
#include "model.h"

static const char domain[] =
        "<domain type='kvm'>\n"
        "  <name>win10</name>\n"
        "  <devices>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        "      <source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source>\n"
        "    </hostdev>\n"
        "    <hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/></source></hostdev>\n"
        "    <interface type='hostdev'><source><address type='pci' bus='3' slot='0x10' function='2'/></source>"
        "</interface>\n"
        "    <hostdev mode='subsystem' type='pci'>\n"
        "      <source><address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/></source>\n"
        "    </hostdev>\n"
        "  </devices>\n"
        "</domain>\n";

static void test_domain_devices(void **state) {
        vk_hook_domain d = {0};
        vk_error err = {0};

        (void)state;
        assert_int_equal(vk_hook_domain_parse("win10.xml", domain, strlen(domain), &d, &err), 0);
        assert_string_equal(d.name, "win10");
        /* usb hostdevs are not PCI; the same function twice is one */
        assert_int_equal(d.devices.n, 2);
        assert_string_equal(d.devices.v[0], "0000:05:00.0");
        assert_string_equal(d.devices.v[1], "0000:03:10.2");
        assert_int_equal(d.managed.n, 1);
        vk_hook_domain_clear(&d);
}

static void expect_bad(const char *xml, const char *needle) {
        vk_hook_domain d = {0};
        vk_error err = {0};

        assert_int_equal(vk_hook_domain_parse("/etc/libvirt/qemu/x.xml", xml, strlen(xml), &d, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "/etc/libvirt/qemu/x.xml"));
        if (!strstr(err.msg, needle))
                fail_msg("'%s' does not say '%s'", err.msg, needle);
        assert_null(d.name);
}

static void test_domain_malformed(void **state) {
        (void)state;
        expect_bad("", "not well-formed");
        expect_bad("<domain><name>x</name><devices>\n<hostdev type='pci'>\n</devices></domain>", ":3: not well-formed");
        expect_bad("<network><name>x</name></network>", "not a libvirt domain");
        expect_bad("<domain><name></name></domain>", "no valid <name>");
        expect_bad("<domain><name>a/b</name></domain>", "no valid <name>");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source><address bus='0x100' slot='0' "
                   "function='0'/></source></hostdev></devices></domain>",
                   "not valid");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source><address bus='1' slot='0x20' "
                   "function='0'/></source></hostdev></devices></domain>",
                   "not valid");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source><address bus='-1' slot='0' "
                   "function='0'/></source></hostdev></devices></domain>",
                   "not valid");
        expect_bad("<domain><name>x</name><devices><hostdev type='pci'><source/></hostdev></devices></domain>",
                   "no <source><address>");
        expect_bad("<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><name>&e;</name></domain>",
                   "no valid <name>");
}

static void test_vm_names(void **state) {
        (void)state;
        assert_true(vk_hooks_vm_name_is_valid("win10"));
        assert_true(vk_hooks_vm_name_is_valid("my vm's name"));
        assert_true(vk_hooks_vm_name_is_valid("-x"));
        assert_false(vk_hooks_vm_name_is_valid(""));
        assert_false(vk_hooks_vm_name_is_valid("."));
        assert_false(vk_hooks_vm_name_is_valid(".."));
        assert_false(vk_hooks_vm_name_is_valid("a/b"));
        assert_false(vk_hooks_vm_name_is_valid("a\nb"));
        assert_false(vk_hooks_vm_name_is_valid("a\tb"));
}

static void test_amd_reset_table(void **state) {
        (void)state;
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x67df), "Polaris 10"); /* RX 480/580 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x67ff), "Polaris 11"); /* RX 560 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x687f), "Vega 10");    /* Vega 56/64 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x731f), "Navi 10");    /* RX 5600/5700 */
        assert_string_equal(vk_amd_reset_bug_family(0x1002, 0x7340), "Navi 14");    /* RX 5500 */
        assert_null(vk_amd_reset_bug_family(0x1002, 0x73ff));                       /* Navi 23 resets fine */
        assert_null(vk_amd_reset_bug_family(0x1002, 0x67c3));                       /* a gap in Polaris 10 */
        assert_null(vk_amd_reset_bug_family(0x10de, 0x67df));
}

static void test_script_quoting(void **state) {
        vk_strv devs = {0}, none = {0};
        char *s;

        (void)state;
        vk_strv_push(&devs, "0000:05:00.0");
        s = vk_hooks_vm_script("it's", "/usr/bin/vfiokit", &devs, &none, false);
        assert_non_null(s);
        assert_non_null(strstr(s, "\nvm='it'\\''s'\n"));
        assert_non_null(strstr(s, "\ndevices='0000:05:00.0'\nforce=''\nsingle_gpu=no\n"));
        free(s);
        assert_null(vk_hooks_vm_script("a/b", "/usr/bin/vfiokit", &devs, &none, false));
        assert_null(vk_hooks_vm_script("w", "/opt/my vfiokit", &devs, &none, false));
        assert_null(vk_hooks_vm_script("w", "vfiokit", &devs, &none, false));
        assert_null(vk_hooks_vm_script("w", "/usr/bin/vfiokit", &none, &none, false));
        vk_strv_push(&devs, "05:00.1; reboot");
        assert_null(vk_hooks_vm_script("w", "/usr/bin/vfiokit", &devs, &none, false));
        vk_strv_clear(&devs);
}

static void test_journal_roundtrip(void **state) {
        vk_hooks_journal j = {0}, back = {0};
        vk_hooks_entry d = {.is_dir = true, .path = "etc/libvirt/hooks/qemu.d"};
        vk_hooks_entry f = {.owner = "win10", .path = "etc/libvirt/hooks/qemu", .kept = "etc/libvirt/hooks/qemu.vfiokit-orig",
                            .content = "#!/bin/sh\necho \"é\"\n", .mode = 0755};
        vk_error err = {0};
        char *text, *again;

        (void)state;
        assert_int_equal(vk_hooks_journal_add(&j, &d), 0);
        assert_int_equal(vk_hooks_journal_add(&j, &f), 0);
        text = vk_hooks_journal_serialize(&j);
        assert_non_null(text);
        assert_int_equal(vk_hooks_journal_parse("j", text, &back, &err), 0);
        assert_int_equal(back.n, 2);
        assert_true(back.v[0].is_dir);
        assert_null(back.v[0].owner);
        assert_string_equal(back.v[1].content, f.content);
        assert_string_equal(back.v[1].kept, f.kept);
        assert_int_equal(back.v[1].mode, 0755);
        assert_true(vk_hooks_journal_has_owner(&back, "win10"));
        again = vk_hooks_journal_serialize(&back);
        assert_string_equal(text, again);
        free(text);
        free(again);
        vk_hooks_journal_clear(&j);
        vk_hooks_journal_clear(&back);
}

static void test_journal_malformed(void **state) {
        (void)state;
        static const char *const bad[] = {
                "",
                "{",
                "[]",
                "{\"entries\": {}}",
                "{\"entries\": [1]}",
                "{\"entries\": [{\"path\": \"etc/x\", \"content\": \"\"}]}",                  /* no dir */
                "{\"entries\": [{\"dir\": false, \"path\": \"etc/x\"}]}",                     /* no content */
                "{\"entries\": [{\"dir\": true, \"path\": \"/etc/x\"}]}",                     /* absolute */
                "{\"entries\": [{\"dir\": true, \"path\": \"etc/../../x\"}]}",                /* escapes */
                "{\"entries\": [{\"dir\": true, \"path\": \"etc//x\"}]}",
                "{\"entries\": [{\"dir\": false, \"path\": \"a\", \"content\": \"\", \"kept\": \"../b\"}]}",
                "{\"entries\": [{\"dir\": false, \"path\": \"a\", \"content\": \"\", \"mode\": 99999}]}",
                "{\"entries\": [{\"dir\": true, \"path\": \"a\", \"owner\": \"x/y\"}]}",
                "{\"entries\": [{\"dir\": true, \"path\": \"a\"}, {\"dir\": true, \"path\": \"a\"}]}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                vk_hooks_journal j = {0};
                vk_error err = {0};
                if (vk_hooks_journal_parse("/var/lib/vfiokit/hooks.json", bad[i], &j, &err) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_non_null(strstr(err.msg, "/var/lib/vfiokit/hooks.json is corrupt"));
                assert_int_equal(j.n, 0);
        }
}


/* ---- install and remove on a fixture root ---- */

/* Every path under the root with its type, mode and bytes (or link target), sorted: two snapshots are equal
 * exactly when the trees are. */
static vk_strv snap_lines;
static size_t snap_skip;

static int snap_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        const char *rel = path + snap_skip;
        char *line = NULL, *data = NULL;
        size_t len = 0;

        (void)flag;
        (void)ftw;
        if (S_ISREG(st->st_mode)) {
                FILE *f = fopen(path, "rb"), *m = open_memstream(&data, &len);
                int c;
                assert_non_null(f);
                assert_non_null(m);
                while ((c = fgetc(f)) != EOF)
                        fputc(c, m);
                fclose(f);
                fclose(m);
        } else if (S_ISLNK(st->st_mode)) {
                char buf[4096];
                ssize_t n = readlink(path, buf, sizeof(buf) - 1);
                assert_true(n >= 0);
                buf[n] = 0;
                data = strdup(buf);
                len = (size_t)n;
        }
        assert_true(asprintf(&line, "%s %c %04o %zu\n%s\n", *rel ? rel : ".",
                             S_ISDIR(st->st_mode) ? 'd' : S_ISLNK(st->st_mode) ? 'l' : 'f',
                             (unsigned)(st->st_mode & 07777), len, data ? data : "") >= 0);
        free(data);
        assert_int_equal(vk_strv_push_take(&snap_lines, line), 0);
        return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *snapshot(const char *root) {
        char *out = NULL;
        size_t n = 0;
        FILE *m;

        snap_lines = (vk_strv){0};
        snap_skip = strlen(root);
        assert_int_equal(nftw(root, snap_one, 32, FTW_PHYS), 0);
        qsort(snap_lines.v, snap_lines.n, sizeof(char *), cmp_str);
        m = open_memstream(&out, &n);
        assert_non_null(m);
        for (size_t i = 0; i < snap_lines.n; i++)
                fputs(snap_lines.v[i], m);
        fclose(m);
        vk_strv_clear(&snap_lines);
        return out;
}

static void assert_same_tree(const char *what, const char *want, const char *root) {
        char *got = snapshot(root);
        if (strcmp(want, got) != 0) {
                FILE *a = fopen("/tmp/vfiokit-test-hooks.want", "w"), *b = fopen("/tmp/vfiokit-test-hooks.got", "w");
                if (a && b) {
                        fputs(want, a);
                        fputs(got, b);
                }
                if (a)
                        fclose(a);
                if (b)
                        fclose(b);
                free(got);
                fail_msg("%s: the tree differs (diff /tmp/vfiokit-test-hooks.want /tmp/vfiokit-test-hooks.got)", what);
        }
        free(got);
}

static const char third_party_hook[] = "#!/bin/sh\necho \"third party $*\"\n";

/* A desktop with two GPUs for two VMs: vm1 takes 01:00.0 + its audio (group 1), vm2 the GPU at 05:00.0
 * (group 5); the host's display is the iGPU. A qemu hook that was there first (mode 0750) is chained. */
static char *two_vm_root(void) {
        char *root = fx_new();
        char full[4096];
        const fx_pci gpu2 = {"0000:05:00.0", "", 0x10de, 0x13c2, 0x030000, "nouveau", 5, 0};

        umask(022);
        fx_desktop(root, "GenuineIntel", "BOOT_IMAGE=/vmlinuz intel_iommu=on\n");
        fx_pci_add(root, &gpu2);
        fx_file(root, "etc/libvirt/qemu/vm1.xml",
                "<domain type='kvm'><name>vm1</name><devices>"
                "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/>"
                "</source></hostdev><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' "
                "slot='0' function='1'/></source></hostdev></devices></domain>\n");
        fx_file(root, "etc/libvirt/qemu/vm2.xml",
                "<domain type='kvm'><name>vm2</name><devices>"
                "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='5' slot='0' function='0'/>"
                "</source></hostdev></devices></domain>\n");
        fx_file(root, "etc/libvirt/hooks/qemu", third_party_hook);
        snprintf(full, sizeof(full), "%s/etc/libvirt/hooks/qemu", root);
        assert_int_equal(chmod(full, 0750), 0);
        return root;
}

/* A fault at the k-th call of the host's write hook (every step of every write, unlink, rmdir and rename
 * counts), failing it with err; hit says it happened. Later calls (the roll back) go through. */
typedef struct fault {
        int fail_at;
        int err;
        int calls;
        bool hit;
        char path[4096];
} fault;

static int fault_hook(const char *path, vk_write_step step, void *userdata) {
        fault *f = userdata;
        (void)step;
        if (++f->calls != f->fail_at)
                return 0;
        f->hit = true;
        snprintf(f->path, sizeof(f->path), "%s", path);
        return f->err;
}

static int install_vm(const char *root, const char *vm, fault *f, vk_error *err) {
        vk_host *h = NULL;
        vk_model *m = NULL;
        vk_hook_plan p = {0};
        vk_hook_opts o = {.vfiokit = "/usr/bin/vfiokit"};
        int r;

        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_model_load_flags(h, VK_LOAD_FOR_CHANGE, &m), 0);
        r = vk_hooks_plan_install(h, m, vm, &o, &p, err);
        if (r < 0)
                fail_msg("plan install %s: %s", vm, err->msg);
        if (f)
                vk_host_set_write_hook(h, fault_hook, f);
        r = vk_hooks_apply(h, &p, err);
        vk_hook_plan_clear(&p);
        vk_model_free(m);
        vk_host_free(h);
        return r;
}

/* Plan and carry out `hooks remove vm`; a planning failure is returned as it is (err->refused says which). */
static int remove_vm(const char *root, const char *vm, fault *f, vk_error *err) {
        vk_host *h = NULL;
        vk_hook_plan p = {0};
        int r;

        assert_int_equal(vk_host_new(root, &h), 0);
        r = vk_hooks_plan_remove(h, vm, &p, err);
        if (r >= 0) {
                if (f)
                        vk_host_set_write_hook(h, fault_hook, f);
                r = vk_hooks_apply(h, &p, err);
                vk_hook_plan_clear(&p);
        }
        vk_host_free(h);
        return r;
}

static const int fault_errs[] = {-EIO, -EACCES, -EBUSY, -ENOSPC};

/* Fail `hooks remove vm` at every step with every error: each time the tree (paths, bytes, modes, the journal)
 * is as before and the error names the file, the errno text and the fix. Then the remove without a fault. */
static void remove_with_every_fault(const char *root, const char *vm) {
        char *before = snapshot(root);
        int steps = 0;

        for (int k = 1;; k++) {
                bool hit = false;
                for (size_t e = 0; e < sizeof(fault_errs) / sizeof(fault_errs[0]); e++) {
                        fault f = {.fail_at = k, .err = fault_errs[e]};
                        vk_error err = {0};
                        char what[256], *slash_path = NULL;
                        int r = remove_vm(root, vm, &f, &err);

                        if (!f.hit) {
                                assert_int_equal(r, 0);
                                break;
                        }
                        hit = true;
                        snprintf(what, sizeof(what), "remove %s, %s at step %d", vm, strerror(-f.err), k);
                        if (r != f.err)
                                fail_msg("%s: returned %d (%s)", what, r, err.msg);
                        assert_false(err.refused);
                        assert_true(asprintf(&slash_path, "/%s", f.path) >= 0);
                        if (!strstr(err.msg, slash_path) || !strstr(err.msg, strerror(-f.err)) ||
                            !strstr(err.msg, "nothing was changed") || !strstr(err.msg, "hooks remove"))
                                fail_msg("%s: the error does not name %s, the errno and the fix: %s", what, slash_path,
                                         err.msg);
                        free(slash_path);
                        assert_same_tree(what, before, root);
                }
                if (!hit)
                        break;
                steps = k;
        }
        /* a remove has at least an unlink and an rmdir per phase plus the journal: the loop really failed them */
        assert_true(steps >= 5);
        free(before);
}

static bool exists(const char *root, const char *path) {
        char full[4096];
        struct stat st;
        snprintf(full, sizeof(full), "%s/%s", root, path);
        return lstat(full, &st) == 0;
}

static void set_mode(const char *root, const char *path, mode_t mode) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", root, path);
        assert_int_equal(chmod(full, mode), 0);
}

static void test_remove_all_or_nothing(void **state) {
        char *root = two_vm_root(), *pristine, *with_vm2;
        vk_error err = {0};

        (void)state;
        pristine = snapshot(root);
        /* what the tree is with vm2's hook alone: the goal of removing vm1 */
        assert_int_equal(install_vm(root, "vm2", NULL, &err), 0);
        with_vm2 = snapshot(root);
        assert_int_equal(install_vm(root, "vm1", NULL, &err), 0);
        assert_true(exists(root, "etc/libvirt/hooks/qemu.vfiokit-orig"));
        /* modes a write would not give (the umask is 022): the roll back must put them back as they were */
        set_mode(root, "etc/libvirt/hooks/qemu.d/vm1/prepare", 0750);
        set_mode(root, "etc/libvirt/hooks/qemu.d/vm1/prepare/begin/vfiokit.sh", 0775);

        remove_with_every_fault(root, "vm1"); /* not the last VM: the journal is rewritten */
        assert_false(exists(root, "etc/libvirt/hooks/qemu.d/vm1"));
        assert_true(exists(root, "etc/libvirt/hooks/qemu.d/vm2/prepare/begin/vfiokit.sh"));
        assert_same_tree("install vm2, install vm1, remove vm1", with_vm2, root);

        set_mode(root, "etc/libvirt/hooks/qemu", 0770);
        set_mode(root, "etc/libvirt/hooks/qemu.d", 0750);
        set_mode(root, "var/lib/vfiokit/hooks.json", 0664);
        remove_with_every_fault(root, "vm2"); /* the last: the original hook goes back, the journal goes */
        assert_same_tree("install ×2 → remove ×2", pristine, root);

        /* a rerun says plainly there is nothing to remove */
        memset(&err, 0, sizeof(err));
        assert_int_equal(remove_vm(root, "vm2", NULL, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "vfiokit installed no hook for 'vm2'"));
        assert_false(err.refused);
        free(pristine);
        free(with_vm2);
        fx_remove(root);
}

/* install was all or nothing before; the same test keeps it so (the kept original goes too). */
static void test_install_all_or_nothing(void **state) {
        char *root = two_vm_root(), *pristine;
        int steps = 0;

        (void)state;
        pristine = snapshot(root);
        for (int k = 1;; k++) {
                fault f = {.fail_at = k, .err = -EIO};
                vk_error err = {0};
                char what[64];
                int r = install_vm(root, "vm1", &f, &err);

                if (!f.hit) {
                        assert_int_equal(r, 0);
                        break;
                }
                snprintf(what, sizeof(what), "install vm1, EIO at step %d", k);
                if (r != -EIO || !strstr(err.msg, "nothing was changed"))
                        fail_msg("%s: %d %s", what, r, err.msg);
                assert_same_tree(what, pristine, root);
                steps = k;
        }
        assert_true(steps >= 5);
        fx_remove(root);
        free(pristine);
}

static void append(const char *root, const char *path, const char *text) {
        char full[4096];
        FILE *f;
        snprintf(full, sizeof(full), "%s/%s", root, path);
        f = fopen(full, "a");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* A hook file the user changed, a kept original that is gone: remove refuses before it changes anything. */
static void test_remove_refuses_changed(void **state) {
        char *root = two_vm_root(), *before, *pristine;
        vk_error err = {0};
        const char *end = "etc/libvirt/hooks/qemu.d/vm1/release/end/vfiokit.sh";
        char full[4096], moved[4096];

        (void)state;
        pristine = snapshot(root);
        assert_int_equal(install_vm(root, "vm1", NULL, &err), 0);
        append(root, end, "# mine\n");
        before = snapshot(root);
        assert_int_equal(remove_vm(root, "vm1", NULL, &err), -EPERM);
        assert_true(err.refused);
        if (!strstr(err.msg, "/etc/libvirt/hooks/qemu.d/vm1/release/end/vfiokit.sh changed since vfiokit wrote it") ||
            !strstr(err.msg, "nothing was changed") || !strstr(err.msg, "move it away"))
                fail_msg("the refusal does not name the file and the fix: %s", err.msg);
        assert_same_tree("refused remove (changed hook)", before, root);
        free(before);

        /* the user moves their version away: the remove completes */
        snprintf(full, sizeof(full), "%s/%s", root, end);
        snprintf(moved, sizeof(moved), "%s/mine.sh", root);
        assert_int_equal(rename(full, moved), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(install_vm(root, "vm2", NULL, &err), 0);
        assert_int_equal(remove_vm(root, "vm1", NULL, &err), 0);

        /* the dispatcher changed while the kept original is next to it: refused, naming both */
        append(root, "etc/libvirt/hooks/qemu", "# mine\n");
        before = snapshot(root);
        memset(&err, 0, sizeof(err));
        assert_int_equal(remove_vm(root, "vm2", NULL, &err), -EPERM);
        assert_true(err.refused);
        assert_non_null(strstr(err.msg, "/etc/libvirt/hooks/qemu changed since vfiokit wrote it"));
        assert_non_null(strstr(err.msg, "/etc/libvirt/hooks/qemu.vfiokit-orig"));
        assert_same_tree("refused remove (changed dispatcher)", before, root);
        free(before);

        /* the original vfiokit kept is gone while the dispatcher is vfiokit's: it cannot be put back, refused */
        snprintf(full, sizeof(full), "%s/etc/libvirt/hooks/qemu", root);
        {
                vk_hooks_journal j = {0};
                vk_host *h = NULL;
                assert_int_equal(vk_host_new(root, &h), 0);
                assert_int_equal(vk_hooks_journal_load(h, &j, &err), 0);
                fx_file(root, "etc/libvirt/hooks/qemu", vk_hooks_journal_find(&j, "etc/libvirt/hooks/qemu")->content);
                assert_int_equal(chmod(full, 0755), 0);
                vk_hooks_journal_clear(&j);
                vk_host_free(h);
        }
        snprintf(moved, sizeof(moved), "%s/qemu.orig", root);
        snprintf(full, sizeof(full), "%s/etc/libvirt/hooks/qemu.vfiokit-orig", root);
        assert_int_equal(rename(full, moved), 0);
        before = snapshot(root);
        memset(&err, 0, sizeof(err));
        assert_int_equal(remove_vm(root, "vm2", NULL, &err), -EPERM);
        assert_true(err.refused);
        if (!strstr(err.msg, "the original vfiokit kept as /etc/libvirt/hooks/qemu.vfiokit-orig is missing"))
                fail_msg("%s", err.msg);
        assert_same_tree("refused remove (kept original missing)", before, root);
        free(before);

        /* put back, the remove gives the tree from before the install (less the user's own file) */
        assert_int_equal(rename(moved, full), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(remove_vm(root, "vm2", NULL, &err), 0);
        snprintf(moved, sizeof(moved), "%s/mine.sh", root);
        assert_int_equal(unlink(moved), 0);
        assert_same_tree("after the refusals were fixed", pristine, root);
        free(pristine);
        fx_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_domain_devices),  cmocka_unit_test(test_domain_malformed),
                cmocka_unit_test(test_vm_names),        cmocka_unit_test(test_amd_reset_table),
                cmocka_unit_test(test_script_quoting),  cmocka_unit_test(test_journal_roundtrip),
                cmocka_unit_test(test_journal_malformed), cmocka_unit_test(test_remove_all_or_nothing),
                cmocka_unit_test(test_install_all_or_nothing), cmocka_unit_test(test_remove_refuses_changed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
