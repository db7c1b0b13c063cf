/* detect.c — which bootloader and initramfs generator a root uses, from its files alone (nothing runs). */
#define _GNU_SOURCE
#include "boot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vk_bootloader_name(vk_bootloader b) {
        switch (b) {
        case VK_BL_GRUB: return "GRUB";
        case VK_BL_SDBOOT: return "systemd-boot";
        case VK_BL_KERNELSTUB: return "kernelstub";
        case VK_BL_REFIND: return "rEFInd";
        case VK_BL_LIMINE: return "Limine";
        case VK_BL_OSTREE: return "rpm-ostree";
        case VK_BL_NIXOS: return "NixOS";
        case VK_BL_UNKNOWN: break;
        }
        return "unknown";
}

const char *vk_initramfs_name(vk_initramfs i) {
        switch (i) {
        case VK_INITRD_MKINITCPIO: return "mkinitcpio";
        case VK_INITRD_DRACUT: return "dracut";
        case VK_INITRD_INITRAMFS_TOOLS: return "initramfs-tools";
        case VK_INITRD_BOOSTER: return "booster";
        case VK_INITRD_NONE: break;
        }
        return "none";
}

void vk_boot_cmd_clear(vk_boot_cmd *c) {
        vk_strv_clear(&c->argv);
        free(c->why);
        c->why = NULL;
}

int vk_boot_cmd_add(vk_boot_cmd **v, size_t *n, const char *why, const char *const *argv) {
        vk_boot_cmd c = {0}, *nv;

        for (size_t i = 0; argv[i]; i++)
                if (vk_strv_push(&c.argv, argv[i]) < 0)
                        goto oom;
        c.why = vk_strdup(why);
        if (why && !c.why)
                goto oom;
        nv = realloc(*v, (*n + 1) * sizeof(**v));
        if (!nv)
                goto oom;
        nv[(*n)++] = c;
        *v = nv;
        return 0;
oom:
        vk_boot_cmd_clear(&c);
        return -ENOMEM;
}

char *vk_boot_cmd_text(const vk_boot_cmd *c) {
        size_t cap = 1;
        char *s, *p;

        for (size_t i = 0; i < c->argv.n; i++)
                cap += 2 * strlen(c->argv.v[i]) + 3;
        p = s = malloc(cap);
        if (!s)
                return NULL;
        for (size_t i = 0; i < c->argv.n; i++) {
                const char *a = c->argv.v[i];
                bool quote = !*a || strpbrk(a, " \t\"'\\$`;&|<>()*?") != NULL;
                if (i)
                        *p++ = ' ';
                if (quote)
                        *p++ = '\'';
                for (; *a; a++) {
                        if (quote && *a == '\'') {
                                memcpy(p, "'\\''", 4);
                                p += 4;
                        } else
                                *p++ = *a;
                }
                if (quote)
                        *p++ = '\'';
        }
        *p = 0;
        return s;
}

void vk_boot_detect_clear(vk_boot_detect *d) {
        for (size_t i = 0; i < d->n_kargs; i++)
                free(d->kargs[i].path);
        free(d->kargs);
        for (size_t i = 0; i < d->n_bl_regen; i++)
                vk_boot_cmd_clear(&d->bl_regen[i]);
        free(d->bl_regen);
        for (size_t i = 0; i < d->n_initrd_regen; i++)
                vk_boot_cmd_clear(&d->initrd_regen[i]);
        free(d->initrd_regen);
        free(d->evidence);
        free(d->initramfs_conf);
        vk_strv_clear(&d->kernels);
        vk_strv_clear(&d->notes);
        *d = (vk_boot_detect){0};
}

static bool exists(vk_host *h, const char *path) { return vk_host_stat(h, path, NULL) >= 0; }

static bool is_dir(vk_host *h, const char *path) {
        bool dir = false;
        return vk_host_stat(h, path, &dir) >= 0 && dir;
}

static int add_kargs(vk_boot_detect *d, const char *path, vk_kargs_kind kind) {
        vk_kargs_file *v = realloc(d->kargs, (d->n_kargs + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        d->kargs = v;
        v[d->n_kargs].path = strdup(path);
        if (!v[d->n_kargs].path)
                return -ENOMEM;
        v[d->n_kargs++].kind = kind;
        return 0;
}

static int note(vk_boot_detect *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(vk_boot_detect *d, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return vk_strv_push_take(&d->notes, s);
}

/* "/a, /b" from the paths that exist, for the user to see why this bootloader was chosen. */
static int set_evidence(vk_boot_detect *d, vk_host *h, const char *const *paths) {
        size_t len = 1;
        for (size_t i = 0; paths[i]; i++)
                len += strlen(paths[i]) + 3;
        d->evidence = calloc(1, len);
        if (!d->evidence)
                return -ENOMEM;
        for (size_t i = 0; paths[i]; i++) {
                if (!exists(h, paths[i]))
                        continue;
                if (*d->evidence)
                        strcat(d->evidence, ", ");
                strcat(d->evidence, "/");
                strcat(d->evidence, paths[i]);
        }
        return 0;
}

/* Boot Loader Specification entries (NAME.conf) under the ESP/XBOOTLDR mount points vfiokit knows. */
static int add_loader_entries(vk_host *h, vk_boot_detect *d, size_t *ret_n) {
        static const char *const dirs[] = {"boot/loader/entries", "efi/loader/entries", "boot/efi/loader/entries"};
        size_t n = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                vk_strv names = {0};
                if (vk_host_list_dir(h, dirs[i], &names) < 0)
                        continue;
                for (size_t k = 0; k < names.n; k++) {
                        size_t len = strlen(names.v[k]);
                        _cleanup_free_ char *p = NULL;
                        if (len <= 5 || strcmp(names.v[k] + len - 5, ".conf") != 0)
                                continue;
                        p = vk_printf("%s/%s", dirs[i], names.v[k]);
                        if (!p || (r = add_kargs(d, p, VK_KARGS_BLS)) < 0) {
                                vk_strv_clear(&names);
                                return -ENOMEM;
                        }
                        n++;
                }
                vk_strv_clear(&names);
        }
        *ret_n = n;
        return 0;
}

static int list_kernels(vk_host *h, vk_boot_detect *d) {
        vk_strv names = {0};

        if (vk_host_list_dir(h, "usr/lib/modules", &names) < 0 && vk_host_list_dir(h, "lib/modules", &names) < 0)
                return 0;
        for (size_t i = 0; i < names.n; i++) {
                _cleanup_free_ char *p = vk_printf("usr/lib/modules/%s", names.v[i]);
                _cleanup_free_ char *q = vk_printf("lib/modules/%s", names.v[i]);
                if (!p || !q)
                        return -ENOMEM;
                if ((is_dir(h, p) || is_dir(h, q)) && vk_strv_push(&d->kernels, names.v[i]) < 0) {
                        vk_strv_clear(&names);
                        return -ENOMEM;
                }
        }
        vk_strv_clear(&names);
        return 0;
}

#define CMD(why, ...) vk_boot_cmd_add(&d->bl_regen, &d->n_bl_regen, why, (const char *const[]){__VA_ARGS__, NULL})
#define ICMD(why, ...) \
        vk_boot_cmd_add(&d->initrd_regen, &d->n_initrd_regen, why, (const char *const[]){__VA_ARGS__, NULL})

static int detect_grub(vk_host *h, vk_boot_detect *d) {
        size_t n_entries = 0;
        int r;

        r = add_kargs(d, "etc/default/grub", VK_KARGS_GRUB);
        if (r < 0)
                return r;
        if (exists(h, "boot/grub2/grub.cfg")) {
                /* Fedora/openSUSE: with GRUB_ENABLE_BLSCFG the entries carry their own options line. vfiokit
                 * edits those entries itself (what `grubby --update-kernel=ALL --args=…` does) so that revert
                 * can restore them byte for byte; /etc/default/grub keeps the options for future kernels. */
                r = add_loader_entries(h, d, &n_entries);
                if (r < 0)
                        return r;
                d->grub_bls = n_entries > 0;
                r = CMD("regenerate grub.cfg", "grub2-mkconfig", "-o", "/boot/grub2/grub.cfg");
        } else if (exists(h, "usr/sbin/update-grub") || exists(h, "sbin/update-grub"))
                r = CMD("regenerate grub.cfg", "update-grub");
        else {
                if (!exists(h, "boot/grub/grub.cfg"))
                        r = note(d, "/boot/grub/grub.cfg was not found; vfiokit assumes GRUB reads it (it runs "
                                    "grub-mkconfig -o /boot/grub/grub.cfg)");
                if (r >= 0)
                        r = CMD("regenerate grub.cfg", "grub-mkconfig", "-o", "/boot/grub/grub.cfg");
        }
        return r;
}

static int detect_sdboot(vk_host *h, vk_boot_detect *d) {
        size_t n_entries = 0;
        int r = 0;

        if (exists(h, "etc/kernel/cmdline"))
                r = add_kargs(d, "etc/kernel/cmdline", VK_KARGS_LINE);
        if (r >= 0)
                r = add_loader_entries(h, d, &n_entries);
        /* Entries vfiokit edits itself need nothing more (running kernel-install over hand-written ones would add
         * a second set). Without entries the kernel line lives in what kernel-install builds from
         * /etc/kernel/cmdline (a unified kernel image): rebuild that. */
        if (r < 0 || !exists(h, "etc/kernel/cmdline") || n_entries > 0)
                return r;
        if (d->kernels.n == 0)
                return note(d, "/etc/kernel/cmdline is the source of the boot entries, but no kernel was found under "
                               "/usr/lib/modules: run kernel-install add VERSION IMAGE for each kernel yourself");
        for (size_t i = 0; i < d->kernels.n && r >= 0; i++) {
                _cleanup_free_ char *img = vk_printf("/usr/lib/modules/%s/vmlinuz", d->kernels.v[i]);
                if (!img)
                        return -ENOMEM;
                r = CMD("rebuild the kernel image from /etc/kernel/cmdline", "kernel-install", "add", d->kernels.v[i],
                        img);
        }
        return r;
}

static const char *const limine_paths[] = {
        "boot/limine.conf",        "boot/limine/limine.conf",     "boot/EFI/limine/limine.conf",
        "boot/efi/EFI/limine/limine.conf", "efi/limine/limine.conf", "efi/EFI/limine/limine.conf",
        "boot/limine.cfg",         "boot/limine/limine.cfg",
};

static bool has_loader_entries(vk_host *h) {
        static const char *const dirs[] = {"boot/loader/entries", "efi/loader/entries", "boot/efi/loader/entries",
                                           "boot/loader/loader.conf", "efi/loader/loader.conf",
                                           "boot/efi/loader/loader.conf"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (exists(h, dirs[i]))
                        return true;
        return false;
}

static int detect_bootloader(vk_host *h, vk_boot_detect *d) {
        bool grub_cfg = exists(h, "boot/grub/grub.cfg") || exists(h, "boot/grub2/grub.cfg");

        if (exists(h, "run/ostree-booted")) {
                d->bootloader = VK_BL_OSTREE;
                return set_evidence(d, h, (const char *const[]){"run/ostree-booted", NULL});
        }
        if (exists(h, "etc/NIXOS") || exists(h, "etc/nixos/configuration.nix")) {
                d->bootloader = VK_BL_NIXOS;
                return set_evidence(d, h, (const char *const[]){"etc/NIXOS", "etc/nixos/configuration.nix", NULL});
        }
        if (exists(h, "etc/kernelstub/configuration")) {
                d->bootloader = VK_BL_KERNELSTUB;
                if (add_kargs(d, "etc/kernelstub/configuration", VK_KARGS_KERNELSTUB) < 0 ||
                    CMD("copy the kernel, initramfs and options to the EFI partition", "kernelstub") < 0)
                        return -ENOMEM;
                return set_evidence(d, h, (const char *const[]){"etc/kernelstub/configuration", NULL});
        }
        /* a leftover /etc/default/grub without grub.cfg on a systemd-boot host is not GRUB */
        if (exists(h, "etc/default/grub") && (grub_cfg || !has_loader_entries(h))) {
                d->bootloader = VK_BL_GRUB;
                return detect_grub(h, d) < 0
                               ? -ENOMEM
                               : set_evidence(d, h,
                                              (const char *const[]){"etc/default/grub", "boot/grub/grub.cfg",
                                                                    "boot/grub2/grub.cfg", "boot/loader/entries", NULL});
        }
        if (exists(h, "etc/kernel/cmdline") || has_loader_entries(h)) {
                d->bootloader = VK_BL_SDBOOT;
                return detect_sdboot(h, d) < 0
                               ? -ENOMEM
                               : set_evidence(d, h,
                                              (const char *const[]){"etc/kernel/cmdline", "boot/loader/entries",
                                                                    "efi/loader/entries", "boot/efi/loader/entries",
                                                                    NULL});
        }
        if (exists(h, "boot/refind_linux.conf")) {
                d->bootloader = VK_BL_REFIND;
                if (add_kargs(d, "boot/refind_linux.conf", VK_KARGS_REFIND) < 0)
                        return -ENOMEM;
                return set_evidence(d, h, (const char *const[]){"boot/refind_linux.conf", NULL});
        }
        for (size_t i = 0; i < ELEMENTSOF(limine_paths); i++)
                if (exists(h, limine_paths[i])) {
                        d->bootloader = VK_BL_LIMINE;
                        if (add_kargs(d, limine_paths[i], VK_KARGS_LIMINE) < 0)
                                return -ENOMEM;
                        return set_evidence(d, h, (const char *const[]){limine_paths[i], NULL});
                }
        d->bootloader = VK_BL_UNKNOWN;
        d->evidence = strdup("");
        return d->evidence ? 0 : -ENOMEM;
}

static int detect_initramfs(vk_host *h, vk_boot_detect *d) {
        if (exists(h, "etc/mkinitcpio.conf")) {
                d->initramfs = VK_INITRD_MKINITCPIO;
                d->initramfs_conf = strdup("etc/mkinitcpio.conf");
                return d->initramfs_conf ? ICMD("regenerate every initramfs preset", "mkinitcpio", "-P") : -ENOMEM;
        }
        if (exists(h, "etc/booster.yaml")) {
                d->initramfs = VK_INITRD_BOOSTER;
                d->initramfs_conf = strdup("etc/booster.yaml");
                if (!d->initramfs_conf)
                        return -ENOMEM;
                /* booster's image names belong to the distribution's packaging; Arch ships this script */
                if (exists(h, "usr/lib/booster/regenerate_images"))
                        return ICMD("regenerate every booster image", "/usr/lib/booster/regenerate_images");
                return note(d, "booster: /usr/lib/booster/regenerate_images was not found; rebuild each image "
                               "yourself: booster build --force --kernel-version=VERSION /boot/IMAGE");
        }
        if (is_dir(h, "etc/initramfs-tools")) {
                d->initramfs = VK_INITRD_INITRAMFS_TOOLS;
                d->initramfs_conf = strdup("etc/initramfs-tools/modules");
                return d->initramfs_conf ? ICMD("regenerate every initramfs", "update-initramfs", "-u", "-k", "all")
                                         : -ENOMEM;
        }
        if (is_dir(h, "etc/dracut.conf.d") || is_dir(h, "usr/lib/dracut")) {
                d->initramfs = VK_INITRD_DRACUT;
                /* dracut reads only *.conf files in dracut.conf.d */
                d->initramfs_conf = strdup("etc/dracut.conf.d/vfiokit.conf");
                if (!d->initramfs_conf)
                        return -ENOMEM;
                if (d->bootloader == VK_BL_OSTREE)
                        /* the image is the OS tree's; a local one built by dracut is rpm-ostree's job */
                        return ICMD("build a local initramfs that reads /etc/dracut.conf.d", "rpm-ostree", "initramfs",
                                    "--enable");
                return ICMD("regenerate every initramfs", "dracut", "-f", "--regenerate-all");
        }
        d->initramfs = VK_INITRD_NONE;
        return 0;
}

int vk_boot_detect_host(vk_host *h, vk_boot_detect *ret, vk_error *err) {
        vk_boot_detect d = {0};
        int r;

        r = list_kernels(h, &d);
        if (r >= 0)
                r = detect_bootloader(h, &d);
        if (r >= 0 && d.bootloader != VK_BL_NIXOS)
                r = detect_initramfs(h, &d);
        if (r < 0) {
                vk_boot_detect_clear(&d);
                return vk_error_set(err, r, "detecting the bootloader: %s", strerror(-r));
        }
        *ret = d;
        return 0;
}
