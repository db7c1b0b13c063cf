/* guest.h — what `vfiokit guest media` writes for a Windows guest: the answer file, the RDP .reg, the README. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "host.h"
#include "model.h"
#include "util.h"

#define VK_GUEST_UNATTEND_NS "urn:schemas-microsoft-com:unattend"
#define VK_GUEST_WCM_NS "http://schemas.microsoft.com/WMIConfig/2002/State"

typedef enum vk_guest_os { VK_GUEST_WIN11, VK_GUEST_WIN10 } vk_guest_os;

typedef struct vk_guest_opts {
        const char *vm;         /* the VM's name, for the README */
        const char *user;       /* the local account; checked by vk_guest_check_user */
        const char *password;   /* "" or NULL: an empty password */
        const char *locale;     /* "en-US" style; checked by vk_guest_check_locale */
        vk_guest_os os;
        bool bypass_tpm_check;  /* Windows 11's LabConfig keys, only when asked for */
} vk_guest_opts;

/* A name Windows accepts for a local account: 1-20 characters, none of "/\[]:;|=,+*?<> or
 * control characters, not only dots and spaces, not a built-in account; valid UTF-8. */
int vk_guest_check_user(const char *name, vk_error *err);
/* A locale name such as en-US, de-DE or sr-Latn-RS. */
int vk_guest_check_locale(const char *locale, vk_error *err);
/* A password as read from --password-file: one trailing newline is dropped by the caller;
 * valid UTF-8, no control characters, at most 127 characters. */
int vk_guest_check_password(const char *password, vk_error *err);

/* autounattend.xml built with libxml2 and parsed back before it is returned (*ret NUL-terminated). */
int vk_guest_autounattend(const vk_guest_opts *o, char **ret, size_t *ret_len, vk_error *err);
/* The .reg (UTF-16LE with a BOM, CRLF, as regedit writes) that lets RDP log on with an empty password. */
int vk_guest_rdp_reg(char **ret, size_t *ret_len);

/* What the VM's libvirt definition (etc/libvirt/qemu/NAME.xml inside the root) says, when it exists. */
typedef struct vk_guest_hostdev {
        char addr[16];  /* the host's PCI address, "0000:01:00.0" */
        char *alias;    /* <alias name=…>, may be NULL */
        bool sub_ids;   /* a <qemu:override> sets x-pci-sub-vendor-id for it */
} vk_guest_hostdev;

typedef struct vk_guest_vm {
        bool found;            /* the definition exists */
        char *path;            /* "/etc/libvirt/qemu/NAME.xml" */
        bool os_known;         /* libosinfo names win10 or win11 */
        vk_guest_os os;
        vk_guest_hostdev *hostdevs;
        size_t n_hostdevs;
        bool has_shmem;        /* an ivshmem <shmem> (Looking Glass) is there already */
        bool has_acpitable;    /* a -acpitable argument (the laptop's fake battery) is there already */
        char free_cdrom[8];    /* a free sdX target for one more CD-ROM */
} vk_guest_vm;

/* A name vm new accepts: letters, digits, '-', '_', '.'; at most 64; not starting with '.' or '-'. */
bool vk_guest_valid_vm_name(const char *name);
/* Read the definition of VM NAME. Missing: 0 with found=false. Malformed: -EINVAL naming the file and line. */
int vk_guest_vm_load(vk_host *h, const char *name, vk_guest_vm *ret, vk_error *err);
/* The same from a buffer (the fuzz target's entry); path only names it in messages. */
int vk_guest_vm_parse(const char *xml, size_t len, const char *path, vk_guest_vm *ret, vk_error *err);
void vk_guest_vm_clear(vk_guest_vm *vm);

/* README-guest.txt: the steps after the install, with the VM's own devices when vm->found
 * (names from the model when m is not NULL). */
int vk_guest_readme(const vk_guest_opts *o, const vk_guest_vm *vm, const vk_model *m, bool reg_written,
                    const char *iso_name, char **ret);

/* Writing the files into a user's directory (not inside --root). */
typedef enum vk_guest_action {
        VK_GUEST_CREATE,    /* the file does not exist */
        VK_GUEST_SAME,      /* it exists with exactly these bytes: left alone */
        VK_GUEST_REPLACE,   /* it exists with other bytes: only with force */
} vk_guest_action;

typedef struct vk_guest_file {
        const char *name;   /* in the directory */
        const char *data;
        size_t len;
        vk_guest_action action; /* filled by vk_guest_plan_files */
} vk_guest_file;

/* Open (creating it 0700 when missing, unless dry_run) the directory DIR; *ret_fd is -1 when dry_run
 * and DIR does not exist yet. */
int vk_guest_open_dir(const char *dir, bool dry_run, int *ret_fd, vk_error *err);
/* Compare every file with what DIR holds. A different one is refused (exit 3) unless force. Nothing is written. */
int vk_guest_plan_files(int dirfd, const char *dir, vk_guest_file *files, size_t n, bool force, vk_error *err);
/* Write the files planned CREATE or REPLACE, each atomically, mode 0600. */
int vk_guest_write_files(int dirfd, const char *dir, const vk_guest_file *files, size_t n, vk_error *err);

/* The argv (NULL-terminated, owned strings) that packs the files into an ISO Windows Setup reads:
 * xorriso -as mkisofs … -o OUTPUT FILE… */
int vk_guest_iso_argv(const char *output, const char *dir, const vk_guest_file *files, size_t n, vk_strv *ret);
