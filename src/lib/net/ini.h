/* ini.h — the "[Section] Key=Value" files of systemd-networkd (.network, .netdev) and NetworkManager keyfiles. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../util.h"

typedef struct vk_ini_entry {
        char *section;
        unsigned section_no; /* which "[...]" header, from 1: repeated sections ([Address]) stay apart */
        char *key, *value;
        unsigned line;
} vk_ini_entry;

typedef struct vk_ini {
        vk_ini_entry *v;
        size_t n;
} vk_ini;

/* Parse TEXT (NAME only names it in messages). Comments (#, ;), blank lines and a trailing backslash that
 * continues a line are understood as systemd.syntax(7) says. A key outside a section, a line without '=',
 * an unterminated "[" or a NUL byte is -EINVAL with err "NAME:LINE: what is wrong". */
int vk_ini_parse(const char *name, const char *text, size_t len, vk_ini *ret, vk_error *err);
void vk_ini_clear(vk_ini *ini);
/* The value of the last SECTION.KEY, or NULL. */
const char *vk_ini_get(const vk_ini *ini, const char *section, const char *key);

/* What networkd's [Match] compares of one interface. NULL fields are unknown. */
typedef struct vk_net_iface {
        const char *name;
        const char *mac;    /* "aa:bb:cc:dd:ee:ff" */
        const char *driver;
        const char *type;   /* networkd's Type=: "ether", "wlan", "bridge", "loopback" */
} vk_net_iface;

/* Whether a .network file's [Match] selects IFC (no [Match] matches everything, as networkd does).
 * Keys vfiokit cannot evaluate (Path=, Property=, Host=, …) are taken to match, and named in *ret_unsure. */
bool vk_networkd_match(const vk_ini *ini, const vk_net_iface *ifc, const char **ret_unsure);

/* The user NAME's line in an /etc/passwd text: 0 with its uid, -ENOENT when absent, -EINVAL on a line that is
 * not passwd(5) (err names NAME:LINE). */
int vk_passwd_find(const char *name, const char *text, size_t len, const char *user, unsigned *ret_uid,
                   vk_error *err);
