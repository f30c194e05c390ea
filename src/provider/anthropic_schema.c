/* anthropic_schema.c - Anthropic's structured-answer option: output_config.format
 * {"type":"json_schema","schema":...}, whose rules a schema must meet before a run sends
 * it (platform.claude.com/docs/en/build-with-claude/structured-outputs, "JSON Schema
 * limitations"). Anthropic has no mode for "any JSON object": --json sends no option and
 * the prompt's instruction (prepare/structured.c) asks for the object. */
#include "provider/anthropic.h"
#include "provider/anthropic_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on the walk: a schema is a small document, and a $ref chain must end. */
#define MAX_DEPTH  32
#define MAX_REFS   16
#define MAX_VISITS 100000 /* schemas checked, $refs followed each time they occur */

typedef struct walk {
    const json_t *root;
    const char *refs[MAX_REFS]; /* the $refs being followed, outermost first */
    int nrefs;
    long visits;
    char *why;
    size_t whylen;
} walk_t;

static int check(walk_t *w, const json_t *schema, const char *path, int depth);

/* The keywords Anthropic refuses whatever their value. */
static const char *const unsupported[] = {"minimum",          "maximum",    "exclusiveMinimum",
                                          "exclusiveMaximum", "multipleOf", "minLength",
                                          "maxLength",        "maxItems"};

/* The schema a local $ref ("#", "#/$defs/x", any JSON pointer into the document) names,
 * or NULL. */
static const json_t *resolve(const json_t *root, const char *ref)
{
    if (ref[0] != '#')
        return NULL;
    const json_t *at = root;
    const char *p = ref + 1;
    while (at && *p == '/') {
        p++;
        char seg[128];
        size_t n = 0;
        for (; *p && *p != '/' && n + 1 < sizeof seg; p++) {
            if (p[0] == '~' && p[1] == '1')
                seg[n++] = '/', p++;
            else if (p[0] == '~' && p[1] == '0')
                seg[n++] = '~', p++;
            else
                seg[n++] = *p;
        }
        seg[n] = '\0';
        if (*p && *p != '/')
            return NULL; /* a segment longer than any this check follows */
        if (json_is_array(at)) {
            char *end;
            long i = strtol(seg, &end, 10);
            at = *end || i < 0 ? NULL : json_array_get(at, (size_t)i);
        } else {
            at = json_object_get(at, seg);
        }
    }
    return *p ? NULL : at;
}

/* Follows a $ref: refuses one outside the document and one that comes back to a schema
 * it is already inside (a recursive schema), then checks the target. */
static int follow_ref(walk_t *w, const char *ref, const char *path, int depth)
{
    if (ref[0] != '#') {
        snprintf(w->why, w->whylen, "%.200s: \"$ref\" must point inside the schema (\"#...\")",
                 path);
        return -1;
    }
    for (int i = 0; i < w->nrefs; i++)
        if (strcmp(w->refs[i], ref) == 0) {
            snprintf(w->why, w->whylen,
                     "%.200s: recursive schemas are not supported (\"$ref\": "
                     "\"%.60s\")",
                     path, ref);
            return -1;
        }
    if (strcmp(ref, "#") == 0) {
        snprintf(w->why, w->whylen,
                 "%.200s: recursive schemas are not supported (\"$ref\": "
                 "\"#\")",
                 path);
        return -1;
    }
    const json_t *target = resolve(w->root, ref);
    if (!target) {
        snprintf(w->why, w->whylen, "%.200s: \"$ref\" \"%.60s\" names nothing in the schema", path,
                 ref);
        return -1;
    }
    if (w->nrefs == MAX_REFS) {
        snprintf(w->why, w->whylen, "%.200s: \"$ref\" chain longer than %d", path, MAX_REFS);
        return -1;
    }
    w->refs[w->nrefs++] = ref;
    int rc = check(w, target, path, depth + 1);
    w->nrefs--;
    return rc;
}

/* The rules on one schema object's own keywords. */
static int check_keywords(walk_t *w, const json_t *schema, const char *path)
{
    const char *type = json_string_value(json_object_get(schema, "type"));
    if (((type && strcmp(type, "object") == 0) || json_object_get(schema, "properties")) &&
        !json_is_false(json_object_get(schema, "additionalProperties"))) {
        snprintf(w->why, w->whylen, "%.200s: objects need \"additionalProperties\": false", path);
        return -1;
    }
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (json_object_get(schema, unsupported[i])) {
            snprintf(w->why, w->whylen, "%.200s: \"%s\" is not supported", path, unsupported[i]);
            return -1;
        }
    json_t *min_items = json_object_get(schema, "minItems");
    if (min_items && !(json_is_integer(min_items) && (json_integer_value(min_items) == 0 ||
                                                      json_integer_value(min_items) == 1))) {
        snprintf(w->why, w->whylen, "%.200s: \"minItems\" may only be 0 or 1", path);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(schema, "enum"), i, v)
    {
        if (json_is_object(v) || json_is_array(v)) {
            snprintf(w->why, w->whylen,
                     "%.200s.enum[%zu]: enum values must be strings, numbers, "
                     "booleans or null",
                     path, i);
            return -1;
        }
    }
    return 0;
}

/* Checks schema (at path) and every schema inside it. Returns 0, or -1 with why set. */
static int check(walk_t *w, const json_t *schema, const char *path, int depth)
{
    if (!json_is_object(schema))
        return 0;
    if (++w->visits > MAX_VISITS) {
        snprintf(w->why, w->whylen, "%.200s: the schema is too large to check", path);
        return -1;
    }
    if (depth > MAX_DEPTH) {
        snprintf(w->why, w->whylen, "%.200s: nested deeper than %d", path, MAX_DEPTH);
        return -1;
    }
    if (check_keywords(w, schema, path) != 0)
        return -1;
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    if (ref && follow_ref(w, ref, path, depth) != 0)
        return -1;

    char sub[256];
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(schema, "properties"), key, v)
    {
        snprintf(sub, sizeof sub, "%.160s.properties.%.60s", path, key);
        if (check(w, v, sub, depth + 1) != 0)
            return -1;
    }
    json_t *items = json_object_get(schema, "items");
    snprintf(sub, sizeof sub, "%.200s.items", path);
    if (check(w, items, sub, depth + 1) != 0)
        return -1;
    static const char *const lists[] = {"items", "prefixItems", "anyOf", "allOf", "oneOf"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        size_t i;
        json_array_foreach(json_object_get(schema, lists[l]), i, v)
        {
            snprintf(sub, sizeof sub, "%.200s.%s[%zu]", path, lists[l], i);
            if (check(w, v, sub, depth + 1) != 0)
                return -1;
        }
    }
    /* definitions are checked where a $ref uses them, and once on their own (an unused
     * one is still sent): only at the root, where they live */
    if (depth == 0 && w->nrefs == 0) {
        static const char *const defs[] = {"$defs", "definitions"};
        for (size_t d = 0; d < 2; d++)
            json_object_foreach((json_t *)json_object_get(schema, defs[d]), key, v)
            {
                snprintf(sub, sizeof sub, "%.160s.%s.%.60s", path, defs[d], key);
                if (check(w, v, sub, depth + 1) != 0)
                    return -1;
            }
    }
    return 0;
}

int anthropic_schema_check(const json_t *schema, char *why, size_t whylen)
{
    walk_t w = {.root = schema, .why = why, .whylen = whylen};
    return check(&w, schema, "$", 0);
}

int anthropic_structured_option(const json_t *schema, const char *name, char **out, char *err,
                                size_t errlen)
{
    (void)name; /* Anthropic's format has no name */
    *out = NULL;
    if (!schema)
        return 0; /* no json_object mode: the prompt asks for the object */
    char why[300];
    if (anthropic_schema_check(schema, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s (Anthropic refuses it)", why);
        return -1;
    }
    json_t *fmt = json_pack("{s:s, s:O}", "type", "json_schema", "schema", schema);
    char *text = fmt ? json_dumps(fmt, JSON_COMPACT) : NULL;
    json_decref(fmt);
    /* the request template marks the image's place with \u0001: a schema cannot hold it */
    if (!text || strstr(text, "\\u0001")) {
        snprintf(err, errlen, "%s", text ? "contains a U+0001 character" : "out of memory");
        free(text);
        return -1;
    }
    *out = text;
    return 0;
}
