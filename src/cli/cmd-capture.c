/* cmd-capture.c — `vfiokit capture -o FILE.tar`: a host snapshot that works as --root elsewhere. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../lib/atomicfile.h"
#include "../lib/capture.h"
#include "cli.h"

int cmd_capture(vk_cli *cli, int argc, char **argv) {
        vk_atomic a;
        size_t n = 0;
        int r;

        (void)argc;
        (void)argv;
        if (!cli->output) {
                vk_err("capture: say where to write the tar: vfiokit capture -o host.tar (or -o - for stdout)");
                return VK_EXIT_USAGE;
        }
        if (vk_streq(cli->output, "-")) {
                if (isatty(STDOUT_FILENO)) {
                        vk_err("capture: refusing to write a tar to a terminal; redirect it or use -o FILE");
                        return VK_EXIT_USAGE;
                }
                r = vk_capture_write(cli->host, STDOUT_FILENO, &n);
                if (r < 0)
                        return vk_err_errno(r, "capture");
                return VK_EXIT_OK;
        }
        r = vk_atomic_begin(cli->output, 0644, &a);
        if (r < 0)
                return vk_err_errno(r, cli->output);
        r = vk_capture_write(cli->host, a.fd, &n);
        if (r < 0) {
                vk_atomic_abort(&a);
                if (r == -ENOENT)
                        vk_err("capture: %s has no sys/bus/pci/devices; nothing written", cli->root);
                else
                        vk_err("capture: %s; nothing written to %s", strerror(-r), cli->output);
                return VK_EXIT_FAIL;
        }
        r = vk_atomic_commit(&a);
        if (r < 0)
                return vk_err_errno(r, cli->output);
        if (cli->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "output", json_object_new_string(cli->output));
                json_object_object_add(o, "entries", json_object_new_int64((int64_t)n));
                vk_print_json(o);
                json_object_put(o);
        } else
                printf("wrote %zu entries to %s; use it with: mkdir host && tar -xf %s -C host && vfiokit --root host "
                       "list --all\n",
                       n, cli->output, cli->output);
        return VK_EXIT_OK;
}
