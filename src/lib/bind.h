/* bind.h — hand an IOMMU group to vfio-pci and back: whole groups, guarded, journaled, rolled back on failure. */
#pragma once

#include "journal.h"
#include "model.h"

typedef struct vk_move {
        char addr[16];
        char *before;   /* driver before, NULL when unbound */
        char *after;    /* driver after (or planned), NULL when unbound */
        bool changed;   /* a write was (or would be) made */
} vk_move;

typedef struct vk_moves {
        vk_move *v;
        size_t n;
        int group;      /* the IOMMU group, -1 for restore of several */
} vk_moves;

void vk_moves_clear(vk_moves *m);

typedef struct vk_bind_opts {
        bool dry_run;
        const vk_strv *force_host_devices; /* full addresses the user allowed despite being host-critical */
        int lock_timeout_ms;
} vk_bind_opts;

/* Move every non-bridge function of f's IOMMU group to vfio-pci. Refusals
 * (err->refused) and failures change nothing: a failure mid-way returns every
 * function already moved to its original driver and override. */
int vk_bind(vk_host *h, const vk_model *m, const vk_func *f, const vk_bind_opts *o, vk_moves *ret, vk_error *err);
/* Return f's group to what the journal recorded. */
int vk_unbind(vk_host *h, const vk_model *m, const vk_func *f, const vk_bind_opts *o, vk_moves *ret, vk_error *err);
/* Return everything in the journal. */
int vk_restore(vk_host *h, const vk_bind_opts *o, vk_moves *ret, vk_error *err);

/* Loading vfio-pci: through libkmod on the live system; inside a --root the driver must be there. */
int vk_ensure_vfio_pci(vk_host *h, bool dry_run, vk_error *err);

/* The current driver of addr from its `driver` link (NULL when unbound). */
int vk_read_driver(vk_host *h, const char *addr, char **ret);
