/* fuzz-net.c — libFuzzer target: net's parsers on arbitrary bytes — networkd/NM key files with networkd's [Match],
 * /etc/passwd, and netplan YAML (libyaml) — the first byte picks which. None may crash, leak or return garbage. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/ini.h"
#include "net/netplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text;
        vk_error err = {0};

        if (size < 1)
                return 0;
        text = (const char *)data + 1;
        size--;
        switch (data[0] % 3) {
        case 0: {
                vk_ini ini = {0};
                vk_net_iface ifc = {.name = "enp1s0", .mac = "60:be:b4:63:2e:45", .driver = "igc", .type = "ether"};
                const char *unsure = NULL;
                if (vk_ini_parse("f.network", text, size, &ini, &err) < 0) {
                        if (ini.v || ini.n || !err.msg[0]) /* failure leaves nothing and says why */
                                __builtin_trap();
                        break;
                }
                for (size_t i = 0; i < ini.n; i++)
                        if (!ini.v[i].section || !ini.v[i].key || !*ini.v[i].key || !ini.v[i].value ||
                            ini.v[i].line == 0)
                                __builtin_trap();
                (void)vk_networkd_match(&ini, &ifc, &unsure);
                (void)vk_ini_get(&ini, "Match", "Name");
                vk_ini_clear(&ini);
                break;
        }
        case 1: {
                unsigned uid = 0;
                int r = vk_passwd_find("/etc/passwd", text, size, "alice", &uid, &err);
                if (r < 0 && r != -ENOENT && r != -EINVAL)
                        __builtin_trap();
                break;
        }
        default: {
                vk_netplan_info info = {.dhcp4 = -1, .dhcp6 = -1};
                int r = vk_netplan_inspect("f.yaml", text, size, "enp7s0", "04:42:1a:90:56:29", "br0", &info, &err);
                if (r < 0 && !err.msg[0])
                        __builtin_trap();
                if (info.dhcp4 < -1 || info.dhcp4 > 1 || info.dhcp6 < -1 || info.dhcp6 > 1)
                        __builtin_trap();
                vk_netplan_info_clear(&info);
                break;
        }
        }
        return 0;
}
