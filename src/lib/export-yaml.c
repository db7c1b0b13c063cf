/* export-yaml.c — a json-c object as a YAML document through libyaml's emitter (the KubeVirt patch). */
#define _GNU_SOURCE
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* json → YAML events; every string double-quoted so that no YAML 1.1 reader turns it into a number, a
 * sexagesimal (1002:6798) or a boolean. */
static int emit_json(yaml_emitter_t *y, json_object *o) {
        yaml_event_t ev;
        const char *text;
        char num[64];
        yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;

        switch (json_object_get_type(o)) {
        case json_type_object:
                if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
                    !yaml_emitter_emit(y, &ev))
                        return -EIO;
                json_object_object_foreach(o, key, val) {
                        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)key, (int)strlen(key), 1, 1,
                                                          YAML_PLAIN_SCALAR_STYLE) ||
                            !yaml_emitter_emit(y, &ev) || emit_json(y, val) < 0)
                                return -EIO;
                }
                return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(y, &ev) ? 0 : -EIO;
        case json_type_array:
                if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
                    !yaml_emitter_emit(y, &ev))
                        return -EIO;
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        if (emit_json(y, json_object_array_get_idx(o, i)) < 0)
                                return -EIO;
                return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(y, &ev) ? 0 : -EIO;
        case json_type_string:
                text = json_object_get_string(o);
                style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
                break;
        case json_type_boolean:
                text = json_object_get_boolean(o) ? "true" : "false";
                break;
        case json_type_int:
                snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(o));
                text = num;
                break;
        case json_type_double:
                snprintf(num, sizeof(num), "%.17g", json_object_get_double(o));
                text = num;
                break;
        case json_type_null:
        default:
                text = "null";
                break;
        }
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1, style))
                return -EIO;
        return yaml_emitter_emit(y, &ev) ? 0 : -EIO;
}

int vk_export_json_to_yaml(json_object *o, char **ret) {
        yaml_emitter_t y;
        yaml_event_t ev;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r = -EIO;

        if (!f)
                return -ENOMEM;
        if (!yaml_emitter_initialize(&y)) {
                fclose(f);
                free(buf);
                return -ENOMEM;
        }
        yaml_emitter_set_output_file(&y, f);
        yaml_emitter_set_unicode(&y, 1);
        yaml_emitter_set_width(&y, -1); /* never fold a long resource name */
        yaml_emitter_set_indent(&y, 2);
        if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&y, &ev) &&
            yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&y, &ev) &&
            emit_json(&y, o) == 0 && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&y, &ev) &&
            yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&y, &ev) && yaml_emitter_flush(&y))
                r = 0;
        yaml_emitter_delete(&y);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        return 0;
}

