/* lint.h — check an existing libvirt domain XML for the mistakes that break GPU passthrough. */
#pragma once

#include "../model.h"

typedef enum vk_severity { VK_SEV_INFO, VK_SEV_WARN, VK_SEV_ERROR } vk_severity;

/* The finding ids (stable: tests and scripts match on them):
 *   the document  xml-malformed, not-a-domain
 *   hostdevs      address-invalid, hostdev-duplicate; with a model: hostdev-missing, hostdev-host-critical,
 *                 hostdev-bridge, companion-missing, group-incomplete
 *   layout        functions-split, machine-i440fx, firmware-bios, memballoon
 *   features      vendor-id-too-long, kvm-hidden-missing
 *   qemu          old-set-trick, sub-ids-hex, sub-ids-invalid, override-alias-unknown, qemu-namespace
 *   Windows 11    win11-no-tpm, win11-no-secureboot
 * Findings come sorted by line. */
typedef struct vk_finding {
        char *id;        /* stable short name, e.g. "machine-i440fx", "vendor-id-too-long", "xml-malformed" */
        vk_severity severity;
        int line, column; /* 1-based position in the file of the element concerned; 0 when unknown */
        char *message;   /* what is wrong */
        char *fix;       /* what to do, or NULL */
} vk_finding;

typedef struct vk_findings {
        vk_finding *v;
        size_t n;
} vk_findings;

/* Lint the domain XML in buf (len bytes; name is used in messages). m may be NULL
 * (then checks that need the host — addresses that do not exist, host-critical
 * devices — are skipped). A malformed document is a finding ("xml-malformed",
 * with line and column), not an error; errors are only -ENOMEM. */
int vk_vm_lint(const char *name, const char *buf, size_t len, const vk_model *m, vk_findings *ret);
void vk_findings_clear(vk_findings *f);
