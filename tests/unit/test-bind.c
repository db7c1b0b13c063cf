/* test-bind.c — bind/unbind/restore/sriov on fixture trees under a simulated kernel: whole groups, guards, rollback. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "fixture.h"
#include "simkernel.h"
#include "sriov.h"

typedef struct env {
        char *root;
        vk_host *h;
        vk_model *m;
        simkernel k;
} env;

static void env_load(env *e) {
        vk_model_free(e->m);
        e->m = NULL;
        assert_int_equal(vk_model_load(e->h, &e->m), 0);
}

static void env_start(env *e) {
        *e = (env){0};
        e->root = fx_new();
        fx_desktop(e->root, "GenuineIntel", "intel_iommu=on\n");
        fx_dir(e->root, "sys/bus/pci/drivers/vfio-pci");
        simkernel_init(&e->k, e->root);
        assert_int_equal(vk_host_new(e->root, &e->h), 0);
        vk_host_set_sysfs_ops(e->h, &simkernel_ops, &e->k);
        env_load(e);
}

static void env_stop(env *e) {
        vk_model_free(e->m);
        vk_host_free(e->h);
        fx_remove(e->root);
}

static char *driver_of(env *e, const char *addr) {
        char *d = NULL;
        assert_int_equal(vk_read_driver(e->h, addr, &d), 0);
        return d;
}

static void assert_driver(env *e, const char *addr, const char *want) {
        char *d = driver_of(e, addr);
        if (!vk_streq(d, want))
                fail_msg("%s: driver %s, expected %s", addr, d ? d : "(none)", want ? want : "(none)");
        free(d);
}

static bool exists(env *e, const char *path) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", e->root, path);
        return lstat(p, &st) == 0;
}


/* Compare two sorted snapshots; on a difference print only the lines that differ. */
static void assert_same_tree(const char *before, const char *after, const char *what) {
        char *a = strdup(before), *b = strdup(after), *sa = NULL, *sb = NULL;
        char *la = strtok_r(a, "\n", &sa), *lb = strtok_r(b, "\n", &sb);
        int diffs = 0;

        while (la || lb) {
                int c = !la ? 1 : !lb ? -1 : strcmp(la, lb);
                if (c == 0) {
                        la = strtok_r(NULL, "\n", &sa);
                        lb = strtok_r(NULL, "\n", &sb);
                        continue;
                }
                if (diffs++ < 20)
                        fprintf(stderr, "%s %s\n", c < 0 ? "-" : "+", c < 0 ? la : lb);
                if (c < 0)
                        la = strtok_r(NULL, "\n", &sa);
                else
                        lb = strtok_r(NULL, "\n", &sb);
        }
        free(a);
        free(b);
        if (diffs)
                fail_msg("%s: the tree changed in %d lines", what, diffs);
}

static const vk_bind_opts plain = {.lock_timeout_ms = 200};

static int bind(env *e, const char *addr, vk_moves *mv, vk_error *err) {
        return vk_bind(e->h, e->m, vk_model_find(e->m, addr), &plain, mv, err);
}

static void test_bind_unbind_roundtrip(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        vk_journal j = {0};
        char *before;
        (void)state;

        env_start(&e);
        before = tree_snapshot(e.root);
        assert_int_equal(bind(&e, "0000:01:00.0", &mv, &err), 0);
        assert_int_equal(mv.n, 2); /* GPU and audio; the bridge stays */
        assert_true(mv.v[0].changed && mv.v[1].changed);
        assert_string_equal(mv.v[0].before, "nouveau");
        assert_string_equal(mv.v[1].before, "snd_hda_intel");
        vk_moves_clear(&mv);
        assert_driver(&e, "0000:01:00.0", "vfio-pci");
        assert_driver(&e, "0000:01:00.1", "vfio-pci");
        assert_driver(&e, "0000:00:01.0", "pcieport");
        assert_true(exists(&e, "dev/vfio/1"));
        assert_int_equal(e.k.writes, 6); /* override, unbind, probe for each */

        assert_int_equal(vk_journal_load(e.h, &j, &err), 0);
        assert_int_equal(j.n, 2);
        assert_string_equal(vk_journal_find(&j, "0000:01:00.0")->driver, "nouveau");
        assert_null(vk_journal_find(&j, "0000:01:00.0")->driver_override);
        vk_journal_clear(&j);

        /* again: nothing to do, nothing written, the journal keeps the first originals */
        env_load(&e);
        assert_int_equal(bind(&e, "0000:01:00.1", &mv, &err), 0);
        assert_false(mv.v[0].changed || mv.v[1].changed);
        vk_moves_clear(&mv);
        assert_int_equal(e.k.writes, 6);
        assert_int_equal(vk_journal_load(e.h, &j, &err), 0);
        assert_string_equal(vk_journal_find(&j, "0000:01:00.1")->driver, "snd_hda_intel");
        vk_journal_clear(&j);

        assert_int_equal(vk_unbind(e.h, e.m, vk_model_find(e.m, "0000:01:00.1"), &plain, &mv, &err), 0);
        assert_int_equal(mv.n, 2);
        vk_moves_clear(&mv);
        assert_driver(&e, "0000:01:00.0", "nouveau");
        assert_driver(&e, "0000:01:00.1", "snd_hda_intel");
        {
                char *after = tree_snapshot(e.root);
                assert_same_tree(before, after, "bind then unbind"); /* exactly as before, journal gone */
                free(after);
        }
        free(before);
        env_stop(&e);
}

static void test_twenty_cycles(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        char *before, *after;
        (void)state;

        env_start(&e);
        before = tree_snapshot(e.root);
        for (int i = 0; i < 20; i++) {
                assert_int_equal(bind(&e, "0000:01:00.0", &mv, &err), 0);
                vk_moves_clear(&mv);
                assert_int_equal(vk_restore(e.h, &plain, &mv, &err), 0);
                vk_moves_clear(&mv);
        }
        after = tree_snapshot(e.root);
        assert_same_tree(before, after, "20 cycles");
        free(before);
        free(after);
        env_stop(&e);
}

/* A failure at any write, with any errno, leaves the whole tree as it was. */
static void test_rollback_every_step(void **state) {
        const int errnos[] = {EBUSY, EIO, ENODEV, EACCES};
        (void)state;

        for (size_t x = 0; x < ELEMENTSOF(errnos); x++)
                for (int step = 1; step <= 6; step++) {
                        env e;
                        vk_moves mv = {0};
                        vk_error err = {0};
                        char *before, *after;

                        env_start(&e);
                        before = tree_snapshot(e.root);
                        e.k.fail_at = step;
                        e.k.fail_errno = errnos[x];
                        assert_true(bind(&e, "0000:01:00.0", &mv, &err) < 0);
                        assert_false(err.refused);
                        assert_non_null(strstr(err.msg, strerror(errnos[x])));
                        assert_non_null(strstr(err.msg, "back on its original driver"));
                        after = tree_snapshot(e.root);
                        if (strcmp(before, after) != 0) {
                                fprintf(stderr, "step %d errno %d: %s\n", step, errnos[x], err.msg);
                                assert_same_tree(before, after, "rollback");
                        }
                        free(before);
                        free(after);
                        env_stop(&e);
                }
}

static void test_probe_binds_nothing(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        char *before, *after;
        (void)state;

        /* drivers_probe reports success although vfio-pci's probe failed: only the
         * driver link tells, and the group must come back */
        env_start(&e);
        e.k.probe_binds_nothing = true;
        before = tree_snapshot(e.root);
        assert_true(bind(&e, "0000:01:00.0", &mv, &err) < 0);
        assert_non_null(strstr(err.msg, "0000:01:00.0 did not bind to vfio-pci (it is unbound)"));
        assert_non_null(strstr(err.msg, "back on its original driver"));
        after = tree_snapshot(e.root);
        assert_same_tree(before, after, "tree");
        free(before);
        free(after);
        env_stop(&e);
}

static void test_refusals_change_nothing(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        vk_strv force = {0};
        vk_bind_opts o = plain;
        (void)state;

        env_start(&e);
        /* the host's display */
        assert_int_equal(bind(&e, "0000:00:02.0", &mv, &err), -EPERM);
        assert_true(err.refused);
        assert_non_null(strstr(err.msg, "active display"));
        /* a bridge */
        assert_int_equal(bind(&e, "0000:00:01.0", &mv, &err), -EPERM);
        assert_non_null(strstr(err.msg, "PCI bridge"));
        /* the root disk's group */
        assert_int_equal(bind(&e, "0000:02:00.0", &mv, &err), -EPERM);
        assert_non_null(strstr(err.msg, "root disk controller"));
        assert_non_null(strstr(err.msg, "--force-host-device 0000:02:00.0"));
        assert_int_equal(e.k.writes, 0);
        assert_false(exists(&e, "run/vfiokit/journal.json"));

        /* named exactly, the override lets it through */
        vk_strv_push(&force, "0000:02:00.0");
        o.force_host_devices = &force;
        assert_int_equal(vk_bind(e.h, e.m, vk_model_find(e.m, "0000:02:00.0"), &o, &mv, &err), 0);
        vk_moves_clear(&mv);
        assert_driver(&e, "0000:02:00.0", "vfio-pci");
        vk_strv_clear(&force);
        env_stop(&e);
}

static void test_device_vanishes(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        (void)state;

        env_start(&e);
        e.k.vanish_at_first = "0000:01:00.1";
        assert_true(bind(&e, "0000:01:00.0", &mv, &err) < 0);
        assert_non_null(strstr(err.msg, "0000:01:00.1"));
        assert_driver(&e, "0000:01:00.0", "nouveau"); /* the GPU went back */
        assert_false(exists(&e, "run/vfiokit/journal.json"));
        env_stop(&e);
}

static void test_garbage_driver_override(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        (void)state;

        env_start(&e);
        fx_file(e.root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1/driver_override", "\x01\x7f junk\n");
        assert_int_equal(bind(&e, "0000:01:00.0", &mv, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "0000:01:00.1/driver_override holds garbage"));
        assert_int_equal(e.k.writes, 0);
        assert_false(exists(&e, "run/vfiokit/journal.json"));
        env_stop(&e);
}

static void test_read_only_sysfs(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        char *before, *after;
        (void)state;

        env_start(&e);
        before = tree_snapshot(e.root);
        e.k.fail_path_suffix = "driver_override";
        e.k.fail_errno = EROFS;
        assert_true(bind(&e, "0000:01:00.0", &mv, &err) < 0);
        assert_non_null(strstr(err.msg, "driver_override"));
        assert_non_null(strstr(err.msg, "Read-only file system"));
        after = tree_snapshot(e.root);
        assert_same_tree(before, after, "tree");
        free(before);
        free(after);
        env_stop(&e);
}

static void test_journal_corrupt_or_missing(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        char *before, *after;
        (void)state;

        env_start(&e);
        /* missing: restore has nothing to do */
        assert_int_equal(vk_restore(e.h, &plain, &mv, &err), 0);
        assert_int_equal(mv.n, 0);
        vk_moves_clear(&mv);
        /* unbind of something vfiokit never bound */
        assert_int_equal(vk_unbind(e.h, e.m, vk_model_find(e.m, "0000:01:00.0"), &plain, &mv, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "no entry"));
        /* corrupt: says so, changes nothing */
        assert_int_equal(bind(&e, "0000:01:00.0", &mv, &err), 0);
        vk_moves_clear(&mv);
        fx_file(e.root, "run/vfiokit/journal.json", "{\"entries\": [ {\"address\": 12");
        before = tree_snapshot(e.root);
        assert_int_equal(vk_restore(e.h, &plain, &mv, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "journal.json is corrupt"));
        fx_file(e.root, "run/vfiokit/journal.json", "{\"entries\": [ {\"address\": \"not-an-address\"} ]}");
        assert_int_equal(vk_restore(e.h, &plain, &mv, &err), -EBADMSG);
        fx_file(e.root, "run/vfiokit/journal.json", "{\"entries\": [ {\"address\": 12");
        after = tree_snapshot(e.root);
        assert_same_tree(before, after, "tree");
        assert_int_equal(e.k.writes, 6);
        free(before);
        free(after);
        env_stop(&e);
}

static void test_lock_contention(void **state) {
        env e;
        vk_moves mv = {0};
        vk_error err = {0};
        char p[4096];
        int fd;
        (void)state;

        env_start(&e);
        fx_file(e.root, "run/vfiokit/lock", "4242\n");
        snprintf(p, sizeof(p), "%s/run/vfiokit/lock", e.root);
        fd = open(p, O_RDWR);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0); /* another vfiokit, as far as the lock can tell */
        assert_int_equal(bind(&e, "0000:01:00.0", &mv, &err), -EBUSY);
        assert_non_null(strstr(err.msg, "holds /run/vfiokit/lock"));
        /* pid 4242 is not a running vfiokit here: never blame it (found by the real-kernel test) */
        assert_null(strstr(err.msg, "4242"));
        assert_int_equal(e.k.writes, 0);
        close(fd);
        assert_int_equal(bind(&e, "0000:01:00.0", &mv, &err), 0);
        vk_moves_clear(&mv);
        /* released: no pid left behind for the next waiter to blame */
        {
                char *pidtext = NULL;
                assert_int_equal(vk_host_read_file(e.h, "run/vfiokit/lock", 64, &pidtext, NULL), 0);
                assert_string_equal(pidtext, "");
                free(pidtext);
        }
        /* re-entrant: a caller holding it can still bind */
        assert_int_equal(vk_lock_take(e.h, 100, &err), 0);
        assert_int_equal(vk_unbind(e.h, e.m, vk_model_find(e.m, "0000:01:00.0"), &plain, &mv, &err), 0);
        vk_moves_clear(&mv);
        vk_lock_release(e.h);
        env_stop(&e);
}

static void add_sriov_pf(env *e) {
        /* an N100-style iGPU PF: sriov_totalvfs 7, no VFs yet */
        const char *d = "sys/devices/pci0000:00/0000:00:02.0";
        char p[256];
        snprintf(p, sizeof(p), "%s/sriov_totalvfs", d);
        fx_file(e->root, p, "7\n");
        snprintf(p, sizeof(p), "%s/sriov_numvfs", d);
        fx_file(e->root, p, "0\n");
        snprintf(p, sizeof(p), "%s/sriov_drivers_autoprobe", d);
        fx_file(e->root, p, "1\n");
        env_load(e);
}

static void test_sriov(void **state) {
        env e;
        vk_strv vfs = {0};
        vk_error err = {0};
        vk_moves mv = {0};
        vk_sriov_opts o = {.numvfs = 2, .for_vms = true, .lock_timeout_ms = 200, .wait_ms = 200};
        (void)state;

        env_start(&e);
        add_sriov_pf(&e);
        assert_int_equal(vk_sriov_set(e.h, vk_model_find(e.m, "0000:00:02.0"), &o, &vfs, &err), 0);
        assert_int_equal(vfs.n, 2);
        assert_string_equal(vfs.v[0], "0000:00:02.1");
        vk_strv_clear(&vfs);
        assert_driver(&e, "0000:00:02.1", NULL); /* autoprobe was off: no host driver took it */
        env_load(&e);
        assert_string_equal(vk_model_find(e.m, "0000:00:02.1")->physfn, "0000:00:02.0");
        assert_int_equal(bind(&e, "0000:00:02.1", &mv, &err), 0);
        vk_moves_clear(&mv);
        assert_driver(&e, "0000:00:02.1", "vfio-pci");

        /* the PF with VFs cannot go to vfio-pci (and it is the display anyway) */
        assert_int_equal(bind(&e, "0000:00:02.0", &mv, &err), -EPERM);

        /* too many */
        o.numvfs = 8;
        assert_int_equal(vk_sriov_set(e.h, vk_model_find(e.m, "0000:00:02.0"), &o, &vfs, &err), -ERANGE);
        assert_non_null(strstr(err.msg, "at most 7"));
        /* changing the count while a VF is on vfio-pci is refused without --force */
        o.numvfs = 3;
        assert_int_equal(vk_sriov_set(e.h, vk_model_find(e.m, "0000:00:02.0"), &o, &vfs, &err), -EPERM);
        assert_true(err.refused);
        /* with force: through 0 (the sim returns EBUSY for 2 → 3 directly) */
        o.force = true;
        assert_int_equal(vk_sriov_set(e.h, vk_model_find(e.m, "0000:00:02.0"), &o, &vfs, &err), 0);
        assert_int_equal(vfs.n, 3);
        vk_strv_clear(&vfs);
        o.numvfs = 0;
        assert_int_equal(vk_sriov_set(e.h, vk_model_find(e.m, "0000:00:02.0"), &o, &vfs, &err), 0);
        assert_false(exists(&e, "sys/bus/pci/devices/0000:00:02.1"));
        /* not SR-IOV capable */
        o.numvfs = 1;
        assert_int_equal(vk_sriov_set(e.h, vk_model_find(e.m, "0000:01:00.0"), &o, &vfs, &err), -EOPNOTSUPP);
        env_stop(&e);
}

/* The kernel ops: a write that blocks (a FIFO with no reader stands in for a stuck driver) is bounded. */
static void test_hung_unbind_is_bounded(void **state) {
        char *root = fx_new(), p[4096];
        vk_host *h = NULL;
        (void)state;

        fx_dir(root, "sys/bus/pci/drivers/nouveau");
        snprintf(p, sizeof(p), "%s/sys/bus/pci/drivers/nouveau/unbind", root);
        assert_int_equal(mkfifo(p, 0600), 0);
        assert_int_equal(vk_host_new(root, &h), 0);
        vk_host_set_write_timeout(h, 300);
        assert_int_equal(vk_sysfs_write(h, "sys/bus/pci/drivers/nouveau/unbind", "0000:01:00.0"), -ETIMEDOUT);
        vk_host_free(h);
        fx_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bind_unbind_roundtrip), cmocka_unit_test(test_twenty_cycles),
                cmocka_unit_test(test_rollback_every_step),   cmocka_unit_test(test_probe_binds_nothing),
                cmocka_unit_test(test_refusals_change_nothing), cmocka_unit_test(test_device_vanishes),
                cmocka_unit_test(test_read_only_sysfs),       cmocka_unit_test(test_garbage_driver_override),       cmocka_unit_test(test_journal_corrupt_or_missing),
                cmocka_unit_test(test_lock_contention),       cmocka_unit_test(test_sriov),
                cmocka_unit_test(test_hung_unbind_is_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
