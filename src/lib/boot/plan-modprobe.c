/* plan-modprobe.c — the root's other modprobe.d lines that change what vfiokit.conf does: a second ids= for
 * vfio-pci (only one survives), a blacklist or install line that keeps vfio-pci from loading. Warnings and notes
 * only: the user's files are never edited. */
#define _GNU_SOURCE
#include "modprobe-conf.h"
#include "plan-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define OWN_NAME "vfiokit.conf"
#define OWN_PATH "/etc/modprobe.d/" OWN_NAME
#define CONF_MAX (1u << 20)

/* One `options vfio-pci … ids=…` line of another file. */
typedef struct ids_entry {
        char *file;          /* "/etc/modprobe.d/vfio.conf" */
        size_t line;
        char *value;         /* "148c:2385,1002:aae0", as written */
        vk_strv ids;
        bool after_own;      /* read after vfiokit.conf */
        bool only_ids;       /* the line sets nothing but ids= */
        bool file_redundant; /* every line of its file repeats what vfiokit.conf says */
} ids_entry;

typedef struct scan {
        ids_entry *v;
        size_t n;
} scan;

static void scan_clear(scan *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].file);
                free(s->v[i].value);
                vk_strv_clear(&s->v[i].ids);
        }
        free(s->v);
}

static bool id_in(const vk_strv *v, const char *id) {
        for (size_t i = 0; i < v->n; i++)
                if (strcasecmp(v->v[i], id) == 0)
                        return true;
        return false;
}

static int split_ids(const char *value, vk_strv *ret) {
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        int r = 0;
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t && r >= 0; t = strtok_r(NULL, ",", &save))
                if (!id_in(ret, t))
                        r = vk_strv_push(ret, t);
        return r;
}

static bool is_vfio_module(const char *m) {
        return vk_streq(m, "vfio_pci") || vk_streq(m, "vfio") || vk_streq(m, "vfio_iommu_type1");
}

static bool is_display_or_audio_driver(const char *m) {
        static const char *const drivers[] = {"nouveau", "nvidia", "nvidia_drm", "nvidia_modeset", "amdgpu",
                                              "radeon", "i915", "xe", "snd_hda_intel"};
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                if (vk_streq(m, drivers[i]))
                        return true;
        return false;
}

/* "softdep nouveau pre: vfio-pci", which vfiokit.conf writes for the same driver. */
static bool same_softdep(const vk_boot_plan *p, const vk_mpd_line *l) {
        return vk_strv_contains(&p->softdeps, l->module) &&
               (vk_streq(l->args, "pre: vfio-pci") || vk_streq(l->args, "pre: vfio_pci"));
}

/* An install command that never loads the module ("install vfio-pci /bin/false"). */
static bool install_is_noop(const char *cmd) {
        static const char *const noops[] = {"/bin/true", "/bin/false", "/usr/bin/true", "/usr/bin/false", "true",
                                            "false"};
        size_t len = strlen(cmd);
        while (len > 0 && strchr(" \t\r", cmd[len - 1]))
                len--;
        for (size_t i = 0; i < ELEMENTSOF(noops); i++)
                if (strlen(noops[i]) == len && memcmp(cmd, noops[i], len) == 0)
                        return true;
        return false;
}

/* Words of a user's file as they go into a warning: a garbage or CRLF file must not put control bytes on the
 * terminal ('?' instead of each), and a runaway line is cut. */
static char *shown(const char *s) {
        size_t len = strlen(s);
        while (len > 0 && strchr(" \t\r", s[len - 1]))
                len--;
        char *r = strndup(s, len > 120 ? 120 : len);
        for (char *c = r; c && *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                        *c = '?';
        return r;
}

/* One file's lines: ids entries into s, everything else said at once. */
static int scan_file(vk_host *h, vk_boot_plan *p, const char *path, bool after_own, scan *s) {
        _cleanup_free_ char *text = NULL;
        vk_mpd_line *lines = NULL;
        size_t len, n = 0, first_entry = s->n;
        bool redundant = true;
        int r = vk_host_read_file(h, path, CONF_MAX, &text, &len);

        if (r < 0)
                return r == -ENOMEM ? r
                                    : vk_plan_addf(&p->warnings,
                                                   "/%s: cannot be read (%s): its vfio-pci lines were not checked "
                                                   "against vfiokit.conf; read it yourself before the reboot",
                                                   path, strerror(-r));
        if (memchr(text, '\0', len))
                r = vk_plan_addf(&p->notes, "/%s holds NUL bytes: it is not a text file, but modprobe reads it "
                                            "anyway; delete it if it is not a modprobe.d file", path);
        if (r >= 0)
                r = vk_modprobe_conf_parse(text, len, &lines, &n);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const vk_mpd_line *l = &lines[i];
                const bool vfio_pci = l->module && vk_streq(l->module, "vfio_pci");
                _cleanup_free_ char *value = NULL, *cmd = l->command ? shown(l->command) : NULL,
                                    *args = l->args ? shown(l->args) : NULL;
                vk_strv others = {0};

                if ((l->command && !cmd) || (l->args && !args)) {
                        r = -ENOMEM;
                        break;
                }

                if (l->cmd == VK_MPD_SOFTDEP && same_softdep(p, l))
                        continue;
                if (l->cmd != VK_MPD_OPTIONS || !vfio_pci)
                        redundant = false;
                if (l->cmd == VK_MPD_BAD && l->command)
                        r = vk_plan_addf(&p->notes, "/%s:%zu: modprobe ignores this line (`%s` without what it "
                                                    "needs, or not a modprobe.d command)", path, l->line, cmd);
                else if (l->cmd == VK_MPD_OPTIONS && vfio_pci) {
                        r = vk_modprobe_param(l->args, "ids", &value, &others);
                        /* a line that is only ids= (all in vfiokit's list) may go with the file */
                        const bool only_ids = others.n == 0;
                        redundant &= only_ids && value;
                        for (size_t k = 0; k < others.n && r >= 0; k++) {
                                _cleanup_free_ char *o = shown(others.v[k]);
                                r = o ? vk_plan_addf(&p->notes, "/%s:%zu: options vfio-pci %s applies as well: "
                                                                "modprobe passes vfio-pci the options of every file",
                                                     path, l->line, o)
                                      : -ENOMEM;
                        }
                        vk_strv_clear(&others);
                        if (r >= 0 && value) {
                                char *raw = TAKE_PTR(value);
                                value = shown(raw); /* shown and compared: a garbage id matches nothing either way */
                                free(raw);
                                if (!value)
                                        return vk_mpd_lines_free(lines, n), -ENOMEM;
                                ids_entry *v = realloc(s->v, (s->n + 1) * sizeof(*v));
                                if (!v)
                                        return vk_mpd_lines_free(lines, n), -ENOMEM;
                                s->v = v;
                                v[s->n] = (ids_entry){.file = vk_printf("/%s", path), .line = l->line,
                                                      .value = TAKE_PTR(value), .after_own = after_own,
                                                      .only_ids = only_ids};
                                s->n++;
                                if (!v[s->n - 1].file)
                                        r = -ENOMEM;
                                else
                                        r = split_ids(v[s->n - 1].value, &v[s->n - 1].ids);
                                for (size_t k = 0; k < v[s->n - 1].ids.n; k++)
                                        redundant &= id_in(&p->ids, v[s->n - 1].ids.v[k]);
                        }
                } else if (l->cmd == VK_MPD_BLACKLIST && l->module && is_vfio_module(l->module))
                        r = vk_plan_addf(&p->warnings,
                                         "/%s:%zu: blacklist %s: modprobe -b, udev and the initramfs tools that honour "
                                         "blacklists skip %s, so vfio-pci may not load at boot and the devices stay "
                                         "with their usual drivers. Delete this line",
                                         path, l->line, l->module, l->module);
                else if (l->cmd == VK_MPD_INSTALL && l->module && is_vfio_module(l->module))
                        r = install_is_noop(l->args)
                                    ? vk_plan_addf(&p->warnings,
                                                   "/%s:%zu: install %s %s: modprobe runs that command instead of "
                                                   "loading %s, so vfio-pci will not load and the devices stay with "
                                                   "their usual drivers. Delete this line",
                                                   path, l->line, l->module, args, l->module)
                                    : vk_plan_addf(&p->notes,
                                                   "/%s:%zu: install %s: modprobe runs `%s` instead of loading %s; "
                                                   "make sure that command still loads it",
                                                   path, l->line, l->module, args, l->module);
                else if (l->cmd == VK_MPD_BLACKLIST && l->module && is_display_or_audio_driver(l->module))
                        r = vk_plan_addf(&p->notes,
                                         "/%s:%zu: blacklist %s: harmless, but not needed for the hand-over (the "
                                         "softdeps in vfiokit.conf load vfio-pci first)%s",
                                         path, l->line, l->module,
                                         vk_streq(l->module, "snd_hda_intel")
                                                 ? "; it also keeps the host's own HDMI and onboard audio off"
                                                 : "; it also keeps this driver from every other such card");
        }
        vk_mpd_lines_free(lines, n);
        for (size_t k = first_entry; k < s->n; k++)
                s->v[k].file_redundant = redundant;
        return r;
}

/* Why an id of another file's list would take no device here; NULL when it takes one vfio-pci can have. */
static char *dead_id(const vk_model *m, const char *id) {
        unsigned vendor, device;
        int used = 0;
        bool two = sscanf(id, "%x:%x%n", &vendor, &device, &used) == 2;

        if (!vk_modprobe_is_pci_id(id))
                /* vfio-pci's parser takes what its sscanf("%x:%x:…") matched and drops the rest */
                return two ? vk_printf("%s is not a vendor:device id (ids are separated by commas; the kernel reads "
                                       "only %04x:%04x of it)", id, vendor, device)
                           : vk_printf("%s is not a vendor:device id", id);
        if (id[used] == ':' || vendor == 0xffffffffu || device == 0xffffffffu)
                return NULL; /* subsystem or class fields, or PCI_ANY_ID: not judged here */
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                if (f->ids_valid && f->vendor == vendor && f->device == device)
                        return vk_func_is_bridge(f) ? vk_printf("%s is %s, a PCI bridge, which vfio-pci never takes",
                                                                id, f->addr)
                                                    : NULL;
        }
        for (size_t i = 0; i < m->n_funcs; i++) {
                const vk_func *f = &m->funcs[i];
                if (f->ids_valid && f->subsys_vendor == vendor && f->subsys_device == device)
                        return vk_printf("%s is the subsystem id of %s, the one lspci shows on its Subsystem line, "
                                         "not its vendor:device id, so ids= never matches it",
                                         id, f->addr);
        }
        return vk_printf("%s matches no device on this host", id);
}

/* What one other ids= line does next to vfiokit.conf's. */
static int explain_entry(const vk_model *m, vk_boot_plan *p, const ids_entry *e, const char *winner_why,
                         const vk_strv *winner, bool is_winner, bool own_lost, const char *merged) {
        _cleanup_(vk_strv_clear) vk_strv keep = {0}, dead = {0}, missing = {0};
        _cleanup_free_ char *eff = vk_strv_join(winner, ","), *keep_s = NULL, *dead_s = NULL, *missing_s = NULL;
        _cleanup_free_ char *tail = NULL;
        int r = 0;

        for (size_t i = 0; i < e->ids.n && r >= 0; i++) {
                if (id_in(&p->ids, e->ids.v[i]))
                        continue;
                char *why = dead_id(m, e->ids.v[i]);
                r = why ? vk_strv_push_take(&dead, why) : vk_strv_push(&keep, e->ids.v[i]);
        }
        for (size_t i = 0; i < p->ids.n && r >= 0; i++)
                if (!id_in(winner, p->ids.v[i]))
                        r = vk_strv_push(&missing, p->ids.v[i]);
        if (r < 0 || !eff || !(keep_s = vk_strv_join(&keep, ",")) ||
            !(missing_s = vk_strv_join(&missing, ",")))
                return -ENOMEM;
        if (dead.n) {
                dead_s = calloc(1, 1);
                for (size_t i = 0; dead_s && i < dead.n; i++) {
                        char *d = vk_printf("%s%s%s", dead_s, i ? "; " : "", dead.v[i]);
                        free(dead_s);
                        dead_s = d;
                }
                if (!dead_s)
                        return -ENOMEM;
        }
        if (is_winner && own_lost)
                tail = vk_printf("%s from vfiokit's list would not go to vfio-pci, so the hand-over would not work. "
                                 "Replace the line with `options vfio-pci ids=%s` (both lists) or delete it; vfiokit "
                                 "boot apply refuses until then (--force applies anyway)",
                                 missing_s, merged);
        else if (keep.n && !is_winner)
                tail = vk_printf("%s from this line would no longer go to vfio-pci at boot. If %s still should, "
                                 "replace the line with `options vfio-pci ids=%s` and rename %s so it sorts after "
                                 "vfiokit.conf (e.g. /etc/modprobe.d/zz-vfio.conf); if not, delete the line",
                                 keep_s, keep.n == 1 ? "it" : "they", merged, e->file);
        else if (keep.n)
                tail = vk_printf("its list holds all of vfiokit's ids, so the hand-over works; %s stay%s with "
                                 "vfio-pci after vfiokit boot revert, since vfiokit does not touch this file",
                                 keep_s, keep.n == 1 ? "s" : "");
        else
                tail = vk_printf("it gives vfio-pci nothing vfiokit.conf does not: %s%s",
                                 e->only_ids ? "the line is redundant and can be deleted"
                                             : "its ids= is redundant and can be deleted from the line",
                                 e->file_redundant ? ", and so can the whole file (everything else in it repeats "
                                                     "vfiokit.conf)"
                                                   : "");
        if (!tail)
                return -ENOMEM;
        return vk_plan_addf(&p->warnings,
                            "%s:%zu: options vfio-pci ids=%s sets vfio-pci's device list too. modprobe reads "
                            "modprobe.d files in lexical order of file name and passes vfio-pci the options of every "
                            "one, and the kernel keeps only the last ids=: %s, so vfio-pci gets ids=%s at boot; %s.%s%s%s",
                            e->file, e->line, e->value, winner_why, eff, tail, dead_s ? " Its other ids take no device: " : "",
                            dead_s ? dead_s : "", dead_s ? "." : "");
}

int vk_plan_modprobe_check(vk_host *h, const vk_model *m, const vk_boot_opts *o, vk_boot_plan *p, vk_error *err) {
        _cleanup_(vk_strv_clear) vk_strv files = {0}, merged = {0};
        _cleanup_free_ char *merged_s = NULL, *winner_why = NULL;
        scan s = {0};
        const ids_entry *last = NULL;
        const vk_strv *winner;
        bool own_lost;
        int r = vk_modprobe_conf_files(h, &files);

        for (size_t i = 0; i < files.n && r >= 0; i++) {
                const char *name = strrchr(files.v[i], '/') + 1;
                if (vk_streq(name, OWN_NAME))
                        continue; /* vfiokit's own: rewritten whole by this plan */
                r = scan_file(h, p, files.v[i], strcmp(name, OWN_NAME) > 0, &s);
        }
        if (r < 0)
                goto out;
        if (p->vfio_builtin) {
                for (size_t i = 0; i < s.n && r >= 0; i++)
                        r = vk_plan_addf(&p->notes, "%s:%zu: options vfio-pci ids=%s has no effect: vfio-pci is built "
                                                    "into this kernel, and modprobe.d options never reach a built-in "
                                                    "module (only vfio-pci.ids= on the kernel command line does)",
                                         s.v[i].file, s.v[i].line, s.v[i].value);
                goto out;
        }
        for (size_t i = 0; i < s.n; i++)
                if (s.v[i].after_own)
                        last = &s.v[i];
        /* kmod_config_new() parses the kernel command line's MODULE.PARAM= after every file, so with --cmdline-ids
         * (and on a trial entry) vfiokit's vfio-pci.ids= is the last ids= modprobe hands over, whatever the files say */
        if (o->cmdline_ids || o->trial || !last) {
                winner = &p->ids;
                winner_why = o->cmdline_ids || o->trial
                                     ? strdup(o->trial ? "vfio-pci.ids= on the trial entry's command line comes after "
                                                         "every file"
                                                       : "vfio-pci.ids= on the kernel command line (--cmdline-ids) "
                                                         "comes after every file")
                                            : strdup(OWN_PATH " is read after it");
                last = NULL;
        } else {
                winner = &last->ids;
                winner_why = vk_printf("%s:%zu is read after " OWN_PATH, last->file, last->line);
        }
        if (!winner_why) {
                r = -ENOMEM;
                goto out;
        }
        own_lost = false;
        for (size_t i = 0; i < p->ids.n; i++)
                own_lost |= !id_in(winner, p->ids.v[i]);
        for (size_t i = 0; i < p->ids.n && r >= 0; i++)
                r = vk_strv_push(&merged, p->ids.v[i]);
        for (size_t i = 0; i < s.n && r >= 0; i++)
                for (size_t k = 0; k < s.v[i].ids.n && r >= 0; k++) {
                        _cleanup_free_ char *why = id_in(&merged, s.v[i].ids.v[k]) ? NULL : dead_id(m, s.v[i].ids.v[k]);
                        if (!id_in(&merged, s.v[i].ids.v[k]) && !why)
                                r = vk_strv_push(&merged, s.v[i].ids.v[k]);
                }
        if (r >= 0 && !(merged_s = vk_strv_join(&merged, ",")))
                r = -ENOMEM;
        for (size_t i = 0; i < s.n && r >= 0; i++)
                r = explain_entry(m, p, &s.v[i], winner_why, winner, &s.v[i] == last, own_lost, merged_s);
        if (r >= 0 && own_lost && !(p->modprobe_conflict = vk_printf("%s:%zu: options vfio-pci ids=%s", last->file,
                                                                     last->line, last->value)))
                r = -ENOMEM;
out:
        scan_clear(&s);
        return r < 0 ? vk_error_set(err, r, "reading modprobe.d: %s", strerror(-r)) : 0;
}
