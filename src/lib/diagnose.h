/* diagnose.h — known failure signatures of GPU passthrough in kernel, QEMU and libvirt logs, and their fixes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "host.h"
#include "model.h"
#include "util.h"

typedef enum vk_log_source {
        VK_LOG_KERNEL,
        VK_LOG_QEMU,
        VK_LOG_LIBVIRT,
} vk_log_source;
const char *vk_log_source_name(vk_log_source s);

/* Lines longer than this are matched on their first VK_DIAG_LINE_MAX bytes (and still count as one line). */
#define VK_DIAG_LINE_MAX 8192
/* Distinct findings kept; more are counted in vk_diag.dropped (a log of garbage cannot grow memory without end). */
#define VK_DIAG_FINDINGS_MAX 256

/* One signature seen in one input: every matching line of the same signature and device, grouped. */
typedef struct vk_finding {
        const char *id;       /* the signature's id ("bar-reserve") */
        vk_log_source source; /* of the first line */
        size_t input;         /* index into vk_diag.inputs */
        size_t count;         /* matching lines */
        size_t first_line, last_line; /* 1-based line numbers in the input */
        char *line;           /* the first matching line, as read (control bytes made '?') */
        char device[16];      /* PCI address named by the line, "" when none */
        long number;          /* BAR N, group N, -errno …; -1 when the line has none */
        char *cause;          /* filled by vk_diag_explain */
        char *fix;
} vk_finding;

/* Host-specific advice for a symptom the user saw inside the guest (Code 43, TDR, black screen). */
typedef struct vk_advice {
        char device[16];  /* the GPU it is about, "" when general */
        char *text;
} vk_advice;

typedef struct vk_diag_input {
        char *name;    /* "FILE", "-", "kernel log (/dev/kmsg)", "journal", "libvirt log of VM" */
        size_t lines;
        char *error;   /* why it could not be read (one line naming it and the fix), NULL when read */
} vk_diag_input;

typedef struct vk_diag vk_diag;

/* Compile the signature table (once per vk_diag). -ENOMEM, or -EINVAL for a bad regex (a bug). */
int vk_diag_new(vk_diag **ret);
vk_diag *vk_diag_free(vk_diag *d);
/* Forget every input, finding and advice; keep the compiled table (one vk_diag for many runs). */
void vk_diag_reset(vk_diag *d);
static inline void vk_diag_freep(vk_diag **d) { vk_diag_free(*d); }
#define _cleanup_diag_ _cleanup_(vk_diag_freep)

/* Start a new input; its index is returned in *ret_index. */
int vk_diag_input_add(vk_diag *d, const char *name, size_t *ret_index);
/* Record why an input could not be read (printf-style); it then counts as failed. */
int vk_diag_input_fail(vk_diag *d, size_t input, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Match one line (no newline needed, may hold any bytes) of an input; line numbers count from 1 per input. */
int vk_diag_feed_line(vk_diag *d, size_t input, const char *line, size_t len);
/* Match every line of a buffer (the last one may lack its newline). */
int vk_diag_feed(vk_diag *d, size_t input, const char *buf, size_t len);

/* Which signature matches LINE: its id, or NULL. For tests and the fuzz target. */
const char *vk_diag_match(vk_diag *d, const char *line, size_t len);
/* Every distinct signature id whose regex matches LINE (at most max into ret); returns how many. For the tests
 * that prove a real line matches exactly one signature. */
size_t vk_diag_match_all(vk_diag *d, const char *line, size_t len, const char **ret, size_t max);
/* Every signature id, in table order (NULL-terminated, static). */
const char *const *vk_diag_signature_ids(void);

/* Fill each finding's cause and fix for this host: model and host may be NULL (generic text). */
int vk_diag_explain(vk_diag *d, vk_host *h, const vk_model *m);
/* Advice for SYMPTOM ("code43", "tdr", "black-screen") on this host; -EINVAL for another word. */
int vk_diag_symptom(vk_diag *d, vk_host *h, const vk_model *m, const char *symptom);

const vk_finding *vk_diag_findings(const vk_diag *d, size_t *ret_n);
const vk_diag_input *vk_diag_inputs(const vk_diag *d, size_t *ret_n);
const vk_advice *vk_diag_advice(const vk_diag *d, size_t *ret_n);
/* Findings not kept because VK_DIAG_FINDINGS_MAX was reached. */
size_t vk_diag_dropped(const vk_diag *d);

/* diagnose-read.c: the inputs. Each adds one input and feeds it; a failure to read is recorded on the input
 * (vk_diag_input_fail) and returned as -errno; only -ENOMEM is fatal. */
/* A user's file, opened as they name it (not inside the root); "-" is standard input. */
int vk_diag_read_file(vk_diag *d, const char *path);
/* Read FD to its end, in bounded memory. */
int vk_diag_read_fd(vk_diag *d, size_t input, int fd);
/* The kernel log: /dev/kmsg (records, non-blocking), else klogctl(); with a --root, ROOT/var/log/dmesg. */
int vk_diag_read_kernel_log(vk_diag *d, vk_host *h);
/* The systemd journal (this boot on the live host; every entry under ROOT/var/log/journal with a --root),
 * through libsystemd when it can be loaded. */
int vk_diag_read_journal(vk_diag *d, vk_host *h);
/* libvirt's QEMU log of VM: ROOT/var/log/libvirt/qemu/VM.log. */
int vk_diag_read_libvirt(vk_diag *d, vk_host *h, const char *vm);
