/* ini.c — parse systemd-networkd / NetworkManager key files, evaluate networkd's [Match], read /etc/passwd. */
#define _GNU_SOURCE
#include "ini.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void vk_ini_clear(vk_ini *ini) {
        for (size_t i = 0; i < ini->n; i++) {
                free(ini->v[i].section);
                free(ini->v[i].key);
                free(ini->v[i].value);
        }
        free(ini->v);
        *ini = (vk_ini){0};
}

static char *trim(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = 0;
        return s;
}

static int add_entry(vk_ini *ini, const char *section, unsigned section_no, const char *key, const char *value,
                     unsigned line) {
        vk_ini_entry *v = realloc(ini->v, (ini->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        ini->v = v;
        v = &v[ini->n];
        *v = (vk_ini_entry){.section = strdup(section), .section_no = section_no, .key = strdup(key),
                            .value = strdup(value), .line = line};
        if (!v->section || !v->key || !v->value) {
                free(v->section);
                free(v->key);
                free(v->value);
                return -ENOMEM;
        }
        ini->n++;
        return 0;
}

int vk_ini_parse(const char *name, const char *text, size_t len, vk_ini *ret, vk_error *err) {
        _cleanup_free_ char *copy = NULL, *section = NULL;
        vk_ini ini = {0};
        unsigned lineno = 0, section_no = 0;
        char *p, *end;
        int r = 0;

        if (memchr(text, 0, len))
                return vk_error_set(err, -EINVAL, "%s: binary data (a NUL byte); expected a text key file", name);
        copy = strndup(text, len);
        if (!copy)
                return vk_error_set(err, -ENOMEM, "out of memory");
        for (p = copy; p && *p; p = end) {
                _cleanup_free_ char *joined = NULL;
                unsigned first = ++lineno;
                char *line, *eq;

                end = strchr(p, '\n');
                if (end)
                        *end++ = 0;
                /* a trailing backslash continues the line (systemd.syntax(7)); comments never continue */
                line = trim(p);
                if (*line != '#' && *line != ';')
                        while (*line && line[strlen(line) - 1] == '\\' && end) {
                                char *next = end, *more;
                                line[strlen(line) - 1] = ' ';
                                end = strchr(next, '\n');
                                if (end)
                                        *end++ = 0;
                                lineno++;
                                more = vk_printf("%s%s", line, trim(next));
                                if (!more) {
                                        r = vk_error_set(err, -ENOMEM, "out of memory");
                                        goto fail;
                                }
                                free(joined);
                                joined = more;
                                line = joined;
                        }
                line = trim(line); /* a continuation can leave leading blanks ("\\" alone on a line) */
                if (!*line || *line == '#' || *line == ';')
                        continue;
                if (*line == '[') {
                        char *close = strchr(line, ']');
                        if (!close || close[1] || close == line + 1) {
                                r = vk_error_set(err, -EINVAL, "%s:%u: '%s' is not a [Section] header", name, first,
                                                 line);
                                goto fail;
                        }
                        free(section);
                        section = strndup(line + 1, (size_t)(close - line - 1));
                        if (!section) {
                                r = vk_error_set(err, -ENOMEM, "out of memory");
                                goto fail;
                        }
                        section_no++;
                        continue;
                }
                if (!section && strchr(line, '=')) {
                        r = vk_error_set(err, -EINVAL, "%s:%u: '%s' comes before any [Section]", name, first, line);
                        goto fail;
                }
                eq = strchr(line, '=');
                if (eq)
                        *eq = 0;
                if (!eq || !*trim(line)) {
                        if (eq)
                                *eq = '=';
                        r = vk_error_set(err, -EINVAL, "%s:%u: '%s' is not Key=Value", name, first, line);
                        goto fail;
                }
                if (add_entry(&ini, section, section_no, trim(line), trim(eq + 1), first) < 0) {
                        r = vk_error_set(err, -ENOMEM, "out of memory");
                        goto fail;
                }
        }
        *ret = ini;
        return 0;
fail:
        vk_ini_clear(&ini);
        return r;
}

const char *vk_ini_get(const vk_ini *ini, const char *section, const char *key) {
        const char *v = NULL;
        for (size_t i = 0; i < ini->n; i++)
                if (vk_streq(ini->v[i].section, section) && vk_streq(ini->v[i].key, key))
                        v = ini->v[i].value;
        return v;
}

/* A networkd match list: whitespace-separated globs, all negated by a leading '!'; an empty
 * assignment resets the list. VALUE NULL (unknown fact) matches nothing, as networkd does. */
static bool list_matches(const char *list, const char *value, bool casefold) {
        _cleanup_free_ char *copy = NULL;
        bool negate = false, hit = false;
        char *save = NULL;

        if (*list == '!') {
                negate = true;
                list++;
        }
        copy = strdup(list);
        if (!copy)
                return false;
        for (char *t = strtok_r(copy, " \t", &save); t && value; t = strtok_r(NULL, " \t", &save))
                if (fnmatch(t, value, casefold ? FNM_CASEFOLD : 0) == 0)
                        hit = true;
        return negate ? !hit : hit;
}

bool vk_networkd_match(const vk_ini *ini, const vk_net_iface *ifc, const char **ret_unsure) {
        static const struct {
                const char *key;
                size_t offset;
                bool casefold;
        } known[] = {
                {"Name", offsetof(vk_net_iface, name), false},
                {"OriginalName", offsetof(vk_net_iface, name), false},
                {"MACAddress", offsetof(vk_net_iface, mac), true},
                {"PermanentMACAddress", offsetof(vk_net_iface, mac), true},
                {"Driver", offsetof(vk_net_iface, driver), false},
                {"Type", offsetof(vk_net_iface, type), false},
        };
        if (ret_unsure)
                *ret_unsure = NULL;
        for (size_t k = 0; k < ELEMENTSOF(known); k++) {
                const char *list = NULL;
                /* the lists of one key accumulate; "" resets; only the joined list is tested */
                _cleanup_free_ char *joined = NULL;
                for (size_t i = 0; i < ini->n; i++) {
                        if (!vk_streq(ini->v[i].section, "Match") || !vk_streq(ini->v[i].key, known[k].key))
                                continue;
                        if (!*ini->v[i].value) {
                                free(joined);
                                joined = NULL;
                                continue;
                        }
                        char *more = joined ? vk_printf("%s %s", joined, ini->v[i].value) : strdup(ini->v[i].value);
                        if (!more)
                                return false;
                        free(joined);
                        joined = more;
                }
                list = joined;
                if (list && !list_matches(list, *(const char *const *)((const char *)ifc + known[k].offset),
                                          known[k].casefold))
                        return false;
        }
        for (size_t i = 0; i < ini->n; i++) {
                bool is_known = false;
                if (!vk_streq(ini->v[i].section, "Match"))
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(known); k++)
                        is_known |= vk_streq(ini->v[i].key, known[k].key);
                if (!is_known && ret_unsure && !*ret_unsure)
                        *ret_unsure = ini->v[i].key;
        }
        return true;
}

int vk_passwd_find(const char *name, const char *text, size_t len, const char *user, unsigned *ret_uid,
                   vk_error *err) {
        unsigned lineno = 0;

        if (memchr(text, 0, len))
                return vk_error_set(err, -EINVAL, "%s: binary data (a NUL byte); expected passwd(5) lines", name);
        for (const char *p = text, *end; p < text + len; p = end + 1) {
                char login[256];
                unsigned uid;
                size_t n;

                end = memchr(p, '\n', (size_t)(text + len - p));
                if (!end)
                        end = text + len;
                lineno++;
                n = (size_t)(end - p);
                if (n == 0 || *p == '#' || *p == '+' || *p == '-') /* NIS compat lines name no local user */
                        continue;
                const char *c1 = memchr(p, ':', n);
                if (!c1 || (size_t)(c1 - p) >= sizeof(login))
                        return vk_error_set(err, -EINVAL, "%s:%u: not a passwd(5) line (name:x:uid:gid:...)", name,
                                            lineno);
                memcpy(login, p, (size_t)(c1 - p));
                login[c1 - p] = 0;
                const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
                const char *c3 = c2 ? memchr(c2 + 1, ':', (size_t)(end - c2 - 1)) : NULL;
                char field[16];
                int v;
                /* The line is not NUL-terminated: copy the uid field out before parsing it. */
                if (!c3 || (size_t)(c3 - c2 - 1) >= sizeof(field))
                        return vk_error_set(err, -EINVAL, "%s:%u: not a passwd(5) line (name:x:uid:gid:...)", name,
                                            lineno);
                memcpy(field, c2 + 1, (size_t)(c3 - c2 - 1));
                field[c3 - c2 - 1] = 0;
                if (vk_parse_uint(field, &v) < 0)
                        return vk_error_set(err, -EINVAL, "%s:%u: uid \"%s\" is not a number", name, lineno, field);
                uid = (unsigned)v;
                if (vk_streq(login, user)) {
                        *ret_uid = uid;
                        return 0;
                }
                if (end == text + len)
                        break;
        }
        return -ENOENT;
}
