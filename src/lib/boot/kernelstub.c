/* kernelstub.c — edit Pop!_OS's /etc/kernelstub/configuration (JSON): the "user" profile's kernel_options array.
 * Arrays elements may hold several arguments ("quiet splash"); they are planned as one command line and each element
 * loses only the arguments removed from it. */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "../report.h"

static void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static int parse_json(const char *name, const char *text, size_t len, json_object **ret, vk_error *err) {
        json_tokener *tok = json_tokener_new();
        json_object *o;
        size_t off;

        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, text, (int)len);
        off = json_tokener_get_parse_end(tok);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                enum json_tokener_error e = json_tokener_get_error(tok);
                /* json_tokener_continue is the tokener's "give me more input" state, not a reason a user can read */
                const char *why = o ? "trailing data"
                                  : e == json_tokener_continue ? "it ends before the JSON is complete: the file is truncated"
                                                               : json_tokener_error_desc(e);
                int r = vk_error_set(err, -EINVAL, "%s:%zu: not valid JSON (%s); fix the file or reinstall kernelstub",
                                     name, vk_edit_line_of(text, off > len ? len : off), why);
                json_tokener_free(tok);
                if (o)
                        json_object_put(o);
                return r;
        }
        json_tokener_free(tok);
        for (; off < len; off++)
                if (!strchr(" \t\r\n", text[off])) {
                        json_object_put(o);
                        return vk_error_set(err, -EINVAL, "%s:%zu: data after the JSON object; remove it", name,
                                            vk_edit_line_of(text, off));
                }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return vk_error_set(err, -EINVAL, "%s:1: not a kernelstub configuration (no JSON object)", name);
        }
        *ret = o;
        return 0;
}

/* The "user" profile's kernel_options, made from "default" the way kernelstub does when "user" is missing. */
static int user_options(const char *name, json_object *root, json_object **ret, vk_error *err) {
        json_object *user = NULL, *def = NULL, *opts = NULL;

        if (!json_object_object_get_ex(root, "user", &user)) {
                if (!json_object_object_get_ex(root, "default", &def) || !json_object_is_type(def, json_type_object))
                        return vk_error_set(err, -EINVAL,
                                            "%s: neither a \"user\" nor a \"default\" profile; run kernelstub once "
                                            "to write it",
                                            name);
                if (json_object_deep_copy(def, &user, NULL) < 0)
                        return -ENOMEM;
                json_object_object_add(root, "user", user);
        }
        if (!json_object_is_type(user, json_type_object))
                return vk_error_set(err, -EINVAL, "%s: \"user\" is not an object; fix it or reinstall kernelstub", name);
        if (!json_object_object_get_ex(user, "kernel_options", &opts)) {
                opts = json_object_new_array();
                if (!opts)
                        return -ENOMEM;
                json_object_object_add(user, "kernel_options", opts);
        }
        if (!json_object_is_type(opts, json_type_array))
                return vk_error_set(err, -EINVAL, "%s: user.kernel_options is not an array of strings", name);
        for (size_t i = 0; i < json_object_array_length(opts); i++) {
                json_object *el = json_object_array_get_idx(opts, i);
                const char *s = json_object_get_string(el);
                if (!json_object_is_type(el, json_type_string) || strlen(s) != (size_t)json_object_get_string_len(el))
                        return vk_error_set(err, -EINVAL, "%s: user.kernel_options[%zu] is not a string", name, i);
                if (vk_edit_check_text(name, s, strlen(s), err) < 0)
                        return -EINVAL;
        }
        *ret = opts;
        return 0;
}

int vk_kernelstub_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c,
                       vk_edit_result *ret, vk_error *err) {
        _cleanup_(json_putp) json_object *root = NULL, *kept = NULL;
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        _cleanup_(vk_mapped_clear) vk_mapped m = {0};
        _cleanup_free_ size_t *starts = NULL;
        json_object *opts = NULL;
        size_t n;
        const char *s;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        r = parse_json(name, text, len, &root, err);
        if (r < 0)
                return r;
        r = user_options(name, root, &opts, err);
        if (r < 0)
                return r;
        /* the elements joined by spaces, each character mapped to (element, offset) through starts[] */
        n = json_object_array_length(opts);
        starts = calloc(n + 1, sizeof(size_t));
        if (!starts)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                s = json_object_get_string(json_object_array_get_idx(opts, i));
                if (i > 0 && (r = vk_mapped_push(&m, ' ', 0, 0)) < 0)
                        return r;
                starts[i] = m.n;
                for (size_t j = 0; s[j]; j++)
                        if ((r = vk_mapped_push(&m, s[j], j, 1)) < 0)
                                return r;
        }
        starts[n] = m.n + 1;
        r = vk_kargs_plan_make(name, 1, m.text ? m.text : "", m.n, NULL, c, &plan, &notes, err);
        if (r < 0)
                return r;
        if (!vk_kargs_plan_changes(&plan))
                return vk_edit_result_set(ret, text, len, NULL, 0, &notes);

        kept = json_object_new_array();
        if (!kept)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *el = NULL;
                size_t d = 0, o = 0, a = starts[i], b = i + 1 < n ? starts[i + 1] - 1 : m.n;
                bool blank = true;
                el = malloc(b - a + 1);
                if (!el)
                        return -ENOMEM;
                for (size_t k = a; k < b; k++) {
                        while (d < plan.n_del && k >= plan.del[d].end)
                                d++;
                        if (d < plan.n_del && k >= plan.del[d].start)
                                continue;
                        el[o++] = m.text[k];
                        blank &= strchr(" \t\r\n\v\f", m.text[k]) != NULL;
                }
                el[o] = 0;
                if (!blank && json_object_array_add(kept, json_object_new_string(el)) < 0)
                        return -ENOMEM;
        }
        if (plan.ins) {
                _cleanup_free_ vk_cmdline_span *spans = NULL;
                size_t ns;
                if ((r = vk_cmdline_split(plan.ins, strlen(plan.ins), &spans, &ns)) < 0)
                        return r;
                for (size_t i = 0; i < ns; i++) {
                        _cleanup_free_ char *tok = strndup(plan.ins + spans[i].start, spans[i].end - spans[i].start);
                        if (!tok || json_object_array_add(kept, json_object_new_string(tok)) < 0)
                                return -ENOMEM;
                }
        }
        {
                json_object *user = NULL;
                json_object_object_get_ex(root, "user", &user);
                json_object_object_add(user, "kernel_options", TAKE_PTR(kept));
        }
        /* Re-serializing changes the file's formatting (json-c cannot keep it); PRETTY|SPACED with two-space
         * indents and unescaped slashes is closest to what kernelstub itself writes (Python's json.dump, indent=2). */
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        {
                /* the file ends as it did: kernelstub's own json.dump writes no final newline */
                bool nl = len > 0 && text[len - 1] == '\n';
                char *out = vk_printf("%s%s", s, nl ? "\n" : "");
                if (!out)
                        return -ENOMEM;
                return vk_edit_result_set(ret, text, len, out, strlen(out), &notes);
        }
}
