/* modprobe.c — render vfiokit's own files: /etc/modprobe.d/vfiokit.conf (ids and softdeps) and
 * /etc/dracut.conf.d/vfiokit.conf (force_drivers). Both are written whole; the header says how to undo them. */
#define _GNU_SOURCE
#include "edit-internal.h"
#include "modprobe-conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

/* vfio-pci's ids= takes vendor:device[:subvendor[:subdevice[:class[:class_mask]]]] in hex. */
bool vk_modprobe_is_pci_id(const char *s) {
        size_t fields = 1, digits = 0;
        for (; *s; s++) {
                if (*s == ':') {
                        if (digits == 0)
                                return false;
                        fields++;
                        digits = 0;
                } else if (isxdigit((unsigned char)*s) && ++digits <= 8)
                        continue;
                else
                        return false;
        }
        return digits > 0 && fields >= 2 && fields <= 6;
}

/* Module names as modprobe takes them; nothing a config line could misread. */
static bool is_module_name(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
                        return false;
        return true;
}

static int render(FILE *f, char **buf, int r) {
        if (fclose(f) != 0 || r < 0) {
                free(*buf);
                *buf = NULL;
                return r < 0 ? r : -ENOMEM;
        }
        return 0;
}

int vk_modprobe_render(const vk_modprobe_want *w, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        for (size_t i = 0; i < w->ids.n; i++)
                if (!vk_modprobe_is_pci_id(w->ids.v[i]))
                        return -EINVAL;
        for (size_t i = 0; i < w->softdeps.n; i++)
                if (!is_module_name(w->softdeps.v[i]))
                        return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# Written by vfiokit (vfiokit boot apply): vfio-pci claims these devices before their usual drivers.\n"
              "# Undo with `vfiokit boot revert`; vfiokit rewrites this file, so change it through vfiokit.\n",
              f);
        if (w->ids.n > 0) {
                fputs("options vfio-pci ids=", f);
                for (size_t i = 0; i < w->ids.n; i++) {
                        bool dup = false;
                        for (size_t j = 0; j < i; j++)
                                dup |= strcasecmp(w->ids.v[i], w->ids.v[j]) == 0;
                        if (!dup)
                                fprintf(f, "%s%s", i ? "," : "", w->ids.v[i]);
                }
                fputc('\n', f);
        }
        for (size_t i = 0; i < w->softdeps.n; i++) {
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                        dup |= vk_streq(w->softdeps.v[i], w->softdeps.v[j]);
                if (!dup)
                        fprintf(f, "softdep %s pre: vfio-pci\n", w->softdeps.v[i]);
        }
        if (ferror(f))
                r = -ENOMEM;
        r = render(f, &buf, r);
        if (r < 0)
                return r;
        *ret = buf;
        return 0;
}

int vk_dracut_render(const vk_strv *modules, const char *regen, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        if (modules->n == 0)
                return -EINVAL;
        for (size_t i = 0; i < modules->n; i++)
                if (!is_module_name(modules->v[i]))
                        return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        /* dracut reads only *.conf in dracut.conf.d; += with spaces inside the quotes is how its docs say to add */
        /* the rebuild command differs by system (rpm-ostree initramfs on Silverblue): name this one's or none */
        fputs("# Written by vfiokit (vfiokit boot apply): load vfio-pci from the initramfs, before GPU drivers.\n", f);
        if (regen)
                fprintf(f, "# Undo with `vfiokit boot revert`; it rebuilds the initramfs again with `%s`.\n", regen);
        else
                fputs("# Undo with `vfiokit boot revert`, then rebuild the initramfs.\n", f);
        fputs("force_drivers+=\" ", f);
        for (size_t i = 0; i < modules->n; i++)
                fprintf(f, "%s ", modules->v[i]);
        fputs("\"\n", f);
        if (ferror(f))
                r = -ENOMEM;
        r = render(f, &buf, r);
        if (r < 0)
                return r;
        *ret = buf;
        return 0;
}
