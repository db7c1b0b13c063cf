/* diagnose.c — the signature table (extended regexes compiled once) and the matcher that groups log lines into findings. */
#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "diagnose-internal.h"

/* A PCI address as logs spell it: 0000:01:00.0, 01:00.0, 0x00:0x02.0 (newer DMAR); normalized in C. */
#define DEV "([0-9a-fA-Fx]+:[0-9a-fA-Fx:]+\\.[0-7])"

/* Order matters only when two entries could match one line: the first wins. Each entry's needle is a literal
 * that every matching line contains, so that the regex runs only on the few lines that could match. Example
 * lines (with their sources) are in tests/unit/test-diagnose.c. */
static const vk_diag_sig sigs[] = {
        {"bar-reserve", VK_LOG_KERNEL, "can't reserve", false,
         "vfio-pci " DEV ": BAR ([0-9]+)( \\[[^]]*\\])?: can't reserve", 1, 2},
        {"vfio-region-busy", VK_LOG_QEMU, "vfio_region_", false,
         "vfio_region_(write|read)\\(" DEV ":region([0-9]+)[^)]*\\) failed: Device or resource busy", 2, 3},
        {"group-not-viable", VK_LOG_QEMU, "is not viable", true,
         "(" DEV "[: ]+(VFIO )?)?group ([0-9]+ )?is not viable", 2, 4},
        {"group-not-viable", VK_LOG_QEMU, "Please ensure all devices", false,
         "Please ensure all devices within the iommu_group are bound to their vfio bus driver", 0, 0},
        {"no-interrupt-remapping", VK_LOG_QEMU, "iommu for container", true,
         "(host=" DEV ".*)?failed to set iommu for container: Operation not permitted", 2, 0},
        {"no-interrupt-remapping", VK_LOG_KERNEL, "No interrupt remapping support", false,
         "vfio_iommu_type1_attach_group: No interrupt remapping support", 0, 0},
        {"memlock", VK_LOG_QEMU, "VFIO_MAP_DMA", false,
         "(host=" DEV ".*)?VFIO_MAP_DMA( failed)?: (Cannot allocate memory|-12)", 2, 0},
        {"memlock", VK_LOG_KERNEL, "RLIMIT_MEMLOCK", false, "RLIMIT_MEMLOCK \\(([0-9]+)\\) exceeded", 0, 1},
        {"no-reset", VK_LOG_QEMU, "no available reset mechanism", false,
         "Cannot reset device " DEV "(, depends on group [0-9]+)?, no available reset mechanism", 1, 0},
        {"header-127", VK_LOG_LIBVIRT, "Unknown PCI header type", false,
         "Unknown PCI header type '127'( for device '" DEV "')?", 2, 0},
        {"power-d3", VK_LOG_KERNEL, "power state", false,
         DEV ": (Refused to change power state, currently in D3|"
             "Unable to change power state from D3cold to D0, device inaccessible)",
         1, 0},
        {"iommu-fault", VK_LOG_KERNEL, "DMAR: [DMA ", false,
         "DMAR: \\[DMA (Read|Write)( NO_PASID)?\\] Request device \\[" DEV "\\]", 3, 0},
        {"iommu-fault", VK_LOG_KERNEL, "IO_PAGE_FAULT device=", false, "IO_PAGE_FAULT device=" DEV, 1, 0},
        {"iommu-fault", VK_LOG_KERNEL, "AMD-Vi: Event logged [IO_PAGE_FAULT", false,
         "(" DEV ": )?AMD-Vi: Event logged \\[IO_PAGE_FAULT", 2, 0},
        {"probe-failed", VK_LOG_KERNEL, "failed with error -", false,
         "vfio-pci: probe of " DEV " failed with error -(22|16)", 1, 2},
        {"probe-failed", VK_LOG_KERNEL, "failed with error -", false,
         "vfio-pci " DEV ": probe with driver vfio-pci failed with error -(22|16)", 1, 2},
        {"msr-unhandled", VK_LOG_KERNEL, "nhandled ", true, "kvm.*vcpu[0-9]+.*unhandled (rdmsr|wrmsr)", 0, 0},
        {"msr-ignored", VK_LOG_KERNEL, "ignored ", false, "kvm.*vcpu[0-9]+.*ignored (rdmsr|wrmsr)", 0, 0},
};

static const char *const sig_ids[] = {
        "bar-reserve", "vfio-region-busy", "group-not-viable", "no-interrupt-remapping", "memlock", "no-reset",
        "header-127", "power-d3", "iommu-fault", "probe-failed", "msr-unhandled", "msr-ignored", NULL,
};

struct vk_diag {
        regex_t re[ELEMENTSOF(sigs)];
        size_t n_compiled;
        vk_diag_input *inputs;
        size_t n_inputs;
        vk_finding *findings;
        size_t n_findings;
        vk_advice *advice;
        size_t n_advice;
        size_t dropped;
        char line[VK_DIAG_LINE_MAX + 1];
};

const char *vk_log_source_name(vk_log_source s) {
        switch (s) {
        case VK_LOG_KERNEL:
                return "kernel";
        case VK_LOG_QEMU:
                return "qemu";
        case VK_LOG_LIBVIRT:
                return "libvirt";
        }
        return "?";
}

const char *const *vk_diag_signature_ids(void) { return sig_ids; }

int vk_diag_new(vk_diag **ret) {
        vk_diag *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                int r = regcomp(&d->re[i], sigs[i].regex, REG_EXTENDED | (sigs[i].icase ? REG_ICASE : 0));
                if (r != 0) {
                        vk_diag_free(d);
                        return r == REG_ESPACE ? -ENOMEM : -EINVAL;
                }
                d->n_compiled++;
        }
        *ret = d;
        return 0;
}

void vk_diag_reset(vk_diag *d) {
        for (size_t i = 0; i < d->n_inputs; i++) {
                free(d->inputs[i].name);
                free(d->inputs[i].error);
        }
        free(d->inputs);
        for (size_t i = 0; i < d->n_findings; i++) {
                free(d->findings[i].line);
                free(d->findings[i].cause);
                free(d->findings[i].fix);
        }
        free(d->findings);
        for (size_t i = 0; i < d->n_advice; i++)
                free(d->advice[i].text);
        free(d->advice);
        d->inputs = NULL;
        d->findings = NULL;
        d->advice = NULL;
        d->n_inputs = d->n_findings = d->n_advice = d->dropped = 0;
}

vk_diag *vk_diag_free(vk_diag *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_compiled; i++)
                regfree(&d->re[i]);
        vk_diag_reset(d);
        free(d);
        return NULL;
}

int vk_diag_input_add(vk_diag *d, const char *name, size_t *ret_index) {
        vk_diag_input *n = realloc(d->inputs, (d->n_inputs + 1) * sizeof(*n));

        if (!n)
                return -ENOMEM;
        d->inputs = n;
        n[d->n_inputs] = (vk_diag_input){.name = strdup(name)};
        if (!n[d->n_inputs].name)
                return -ENOMEM;
        *ret_index = d->n_inputs++;
        return 0;
}

int vk_diag_input_fail(vk_diag *d, size_t input, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        if (input >= d->n_inputs)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return -ENOMEM;
        free(d->inputs[input].error);
        d->inputs[input].error = s;
        return 0;
}

/* "0x00:0x02.0" → "0000:00:02.0"; "01:00.0" → "0000:01:00.0"; anything else → "". */
static void normalize_addr(const char *s, size_t len, char out[16]) {
        char buf[32];
        size_t k = 0;

        out[0] = 0;
        for (size_t i = 0; i < len && k < sizeof(buf) - 1; i++) {
                if (s[i] == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                        i++;
                        continue;
                }
                buf[k++] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
        }
        buf[k] = 0;
        if (k == 7)
                snprintf(out, 16, "0000:%s", buf);
        else if (k == 12)
                snprintf(out, 16, "%s", buf);
        if (!vk_is_pci_addr(out))
                out[0] = 0;
}

/* The signature entry LINE (NUL-terminated) matches, or -1; the device and number it names. */
static int match_entry(vk_diag *d, const char *line, char dev[16], long *num) {
        regmatch_t pm[8];

        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                const vk_diag_sig *s = &sigs[i];
                if (!(s->icase ? strcasestr(line, s->needle) : strstr(line, s->needle)))
                        continue;
                if (regexec(&d->re[i], line, ELEMENTSOF(pm), pm, 0) != 0)
                        continue;
                dev[0] = 0;
                *num = -1;
                if (s->dev_sub > 0 && pm[s->dev_sub].rm_so >= 0)
                        normalize_addr(line + pm[s->dev_sub].rm_so, (size_t)(pm[s->dev_sub].rm_eo - pm[s->dev_sub].rm_so),
                                       dev);
                if (s->num_sub > 0 && pm[s->num_sub].rm_so >= 0) {
                        char *end;
                        long v = strtol(line + pm[s->num_sub].rm_so, &end, 10);
                        if (end > line + pm[s->num_sub].rm_so)
                                *num = v;
                }
                return (int)i;
        }
        return -1;
}

/* Copy at most VK_DIAG_LINE_MAX bytes of a line into d->line: no newline or CR at the end, control bytes
 * (NUL included) made '?', so that the matcher and the terminal see plain text. */
static const char *take_line(vk_diag *d, const char *s, size_t len) {
        if (len > VK_DIAG_LINE_MAX)
                len = VK_DIAG_LINE_MAX;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
                len--;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                d->line[i] = (char)(c < 0x20 && c != '\t' ? '?' : c == 0x7f ? '?' : c);
        }
        d->line[len] = 0;
        return d->line;
}

const char *vk_diag_match(vk_diag *d, const char *line, size_t len) {
        char dev[16];
        long num;
        int i = match_entry(d, take_line(d, line, len), dev, &num);

        return i < 0 ? NULL : sigs[i].id;
}

size_t vk_diag_match_all(vk_diag *d, const char *line, size_t len, const char **ret, size_t max) {
        const char *text = take_line(d, line, len);
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                bool seen = false;
                if (regexec(&d->re[i], text, 0, NULL, 0) != 0)
                        continue;
                for (size_t k = 0; k < n && k < max; k++)
                        seen = seen || vk_streq(ret[k], sigs[i].id);
                if (seen)
                        continue;
                if (n < max)
                        ret[n] = sigs[i].id;
                n++;
        }
        return n;
}

/* The finding this hit belongs to: same signature and input, and the same device; a line that names no device
 * (QEMU's "Please ensure all devices…" after "group N is not viable") joins the last finding of its signature. */
static vk_finding *find_group(vk_diag *d, const char *id, size_t input, const char *dev) {
        for (size_t i = d->n_findings; i > 0; i--) {
                vk_finding *f = &d->findings[i - 1];
                if (f->input == input && vk_streq(f->id, id) && (!*dev || vk_streq(f->device, dev)))
                        return f;
        }
        return NULL;
}

int vk_diag_feed_line(vk_diag *d, size_t input, const char *line, size_t len) {
        const char *text;
        char dev[16];
        long num;
        size_t no;
        int i;

        if (input >= d->n_inputs)
                return -EINVAL;
        no = ++d->inputs[input].lines;
        text = take_line(d, line, len);
        i = match_entry(d, text, dev, &num);
        if (i < 0)
                return 0;

        vk_finding *f = find_group(d, sigs[i].id, input, dev);
        if (f) {
                f->count++;
                f->last_line = no;
                if (!*f->device && *dev)
                        memcpy(f->device, dev, sizeof(f->device));
                if (f->number < 0)
                        f->number = num;
                return 0;
        }
        if (d->n_findings >= VK_DIAG_FINDINGS_MAX) {
                d->dropped++;
                return 0;
        }
        vk_finding *n = realloc(d->findings, (d->n_findings + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        d->findings = n;
        f = &n[d->n_findings];
        *f = (vk_finding){.id = sigs[i].id, .source = sigs[i].source, .input = input, .count = 1,
                          .first_line = no, .last_line = no, .line = strdup(text), .number = num};
        if (!f->line)
                return -ENOMEM;
        memcpy(f->device, dev, sizeof(f->device));
        d->n_findings++;
        return 0;
}

int vk_diag_feed(vk_diag *d, size_t input, const char *buf, size_t len) {
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len);
                size_t n = nl ? (size_t)(nl - buf) + 1 : len;
                int r = vk_diag_feed_line(d, input, buf, n);
                if (r < 0)
                        return r;
                buf += n;
                len -= n;
        }
        return 0;
}

const vk_finding *vk_diag_findings(const vk_diag *d, size_t *ret_n) {
        *ret_n = d->n_findings;
        return d->findings;
}

const vk_diag_input *vk_diag_inputs(const vk_diag *d, size_t *ret_n) {
        *ret_n = d->n_inputs;
        return d->inputs;
}

const vk_advice *vk_diag_advice(const vk_diag *d, size_t *ret_n) {
        *ret_n = d->n_advice;
        return d->advice;
}

size_t vk_diag_dropped(const vk_diag *d) { return d->dropped; }

vk_finding *vk_diag_findings_mut(vk_diag *d, size_t *ret_n) {
        *ret_n = d->n_findings;
        return d->findings;
}

int vk_diag_advice_add(vk_diag *d, const char *device, char *text) {
        vk_advice *n;

        if (!text)
                return -ENOMEM;
        n = realloc(d->advice, (d->n_advice + 1) * sizeof(*n));
        if (!n) {
                free(text);
                return -ENOMEM;
        }
        d->advice = n;
        n[d->n_advice] = (vk_advice){.text = text};
        snprintf(n[d->n_advice].device, sizeof(n[d->n_advice].device), "%s", device ? device : "");
        d->n_advice++;
        return 0;
}
