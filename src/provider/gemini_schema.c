/* gemini_schema.c - Gemini's structured-answer option: generationConfig's
 * responseMimeType "application/json", with a responseSchema for --schema.
 *
 * responseSchema is Gemini's Schema object, "a select subset of an OpenAPI 3.0 schema
 * object" (ai.google.dev/api/caching#Schema; fields of v1beta's Schema: type, format,
 * title, description, nullable, enum, maxItems, minItems, properties, required,
 * minProperties, maxProperties, minLength, maxLength, pattern, example, anyOf,
 * propertyOrdering, default, items, minimum, maximum). A JSON Schema is converted into
 * it: type names in capitals, a ["x", "null"] type as nullable, a string const as a
 * one-value enum, propertyOrdering from the order of "properties" (Gemini otherwise orders
 * the answer's keys as it likes), "format" copied as it is (the reference: "any value is
 * allowed"), and OpenAI strict mode's "additionalProperties": false dropped (an answer
 * holds only the listed properties anyway), so a schema written for OpenAI works here.
 * What has no equivalent is refused with its JSON path, before a run sends thousands of
 * requests Gemini would answer 400 or, worse, follow without the constraint. */
#include "provider/gemini.h"
#include "provider/gemini_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Deeper schemas are refused: no answer format needs them, and the walk is recursive. */
#define MAX_DEPTH 32

/* Keywords that only document a schema: left out, Gemini has no field for them. */
static const char *const annotations[] = {"$schema",    "$id",      "$comment", "examples",
                                          "deprecated", "readOnly", "writeOnly"};

/* Keywords whose value is copied as it is (checked by kind: s string, b boolean, n
 * number, c count (an integer >= 0), a array of strings, * anything). */
static const struct {
    const char *key;
    char kind;
} copied[] = {{"format", 's'},        {"title", 's'},     {"description", 's'},
              {"pattern", 's'},       {"nullable", 'b'},  {"minimum", 'n'},
              {"maximum", 'n'},       {"minItems", 'c'},  {"maxItems", 'c'},
              {"minLength", 'c'},     {"maxLength", 'c'}, {"minProperties", 'c'},
              {"maxProperties", 'c'}, {"required", 'a'},  {"propertyOrdering", 'a'},
              {"default", '*'},       {"example", '*'}};

/* Why a keyword Gemini has no field for is refused, with what to write instead. */
static const char *refusal_hint(const char *key)
{
    if (strcmp(key, "$ref") == 0 || strcmp(key, "$defs") == 0 || strcmp(key, "definitions") == 0)
        return "references are not supported: write the definitions inline";
    if (strcmp(key, "oneOf") == 0)
        return "not supported: use anyOf";
    if (strcmp(key, "additionalProperties") == 0)
        return "only false is supported (an answer holds only the listed properties)";
    return "has no equivalent in Gemini's responseSchema";
}

static bool is_count(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

static bool is_string_array(const json_t *v)
{
    size_t i;
    json_t *one;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, one)
    {
        if (!json_is_string(one))
            return false;
    }
    return true;
}

static bool value_has_kind(const json_t *v, char kind)
{
    switch (kind) {
    case 's':
        return json_is_string(v);
    case 'b':
        return json_is_boolean(v);
    case 'n':
        return json_is_number(v);
    case 'c':
        return is_count(v);
    case 'a':
        return is_string_array(v);
    default:
        return true;
    }
}

static const char *kind_name(char kind)
{
    switch (kind) {
    case 's':
        return "a string";
    case 'b':
        return "true or false";
    case 'n':
        return "a number";
    case 'c':
        return "an integer >= 0";
    case 'a':
        return "an array of strings";
    default:
        return "a value";
    }
}

/* Gemini's Type name for a JSON Schema type name ("string" -> "STRING"), NULL when
 * there is none ("null" alone is refused by the caller). */
static const char *type_name(const char *t)
{
    static const char *const names[] = {"STRING",  "NUMBER", "INTEGER",
                                        "BOOLEAN", "ARRAY",  "OBJECT"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(t, names[i]) == 0)
            return names[i];
    return NULL;
}

/* Writes "PATH: RULE" into why. Returns -1. */
static int refuse(char *why, size_t whylen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(char *why, size_t whylen, const char *path, const char *fmt, ...)
{
    char rule[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof rule, fmt, ap);
    va_end(ap);
    snprintf(why, whylen, "%.200s: %s", path, rule);
    return -1;
}

/* "type": a name, or a list of one name and "null". Sets "type" (and "nullable") in
 * out. */
static int convert_type(const json_t *v, json_t *out, const char *path, char *why, size_t whylen)
{
    json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref((json_t *)v);
    const char *name = NULL;
    bool nullable = false;
    int rc = 0;
    size_t i;
    json_t *one;
    if (!json_is_array(list))
        rc = refuse(why, whylen, path, "\"type\" must be a name or a list of names");
    json_array_foreach(list, i, one)
    {
        const char *t = json_string_value(one);
        if (!t) {
            rc = refuse(why, whylen, path, "\"type\" must be a name or a list of names");
            break;
        }
        if (strcmp(t, "null") == 0) {
            nullable = true;
        } else if (name) {
            rc = refuse(why, whylen, path,
                        "\"type\" lists several types: Gemini takes one (or use anyOf)");
            break;
        } else {
            name = t;
        }
    }
    const char *gemini = name ? type_name(name) : NULL;
    if (rc == 0 && !name && !nullable)
        rc = refuse(why, whylen, path, "\"type\" must be a name or a list of names");
    else if (rc == 0 && !name)
        rc = refuse(why, whylen, path,
                    "\"type\" \"null\" alone has no equivalent: give the type and "
                    "\"nullable\": true");
    else if (rc == 0 && !gemini)
        rc = refuse(why, whylen, path, "unknown type \"%.60s\"", name);
    if (rc == 0) {
        json_object_set_new(out, "type", json_string(gemini));
        if (nullable)
            json_object_set_new(out, "nullable", json_true());
    }
    json_decref(list);
    return rc;
}

static json_t *convert(const json_t *in, const char *path, int depth, char *why, size_t whylen);

/* "properties": each one converted. Sets "properties" in out. */
static int convert_properties(const json_t *v, json_t *out, const char *path, int depth, char *why,
                              size_t whylen)
{
    if (!json_is_object(v))
        return refuse(why, whylen, path, "\"properties\" must be an object");
    json_t *props = json_object();
    const char *name;
    json_t *one;
    json_object_foreach((json_t *)v, name, one)
    {
        char sub[256];
        snprintf(sub, sizeof sub, "%.160s.properties.%.60s", path, name);
        json_t *c = convert(one, sub, depth + 1, why, whylen);
        if (!c) {
            json_decref(props);
            return -1;
        }
        json_object_set_new(props, name, c);
    }
    json_object_set_new(out, "properties", props);
    return 0;
}

/* "anyOf": a non-empty list, each one converted. Sets "anyOf" in out. */
static int convert_any_of(const json_t *v, json_t *out, const char *path, int depth, char *why,
                          size_t whylen)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return refuse(why, whylen, path, "\"anyOf\" must be a non-empty list of schemas");
    json_t *list = json_array();
    size_t i;
    json_t *one;
    json_array_foreach(v, i, one)
    {
        char sub[256];
        snprintf(sub, sizeof sub, "%.200s.anyOf[%zu]", path, i);
        json_t *c = convert(one, sub, depth + 1, why, whylen);
        if (!c) {
            json_decref(list);
            return -1;
        }
        json_array_append_new(list, c);
    }
    json_object_set_new(out, "anyOf", list);
    return 0;
}

/* One keyword of a schema into out. Returns 0, or -1 with why set. */
static int convert_keyword(const char *key, const json_t *v, json_t *out, const char *path,
                           int depth, char *why, size_t whylen)
{
    char sub[256];
    for (size_t i = 0; i < sizeof annotations / sizeof annotations[0]; i++)
        if (strcmp(key, annotations[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        if (strcmp(key, copied[i].key) != 0)
            continue;
        if (!value_has_kind(v, copied[i].kind)) {
            snprintf(why, whylen, "%.200s: \"%s\" must be %s", path, key,
                     kind_name(copied[i].kind));
            return -1;
        }
        json_object_set(out, key, (json_t *)v);
        return 0;
    }
    if (strcmp(key, "type") == 0)
        return convert_type(v, out, path, why, whylen);
    if (strcmp(key, "enum") == 0 || strcmp(key, "const") == 0) {
        bool list = key[0] == 'e';
        if (list ? !is_string_array(v) || json_array_size(v) == 0 : !json_is_string(v))
            return refuse(why, whylen, path,
                          "\"%s\" must hold strings: Gemini's enum takes only "
                          "strings",
                          key);
        json_object_set_new(out, "enum", list ? json_deep_copy(v) : json_pack("[O]", v));
        return 0;
    }
    if (strcmp(key, "properties") == 0)
        return convert_properties(v, out, path, depth, why, whylen);
    if (strcmp(key, "anyOf") == 0)
        return convert_any_of(v, out, path, depth, why, whylen);
    if (strcmp(key, "items") == 0) {
        if (!json_is_object(v))
            return refuse(why, whylen, path, "\"items\" must be one schema (no tuples)");
        snprintf(sub, sizeof sub, "%.200s.items", path);
        json_t *c = convert(v, sub, depth + 1, why, whylen);
        if (!c)
            return -1;
        json_object_set_new(out, "items", c);
        return 0;
    }
    if (strcmp(key, "additionalProperties") == 0 && json_is_false(v))
        return 0; /* Gemini's answer holds only the properties listed anyway */
    snprintf(why, whylen, "%.200s: \"%.60s\" %s", path, key, refusal_hint(key));
    return -1;
}

/* The checks that need the whole schema: a type (Gemini requires one, unless anyOf gives
 * the choices), "required" naming only listed properties; and propertyOrdering added. */
static int finish_schema(json_t *out, const char *path, char *why, size_t whylen)
{
    json_t *props = json_object_get(out, "properties");
    if (!json_object_get(out, "type") && !json_object_get(out, "anyOf")) {
        const char *guess = props                           ? "OBJECT"
                            : json_object_get(out, "items") ? "ARRAY"
                            : json_object_get(out, "enum")  ? "STRING"
                                                            : NULL;
        if (!guess)
            return refuse(why, whylen, path, "no \"type\": Gemini needs one");
        json_object_set_new(out, "type", json_string(guess));
    }
    json_t *required = json_object_get(out, "required");
    size_t i;
    json_t *name;
    json_array_foreach(required, i, name)
    {
        if (!json_object_get(props, json_string_value(name)))
            return refuse(why, whylen, path,
                          "\"required\" names \"%.60s\", which is not in \"properties\"",
                          json_string_value(name));
    }
    if (props && !json_object_get(out, "propertyOrdering")) {
        json_t *order = json_array();
        const char *key;
        json_t *v;
        json_object_foreach(props, key, v)
        {
            json_array_append_new(order, json_string(key));
        }
        json_object_set_new(out, "propertyOrdering", order);
    }
    return 0;
}

static json_t *convert(const json_t *in, const char *path, int depth, char *why, size_t whylen)
{
    if (!json_is_object(in)) {
        refuse(why, whylen, path, "a schema must be a JSON object");
        return NULL;
    }
    if (depth > MAX_DEPTH) {
        refuse(why, whylen, path, "nested deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        if (convert_keyword(key, v, out, path, depth, why, whylen) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    if (finish_schema(out, path, why, whylen) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *gemini_schema_convert(const json_t *schema, char *why, size_t whylen)
{
    return convert(schema, "$", 0, why, whylen);
}

int gemini_structured_option(const json_t *schema, const char *name, char **out, char *err,
                             size_t errlen)
{
    (void)name; /* Gemini's schema has no name */
    *out = NULL;
    json_t *fields = json_pack("{s:s}", "responseMimeType", "application/json");
    if (fields && schema) {
        char why[300];
        json_t *converted = gemini_schema_convert(schema, why, sizeof why);
        if (!converted) {
            json_decref(fields);
            snprintf(err, errlen, "%s (Gemini's responseSchema cannot take it)", why);
            return -1;
        }
        json_object_set_new(fields, "responseSchema", converted);
    }
    char *text = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
    json_decref(fields);
    if (!text) {
        snprintf(err, errlen, "out of memory, or a schema string that is not UTF-8");
        return -1;
    }
    *out = text;
    return 0;
}
