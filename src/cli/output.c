/* output.c — error lines, colour, JSON printing and the model loading every command starts with. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "load.h"

void vk_err(const char *fmt, ...) {
        va_list ap;

        fflush(stdout);
        fputs("vfiokit: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int vk_err_errno(int r, const char *what) {
        vk_err("%s: %s", what, strerror(-r));
        return VK_EXIT_FAIL;
}

void vk_print_json(json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *vk_color(const vk_cli *cli, const char *which) {
        static const struct {
                const char *name, *seq;
        } table[] = {
                {"red", "\033[31m"}, {"yellow", "\033[33m"}, {"green", "\033[32m"},
                {"bold", "\033[1m"}, {"dim", "\033[2m"},     {"reset", "\033[0m"},
        };
        if (!cli->color)
                return "";
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (vk_streq(table[i].name, which))
                        return table[i].seq;
        return "";
}

int vk_cli_load(vk_cli *cli, vk_model **ret) { return vk_cli_load_flags(cli, 0, ret); }

int vk_cli_load_flags(vk_cli *cli, unsigned flags, vk_model **ret) {
        int r = vk_model_load_flags(cli->host, flags, ret);

        if (r == -ENOENT || r == -ENOTDIR) {
                vk_err("%s%ssys/bus/pci/devices: %s; is sysfs mounted%s?", cli->root,
                       cli->root[strlen(cli->root) - 1] == '/' ? "" : "/", strerror(-r),
                       vk_streq(cli->root, "/") ? "" : ", and is --root a host tree (see examples/hosts)");
                return VK_EXIT_FAIL;
        }
        if (r < 0)
                return vk_err_errno(r, "reading the host");
        return 0;
}

int vk_cli_resolve(const vk_model *m, const char *name, vk_func **ret) {
        vk_strv matches = {0};
        int r = vk_model_resolve(m, name, ret, &matches);

        if (r == -ENOTUNIQ) {
                vk_err("%s matches %zu functions; name one by address:", name, matches.n);
                for (size_t i = 0; i < matches.n; i++)
                        fprintf(stderr, "  %s\n", matches.v[i]);
                vk_strv_clear(&matches);
                return VK_EXIT_USAGE;
        }
        if (r == -EINVAL) {
                vk_err("'%s' is not a device name: use a PCI address (0000:01:00.0 or 01:00.0) or vendor:device "
                       "(10de:2484)",
                       name);
                return VK_EXIT_USAGE;
        }
        if (r < 0) {
                size_t n = 0;
                vk_err("no PCI function %s on this host; the GPUs are:", name);
                for (size_t i = 0; i < m->n_funcs; i++)
                        if (vk_func_is_gpu(&m->funcs[i])) {
                                const vk_func *f = &m->funcs[i];
                                fprintf(stderr, "  %s [%04x:%04x] %s\n", f->addr, f->vendor, f->device,
                                        f->device_name ? f->device_name : "");
                                n++;
                        }
                if (!n)
                        fprintf(stderr, "  (none; 'vfiokit list --all' shows every function)\n");
                return VK_EXIT_FAIL;
        }
        return 0;
}

const char *vk_js(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return json_object_get_string(v);
}

int vk_ji(json_object *o, const char *key, int def) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_int(v);
}

bool vk_jb(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

json_object *vk_jo(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}
