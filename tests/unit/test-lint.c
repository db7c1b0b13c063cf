/* test-lint.c — vm lint: each finding on a small domain, the broken-domain corpus in tests/lint, hostile XML. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "model.h"
#include "vm/lint.h"

/* ---- a fake host and the lint runner ---- */

typedef struct host {
        char *root;
        vk_host *h;
        vk_model *m;
} host;

/* The desktop: GPU 0000:01:00.0 (10de:2484) + audio 0000:01:00.1 in group 1, the iGPU 0000:00:02.0 drives the
 * host's display, NVMe 0000:02:00.0 holds /, the NIC 0000:00:1f.6 has the default route. extra adds functions. */
static void host_load(host *t, const fx_pci *extra, size_t n_extra) {
        t->root = fx_new();
        fx_desktop(t->root, "GenuineIntel", "quiet intel_iommu=on\n");
        for (size_t i = 0; i < n_extra; i++)
                fx_pci_add(t->root, &extra[i]);
        assert_int_equal(vk_host_new(t->root, &t->h), 0);
        assert_int_equal(vk_model_load(t->h, &t->m), 0);
}

static void host_free(host *t) {
        vk_model_free(t->m);
        vk_host_free(t->h);
        fx_remove(t->root);
}

static host desktop;

static int setup(void **state) {
        (void)state;
        host_load(&desktop, NULL, 0);
        return 0;
}

static int teardown(void **state) {
        (void)state;
        host_free(&desktop);
        return 0;
}

static void dump(const vk_findings *f) {
        for (size_t i = 0; i < f->n; i++)
                print_message("  %d:%d %s: %s\n", f->v[i].line, f->v[i].column, f->v[i].id, f->v[i].message);
}

static void run(const char *xml, const vk_model *m, vk_findings *f) {
        *f = (vk_findings){0};
        assert_int_equal(vk_vm_lint("test.xml", xml, strlen(xml), m, f), 0);
        for (size_t i = 0; i < f->n; i++) {
                assert_non_null(f->v[i].id);
                assert_non_null(f->v[i].message);
                assert_true(f->v[i].severity <= VK_SEV_ERROR);
        }
}

static const vk_finding *find(const vk_findings *f, const char *id) {
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->v[i].id, id) == 0)
                        return &f->v[i];
        return NULL;
}

static size_t count(const vk_findings *f, const char *id) {
        size_t n = 0;
        for (size_t i = 0; i < f->n; i++)
                n += strcmp(f->v[i].id, id) == 0;
        return n;
}

/* Lint xml (with the desktop model, or none) and expect exactly the findings ids (a NULL-terminated list);
 * returns the first finding of ids[0] for further checks. */
static const vk_finding *expect_ids(const char *xml, const vk_model *m, vk_findings *f, ...) {
        va_list ap;
        size_t n = 0;

        run(xml, m, f);
        va_start(ap, f);
        for (const char *id; (id = va_arg(ap, const char *));) {
                if (!find(f, id)) {
                        dump(f);
                        fail_msg("no finding %s", id);
                }
                n += count(f, id);
        }
        va_end(ap);
        if (n != f->n) {
                dump(f);
                fail_msg("%zu findings, %zu expected", f->n, n);
        }
        return f->n ? &f->v[0] : NULL;
}

static void expect_clean(const char *xml, const vk_model *m) {
        vk_findings f;
        expect_ids(xml, m, &f, NULL);
        vk_findings_clear(&f);
}

static void expect_text(const vk_finding *x, const char *message_has, const char *fix_has) {
        assert_non_null(x);
        if (message_has && !strstr(x->message, message_has))
                fail_msg("%s: message '%s' lacks '%s'", x->id, x->message, message_has);
        if (fix_has && (!x->fix || !strstr(x->fix, fix_has)))
                fail_msg("%s: fix '%s' lacks '%s'", x->id, x->fix ? x->fix : "(none)", fix_has);
}

/* ---- a correct domain, made wrong one piece at a time ---- */

#define OS_OK                                                                                                  \
        "<os firmware='efi'>\n<type arch='x86_64' machine='pc-q35-8.0'>hvm</type>\n"                           \
        "<firmware><feature enabled='yes' name='secure-boot'/></firmware>\n</os>\n"
#define FEATURES_OK "<features>\n<acpi/>\n<kvm><hidden state='on'/></kvm>\n</features>\n"
#define HOSTDEV(src, guest)                                                                                    \
        "<hostdev mode='subsystem' type='pci' managed='yes'>\n<source><address " src "/></source>\n"           \
        "<address type='pci' " guest "/>\n</hostdev>\n"
#define GPU_AT(guest) HOSTDEV("domain='0x0000' bus='0x01' slot='0x00' function='0x0'", guest)
#define AUDIO_AT(guest) HOSTDEV("domain='0x0000' bus='0x01' slot='0x00' function='0x1'", guest)
#define GPU_PAIR                                                                                               \
        GPU_AT("domain='0x0000' bus='0x05' slot='0x00' function='0x0' multifunction='on'")                     \
        AUDIO_AT("domain='0x0000' bus='0x05' slot='0x00' function='0x1'")
#define NO_BALLOON "<memballoon model='none'/>\n"

/* A q35 UEFI domain; each part replaced by the test's. */
static char *domain(const char *name, const char *os, const char *features, const char *devices, const char *tail) {
        char *s;
        assert_true(asprintf(&s,
                             "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
                             "<name>%s</name>\n%s%s<devices>\n%s</devices>\n%s</domain>\n",
                             name, os, features, devices, tail) > 0);
        return s;
}

static void lint_domain(const char *name, const char *os, const char *features, const char *devices,
                        const char *tail, const vk_model *m, vk_findings *f) {
        char *xml = domain(name, os, features, devices, tail);
        run(xml, m, f);
        free(xml);
}

static void test_good(void **state) {
        char *xml = domain("gaming", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON, "");
        (void)state;
        expect_clean(xml, desktop.m);
        expect_clean(xml, NULL);
        free(xml);
        /* no passthrough: nothing to say about machine, firmware, balloon */
        xml = domain("plain", "<os><type arch='x86_64' machine='pc'>hvm</type></os>\n", "",
                     "<memballoon model='virtio'/>\n", "");
        expect_clean(xml, desktop.m);
        free(xml);
}

/* The seed 001 domain: <domain …> lacks its '>', so the parser trips on the next line. */
static void test_xml_malformed(void **state) {
        vk_findings f;
        const vk_finding *x;
        (void)state;

        x = expect_ids("<!-- comment -->\n<domain type='kvm' \n  <name>win10</name>\n</domain>\n", NULL, &f,
                       "xml-malformed", NULL);
        assert_int_equal(x->severity, VK_SEV_ERROR);
        assert_int_equal(x->line, 3);
        assert_int_equal(x->column, 3);
        expect_text(x, "test.xml is not well-formed", "on line 2 with '>'");
        expect_text(x, "<domain> on line 2", NULL);
        vk_findings_clear(&f);

        x = expect_ids("<domain>\n<name>x</nmae>\n</domain>\n", desktop.m, &f, "xml-malformed", NULL);
        assert_int_equal(x->line, 2);
        assert_true(x->column > 0);
        vk_findings_clear(&f);

        /* empty, a NUL byte, only a comment, garbage after the root */
        assert_int_equal(vk_vm_lint("empty.xml", "", 0, NULL, &f), 0);
        assert_int_equal(f.n, 1);
        assert_string_equal(f.v[0].id, "xml-malformed");
        vk_findings_clear(&f);
        assert_int_equal(vk_vm_lint("nul.xml", "<domain>\0</domain>", 18, NULL, &f), 0);
        assert_int_equal(f.n, 1);
        assert_string_equal(f.v[0].id, "xml-malformed");
        vk_findings_clear(&f);
        vk_findings_clear(&f); /* clearing twice is harmless */
        expect_ids("<!-- nothing -->\n", NULL, &f, "xml-malformed", NULL);
        vk_findings_clear(&f);
        expect_ids("<domain/>\n<domain/>\n", NULL, &f, "xml-malformed", NULL);
        vk_findings_clear(&f);
        /* undeclared qemu: prefix is not namespace-well-formed */
        x = expect_ids("<domain>\n<qemu:commandline/>\n</domain>\n", NULL, &f, "xml-malformed", NULL);
        expect_text(x, "qemu", NULL);
        assert_int_equal(x->line, 2);
        vk_findings_clear(&f);
}

static void test_not_a_domain(void **state) {
        vk_findings f;
        (void)state;
        expect_text(expect_ids("<?xml version='1.0'?>\n<network><name>default</name></network>\n", desktop.m, &f,
                               "not-a-domain", NULL),
                    "<network>", NULL);
        assert_int_equal(f.v[0].line, 2);
        vk_findings_clear(&f);
}

static void test_machine_i440fx(void **state) {
        static const char *const i440fx[] = {"pc", "pc-i440fx-7.2", "pc-i440fx-2.12", "pc-1.2"};
        static const char *const fine[] = {"q35", "pc-q35-7.0", "pc-q35-2.12"};
        vk_findings f;
        char os[512];
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(i440fx); i++) {
                snprintf(os, sizeof(os), "<os firmware='efi'>\n<type arch='x86_64' machine='%s'>hvm</type>\n</os>\n",
                         i440fx[i]);
                lint_domain("vm", os, FEATURES_OK, GPU_PAIR NO_BALLOON, "", desktop.m, &f);
                expect_text(find(&f, "machine-i440fx"), i440fx[i], "q35");
                assert_int_equal(find(&f, "machine-i440fx")->line, 4);
                assert_int_equal(f.n, 1);
                vk_findings_clear(&f);
        }
        for (size_t i = 0; i < ELEMENTSOF(fine); i++) {
                snprintf(os, sizeof(os), "<os firmware='efi'>\n<type arch='x86_64' machine='%s'>hvm</type>\n</os>\n",
                         fine[i]);
                lint_domain("vm", os, FEATURES_OK, GPU_PAIR NO_BALLOON, "", desktop.m, &f);
                assert_int_equal(f.n, 0);
                vk_findings_clear(&f);
        }
        /* no machine: QEMU's default, the i440fx */
        lint_domain("vm", "<os firmware='efi'><type arch='x86_64'>hvm</type></os>\n", FEATURES_OK,
                    GPU_PAIR NO_BALLOON, "", NULL, &f);
        expect_text(find(&f, "machine-i440fx"), "no machine", NULL);
        vk_findings_clear(&f);
        /* other architectures and a hostdev that is not a GPU: nothing */
        lint_domain("vm", "<os firmware='efi'><type arch='aarch64' machine='virt'>hvm</type></os>\n", FEATURES_OK,
                    GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        lint_domain("vm", "<os firmware='efi'><type arch='x86_64' machine='pc'>hvm</type></os>\n", FEATURES_OK,
                    HOSTDEV("bus='0x00' slot='0x1f' function='0x6'", "bus='0x05' slot='0x00' function='0x0'")
                            NO_BALLOON,
                    "", desktop.m, &f);
        assert_null(find(&f, "machine-i440fx"));
        vk_findings_clear(&f);
}

static void test_firmware_bios(void **state) {
        vk_findings f;
        (void)state;

        lint_domain("vm", "<os>\n<type arch='x86_64' machine='q35'>hvm</type>\n</os>\n", FEATURES_OK,
                    GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        expect_text(find(&f, "firmware-bios"), "0000:01:00.0", "firmware='efi'");
        assert_int_equal(f.n, 1);
        assert_int_equal(f.v[0].line, 3);
        vk_findings_clear(&f);
        /* each way of asking for UEFI */
        static const char *const uefi[] = {
                "<os firmware='efi'><type machine='q35'>hvm</type></os>",
                "<os><type machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/x/CODE.fd</loader></os>",
                "<os><type machine='q35'>hvm</type><loader readonly='yes'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>",
        };
        for (size_t i = 0; i < ELEMENTSOF(uefi); i++) {
                lint_domain("vm", uefi[i], FEATURES_OK, GPU_PAIR NO_BALLOON, "", desktop.m, &f);
                assert_null(find(&f, "firmware-bios"));
                vk_findings_clear(&f);
        }
}

static void test_companion_missing(void **state) {
        vk_findings f;
        const vk_finding *x;
        char *xml = domain("vm", OS_OK, FEATURES_OK,
                           GPU_AT("bus='0x05' slot='0x00' function='0x0' multifunction='on'") NO_BALLOON, "");
        (void)state;

        x = expect_ids(xml, desktop.m, &f, "companion-missing", NULL);
        expect_text(x, "0000:01:00.1", "0000:01:00.1");
        assert_int_equal(x->severity, VK_SEV_ERROR); /* in the GPU's IOMMU group: the VM cannot start */
        assert_int_equal(x->line, 12); /* the <hostdev> after <domain>, <name>, 4 lines of <os>, 4 of <features>, <devices> */
        vk_findings_clear(&f);
        expect_clean(xml, NULL); /* without the host nobody knows the companions */
        free(xml);
}

static void test_functions_split(void **state) {
        vk_findings f;
        char *xml;
        (void)state;

        /* different guest slots, as virt-manager adds them */
        xml = domain("vm", OS_OK, FEATURES_OK,
                     GPU_AT("bus='0x05' slot='0x00' function='0x0'") AUDIO_AT("bus='0x06' slot='0x00' function='0x0'")
                             NO_BALLOON,
                     "");
        expect_text(expect_ids(xml, desktop.m, &f, "functions-split", NULL), "0000:01:00.1 → 0000:06:00.0",
                    "multifunction='on'");
        vk_findings_clear(&f);
        expect_ids(xml, NULL, &f, "functions-split", NULL);
        vk_findings_clear(&f);
        free(xml);

        /* no guest addresses: libvirt gives each its own slot */
        xml = domain("vm", OS_OK, FEATURES_OK,
                     "<hostdev mode='subsystem' type='pci'><source><address bus='1' slot='0' function='0'/></source>"
                     "</hostdev>\n<hostdev mode='subsystem' type='pci'><source><address bus='1' slot='0' "
                     "function='1'/></source></hostdev>\n" NO_BALLOON,
                     "");
        expect_text(expect_ids(xml, desktop.m, &f, "functions-split", NULL), "without a guest <address>", NULL);
        vk_findings_clear(&f);
        free(xml);

        /* one slot, but the GPU is function 1 */
        xml = domain("vm", OS_OK, FEATURES_OK,
                     GPU_AT("bus='0x05' slot='0x00' function='0x1'")
                             AUDIO_AT("bus='0x05' slot='0x00' function='0x0' multifunction='on'") NO_BALLOON,
                     "");
        expect_text(expect_ids(xml, desktop.m, &f, "functions-split", NULL), "guest function 1, not 0", NULL);
        vk_findings_clear(&f);
        free(xml);

        /* one slot, GPU function 0, but no multifunction='on' */
        xml = domain("vm", OS_OK, FEATURES_OK,
                     GPU_AT("bus='0x05' slot='0x00' function='0x0'") AUDIO_AT("bus='0x05' slot='0x00' function='0x1'")
                             NO_BALLOON,
                     "");
        expect_text(expect_ids(xml, desktop.m, &f, "functions-split", NULL), "multifunction='on'",
                    "multifunction='on'");
        vk_findings_clear(&f);
        free(xml);
}

static void test_vendor_id(void **state) {
        vk_findings f;
        const vk_finding *x;
        (void)state;

        lint_domain("vm", OS_OK,
                    "<features>\n<hyperv mode='custom'>\n<vendor_id state='on' value='1234567890abc'/>\n</hyperv>\n"
                    "<kvm><hidden state='on'/></kvm>\n</features>\n",
                    GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        x = find(&f, "vendor-id-too-long");
        expect_text(x, "13 characters", "value='1234567890ab'");
        assert_int_equal(x->severity, VK_SEV_ERROR);
        assert_int_equal(x->line, 9);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* twelve is fine; an unused value is not checked */
        lint_domain("vm", OS_OK,
                    "<features><hyperv><vendor_id state='on' value='1234567890ab'/></hyperv><kvm><hidden "
                    "state='on'/></kvm></features>\n",
                    GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        lint_domain("vm", OS_OK,
                    "<features><hyperv><vendor_id state='off' value='a-very-long-vendor-id'/></hyperv><kvm><hidden "
                    "state='on'/></kvm></features>\n",
                    GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
}

static void test_kvm_hidden(void **state) {
        vk_findings f;
        const vk_finding *x;
        char *xml = domain("vm", OS_OK, "<features><acpi/></features>\n", GPU_PAIR NO_BALLOON, "");
        (void)state;

        x = expect_ids(xml, desktop.m, &f, "kvm-hidden-missing", NULL);
        expect_text(x, "NVIDIA GPU 0000:01:00.0", "465");
        assert_int_equal(x->severity, VK_SEV_WARN);
        vk_findings_clear(&f);
        /* without the host the vendor is unknown: still a warning */
        expect_text(expect_ids(xml, NULL, &f, "kvm-hidden-missing", NULL), "may be an NVIDIA GPU", "465");
        vk_findings_clear(&f);
        free(xml);
        /* hidden state='off' is not hidden */
        xml = domain("vm", OS_OK, "<features><kvm><hidden state='off'/></kvm></features>\n", GPU_PAIR NO_BALLOON, "");
        expect_ids(xml, desktop.m, &f, "kvm-hidden-missing", NULL);
        vk_findings_clear(&f);
        free(xml);
}

static void test_old_set_trick(void **state) {
        vk_findings f;
        const vk_finding *x;
        (void)state;

        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON,
                    "<qemu:commandline>\n<qemu:arg value='-set'/>\n"
                    "<qemu:arg value='device.hostdev0.x-pci-sub-vendor-id=5464'/>\n</qemu:commandline>\n",
                    desktop.m, &f);
        x = find(&f, "old-set-trick");
        expect_text(x, "device.hostdev0.x-pci-sub-vendor-id=5464", "qemu:override");
        assert_int_equal(x->severity, VK_SEV_ERROR);
        assert_int_equal(x->line, 23); /* the '-set' arg */
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* other qemu args are not the trick */
        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON,
                    "<qemu:commandline><qemu:arg value='-set'/><qemu:arg value='global.x=1'/><qemu:arg "
                    "value='-device'/><qemu:arg value='device.x'/></qemu:commandline>\n",
                    desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
}

#define OVERRIDE(vendor, device)                                                                               \
        "<qemu:override>\n<qemu:device alias='hostdev0'>\n<qemu:frontend>\n"                                   \
        "<qemu:property name='x-pci-sub-vendor-id' type='unsigned' value='" vendor "'/>\n"                     \
        "<qemu:property name='x-pci-sub-device-id' type='unsigned' value='" device "'/>\n"                     \
        "</qemu:frontend>\n</qemu:device>\n</qemu:override>\n"

static void test_sub_ids_hex(void **state) {
        vk_findings f;
        const vk_finding *x;
        (void)state;

        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON, OVERRIDE("0x1558", "34128"), desktop.m, &f);
        x = find(&f, "sub-ids-hex");
        expect_text(x, "'0x1558'", "5464");
        assert_int_equal(x->line, 25);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* hex in a -device argument of qemu:commandline */
        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON,
                    "<qemu:commandline><qemu:arg value='-device'/><qemu:arg "
                    "value='vfio-pci,host=01:00.0,x-pci-sub-vendor-id=0x1558,x-pci-sub-device-id=0X8550'/>"
                    "</qemu:commandline>\n",
                    desktop.m, &f);
        assert_int_equal(count(&f, "sub-ids-hex"), 2);
        expect_text(find(&f, "sub-ids-hex"), "x-pci-sub-vendor-id", "x-pci-sub-vendor-id=5464");
        assert_int_equal(f.n, 2);
        vk_findings_clear(&f);
}

static void test_sub_ids_invalid(void **state) {
        vk_findings f;
        (void)state;

        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON, OVERRIDE("65536", "-1"), desktop.m, &f);
        assert_int_equal(count(&f, "sub-ids-invalid"), 2);
        assert_int_equal(f.n, 2);
        vk_findings_clear(&f);
        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON,
                    "<qemu:override><qemu:device alias='hostdev0'><qemu:frontend><qemu:property "
                    "name='x-pci-sub-vendor-id' type='string' value='5464'/></qemu:frontend></qemu:device>"
                    "</qemu:override>\n",
                    desktop.m, &f);
        expect_text(find(&f, "sub-ids-invalid"), "type 'string'", "type='unsigned'");
        vk_findings_clear(&f);
        /* the biggest 16-bit value is fine */
        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON, OVERRIDE("65535", "0"), desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
}

static void test_override_alias(void **state) {
        vk_findings f;
        (void)state;

        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON,
                    "<qemu:override><qemu:device alias='hostdev2'/></qemu:override>\n", desktop.m, &f);
        expect_text(find(&f, "override-alias-unknown"), "hostdev2", "hostdev0");
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* hostdev1 exists (two hostdevs); so does a user alias */
        lint_domain("vm", OS_OK, FEATURES_OK,
                    GPU_PAIR "<hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/></source>"
                             "<alias name='ua-mouse'/></hostdev>\n" NO_BALLOON,
                    "<qemu:override><qemu:device alias='hostdev1'/><qemu:device alias='ua-mouse'/>"
                    "<qemu:device alias='net0'/></qemu:override>\n",
                    desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR NO_BALLOON,
                    "<qemu:override><qemu:device alias='ua-gpu'/></qemu:override>\n", desktop.m, &f);
        expect_text(find(&f, "override-alias-unknown"), "ua-gpu", NULL);
        vk_findings_clear(&f);
}

static void test_qemu_namespace(void **state) {
        vk_findings f;
        (void)state;

        expect_text(expect_ids("<domain xmlns:qemu='http://libvirt.org/schemas/qemu/1.0'>\n<qemu:override/>\n"
                               "</domain>\n",
                               NULL, &f, "qemu-namespace", NULL),
                    "<qemu:override>", "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'");
        vk_findings_clear(&f);
        expect_ids("<domain>\n<commandline/>\n</domain>\n", NULL, &f, "qemu-namespace", NULL);
        vk_findings_clear(&f);
}

static void test_hostdev_missing(void **state) {
        vk_findings f;
        char *xml = domain("vm", OS_OK, FEATURES_OK,
                           GPU_PAIR HOSTDEV("domain='0' bus='0x05' slot='0' function='0'",
                                            "bus='0x06' slot='0' function='0'") NO_BALLOON,
                           "");
        (void)state;

        expect_text(expect_ids(xml, desktop.m, &f, "hostdev-missing", NULL), "0000:05:00.0", "vfiokit list");
        assert_int_equal(f.v[0].severity, VK_SEV_ERROR);
        vk_findings_clear(&f);
        expect_clean(xml, NULL);
        free(xml);
        /* libvirt reads address parts with strtoul base 0: decimal and octal are the same address */
        xml = domain("vm", OS_OK, FEATURES_OK,
                     HOSTDEV("domain='0' bus='1' slot='0' function='0'", "bus='5' slot='0' function='0' "
                                                                          "multifunction='on'")
                             HOSTDEV("domain='00' bus='01' slot='00' function='01'", "bus='5' slot='0' function='1'")
                                     NO_BALLOON,
                     "");
        expect_clean(xml, desktop.m);
        free(xml);
}

static void test_host_critical(void **state) {
        static const struct {
                const char *src, *words;
        } cases[] = {
                {"bus='0x02' slot='0x00' function='0x0'", "root disk"},
                {"bus='0x00' slot='0x1f' function='0x6'", "default route"},
                {"bus='0x00' slot='0x02' function='0x0'", "display"},
        };
        vk_findings f;
        char dev[512];
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                snprintf(dev, sizeof(dev),
                         "<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' %s/></source>"
                         "<address type='pci' bus='0x06' slot='0' function='0'/></hostdev>\n" NO_BALLOON,
                         cases[i].src);
                lint_domain("vm", OS_OK, FEATURES_OK, dev, "", desktop.m, &f);
                expect_text(find(&f, "hostdev-host-critical"), cases[i].words, NULL);
                assert_int_equal(find(&f, "hostdev-host-critical")->severity, VK_SEV_ERROR);
                assert_int_equal(f.n, 1);
                vk_findings_clear(&f);
                lint_domain("vm", OS_OK, FEATURES_OK, dev, "", NULL, &f);
                assert_null(find(&f, "hostdev-host-critical"));
                vk_findings_clear(&f);
        }
}

static void test_hostdev_bridge(void **state) {
        vk_findings f;
        (void)state;
        lint_domain("vm", OS_OK, FEATURES_OK,
                    GPU_PAIR HOSTDEV("bus='0' slot='1' function='0'", "bus='6' slot='0' function='0'") NO_BALLOON, "",
                    desktop.m, &f);
        expect_text(find(&f, "hostdev-bridge"), "0000:00:01.0", NULL);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
}

/* Two devices of another slot in one IOMMU group (no ACS on the chipset). */
static void test_group_incomplete(void **state) {
        const fx_pci extra[] = {
                {"0000:00:14.0", "", 0x8086, 0xa36d, 0x0c0330, "xhci_hcd", 6, -1},
                {"0000:00:16.0", "", 0x8086, 0xa360, 0x078000, "mei_me", 6, -1},
                {"0000:00:1f.3", "", 0x8086, 0xa348, 0x040300, "snd_hda_intel", 4, -1}, /* with the NIC */
        };
        const char *usb = HOSTDEV("bus='0' slot='0x14' function='0'", "bus='6' slot='0' function='0'") NO_BALLOON;
        host t;
        vk_findings f;
        (void)state;

        host_load(&t, extra, ELEMENTSOF(extra));
        lint_domain("vm", OS_OK, FEATURES_OK, usb, "", t.m, &f);
        expect_text(find(&f, "group-incomplete"), "0000:00:16.0", "vfiokit bind 0000:00:14.0");
        assert_int_equal(find(&f, "group-incomplete")->severity, VK_SEV_WARN);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* both passed: fine */
        lint_domain("vm", OS_OK, FEATURES_OK,
                    HOSTDEV("bus='0' slot='0x14' function='0'", "bus='6' slot='0' function='0'")
                            HOSTDEV("bus='0' slot='0x16' function='0'", "bus='7' slot='0' function='0'") NO_BALLOON,
                    "", t.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        /* the chipset audio shares its group with the default-route NIC: an error */
        lint_domain("vm", OS_OK, FEATURES_OK,
                    HOSTDEV("bus='0' slot='0x1f' function='3'", "bus='6' slot='0' function='0'") NO_BALLOON, "", t.m,
                    &f);
        expect_text(find(&f, "group-incomplete"), "default route", NULL);
        assert_int_equal(find(&f, "group-incomplete")->severity, VK_SEV_ERROR);
        vk_findings_clear(&f);
        host_free(&t);

        /* a group member already on vfio-pci keeps the group viable */
        const fx_pci bound[] = {
                {"0000:00:14.0", "", 0x8086, 0xa36d, 0x0c0330, "xhci_hcd", 6, -1},
                {"0000:00:16.0", "", 0x8086, 0xa360, 0x078000, "vfio-pci", 6, -1},
        };
        host_load(&t, bound, ELEMENTSOF(bound));
        lint_domain("vm", OS_OK, FEATURES_OK, usb, "", t.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        host_free(&t);
}

static void test_memballoon(void **state) {
        vk_findings f;
        (void)state;

        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR "<memballoon model='virtio'>\n</memballoon>\n", "", desktop.m,
                    &f);
        expect_text(find(&f, "memballoon"), "model='virtio'", "model='none'");
        assert_int_equal(f.v[0].line, 20);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR, "", desktop.m, &f); /* libvirt adds a virtio one */
        expect_text(find(&f, "memballoon"), "libvirt adds", NULL);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
}

static void test_win11(void **state) {
        static const char *const win11_names[] = {"win11", "Win11-gaming", "WINDOWS-11", "my windows 11", "windows_11"};
        const char *meta = "<metadata>\n<libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/"
                           "domain/1.0'>\n<libosinfo:os id='http://microsoft.com/win/11'/>\n</libosinfo:libosinfo>\n"
                           "</metadata>\n";
        const char *tpm = "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>\n";
        char os[1024], dev[1024];
        vk_findings f;
        (void)state;

        snprintf(dev, sizeof(dev), "%s%s%s", GPU_PAIR, NO_BALLOON, tpm);
        for (size_t i = 0; i < ELEMENTSOF(win11_names); i++) {
                lint_domain(win11_names[i], "<os><type machine='q35'>hvm</type><loader type='pflash'>/c.fd</loader></os>\n",
                            FEATURES_OK, GPU_PAIR NO_BALLOON, "", desktop.m, &f);
                expect_text(find(&f, "win11-no-tpm"), "TPM 2.0", "tpm-crb");
                expect_text(find(&f, "win11-no-secureboot"), "Secure Boot", "secure-boot");
                assert_int_equal(f.n, 2);
                vk_findings_clear(&f);
        }
        /* the libosinfo id, with a name that says nothing */
        snprintf(os, sizeof(os), "%s%s", meta, OS_OK);
        lint_domain("gaming", os, FEATURES_OK, GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        expect_text(find(&f, "win11-no-tpm"), NULL, NULL);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* a TPM 1.2 is no TPM for Windows 11 */
        lint_domain("gaming", os, FEATURES_OK,
                    GPU_PAIR NO_BALLOON "<tpm model='tpm-tis'><backend type='emulator' version='1.2'/></tpm>\n", "",
                    desktop.m, &f);
        expect_text(find(&f, "win11-no-tpm"), "1.2", "2.0");
        vk_findings_clear(&f);
        /* secure boot by loader secure='yes'; by the firmware feature only with firmware='efi' */
        lint_domain("win11", "<os><type machine='q35'>hvm</type><loader type='pflash' secure='yes'>/c.fd</loader></os>\n",
                    FEATURES_OK, dev, "", desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        lint_domain("win11", OS_OK, FEATURES_OK, dev, "", desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
        lint_domain("win11",
                    "<os firmware='efi'><type machine='q35'>hvm</type><firmware><feature enabled='no' "
                    "name='secure-boot'/></firmware></os>\n",
                    FEATURES_OK, dev, "", desktop.m, &f);
        expect_text(find(&f, "win11-no-secureboot"), NULL, NULL);
        assert_int_equal(f.n, 1);
        vk_findings_clear(&f);
        /* Windows 10 needs neither */
        lint_domain("win10", "<os><type machine='q35'>hvm</type><loader type='pflash'>/c.fd</loader></os>\n",
                    FEATURES_OK, GPU_PAIR NO_BALLOON, "", desktop.m, &f);
        assert_int_equal(f.n, 0);
        vk_findings_clear(&f);
}

static void test_address_invalid(void **state) {
        static const char *const bad[] = {
                "bus='0x100' slot='0' function='0'", "bus='1' slot='0x20' function='0'", "bus='1' slot='0' function='8'",
                "bus='zz' slot='0' function='0'",    "bus='-1' slot='0' function='0'",   "bus='0x' slot='0' function='0'",
                "bus='08' slot='0' function='0'",    "domain='0x10000' bus='1'",         "bus='' slot='0' function='0'",
                "bus='99999999999999999999999' slot='0' function='0'",
        };
        vk_findings f;
        char dev[512];
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(dev, sizeof(dev),
                         "<hostdev mode='subsystem' type='pci'>\n<source>\n<address %s/>\n</source>\n</hostdev>\n"
                         "<memballoon model='none'/>\n",
                         bad[i]);
                lint_domain("vm", OS_OK, FEATURES_OK, dev, "", desktop.m, &f);
                if (!find(&f, "address-invalid")) {
                        dump(&f);
                        fail_msg("%s: no address-invalid", bad[i]);
                }
                assert_int_equal(find(&f, "address-invalid")->line, 14); /* the <address> */
                assert_int_equal(f.n, 1);
                vk_findings_clear(&f);
        }
        /* no <source><address> at all; a bad guest address */
        lint_domain("vm", OS_OK, FEATURES_OK, "<hostdev mode='subsystem' type='pci'><source/></hostdev>\n" NO_BALLOON,
                    "", NULL, &f);
        expect_text(find(&f, "address-invalid"), "without <source><address>", NULL);
        vk_findings_clear(&f);
        lint_domain("vm", OS_OK, FEATURES_OK,
                    GPU_AT("bus='0x05' slot='0x00' function='0x9'") AUDIO_AT("bus='5' slot='0' function='1'") NO_BALLOON,
                    "", desktop.m, &f);
        expect_text(find(&f, "address-invalid"), "guest <address function='0x9'>", NULL);
        vk_findings_clear(&f);
}

static void test_hostdev_duplicate(void **state) {
        vk_findings f;
        const vk_finding *x;
        (void)state;

        lint_domain("vm", OS_OK, FEATURES_OK, GPU_PAIR GPU_AT("bus='6' slot='0' function='0'") NO_BALLOON, "", desktop.m,
                    &f);
        x = find(&f, "hostdev-duplicate");
        expect_text(x, "0000:01:00.0 is passed through a second time (first on line 12)", NULL);
        assert_int_equal(x->line, 20);
        assert_int_equal(f.n, 1); /* reported once, not again as a split or a second GPU */
        vk_findings_clear(&f);
}

/* Thousands of hostdevs and overrides: every check is n log n, not quadratic. */
static void test_many_devices(void **state) {
        const size_t n = 20000;
        char *buf = NULL;
        size_t len = 0;
        FILE *ms = open_memstream(&buf, &len);
        vk_findings f;
        (void)state;

        assert_non_null(ms);
        fputs("<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>x</name><devices>\n", ms);
        for (size_t i = 0; i < n; i++)
                fprintf(ms, "<hostdev mode='subsystem' type='pci'><source><address bus='%zu' slot='%zu' function='%zu'/>"
                            "</source><address type='pci' bus='1' slot='0' function='%zu'/><alias name='ua-%zu'/>"
                            "</hostdev>\n",
                        i % 3 ? (i / 256) % 256 : 1, (i / 8) % 32, i % 8, i % 8, i);
        fputs("</devices><qemu:override>", ms);
        for (size_t i = 0; i < n; i++)
                fprintf(ms, "<qemu:device alias='ua-%zu'/>", i * 2);
        fputs("</qemu:override></domain>\n", ms);
        fclose(ms);
        assert_int_equal(vk_vm_lint("big.xml", buf, len, desktop.m, &f), 0);
        assert_true(count(&f, "hostdev-duplicate") > 0);
        assert_int_equal(count(&f, "override-alias-unknown"), n / 2);
        for (size_t i = 1; i < f.n; i++)
                assert_true(f.v[i - 1].line <= f.v[i].line);
        vk_findings_clear(&f);
        assert_int_equal(vk_vm_lint("big.xml", buf, len, NULL, &f), 0);
        vk_findings_clear(&f);
        free(buf);
}

/* Findings come in the order of the file; lines and messages hold no raw control characters. */
static void test_order_and_text(void **state) {
        vk_findings f;
        (void)state;

        lint_domain("win11", "<os>\n<type machine='pc'>hvm</type>\n</os>\n", "<features>\n<hyperv><vendor_id state='on' "
                    "value='a&#10;very&#9;long&#10;vendor'/></hyperv>\n</features>\n",
                    GPU_PAIR, "", desktop.m, &f);
        assert_true(f.n >= 6);
        for (size_t i = 1; i < f.n; i++)
                assert_true(f.v[i - 1].line <= f.v[i].line);
        for (size_t i = 0; i < f.n; i++) {
                assert_true(f.v[i].line > 0);
                for (const char *p = f.v[i].message; *p; p++)
                        assert_true((unsigned char)*p >= 0x20);
                assert_non_null(f.v[i].fix);
                for (const char *p = f.v[i].fix; *p; p++)
                        assert_true((unsigned char)*p >= 0x20);
        }
        vk_findings_clear(&f);
}

/* ---- hostile input ---- */

/* External entities are never loaded; internal ones are never expanded into values. */
static void test_entities(void **state) {
        char *dir = fx_new(), *xml;
        vk_findings f;
        (void)state;

        fx_file(dir, "secret", "win11");
        assert_true(asprintf(&xml,
                             "<!DOCTYPE domain [<!ENTITY xxe SYSTEM 'file://%s/secret'>"
                             "<!ENTITY n 'win11'>]>\n<domain>\n<name>&xxe;&n;</name>\n<os><type "
                             "machine='q35'>hvm</type></os>\n</domain>\n",
                             dir) > 0);
        run(xml, NULL, &f);
        assert_null(find(&f, "win11-no-tpm"));
        vk_findings_clear(&f);
        free(xml);
        fx_remove(dir);

        /* a billion laughs: libxml2 refuses or we do not expand; either way no time or memory goes into it */
        const char *lol = "<!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'>"
                          "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
                          "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
                          "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'><!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
                          "<!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'><!ENTITY i '&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;'>]>\n"
                          "<domain><name>&i;</name><features><hyperv><vendor_id state='on' value='&i;'/></hyperv>"
                          "</features></domain>\n";
        run(lol, NULL, &f);
        assert_null(find(&f, "vendor-id-too-long"));
        vk_findings_clear(&f);
}

/* The library never prints: libxml2's messages (parser, namespace, encoding) go to the finding only. */
static void test_never_prints(void **state) {
        static const char *const inputs[] = {
                "<domain type='kvm' \n<name>x</name></domain>",
                "<?xml version='1.0' encoding='UTF-16'?><domain/>",
                "<?xml version='1.0' encoding='no-such-charset'?><domain/>",
                "<?xml version='1.0' encoding='ISO-2022-JP'?><domain>\x1b$B\xff\xfe</domain>",
                "<domain>\xc3\x28\xa0\xa1</domain>",
                "<domain><x:y/></domain>",
                "<domain xmlns:q='not a uri'><q:a/></domain>",
                "<!DOCTYPE domain SYSTEM 'http://example.invalid/domain.dtd'><domain/>",
                "<!DOCTYPE domain [<!ENTITY e SYSTEM 'http://example.invalid/e'>]><domain>&e;</domain>",
                "<domain>&undefined;</domain>",
        };
        char path[] = "/tmp/vfiokit-lint-stderr-XXXXXX";
        int fd = mkstemp(path), saved = dup(2);
        struct stat st;
        (void)state;

        assert_true(fd >= 0 && saved >= 0);
        unlink(path);
        fflush(stderr);
        assert_int_equal(dup2(fd, 2), 2);
        for (size_t i = 0; i < ELEMENTSOF(inputs); i++) {
                vk_findings f = {0};
                int r = vk_vm_lint("x.xml", inputs[i], strlen(inputs[i]), desktop.m, &f);
                vk_findings_clear(&f);
                if (r != 0)
                        break;
        }
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        assert_int_equal(fstat(fd, &st), 0);
        if (st.st_size > 0) {
                char buf[512] = {0};
                assert_true(pread(fd, buf, sizeof(buf) - 1, 0) >= 0);
                fail_msg("lint wrote to stderr: %s", buf);
        }
        close(fd);
}

/* ---- the corpus: tests/lint/good-*.xml lint clean, bad-*.xml give exactly the ids of bad-*.expect ---- */

static char *slurp(const char *path, size_t *len) {
        FILE *fp = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;
        FILE *ms = open_memstream(&buf, &n);
        char tmp[4096];
        size_t k;

        if (!fp)
                fail_msg("cannot open %s", path);
        assert_non_null(ms);
        while ((k = fread(tmp, 1, sizeof(tmp), fp)) > 0)
                fwrite(tmp, 1, k, ms);
        fclose(fp);
        fclose(ms);
        *len = n;
        return buf;
}

static bool in_list(char **ids, size_t n, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(ids[i], id) == 0)
                        return true;
        return false;
}

static const char *const needs_host[] = {"hostdev-missing", "hostdev-host-critical", "hostdev-bridge",
                                         "companion-missing", "group-incomplete"};

static void check_corpus_file(const char *dir, const char *name) {
        char *path, *buf, *expect = NULL, *ids[64];
        size_t len, n_ids = 0, n;
        vk_findings f, without;
        bool bad = strncmp(name, "bad-", 4) == 0, ok = true;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        buf = slurp(path, &len);
        free(path);
        if (bad) {
                assert_true(asprintf(&path, "%s/%.*s.expect", dir, (int)(strlen(name) - 4), name) > 0);
                expect = slurp(path, &n);
                for (char *save = NULL, *line = strtok_r(expect, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                        if (*line && *line != '#' && n_ids < ELEMENTSOF(ids))
                                ids[n_ids++] = line;
                if (n_ids == 0)
                        fail_msg("%s lists no finding", path);
                free(path);
        }
        assert_int_equal(vk_vm_lint(name, buf, len, desktop.m, &f), 0);
        for (size_t i = 0; i < f.n; i++) {
                ok &= in_list(ids, n_ids, f.v[i].id);
                if (f.v[i].line <= 0 || !f.v[i].fix)
                        fail_msg("%s: %s has no line or no fix", name, f.v[i].id);
        }
        for (size_t i = 0; i < n_ids; i++)
                ok &= find(&f, ids[i]) != NULL;
        if (!ok) {
                print_message("%s: expected", name);
                for (size_t i = 0; i < n_ids; i++)
                        print_message(" %s", ids[i]);
                print_message(", found:\n");
                dump(&f);
                fail_msg("%s: wrong findings", name);
        }
        /* without the host: nothing that needs it, nothing new beyond the unknown vendor */
        assert_int_equal(vk_vm_lint(name, buf, len, NULL, &without), 0);
        for (size_t i = 0; i < without.n; i++) {
                for (size_t j = 0; j < ELEMENTSOF(needs_host); j++)
                        assert_string_not_equal(without.v[i].id, needs_host[j]);
                if (!bad)
                        fail_msg("%s: %s without the host", name, without.v[i].id);
        }
        vk_findings_clear(&without);
        vk_findings_clear(&f);
        free(expect);
        free(buf);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void test_corpus(void **state) {
        const char *src = getenv("VFIOKIT_SRCDIR");
        char *dir;
        struct dirent **names;
        int n, good = 0, bad = 0;
        (void)state;

        if (!src)
                skip();
        assert_true(asprintf(&dir, "%s/tests/lint", src) > 0);
        n = scandir(dir, &names, NULL, by_name);
        assert_true(n > 0);
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                size_t len = strlen(name);
                if (len > 4 && strcmp(name + len - 4, ".xml") == 0 &&
                    (strncmp(name, "good-", 5) == 0 || strncmp(name, "bad-", 4) == 0)) {
                        check_corpus_file(dir, name);
                        good += name[0] == 'g';
                        bad += name[0] == 'b';
                }
                free(names[i]);
        }
        free(names);
        free(dir);
        assert_true(good >= 1);
        assert_true(bad >= 20);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),           cmocka_unit_test(test_xml_malformed),
                cmocka_unit_test(test_not_a_domain),   cmocka_unit_test(test_machine_i440fx),
                cmocka_unit_test(test_firmware_bios),  cmocka_unit_test(test_companion_missing),
                cmocka_unit_test(test_functions_split), cmocka_unit_test(test_vendor_id),
                cmocka_unit_test(test_kvm_hidden),     cmocka_unit_test(test_old_set_trick),
                cmocka_unit_test(test_sub_ids_hex),    cmocka_unit_test(test_sub_ids_invalid),
                cmocka_unit_test(test_override_alias), cmocka_unit_test(test_qemu_namespace),
                cmocka_unit_test(test_hostdev_missing), cmocka_unit_test(test_host_critical),
                cmocka_unit_test(test_hostdev_bridge), cmocka_unit_test(test_group_incomplete),
                cmocka_unit_test(test_memballoon),     cmocka_unit_test(test_win11),
                cmocka_unit_test(test_address_invalid), cmocka_unit_test(test_hostdev_duplicate),
                cmocka_unit_test(test_many_devices),   cmocka_unit_test(test_order_and_text),
                cmocka_unit_test(test_entities),       cmocka_unit_test(test_never_prints),
                cmocka_unit_test(test_corpus),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
