/* report.h — derived views of the model: one GPU with its group, and the readiness checks of `status`. */
#pragma once

#include "model.h"

typedef struct vk_blocker {
        char addr[16];
        char *reason; /* "root disk controller (/ on /dev/nvme0n1p2)" */
} vk_blocker;

typedef struct vk_gpu {
        vk_func *func;
        vk_strv companions; /* other functions of the slot: HDMI audio, USB-C, UCSI */
        vk_strv others;     /* the rest of the group that would go with it (non-bridge) */
        vk_strv bridges;    /* bridges in the group: stay on the host */
        vk_blocker *blockers; /* members that make passthrough unsafe or impossible */
        size_t n_blockers;
} vk_gpu;

/* Every GPU (VGA, 3D, display class) in address order. */
int vk_gpus_list(const vk_model *m, vk_gpu **ret, size_t *ret_n);
int vk_gpu_analyze(const vk_model *m, vk_func *f, vk_gpu *ret);
void vk_gpu_clear(vk_gpu *g);
void vk_gpus_free(vk_gpu *g, size_t n);

typedef enum vk_result { VK_PASS, VK_WARN, VK_FAIL } vk_result;
const char *vk_result_name(vk_result r);

typedef struct vk_check {
        char *id;      /* "cpu-virt", "iommu", "gpu:0000:01:00.0" */
        vk_result result;
        char *message;
        char *fix;     /* NULL when nothing to do */
} vk_check;

int vk_status_run(const vk_model *m, vk_check **ret, size_t *ret_n);
void vk_checks_free(vk_check *c, size_t n);

/* Kernel command line, split as the kernel does (double quotes group spaces). */
typedef struct vk_cmdline_arg {
        char *key;
        char *value; /* NULL for a bare flag */
} vk_cmdline_arg;
int vk_cmdline_parse(const char *line, vk_cmdline_arg **ret, size_t *ret_n);
void vk_cmdline_free(vk_cmdline_arg *a, size_t n);
/* Value of the last KEY= (the kernel's "last one wins"); "-" and "_" equal in keys. */
const vk_cmdline_arg *vk_cmdline_find(const vk_cmdline_arg *a, size_t n, const char *key);
/* "-" and "_" are the same in parameter names. */
bool vk_cmdline_key_eq(const char *a, const char *b);
/* Where each argument lies in the line, for editors that must keep every other byte. */
typedef struct vk_cmdline_span {
        size_t start, end; /* line[start..end) */
        size_t eq;         /* offset of the first '=', SIZE_MAX when none */
} vk_cmdline_span;
int vk_cmdline_split(const char *line, size_t len, vk_cmdline_span **ret, size_t *ret_n);
/* The key and value of one span, the way vk_cmdline_parse() gives them. */
int vk_cmdline_arg_from_span(const char *line, const vk_cmdline_span *s, vk_cmdline_arg *ret);
