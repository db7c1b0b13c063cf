/* test-export.c — export's names, node names, the capture unpacker on malformed and hostile tars, and the
 * safety and fleet-merge decisions on the example hosts. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "export.h"
#include "fixture.h"
#include "fleet.h"

static void test_resource_names(void **state) {
        vk_export_func f = {.vendor = 0x10de, .device = 0x2484, .name = "GA104 [GeForce RTX 3070]"};
        char *s;

        (void)state;
        s = vk_export_resource_name(&f);
        assert_string_equal(s, "nvidia.com/GA104_GEFORCE_RTX_3070");
        free(s);
        s = vk_export_alias_name(&f);
        assert_string_equal(s, "ga104-geforce-rtx-3070");
        free(s);
        s = vk_export_mapping_id(&f);
        assert_string_equal(s, "ga104_geforce_rtx_3070");
        free(s);
        /* no pci.ids name: the ids; an unknown vendor: a neutral domain */
        f = (vk_export_func){.vendor = 0x1e0f, .device = 0x0009};
        s = vk_export_resource_name(&f);
        assert_string_equal(s, "devices.vfiokit/PCI_1E0F_0009");
        free(s);
        /* a name that starts with a digit is no pve-configid: prefixed; a one-letter one too */
        f.name = "2nd Gen [Core] ";
        s = vk_export_mapping_id(&f);
        assert_string_equal(s, "pci_2nd_gen_core");
        free(s);
        f.name = "x";
        s = vk_export_mapping_id(&f);
        assert_string_equal(s, "pci_x");
        free(s);
        /* at most 63 characters, ending in a letter or digit (k8s qualified name) */
        f.name = "A very long device name with many words in it: more than sixty-three characters for sure, really";
        s = vk_export_resource_name(&f);
        assert_true(strlen(strchr(s, '/') + 1) <= 63);
        assert_true(s[strlen(s) - 1] != '_');
        free(s);
}

static void test_node_names(void **state) {
        char *s;

        (void)state;
        assert_true(vk_export_valid_node_name("pve-1"));
        assert_false(vk_export_valid_node_name("-pve"));
        assert_false(vk_export_valid_node_name("pve_1"));
        assert_false(vk_export_valid_node_name(""));
        s = vk_export_name_from_file("/srv/caps/pve-1.tar.gz");
        assert_string_equal(s, "pve-1");
        free(s);
        assert_null(vk_export_name_from_file("/srv/caps/my host.tar"));
        assert_null(vk_export_name_from_file(".tar"));
}

static void test_hostname_file(void **state) {
        char *root = fx_new(), *name = NULL;
        vk_host *h = NULL;

        (void)state;
        assert_int_equal(vk_host_new(root, &h), 0);
        /* missing: the fallback */
        assert_int_equal(vk_export_hostname(h, "from-file", &name), 0);
        assert_string_equal(name, "from-file");
        free(name);
        /* an FQDN gives its first label; comments and blank lines are skipped */
        fx_file(root, "etc/hostname", "# set by the installer\n\npve2.example.com\n");
        assert_int_equal(vk_export_hostname(h, NULL, &name), 0);
        assert_string_equal(name, "pve2");
        free(name);
        /* garbage: no name, and no invalid fallback either */
        fx_file(root, "etc/hostname", "\x01\x02 ../etc\n");
        assert_int_equal(vk_export_hostname(h, "bad name", &name), -ENOENT);
        vk_host_free(h);
        fx_remove(root);
}

/* A tar in a memfd, built with libarchive: entries "path" (file), "path/" (directory), "path>target" (symlink). */
static int make_tar(const char *const *entries, size_t cut) {
        int fd = memfd_create("t", MFD_CLOEXEC);
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        struct stat st;

        assert_true(fd >= 0 && a && e);
        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
        for (const char *const *p = entries; *p; p++) {
                char name[256];
                const char *gt = strchr(*p, '>');
                size_t len = strlen(*p);
                archive_entry_clear(e);
                snprintf(name, sizeof(name), "%.*s", (int)(gt ? (size_t)(gt - *p) : len), *p);
                archive_entry_set_pathname(e, name);
                if (gt) {
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, gt + 1);
                } else if ((*p)[len - 1] == '/') {
                        archive_entry_set_filetype(e, AE_IFDIR);
                        archive_entry_set_perm(e, 0755);
                } else {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_perm(e, 0644);
                        archive_entry_set_size(e, 3);
                }
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (!gt && (*p)[len - 1] != '/')
                        assert_int_equal(archive_write_data(a, "hi\n", 3), 3);
        }
        archive_write_close(a);
        archive_write_free(a);
        archive_entry_free(e);
        assert_int_equal(fstat(fd, &st), 0);
        if (cut)
                assert_int_equal(ftruncate(fd, st.st_size - (off_t)cut), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

static int unpack(const char *parent, const char *const *entries, size_t cut, char **ret_dir, vk_error *err) {
        int fd = make_tar(entries, cut), r;
        r = vk_capture_unpack_fd(fd, "t.tar", parent, ret_dir, err);
        close(fd);
        return r;
}

static void test_unpack(void **state) {
        char *parent = fx_new(), *dir = NULL, path[4096], target[256];
        vk_error err = {0};
        ssize_t n;

        (void)state;
        {
                const char *const ok[] = {"sys/", "sys/devices/x/vendor", "sys/bus/l>../devices/x", "etc/hostname",
                                          NULL};
                assert_int_equal(unpack(parent, ok, 0, &dir, &err), 0);
                snprintf(path, sizeof(path), "%s/sys/bus/l", dir);
                n = readlink(path, target, sizeof(target) - 1);
                assert_true(n > 0);
                target[n] = 0;
                assert_string_equal(target, "../devices/x");
                assert_int_equal(vk_capture_remove(dir), 0);
                free(dir);
                dir = NULL;
        }
        {
                const struct {
                        const char *const entries[4];
                        size_t cut;
                        const char *says;
                } bad[] = {
                        {{"a", "b", "c", NULL}, 700, "truncated or damaged"},
                        {{"/etc/passwd", NULL}, 0, "absolute path"},
                        {{"a/../../x", NULL}, 0, "climbs out"},
                        {{"l>../..", NULL}, 0, "outside the capture"},
                        {{"d/", "d/l>../x/../..", NULL}, 0, "outside the capture"},
                        {{"d/", "l>d", "l/x", NULL}, 0, "which is not a directory"},
                        {{"f", "f", NULL}, 0, "appears twice"},
                        {{NULL}, 0, "empty archive"},
                };
                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        err = (vk_error){0};
                        assert_true(unpack(parent, bad[i].entries, bad[i].cut, &dir, &err) < 0);
                        assert_null(dir);
                        if (!strstr(err.msg, bad[i].says))
                                fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].says);
                        /* nothing left behind */
                        assert_int_equal(rmdir(parent), 0);
                        assert_int_equal(mkdir(parent, 0700), 0);
                }
        }
        fx_remove(parent);
}

static vk_model *load_example(const char *name, vk_host **ret_host) {
        const char *src = getenv("VFIOKIT_SRCDIR");
        char root[4096];
        vk_model *m = NULL;

        snprintf(root, sizeof(root), "%s/examples/hosts/%s", src ? src : ".", name);
        assert_int_equal(vk_host_new(root, ret_host), 0);
        assert_int_equal(vk_model_load(*ret_host, &m), 0);
        return m;
}

static void test_refusals(void **state) {
        vk_host *h = NULL;
        vk_model *m = load_example("n100-sriov", &h);
        const char *pf[] = {"00:02.0"}, *vf[] = {"00:02.1"};
        vk_export e = {0};
        vk_error err = {0};

        (void)state;
        /* the PF has VFs: refused, and --force does not change that */
        assert_int_equal(vk_export_add_host(&e, m, "n100", "x", pf, 1, true, &err), 0);
        assert_int_equal(vk_export_merge(&e, true, &err), -EPERM);
        assert_true(err.refused);
        assert_non_null(strstr(err.msg, "SR-IOV PF with 2 VFs"));
        vk_export_clear(&e);
        /* a VF is its own unit, type-VF, not with its PF */
        assert_int_equal(vk_export_add_host(&e, m, "n100", "x", vf, 1, true, &err), 0);
        assert_int_equal(vk_export_merge(&e, false, &err), 0);
        assert_int_equal(e.n_units, 1);
        assert_int_equal(e.units[0].n_funcs, 1);
        assert_string_equal(e.units[0].funcs[0].device_type, "type-VF");
        assert_int_equal(e.units[0].funcs[0].same_id, 3);
        vk_export_clear(&e);
        vk_model_free(m);
        vk_host_free(h);

        /* desktop: the iGPU drives the display; named, it is refused unless --force */
        m = load_example("desktop-nvidia", &h);
        {
                const char *igpu[] = {"8086:3e98"};
                assert_int_equal(vk_export_add_host(&e, m, "desk", "x", igpu, 1, true, &err), 0);
                assert_int_equal(vk_export_merge(&e, false, &err), -EPERM);
                assert_non_null(strstr(err.msg, "active display"));
                vk_export_clear(&e);
                assert_int_equal(vk_export_add_host(&e, m, "desk", "x", igpu, 1, true, &err), 0);
                assert_int_equal(vk_export_merge(&e, true, &err), 0);
                assert_true(e.units[0].included);
                assert_int_equal(e.warnings.n, 1);
                vk_export_clear(&e);
        }
        /* unnamed: the GPUs; the iGPU is left out, the RTX 3070 goes with its audio */
        assert_int_equal(vk_export_add_host(&e, m, "desk", "x", NULL, 0, true, &err), 0);
        assert_int_equal(vk_export_merge(&e, false, &err), 0);
        assert_int_equal(e.n_units, 2);
        assert_false(e.units[0].included);
        assert_true(e.units[1].included);
        assert_int_equal(e.units[1].n_funcs, 2);
        assert_int_equal(e.units[1].funcs[1].role, VK_EXPORT_COMPANION);
        assert_string_equal(e.units[1].composition, "[10de:2484 10de:228b]");
        /* the same host twice */
        assert_int_equal(vk_export_add_host(&e, m, "desk", "y", NULL, 0, false, &err), -EEXIST);
        vk_export_clear(&e);
        vk_model_free(m);
        vk_host_free(h);
}

static void test_fleet_majority(void **state) {
        vk_host *h1 = NULL, *h2 = NULL;
        vk_model *b550 = load_example("amd-b550", &h1), *acs = load_example("amd-b550-acs", &h2);
        const char *gtx[] = {"10de:1c02"};
        vk_export e = {0};
        vk_error err = {0};

        (void)state;
        /* two split-group hosts outvote the one whose card is one group */
        assert_int_equal(vk_export_add_host(&e, b550, "b550", "a", gtx, 1, false, &err), 0);
        assert_int_equal(vk_export_add_host(&e, acs, "acs1", "b", gtx, 1, false, &err), 0);
        assert_int_equal(vk_export_add_host(&e, acs, "acs2", "c", gtx, 1, false, &err), 0);
        assert_int_equal(vk_export_merge(&e, false, &err), 0);
        assert_false(e.units[0].included);
        assert_non_null(e.units[0].inconsistent);
        assert_true(e.units[1].included && e.units[2].included);
        assert_int_equal(e.warnings.n, 1);
        vk_export_clear(&e);
        vk_model_free(b550);
        vk_model_free(acs);
        vk_host_free(h1);
        vk_host_free(h2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resource_names), cmocka_unit_test(test_node_names),
                cmocka_unit_test(test_hostname_file),  cmocka_unit_test(test_unpack),
                cmocka_unit_test(test_refusals),       cmocka_unit_test(test_fleet_majority),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
