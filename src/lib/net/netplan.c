/* netplan.c — inspect netplan YAML with libyaml's document API; render vfiokit's bridge file. */
#define _GNU_SOURCE
#include "netplan.h"

#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

void vk_netplan_info_clear(vk_netplan_info *i) {
        free(i->renderer);
        free(i->id);
        free(i->id_file);
        free(i->static_at);
        free(i->port_at);
        free(i->bridge_at);
        *i = (vk_netplan_info){.dhcp4 = -1, .dhcp6 = -1};
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key) {
        if (!map || map->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(d, p->key);
                if (k && k->type == YAML_SCALAR_NODE && vk_streq((const char *)k->data.scalar.value, key))
                        return yaml_document_get_node(d, p->value);
        }
        return NULL;
}

static const char *scalar(yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* netplan's booleans (YAML 1.1): true/yes/on/y and false/no/off/n; -1 for anything else */
static int boolean(yaml_node_t *n) {
        static const char *const yes[] = {"true", "yes", "on", "y"}, *const no[] = {"false", "no", "off", "n"};
        const char *s = scalar(n);
        for (size_t i = 0; s && i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -1;
}

static int set_once(char **field, char *value) {
        if (!value)
                return -ENOMEM;
        if (*field)
                free(value);
        else
                *field = value;
        return 0;
}

static bool seq_contains(yaml_document_t *d, yaml_node_t *seq, const char *s) {
        if (!seq || seq->type != YAML_SEQUENCE_NODE)
                return false;
        for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++)
                if (vk_streq(scalar(yaml_document_get_node(d, *it)), s))
                        return true;
        return false;
}

static bool ethernet_is_uplink(yaml_document_t *d, const char *id, yaml_node_t *def, const char *uplink,
                               const char *mac) {
        yaml_node_t *match = map_get(d, def, "match");
        const char *name, *hw;

        if (!match)
                return vk_streq(id, uplink);
        name = scalar(map_get(d, match, "name"));
        hw = scalar(map_get(d, match, "macaddress"));
        if (name && fnmatch(name, uplink, 0) != 0)
                return false;
        if (hw && (!mac || strcasecmp(hw, mac) != 0))
                return false;
        return name || hw;
}

static int inspect_doc(const char *name, yaml_document_t *d, const char *uplink, const char *mac, const char *bridge,
                       vk_netplan_info *info, vk_error *err) {
        static const char *const static_keys[] = {"addresses", "gateway4", "gateway6", "routes", "nameservers",
                                                  "routing-policy"};
        static const char *const port_sections[] = {"bridges", "bonds"};
        yaml_node_t *root = yaml_document_get_root_node(d), *net, *eth;
        const char *renderer;

        if (!root) /* an empty file */
                return 0;
        if (root->type != YAML_MAPPING_NODE)
                return vk_error_set(err, -EINVAL, "%s:%zu: expected a mapping with 'network:' at the top", name,
                                    root->start_mark.line + 1);
        net = map_get(d, root, "network");
        if (!net)
                return 0;
        if (net->type != YAML_MAPPING_NODE)
                return vk_error_set(err, -EINVAL, "%s:%zu: 'network:' must be a mapping", name,
                                    net->start_mark.line + 1);
        renderer = scalar(map_get(d, net, "renderer"));
        if (renderer) {
                char *r = strdup(renderer);
                if (!r)
                        return -ENOMEM;
                free(info->renderer);
                info->renderer = r;
        }
        eth = map_get(d, net, "ethernets");
        if (eth && eth->type != YAML_MAPPING_NODE)
                return vk_error_set(err, -EINVAL, "%s:%zu: 'ethernets:' must be a mapping of interface ids", name,
                                    eth->start_mark.line + 1);
        for (yaml_node_pair_t *p = eth ? eth->data.mapping.pairs.start : NULL; p && p < eth->data.mapping.pairs.top;
             p++) {
                const char *id = scalar(yaml_document_get_node(d, p->key));
                yaml_node_t *def = yaml_document_get_node(d, p->value);
                int v;

                if (!id || !def || (def->type != YAML_MAPPING_NODE && !(def->type == YAML_SCALAR_NODE &&
                                                                        !*scalar(def))))
                        return vk_error_set(err, -EINVAL, "%s:%zu: each entry under 'ethernets:' must be a mapping",
                                            name, (def ? def->start_mark.line : 0) + 1);
                if (info->id ? !vk_streq(info->id, id) : !ethernet_is_uplink(d, id, def, uplink, mac))
                        continue;
                if (!info->id && !(info->id = strdup(id)))
                        return -ENOMEM;
                free(info->id_file);
                if (!(info->id_file = strdup(name)))
                        return -ENOMEM;
                if ((v = boolean(map_get(d, def, "dhcp4"))) >= 0)
                        info->dhcp4 = v;
                if ((v = boolean(map_get(d, def, "dhcp6"))) >= 0)
                        info->dhcp6 = v;
                for (size_t k = 0; k < ELEMENTSOF(static_keys); k++) {
                        yaml_node_t *s = map_get(d, def, static_keys[k]);
                        if (s && set_once(&info->static_at, vk_printf("%s:%zu: %s", name, s->start_mark.line + 1,
                                                                      static_keys[k])) < 0)
                                return -ENOMEM;
                }
        }
        for (size_t s = 0; s < ELEMENTSOF(port_sections); s++) {
                yaml_node_t *sec = map_get(d, net, port_sections[s]);
                if (!sec)
                        continue;
                if (sec->type != YAML_MAPPING_NODE)
                        return vk_error_set(err, -EINVAL, "%s:%zu: '%s:' must be a mapping", name,
                                            sec->start_mark.line + 1, port_sections[s]);
                for (yaml_node_pair_t *p = sec->data.mapping.pairs.start; p < sec->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yaml_document_get_node(d, p->key), *def = yaml_document_get_node(d, p->value);
                        const char *id = scalar(k);
                        if (s == 0 && vk_streq(id, bridge) &&
                            set_once(&info->bridge_at, vk_printf("%s:%zu", name, k->start_mark.line + 1)) < 0)
                                return -ENOMEM;
                        yaml_node_t *ifs = map_get(d, def, "interfaces");
                        if ((seq_contains(d, ifs, uplink) || (info->id && seq_contains(d, ifs, info->id))) &&
                            !vk_streq(id, bridge) &&
                            set_once(&info->port_at, vk_printf("%s:%zu: %s.%s", name, ifs->start_mark.line + 1,
                                                               port_sections[s], id)) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

int vk_netplan_inspect(const char *name, const char *text, size_t len, const char *uplink, const char *mac,
                       const char *bridge, vk_netplan_info *info, vk_error *err) {
        yaml_parser_t parser;
        yaml_document_t doc;
        int r;

        if (memchr(text, 0, len))
                return vk_error_set(err, -EINVAL, "%s: binary data (a NUL byte); expected netplan YAML", name);
        if (!yaml_parser_initialize(&parser))
                return vk_error_set(err, -ENOMEM, "out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
        if (!yaml_parser_load(&parser, &doc)) {
                r = vk_error_set(err, -EINVAL, "%s:%zu: malformed YAML: %s%s%s; fix the file (netplan would refuse it "
                                               "too), then run vfiokit again", name,
                                 parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error",
                                 parser.context ? " " : "", parser.context ? parser.context : "");
                yaml_parser_delete(&parser);
                return r;
        }
        r = inspect_doc(name, &doc, uplink, mac, bridge, info, err);
        if (r == -ENOMEM)
                vk_error_set(err, r, "out of memory");
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        return r;
}

char *vk_netplan_render(const char *bridge, const char *id, const char *mac, bool dhcp4, bool dhcp6,
                        const char *after) {
        return vk_printf("# Written by vfiokit net bridge: the bridge %s for VMs over %s (undo: vfiokit net remove %s).\n"
                         "# netplan reads this file after %s: %s's DHCP is switched off here and moves to %s.\n"
                         "network:\n"
                         "  version: 2\n"
                         "  ethernets:\n"
                         "    %s:\n"
                         "      dhcp4: false\n"
                         "      dhcp6: false\n"
                         "  bridges:\n"
                         "    %s:\n"
                         "      interfaces: [%s]\n"
                         "%s%s%s"
                         "      dhcp4: %s\n"
                         "      dhcp6: %s\n",
                         bridge, id, bridge, after ? after : "the other netplan files", id, bridge, id, bridge, id,
                         mac ? "      macaddress: \"" : "", mac ? mac : "", mac ? "\"\n" : "",
                         dhcp4 ? "true" : "false", dhcp6 ? "true" : "false");
}
