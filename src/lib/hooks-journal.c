/* hooks-journal.c — /var/lib/vfiokit/hooks.json: every file and directory `hooks install` added, with the bytes
 * it wrote and the original it kept, so `hooks remove` takes away exactly that and puts the originals back. */
#define _GNU_SOURCE
#include "hooks.h"
#include "journal.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

void vk_hooks_journal_clear(vk_hooks_journal *j) {
        for (size_t i = 0; i < j->n; i++) {
                free(j->v[i].owner);
                free(j->v[i].path);
                free(j->v[i].kept);
                free(j->v[i].content);
        }
        free(j->v);
        *j = (vk_hooks_journal){0};
}

vk_hooks_entry *vk_hooks_journal_find(const vk_hooks_journal *j, const char *path) {
        for (size_t i = 0; i < j->n; i++)
                if (vk_streq(j->v[i].path, path))
                        return &j->v[i];
        return NULL;
}

bool vk_hooks_journal_has_owner(const vk_hooks_journal *j, const char *owner) {
        for (size_t i = 0; i < j->n; i++)
                if (j->v[i].owner && vk_streq(j->v[i].owner, owner))
                        return true;
        return false;
}

int vk_hooks_journal_add(vk_hooks_journal *j, const vk_hooks_entry *e) {
        vk_hooks_entry *v = realloc(j->v, (j->n + 1) * sizeof(*v)), *n;

        if (!v)
                return -ENOMEM;
        j->v = v;
        n = &v[j->n];
        *n = (vk_hooks_entry){.is_dir = e->is_dir, .mode = e->mode};
        n->owner = vk_strdup(e->owner);
        n->path = vk_strdup(e->path);
        n->kept = vk_strdup(e->kept);
        n->content = vk_strdup(e->content);
        if ((e->owner && !n->owner) || !n->path || (e->kept && !n->kept) || (e->content && !n->content)) {
                free(n->owner);
                free(n->path);
                free(n->kept);
                free(n->content);
                return -ENOMEM;
        }
        j->n++;
        return 0;
}

/* A root-relative path as the journal may hold it: no leading '/', no "..", no empty component. */
static bool path_is_safe(const char *p) {
        const char *c = p;

        if (!p || !*p || *p == '/')
                return false;
        while (*c) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
                if (*c == '/')
                        c++;
                else
                        break;
        }
        return p[strlen(p) - 1] != '/';
}

static int get_string(json_object *o, const char *key, bool required, const char **ret) {
        json_object *v;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return required ? -EBADMSG : 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = json_object_get_string(v);
        return 0;
}

int vk_hooks_journal_parse(const char *label, const char *text, vk_hooks_journal *ret, vk_error *err) {
        vk_hooks_journal j = {0};
        json_object *root, *entries;
        const char *why;
        int r = vk_json_parse_whole(text, &root, &why);

        if (r == -ENOMEM)
                return vk_error_set(err, r, "out of memory");
        if (r < 0)
                return vk_error_set(err, r,
                                    "%s is corrupt (%s); nothing was changed: it lists the hook files vfiokit wrote, "
                                    "fix or remove it by hand",
                                    label, why);
        if (!json_object_object_get_ex(root, "entries", &entries) || !json_object_is_type(entries, json_type_array))
                goto corrupt;
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *o = json_object_array_get_idx(entries, i), *mode, *dir;
                vk_hooks_entry e = {0};
                bool is_dir;

                if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "dir", &dir) ||
                    !json_object_is_type(dir, json_type_boolean))
                        goto corrupt;
                is_dir = json_object_get_boolean(dir);
                if (get_string(o, "owner", false, (const char **)&e.owner) < 0 ||
                    get_string(o, "path", true, (const char **)&e.path) < 0 ||
                    get_string(o, "kept", false, (const char **)&e.kept) < 0 ||
                    get_string(o, "content", !is_dir, (const char **)&e.content) < 0)
                        goto corrupt;
                if (!path_is_safe(e.path) || (e.kept && !path_is_safe(e.kept)) ||
                    (e.owner && !vk_hooks_vm_name_is_valid(e.owner)) || (is_dir && (e.kept || e.content)) ||
                    vk_hooks_journal_find(&j, e.path))
                        goto corrupt;
                e.is_dir = is_dir;
                e.mode = 0755;
                if (json_object_object_get_ex(o, "mode", &mode)) {
                        int64_t m = json_object_get_int64(mode);
                        if (!json_object_is_type(mode, json_type_int) || m < 0 || m > 07777)
                                goto corrupt;
                        e.mode = (unsigned)m;
                }
                if (vk_hooks_journal_add(&j, &e) < 0) {
                        json_object_put(root);
                        vk_hooks_journal_clear(&j);
                        return vk_error_set(err, -ENOMEM, "out of memory");
                }
        }
        json_object_put(root);
        *ret = j;
        return 0;
corrupt:
        json_object_put(root);
        vk_hooks_journal_clear(&j);
        return vk_error_set(err, -EBADMSG,
                            "%s is corrupt (an entry lacks a safe path, its kind or its content); nothing was changed: "
                            "it lists the hook files vfiokit wrote, fix or remove it by hand",
                            label);
}

int vk_hooks_journal_load(vk_host *h, vk_hooks_journal *ret, vk_error *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = vk_host_read_file(h, VK_HOOKS_JOURNAL, 4u << 20, &text, &len);
        if (r == -ENOENT) {
                *ret = (vk_hooks_journal){0};
                return 0;
        }
        if (r < 0)
                return vk_error_set(err, r, "/%s: %s", VK_HOOKS_JOURNAL, strerror(-r));
        if (strlen(text) != len)
                return vk_error_set(err, -EBADMSG, "/%s is corrupt (it holds a NUL byte); fix or remove it by hand",
                                    VK_HOOKS_JOURNAL);
        return vk_hooks_journal_parse("/" VK_HOOKS_JOURNAL, text, ret, err);
}

char *vk_hooks_journal_serialize(const vk_hooks_journal *j) {
        json_object *root = json_object_new_object(), *entries = json_object_new_array();
        char *text;

        if (!root || !entries) {
                json_object_put(root);
                json_object_put(entries);
                return NULL;
        }
        json_object_object_add(root, "version", json_object_new_int(1));
        for (size_t i = 0; i < j->n; i++) {
                const vk_hooks_entry *e = &j->v[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "owner", e->owner ? json_object_new_string(e->owner) : NULL);
                json_object_object_add(o, "dir", json_object_new_boolean(e->is_dir));
                json_object_object_add(o, "path", json_object_new_string(e->path));
                if (!e->is_dir) {
                        json_object_object_add(o, "mode", json_object_new_int((int)e->mode));
                        json_object_object_add(o, "kept", e->kept ? json_object_new_string(e->kept) : NULL);
                        json_object_object_add(o, "content", json_object_new_string(e->content ? e->content : ""));
                }
                json_object_array_add(entries, o);
        }
        json_object_object_add(root, "entries", entries);
        text = vk_printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
        return text;
}
