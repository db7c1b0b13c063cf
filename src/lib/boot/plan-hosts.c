/* plan-hosts.c — the plans of hosts whose kernel line is not a file vfiokit edits: NixOS, rpm-ostree, unknown. */
#define _GNU_SOURCE
#include "boot.h"
#include "plan-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *join(const vk_strv *v, const char *sep, const char *quote) {
        size_t len = 1;
        char *s;
        for (size_t i = 0; i < v->n; i++)
                len += strlen(v->v[i]) + strlen(sep) + 2 * strlen(quote);
        s = calloc(1, len);
        if (!s)
                return NULL;
        for (size_t i = 0; i < v->n; i++) {
                if (i)
                        strcat(s, sep);
                strcat(s, quote);
                strcat(s, v->v[i]);
                strcat(s, quote);
        }
        return s;
}

/* NixOS: the store is not edited; the user adds this to configuration.nix and runs nixos-rebuild. */
int vk_plan_nixos(vk_boot_plan *p, const char *modprobe, bool m_has_amd_iommu) {
        _cleanup_free_ char *params = join(&p->kargs_add, " ", "\""), *mods = join(&p->modules, " ", "\"");
        _cleanup_free_ char *indented = NULL;
        size_t n = 0;

        if (!params || !mods || !modprobe)
                return -ENOMEM;
        indented = malloc(2 * strlen(modprobe) + 8);
        if (!indented)
                return -ENOMEM;
        /* the file's own comments speak of vfiokit boot revert, which does not apply here */
        for (const char *s = modprobe; *s;) {
                const char *eol = strchrnul(s, '\n');
                if (*s != '#')
                        n += (size_t)sprintf(indented + n, "  %.*s\n", (int)(eol - s), s);
                s = *eol ? eol + 1 : eol;
        }
        indented[n] = 0;
        /* an empty list would only be noise to paste (and a NixOS list assignment replaces nothing anyway) */
        _cleanup_free_ char *params_line = *params ? vk_printf("boot.kernelParams = [ %s ];\n", params) : strdup("");
        _cleanup_free_ char *mods_line = *mods && !p->vfio_builtin
                                                 ? vk_printf("boot.initrd.kernelModules = [ %s ];\n", mods)
                                                 : strdup("");
        _cleanup_free_ char *modprobe_block = !p->vfio_builtin && n > 0
                                                      ? vk_printf("boot.extraModprobeConfig = ''\n%s'';\n", indented)
                                                      : strdup("");
        if (!params_line || !mods_line || !modprobe_block)
                return -ENOMEM;
        p->nixos_snippet = vk_printf("# vfiokit: %s (IOMMU group %d) to vfio-pci at boot\n%s%s%s", p->gpu, p->group,
                                     params_line, mods_line, modprobe_block);
        if (!p->nixos_snippet)
                return -ENOMEM;
        if (p->kargs_remove.n && m_has_amd_iommu && vk_plan_addf(&p->notes, "remove amd_iommu=on from boot.kernelParams: it "
                                                                    "is not a valid option") < 0)
                return -ENOMEM;
        return vk_plan_addf(&p->notes, "NixOS: vfiokit changes nothing here; add the snippet to /etc/nixos/configuration.nix, "
                               "then run nixos-rebuild boot and reboot");
}

/* rpm-ostree / bootc: the kernel arguments belong to the deployment; its own command changes them. */
int vk_plan_ostree(const vk_model *m, vk_boot_plan *p) {
        vk_boot_cmd c = {0}, u = {0};
        int r = vk_strv_push(&c.argv, "rpm-ostree");

        if (r >= 0)
                r = vk_strv_push(&c.argv, "kargs");
        if (r >= 0)
                r = vk_strv_push(&u.argv, "rpm-ostree");
        if (r >= 0)
                r = vk_strv_push(&u.argv, "kargs");
        for (size_t i = 0; i < p->kargs_add.n && r >= 0; i++)
                if (!vk_plan_cmdline_has(m, p->kargs_add.v[i]) &&
                    (r = vk_plan_addf(&c.argv, "--append-if-missing=%s", p->kargs_add.v[i])) >= 0)
                        r = vk_plan_addf(&u.argv, "--delete-if-present=%s", p->kargs_add.v[i]);
        for (size_t i = 0; i < p->kargs_remove.n && r >= 0; i++)
                if (vk_plan_cmdline_has(m, p->kargs_remove.v[i]) &&
                    (r = vk_plan_addf(&c.argv, "--delete-if-present=%s", p->kargs_remove.v[i])) >= 0)
                        r = vk_plan_addf(&u.argv, "--append-if-missing=%s", p->kargs_remove.v[i]);
        if (r >= 0 && c.argv.n > 2) {
                const char **a = calloc(c.argv.n + 1, sizeof(*a)), **b = calloc(u.argv.n + 1, sizeof(*b));
                if (!a || !b)
                        r = -ENOMEM;
                for (size_t i = 0; r >= 0 && i < c.argv.n; i++)
                        a[i] = c.argv.v[i];
                for (size_t i = 0; r >= 0 && i < u.argv.n; i++)
                        b[i] = u.argv.v[i];
                if (r >= 0)
                        r = vk_boot_cmd_add(&p->cmds, &p->n_cmds, "change the deployment's kernel arguments", a);
                if (r >= 0)
                        r = vk_boot_cmd_add(&p->undo, &p->n_undo, "put the kernel arguments back", b);
                free(a);
                free(b);
        }
        vk_boot_cmd_clear(&c);
        vk_boot_cmd_clear(&u);
        return r;
}

/* What to add to the initramfs by hand, in the words of the detected generator. */
static int unknown_initramfs_note(vk_boot_plan *p) {
        const vk_boot_detect *d = &p->detect;
        _cleanup_free_ char *spaced = join(&p->modules, " ", ""), *regen = NULL;
        const char *conf = d->initramfs_conf ? d->initramfs_conf : "";

        if (!spaced)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_initrd_regen; i++) {
                _cleanup_free_ char *c = vk_boot_cmd_text(&d->initrd_regen[i]);
                char *joined = c ? vk_printf("%s%s%s", regen ? regen : "", regen ? " && " : "", c) : NULL;
                if (!joined)
                        return -ENOMEM;
                free(regen);
                regen = joined;
        }
        switch (d->initramfs) {
        case VK_INITRD_MKINITCPIO:
                return vk_plan_addf(&p->notes, "and load vfio-pci from the initramfs: add %s to MODULES=(...) in /%s, "
                                    "before any GPU driver, then run %s", spaced, conf, regen ? regen : "mkinitcpio -P");
        case VK_INITRD_INITRAMFS_TOOLS:
                return vk_plan_addf(&p->notes, "and load vfio-pci from the initramfs: add %s to /%s, one per line, then "
                                    "run %s", spaced, conf, regen ? regen : "update-initramfs -u -k all");
        case VK_INITRD_BOOSTER:
                return vk_plan_addf(&p->notes, "and load vfio-pci from the initramfs: add %s to modules_force_load in "
                                    "/%s (comma-separated), then run %s", spaced, conf,
                                    regen ? regen : "the command that regenerates your booster images");
        case VK_INITRD_DRACUT:
                return vk_plan_addf(&p->notes, "and load vfio-pci from the initramfs: write /%s with the line "
                                    "force_drivers+=\" %s \", then run %s", conf, spaced,
                                    regen ? regen : "the command that regenerates your initramfs");
        case VK_INITRD_NONE:
                break;
        }
        return vk_plan_addf(&p->notes, "and, if your initramfs loads the GPU's driver, add %s to its module list and "
                            "regenerate it (no initramfs generator vfiokit knows was found: mkinitcpio, dracut, "
                            "initramfs-tools, booster)", spaced);
}

int vk_plan_unknown(vk_boot_plan *p, const char *modprobe) {
        _cleanup_free_ char *add = join(&p->kargs_add, " ", ""), *rm = join(&p->kargs_remove, " ", "");
        _cleanup_free_ char *body = NULL;
        size_t n = 0;
        int r;

        if (!add || !rm || !modprobe)
                return -ENOMEM;
        /* the rendered file's comments promise vfiokit boot revert, which cannot undo a file the user writes */
        body = malloc(strlen(modprobe) + 1);
        if (!body)
                return -ENOMEM;
        for (const char *s = modprobe; *s;) {
                const char *eol = strchrnul(s, '\n');
                if (*s != '#')
                        n += (size_t)sprintf(body + n, "%.*s\n", (int)(eol - s), s);
                s = *eol ? eol + 1 : eol;
        }
        body[n] = 0;
        r = vk_plan_addf(&p->warnings,
                 "the bootloader was not recognised (vfiokit knows GRUB, systemd-boot, kernelstub, rEFInd, Limine, "
                 "rpm-ostree and NixOS): nothing will be changed");
        if (r >= 0)
                r = vk_plan_addf(&p->notes, "add to the kernel command line yourself: %s%s%s", *add ? add : "(nothing)",
                         p->kargs_remove.n ? "; and remove if present: " : "", rm);
        if (r >= 0 && !p->vfio_builtin)
                r = vk_plan_addf(&p->notes,
                                 "and write /etc/modprobe.d/vfio.conf (yours: vfiokit boot revert does not know it):\n"
                                 "# vfio-pci claims these devices before their usual drivers (from vfiokit boot plan)\n%s",
                                 body);
        if (r >= 0 && !p->vfio_builtin)
                r = unknown_initramfs_note(p);
        return r;
}

const char *vk_plan_trial_note(const vk_boot_detect *d) {
        bool entries = false;
        for (size_t i = 0; i < d->n_kargs; i++)
                entries |= d->kargs[i].kind == VK_KARGS_BLS;
        if (entries && (d->bootloader == VK_BL_SDBOOT || d->grub_bls))
                return "trial boot: this plan changes the entries themselves. --trial-boot instead puts the options into "
                       "a new entry that only the next boot uses, so a host that does not come up starts as before "
                       "after a reset";
        switch (d->bootloader) {
        case VK_BL_GRUB:
                return "trial boot: not offered. The options go into the default entry, so no unchanged entry is left "
                       "for grub-reboot to fall back to; if the host does not come up, press e in the GRUB menu, "
                       "delete the options from the linux line, boot with Ctrl-x and run vfiokit boot revert";
        case VK_BL_SDBOOT:
        case VK_BL_KERNELSTUB:
                return "trial boot: not offered. The options go into the entries themselves, so no unchanged entry is "
                       "left for bootctl set-oneshot; if the host does not come up, press e in the systemd-boot menu, "
                       "delete the options, and run vfiokit boot revert";
        default:
                return NULL;
        }
}

