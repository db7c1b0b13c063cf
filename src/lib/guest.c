/* guest.c — the Windows answer file (libxml2), the RDP .reg, and writing them into the user's directory. */
#define _GNU_SOURCE
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

/* Decode one UTF-8 sequence (its bytes already checked by xml_utf8_chars); returns its length. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp) {
        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0) {
                *cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
                return 2;
        }
        if ((s[0] & 0xf0) == 0xe0) {
                *cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
                return 3;
        }
        *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 | (uint32_t)(s[2] & 0x3f) << 6 |
              (s[3] & 0x3f);
        return 4;
}

/* UTF-8 → UTF-16LE (with surrogate pairs); the input must be valid UTF-8. */
static int utf16le(const char *s, char **ret, size_t *ret_len) {
        size_t n = strlen(s), k = 0;
        unsigned char *out = malloc(n * 4 + 2);

        if (!out)
                return -ENOMEM;
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                uint32_t cp;
                p += utf8_next(p, &cp);
                if (cp >= 0x10000) {
                        uint32_t v = cp - 0x10000;
                        uint16_t hi = (uint16_t)(0xd800 | (v >> 10)), lo = (uint16_t)(0xdc00 | (v & 0x3ff));
                        out[k++] = hi & 0xff, out[k++] = hi >> 8, out[k++] = lo & 0xff, out[k++] = lo >> 8;
                } else {
                        out[k++] = cp & 0xff, out[k++] = (unsigned char)(cp >> 8);
                }
        }
        *ret = (char *)out;
        *ret_len = k;
        return 0;
}

static char *base64(const unsigned char *in, size_t n) {
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                             (i + 2 < n ? in[i + 2] : 0);
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tab[v & 63] : '=';
        }
        *o = 0;
        return out;
}

/* Strict UTF-8 of characters XML 1.0 allows (no overlong forms, surrogates, U+FFFE/U+FFFF): the number of
 * characters, or -1. libxml2's own xmlCheckUTF8 lets overlong forms through, which its parser then refuses. */
static int xml_utf8_chars(const char *str) {
        const unsigned char *s = (const unsigned char *)str;
        int n = 0;

        while (*s) {
                uint32_t cp, min;
                size_t len;
                if (s[0] < 0x80)
                        len = 1, min = 0;
                else if ((s[0] & 0xe0) == 0xc0)
                        len = 2, min = 0x80;
                else if ((s[0] & 0xf0) == 0xe0)
                        len = 3, min = 0x800;
                else if ((s[0] & 0xf8) == 0xf0)
                        len = 4, min = 0x10000;
                else
                        return -1;
                for (size_t i = 1; i < len; i++)
                        if ((s[i] & 0xc0) != 0x80)
                                return -1;
                utf8_next(s, &cp);
                if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff ||
                    (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
                        return -1;
                s += len;
                n++;
        }
        return n;
}

int vk_guest_check_user(const char *name, vk_error *err) {
        static const char *const builtin[] = {"Administrator", "Guest", "DefaultAccount", "WDAGUtilityAccount"};
        bool only_dots_spaces = true;
        int chars;

        if (!name || !*name)
                return vk_error_set(err, -EINVAL, "--user: the account name is empty; give one such as --user gamer");
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return vk_error_set(err, -EINVAL, "--user: the name holds a control character");
        chars = xml_utf8_chars(name);
        if (chars < 0)
                return vk_error_set(err, -EINVAL, "--user: the name is not valid UTF-8 text");
        if (chars > 20)
                return vk_error_set(err, -EINVAL,
                                    "--user %s: %d characters; Windows allows at most 20 in a local account name",
                                    name, chars);
        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
                if (strchr("\"/\\[]:;|=,+*?<>", *p))
                        return vk_error_set(err, -EINVAL,
                                            "--user %s: Windows does not allow '%c' in an account name "
                                            "(none of \" / \\ [ ] : ; | = , + * ? < >)",
                                            name, *p);
                if (*p != '.' && *p != ' ')
                        only_dots_spaces = false;
        }
        if (only_dots_spaces)
                return vk_error_set(err, -EINVAL, "--user '%s': a name of only dots and spaces is not allowed", name);
        for (size_t i = 0; i < ELEMENTSOF(builtin); i++)
                if (strcasecmp(name, builtin[i]) == 0)
                        return vk_error_set(err, -EINVAL,
                                            "--user %s: Windows already has this built-in account; choose another name",
                                            name);
        return 0;
}

int vk_guest_check_locale(const char *l, vk_error *err) {
        size_t i = 0, n;

        /* language (2-3 lower), optional script (Upper + 3 lower), region (2 upper) */
        for (n = 0; l[i] >= 'a' && l[i] <= 'z'; i++)
                n++;
        if (n < 2 || n > 3 || l[i] != '-')
                goto bad;
        i++;
        if (l[i] >= 'A' && l[i] <= 'Z' && l[i + 1] >= 'a' && l[i + 1] <= 'z') {
                for (n = 1, i++; l[i] >= 'a' && l[i] <= 'z'; i++)
                        n++;
                if (n != 4 || l[i] != '-')
                        goto bad;
                i++;
        }
        if (!(l[i] >= 'A' && l[i] <= 'Z' && l[i + 1] >= 'A' && l[i + 1] <= 'Z' && !l[i + 2]))
                goto bad;
        return 0;
bad:
        return vk_error_set(err, -EINVAL, "--locale %s: expected a Windows locale name such as en-US, de-DE or zh-CN", l);
}

int vk_guest_check_password(const char *pw, vk_error *err) {
        int chars;

        for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return vk_error_set(err, -EINVAL,
                                            "the password holds a control character (a second line?); put only the "
                                            "password in the file, one line");
        chars = xml_utf8_chars(pw);
        if (chars < 0)
                return vk_error_set(err, -EINVAL, "the password is not valid UTF-8 text");
        if (chars > 127)
                return vk_error_set(err, -EINVAL, "the password has %d characters; Windows takes at most 127", chars);
        return 0;
}

/* A builder that remembers the first allocation failure, so the tree code reads straight (as domain.c). */
typedef struct xb {
        bool oom;
        xmlNsPtr ns, wcm;
} xb;

static xmlNodePtr el(xb *b, xmlNodePtr parent, const char *name, const char *text) {
        xmlNodePtr n;

        if (!parent)
                return NULL;
        /* xmlNewTextChild escapes & < > in the text; xmlNewChild would take it as markup */
        n = xmlNewTextChild(parent, b->ns, BAD_CAST name, text ? BAD_CAST text : NULL);
        if (!n)
                b->oom = true;
        return n;
}

static xmlNodePtr add_wcm(xb *b, xmlNodePtr n, const char *name, const char *value) {
        if (n && !xmlNewNsProp(n, b->wcm, BAD_CAST name, BAD_CAST value))
                b->oom = true;
        return n;
}

static xmlNodePtr settings(xb *b, xmlNodePtr root, const char *pass) {
        xmlNodePtr s = el(b, root, "settings", NULL);
        if (s && !xmlNewProp(s, BAD_CAST "pass", BAD_CAST pass))
                b->oom = true;
        return s;
}

static xmlNodePtr component(xb *b, xmlNodePtr pass, const char *name) {
        xmlNodePtr c = el(b, pass, "component", NULL);

        if (!c)
                return NULL;
        if (!xmlNewProp(c, BAD_CAST "name", BAD_CAST name) ||
            !xmlNewProp(c, BAD_CAST "processorArchitecture", BAD_CAST "amd64") ||
            !xmlNewProp(c, BAD_CAST "publicKeyToken", BAD_CAST "31bf3856ad364e35") ||
            !xmlNewProp(c, BAD_CAST "language", BAD_CAST "neutral") ||
            !xmlNewProp(c, BAD_CAST "versionScope", BAD_CAST "nonSxS"))
                b->oom = true;
        return c;
}

static void run_command(xb *b, xmlNodePtr list, int order, const char *description, const char *path) {
        char o[12];
        xmlNodePtr c = add_wcm(b, el(b, list, "RunSynchronousCommand", NULL), "action", "add");

        snprintf(o, sizeof(o), "%d", order);
        el(b, c, "Order", o);
        el(b, c, "Description", description);
        el(b, c, "Path", path);
}

static void locales(xb *b, xmlNodePtr c, const char *locale) {
        el(b, c, "InputLocale", locale);
        el(b, c, "SystemLocale", locale);
        el(b, c, "UILanguage", locale);
        el(b, c, "UserLocale", locale);
}

/* The documented obfuscation (not encryption): base64 of UTF-16LE(password + "Password"), PlainText false. */
static char *encoded_password(const char *pw) {
        _cleanup_free_ char *joined = vk_printf("%sPassword", pw ? pw : ""), *wide = NULL;
        size_t n;

        if (!joined || utf16le(joined, &wide, &n) < 0)
                return NULL;
        return base64((const unsigned char *)wide, n);
}

static void build(xb *b, xmlNodePtr root, const vk_guest_opts *o, const char *password_value) {
        xmlNodePtr pe, sp, oobe, c, l;

        /* windowsPE: languages and the licence; the disk is the user's choice (no DiskConfiguration, no
         * InstallTo), so Setup stops at "Where do you want to install Windows?" and never wipes a disk */
        pe = settings(b, root, "windowsPE");
        c = component(b, pe, "Microsoft-Windows-International-Core-WinPE");
        el(b, el(b, c, "SetupUILanguage", NULL), "UILanguage", o->locale);
        locales(b, c, o->locale);
        c = component(b, pe, "Microsoft-Windows-Setup");
        if (o->bypass_tpm_check) {
                l = el(b, c, "RunSynchronous", NULL);
                run_command(b, l, 1, "vfiokit --bypass-tpm-check: skip the TPM 2.0 check",
                            "reg.exe add HKLM\\SYSTEM\\Setup\\LabConfig /v BypassTPMCheck /t REG_DWORD /d 1 /f");
                run_command(b, l, 2, "vfiokit --bypass-tpm-check: skip the Secure Boot check",
                            "reg.exe add HKLM\\SYSTEM\\Setup\\LabConfig /v BypassSecureBootCheck /t REG_DWORD /d 1 /f");
                run_command(b, l, 3, "vfiokit --bypass-tpm-check: skip the memory check",
                            "reg.exe add HKLM\\SYSTEM\\Setup\\LabConfig /v BypassRAMCheck /t REG_DWORD /d 1 /f");
        }
        el(b, el(b, c, "UserData", NULL), "AcceptEula", "true");

        /* specialize: Remote Desktop on, and its firewall group open (the group's language-neutral id) */
        sp = settings(b, root, "specialize");
        c = component(b, sp, "Microsoft-Windows-TerminalServices-LocalSessionManager");
        el(b, c, "fDenyTSConnections", "false");
        c = component(b, sp, "Networking-MPSSVC-Svc");
        l = add_wcm(b, add_wcm(b, el(b, el(b, c, "FirewallGroups", NULL), "FirewallGroup", NULL), "action", "add"),
                    "keyValue", "RemoteDesktop");
        el(b, l, "Active", "true");
        el(b, l, "Group", "@FirewallAPI.dll,-28752");
        el(b, l, "Profile", "all");
        if (o->os == VK_GUEST_WIN11) {
                /* Windows 11 OOBE insists on a network and a Microsoft account; BypassNRO restores "I don't have
                 * internet" should the account pages show despite HideOnlineAccountScreens */
                c = component(b, sp, "Microsoft-Windows-Deployment");
                run_command(b, el(b, c, "RunSynchronous", NULL), 1,
                            "vfiokit: allow the out-of-box setup without a network (BypassNRO)",
                            "reg.exe add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\OOBE /v BypassNRO "
                            "/t REG_DWORD /d 1 /f");
        }

        /* oobeSystem: the local account, no online-account pages */
        oobe = settings(b, root, "oobeSystem");
        locales(b, component(b, oobe, "Microsoft-Windows-International-Core"), o->locale);
        c = component(b, oobe, "Microsoft-Windows-Shell-Setup");
        l = el(b, c, "OOBE", NULL);
        el(b, l, "HideEULAPage", "true");
        el(b, l, "HideOEMRegistrationScreen", "true");
        el(b, l, "HideOnlineAccountScreens", "true");
        el(b, l, "HideWirelessSetupInOOBE", "true");
        el(b, l, "ProtectYourPC", "3");
        l = add_wcm(b, el(b, el(b, el(b, c, "UserAccounts", NULL), "LocalAccounts", NULL), "LocalAccount", NULL),
                    "action", "add");
        xmlNodePtr pw = el(b, l, "Password", NULL);
        el(b, pw, "Value", password_value);
        el(b, pw, "PlainText", "false");
        el(b, l, "Description", "created by vfiokit guest media");
        el(b, l, "DisplayName", o->user);
        el(b, l, "Group", "Administrators");
        el(b, l, "Name", o->user);
}

static void xml_doc_freep(xmlDocPtr *d) {
        if (*d)
                xmlFreeDoc(*d);
}

int vk_guest_autounattend(const vk_guest_opts *o, char **ret, size_t *ret_len, vk_error *err) {
        _cleanup_(xml_doc_freep) xmlDocPtr doc = NULL, back = NULL;
        _cleanup_free_ char *password_value = NULL;
        xmlBufferPtr buf = NULL;
        xmlNodePtr root;
        xb b = {0};
        char *out;
        size_t len;
        int r;

        r = vk_guest_check_user(o->user, err);
        if (r >= 0)
                r = vk_guest_check_locale(o->locale, err);
        if (r >= 0 && o->password)
                r = vk_guest_check_password(o->password, err);
        if (r < 0)
                return r;
        xmlInitParser();
        password_value = encoded_password(o->password);
        doc = xmlNewDoc(BAD_CAST "1.0");
        root = doc ? xmlNewNode(NULL, BAD_CAST "unattend") : NULL;
        if (!password_value || !root)
                return vk_error_set(err, -ENOMEM, "autounattend.xml: out of memory");
        xmlDocSetRootElement(doc, root);
        b.ns = xmlNewNs(root, BAD_CAST VK_GUEST_UNATTEND_NS, NULL);
        b.wcm = xmlNewNs(root, BAD_CAST VK_GUEST_WCM_NS, BAD_CAST "wcm");
        if (!b.ns || !b.wcm)
                return vk_error_set(err, -ENOMEM, "autounattend.xml: out of memory");
        xmlSetNs(root, b.ns);
        build(&b, root, o, password_value);
        if (b.oom)
                return vk_error_set(err, -ENOMEM, "autounattend.xml: out of memory");

        buf = xmlBufferCreate();
        xmlSaveCtxtPtr save = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT) : NULL;
        if (!save || xmlSaveDoc(save, doc) < 0 || xmlSaveClose(save) < 0) {
                if (buf)
                        xmlBufferFree(buf);
                return vk_error_set(err, -ENOMEM, "autounattend.xml: could not serialize the document");
        }
        len = (size_t)xmlBufferLength(buf);
        out = malloc(len + 2);
        if (!out) {
                xmlBufferFree(buf);
                return vk_error_set(err, -ENOMEM, "autounattend.xml: out of memory");
        }
        memcpy(out, xmlBufferContent(buf), len);
        if (!len || out[len - 1] != '\n')
                out[len++] = '\n';
        out[len] = 0;
        xmlBufferFree(buf);

        /* there is no public XSD of the unattend schema: what can be checked here is that the text parses back
         * to the same root in the same namespace (the tests check the passes and components) */
        back = xmlReadMemory(out, (int)len, "autounattend.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                             XML_PARSE_NOWARNING);
        root = back ? xmlDocGetRootElement(back) : NULL;
        if (!root || !root->ns || !xmlStrEqual(root->name, BAD_CAST "unattend") ||
            !xmlStrEqual(root->ns->href, BAD_CAST VK_GUEST_UNATTEND_NS)) {
                free(out);
                return vk_error_set(err, -EPROTO, "autounattend.xml: the written document does not parse back "
                                    "(a bug in vfiokit; please report it)");
        }
        *ret = out;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int vk_guest_rdp_reg(char **ret, size_t *ret_len) {
        /* regedit's own export format: UTF-16LE with a byte-order mark, CRLF line ends, a blank line at the end */
        static const char text[] =
                "Windows Registry Editor Version 5.00\r\n"
                "\r\n"
                "; Written by vfiokit guest media for an account with an EMPTY password.\r\n"
                "; RISK: with LimitBlankPasswordUse=0 anyone who reaches this VM's port 3389 can log on as that\r\n"
                "; account without a password. Import it only on a VM behind NAT or a trusted LAN, never one\r\n"
                "; reachable from the internet; set a password and delete this file when you can.\r\n"
                "; Import: double-click it in Windows (or: reg import rdp-blank-password.reg), then reboot.\r\n"
                "\r\n"
                "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa]\r\n"
                "\"LimitBlankPasswordUse\"=dword:00000000\r\n"
                "\r\n"
                "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server]\r\n"
                "\"fDenyTSConnections\"=dword:00000000\r\n"
                "\r\n";
        _cleanup_free_ char *wide = NULL;
        size_t n;
        char *out;

        if (utf16le(text, &wide, &n) < 0 || !(out = malloc(n + 2)))
                return -ENOMEM;
        out[0] = (char)0xff, out[1] = (char)0xfe;
        memcpy(out + 2, wide, n);
        *ret = out;
        *ret_len = n + 2;
        return 0;
}

int vk_guest_open_dir(const char *dir, bool dry_run, int *ret_fd, vk_error *err) {
        _cleanup_free_ char *path = strdup(dir);
        struct stat st;
        int fd;

        if (!path)
                return -ENOMEM;
        if (!*dir)
                return vk_error_set(err, -EINVAL, "--out: give a directory");
        /* create the missing components, each 0700: the directory holds the account's (encoded) password */
        for (char *p = path + 1; !dry_run; p++) {
                bool end = !*p;
                if (*p != '/' && !end)
                        continue;
                *p = 0;
                if (mkdir(path, 0700) < 0 && errno != EEXIST)
                        return vk_error_set(err, -errno, "--out %s: cannot create %s: %s; choose a directory you own",
                                            dir, path, strerror(errno));
                if (end)
                        break;
                *p = '/';
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (dry_run && errno == ENOENT) {
                        *ret_fd = -1;
                        return 0;
                }
                return vk_error_set(err, -errno, "--out %s: %s; choose a directory you own", dir, strerror(errno));
        }
        if (!dry_run && (faccessat(fd, ".", W_OK, AT_EACCESS) < 0 || fstat(fd, &st) < 0)) {
                int r = -errno;
                close(fd);
                return vk_error_set(err, r, "--out %s: cannot write there (%s); choose a directory you own", dir,
                                    strerror(-r));
        }
        *ret_fd = fd;
        return 0;
}

/* The current bytes of NAME when they are exactly want (len bytes); -ENOENT when absent. */
static int same_content(int dirfd, const char *name, const char *want, size_t len, bool *ret_same) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = malloc(len + 1);
        struct stat st;
        size_t got = 0;

        if (!buf)
                return -ENOMEM;
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        if ((size_t)st.st_size != len) {
                *ret_same = false;
                return 0;
        }
        while (got < len) {
                ssize_t k = read(fd, buf + got, len - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                got += (size_t)k;
        }
        *ret_same = got == len && memcmp(buf, want, len) == 0;
        return 0;
}

int vk_guest_plan_files(int dirfd, const char *dir, vk_guest_file *files, size_t n, bool force, vk_error *err) {
        for (size_t i = 0; i < n; i++) {
                bool same = false;
                int r = dirfd < 0 ? -ENOENT : same_content(dirfd, files[i].name, files[i].data, files[i].len, &same);

                if (r == -ENOENT) {
                        files[i].action = VK_GUEST_CREATE;
                        continue;
                }
                if (r == -ELOOP)
                        return vk_error_refuse(err, "%s/%s is a symbolic link: vfiokit does not write through it; "
                                               "remove it or choose another --out", dir, files[i].name);
                if (r == -EISDIR)
                        return vk_error_refuse(err, "%s/%s is not a regular file; remove it or choose another --out",
                                               dir, files[i].name);
                if (r < 0)
                        return vk_error_set(err, r, "%s/%s: %s", dir, files[i].name, strerror(-r));
                files[i].action = same ? VK_GUEST_SAME : VK_GUEST_REPLACE;
                if (!same && !force)
                        return vk_error_refuse(err, "%s/%s exists with other content; nothing was written "
                                               "(--force replaces it, or choose another --out)", dir, files[i].name);
        }
        return 0;
}

int vk_guest_write_files(int dirfd, const char *dir, const vk_guest_file *files, size_t n, vk_error *err) {
        for (size_t i = 0; i < n; i++) {
                vk_atomic a;
                size_t done = 0;
                int r;

                if (files[i].action == VK_GUEST_SAME)
                        continue;
                r = vk_atomic_begin_at(dirfd, files[i].name, 0600, &a);
                while (r >= 0 && done < files[i].len) {
                        ssize_t k = write(a.fd, files[i].data + done, files[i].len - done);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0) {
                                r = -errno;
                                vk_atomic_abort(&a);
                                break;
                        }
                        done += (size_t)k;
                }
                if (r >= 0)
                        r = vk_atomic_commit(&a);
                if (r < 0)
                        return vk_error_set(err, r, "%s/%s: cannot write it (%s)%s; choose a directory you own", dir,
                                            files[i].name, strerror(-r), i ? ", the files before it are written" : "");
        }
        return 0;
}

int vk_guest_iso_argv(const char *output, const char *dir, const vk_guest_file *files, size_t n, vk_strv *ret) {
        /* Joliet (-J) for Windows' long names; Rock Ridge (-r) for Linux; Setup looks for autounattend.xml at the
         * root of every removable drive and CD, so the files go to the image's root */
        static const char *const head[] = {"xorriso", "-as", "mkisofs", "-quiet", "-J", "-r", "-V", "VFIOKIT_UNATTEND",
                                           "-o"};
        vk_strv v = {0};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(head); i++)
                r = vk_strv_push(&v, head[i]);
        if (r >= 0)
                r = vk_strv_push(&v, output);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = vk_strv_push_take(&v, vk_printf("%s/%s", dir, files[i].name));
        if (r < 0) {
                vk_strv_clear(&v);
                return r;
        }
        *ret = v;
        return 0;
}
