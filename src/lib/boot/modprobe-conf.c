/* modprobe-conf.c — read a root's modprobe.d the way kmod does: which files, in which order, and their commands.
 *
 * Why not libkmod: kmod_new(dirname, config_paths) does take the config directories as paths, but its public API
 * (kmod_config_get_options() and friends) hands back only "module → options" pairs, with no file name or line, so a
 * warning could not say which file and line fights vfiokit.conf; kmod_config_new() also always appends the options of
 * the running host's /proc/cmdline (kmod_config_parse_kcmdline), which is wrong for --root. So this is a small
 * parser that follows kmod's rules, as read in kmod's libkmod/libkmod-config.c (kmod_config_parse, conf_files_list,
 * conf_files_insert_sorted, conf_files_filter_out) and libkmod-util.c (getline_wrapped):
 *  - a backslash before a newline joins the next line; a backslash before any other byte is dropped, the byte kept;
 *  - a line whose FIRST byte is '#' is a comment (no inline comments: a '#' later is part of the line);
 *  - words are split on spaces and tabs only, so a CRLF file's '\r' stays in the last word ("vfio_pci\r");
 *  - the module name has '-' folded to '_' ("underscores"), so vfio-pci and vfio_pci are one module;
 *  - options/install/remove/softdep keep the rest of the line as one string; a missing part is a "bad line" kmod
 *    logs and ignores, as is an unknown command.
 * A NUL byte ends the C string kmod works on, so the rest of that logical line is ignored here as well. */
#define _GNU_SOURCE
#include "modprobe-conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void vk_mpd_lines_free(vk_mpd_line *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].command);
                free(v[i].module);
                free(v[i].args);
        }
        free(v);
}

static char *fold_underscores(const char *s) {
        char *r = strdup(s);
        for (char *p = r; p && *p; p++)
                if (*p == '-')
                        *p = '_';
        return r;
}

/* The next space- or tab-separated word of *p (kmod's strtok_r(…, "\t ")). */
static const char *next_word(const char **p, size_t *len) {
        const char *s = *p;
        while (*s == ' ' || *s == '\t')
                s++;
        if (!*s)
                return NULL;
        *len = strcspn(s, " \t");
        *p = s + *len;
        return s;
}

static int add_line(vk_mpd_line **v, size_t *n, size_t lineno, const char *line) {
        static const struct {
                const char *name;
                vk_mpd_cmd cmd;
                bool needs_args; /* kmod takes the rest of the line and calls it a bad line when there is none */
        } commands[] = {
                {"options", VK_MPD_OPTIONS, true},   {"blacklist", VK_MPD_BLACKLIST, false},
                {"install", VK_MPD_INSTALL, true},   {"softdep", VK_MPD_SOFTDEP, true},
                {"remove", VK_MPD_OTHER, true},      {"alias", VK_MPD_OTHER, true},
                {"weakdep", VK_MPD_OTHER, true},     {"include", VK_MPD_OTHER, false},
                {"config", VK_MPD_OTHER, false},
        };
        const char *p = line, *w, *m, *rest;
        size_t wl, ml;
        vk_mpd_line l = {.line = lineno, .cmd = VK_MPD_BAD};
        vk_mpd_line *nv;

        if (line[0] == '\0' || line[0] == '#')
                return 0;
        if (!(w = next_word(&p, &wl)))
                return 0;
        if (!(l.command = strndup(w, wl)))
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strlen(commands[i].name) != wl || memcmp(w, commands[i].name, wl) != 0)
                        continue;
                if (commands[i].cmd == VK_MPD_OTHER && !commands[i].needs_args) {
                        l.cmd = VK_MPD_OTHER; /* include/config: deprecated, kmod says so and reads nothing */
                        break;
                }
                m = next_word(&p, &ml);
                rest = p;
                while (*rest == ' ' || *rest == '\t')
                        rest++;
                if (!m || (commands[i].needs_args && !*rest))
                        break;
                _cleanup_free_ char *raw = strndup(m, ml);
                if (!raw || !(l.module = fold_underscores(raw)) || !(l.args = strdup(rest))) {
                        free(l.command), free(l.module);
                        return -ENOMEM;
                }
                /* "blacklist MOD extra": kmod reads only the module name */
                if (commands[i].cmd == VK_MPD_BLACKLIST)
                        l.args[0] = '\0';
                l.cmd = commands[i].cmd;
                break;
        }
        nv = realloc(*v, (*n + 1) * sizeof(*nv));
        if (!nv) {
                free(l.command), free(l.module), free(l.args);
                return -ENOMEM;
        }
        *v = nv;
        nv[(*n)++] = l;
        return 0;
}

int vk_modprobe_conf_parse(const char *text, size_t len, vk_mpd_line **ret, size_t *ret_n) {
        vk_mpd_line *v = NULL;
        size_t n = 0, lineno = 1, first = 1, used = 0;
        _cleanup_free_ char *buf = malloc(len + 1);
        int r = 0;

        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i <= len && r >= 0; i++) {
                if (i == len || text[i] == '\n') {
                        if (i == len && used == 0 && (len == 0 || text[len - 1] == '\n'))
                                break; /* no text after the last newline: no line */
                        buf[used] = '\0'; /* a NUL inside ends the string here too, as in kmod */
                        r = add_line(&v, &n, first, buf);
                        used = 0;
                        first = ++lineno;
                        continue;
                }
                if (text[i] == '\\' && i + 1 < len) {
                        if (text[++i] == '\n') {
                                lineno++;
                                continue;
                        }
                } else if (text[i] == '\\')
                        continue; /* a backslash at the very end: nothing follows to keep */
                buf[used++] = text[i];
        }
        if (r < 0) {
                vk_mpd_lines_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* modprobe.d(5): "Configuration files are read from directories in listed in SYNOPSYS in that order of
 * precedence. Once a file of a given filename is loaded, any file of the same name in subsequent directories is
 * ignored. All configuration files are sorted in lexicographic order, regardless of the directory they reside in."
 * kmod does this in conf_files_insert_sorted(): one list kept sorted by strcmp() of the file name, a name already in
 * it skipped ("Ignoring duplicate config file"); conf_files_filter_out() drops names starting with '.', names not
 * ending in ".conf" and directories. kmod up to 32 also read "*.alias" (the patch "rm-alias" removed it for 33);
 * Debian 12 and most installed systems run an older kmod, so those are read too. The directories are the
 * SYNOPSIS's, in its order. */
static const char *const modprobe_dirs[] = {"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
                                            "usr/lib/modprobe.d", "lib/modprobe.d"};

static int by_file_name(const void *a, const void *b) {
        const char *x = *(char *const *)a, *y = *(char *const *)b;
        return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

int vk_modprobe_conf_files(vk_host *h, vk_strv *ret) {
        vk_strv files = {0}, names = {0};
        int r = 0;

        for (size_t d = 0; d < ELEMENTSOF(modprobe_dirs) && r >= 0; d++) {
                vk_strv list = {0};
                if (vk_host_list_dir(h, modprobe_dirs[d], &list) < 0)
                        continue; /* a missing directory is the usual case */
                for (size_t i = 0; i < list.n && r >= 0; i++) {
                        const char *name = list.v[i];
                        size_t nl = strlen(name);
                        bool is_dir = false;
                        if (name[0] == '.' || nl < 6 ||
                            (strcmp(name + nl - 5, ".conf") != 0 && strcmp(name + nl - 6, ".alias") != 0) ||
                            vk_strv_contains(&names, name))
                                continue;
                        _cleanup_free_ char *path = vk_printf("%s/%s", modprobe_dirs[d], name);
                        if (!path) {
                                r = -ENOMEM;
                                break;
                        }
                        if (vk_host_stat(h, path, &is_dir) < 0 || is_dir)
                                continue;
                        if ((r = vk_strv_push(&names, name)) >= 0)
                                r = vk_strv_push_take(&files, TAKE_PTR(path));
                }
                vk_strv_clear(&list);
        }
        vk_strv_clear(&names);
        if (r < 0) {
                vk_strv_clear(&files);
                return r;
        }
        if (files.n > 1)
                qsort(files.v, files.n, sizeof(char *), by_file_name);
        *ret = files;
        return 0;
}

int vk_modprobe_param(const char *args, const char *key, char **ret_value, vk_strv *ret_others) {
        vk_strv others = {0};
        _cleanup_free_ char *value = NULL;
        size_t kl = strlen(key);
        const char *p = args;
        int r = 0;

        /* the kernel's next_arg(): words split on whitespace, a double quote keeps spaces inside one word */
        while (r >= 0) {
                bool quoted = false;
                const char *w;
                while (*p && isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                w = p;
                for (; *p && (quoted || !isspace((unsigned char)*p)); p++)
                        if (*p == '"')
                                quoted = !quoted;
                size_t wl = (size_t)(p - w);
                if (wl > kl && memcmp(w, key, kl) == 0 && w[kl] == '=') {
                        const char *v = w + kl + 1;
                        size_t vl = wl - kl - 1;
                        if (vl > 0 && v[0] == '"') /* the kernel drops the quotes around a value */
                                v++, vl--;
                        if (vl > 0 && v[vl - 1] == '"')
                                vl--;
                        free(value);
                        if (!(value = strndup(v, vl)))
                                r = -ENOMEM;
                } else {
                        char *o = strndup(w, wl);
                        r = o ? vk_strv_push_take(&others, o) : -ENOMEM;
                }
        }
        if (r < 0) {
                vk_strv_clear(&others);
                return r;
        }
        *ret_value = TAKE_PTR(value);
        if (ret_others)
                *ret_others = others;
        else
                vk_strv_clear(&others);
        return 0;
}
