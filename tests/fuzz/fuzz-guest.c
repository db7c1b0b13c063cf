/* fuzz-guest.c — libFuzzer target: guest media's reader of a VM's libvirt definition (vk_guest_vm_parse, libxml2
 * underneath) on arbitrary bytes, the README written from what it read, and the first line of the input as a
 * --user: accepted names must come back unchanged from the answer file. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "guest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                \
        do {                                                                    \
                if (!(x)) {                                                     \
                        fprintf(stderr, "fuzz-guest: check failed: %s\n", #x); \
                        __builtin_trap();                                       \
                }                                                               \
        } while (0)

/* Anything libxml2 says outside the library lands here: guest must restore the caller's handlers. */
static void caller_generic(void *ctx, const char *msg, ...) {
        (void)ctx;
        (void)msg;
}
static void caller_structured(void *ctx, xmlErrorPtr e) {
        (void)ctx;
        (void)e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        xmlSetGenericErrorFunc(NULL, caller_generic);
        xmlSetStructuredErrorFunc(NULL, caller_structured);
        atexit(xmlCleanupParser);
        return 0;
}

static void check_vm(const char *xml, size_t len) {
        vk_guest_opts o = {.vm = "fuzz", .user = "user", .password = "", .locale = "en-US"};
        vk_guest_vm vm;
        vk_error err = {0};
        char *readme = NULL;
        int r = vk_guest_vm_parse(xml, len, "/etc/libvirt/qemu/fuzz.xml", &vm, &err);

        CHECK(xmlStructuredError == caller_structured);
        if (r < 0) {
                CHECK(strncmp(err.msg, "/etc/libvirt/qemu/fuzz.xml", 26) == 0);
                for (const char *p = err.msg; *p; p++)
                        CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
                return;
        }
        CHECK(vm.found && vm.path);
        for (size_t i = 0; i < vm.n_hostdevs; i++)
                CHECK(vk_is_pci_addr(vm.hostdevs[i].addr));
        CHECK(!vm.free_cdrom[0] || (vm.free_cdrom[0] == 's' && vm.free_cdrom[1] == 'd' && !vm.free_cdrom[3]));
        CHECK(vk_guest_readme(&o, &vm, NULL, true, NULL, &readme) == 0 && readme);
        free(readme);
        vk_guest_vm_clear(&vm);
}

static void check_user(const char *line) {
        vk_guest_opts o = {.vm = "fuzz", .user = line, .password = line, .locale = "en-US", .os = VK_GUEST_WIN11};
        vk_error err = {0};
        char *xml = NULL;
        size_t len = 0;

        if (vk_guest_check_user(line, &err) < 0) {
                CHECK(vk_guest_autounattend(&o, &xml, &len, &err) < 0 && !xml);
                return;
        }
        if (vk_guest_check_password(line, &err) < 0)
                o.password = "";
        CHECK(vk_guest_autounattend(&o, &xml, &len, &err) == 0);
        xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
        CHECK(doc);
        /* the account's <Name> is the last element of the document holding text: find it and compare */
        xmlNodePtr n = xmlDocGetRootElement(doc);
        bool found = false;
        while (n) {
                if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "Name")) {
                        xmlChar *t = xmlNodeGetContent(n);
                        CHECK(t && strcmp((const char *)t, line) == 0);
                        xmlFree(t);
                        found = true;
                }
                if (n->children && n->type == XML_ELEMENT_NODE)
                        n = n->children;
                else {
                        while (n && !n->next)
                                n = n->parent && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
                        n = n ? n->next : NULL;
                }
        }
        CHECK(found);
        xmlFreeDoc(doc);
        free(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *buf = malloc(size + 1), *nl;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        check_vm(buf, size);
        nl = memchr(buf, '\n', size);
        if (nl)
                *nl = 0;
        if (strlen(buf) < 100)
                check_user(buf);
        free(buf);
        return 0;
}
