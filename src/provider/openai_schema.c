/* openai_schema.c - OpenAI's structured-answer option: response_format json_object, or
 * json_schema with strict mode, whose rules a schema must meet before a run sends it
 * (provider-facts.md §1). */
#include "provider/openai.h"
#include "provider/openai_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Walks schema for what OpenAI's strict mode refuses: an object without
 * "additionalProperties": false, or with a property missing from "required". path is
 * where schema sits ("$", "$.properties.size"). Returns 0, or -1 with why set. */
static int strict_walk(const json_t *schema, const char *path, int depth, char *why, size_t whylen)
{
    if (!json_is_object(schema) || depth > 32)
        return 0;
    char sub[256];
    json_t *props = json_object_get(schema, "properties");
    const char *type = json_string_value(json_object_get(schema, "type"));
    if ((type && strcmp(type, "object") == 0) || props) {
        if (!json_is_false(json_object_get(schema, "additionalProperties"))) {
            snprintf(why, whylen, "%.200s: strict mode needs \"additionalProperties\": false",
                     path);
            return -1;
        }
        json_t *required = json_object_get(schema, "required");
        const char *key;
        json_t *v;
        json_object_foreach(props, key, v)
        {
            bool listed = false;
            size_t i;
            json_t *r;
            json_array_foreach(required, i, r)
            {
                if (json_is_string(r) && strcmp(json_string_value(r), key) == 0)
                    listed = true;
            }
            if (!listed) {
                snprintf(why, whylen,
                         "%.200s: strict mode needs every property in \"required\" (\"%.40s\" "
                         "is not)",
                         path, key);
                return -1;
            }
            snprintf(sub, sizeof sub, "%.160s.properties.%.60s", path, key);
            if (strict_walk(v, sub, depth + 1, why, whylen) != 0)
                return -1;
        }
    }
    snprintf(sub, sizeof sub, "%.200s.items", path);
    if (strict_walk(json_object_get(schema, "items"), sub, depth + 1, why, whylen) != 0)
        return -1;
    static const char *const lists[] = {"anyOf", "$defs", "definitions"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *group = json_object_get(schema, lists[l]);
        size_t i;
        json_t *one;
        const char *name;
        json_array_foreach(group, i, one)
        {
            snprintf(sub, sizeof sub, "%.200s.%s[%zu]", path, lists[l], i);
            if (strict_walk(one, sub, depth + 1, why, whylen) != 0)
                return -1;
        }
        json_object_foreach(group, name, one)
        {
            snprintf(sub, sizeof sub, "%.160s.%s.%.60s", path, lists[l], name);
            if (strict_walk(one, sub, depth + 1, why, whylen) != 0)
                return -1;
        }
    }
    return 0;
}

int openai_schema_strict_check(const json_t *schema, char *why, size_t whylen)
{
    const char *type = json_string_value(json_object_get(schema, "type"));
    if (!type || strcmp(type, "object") != 0) {
        snprintf(why, whylen, "$: strict mode needs an object at the root (\"type\": \"object\")");
        return -1;
    }
    return strict_walk(schema, "$", 0, why, whylen);
}

int openai_structured_option(const json_t *schema, const char *name, char **out, char *err,
                             size_t errlen)
{
    *out = NULL;
    if (!schema) {
        if (!(*out = strdup("{\"type\":\"json_object\"}"))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    char why[300];
    if (openai_schema_strict_check(schema, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s (OpenAI refuses it)", why);
        return -1;
    }
    json_t *rf = json_pack("{s:s, s:{s:s, s:O, s:b}}", "type", "json_schema", "json_schema", "name",
                           name, "schema", schema, "strict", 1);
    char *text = rf ? json_dumps(rf, JSON_COMPACT) : NULL;
    json_decref(rf);
    /* the request template marks the image's place with \u0001: a schema cannot hold it */
    if (!text || strstr(text, "\\u0001")) {
        snprintf(err, errlen, "%s", text ? "contains a U+0001 character" : "out of memory");
        free(text);
        return -1;
    }
    *out = text;
    return 0;
}
