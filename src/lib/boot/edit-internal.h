/* edit-internal.h — what the boot-config editors share: input checks, the kernel-argument planner and the
 * logical-to-raw map that lets an editor change a quoted value while keeping every other byte. */
#pragma once

#include <stdint.h>

#include "edit.h"

/* Refuse text a config editor must not touch: NUL bytes and control characters other than tab, CR, LF, VT, FF.
 * Returns 0 or -EINVAL with "NAME:LINE: ..." in err. */
int vk_edit_check_text(const char *name, const char *text, size_t len, vk_error *err);
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
/* The raw text with the plan's deletions made and ins (already encoded for its place) put at raw offset at. */
int vk_mapped_apply(const char *raw, size_t raw_len, const vk_mapped *m, const vk_kargs_plan *p, size_t at,
                    const char *ins, char **ret, size_t *ret_len);

/* Shell files (/etc/default/grub, mkinitcpio.conf), read as sh reads them. */
/* Skip the command at p up to the line it does not continue (quotes, escapes, comments); *ret: the next line. */
int vk_sh_skip_command(const char *name, const char *text, size_t len, size_t p, size_t *ret, vk_error *err);
/* At p (after blanks, an optional "export "): "VAR=" or "VAR+=" gives the offset of the '=' or '+', else SIZE_MAX. */
size_t vk_sh_match_assignment(const char *text, size_t len, size_t p, const char *var);
/* -EINVAL "NAME:LINE: unterminated ' quote ..." for the quote at text[at]. */
int vk_sh_unterminated(const char *name, const char *text, size_t at, vk_error *err);
