/* names.c — vendor, device and class names from pci.ids through libpci (never a hand-written parser). */
#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libpci reports a malformed pci.ids through a no-return error callback that
 * would exit(); jump back out instead and go on without names. */
static jmp_buf names_jmp;
static bool names_jmp_armed;

__attribute__((noreturn)) static void names_error(char *msg, ...) {
        (void)msg;
        if (names_jmp_armed)
                longjmp(names_jmp, 1);
        abort();
}

static void names_quiet(char *msg, ...) { (void)msg; }

static const char *const ids_paths[] = {
        "usr/share/misc/pci.ids",
        "usr/share/hwdata/pci.ids",
        "usr/share/pci.ids",
};

static char *lookup(struct pci_access *pacc, int flags, ...) {
        char buf[256];
        va_list ap;
        char *r;
        /* pci_lookup_name is variadic; forward the ids it needs */
        va_start(ap, flags);
        if (flags & PCI_LOOKUP_SUBSYSTEM) {
                int v = va_arg(ap, int), d = va_arg(ap, int), sv = va_arg(ap, int), sd = va_arg(ap, int);
                r = pci_lookup_name(pacc, buf, sizeof(buf), flags, v, d, sv, sd);
        } else if (flags & PCI_LOOKUP_DEVICE) {
                int v = va_arg(ap, int), d = va_arg(ap, int);
                r = pci_lookup_name(pacc, buf, sizeof(buf), flags, v, d);
        } else {
                int x = va_arg(ap, int);
                r = pci_lookup_name(pacc, buf, sizeof(buf), flags, x);
        }
        va_end(ap);
        return r ? strdup(r) : NULL;
}

int vk_names_fill(vk_model *m) {
        struct pci_access *pacc;
        _cleanup_close_ int fd = -1;
        char fdpath[64];
        const int base = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;

        /* the root's own pci.ids keeps output reproducible for a captured host */
        for (size_t i = 0; i < ELEMENTSOF(ids_paths) && fd < 0; i++)
                if (vk_host_open(m->host, ids_paths[i], O_RDONLY, &fd) < 0)
                        fd = -1;
        pacc = pci_alloc();
        if (!pacc)
                return 0; /* names are cosmetic */
        pacc->error = names_error;
        pacc->warning = names_quiet;
        pacc->debug = names_quiet;
        if (fd >= 0) {
                snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
                pci_set_name_list_path(pacc, fdpath, 0);
        }
        if (setjmp(names_jmp) == 0) {
                names_jmp_armed = true;
                for (size_t i = 0; i < m->n_funcs; i++) {
                        vk_func *f = &m->funcs[i];
                        if (!f->ids_valid)
                                continue;
                        f->vendor_name = lookup(pacc, base | PCI_LOOKUP_VENDOR, f->vendor);
                        f->device_name = lookup(pacc, base | PCI_LOOKUP_DEVICE, f->vendor, f->device);
                        f->class_name = lookup(pacc, base | PCI_LOOKUP_CLASS, (int)(f->class_code >> 8));
                        if (f->subsys_vendor)
                                f->subsys_name = lookup(pacc, base | PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR |
                                                                PCI_LOOKUP_DEVICE,
                                                        f->vendor, f->device, f->subsys_vendor, f->subsys_device);
                }
        } else {
                const char *p = fd >= 0 ? ids_paths[0] : "pci.ids";
                vk_model_add_problem(m, p, "malformed pci.ids; device names left out");
        }
        names_jmp_armed = false;
        /* pci_cleanup frees id_file_name only when libpci allocated it (fdpath was set with to_be_freed=0, but
         * a missing default "pci.ids.gz" is replaced by a malloc'ed "pci.ids"): never clear it, or that leaks */
        pci_cleanup(pacc);
        return 0;
}
