/* cmd-status.c — `vfiokit status`: the readiness doctor. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cli.h"

static void render_text(vk_cli *cli, json_object *o) {
        json_object *host = vk_jo(o, "host"), *checks = vk_jo(o, "checks"), *sum = vk_jo(o, "summary");
        size_t n = json_object_array_length(checks);
        int width = 8;

        printf("%s%s%s", vk_color(cli, "bold"), vk_js(host, "os") ? vk_js(host, "os") : "unknown OS",
               vk_color(cli, "reset"));
        if (vk_js(host, "kernel"))
                printf(" · kernel %s", vk_js(host, "kernel"));
        if (vk_js(host, "cpu"))
                printf(" · %s", vk_js(host, "cpu"));
        printf("\n\n");
        for (size_t i = 0; i < n; i++) {
                int l = (int)strlen(vk_js(json_object_array_get_idx(checks, i), "id"));
                if (l > width && l <= 26)
                        width = l;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(checks, i);
                const char *res = vk_js(c, "result");
                const char *col = vk_streq(res, "pass") ? "green" : vk_streq(res, "warn") ? "yellow" : "red";

                printf("  %s%-4s%s  %-*s  %s\n", vk_color(cli, col), res, vk_color(cli, "reset"), width,
                       vk_js(c, "id"), vk_js(c, "message"));
                if (vk_js(c, "fix"))
                        printf("        %-*s  %sfix:%s %s\n", width, "", vk_color(cli, "bold"), vk_color(cli, "reset"),
                               vk_js(c, "fix"));
        }
        printf("\n%zu checks: %d pass, %d warn, %d fail\n", n, vk_ji(sum, "pass", 0), vk_ji(sum, "warn", 0),
               vk_ji(sum, "fail", 0));
}

int cmd_status(vk_cli *cli, int argc, char **argv) {
        _cleanup_model_ vk_model *m = NULL;
        vk_check *checks = NULL;
        size_t n = 0;
        json_object *o;
        int r, fails;

        (void)argc;
        (void)argv;
        r = vk_cli_load(cli, &m);
        if (r)
                return r;
        r = vk_status_run(m, &checks, &n);
        if (r < 0)
                return vk_err_errno(r, "running the checks");
        o = vk_json_checks(m, checks, n);
        vk_checks_free(checks, n);
        if (!o)
                return vk_err_errno(-ENOMEM, "status");
        fails = vk_ji(vk_jo(o, "summary"), "fail", 0);
        if (cli->json)
                vk_print_json(o);
        else
                render_text(cli, o);
        json_object_put(o);
        return fails ? VK_EXIT_FAIL : VK_EXIT_OK;
}
