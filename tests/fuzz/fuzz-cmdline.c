/* fuzz-cmdline.c — libFuzzer target: the kernel command-line tokenizer and its last-one-wins look-up on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keys status.c asks for, spelled both ways the kernel accepts. */
static const char *const keys[] = {
        "intel_iommu", "amd_iommu", "iommu", "pcie_acs_override", "vfio_pci.ids", "vfio-pci.ids", "", "=",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *line = malloc(size + 1);
        vk_cmdline_arg *args = NULL;
        size_t n = 0;

        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = 0;

        if (vk_cmdline_parse(line, &args, &n) < 0)
                __builtin_trap(); /* only -ENOMEM is possible, and libFuzzer's malloc limit aborts first */
        for (size_t i = 0; i < n; i++)
                if (!args[i].key)
                        __builtin_trap();
        /* the last argument always wins its own look-up; an earlier one finds itself or a later one */
        if (n > 0 && vk_cmdline_find(args, n, args[n - 1].key) != &args[n - 1])
                __builtin_trap();
        for (size_t i = 0; i < n && i < 64; i++) {
                const vk_cmdline_arg *a = vk_cmdline_find(args, n, args[i].key);
                if (!a || a < &args[i])
                        __builtin_trap();
        }
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                const vk_cmdline_arg *a = vk_cmdline_find(args, n, keys[i]);
                if (a && (a < args || a >= args + n))
                        __builtin_trap();
        }
        vk_cmdline_free(args, n);

        /* a NULL line is the empty command line (proc/cmdline unreadable) */
        if (vk_cmdline_parse(NULL, &args, &n) < 0 || n != 0)
                __builtin_trap();
        vk_cmdline_free(args, n);
        free(line);
        return 0;
}
