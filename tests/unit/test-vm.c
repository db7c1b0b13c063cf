/* test-vm.c — vm new on fixture trees: firmware descriptors, the plan (CPUs, memory, guest PCI layout, refusals),
 * the domain XML and the QEMU launcher, which must hand QEMU exactly its argv whatever the paths hold. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "spawn.h"
#include "vm/vm.h"

/* Debian 12's ovmf descriptors, trimmed to what matters; @CODE@/@VARS@ become the firmware file names. */
static const char secure_enrolled[] =
        "{\"description\": \"UEFI firmware for x86_64, with Secure Boot and SMM, SB enabled, MS certs enrolled\","
        " \"interface-types\": [\"uefi\"],"
        " \"mapping\": {\"device\": \"flash\","
        "   \"executable\": {\"filename\": \"/usr/share/OVMF/OVMF_CODE_4M.ms.fd\", \"format\": \"raw\"},"
        "   \"nvram-template\": {\"filename\": \"/usr/share/OVMF/OVMF_VARS_4M.ms.fd\", \"format\": \"raw\"}},"
        " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}],"
        " \"features\": [\"acpi-s3\", \"amd-sev\", \"enrolled-keys\", \"requires-smm\", \"secure-boot\"], \"tags\": []}";
static const char plain[] =
        "{\"interface-types\": [\"uefi\"],"
        " \"mapping\": {\"device\": \"flash\","
        "   \"executable\": {\"filename\": \"/usr/share/OVMF/OVMF_CODE_4M.fd\", \"format\": \"raw\"},"
        "   \"nvram-template\": {\"filename\": \"/usr/share/OVMF/OVMF_VARS_4M.fd\", \"format\": \"raw\"}},"
        " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-i440fx-*\", \"pc-q35-*\"]}],"
        " \"features\": [\"acpi-s3\", \"verbose-dynamic\"], \"tags\": []}";

static void test_parse_size(void **state) {
        uint64_t b = 0;
        (void)state;
        assert_int_equal(vk_vm_parse_size("128G", 1, &b), 0);
        assert_true(b == 128ull << 30);
        assert_int_equal(vk_vm_parse_size("512M", 1, &b), 0);
        assert_true(b == 512ull << 20);
        assert_int_equal(vk_vm_parse_size("8GiB", 1, &b), 0);
        assert_true(b == 8ull << 30);
        assert_int_equal(vk_vm_parse_size("4096", 1u << 20, &b), 0);
        assert_true(b == 4096ull << 20);
        assert_int_equal(vk_vm_parse_size("1t", 1, &b), 0);
        assert_true(b == 1ull << 40);
        assert_int_equal(vk_vm_parse_size("0", 1, &b), -EINVAL);
        assert_int_equal(vk_vm_parse_size("", 1, &b), -EINVAL);
        assert_int_equal(vk_vm_parse_size("12X", 1, &b), -EINVAL);
        assert_int_equal(vk_vm_parse_size("G", 1, &b), -EINVAL);
        assert_int_equal(vk_vm_parse_size("8GB2", 1, &b), -EINVAL);
        assert_int_equal(vk_vm_parse_size("-1G", 1, &b), -EINVAL);
        assert_int_equal(vk_vm_parse_size("99999999999999999999", 1, &b), -ERANGE);
        assert_int_equal(vk_vm_parse_size("99999999999T", 1, &b), -ERANGE);
}

static void test_mac(void **state) {
        char a[18], b[18], c[18];
        (void)state;
        vk_vm_mac("win11", a);
        vk_vm_mac("win11", b);
        vk_vm_mac("win10", c);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_true(strncmp(a, "52:54:00:", 9) == 0);
        assert_int_equal(strlen(a), 17);
}

static void test_sh_quote(void **state) {
        char *q;
        (void)state;
        q = vk_sh_quote("plain");
        assert_string_equal(q, "'plain'");
        free(q);
        q = vk_sh_quote("it's $(x) `y` \"z\"");
        assert_string_equal(q, "'it'\\''s $(x) `y` \"z\"'");
        free(q);
        q = vk_sh_quote("");
        assert_string_equal(q, "''");
        free(q);
}

static void test_firmware_parse(void **state) {
        vk_firmware f = {0};
        vk_error err = {0};
        (void)state;

        assert_int_equal(vk_firmware_parse("/x/40.json", secure_enrolled, strlen(secure_enrolled), &f, &err), 0);
        assert_string_equal(f.code, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd");
        assert_string_equal(f.vars, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd");
        assert_string_equal(f.code_format, "raw");
        assert_true(f.secure_boot && f.enrolled_keys && f.requires_smm);
        vk_firmware_clear(&f);
        assert_int_equal(vk_firmware_parse("/x/60.json", plain, strlen(plain), &f, &err), 0);
        assert_false(f.secure_boot || f.enrolled_keys || f.requires_smm);
        vk_firmware_clear(&f);

        static const char *const bad[] = {
                "{", /* malformed */
                "[]",
                "{\"interface-types\": [\"bios\"]}",
                /* AMD SEV: memory mapping, no variable store */
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"memory\", \"filename\": \"/f.fd\"},"
                " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}]}",
                /* stateless flash */
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\", \"mode\": \"stateless\","
                " \"executable\": {\"filename\": \"/c.fd\"}},"
                " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}]}",
                /* another architecture */
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
                " \"executable\": {\"filename\": \"/c.fd\"}, \"nvram-template\": {\"filename\": \"/v.fd\"}},"
                " \"targets\": [{\"architecture\": \"aarch64\", \"machines\": [\"virt-*\"]}]}",
                /* i440fx only */
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
                " \"executable\": {\"filename\": \"/c.fd\"}, \"nvram-template\": {\"filename\": \"/v.fd\"}},"
                " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-i440fx-*\"]}]}",
                /* relative file name, unknown format */
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
                " \"executable\": {\"filename\": \"c.fd\"}, \"nvram-template\": {\"filename\": \"/v.fd\"}},"
                " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}]}",
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
                " \"executable\": {\"filename\": \"/c.fd\", \"format\": \"vmdk\"}, \"nvram-template\": {\"filename\": "
                "\"/v.fd\"}}, \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}]}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err.msg[0] = 0;
                if (vk_firmware_parse("/x/bad.json", bad[i], strlen(bad[i]), &f, &err) != -EINVAL)
                        fail_msg("descriptor %zu accepted: %s", i, bad[i]);
                assert_true(strstr(err.msg, "/x/bad.json") != NULL);
        }
}

/* A desktop fixture with OVMF installed as Debian's ovmf package does. */
static char *fw_host(void) {
        char *root = fx_new();
        fx_desktop(root, "GenuineIntel", "intel_iommu=on\n");
        fx_file(root, "usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json", secure_enrolled);
        fx_file(root, "usr/share/qemu/firmware/60-edk2-x86_64.json", plain);
        fx_file(root, "usr/share/OVMF/OVMF_CODE_4M.ms.fd", "");
        fx_file(root, "usr/share/OVMF/OVMF_VARS_4M.ms.fd", "");
        fx_file(root, "usr/share/OVMF/OVMF_CODE_4M.fd", "");
        fx_file(root, "usr/share/OVMF/OVMF_VARS_4M.fd", "");
        fx_file(root, "proc/meminfo", "MemTotal:       32803480 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n");
        return root;
}

static void test_firmware_select(void **state) {
        char *root = fw_host();
        vk_host *h = NULL;
        vk_firmware f = {0};
        vk_error err = {0};
        (void)state;

        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_firmware_select(h, "debian", true, &f, &err), 0);
        assert_string_equal(f.descriptor, "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json");
        vk_firmware_clear(&f);
        assert_int_equal(vk_firmware_select(h, "debian", false, &f, &err), 0);
        assert_string_equal(f.descriptor, "/usr/share/qemu/firmware/60-edk2-x86_64.json");
        vk_firmware_clear(&f);

        /* /etc/qemu/firmware replaces a system descriptor of the same name; an empty file hides it */
        fx_file(root, "etc/qemu/firmware/40-edk2-x86_64-secure-enrolled.json", "");
        assert_int_equal(vk_firmware_select(h, "debian", true, &f, &err), -ENOENT);
        assert_true(strstr(err.msg, "Secure Boot") && strstr(err.msg, "apt install ovmf"));
        fx_file(root, "etc/qemu/firmware/60-edk2-x86_64.json",
                "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
                " \"executable\": {\"filename\": \"/opt/fw/CODE.fd\"}, \"nvram-template\": {\"filename\": "
                "\"/opt/fw/VARS.fd\"}}, \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}]}");
        /* …but a descriptor whose files are missing is skipped, as QEMU could not start with it */
        assert_int_equal(vk_firmware_select(h, "fedora", false, &f, &err), -ENOENT);
        assert_true(strstr(err.msg, "/opt/fw/CODE.fd, which is missing") && strstr(err.msg, "dnf install edk2-ovmf"));
        fx_file(root, "opt/fw/CODE.fd", "");
        fx_file(root, "opt/fw/VARS.fd", "");
        assert_int_equal(vk_firmware_select(h, "debian", false, &f, &err), 0);
        assert_string_equal(f.descriptor, "/etc/qemu/firmware/60-edk2-x86_64.json");
        assert_string_equal(f.code, "/opt/fw/CODE.fd");
        vk_firmware_clear(&f);

        /* no firmware at all: name the package */
        fx_unlink(root, "etc/qemu/firmware/60-edk2-x86_64.json");
        fx_unlink(root, "usr/share/qemu/firmware/60-edk2-x86_64.json");
        assert_int_equal(vk_firmware_select(h, "arch", false, &f, &err), -ENOENT);
        assert_true(strstr(err.msg, "pacman -S edk2-ovmf") != NULL);
        vk_host_free(h);
        fx_remove(root);
}

typedef struct env {
        char *root;
        vk_host *h;
        vk_model *m;
} env;

static void env_start(env *e, char *root) {
        *e = (env){.root = root};
        assert_int_equal(vk_host_new(root, &e->h), 0);
        assert_int_equal(vk_model_load(e->h, &e->m), 0);
}

static void env_stop(env *e) {
        vk_model_free(e->m);
        vk_host_free(e->h);
        fx_remove(e->root);
}

static vk_vm *plan(env *e, vk_vm_opts *o, int want, vk_error *err) {
        vk_vm *v = NULL;
        int r;
        if (!o->name)
                o->name = "win11";
        r = vk_vm_plan(e->h, e->m, o, &v, err);
        if (r != want)
                fail_msg("vk_vm_plan: %d (%s), expected %d", r, err->msg, want);
        return v;
}

static void test_plan_desktop(void **state) {
        env e;
        vk_error err = {0};
        vk_vm *v;
        (void)state;

        env_start(&e, fw_host());
        vk_vm_opts o = {.gpu = vk_model_find(e.m, "0000:01:00.0"), .memballoon = -1};
        v = plan(&e, &o, 0, &err);
        /* the GPU and its audio in one guest slot behind one root port, the bridge left with the host */
        assert_int_equal(v->n_hostdevs, 2);
        assert_int_equal(v->n_root_ports, 1);
        assert_string_equal(v->hostdevs[0].host, "0000:01:00.0");
        assert_string_equal(v->hostdevs[0].alias, "ua-gpu");
        assert_int_equal(v->hostdevs[0].bus, 1);
        assert_int_equal(v->hostdevs[0].function, 0);
        assert_true(v->hostdevs[0].multifunction);
        assert_string_equal(v->hostdevs[1].host, "0000:01:00.1");
        assert_int_equal(v->hostdevs[1].function, 1);
        assert_false(v->hostdevs[1].multifunction);
        assert_false(v->hostdevs[0].sub_ids); /* a VGA card, not a laptop's 3D controller */
        assert_int_equal(v->bind.n, 1);
        assert_string_equal(v->bind.v[0], "0000:01:00.0");
        assert_true(v->kvm_hidden && v->hyperv && v->tpm);
        assert_true(v->fw.secure_boot && v->fw.enrolled_keys);
        assert_string_equal(v->nvram, "/var/lib/libvirt/qemu/nvram/win11_VARS.fd");
        assert_false(v->memballoon);
        /* half of 31 GiB, in whole GiB */
        assert_true(v->memory_mib == 15 * 1024);
        /* the fixture's 2 CPUs: one for the VM, one core for the host */
        assert_int_equal(v->vcpus, 1);
        assert_int_equal(v->graphics, VK_VM_GFX_SPICE);
        assert_int_equal(v->net, VK_VM_NET_DEFAULT);
        assert_string_equal(v->net_name, "default");
        vk_vm_free(v);

        /* linux: plain firmware, no Hyper-V, no TPM; a balloon without passthrough */
        o = (vk_vm_opts){.os = VK_VM_LINUX, .no_hostdev = true, .memballoon = -1};
        v = plan(&e, &o, 0, &err);
        assert_int_equal(v->n_hostdevs, 0);
        assert_false(v->hyperv || v->tpm || v->kvm_hidden || v->fw.secure_boot);
        assert_true(v->memballoon);
        vk_vm_free(v);
        env_stop(&e);
}

static void test_plan_refusals(void **state) {
        env e;
        vk_error err = {0};
        vk_vm *v;
        vk_strv forced = {0};
        (void)state;

        env_start(&e, fw_host());
        vk_vm_opts o = {.gpu = vk_model_find(e.m, "0000:00:02.0"), .memballoon = -1};
        plan(&e, &o, -EPERM, &err);
        assert_true(err.refused);
        assert_true(strstr(err.msg, "--force-host-device 0000:00:02.0") != NULL);
        vk_strv_push(&forced, "0000:00:02.0");
        o.force_host = &forced;
        v = plan(&e, &o, 0, &err);
        assert_int_equal(v->bind_forced.n, 1);
        assert_false(v->kvm_hidden); /* Intel */
        vk_vm_free(v);
        vk_strv_clear(&forced);

        /* not a GPU, too many CPUs, too much memory, a bad name, a libvirt network for QEMU */
        o = (vk_vm_opts){.gpu = vk_model_find(e.m, "0000:02:00.0"), .memballoon = -1};
        plan(&e, &o, -EINVAL, &err);
        assert_true(strstr(err.msg, "not a GPU") != NULL);
        o = (vk_vm_opts){.gpu = vk_model_find(e.m, "0000:01:00.0"), .memballoon = -1, .cpus = 3};
        plan(&e, &o, -EINVAL, &err);
        o.cpus = 0;
        o.memory_mib = 64 * 1024;
        plan(&e, &o, -EINVAL, &err);
        o.memory_mib = 0;
        o.name = "my vm";
        plan(&e, &o, -EINVAL, &err);
        o.name = "../etc";
        plan(&e, &o, -EINVAL, &err);
        o.name = NULL;
        o.format = VK_VM_QEMU;
        o.net = VK_VM_NET_NETWORK;
        o.net_name = "default";
        plan(&e, &o, -EINVAL, &err);
        o.net = VK_VM_NET_BRIDGE;
        o.net_name = "br0,x=y";
        plan(&e, &o, -EINVAL, &err);
        /* an existing disk is never overwritten */
        o = (vk_vm_opts){.gpu = vk_model_find(e.m, "0000:01:00.0"), .memballoon = -1, .disk_create_bytes = 1ull << 30};
        fx_file(e.root, "var/lib/libvirt/images/win11.qcow2", "QFI\xfb");
        plan(&e, &o, -EEXIST, &err);
        /* …and an existing one is used with its own format */
        o.disk_create_bytes = 0;
        o.disk_path = "/var/lib/libvirt/images/win11.qcow2";
        v = plan(&e, &o, 0, &err);
        assert_string_equal(v->disk_format, "qcow2");
        vk_vm_free(v);
        fx_file(e.root, "var/lib/libvirt/images/win11.img", "raw bytes");
        o.disk_path = "/var/lib/libvirt/images/win11.img";
        v = plan(&e, &o, 0, &err);
        assert_string_equal(v->disk_format, "raw");
        vk_vm_free(v);
        env_stop(&e);
}

static void test_plan_host_shape(void **state) {
        char *root = fw_host();
        char cpuinfo[16384] = "";
        env e;
        vk_error err = {0};
        vk_vm *v;
        char *xml = NULL;
        (void)state;

        /* an 8-core, 16-thread AMD host with 1 GiB hugepages for 12 GiB */
        for (int i = 0; i < 16; i++)
                snprintf(cpuinfo + strlen(cpuinfo), sizeof(cpuinfo) - strlen(cpuinfo),
                         "processor\t: %d\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm\nphysical id\t: 0\n"
                         "siblings\t: 16\ncore id\t\t: %d\ncpu cores\t: 8\n\n",
                         i, i % 8);
        fx_file(root, "proc/cpuinfo", cpuinfo);
        fx_file(root, "proc/meminfo",
                "MemTotal:       65799480 kB\nHugePages_Total:      12\nHugepagesize:    1048576 kB\n");
        env_start(&e, root);
        vk_vm_opts o = {.gpu = vk_model_find(e.m, "0000:01:00.0"), .memballoon = -1};
        v = plan(&e, &o, 0, &err);
        assert_int_equal(v->vcpus, 14); /* every core but one */
        assert_int_equal(v->threads, 2);
        assert_int_equal(v->cores, 7);
        assert_true(v->amd_cpu && v->hugepages);
        assert_true(v->memory_mib == 16 * 1024); /* half of 62 GiB, capped */
        assert_int_equal(v->notes.n, 2);         /* no disk; 12 GiB of hugepages < 16 GiB */
        assert_true(strstr(v->notes.v[0], "hugepages") != NULL);
        assert_int_equal(vk_vm_domain_xml(v, &xml, NULL), 0);
        assert_true(strstr(xml, "<feature policy=\"require\" name=\"topoext\"/>") != NULL);
        assert_true(strstr(xml, "<hugepages/>") != NULL);
        assert_true(strstr(xml, "<topology sockets=\"1\" dies=\"1\" cores=\"7\" threads=\"2\"/>") != NULL);
        free(xml);
        vk_vm_free(v);

        /* --cpus 5 cannot be split into 2 threads per core */
        o.cpus = 5;
        o.memory_mib = 12 * 1024;
        v = plan(&e, &o, 0, &err);
        assert_int_equal(v->threads, 1);
        assert_int_equal(v->cores, 5);
        assert_int_equal(v->notes.n, 1); /* 12 GiB of hugepages are enough */
        vk_vm_free(v);
        env_stop(&e);
}

static void test_laptop_sub_ids(void **state) {
        char *root = fw_host();
        env e;
        vk_error err = {0};
        vk_vm *v;
        vk_strv argv = {0};
        char *xml = NULL, *p;
        (void)state;

        /* seed 001: a MUXless GTX 1660 Ti (3D controller) with subsystem 1558:8550 */
        fx_file(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/class", "0x030200\n");
        fx_file(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/subsystem_vendor", "0x1558\n");
        fx_file(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/subsystem_device", "0x8550\n");
        fx_unlink(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/boot_vga");
        env_start(&e, root);
        vk_vm_opts o = {.gpu = vk_model_find(e.m, "0000:01:00.0"), .memballoon = -1, .os = VK_VM_WIN10};
        v = plan(&e, &o, 0, &err);
        assert_true(v->hostdevs[0].sub_ids);
        assert_int_equal(vk_vm_domain_xml(v, &xml, NULL), 0);
        /* decimal, through <qemu:override>, never the -set trick */
        p = strstr(xml, "<qemu:device alias=\"ua-gpu\">");
        assert_non_null(p);
        assert_non_null(strstr(p, "name=\"x-pci-sub-vendor-id\" type=\"unsigned\" value=\"5464\""));
        assert_non_null(strstr(p, "name=\"x-pci-sub-device-id\" type=\"unsigned\" value=\"34128\""));
        assert_null(strstr(xml, "-set"));
        assert_non_null(strstr(xml, "xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\""));
        free(xml);
        assert_int_equal(vk_vm_qemu_argv(v, &argv), 0);
        bool found = false;
        for (size_t i = 0; i < argv.n; i++)
                found |= strstr(argv.v[i], "vfio-pci,host=0000:01:00.0,") &&
                         strstr(argv.v[i], ",x-pci-sub-vendor-id=5464,x-pci-sub-device-id=34128");
        assert_true(found);
        vk_strv_clear(&argv);
        vk_vm_free(v);
        env_stop(&e);
}

static char *slurp(const char *path, size_t *len) {
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
        if (buf)
                buf[*len] = 0;
        fclose(f);
        return buf;
}

static void write_exe(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
}

/* The launcher gives QEMU exactly vk_vm_qemu_argv's words: no expansion, splitting or globbing of any path. */
static void test_script_passes_argv(void **state) {
        char *root = fw_host();
        char path[4096], bin[4096], out[4096], binds[4096], pwned[4096], iso[4096], *script = NULL;
        env e;
        vk_error err = {0};
        vk_vm *v;
        vk_strv want = {0};
        size_t len = 0;
        const char *old_path = getenv("PATH");
        char *saved_path = old_path ? strdup(old_path) : NULL;
        (void)state;

        snprintf(pwned, sizeof(pwned), "%s/pwned", root);
        snprintf(iso, sizeof(iso), "/srv/it's a $(touch %s) `touch %s` $HOME, *.iso", pwned, pwned);
        env_start(&e, root);
        snprintf(path, sizeof(path), "%s/state dir", root);
        /* the variable store the script copies is a real file, at the same path inside the root */
        vk_vm_opts o = {.gpu = vk_model_find(e.m, "0000:01:00.0"), .memballoon = -1, .os = VK_VM_WIN10,
                        .format = VK_VM_QEMU, .iso = iso, .state_dir = path};
        v = plan(&e, &o, 0, &err);
        free(v->fw.vars);
        snprintf(out, sizeof(out), "%s/usr/share/OVMF/OVMF_VARS_4M.fd", root);
        v->fw.vars = strdup(out);
        assert_int_equal(vk_vm_qemu_script(v, &script), 0);
        assert_int_equal(vk_vm_qemu_argv(v, &want), 0);

        snprintf(bin, sizeof(bin), "%s/bin", root);
        mkdir(bin, 0755);
        snprintf(out, sizeof(out), "%s/qemu-argv", root);
        snprintf(binds, sizeof(binds), "%s/vfiokit-argv", root);
        char fake[8192];
        snprintf(fake, sizeof(fake), "#!/bin/sh\nprintf '%%s\\0' \"$0\" \"$@\" > '%s'\n", out);
        snprintf(path, sizeof(path), "%s/qemu-system-x86_64", bin);
        write_exe(path, fake);
        snprintf(fake, sizeof(fake), "#!/bin/sh\nprintf '%%s\\0' \"$@\" > '%s'\n", binds);
        snprintf(path, sizeof(path), "%s/vfiokit", bin);
        write_exe(path, fake);
        snprintf(path, sizeof(path), "%s/start.sh", root);
        write_exe(path, script);

        snprintf(fake, sizeof(fake), "%s:/usr/bin:/bin", bin);
        setenv("PATH", fake, 1);
        unsetenv("VFIOKIT_ACCEL");
        unsetenv("VFIOKIT_CONSOLE");
        char *argv[] = {"sh", path, NULL};
        assert_int_equal(vk_spawn(argv, &err), 0);
        if (saved_path)
                setenv("PATH", saved_path, 1);
        free(saved_path);

        char *got = slurp(out, &len), *p = got;
        assert_non_null(got);
        for (size_t i = 0; i < want.n; i++) {
                assert_true(p < got + len);
                if (i == 0)
                        assert_non_null(strstr(p, "/qemu-system-x86_64")); /* $0: the fake, found in PATH */
                else
                        assert_string_equal(p, want.v[i]);
                p += strlen(p) + 1;
        }
        assert_true(p == got + len);
        free(got);
        /* the ISO's path reached QEMU whole (commas doubled for QEMU's option parser), and nothing ran */
        assert_int_equal(access(pwned, F_OK), -1);
        got = slurp(binds, &len);
        assert_non_null(got);
        assert_string_equal(got, "bind");
        assert_string_equal(got + 5, "0000:01:00.0");
        free(got);
        /* the variable store was copied into the state directory */
        snprintf(path, sizeof(path), "%s/state dir/win11_VARS.fd", root);
        assert_int_equal(access(path, F_OK), 0);

        vk_strv_clear(&want);
        free(script);
        vk_vm_free(v);
        env_stop(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_size),      cmocka_unit_test(test_mac),
                cmocka_unit_test(test_sh_quote),        cmocka_unit_test(test_firmware_parse),
                cmocka_unit_test(test_firmware_select), cmocka_unit_test(test_plan_desktop),
                cmocka_unit_test(test_plan_refusals),   cmocka_unit_test(test_plan_host_shape),
                cmocka_unit_test(test_laptop_sub_ids),  cmocka_unit_test(test_script_passes_argv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
