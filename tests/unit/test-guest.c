/* test-guest.c — guest media: the answer file parsed back and checked pass by pass, the names Windows refuses,
 * the .reg bytes, the VM definition reader on good and malformed input, and the refuse-or-leave-alone writer. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "guest.h"

/* ---- the answer file, parsed back ---- */

static xmlNode *child(xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST name))
                        return c;
        return NULL;
}

/* The element at a '/'-separated path under n, each step in the unattend namespace. */
static xmlNode *at(xmlNode *n, const char *path) {
        char buf[256], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *t = strtok_r(buf, "/", &save); n && t; t = strtok_r(NULL, "/", &save)) {
                n = child(n, t);
                if (n)
                        assert_non_null(n->ns), assert_string_equal(n->ns->href, VK_GUEST_UNATTEND_NS);
        }
        return n;
}

static char *text(xmlNode *n) {
        static char buf[512];
        xmlChar *c = n ? xmlNodeGetContent(n) : NULL;

        snprintf(buf, sizeof(buf), "%s", c ? (const char *)c : "(missing)");
        xmlFree(c);
        return buf;
}

static xmlNode *pass(xmlNode *root, const char *name) {
        for (xmlNode *c = root->children; c; c = c->next) {
                xmlChar *p = c->type == XML_ELEMENT_NODE ? xmlGetProp(c, BAD_CAST "pass") : NULL;
                bool match = p && xmlStrEqual(p, BAD_CAST name);
                xmlFree(p);
                if (match)
                        return c;
        }
        return NULL;
}

/* The component NAME of a pass, with the attributes every unattend component needs. */
static xmlNode *component(xmlNode *pass_node, const char *name) {
        static const char *const fixed[][2] = {{"processorArchitecture", "amd64"},
                                               {"publicKeyToken", "31bf3856ad364e35"},
                                               {"language", "neutral"},
                                               {"versionScope", "nonSxS"}};
        for (xmlNode *c = pass_node ? pass_node->children : NULL; c; c = c->next) {
                xmlChar *n = c->type == XML_ELEMENT_NODE ? xmlGetProp(c, BAD_CAST "name") : NULL;
                bool match = n && xmlStrEqual(n, BAD_CAST name);
                xmlFree(n);
                if (!match)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
                        xmlChar *v = xmlGetProp(c, BAD_CAST fixed[i][0]);
                        assert_non_null(v);
                        assert_string_equal((const char *)v, fixed[i][1]);
                        xmlFree(v);
                }
                return c;
        }
        return NULL;
}

static size_t count_components(xmlNode *pass_node) {
        size_t n = 0;
        for (xmlNode *c = pass_node->children; c; c = c->next)
                n += c->type == XML_ELEMENT_NODE;
        return n;
}

static char *wcm(xmlNode *n, const char *name) {
        static char buf[128];
        xmlChar *v = n ? xmlGetNsProp(n, BAD_CAST name, BAD_CAST VK_GUEST_WCM_NS) : NULL;
        snprintf(buf, sizeof(buf), "%s", v ? (const char *)v : "(missing)");
        xmlFree(v);
        return buf;
}

static xmlDoc *generate(const vk_guest_opts *o, char **ret_xml) {
        vk_error err = {0};
        char *xml = NULL;
        size_t len = 0;
        xmlDoc *doc;

        assert_int_equal(vk_guest_autounattend(o, &xml, &len, &err), 0);
        assert_int_equal(strlen(xml), len);
        doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
        assert_non_null(doc);
        *ret_xml = xml;
        return doc;
}

static void test_autounattend_structure(void **state) {
        (void)state;
        vk_guest_opts o = {.vm = "win11", .user = "Tom&Jerry's", .password = "", .locale = "de-DE",
                           .os = VK_GUEST_WIN11};
        char *xml;
        xmlDoc *doc = generate(&o, &xml);
        xmlNode *root = xmlDocGetRootElement(doc), *pe, *sp, *oobe, *c, *acct;

        assert_string_equal(root->name, "unattend");
        assert_string_equal(root->ns->href, VK_GUEST_UNATTEND_NS);
        /* the three passes, in the order Setup runs them, and nothing else */
        pe = pass(root, "windowsPE"), sp = pass(root, "specialize"), oobe = pass(root, "oobeSystem");
        assert_non_null(pe), assert_non_null(sp), assert_non_null(oobe);
        assert_ptr_equal(pe, child(root, "settings"));
        assert_true(pe->next && sp->next);
        assert_int_equal(count_components(pe), 2);
        assert_int_equal(count_components(sp), 3);
        assert_int_equal(count_components(oobe), 2);

        c = component(pe, "Microsoft-Windows-International-Core-WinPE");
        assert_string_equal(text(at(c, "SetupUILanguage/UILanguage")), "de-DE");
        assert_string_equal(text(at(c, "InputLocale")), "de-DE");
        c = component(pe, "Microsoft-Windows-Setup");
        assert_string_equal(text(at(c, "UserData/AcceptEula")), "true");
        /* the disk is the user's choice: nothing that partitions, formats or picks one */
        assert_null(at(c, "DiskConfiguration"));
        assert_null(at(c, "ImageInstall"));
        assert_null(strstr(xml, "DiskConfiguration"));
        assert_null(strstr(xml, "InstallTo"));
        assert_null(strstr(xml, "LabConfig")); /* only with --bypass-tpm-check */

        c = component(sp, "Microsoft-Windows-TerminalServices-LocalSessionManager");
        assert_string_equal(text(at(c, "fDenyTSConnections")), "false");
        c = at(component(sp, "Networking-MPSSVC-Svc"), "FirewallGroups/FirewallGroup");
        assert_string_equal(wcm(c, "action"), "add");
        assert_string_equal(wcm(c, "keyValue"), "RemoteDesktop");
        assert_string_equal(text(at(c, "Active")), "true");
        assert_string_equal(text(at(c, "Group")), "@FirewallAPI.dll,-28752");
        assert_string_equal(text(at(c, "Profile")), "all");
        c = at(component(sp, "Microsoft-Windows-Deployment"), "RunSynchronous/RunSynchronousCommand");
        assert_string_equal(wcm(c, "action"), "add");
        assert_string_equal(text(at(c, "Order")), "1");
        assert_non_null(strstr(text(at(c, "Path")), "\\OOBE /v BypassNRO /t REG_DWORD /d 1"));

        assert_string_equal(text(at(component(oobe, "Microsoft-Windows-International-Core"), "UserLocale")), "de-DE");
        c = component(oobe, "Microsoft-Windows-Shell-Setup");
        assert_string_equal(text(at(c, "OOBE/HideOnlineAccountScreens")), "true");
        assert_string_equal(text(at(c, "OOBE/HideEULAPage")), "true");
        acct = at(c, "UserAccounts/LocalAccounts/LocalAccount");
        assert_string_equal(wcm(acct, "action"), "add");
        /* the special characters went through libxml2's escaping and come back as they were */
        assert_string_equal(text(at(acct, "Name")), "Tom&Jerry's");
        assert_non_null(strstr(xml, "<Name>Tom&amp;Jerry's</Name>"));
        assert_string_equal(text(at(acct, "Group")), "Administrators");
        /* an empty password is base64(UTF-16LE("" + "Password")) */
        assert_string_equal(text(at(acct, "Password/Value")), "UABhAHMAcwB3AG8AcgBkAA==");
        assert_string_equal(text(at(acct, "Password/PlainText")), "false");
        xmlFreeDoc(doc);
        free(xml);
}

static void test_autounattend_win10_and_bypass(void **state) {
        (void)state;
        vk_guest_opts o = {.vm = "w", .user = "gamer", .password = "pw", .locale = "en-US", .os = VK_GUEST_WIN10};
        char *xml;
        xmlDoc *doc = generate(&o, &xml);
        xmlNode *root = xmlDocGetRootElement(doc), *c;

        /* Windows 10 needs no BypassNRO */
        assert_null(component(pass(root, "specialize"), "Microsoft-Windows-Deployment"));
        assert_null(strstr(xml, "BypassNRO"));
        /* Microsoft's own example value for "pw" */
        c = at(component(pass(root, "oobeSystem"), "Microsoft-Windows-Shell-Setup"),
               "UserAccounts/LocalAccounts/LocalAccount/Password/Value");
        assert_string_equal(text(c), "cAB3AFAAYQBzAHMAdwBvAHIAZAA=");
        xmlFreeDoc(doc);
        free(xml);

        o.os = VK_GUEST_WIN11, o.bypass_tpm_check = true, o.password = "pä𝄞"; /* 2- and 4-byte UTF-8 */
        doc = generate(&o, &xml);
        root = xmlDocGetRootElement(doc);
        c = at(component(pass(root, "windowsPE"), "Microsoft-Windows-Setup"), "RunSynchronous");
        assert_non_null(c);
        int n = 0;
        for (xmlNode *k = c->children; k; k = k->next)
                if (k->type == XML_ELEMENT_NODE) {
                        n++;
                        assert_non_null(strstr(text(at(k, "Path")), "HKLM\\SYSTEM\\Setup\\LabConfig"));
                }
        assert_int_equal(n, 3);
        /* "p" "ä" U+1D11E (surrogates d834 dd1e) "Password" */
        c = at(component(pass(root, "oobeSystem"), "Microsoft-Windows-Shell-Setup"),
               "UserAccounts/LocalAccounts/LocalAccount/Password/Value");
        assert_string_equal(text(c), "cADkADTYHt1QAGEAcwBzAHcAbwByAGQA");
        xmlFreeDoc(doc);
        free(xml);
}

static void test_user_names(void **state) {
        (void)state;
        static const char *const bad[] = {
                "", "a\"b", "a/b", "a\\b", "a[b", "a]b", "a:b", "a;b", "a|b", "a=b", "a,b", "a+b", "a*b", "a?b",
                "a<b", "a>b", "abcdefghijklmnopqrstu", "ääääääääääääääääääääää", "...", " . ", "a\tb", "\xff\xfe",
                "\xe0\x9c\x9c" /* overlong */, "\xed\xa0\x80" /* a surrogate */, "\xef\xbf\xbf" /* U+FFFF */,
                "Administrator", "guest",
        };
        static const char *const good[] = {"user", "Tom&Jerry's", "abcdefghijklmnopqrst", "ääääääääääääääääääää",
                                           "Zoë", "a.b-c_d", "100%"};
        vk_error err = {0};
        char *xml = (char *)"untouched";

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (vk_guest_check_user(bad[i], &err) != -EINVAL)
                        fail_msg("'%s' was accepted", bad[i]);
                assert_non_null(strstr(err.msg, "--user"));
        }
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (vk_guest_check_user(good[i], &err) != 0)
                        fail_msg("'%s' was refused: %s", good[i], err.msg);
        /* the generator checks too, and hands nothing out on a refusal */
        vk_guest_opts o = {.vm = "w", .user = "a<b", .locale = "en-US"};
        assert_int_equal(vk_guest_autounattend(&o, &xml, NULL, &err), -EINVAL);
        assert_string_equal(xml, "untouched");
}

static void test_locale_and_password(void **state) {
        (void)state;
        static const char *const good[] = {"en-US", "de-DE", "zh-CN", "sr-Latn-RS", "haw-US"};
        static const char *const bad[] = {"", "german", "en_US", "EN-us", "en-US-x", "en-", "-US", "sr-latn-RS"};
        char long_pw[200];
        vk_error err = {0};

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                assert_int_equal(vk_guest_check_locale(good[i], &err), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (vk_guest_check_locale(bad[i], &err) != -EINVAL)
                        fail_msg("locale '%s' was accepted", bad[i]);
        assert_int_equal(vk_guest_check_password("correct horse", &err), 0);
        assert_int_equal(vk_guest_check_password("two\nlines", &err), -EINVAL);
        assert_int_equal(vk_guest_check_password("\xc3", &err), -EINVAL);
        memset(long_pw, 'x', 127), long_pw[127] = 0;
        assert_int_equal(vk_guest_check_password(long_pw, &err), 0);
        memset(long_pw, 'x', 128), long_pw[128] = 0;
        assert_int_equal(vk_guest_check_password(long_pw, &err), -EINVAL);
}

static void test_rdp_reg(void **state) {
        (void)state;
        char *reg, text[4096];
        size_t len, n = 0;

        assert_int_equal(vk_guest_rdp_reg(&reg, &len), 0);
        assert_true(len > 2 && len % 2 == 0 && len / 2 < sizeof(text));
        assert_int_equal((unsigned char)reg[0], 0xff);
        assert_int_equal((unsigned char)reg[1], 0xfe);
        for (size_t i = 2; i < len; i += 2) {
                assert_int_equal(reg[i + 1], 0); /* all ASCII: every high byte is 0 */
                text[n++] = reg[i];
        }
        text[n] = 0;
        assert_true(vk_startswith(text, "Windows Registry Editor Version 5.00\r\n\r\n"));
        for (size_t i = 0; i < n; i++)
                if (text[i] == '\n')
                        assert_int_equal(text[i - 1], '\r'); /* CRLF only */
        assert_non_null(strstr(text, "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa]\r\n"
                                     "\"LimitBlankPasswordUse\"=dword:00000000\r\n"));
        assert_non_null(strstr(text, "\"fDenyTSConnections\"=dword:00000000\r\n"));
        assert_non_null(strstr(text, "; RISK"));
        free(reg);
}

/* ---- the VM's definition ---- */

static char *slurp(const char *rel) {
        const char *srcdir = getenv("VFIOKIT_SRCDIR");
        char path[4096], *buf = NULL;
        size_t len = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", srcdir ? srcdir : ".", rel);
        f = fopen(path, "r");
        if (!f)
                fail_msg("cannot open %s (VFIOKIT_SRCDIR?)", path);
        assert_int_equal(getdelim(&buf, &len, 0, f) > 0, 1);
        fclose(f);
        return buf;
}

static void test_vm_definition(void **state) {
        (void)state;
        char *xml = slurp("tests/fixtures/guest/laptop-muxless/etc/libvirt/qemu/win10.xml");
        vk_guest_vm vm;
        vk_error err = {0};

        assert_int_equal(vk_guest_vm_parse(xml, strlen(xml), "/etc/libvirt/qemu/win10.xml", &vm, &err), 0);
        assert_true(vm.found && vm.os_known && vm.os == VK_GUEST_WIN10);
        assert_int_equal(vm.n_hostdevs, 4);
        assert_string_equal(vm.hostdevs[0].addr, "0000:01:00.0");
        assert_string_equal(vm.hostdevs[0].alias, "ua-gpu");
        assert_true(vm.hostdevs[0].sub_ids);
        assert_false(vm.hostdevs[1].sub_ids);
        assert_string_equal(vm.hostdevs[3].addr, "0000:01:00.3");
        assert_false(vm.has_shmem || vm.has_acpitable);
        assert_string_equal(vm.free_cdrom, "sdb"); /* the virtio-win CD holds sda */
        vk_guest_vm_clear(&vm);
        free(xml);

        static const struct {
                const char *xml, *want;
        } bad[] = {
                {"", ": the file is empty"},
                {"<domain><devices><hostdev type='pci'></devices></domain>", ":1: not well-formed"},
                {"<domain>\n<devices>\n<hostdev type='pci'><source><address domain='0' bus='0x100' slot='0' "
                 "function='0'/></source></hostdev></devices></domain>",
                 ":3: a <hostdev> source address"},
                {"<domain><devices><hostdev type='pci'><source><address domain='0' bus='1' slot='0' "
                 "function='x'/></source></hostdev></devices></domain>",
                 "not a PCI address"},
                {"<network/>", "not a libvirt domain"},
                {"<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain>&e;</domain>", NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = vk_guest_vm_parse(bad[i].xml, strlen(bad[i].xml), "/x.xml", &vm, &err);
                if (!bad[i].want) { /* external entities are never loaded: parsed, nothing read */
                        assert_int_equal(r, 0);
                        vk_guest_vm_clear(&vm);
                        continue;
                }
                assert_int_equal(r, -EINVAL);
                if (!strstr(err.msg, bad[i].want) || !vk_startswith(err.msg, "/x.xml"))
                        fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].want);
        }
}

static void test_vm_load_from_root(void **state) {
        (void)state;
        char *root = fx_new();
        vk_host *h;
        vk_guest_vm vm;
        vk_error err = {0};

        assert_int_equal(vk_host_new(root, &h), 0);
        assert_int_equal(vk_guest_vm_load(h, "win11", &vm, &err), 0);
        assert_false(vm.found);
        assert_string_equal(vm.path, "/etc/libvirt/qemu/win11.xml");
        vk_guest_vm_clear(&vm);
        fx_file(root, "etc/libvirt/qemu/win11.xml", "<domain><devices><shmem name='lg'><model type='ivshmem-plain'/>"
                                                    "</shmem><disk><target dev='sda'/></disk></devices></domain>");
        assert_int_equal(vk_guest_vm_load(h, "win11", &vm, &err), 0);
        assert_true(vm.found && vm.has_shmem && !vm.os_known);
        assert_string_equal(vm.free_cdrom, "sdb");
        vk_guest_vm_clear(&vm);
        /* a name is never a path */
        assert_int_equal(vk_guest_vm_load(h, "../../etc/passwd", &vm, &err), -EINVAL);
        assert_false(vk_guest_valid_vm_name(".hidden"));
        vk_host_free(h);
        fx_remove(root);
}

/* ---- writing into --out ---- */

static void test_files(void **state) {
        (void)state;
        char *tmp = fx_new(), dir[4096], path[4200];
        vk_guest_file files[] = {{.name = "a.txt", .data = "one\n", .len = 4}, {.name = "b.txt", .data = "two", .len = 3}};
        vk_error err = {0};
        struct stat st;
        int fd;

        /* a dry run creates nothing */
        snprintf(dir, sizeof(dir), "%s/new/media", tmp);
        assert_int_equal(vk_guest_open_dir(dir, true, &fd, &err), 0);
        assert_int_equal(fd, -1);
        assert_int_equal(stat(dir, &st), -1);
        assert_int_equal(vk_guest_plan_files(fd, dir, files, 2, false, &err), 0);
        assert_int_equal(files[0].action, VK_GUEST_CREATE);

        assert_int_equal(vk_guest_open_dir(dir, false, &fd, &err), 0);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        assert_int_equal(vk_guest_plan_files(fd, dir, files, 2, false, &err), 0);
        assert_int_equal(vk_guest_write_files(fd, dir, files, 2, &err), 0);
        snprintf(path, sizeof(path), "%s/a.txt", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);

        /* identical: left alone */
        assert_int_equal(vk_guest_plan_files(fd, dir, files, 2, false, &err), 0);
        assert_int_equal(files[0].action, VK_GUEST_SAME);
        assert_int_equal(files[1].action, VK_GUEST_SAME);

        /* different: refused (exit 3) unless force */
        files[1].data = "TWO";
        assert_int_equal(vk_guest_plan_files(fd, dir, files, 2, false, &err), -EPERM);
        assert_true(err.refused);
        assert_non_null(strstr(err.msg, "b.txt exists with other content"));
        assert_int_equal(vk_guest_plan_files(fd, dir, files, 2, true, &err), 0);
        assert_int_equal(files[1].action, VK_GUEST_REPLACE);

        /* a symlink is never written through, even with force */
        fx_link(dir, "a.txt", "/etc/passwd");
        assert_int_equal(vk_guest_plan_files(fd, dir, files, 2, true, &err), -EPERM);
        assert_non_null(strstr(err.msg, "symbolic link"));
        close(fd);

        /* a path below a regular file */
        snprintf(dir, sizeof(dir), "%s/new/media/b.txt/sub", tmp);
        assert_int_equal(vk_guest_open_dir(dir, false, &fd, &err), -ENOTDIR);
        assert_non_null(strstr(err.msg, "choose a directory you own"));
        fx_remove(tmp);
}

static void test_iso_argv(void **state) {
        (void)state;
        vk_guest_file files[] = {{.name = "autounattend.xml"}, {.name = "README-guest.txt"}};
        vk_strv v = {0};

        assert_int_equal(vk_guest_iso_argv("/t/u.iso", "/t/out", files, 2, &v), 0);
        assert_int_equal(v.n, 12);
        assert_string_equal(v.v[0], "xorriso");
        assert_string_equal(v.v[8], "-o");
        assert_string_equal(v.v[9], "/t/u.iso");
        assert_string_equal(v.v[10], "/t/out/autounattend.xml");
        assert_null(v.v[12]);
        vk_strv_clear(&v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_autounattend_structure),
                cmocka_unit_test(test_autounattend_win10_and_bypass),
                cmocka_unit_test(test_user_names),
                cmocka_unit_test(test_locale_and_password),
                cmocka_unit_test(test_rdp_reg),
                cmocka_unit_test(test_vm_definition),
                cmocka_unit_test(test_vm_load_from_root),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_iso_argv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
