/* edit-internal.h — what the boot-config editors share: input checks, the kernel-argument planner and the
 * logical-to-raw map that lets an editor change a quoted value while keeping every other byte. */
#pragma once

#include <stdint.h>

#include "edit.h"

/* Refuse text a config editor must not touch: NUL bytes and control characters other than tab, CR, LF, VT, FF.
 * Returns 0 or -EINVAL with "NAME:LINE: ..." in err. */
int vk_edit_check_text(const char *name, const char *text, size_t len, vk_error *err);
/* Room for one more of n elements of size bytes in *v (capacity doubled, so a 1 MiB input stays linear). */
int vk_grow(void **v, size_t *cap, size_t n, size_t size);
/* 1-based line of offset off. */
size_t vk_edit_line_of(const char *text, size_t off);
/* "\r\n" when the first line of text ends that way, else "\n" (new lines follow the file's style). */
const char *vk_edit_eol(const char *text, size_t len);
/* Fill ret with buf (taken) or, when buf is NULL or the same as orig, a copy of orig (changed = false). Takes notes. */
int vk_edit_result_set(vk_edit_result *ret, const char *orig, size_t orig_len, char *buf, size_t len, vk_strv *notes);

/* What an edit of one kernel command line does, in offsets of that line. */
typedef struct vk_kargs_plan {
        struct vk_kargs_range {
                size_t start, end;
        } *del;              /* sorted, disjoint */
        size_t n_del;
        size_t ins_after;    /* the new text goes right after this offset's character ... */
        bool ins_at_start;   /* ... or at offset 0 when the line has no argument at all */
        char *ins;           /* NULL: nothing added; else the arguments, with a leading space when needed */
        bool any_kept;       /* an argument of the line survives */
} vk_kargs_plan;
void vk_kargs_plan_clear(vk_kargs_plan *p);
/* Plan the change of line (len bytes). also: arguments that reach the kernel together with line (GRUB_CMDLINE_LINUX
 * next to ..._DEFAULT; may be NULL) — they count for "already present" and conflicts, but are never edited.
 * Notes go to notes. -EINVAL with "NAME:LINE: ..." for a line the kernel would misread (an unterminated "). */
int vk_kargs_plan_make(const char *name, size_t line_no, const char *line, size_t len, const char *also,
                       const vk_kargs_change *c, vk_kargs_plan *ret, vk_strv *notes, vk_error *err);
bool vk_kargs_plan_changes(const vk_kargs_plan *p);
/* The line with the plan made: deletions cut, the new arguments inserted (no quoting: a plain string). */
int vk_kargs_plan_apply(const char *line, size_t len, const vk_kargs_plan *p, char **ret, size_t *ret_len);

/* A logical text (what the kernel sees) built from pieces of a raw file: for each logical character, the raw
 * bytes it comes from (length 0 for a separator the editor put between two pieces). */
typedef struct vk_mapped {
        char *text;
        size_t n, cap;
        size_t *raw;     /* raw offset of each character */
        uint8_t *rawlen; /* raw length of each character: 1, 2 for a shell escape, 0 for a separator */
} vk_mapped;
int vk_mapped_push(vk_mapped *m, char c, size_t raw, uint8_t rawlen);
void vk_mapped_clear(vk_mapped *m);

/* Shell files (/etc/default/grub, mkinitcpio.conf), read as sh reads them. */
/* The value of VAR's last plain assignment (VAR=..., not +=) as the shell reads it; *ret NULL when there is none.
 * An expansion in it is kept as written. Errors as the editors': "NAME:LINE: ...". */
int vk_sh_value(const char *name, const char *text, size_t len, const char *var, char **ret, vk_error *err);
/* Skip the command at p up to the line it does not continue (quotes, escapes, comments); *ret: the next line. */
int vk_sh_skip_command(const char *name, const char *text, size_t len, size_t p, size_t *ret, vk_error *err);
/* At p (after blanks, an optional "export "): "VAR=" or "VAR+=" gives the offset of the '=' or '+', else SIZE_MAX. */
size_t vk_sh_match_assignment(const char *text, size_t len, size_t p, const char *var);
/* -EINVAL "NAME:LINE: unterminated ' quote ..." for the quote at text[at]. */
int vk_sh_unterminated(const char *name, const char *text, size_t at, vk_error *err);

/* Edits of one raw text gathered before any is made: bytes to cut, text to insert (at offsets of the original). */
typedef struct vk_splice {
        bool *gone;
        struct vk_splice_ins {
                size_t at;
                char *text;
        } *ins;
        size_t n_ins, cap_ins, len;
} vk_splice;
int vk_splice_init(vk_splice *s, size_t len);
void vk_splice_clear(vk_splice *s);
/* Takes text (NULL is -ENOMEM). Insertions at the same offset keep their order. */
int vk_splice_insert(vk_splice *s, size_t at, char *text);
/* Cut the raw bytes of the plan's deletions. */
void vk_splice_cut(vk_splice *s, const vk_mapped *m, const vk_kargs_plan *p);
int vk_splice_apply(const vk_splice *s, const char *text, char **ret, size_t *ret_len);

/* Plan the kernel arguments held by raw ranges of text, pieces of one command line joined by spaces (BLS options
 * lines, one limine cmdline). Fills m with the joined text. An unterminated " is refused with the line it is on. */
typedef struct vk_range {
        size_t start, end;
} vk_range;
int vk_kargs_plan_ranges(const char *name, const char *text, const vk_range *ranges, size_t n,
                         const vk_kargs_change *c, vk_mapped *m, vk_kargs_plan *plan, vk_strv *notes, vk_error *err);
/* Push a note unless it is there already (one note per fact, however many entries a file has). */
int vk_edit_note_merge(vk_strv *notes, vk_strv *more);
