/* kargs.c — the kernel command-line editor: which arguments to add and remove, decided token by token the way the
 * kernel splits them, and vk_kargs_edit() for a command line kept as one string (/etc/kernel/cmdline). */
#define _GNU_SOURCE
#include "edit-internal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "../report.h"

/* One argument the planner looks at: from the line (editable) or from "also" (never edited). */
typedef struct karg {
        vk_cmdline_arg a;
        size_t span; /* index in the line's spans, SIZE_MAX for "also" and planned additions */
} karg;

void vk_kargs_plan_clear(vk_kargs_plan *p) {
        free(p->del);
        free(p->ins);
        *p = (vk_kargs_plan){0};
}

bool vk_kargs_plan_changes(const vk_kargs_plan *p) { return p->n_del > 0 || p->ins; }

static bool value_eq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static bool is_ids_key(const char *key) { return vk_cmdline_key_eq(key, "vfio_pci.ids"); }

/* Every id of the comma list want is in have (ids compare without case: 10DE:2484 is 10de:2484). */
static bool ids_cover(const char *have, const char *want) {
        const char *w = want;
        while (*w) {
                size_t wl = strcspn(w, ",");
                bool found = false;
                for (const char *h = have; *h && !found;) {
                        size_t hl = strcspn(h, ",");
                        found = wl > 0 && hl == wl && strncasecmp(h, w, wl) == 0;
                        h += hl + (h[hl] == ',');
                }
                if (wl > 0 && !found)
                        return false;
                w += wl + (w[wl] == ',');
        }
        return true;
}

/* "amd_iommu=on" removes that argument, "amd_iommu" the key with any value. */
static bool remove_matches(const char *r, const vk_cmdline_arg *a) {
        const char *eq = strchr(r, '=');
        if (!eq)
                return vk_cmdline_key_eq(a->key, r);
        _cleanup_free_ char *key = strndup(r, (size_t)(eq - r));
        return key && vk_cmdline_key_eq(a->key, key) && a->value && strcmp(a->value, eq + 1) == 0;
}

static int note(vk_strv *notes, char *s) { return s ? vk_strv_push_take(notes, s) : -ENOMEM; }

/* An argument to add must be exactly one kernel argument. */
static int parse_add(const char *name, const char *tok, vk_cmdline_arg *ret, vk_error *err) {
        vk_cmdline_span *s = NULL;
        size_t n = 0, len = strlen(tok), quotes = 0;
        int r;

        for (size_t i = 0; i < len; i++)
                quotes += tok[i] == '"';
        r = vk_cmdline_split(tok, len, &s, &n);
        if (r < 0)
                return r;
        if (n != 1 || s[0].start != 0 || s[0].end != len || quotes % 2) {
                free(s);
                return vk_error_set(err, -EINVAL, "%s: \"%s\" is not one kernel argument", name, tok);
        }
        r = vk_cmdline_arg_from_span(tok, &s[0], ret);
        free(s);
        return r;
}

static void kargs_free(karg *k, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(k[i].a.key);
                free(k[i].a.value);
        }
        free(k);
}

/* The planner's working state, freed in one place. */
typedef struct planner {
        vk_cmdline_span *spans;
        size_t n_spans;
        karg *args; /* also, then the line, then planned additions */
        size_t n_args, n_also, cap_args;
        bool *removed; /* per span */
        vk_strv adds;
} planner;

static void planner_clear(planner *p) {
        free(p->spans);
        kargs_free(p->args, p->n_args);
        free(p->removed);
        vk_strv_clear(&p->adds);
}

static int push_arg(planner *p, vk_cmdline_arg a, size_t span) {
        if (p->n_args == p->cap_args) {
                /* doubling: a 1 MiB command line has ~100k arguments */
                size_t cap = p->cap_args ? p->cap_args * 2 : 64;
                karg *v = realloc(p->args, cap * sizeof(*v));
                if (!v) {
                        free(a.key);
                        free(a.value);
                        return -ENOMEM;
                }
                p->args = v;
                p->cap_args = cap;
        }
        p->args[p->n_args++] = (karg){.a = a, .span = span};
        return 0;
}

/* The argument the kernel would use for key: the last one not being removed. */
static karg *last_with_key(planner *p, const char *key) {
        for (size_t i = p->n_args; i > 0; i--) {
                karg *k = &p->args[i - 1];
                if (k->span != SIZE_MAX && p->removed[k->span])
                        continue;
                if (vk_cmdline_key_eq(k->a.key, key))
                        return k;
        }
        return NULL;
}

static int decide_add(planner *p, const char *tok, vk_cmdline_arg *want, vk_strv *notes) {
        karg *have = last_with_key(p, want->key);
        int r;

        if (!have) {
                r = vk_strv_push(&p->adds, tok);
                return r < 0 ? r : push_arg(p, (vk_cmdline_arg){TAKE_PTR(want->key), TAKE_PTR(want->value)}, SIZE_MAX);
        }
        if (value_eq(have->a.value, want->value))
                return note(notes, vk_printf("%s: already present", tok));
        if (is_ids_key(want->key) && have->a.value && want->value) {
                if (ids_cover(have->a.value, want->value))
                        return note(notes, vk_printf("%s: already present (%s=%s lists every id)", tok, have->a.key,
                                                     have->a.value));
                if (ids_cover(want->value, have->a.value)) {
                        /* ours keeps every id already there: replacing it loses nothing */
                        r = note(notes, vk_printf("%s=%s is replaced by %s (it keeps every id)", have->a.key,
                                                  have->a.value, tok));
                        if (r < 0)
                                return r;
                        if (have->span != SIZE_MAX)
                                p->removed[have->span] = true;
                        r = vk_strv_push(&p->adds, tok);
                        return r < 0 ? r
                                     : push_arg(p, (vk_cmdline_arg){TAKE_PTR(want->key), TAKE_PTR(want->value)},
                                                SIZE_MAX);
                }
        }
        if (have->a.value)
                return note(notes, vk_printf("%s=%s is set; wanted %s (left as is)", have->a.key, have->a.value, tok));
        return note(notes, vk_printf("%s is set; wanted %s (left as is)", have->a.key, tok));
}

/* Deletions: a run of removed arguments goes with the spaces before it (or after it when it starts the line), so
 * "a X b" becomes "a b" and "X b" becomes "b". */
static int plan_deletions(planner *p, vk_kargs_plan *ret) {
        size_t n = p->n_spans, cap = 0;
        for (size_t i = 0; i < n;) {
                size_t j = i;
                struct vk_kargs_range *v, range;
                if (!p->removed[i]) {
                        i++;
                        continue;
                }
                while (j + 1 < n && p->removed[j + 1])
                        j++;
                if (i > 0)
                        range = (struct vk_kargs_range){p->spans[i - 1].end, p->spans[j].end};
                else if (j + 1 < n)
                        range = (struct vk_kargs_range){p->spans[i].start, p->spans[j + 1].start};
                else
                        range = (struct vk_kargs_range){p->spans[i].start, p->spans[j].end};
                void *grown = ret->del;
                if (vk_grow(&grown, &cap, ret->n_del, sizeof(*v)) < 0)
                        return -ENOMEM;
                ret->del = v = grown;
                ret->del[ret->n_del++] = range;
                i = j + 1;
        }
        for (size_t i = 0; i < n; i++)
                ret->any_kept |= !p->removed[i];
        return 0;
}

int vk_kargs_plan_make(const char *name, size_t line_no, const char *line, size_t len, const char *also,
                       const vk_kargs_change *c, vk_kargs_plan *ret, vk_strv *notes, vk_error *err) {
        _cleanup_(planner_clear) planner p = {0};
        vk_kargs_plan plan = {0};
        vk_cmdline_arg *also_args = NULL;
        size_t n_also = 0, quotes = 0, last_quote = 0;
        int r;

        for (size_t i = 0; i < len; i++)
                if (line[i] == '"') {
                        quotes++;
                        last_quote = i;
                }
        if (quotes % 2)
                return vk_error_set(err, -EINVAL,
                                    "%s:%zu: the kernel command line has an unterminated \" (the kernel would read "
                                    "every option after it as part of one value); close the quote",
                                    name, line_no + vk_edit_line_of(line, last_quote) - 1);
        for (size_t i = 0; i < c->remove.n; i++)
                if (!*c->remove.v[i] || strpbrk(c->remove.v[i], " \t\n\""))
                        return vk_error_set(err, -EINVAL, "%s: \"%s\" is not a kernel argument to remove", name,
                                            c->remove.v[i]);

        r = vk_cmdline_parse(also, &also_args, &n_also);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_also; i++) {
                r = push_arg(&p, also_args[i], SIZE_MAX);
                also_args[i] = (vk_cmdline_arg){0};
                if (r < 0) {
                        vk_cmdline_free(also_args, n_also);
                        return r;
                }
        }
        vk_cmdline_free(also_args, n_also);
        p.n_also = p.n_args;

        r = vk_cmdline_split(line, len, &p.spans, &p.n_spans);
        if (r < 0)
                return r;
        p.removed = calloc(p.n_spans + 1, sizeof(bool));
        if (!p.removed)
                return -ENOMEM;
        for (size_t i = 0; i < p.n_spans; i++) {
                vk_cmdline_arg a;
                r = vk_cmdline_arg_from_span(line, &p.spans[i], &a);
                if (r < 0)
                        return r;
                r = push_arg(&p, a, i);
                if (r < 0)
                        return r;
        }

        /* removals first, so an argument being removed never counts as present */
        for (size_t j = 0; j < c->remove.n; j++) {
                bool hit = false;
                for (size_t i = p.n_also; i < p.n_args; i++)
                        if (remove_matches(c->remove.v[j], &p.args[i].a)) {
                                p.removed[p.args[i].span] = true;
                                hit = true;
                        }
                if (hit && (r = note(notes, vk_printf("%s: removed", c->remove.v[j]))) < 0)
                        return r;
        }
        for (size_t i = 0; i < c->add.n; i++) {
                vk_cmdline_arg want = {0};
                r = parse_add(name, c->add.v[i], &want, err);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < c->remove.n && r == 0; j++) {
                        const char *eq = strchr(c->remove.v[j], '=');
                        _cleanup_free_ char *rkey = eq ? strndup(c->remove.v[j], (size_t)(eq - c->remove.v[j]))
                                                       : strdup(c->remove.v[j]);
                        if (!rkey)
                                r = -ENOMEM;
                        else if (vk_cmdline_key_eq(rkey, want.key))
                                r = vk_error_set(err, -EINVAL, "%s: %s is both added and removed", name,
                                                 c->add.v[i]);
                }
                if (r == 0)
                        r = decide_add(&p, c->add.v[i], &want, notes);
                free(want.key);
                free(want.value);
                if (r < 0)
                        return r;
        }

        r = plan_deletions(&p, &plan);
        if (r < 0) {
                vk_kargs_plan_clear(&plan);
                return r;
        }
        if (p.adds.n > 0) {
                size_t total = 2;
                for (size_t i = 0; i < p.adds.n; i++)
                        total += strlen(p.adds.v[i]) + 1;
                plan.ins = malloc(total);
                if (!plan.ins) {
                        vk_kargs_plan_clear(&plan);
                        return -ENOMEM;
                }
                plan.ins[0] = 0;
                for (size_t i = 0; i < p.adds.n; i++) {
                        if (i > 0 || plan.any_kept)
                                strcat(plan.ins, " ");
                        strcat(plan.ins, p.adds.v[i]);
                }
        }
        if (p.n_spans > 0)
                plan.ins_after = p.spans[p.n_spans - 1].end - 1;
        else
                plan.ins_at_start = true;
        *ret = plan;
        return 0;
}

int vk_kargs_plan_apply(const char *line, size_t len, const vk_kargs_plan *p, char **ret, size_t *ret_len) {
        size_t ins_len = p->ins ? strlen(p->ins) : 0, o = 0, d = 0, at = p->ins_at_start ? 0 : p->ins_after + 1;
        char *out = malloc(len + ins_len + 1);

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i <= len; i++) {
                if (i == at && p->ins) {
                        memcpy(out + o, p->ins, ins_len);
                        o += ins_len;
                }
                while (d < p->n_del && i >= p->del[d].end)
                        d++;
                if (i < len && !(d < p->n_del && i >= p->del[d].start))
                        out[o++] = line[i];
        }
        out[o] = 0;
        *ret = out;
        *ret_len = o;
        return 0;
}

int vk_kargs_edit(const char *name, const char *text, size_t len, const vk_kargs_change *c, vk_edit_result *ret,
                  vk_error *err) {
        _cleanup_(vk_kargs_plan_clear) vk_kargs_plan plan = {0};
        _cleanup_(vk_strv_clear) vk_strv notes = {0};
        char *out;
        size_t out_len;
        int r;

        r = vk_edit_check_text(name, text, len, err);
        if (r < 0)
                return r;
        r = vk_kargs_plan_make(name, 1, text, len, NULL, c, &plan, &notes, err);
        if (r < 0)
                return r;
        r = vk_kargs_plan_apply(text, len, &plan, &out, &out_len);
        if (r < 0)
                return r;
        return vk_edit_result_set(ret, text, len, out, out_len, &notes);
}

int vk_kargs_plan_ranges(const char *name, const char *text, const vk_range *ranges, size_t n,
                         const vk_kargs_change *c, vk_mapped *m, vk_kargs_plan *plan, vk_strv *notes, vk_error *err) {
        size_t quotes = 0, last_quote = 0;
        int r;

        *m = (vk_mapped){0};
        for (size_t k = 0; k < n; k++) {
                if (k > 0 && (r = vk_mapped_push(m, ' ', ranges[k].start, 0)) < 0)
                        return r;
                for (size_t i = ranges[k].start; i < ranges[k].end; i++) {
                        if (text[i] == '"') {
                                quotes++;
                                last_quote = i;
                        }
                        if ((r = vk_mapped_push(m, text[i], i, 1)) < 0)
                                return r;
                }
        }
        if (quotes % 2)
                return vk_error_set(err, -EINVAL,
                                    "%s:%zu: the kernel command line has an unterminated \" (the kernel would read "
                                    "every option after it as part of one value); close the quote",
                                    name, vk_edit_line_of(text, last_quote));
        return vk_kargs_plan_make(name, 1, m->text ? m->text : "", m->n, NULL, c, plan, notes, err);
}
