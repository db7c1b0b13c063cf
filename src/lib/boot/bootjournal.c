/* bootjournal.c — reading and writing the boot journal (json-c); the originals are kept as exact bytes. */
#define _GNU_SOURCE
#include "bootjournal.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

void vk_bj_clear(vk_boot_journal *j) {
        free(j->created);
        vk_strv_clear(&j->devices);
        vk_strv_clear(&j->functions);
        vk_strv_clear(&j->kargs_add);
        vk_strv_clear(&j->kargs_remove);
        for (size_t i = 0; i < j->n_files; i++) {
                free(j->files[i].path);
                free(j->files[i].original);
        }
        free(j->files);
        vk_strv_clear(&j->dirs_created);
        for (size_t i = 0; i < j->n_cmds; i++)
                vk_boot_cmd_clear(&j->cmds[i]);
        free(j->cmds);
        for (size_t i = 0; i < j->n_undo; i++)
                vk_boot_cmd_clear(&j->undo[i]);
        free(j->undo);
        *j = (vk_boot_journal){0};
}

vk_bj_file *vk_bj_find(const vk_boot_journal *j, const char *path) {
        for (size_t i = 0; i < j->n_files; i++)
                if (vk_streq(j->files[i].path, path))
                        return &j->files[i];
        return NULL;
}

int vk_bj_add_file(vk_boot_journal *j, const char *path, bool absent, const char *original, size_t len, unsigned mode,
                   bool backup_made) {
        vk_bj_file *v = realloc(j->files, (j->n_files + 1) * sizeof(*v)), *f;
        if (!v)
                return -ENOMEM;
        j->files = v;
        f = &v[j->n_files];
        *f = (vk_bj_file){.absent = absent, .original_len = absent ? 0 : len, .mode = mode, .backup_made = backup_made};
        f->path = strdup(path);
        f->original = absent ? NULL : malloc(len + 1);
        if (!f->path || (!absent && !f->original)) {
                free(f->path);
                free(f->original);
                return -ENOMEM;
        }
        if (!absent) {
                memcpy(f->original, original, len);
                f->original[len] = 0;
        }
        j->n_files++;
        return 0;
}

static bool argv_eq(const vk_strv *a, const vk_strv *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!vk_streq(a->v[i], b->v[i]))
                        return false;
        return true;
}

int vk_bj_add_cmd(vk_boot_cmd **v, size_t *n, const vk_boot_cmd *c) {
        _cleanup_free_ const char **argv = NULL;

        for (size_t i = 0; i < *n; i++)
                if (argv_eq(&(*v)[i].argv, &c->argv))
                        return 0;
        argv = calloc(c->argv.n + 1, sizeof(*argv));
        if (!argv)
                return -ENOMEM;
        for (size_t i = 0; i < c->argv.n; i++)
                argv[i] = c->argv.v[i];
        return vk_boot_cmd_add(v, n, c->why, argv);
}

json_object *vk_bj_strv_json(const vk_strv *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->v[i]));
        return a;
}

json_object *vk_bj_cmds_json(const vk_boot_cmd *c, size_t n) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "argv", vk_bj_strv_json(&c[i].argv));
                json_object_object_add(o, "why", c[i].why ? json_object_new_string(c[i].why) : NULL);
                json_object_array_add(a, o);
        }
        return a;
}

int vk_bj_serialize(const vk_boot_journal *j, char **ret) {
        json_object *root = json_object_new_object(), *files = json_object_new_array(), *k = json_object_new_object();
        const char *text;

        json_object_object_add(root, "version", json_object_new_int(1));
        json_object_object_add(root, "created", json_object_new_string(j->created ? j->created : ""));
        json_object_object_add(root, "devices", vk_bj_strv_json(&j->devices));
        json_object_object_add(root, "functions", vk_bj_strv_json(&j->functions));
        json_object_object_add(k, "add", vk_bj_strv_json(&j->kargs_add));
        json_object_object_add(k, "remove", vk_bj_strv_json(&j->kargs_remove));
        json_object_object_add(root, "kernel_options", k);
        for (size_t i = 0; i < j->n_files; i++) {
                const vk_bj_file *f = &j->files[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "path", json_object_new_string(f->path));
                /* null: the file did not exist; a string: its exact bytes */
                json_object_object_add(o, "original",
                                       f->absent ? NULL
                                                 : json_object_new_string_len(f->original, (int)f->original_len));
                json_object_object_add(o, "mode", json_object_new_int((int)f->mode));
                json_object_object_add(o, "backup_made", json_object_new_boolean(f->backup_made));
                json_object_array_add(files, o);
        }
        json_object_object_add(root, "files", files);
        json_object_object_add(root, "dirs_created", vk_bj_strv_json(&j->dirs_created));
        json_object_object_add(root, "commands", vk_bj_cmds_json(j->cmds, j->n_cmds));
        json_object_object_add(root, "undo", vk_bj_cmds_json(j->undo, j->n_undo));
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = text ? vk_printf("%s\n", text) : NULL;
        json_object_put(root);
        return *ret ? 0 : -ENOMEM;
}

static int strv_from(json_object *o, const char *key, vk_strv *out) {
        json_object *a;
        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string))
                        return -EBADMSG;
                if (vk_strv_push(out, json_object_get_string(s)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int cmds_from(json_object *o, const char *key, vk_boot_cmd **v, size_t *n) {
        json_object *a;
        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *c = json_object_array_get_idx(a, i), *why = NULL;
                vk_boot_cmd cmd = {0};
                int r = strv_from(c, "argv", &cmd.argv);
                if (r >= 0 && cmd.argv.n == 0)
                        r = -EBADMSG;
                json_object_object_get_ex(c, "why", &why);
                if (r >= 0 && why && json_object_is_type(why, json_type_string))
                        cmd.why = strdup(json_object_get_string(why));
                if (r >= 0)
                        r = vk_bj_add_cmd(v, n, &cmd);
                vk_boot_cmd_clear(&cmd);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Relative, without ".." components or empty ones: what apply wrote, and nothing a forged journal could aim at
 * outside the root (the host's resolver keeps it inside anyway). */
static bool path_is_safe(const char *p) {
        if (!*p || *p == '/' || strlen(p) > 4096)
                return false;
        for (const char *c = p; *c; c = strchrnul(c, '/'), c += *c == '/') {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 2 && c[0] == '.' && c[1] == '.') || (n == 1 && c[0] == '.'))
                        return false;
        }
        return true;
}

static int files_from(json_object *o, vk_boot_journal *j) {
        json_object *a;
        if (!json_object_object_get_ex(o, "files", &a) || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *f = json_object_array_get_idx(a, i), *path, *orig, *mode, *backup;
                const char *p;
                int r;
                if (!json_object_object_get_ex(f, "path", &path) || !json_object_is_type(path, json_type_string) ||
                    !json_object_object_get_ex(f, "original", &orig) ||
                    !json_object_object_get_ex(f, "mode", &mode) || !json_object_is_type(mode, json_type_int) ||
                    !json_object_object_get_ex(f, "backup_made", &backup) ||
                    !json_object_is_type(backup, json_type_boolean))
                        return -EBADMSG;
                p = json_object_get_string(path);
                /* a journal names files inside the root, never one that climbs out */
                if (!path_is_safe(p) || vk_bj_find(j, p) ||
                    (orig && !json_object_is_type(orig, json_type_string)) || json_object_get_int(mode) < 0 ||
                    json_object_get_int(mode) > 07777)
                        return -EBADMSG;
                r = vk_bj_add_file(j, p, !orig, orig ? json_object_get_string(orig) : NULL,
                                   orig ? (size_t)json_object_get_string_len(orig) : 0,
                                   (unsigned)json_object_get_int(mode), json_object_get_boolean(backup));
                if (r < 0)
                        return r;
        }
        return 0;
}

int vk_bj_parse(const char *text, size_t len, vk_boot_journal *ret, vk_error *err) {
        vk_boot_journal j = {0};
        json_tokener *tok;
        json_object *root, *created;
        int r;

        if (len > INT32_MAX - 1)
                return vk_error_set(err, -EFBIG, "/%s: too large", VK_BOOT_JOURNAL_PATH);
        tok = json_tokener_new();
        if (!tok)
                return vk_error_set(err, -ENOMEM, "out of memory");
        root = json_tokener_parse_ex(tok, text, (int)len);
        r = json_tokener_get_error(tok) == json_tokener_success && root && json_object_is_type(root, json_type_object)
                    ? 0
                    : -EBADMSG;
        /* one object and nothing after it but white space: a valid prefix followed by garbage is corrupt */
        for (size_t end = r >= 0 ? json_tokener_get_parse_end(tok) : len; end < len; end++)
                if (!strchr(" \t\r\n", text[end]) || !text[end])
                        r = -EBADMSG;
        json_tokener_free(tok);
        if (r >= 0 && json_object_object_get_ex(root, "created", &created) &&
            json_object_is_type(created, json_type_string))
                j.created = strdup(json_object_get_string(created));
        else
                r = -EBADMSG;
        if (r >= 0)
                r = strv_from(root, "devices", &j.devices);
        if (r >= 0)
                r = strv_from(root, "functions", &j.functions);
        if (r >= 0) {
                json_object *k = NULL;
                json_object_object_get_ex(root, "kernel_options", &k);
                r = k ? strv_from(k, "add", &j.kargs_add) : -EBADMSG;
                if (r >= 0)
                        r = strv_from(k, "remove", &j.kargs_remove);
        }
        if (r >= 0)
                r = files_from(root, &j);
        if (r >= 0)
                r = strv_from(root, "dirs_created", &j.dirs_created);
        if (r >= 0)
                r = cmds_from(root, "commands", &j.cmds, &j.n_cmds);
        if (r >= 0)
                r = cmds_from(root, "undo", &j.undo, &j.n_undo);
        for (size_t i = 0; r >= 0 && i < j.dirs_created.n; i++)
                if (!path_is_safe(j.dirs_created.v[i]))
                        r = -EBADMSG;
        json_object_put(root);
        if (r < 0) {
                vk_bj_clear(&j);
                if (r == -ENOMEM)
                        return vk_error_set(err, r, "out of memory");
                return vk_error_set(err, r,
                                    "/%s is corrupt; nothing was changed: the originals are also kept as "
                                    "FILE.vfiokit-orig next to each file; restore them by hand, then remove the journal",
                                    VK_BOOT_JOURNAL_PATH);
        }
        *ret = j;
        return 0;
}

int vk_bj_load(vk_host *h, vk_boot_journal *ret, bool *ret_exists, vk_error *err) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = vk_host_read_file(h, VK_BOOT_JOURNAL_PATH, 64u << 20, &text, &len);
        if (r == -ENOENT) {
                *ret = (vk_boot_journal){0};
                *ret_exists = false;
                return 0;
        }
        if (r < 0)
                return vk_error_set(err, r, "/%s: %s", VK_BOOT_JOURNAL_PATH, strerror(-r));
        r = vk_bj_parse(text, len, ret, err);
        if (r < 0)
                return r;
        *ret_exists = true;
        return 0;
}

void vk_bj_remove_stale_temps(vk_host *h, const char *path) {
        _cleanup_free_ char *dir = strdup(path), *prefix = NULL;
        char *slash = dir ? strrchr(dir, '/') : NULL;
        vk_strv names = {0};

        if (!dir)
                return;
        if (slash)
                *slash = 0;
        prefix = vk_printf(".%s.vfiokit-", slash ? slash + 1 : dir);
        if (!prefix || vk_host_list_dir(h, slash ? dir : ".", &names) < 0)
                return;
        for (size_t i = 0; i < names.n; i++)
                if (vk_startswith(names.v[i], prefix)) {
                        _cleanup_free_ char *p = slash ? vk_printf("%s/%s", dir, names.v[i]) : strdup(names.v[i]);
                        if (p)
                                (void)vk_host_unlink(h, p);
                }
        vk_strv_clear(&names);
}
