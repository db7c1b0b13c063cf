/* vm-define.c — `vm new --define`: hand the domain to libvirt through its API (never by running virsh).
 * libvirt-dev is optional at build time; without it --define says so and fails. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#ifdef HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

const bool vk_cli_have_libvirt = true;

/* libvirt prints each error to stderr by default; we report the last one once, ourselves */
static void quiet(void *data, virErrorPtr e) {
        (void)data;
        (void)e;
}

int vk_cli_vm_define(const char *uri, const char *xml, const char *file_hint, char ret_uuid[static 37]) {
        virConnectPtr conn;
        virDomainPtr dom;
        char uuid[VIR_UUID_STRING_BUFLEN];

        (void)file_hint;
        virSetErrorFunc(NULL, quiet);
        conn = virConnectOpen(uri);
        if (!conn) {
                vk_err("vm new --define: connecting to %s: %s", uri, virGetLastErrorMessage());
                return VK_EXIT_FAIL;
        }
        dom = virDomainDefineXML(conn, xml);
        if (!dom) {
                vk_err("vm new --define: libvirt (%s) refused the domain: %s", uri, virGetLastErrorMessage());
                virConnectClose(conn);
                return VK_EXIT_FAIL;
        }
        if (virDomainGetUUIDString(dom, uuid) < 0)
                snprintf(uuid, sizeof(uuid), "?");
        snprintf(ret_uuid, 37, "%s", uuid);
        virDomainFree(dom);
        virConnectClose(conn);
        return VK_EXIT_OK;
}

#else

const bool vk_cli_have_libvirt = false;

int vk_cli_vm_define(const char *uri, const char *xml, const char *file_hint, char ret_uuid[static 37]) {
        (void)uri;
        (void)xml;
        ret_uuid[0] = 0;
        vk_err("vm new --define: this vfiokit was built without libvirt (libvirt-dev); run: virsh define %s",
               file_hint ? file_hint : "FILE");
        return VK_EXIT_FAIL;
}

#endif
