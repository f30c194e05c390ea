/* structured.c - --json / --schema: the schema file, the provider's option for it, the
 * prompt hint, and the answer check. */
#include "prepare/structured.h"

#include "util/small_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The schema's name from its file name: base name without extension, only letters,
 * digits, '_' and '-' (others become '_'), at most 64 characters (OpenAI's rule). */
static void schema_name(const char *path, char out[65])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        out[i] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, 65, "schema");
}

int structured_init_text(structured_t *s, const provider_t *p, const char *schema_text,
                         const char *name, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    json_error_t jerr;
    json_t *doc = json_loads(schema_text, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "schema %s: %s", name, doc ? "must be a JSON object" : jerr.text);
        json_decref(doc);
        return -1;
    }
    char sname[65];
    schema_name(name, sname);
    json_t *schema = doc;
    json_t *inner = json_object_get(doc, "schema");
    if (json_is_object(inner) && !json_object_get(doc, "type")) { /* OpenAI's wrapper */
        const char *n = json_string_value(json_object_get(doc, "name"));
        if (n)
            schema_name(n, sname);
        schema = inner;
    }
    char why[400], *text = NULL;
    if (p->structured_option(schema, sname, &text, why, sizeof why) != 0) {
        snprintf(err, errlen, "schema %s: %s", name, why);
        json_decref(doc);
        return -1;
    }
    s->mode = STRUCTURED_SCHEMA;
    s->response_format = text;
    s->schema = json_incref(schema);
    json_decref(doc);
    return 0;
}

int structured_init(structured_t *s, const provider_t *p, int json_object,
                    const char *schema_path, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (schema_path) {
        char why[256];
        char *text =
            small_file_read(schema_path, STRUCTURED_MAX_SCHEMA_BYTES, NULL, why, sizeof why);
        if (!text) {
            snprintf(err, errlen, "schema file %s: %s", schema_path, why);
            return -1;
        }
        int rc = structured_init_text(s, p, text, schema_path, err, errlen);
        free(text);
        return rc;
    }
    if (json_object) {
        s->mode = STRUCTURED_OBJECT;
        char why[300];
        if (p->structured_option(NULL, NULL, &s->response_format, why, sizeof why) != 0) {
            snprintf(err, errlen, "--json: %s", why);
            return -1;
        }
    }
    return 0;
}

void structured_clear(structured_t *s)
{
    if (!s)
        return;
    free(s->response_format);
    json_decref(s->schema);
    memset(s, 0, sizeof *s);
}

/* The JSON Schema type name of v. */
static const char *type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/* Whether v has the type named t ("number" takes integers too). */
static bool type_matches(const json_t *v, const char *t)
{
    const char *have = type_of(v);
    return strcmp(have, t) == 0 || (strcmp(t, "number") == 0 && json_is_integer(v));
}

/* Checks the schema's top-level "type" (a name or a list of names); absent passes. */
static bool top_type_ok(const json_t *schema, const json_t *v, char *why, size_t whylen)
{
    json_t *t = json_object_get(schema, "type");
    if (json_is_string(t)) {
        if (type_matches(v, json_string_value(t)))
            return true;
        snprintf(why, whylen, "the answer is a JSON %s, the schema wants %s", type_of(v),
                 json_string_value(t));
        return false;
    }
    if (json_is_array(t)) {
        size_t i;
        json_t *one;
        json_array_foreach(t, i, one)
        {
            if (json_is_string(one) && type_matches(v, json_string_value(one)))
                return true;
        }
        snprintf(why, whylen, "the answer is a JSON %s, not a type the schema allows", type_of(v));
        return false;
    }
    return true;
}

int structured_check(const json_t *schema, const char *text, json_t **data, char *why,
                     size_t whylen)
{
    *data = NULL;
    json_error_t jerr;
    json_t *v = json_loads(text ? text : "", JSON_DECODE_ANY, &jerr);
    if (!v) {
        snprintf(why, whylen, "the answer is not valid JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        return -1;
    }
    bool ok;
    if (!schema) {
        ok = json_is_object(v);
        if (!ok)
            snprintf(why, whylen, "the answer is a JSON %s, not an object", type_of(v));
    } else {
        ok = top_type_ok(schema, v, why, whylen);
    }
    json_t *required = schema ? json_object_get(schema, "required") : NULL;
    if (ok && json_is_object(v) && json_is_array(required)) {
        size_t i;
        json_t *key;
        json_array_foreach(required, i, key)
        {
            const char *k = json_string_value(key);
            if (k && !json_object_get(v, k)) {
                snprintf(why, whylen, "the answer lacks the required key \"%.200s\"", k);
                ok = false;
                break;
            }
        }
    }
    if (!ok) {
        json_decref(v);
        return -1;
    }
    *data = v;
    return 0;
}

int structured_mentions_json(const char *text)
{
    for (const char *p = text; p && *p; p++)
        if (strncasecmp(p, "json", 4) == 0)
            return 1;
    return 0;
}

int structured_prompt(const structured_t *s, const char *prompt, char **out)
{
    *out = NULL;
    if (s->mode != STRUCTURED_OBJECT || structured_mentions_json(prompt))
        return 0;
    size_t n = strlen(prompt) + sizeof STRUCTURED_JSON_HINT;
    if (!(*out = malloc(n)))
        return -1;
    snprintf(*out, n, "%s%s", prompt, STRUCTURED_JSON_HINT);
    return 1;
}
