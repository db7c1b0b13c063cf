/* test-net.c — the parsers under net bridge/tap: networkd/NM key files and [Match], /etc/passwd, netplan YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "net/ini.h"
#include "net/netplan.h"

static int parse(const char *text, vk_ini *ini, vk_error *err) {
        *err = (vk_error){0};
        return vk_ini_parse("/etc/systemd/network/x.network", text, strlen(text), ini, err);
}

static void test_ini_parse(void **state) {
        vk_ini ini = {0};
        vk_error err;
        (void)state;
        assert_int_equal(parse("# comment\n; other\n[Match]\nName = enp1s0 \r\n\n[Address]\nAddress=1.2.3.4/24\n"
                               "[Address]\nAddress=5.6.7.8/24\n[Network]\nDNS=1.1.1.1 \\\n  8.8.8.8\n", &ini, &err), 0);
        assert_int_equal(ini.n, 4);
        assert_string_equal(ini.v[0].key, "Name");
        assert_string_equal(ini.v[0].value, "enp1s0");
        assert_int_equal(ini.v[0].line, 4);
        /* a repeated section stays apart */
        assert_int_not_equal(ini.v[1].section_no, ini.v[2].section_no);
        /* a continued line is one value */
        assert_string_equal(vk_ini_get(&ini, "Network", "DNS"), "1.1.1.1  8.8.8.8");
        assert_null(vk_ini_get(&ini, "Network", "Address"));
        vk_ini_clear(&ini);
}

static void test_ini_malformed(void **state) {
        static const struct {
                const char *text, *msg;
        } bad[] = {
                {"Name=eth0\n", "x.network:1: 'Name=eth0' comes before any [Section]"},
                {"[Match]\nName eth0\n", "x.network:2: 'Name eth0' is not Key=Value"},
                {"[Match\nName=eth0\n", "x.network:1: '[Match' is not a [Section] header"},
                {"[]\n", "x.network:1: '[]' is not a [Section] header"},
                {"[Match]\n=eth0\n", "x.network:2: '=eth0' is not Key=Value"},
                /* found by fuzz-net: a lone backslash continued into "=value" made an empty key */
                {"[Match]\n \\\n=DNS=1.1.1.1\n", "x.network:2: '=DNS=1.1.1.1' is not Key=Value"},
                {"[Match]\n  = x\n", "x.network:2: '= x' is not Key=Value"},
        };
        vk_ini ini = {0};
        vk_error err;
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(parse(bad[i].text, &ini, &err), -EINVAL);
                assert_non_null(strstr(err.msg, bad[i].msg));
                assert_null(ini.v);
        }
        err = (vk_error){0};
        assert_int_equal(vk_ini_parse("f", "[A]\0x=1", 7, &ini, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "NUL"));
}

/* UNSURE (32 bytes: the key the match could not evaluate) is copied out: it points into the parsed file */
static bool matches(const char *text, const vk_net_iface *ifc, char *unsure) {
        const char *key = NULL;
        vk_ini ini = {0};
        vk_error err;
        assert_int_equal(parse(text, &ini, &err), 0);
        bool m = vk_networkd_match(&ini, ifc, &key);
        if (unsure)
                snprintf(unsure, 32, "%s", key ? key : "");
        vk_ini_clear(&ini);
        return m;
}

static void test_networkd_match(void **state) {
        vk_net_iface eth = {.name = "enp1s0", .mac = "60:be:b4:63:2e:45", .driver = "igc", .type = "ether"};
        char unsure[32];
        (void)state;
        assert_true(matches("[Match]\nName=enp1s0\n", &eth, NULL));
        assert_true(matches("[Match]\nName=eth0 en*\n", &eth, NULL));
        assert_false(matches("[Match]\nName=eth0 wl*\n", &eth, NULL));
        assert_false(matches("[Match]\nName=!en*\n", &eth, NULL));
        assert_true(matches("[Match]\nName=!wl*\n", &eth, NULL));
        assert_true(matches("[Match]\nMACAddress=60:BE:B4:63:2E:45\n", &eth, NULL));
        assert_false(matches("[Match]\nName=enp1s0\nType=wlan\n", &eth, NULL));
        assert_true(matches("[Network]\nDHCP=yes\n", &eth, NULL)); /* no [Match]: every link */
        /* an empty assignment resets the list */
        assert_true(matches("[Match]\nName=wl*\nName=\nName=enp1s0\n", &eth, NULL));
        /* lists of one key accumulate */
        assert_true(matches("[Match]\nName=wl*\nName=enp1s0\n", &eth, NULL));
        assert_true(matches("[Match]\nName=enp1s0\nPath=pci-0000:01:00.0\n", &eth, unsure));
        assert_string_equal(unsure, "Path");
}

static void test_passwd(void **state) {
        const char *pw = "root:x:0:0:root:/root:/bin/bash\n\n+nis\nalice:x:1000:1000::/home/alice:/bin/sh";
        unsigned uid = 0;
        vk_error err = {0};
        (void)state;
        assert_int_equal(vk_passwd_find("/etc/passwd", pw, strlen(pw), "alice", &uid, &err), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(vk_passwd_find("/etc/passwd", pw, strlen(pw), "bob", &uid, &err), -ENOENT);
        assert_int_equal(vk_passwd_find("/etc/passwd", "garbage\n", 8, "bob", &uid, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/etc/passwd:1:"));
        assert_int_equal(vk_passwd_find("/etc/passwd", "a:x:zz:0\n", 9, "a", &uid, &err), -EINVAL);
        /* The buffer is not NUL-terminated: a last line ending inside the uid field must not be read past (a
         * fuzzer-found overread, when sscanf parsed the uid). The bytes after len are digits to catch it. */
        const char trunc[] = "a:x:12345678";
        assert_int_equal(vk_passwd_find("/etc/passwd", trunc, 6, "a", &uid, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/etc/passwd:1:"));
        assert_int_equal(vk_passwd_find("/etc/passwd", "a:x:7:", 6, "a", &uid, &err), 0);
        assert_int_equal(uid, 7);
        assert_int_equal(vk_passwd_find("/etc/passwd", "a:x:99999999999:0:\n", 19, "a", &uid, &err), -EINVAL);
}

static int inspect(const char *text, const char *uplink, const char *mac, vk_netplan_info *info, vk_error *err) {
        *err = (vk_error){0};
        return vk_netplan_inspect("/etc/netplan/01.yaml", text, strlen(text), uplink, mac, "br0", info, err);
}

static void test_netplan(void **state) {
        vk_netplan_info info = {.dhcp4 = -1, .dhcp6 = -1};
        vk_error err;
        (void)state;
        assert_int_equal(inspect("network:\n  version: 2\n  renderer: NetworkManager\n  ethernets:\n    enp7s0:\n"
                                 "      dhcp4: yes\n", "enp7s0", NULL, &info, &err), 0);
        assert_string_equal(info.id, "enp7s0");
        assert_string_equal(info.renderer, "NetworkManager");
        assert_int_equal(info.dhcp4, 1);
        assert_int_equal(info.dhcp6, -1);
        /* a later file overrides the scalar */
        assert_int_equal(inspect("network:\n  ethernets:\n    enp7s0:\n      dhcp4: false\n", "enp7s0", NULL, &info,
                                 &err), 0);
        assert_int_equal(info.dhcp4, 0);
        assert_null(info.static_at);
        vk_netplan_info_clear(&info);

        /* an id that matches by MAC; static addresses are found with their line */
        assert_int_equal(inspect("network:\n  ethernets:\n    lan:\n      match:\n        macaddress: AA:bb:cc:dd:ee:ff\n"
                                 "      addresses: [10.0.0.2/24]\n", "enp7s0", "aa:bb:cc:dd:ee:ff", &info, &err), 0);
        assert_string_equal(info.id, "lan");
        assert_string_equal(info.static_at, "/etc/netplan/01.yaml:6: addresses");
        vk_netplan_info_clear(&info);

        /* already a port; the bridge name already taken */
        assert_int_equal(inspect("network:\n  bridges:\n    br1:\n      interfaces: [enp7s0]\n    br0: {}\n", "enp7s0",
                                 NULL, &info, &err), 0);
        assert_string_equal(info.port_at, "/etc/netplan/01.yaml:4: bridges.br1");
        assert_string_equal(info.bridge_at, "/etc/netplan/01.yaml:5");
        vk_netplan_info_clear(&info);

        /* an empty file is nothing */
        assert_int_equal(inspect("", "enp7s0", NULL, &info, &err), 0);
        assert_null(info.id);
}

static void test_netplan_malformed(void **state) {
        vk_netplan_info info = {.dhcp4 = -1, .dhcp6 = -1};
        vk_error err;
        (void)state;
        assert_int_equal(inspect("network:\n  ethernets:\n    enp7s0:\n      dhcp4: true\n     dhcp6: false\n", "enp7s0",
                                 NULL, &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "/etc/netplan/01.yaml:5: malformed YAML"));
        assert_int_equal(inspect("- a\n- b\n", "enp7s0", NULL, &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "01.yaml:1: expected a mapping"));
        assert_int_equal(inspect("network:\n  ethernets: [a]\n", "enp7s0", NULL, &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "01.yaml:2: 'ethernets:' must be a mapping"));
        assert_int_equal(inspect("network: \"unterminated\n", "enp7s0", NULL, &info, &err), -EINVAL);
        vk_netplan_info_clear(&info);
}

static void test_netplan_render_reads_back(void **state) {
        vk_netplan_info info = {.dhcp4 = -1, .dhcp6 = -1};
        vk_error err;
        char *text = vk_netplan_render("br0", "enp7s0", "04:42:1a:90:56:29", true, false, "/etc/netplan/01.yaml");
        (void)state;
        assert_non_null(text);
        assert_int_equal(inspect(text, "enp7s0", NULL, &info, &err), 0);
        assert_string_equal(info.id, "enp7s0");
        assert_int_equal(info.dhcp4, 0);
        assert_string_equal(info.bridge_at, "/etc/netplan/01.yaml:10");
        free(text);
        vk_netplan_info_clear(&info);
}

static void test_names(void **state) {
        vk_error err = {0};
        (void)state;
        assert_int_equal(vk_net_check_name("bridge", "br0", &err), 0);
        assert_int_equal(vk_net_check_name("bridge", "br-lan.10_x", &err), 0);
        assert_int_equal(vk_net_check_name("bridge", "123456789012345", &err), 0);
        assert_int_equal(vk_net_check_name("bridge", "1234567890123456", &err), -EINVAL);
        assert_int_equal(vk_net_check_name("bridge", "", &err), -EINVAL);
        assert_int_equal(vk_net_check_name("bridge", "..", &err), -EINVAL);
        assert_int_equal(vk_net_check_name("bridge", "br/0", &err), -EINVAL);
        assert_int_equal(vk_net_check_name("bridge", "br 0", &err), -EINVAL);
        assert_int_equal(vk_net_check_name("bridge", "br:0", &err), -EINVAL);
        vk_net_backend b;
        assert_int_equal(vk_net_backend_parse("netplan", &b), 0);
        assert_int_equal(b, VK_NET_NETPLAN);
        assert_int_equal(vk_net_backend_parse("ifupdown", &b), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ini_parse),        cmocka_unit_test(test_ini_malformed),
                cmocka_unit_test(test_networkd_match),   cmocka_unit_test(test_passwd),
                cmocka_unit_test(test_netplan),          cmocka_unit_test(test_netplan_malformed),
                cmocka_unit_test(test_netplan_render_reads_back), cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
