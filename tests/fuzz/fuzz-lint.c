/* fuzz-lint.c — libFuzzer target: `vm lint` (vk_vm_lint, libxml2 underneath) on arbitrary bytes as a domain XML,
 * once without a host and once against the desktop fixture host (GPU 01:00.0 + audio, host-critical devices). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "fixture.h"
#include "model.h"
#include "vm/lint.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                               \
        do {                                                                   \
                if (!(x)) {                                                    \
                        fprintf(stderr, "fuzz-lint: check failed: %s\n", #x); \
                        __builtin_trap();                                      \
                }                                                              \
        } while (0)

static char *root;
static vk_host *host;
static vk_model *model;

/* Anything libxml2 says outside vk_vm_lint lands here: lint must restore the caller's handlers. */
static void caller_generic(void *ctx, const char *msg, ...) {
        (void)ctx;
        (void)msg;
}
static void caller_structured(void *ctx, xmlErrorPtr e) {
        (void)ctx;
        (void)e;
}

static void cleanup(void) {
        vk_model_free(model);
        vk_host_free(host);
        fx_remove(root);
        xmlCleanupParser();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        root = fx_new();
        fx_desktop(root, "GenuineIntel", "quiet\n");
        CHECK(vk_host_new(root, &host) == 0);
        CHECK(vk_model_load(host, &model) == 0);
        xmlSetGenericErrorFunc(NULL, caller_generic);
        xmlSetStructuredErrorFunc(NULL, caller_structured);
        atexit(cleanup);
        return 0;
}

static const char *const needs_host[] = {"hostdev-missing", "hostdev-host-critical", "hostdev-bridge",
                                         "companion-missing", "group-incomplete"};

static void check_findings(const vk_findings *f, bool with_host) {
        bool malformed = false;

        for (size_t i = 0; i < f->n; i++) {
                const vk_finding *x = &f->v[i];
                CHECK(x->id && *x->id && x->message && *x->message);
                CHECK(x->severity <= VK_SEV_ERROR);
                CHECK(x->line >= 0 && x->column >= 0);
                CHECK(i == 0 || f->v[i - 1].line <= x->line);
                for (const char *p = x->message; *p; p++)
                        CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
                malformed |= strcmp(x->id, "xml-malformed") == 0 || strcmp(x->id, "not-a-domain") == 0;
                for (size_t j = 0; !with_host && j < sizeof(needs_host) / sizeof(needs_host[0]); j++)
                        CHECK(strcmp(x->id, needs_host[j]) != 0);
        }
        CHECK(!malformed || f->n == 1); /* a document that is not a domain gets that one finding only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        vk_findings without = {0}, with = {0};

        CHECK(vk_vm_lint("fuzz.xml", (const char *)data, size, NULL, &without) == 0);
        CHECK(vk_vm_lint("fuzz.xml", (const char *)data, size, model, &with) == 0);
        check_findings(&without, false);
        check_findings(&with, true);
        CHECK(xmlGenericError == caller_generic && xmlGenericErrorContext == NULL);
        CHECK(xmlStructuredError == caller_structured && xmlStructuredErrorContext == NULL);
        vk_findings_clear(&without);
        vk_findings_clear(&with);
        return 0;
}
