/* test-boot.c — boot apply/revert on fixture roots: idempotence, exact revert, and a fault at every write. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/boot.h"
#include "boot/bootjournal.h"
#include "fixture.h"
#include "model.h"
#include "simkernel.h"

static const char grub_default[] = "# If you change this file, run 'update-grub' afterwards\n"
                                   "GRUB_DEFAULT=0\n"
                                   "GRUB_TIMEOUT=5\n"
                                   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n"
                                   "GRUB_CMDLINE_LINUX=\"\"\n";
static const char itools_modules[] = "# List of modules that you want to include in your initramfs.\n# raid1\n";

/* A Debian desktop (Intel CPU, IOMMU not on yet): GRUB with update-grub, initramfs-tools. */
static char *debian_root(void) {
        char *root = fx_new();
        fx_desktop(root, "GenuineIntel", "BOOT_IMAGE=/boot/vmlinuz root=/dev/nvme0n1p2 ro quiet splash\n");
        fx_file(root, "etc/default/grub", grub_default);
        fx_file(root, "boot/grub/grub.cfg", "# generated\n");
        fx_file(root, "usr/sbin/update-grub", "#!/bin/sh\n");
        fx_file(root, "etc/initramfs-tools/modules", itools_modules);
        return root;
}

typedef struct fault {
        int fail_at;    /* 1-based write (vk_host_write_file call) to break */
        vk_write_step step;
        int err;        /* -errno to fail with, or 0 to crash (SIGKILL) */
        int writes;
} fault;

static int fault_hook(const char *path, vk_write_step step, void *userdata) {
        fault *f = userdata;
        (void)path;
        if (step == VK_WRITE_CREATE)
                f->writes++;
        if (f->writes != f->fail_at || step != f->step)
                return 0;
        if (f->err == 0)
                kill(getpid(), SIGKILL); /* a crash: the temp file is complete, the rename never happens */
        return f->err;
}

/* Plan for 01:00.0 on root; the plan stays valid for checking what apply wrote. */
static void make_plan(vk_host *h, vk_boot_plan *p) {
        vk_model *m = NULL;
        vk_error err = {0};
        assert_int_equal(vk_model_load_flags(h, VK_LOAD_NO_NAMES, &m), 0);
        vk_func *gpu = vk_model_find(m, "0000:01:00.0");
        assert_non_null(gpu);
        vk_boot_opts o = {0};
        int r = vk_boot_plan_make(h, m, gpu, &o, p, &err);
        if (r < 0)
                fail_msg("plan: %s", err.msg);
        vk_model_free(m);
}

static int apply_with(const char *root, fault *f, vk_boot_plan *keep, vk_error *err) {
        vk_host *h = NULL;
        vk_boot_plan p = {0};
        vk_boot_apply_result res = {0};
        int r;

        assert_int_equal(vk_host_new(root, &h), 0);
        make_plan(h, &p);
        if (f)
                vk_host_set_write_hook(h, fault_hook, f);
        r = vk_boot_apply(h, &p, &res, err);
        vk_boot_apply_result_clear(&res);
        if (keep)
                *keep = p;
        else
                vk_boot_plan_clear(&p);
        vk_host_free(h);
        return r;
}

static void revert(const char *root) {
        vk_host *h = NULL;
        vk_boot_revert_result res = {0};
        vk_error err = {0};
        assert_int_equal(vk_host_new(root, &h), 0);
        if (vk_boot_revert(h, false, &res, &err) < 0)
                fail_msg("revert: %s", err.msg);
        vk_boot_revert_result_clear(&res);
        vk_host_free(h);
}

static char *read_all(const char *root, const char *path, size_t *len) {
        char full[4096];
        FILE *f;
        char *buf = NULL;
        size_t size = 0;
        snprintf(full, sizeof(full), "%s/%s", root, path);
        f = fopen(full, "r");
        if (!f)
                return NULL;
        FILE *m = open_memstream(&buf, &size);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        *len = size;
        return buf;
}

static void test_plan_debian(void **state) {
        (void)state;
        char *root = debian_root();
        vk_host *h = NULL;
        vk_boot_plan p = {0};
        assert_int_equal(vk_host_new(root, &h), 0);
        make_plan(h, &p);
        assert_int_equal(p.detect.bootloader, VK_BL_GRUB);
        assert_int_equal(p.detect.initramfs, VK_INITRD_INITRAMFS_TOOLS);
        assert_int_equal(p.ids.n, 2);
        assert_string_equal(p.ids.v[0], "10de:2484");
        assert_true(vk_strv_contains(&p.softdeps, "nouveau"));
        assert_true(vk_strv_contains(&p.softdeps, "snd_hda_intel"));
        assert_false(vk_strv_contains(&p.softdeps, "i915")); /* the host's iGPU is not in the group */
        assert_true(vk_strv_contains(&p.kargs_add, "intel_iommu=on"));
        assert_false(vk_strv_contains(&p.kargs_add, "iommu=pt")); /* only with --iommu-pt */
        assert_int_equal(p.n_files, 3);                         /* grub, modprobe.d, initramfs-tools */
        assert_int_equal(p.n_cmds, 2);
        assert_string_equal(p.cmds[0].argv.v[0], "update-initramfs");
        assert_string_equal(p.cmds[1].argv.v[0], "update-grub");
        vk_boot_plan_clear(&p);
        vk_host_free(h);
        fx_remove(root);
}

static void test_refuses_host_display(void **state) {
        (void)state;
        char *root = debian_root();
        vk_host *h = NULL;
        vk_model *m = NULL;
        vk_boot_plan p = {0};
        vk_error err = {0};
        vk_boot_opts o = {0};
        char *before = tree_snapshot(root);
        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_model_load_flags(h, VK_LOAD_NO_NAMES, &m), 0);
        assert_true(vk_boot_plan_make(h, m, vk_model_find(m, "0000:00:02.0"), &o, &p, &err) < 0);
        assert_true(err.refused);
        assert_non_null(strstr(err.msg, "--force-host-device"));
        char *after = tree_snapshot(root);
        assert_string_equal(before, after);
        free(before), free(after);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_shared_id_refused(void **state) {
        (void)state;
        char *root = debian_root();
        /* a second identical card: ids= would take it too */
        fx_pci_add(root, &(fx_pci){"0000:00:1c.0", "", 0x8086, 0xa338, 0x060400, "pcieport", 5, -1});
        fx_pci_add(root, &(fx_pci){"0000:03:00.0", "0000:00:1c.0", 0x10de, 0x2484, 0x030000, "nouveau", 5, 0});
        vk_host *h = NULL;
        vk_model *m = NULL;
        vk_boot_plan p = {0};
        vk_error err = {0};
        vk_boot_opts o = {0};
        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_model_load_flags(h, VK_LOAD_NO_NAMES, &m), 0);
        assert_true(vk_boot_plan_make(h, m, vk_model_find(m, "0000:01:00.0"), &o, &p, &err) < 0);
        assert_true(err.refused);
        assert_non_null(strstr(err.msg, "0000:03:00.0"));
        o.force = true;
        assert_int_equal(vk_boot_plan_make(h, m, vk_model_find(m, "0000:01:00.0"), &o, &p, &err), 0);
        assert_true(p.warnings.n >= 1);
        vk_boot_plan_clear(&p);
        vk_model_free(m);
        vk_host_free(h);
        fx_remove(root);
}

static void test_apply_twice_and_revert(void **state) {
        (void)state;
        char *root = debian_root();
        vk_error err = {0};
        char *orig = tree_snapshot(root);
        vk_boot_plan second = {0};

        if (apply_with(root, NULL, NULL, &err) < 0)
                fail_msg("apply: %s", err.msg);
        char *once = tree_snapshot(root);
        assert_string_not_equal(orig, once);
        assert_non_null(strstr(once, "etc/default/grub.vfiokit-orig"));
        /* the second time the plan is empty and applying it changes no byte, not even the journal */
        assert_int_equal(apply_with(root, NULL, &second, &err), 0);
        assert_false(vk_boot_plan_changes(&second));
        vk_boot_plan_clear(&second);
        char *twice = tree_snapshot(root);
        assert_string_equal(once, twice);
        revert(root);
        char *back = tree_snapshot(root);
        assert_string_equal(orig, back);
        free(orig), free(once), free(twice), free(back);
        fx_remove(root);
}

/* Every target of the plan holds either its old or its new bytes: never a part, never missing when it was there. */
static void assert_old_or_new(const char *root, const vk_boot_plan *p) {
        for (size_t i = 0; i < p->n_files; i++) {
                const vk_boot_file *f = &p->files[i];
                size_t len = 0;
                char *now = read_all(root, f->path, &len);
                bool is_new = now && len == f->new_len && memcmp(now, f->new, len) == 0;
                bool is_old = f->old_absent ? !now : now && len == f->old_len && memcmp(now, f->old, len) == 0;
                if (!is_new && !is_old)
                        fail_msg("/%s is neither its original nor its new content", f->path);
                free(now);
        }
}

static int count_writes(void) {
        char *root = debian_root();
        fault f = {.fail_at = -1};
        vk_error err = {0};
        assert_int_equal(apply_with(root, &f, NULL, &err), 0);
        fx_remove(root);
        return f.writes;
}

static void test_fault_at_every_write(void **state) {
        (void)state;
        const int errs[] = {-ENOSPC, -EIO, -EACCES};
        const vk_write_step steps[] = {VK_WRITE_CREATE, VK_WRITE_DATA, VK_WRITE_RENAME};
        int n = count_writes();

        assert_true(n >= 4); /* journal, grub + its .vfiokit-orig, modprobe.d, initramfs-tools */
        for (size_t e = 0; e < ELEMENTSOF(errs); e++)
                for (size_t s = 0; s < ELEMENTSOF(steps); s++)
                        for (int k = 1; k <= n; k++) {
                                char *root = debian_root();
                                char *orig = tree_snapshot(root);
                                fault f = {.fail_at = k, .step = steps[s], .err = errs[e]};
                                vk_boot_plan p = {0};
                                vk_error err = {0};
                                size_t jl;
                                char *journal;

                                assert_true(apply_with(root, &f, &p, &err) < 0);
                                assert_int_equal(err.r, errs[e]);
                                /* the error says what happened and what to do */
                                assert_non_null(strstr(err.msg, strerror(-errs[e])));
                                assert_true(strstr(err.msg, "vfiokit boot revert") ||
                                            strstr(err.msg, "nothing was changed"));
                                assert_old_or_new(root, &p);
                                journal = read_all(root, VK_BOOT_JOURNAL_PATH, &jl);
                                if (k == 1) {
                                        /* the journal itself failed: nothing else was touched */
                                        assert_null(journal);
                                        assert_non_null(strstr(err.msg, "nothing was changed"));
                                } else {
                                        assert_non_null(journal);
                                        revert(root);
                                }
                                free(journal);
                                char *back = tree_snapshot(root);
                                /* the journal's directory may stay when the journal never got written */
                                if (k == 1 && strcmp(orig, back) != 0) {
                                        char d[4096];
                                        snprintf(d, sizeof(d), "%s/var/lib/vfiokit", root);
                                        assert_int_equal(rmdir(d), 0);
                                        snprintf(d, sizeof(d), "%s/var/lib", root);
                                        rmdir(d);
                                        snprintf(d, sizeof(d), "%s/var", root);
                                        rmdir(d);
                                        free(back);
                                        back = tree_snapshot(root);
                                }
                                assert_string_equal(orig, back);
                                vk_boot_plan_clear(&p);
                                free(orig), free(back);
                                fx_remove(root);
                        }
}

/* A crash between the temp file and the rename, at each write: a child is killed there. */
static void test_crash_at_every_write(void **state) {
        (void)state;
        int n = count_writes();

        for (int k = 1; k <= n; k++) {
                char *root = debian_root();
                char *orig = tree_snapshot(root);
                vk_host *h = NULL;
                vk_boot_plan p = {0};
                int status;
                pid_t pid;

                assert_int_equal(vk_host_new(root, &h), 0);
                make_plan(h, &p);
                vk_host_free(h);
                fflush(NULL);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        fault f = {.fail_at = k, .step = VK_WRITE_RENAME, .err = 0};
                        vk_error err = {0};
                        apply_with(root, &f, NULL, &err);
                        _exit(0); /* not reached when the hook kills it */
                }
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                assert_old_or_new(root, &p);
                /* running apply again finishes the job and is exactly undone by revert */
                vk_error err = {0};
                if (apply_with(root, NULL, NULL, &err) < 0)
                        fail_msg("apply after a crash at write %d: %s", k, err.msg);
                revert(root);
                char *back = tree_snapshot(root);
                if (k == 1 && strcmp(orig, back) != 0) {
                        /* the crash came before the journal recorded that it made its directory */
                        char d[4096];
                        snprintf(d, sizeof(d), "%s/var/lib/vfiokit", root);
                        assert_int_equal(rmdir(d), 0);
                        snprintf(d, sizeof(d), "%s/var/lib", root);
                        rmdir(d);
                        snprintf(d, sizeof(d), "%s/var", root);
                        rmdir(d);
                        free(back);
                        back = tree_snapshot(root);
                }
                assert_string_equal(orig, back);
                vk_boot_plan_clear(&p);
                free(orig), free(back);
                fx_remove(root);
        }
}

static void test_corrupt_journal(void **state) {
        (void)state;
        char *root = debian_root();
        vk_error err = {0};
        fx_file(root, VK_BOOT_JOURNAL_PATH, "{\"version\":1,\"files\":[{\"path\":\"../../etc/shadow\"}]}");
        char *before = tree_snapshot(root);
        assert_int_equal(apply_with(root, NULL, NULL, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "corrupt"));
        char *after = tree_snapshot(root);
        assert_string_equal(before, after);
        free(before), free(after);
        fx_remove(root);
}

static void test_journal_parse_malformed(void **state) {
        (void)state;
        static const char *const bad[] = {
                "",
                "[]",
                "{\"version\":1}",
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[],\"dirs_created\":[],\"commands\":[],\"undo\":[]} trailing",
                /* a file outside the root, an absolute one, a dot component */
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[{\"path\":\"etc/../../x\",\"original\":null,\"mode\":420,\"backup_made\":false}],"
                "\"dirs_created\":[],\"commands\":[],\"undo\":[]}",
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[{\"path\":\"/etc/x\",\"original\":null,\"mode\":420,\"backup_made\":false}],"
                "\"dirs_created\":[],\"commands\":[],\"undo\":[]}",
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[],\"dirs_created\":[\"./etc\"],\"commands\":[],\"undo\":[]}",
                /* a mode that is not a mode, an original that is not a string, an empty argv */
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[{\"path\":\"etc/x\",\"original\":null,\"mode\":99999,\"backup_made\":false}],"
                "\"dirs_created\":[],\"commands\":[],\"undo\":[]}",
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[{\"path\":\"etc/x\",\"original\":7,\"mode\":420,\"backup_made\":false}],"
                "\"dirs_created\":[],\"commands\":[],\"undo\":[]}",
                "{\"created\":\"x\",\"devices\":[],\"functions\":[],\"kernel_options\":{\"add\":[],\"remove\":[]},"
                "\"files\":[],\"dirs_created\":[],\"commands\":[{\"argv\":[]}],\"undo\":[]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                vk_boot_journal j = {0};
                vk_error err = {0};
                if (vk_bj_parse(bad[i], strlen(bad[i]), &j, &err) != -EBADMSG)
                        fail_msg("accepted malformed journal %zu", i);
                assert_non_null(strstr(err.msg, "corrupt"));
        }
        /* an original with every byte value survives serialize → parse exactly */
        vk_boot_journal j = {.created = strdup("t")}, back = {0};
        char bytes[256], *text = NULL;
        vk_error err = {0};
        for (int i = 0; i < 256; i++)
                bytes[i] = (char)i;
        assert_int_equal(vk_bj_add_file(&j, "etc/x", false, bytes, sizeof(bytes), 0600, true), 0);
        assert_int_equal(vk_bj_serialize(&j, &text), 0);
        assert_int_equal(vk_bj_parse(text, strlen(text), &back, &err), 0);
        assert_int_equal(back.files[0].original_len, sizeof(bytes));
        assert_memory_equal(back.files[0].original, bytes, sizeof(bytes));
        assert_int_equal(back.files[0].mode, 0600);
        free(text);
        vk_bj_clear(&j);
        vk_bj_clear(&back);
}

static void test_diff(void **state) {
        (void)state;
        char *d = NULL;
        assert_int_equal(vk_diff_unified("f", "a\nb\nc\n", 6, false, "a\nB\nc\n", 6, &d), 0);
        assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        free(d);
        assert_int_equal(vk_diff_unified("f", NULL, 0, true, "x\n", 2, &d), 0);
        assert_string_equal(d, "--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n");
        free(d);
        assert_int_equal(vk_diff_unified("f", "x", 1, false, "x\n", 2, &d), 0);
        assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n");
        free(d);
        /* a removed file (the trial entry): every line goes, to /dev/null */
        assert_int_equal(vk_diff_unified("f", "x\ny\n", 4, false, NULL, 0, &d), 0);
        assert_string_equal(d, "--- a/f\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n");
        free(d);
        assert_int_equal(vk_diff_unified("f", "", 0, false, NULL, 0, &d), 0);
        assert_string_equal(d, "--- a/f\n+++ /dev/null\n");
        free(d);
        assert_int_equal(vk_diff_unified("f", "same\n", 5, false, "same\n", 5, &d), 0);
        assert_string_equal(d, "");
        free(d);
        /* two changes far apart: two hunks with 3 lines of context each */
        assert_int_equal(vk_diff_unified("f", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", 21, false,
                                         "0\n2\n3\n4\n5\n6\n7\n8\n9\nX\n", 20, &d),
                         0);
        assert_string_equal(d, "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n 4\n"
                               "@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+X\n");
        free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_diff),
                cmocka_unit_test(test_plan_debian),
                cmocka_unit_test(test_refuses_host_display),
                cmocka_unit_test(test_shared_id_refused),
                cmocka_unit_test(test_apply_twice_and_revert),
                cmocka_unit_test(test_corrupt_journal),
                cmocka_unit_test(test_journal_parse_malformed),
                cmocka_unit_test(test_fault_at_every_write),
                cmocka_unit_test(test_crash_at_every_write),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
