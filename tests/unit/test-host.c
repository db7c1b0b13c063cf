/* test-host.c — every path stays inside the root, with openat2 and with the fallback walk. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "host.h"

static vk_host *open_host(const char *root, vk_resolver r) {
        vk_host *h = NULL;
        assert_int_equal(vk_host_new(root, &h), 0);
        vk_host_set_resolver(h, r);
        return h;
}

static void escape_attempts(vk_resolver res) {
        char *root = fx_new();
        vk_host *h = open_host(root, res);
        char *data = NULL;

        fx_file(root, "etc/passwd", "fixture-passwd\n");
        fx_link(root, "proc/cmdline", "/etc/passwd");             /* absolute: resolved inside the root */
        fx_link(root, "proc/escape", "../../../../../../etc/passwd"); /* ".." clamps at the root */
        fx_link(root, "proc/nowhere", "/etc/shadow-not-in-fixture");
        fx_link(root, "loop", "loop");

        assert_int_equal(vk_host_read_file(h, "proc/cmdline", 4096, &data, NULL), 0);
        assert_string_equal(data, "fixture-passwd\n"); /* the fixture's file, never the host's */
        free(data);
        assert_int_equal(vk_host_read_file(h, "/proc/escape", 4096, &data, NULL), 0);
        assert_string_equal(data, "fixture-passwd\n");
        free(data);
        assert_int_equal(vk_host_read_file(h, "../../../etc/passwd", 4096, &data, NULL), 0);
        assert_string_equal(data, "fixture-passwd\n");
        free(data);
        assert_int_equal(vk_host_read_file(h, "proc/nowhere", 4096, &data, NULL), -ENOENT);
        assert_int_equal(vk_host_read_file(h, "loop", 4096, &data, NULL), -ELOOP);

        /* a root without etc/passwd: the link to /etc/passwd must dangle, not reach the host */
        fx_unlink(root, "etc/passwd");
        assert_int_equal(vk_host_read_file(h, "proc/cmdline", 4096, &data, NULL), -ENOENT);

        vk_host_free(h);
        fx_remove(root);
}

static void test_escape_openat2(void **state) {
        (void)state;
        escape_attempts(VK_RESOLVE_AUTO);
}

static void test_escape_fallback(void **state) {
        (void)state;
        escape_attempts(VK_RESOLVE_FALLBACK);
}

static void test_attrs(void **state) {
        char *root = fx_new();
        vk_host *h = open_host(root, VK_RESOLVE_AUTO);
        char *v = NULL, fifo[4096];
        int fd = -1;
        (void)state;

        fx_file(root, "dev/vendor", "0x10de\n");
        fx_link(root, "dev/evil", "/etc/passwd");
        fx_dir(root, "dev/dir");
        snprintf(fifo, sizeof(fifo), "%s/dev/fifo", root);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(vk_host_open(h, "dev", O_PATH | O_DIRECTORY, &fd), 0);

        assert_int_equal(vk_attr_read(h, fd, "dev", "vendor", &v), 0);
        assert_string_equal(v, "0x10de");
        free(v);
        assert_int_equal(vk_attr_read(h, fd, "dev", "evil", &v), -ELOOP); /* attributes never through links */
        /* a FIFO never blocks: it reads as empty (no writer) */
        assert_int_equal(vk_attr_read(h, fd, "dev", "fifo", &v), 0);
        assert_string_equal(v, "");
        free(v);
        assert_int_equal(vk_attr_read(h, fd, "dev", "dir", &v), -EINVAL);
        assert_int_equal(vk_attr_read(h, fd, "dev", "missing", &v), -ENOENT);
        assert_int_equal(vk_host_read_file(h, "dev/fifo", 100, &v, NULL), -EINVAL);
        assert_int_equal(vk_attr_readlink(h, fd, "dev", "evil", &v), 0);
        assert_string_equal(v, "/etc/passwd");
        free(v);
        close(fd);
        vk_host_free(h);
        fx_remove(root);
}

static void test_list_and_trace(void **state) {
        char *root = fx_new();
        vk_host *h = open_host(root, VK_RESOLVE_FALLBACK);
        vk_strv names = {0};
        const vk_trace_entry *t;
        size_t n;
        char *v = NULL;
        (void)state;

        fx_file(root, "d/b", "2");
        fx_file(root, "d/a", "1");
        fx_link(root, "d/c", "a");
        vk_host_set_trace(h, true);
        assert_int_equal(vk_host_list_dir(h, "d", &names), 0);
        assert_int_equal(names.n, 3);
        assert_string_equal(names.v[0], "a"); /* sorted */
        assert_string_equal(names.v[2], "c");
        vk_strv_clear(&names);
        assert_int_equal(vk_host_read_file(h, "d/c", 10, &v, NULL), 0);
        assert_string_equal(v, "1");
        free(v);
        assert_int_equal(vk_host_read_file(h, "d/b", 0, &v, NULL), -EFBIG);
        t = vk_host_trace(h, &n);
        assert_int_equal(n, 3); /* the link seen in the listing, the dir, the file */
        assert_int_equal(t[0].kind, VK_TRACE_LINK);
        assert_string_equal(t[0].path, "d/c");
        assert_string_equal(t[0].data, "a");
        assert_int_equal(t[1].kind, VK_TRACE_DIR);
        assert_int_equal(t[2].kind, VK_TRACE_FILE);
        assert_string_equal(t[2].path, "d/c");
        vk_host_free(h);
        fx_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escape_openat2),
                cmocka_unit_test(test_escape_fallback),
                cmocka_unit_test(test_attrs),
                cmocka_unit_test(test_list_and_trace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
