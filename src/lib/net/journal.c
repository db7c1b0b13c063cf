/* journal.c — /var/lib/vfiokit/net.json: what `net bridge` and `net tap` wrote, so `net remove` undoes exactly. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../journal.h"
#include "internal.h"

#define OOM(err) vk_error_set(err, -ENOMEM, "out of memory")

int vk_net_journal_load(vk_host *h, json_object **ret, vk_error *err) {
        _cleanup_free_ char *text = NULL;
        json_object *j, *entries;
        int r;

        r = vk_host_read_file(h, VK_NET_JOURNAL_PATH, 16u << 20, &text, NULL);
        if (r == -ENOENT) {
                j = json_object_new_object();
                if (!j)
                        return OOM(err);
                json_object_object_add(j, "entries", json_object_new_array());
                *ret = j;
                return 0;
        }
        if (r < 0)
                return vk_error_set(err, r, "/%s: %s", VK_NET_JOURNAL_PATH, strerror(-r));
        j = json_tokener_parse(text);
        if (!j || !json_object_object_get_ex(j, "entries", &entries) ||
            !json_object_is_type(entries, json_type_array)) {
                json_object_put(j);
                return vk_error_set(err, -EBADMSG, "/%s: not vfiokit's network journal (expected {\"entries\": "
                                                   "[...]}); restore it from a backup or remove what it lists by hand",
                                    VK_NET_JOURNAL_PATH);
        }
        *ret = j;
        return 0;
}

json_object *vk_net_journal_entry(json_object *j, const char *name) {
        json_object *entries, *v;
        if (!json_object_object_get_ex(j, "entries", &entries))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
                json_object *e = json_object_array_get_idx(entries, i);
                if (json_object_object_get_ex(e, "name", &v) && vk_streq(json_object_get_string(v), name))
                        return e;
        }
        return NULL;
}

int vk_net_journal_files(json_object *entry, vk_strv *ret) {
        json_object *files, *v;
        if (!json_object_object_get_ex(entry, "files", &files))
                return 0;
        for (size_t i = 0; i < json_object_array_length(files); i++)
                if (json_object_object_get_ex(json_object_array_get_idx(files, i), "path", &v) &&
                    vk_strv_push(ret, json_object_get_string(v)) < 0)
                        return -ENOMEM;
        return 0;
}

static int journal_save(vk_host *h, json_object *j, vk_error *err) {
        json_object *entries;
        const char *text;
        int r;

        if (json_object_object_get_ex(j, "entries", &entries) && json_object_array_length(entries) == 0) {
                r = vk_host_unlink(h, VK_NET_JOURNAL_PATH);
                return r < 0 && r != -ENOENT ? vk_error_set(err, r, "/%s: %s", VK_NET_JOURNAL_PATH, strerror(-r)) : 0;
        }
        text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        r = vk_host_mkdir_p(h, "var/lib/vfiokit");
        if (r >= 0)
                r = vk_host_write_file(h, VK_NET_JOURNAL_PATH, text, strlen(text), 0644);
        return r < 0 ? vk_error_set(err, r, "/%s: %s", VK_NET_JOURNAL_PATH, strerror(-r)) : 0;
}

static json_object *argv_array(const vk_strv *argv) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < argv->n; i++)
                json_object_array_add(a, json_object_new_string(argv->v[i]));
        return a;
}

static int parent_dir(vk_host *h, const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        if (!dir)
                return -ENOMEM;
        if (!slash)
                return 0;
        *slash = 0;
        return vk_host_mkdir_p(h, dir);
}

int vk_net_apply(vk_host *h, const vk_net_plan *p, vk_error *err) {
        json_object *j = NULL, *e, *files, *undo, *old_files = NULL;
        int r;

        if ((r = vk_net_journal_load(h, &j, err)) < 0)
                return r;
        e = vk_net_journal_entry(j, p->name);
        if (e)
                json_object_object_get_ex(e, "files", &old_files);
        files = json_object_new_array();
        undo = json_object_new_array();
        /* files whose original vfiokit kept before stay marked, even when this run rewrites them */
        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const vk_net_file *f = &p->files[i];
                _cleanup_free_ char *orig = vk_printf("%s.vfiokit-orig", f->path), *have = NULL;
                bool kept = false;
                json_object *fo = json_object_new_object(), *v;

                for (size_t k = 0; old_files && k < json_object_array_length(old_files); k++) {
                        json_object *of = json_object_array_get_idx(old_files, k);
                        if (json_object_object_get_ex(of, "path", &v) && vk_streq(json_object_get_string(v), f->path) &&
                            json_object_object_get_ex(of, "orig", &v))
                                kept = json_object_get_boolean(v);
                }
                if (!orig || !fo) {
                        json_object_put(fo);
                        r = OOM(err);
                        break;
                }
                /* a file that is there and not vfiokit's: its first original is kept, never overwritten */
                if (!e && f->old && !kept) {
                        if (vk_host_read_file(h, orig, 1u << 20, &have, NULL) == -ENOENT)
                                r = vk_host_write_file(h, orig, f->old, strlen(f->old), f->mode);
                        kept = true;
                }
                if (r >= 0 && !vk_streq(f->old, f->content) && (r = parent_dir(h, f->path)) >= 0)
                        r = vk_host_write_file(h, f->path, f->content, strlen(f->content), f->mode);
                if (r < 0) {
                        json_object_put(fo);
                        vk_error_set(err, r, "/%s: %s", f->path, strerror(-r));
                        break;
                }
                json_object_object_add(fo, "path", json_object_new_string(f->path));
                json_object_object_add(fo, "orig", json_object_new_boolean(kept));
                json_object_array_add(files, fo);
        }
        for (size_t i = 0; i < p->n_undo; i++)
                json_object_array_add(undo, argv_array(&p->undo[i]));
        if (r >= 0) {
                json_object *entries, *ne = json_object_new_object();
                json_object_object_add(ne, "name", json_object_new_string(p->name));
                json_object_object_add(ne, "kind", json_object_new_string(p->bridge ? "bridge" : "tap"));
                json_object_object_add(ne, "backend", json_object_new_string(vk_net_backend_name(p->backend)));
                if (p->uplink)
                        json_object_object_add(ne, "uplink", json_object_new_string(p->uplink));
                if (p->user)
                        json_object_object_add(ne, "user", json_object_new_string(p->user));
                if (p->master)
                        json_object_object_add(ne, "master", json_object_new_string(p->master));
                json_object_object_add(ne, "files", json_object_get(files));
                json_object_object_add(ne, "undo", json_object_get(undo));
                json_object_object_get_ex(j, "entries", &entries);
                for (size_t i = 0; i < json_object_array_length(entries); i++)
                        if (json_object_array_get_idx(entries, i) == e) {
                                json_object_array_del_idx(entries, i, 1);
                                break;
                        }
                json_object_array_add(entries, ne);
                r = journal_save(h, j, err);
        }
        json_object_put(files);
        json_object_put(undo);
        json_object_put(j);
        return r;
}

int vk_net_plan_remove(vk_host *h, const char *name, vk_net_plan *ret, vk_error *err) {
        json_object *j = NULL, *e, *v, *files = NULL, *undo = NULL;
        vk_net_plan p = {0};
        int r;

        if ((r = vk_net_journal_load(h, &j, err)) < 0)
                return r;
        e = vk_net_journal_entry(j, name);
        if (!e) {
                json_object_put(j);
                return vk_error_set(err, -ENOENT, "%s: vfiokit made no bridge or tap of that name (/%s); nothing to "
                                                  "remove", name, VK_NET_JOURNAL_PATH);
        }
        p.name = strdup(name);
        p.bridge = json_object_object_get_ex(e, "kind", &v) && vk_streq(json_object_get_string(v), "bridge");
        if (json_object_object_get_ex(e, "backend", &v))
                vk_net_backend_parse(json_object_get_string(v), &p.backend);
        if (json_object_object_get_ex(e, "uplink", &v))
                p.uplink = strdup(json_object_get_string(v));
        if (json_object_object_get_ex(e, "user", &v))
                p.user = strdup(json_object_get_string(v));
        json_object_object_get_ex(e, "files", &files);
        json_object_object_get_ex(e, "undo", &undo);
        for (size_t i = 0; files && i < json_object_array_length(files) && r >= 0; i++) {
                json_object *f = json_object_array_get_idx(files, i), *o;
                const char *path = json_object_object_get_ex(f, "path", &v) ? json_object_get_string(v) : NULL;
                _cleanup_free_ char *orig = path ? vk_printf("%s.vfiokit-orig", path) : NULL, *content = NULL;

                if (!path || !orig) {
                        r = vk_error_set(err, -EBADMSG, "/%s: an entry of %s has no path", VK_NET_JOURNAL_PATH, name);
                        break;
                }
                if (json_object_object_get_ex(f, "orig", &o) && json_object_get_boolean(o) &&
                    (r = vk_host_read_file(h, orig, 1u << 20, &content, NULL)) < 0) {
                        vk_error_set(err, r, "/%s: %s; the original of /%s is gone, restore it by hand", orig,
                                     strerror(-r), path);
                        break;
                }
                if ((r = vk_net_plan_file(&p, h, path, TAKE_PTR(content), 0644)) < 0)
                        vk_error_set(err, r, "/%s: %s", path, strerror(-r));
        }
        for (size_t i = 0; undo && r >= 0 && i < json_object_array_length(undo); i++) {
                json_object *a = json_object_array_get_idx(undo, i);
                vk_strv argv = {0}, *grown = realloc(p.run, (p.n_run + 1) * sizeof(*grown));
                if (!grown) {
                        r = OOM(err);
                        break;
                }
                p.run = grown;
                for (size_t k = 0; k < json_object_array_length(a); k++)
                        if (vk_strv_push(&argv, json_object_get_string(json_object_array_get_idx(a, k))) < 0)
                                r = OOM(err);
                p.run[p.n_run++] = argv;
        }
        json_object_put(j);
        if (r < 0 || !p.name) {
                vk_net_plan_clear(&p);
                return r < 0 ? r : OOM(err);
        }
        *ret = p;
        return 0;
}

int vk_net_apply_remove(vk_host *h, const vk_net_plan *p, vk_error *err) {
        json_object *j = NULL, *entries;
        int r;

        if ((r = vk_net_journal_load(h, &j, err)) < 0)
                return r;
        for (size_t i = 0; i < p->n_files && r >= 0; i++) {
                const vk_net_file *f = &p->files[i];
                _cleanup_free_ char *orig = vk_printf("%s.vfiokit-orig", f->path);
                if (!orig)
                        r = OOM(err);
                else if (f->content) {
                        r = vk_host_write_file(h, f->path, f->content, strlen(f->content), f->mode);
                        if (r >= 0)
                                r = vk_host_unlink(h, orig);
                } else {
                        r = vk_host_unlink(h, f->path);
                        if (r == -ENOENT)
                                r = 0;
                }
                if (r < 0 && !err->msg[0])
                        vk_error_set(err, r, "/%s: %s", f->path, strerror(-r));
        }
        if (r >= 0) {
                json_object_object_get_ex(j, "entries", &entries);
                for (size_t i = 0; i < json_object_array_length(entries); i++)
                        if (json_object_array_get_idx(entries, i) == vk_net_journal_entry(j, p->name)) {
                                json_object_array_del_idx(entries, i, 1);
                                break;
                        }
                r = journal_save(h, j, err);
        }
        json_object_put(j);
        return r;
}
