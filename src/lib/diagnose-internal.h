/* diagnose-internal.h — what diagnose.c shares with diagnose-explain.c: the table entry and mutable views. */
#pragma once

#include <stdbool.h>

#include "diagnose.h"

typedef struct vk_diag_sig {
        const char *id;
        vk_log_source source;
        const char *needle; /* a literal every matching line contains (case-insensitive when icase) */
        bool icase;
        const char *regex;  /* POSIX extended */
        int dev_sub;        /* subexpression holding the PCI address, 0 for none */
        int num_sub;        /* subexpression holding a number (BAR, group, errno, bytes), 0 for none */
} vk_diag_sig;

vk_finding *vk_diag_findings_mut(vk_diag *d, size_t *ret_n);
/* Takes TEXT (NULL means out of memory). */
int vk_diag_advice_add(vk_diag *d, const char *device, char *text);
/* diagnose-explain.c: facts the symptom advice shares. *ret NULL when absent. */
int vk_diag_facts_battery(vk_host *h, char **ret);
int vk_diag_facts_kernel(vk_host *h, const vk_model *m, int *ret_major, char **ret_release);
/* Whether diagnose-explain.c has the cause and fix of signature ID. */
bool vk_diag_has_explainer(const char *id);
