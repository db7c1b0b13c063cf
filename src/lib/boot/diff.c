/* diff.c — a unified line diff (LCS over the changed middle) so plan can show every edit before it is made. */
#define _GNU_SOURCE
#include "boot.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CONTEXT 3
/* Beyond this many cells the middle is shown as removed then added: still a correct diff, only longer. */
#define MAX_LCS_CELLS (4u << 20)

typedef struct line {
        const char *s;
        size_t len; /* with its '\n' when it has one */
} line;

static int split_lines(const char *text, size_t len, line **ret, size_t *ret_n) {
        size_t n = 0, cap = 0;
        line *v = NULL;

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t l = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
                if (n == cap) {
                        line *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                v[n++] = (line){text + i, l};
                i += l;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static bool line_eq(const line *a, const line *b) { return a->len == b->len && memcmp(a->s, b->s, a->len) == 0; }

/* The edit script: one op per output line. */
enum { EQ, DEL, ADD };
typedef struct op {
        int kind;
        size_t a, b; /* indexes into old and new */
} op;

static int script(const line *a, size_t na, const line *b, size_t nb, op **ret, size_t *ret_n) {
        size_t pre = 0, suf = 0, n = 0, ma, mb;
        op *ops = malloc((na + nb + 1) * sizeof(*ops));

        if (!ops)
                return -ENOMEM;
        while (pre < na && pre < nb && line_eq(&a[pre], &b[pre]))
                pre++;
        while (suf < na - pre && suf < nb - pre && line_eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
                suf++;
        for (size_t i = 0; i < pre; i++)
                ops[n++] = (op){EQ, i, i};
        ma = na - pre - suf;
        mb = nb - pre - suf;
        if (ma && mb && (uint64_t)(ma + 1) * (mb + 1) <= MAX_LCS_CELLS) {
                /* lcs[i][j]: length of the LCS of a[pre+i..] and b[pre+j..] */
                uint32_t *lcs = calloc((ma + 1) * (mb + 1), sizeof(*lcs));
                size_t i = 0, j = 0;
                if (!lcs) {
                        free(ops);
                        return -ENOMEM;
                }
#define L(i, j) lcs[(i) * (mb + 1) + (j)]
                for (size_t x = ma; x-- > 0;)
                        for (size_t y = mb; y-- > 0;)
                                L(x, y) = line_eq(&a[pre + x], &b[pre + y]) ? L(x + 1, y + 1) + 1
                                          : L(x + 1, y) >= L(x, y + 1) ? L(x + 1, y)
                                                                       : L(x, y + 1);
                while (i < ma || j < mb) {
                        if (i < ma && j < mb && line_eq(&a[pre + i], &b[pre + j])) {
                                ops[n++] = (op){EQ, pre + i, pre + j};
                                i++, j++;
                        } else if (j == mb || (i < ma && L(i + 1, j) >= L(i, j + 1))) {
                                ops[n++] = (op){DEL, pre + i, pre + j};
                                i++;
                        } else {
                                ops[n++] = (op){ADD, pre + i, pre + j};
                                j++;
                        }
                }
#undef L
                free(lcs);
        } else {
                for (size_t i = 0; i < ma; i++)
                        ops[n++] = (op){DEL, pre + i, pre};
                for (size_t j = 0; j < mb; j++)
                        ops[n++] = (op){ADD, pre + ma, pre + j};
        }
        for (size_t i = 0; i < suf; i++)
                ops[n++] = (op){EQ, na - suf + i, nb - suf + i};
        *ret = ops;
        *ret_n = n;
        return 0;
}

static void put_line(FILE *f, char mark, const line *l) {
        fputc(mark, f);
        fwrite(l->s, 1, l->len, f);
        if (l->len == 0 || l->s[l->len - 1] != '\n')
                fputs("\n\\ No newline at end of file\n", f);
}

/* "-a,b": the unified format names the line before an empty range. */
static void put_range(FILE *f, char sign, size_t start, size_t count) {
        if (count == 1)
                fprintf(f, "%c%zu", sign, start + 1);
        else
                fprintf(f, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

int vk_diff_unified(const char *path, const char *old, size_t old_len, bool old_absent, const char *new,
                    size_t new_len, char **ret) {
        _cleanup_free_ line *a = NULL, *b = NULL;
        _cleanup_free_ op *ops = NULL;
        size_t na = 0, nb = 0, n_ops = 0, size = 0;
        char *buf = NULL;
        FILE *f;
        int r;

        if (new && !old_absent && old_len == new_len && (old_len == 0 || memcmp(old, new, old_len) == 0))
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        if ((r = split_lines(old_absent ? "" : old, old_absent ? 0 : old_len, &a, &na)) < 0 ||
            (r = split_lines(new ? new : "", new ? new_len : 0, &b, &nb)) < 0 ||
            (r = script(a, na, b, nb, &ops, &n_ops)) < 0)
                return r;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "--- %s%s\n+++ %s%s\n", old_absent ? "/dev/null" : "a/", old_absent ? "" : path,
                new ? "b/" : "/dev/null", new ? path : "");
        for (size_t i = 0; i < n_ops;) {
                size_t start, end, la = 0, lb = 0;
                if (ops[i].kind == EQ) {
                        i++;
                        continue;
                }
                /* a hunk: CONTEXT lines before the change, and changes closer than 2*CONTEXT joined */
                start = i > CONTEXT ? i - CONTEXT : 0;
                end = i;
                for (size_t eq_run = 0; end < n_ops; end++) {
                        eq_run = ops[end].kind == EQ ? eq_run + 1 : 0;
                        if (eq_run > 2 * CONTEXT)
                                break;
                }
                /* keep CONTEXT lines of the equal run that ended the hunk */
                {
                        size_t trail = 0;
                        while (trail < end - i && ops[end - 1 - trail].kind == EQ)
                                trail++;
                        if (trail > CONTEXT)
                                end -= trail - CONTEXT;
                }
                for (size_t k = start; k < end; k++) {
                        la += ops[k].kind != ADD;
                        lb += ops[k].kind != DEL;
                }
                fputs("@@ ", f);
                put_range(f, '-', ops[start].a, la);
                fputc(' ', f);
                put_range(f, '+', ops[start].b, lb);
                fputs(" @@\n", f);
                for (size_t k = start; k < end; k++) {
                        if (ops[k].kind == EQ)
                                put_line(f, ' ', &a[ops[k].a]);
                        else if (ops[k].kind == DEL)
                                put_line(f, '-', &a[ops[k].a]);
                        else
                                put_line(f, '+', &b[ops[k].b]);
                }
                i = end;
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}
