/* sim_json.c - deterministic structured answers (response_format). */
#include "sim_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/image.h"
#include "cost/tokens.h"

/* Schemas nest at most this deep in an answer; deeper values are null. */
#define MAX_DEPTH 10

/* What the walk over a schema needs: the root (for $ref), the images' hashes, and
 * whether they were written into a string yet. */
typedef struct {
    json_t *root;
    const char *hashes;
    int placed;
} gen_t;

/* A plausible text for a string property named key. */
static const char *sample_text(const char *key)
{
    static const char *const known[][2] = {
        {"color", "red"},         {"colour", "red"},  {"material", "cotton"},
        {"category", "footwear"}, {"brand", "Acme"},  {"title", "Canvas sneaker"},
        {"condition", "new"},     {"size", "medium"}, {"description", "A product photo."},
    };
    for (size_t i = 0; key && i < sizeof known / sizeof known[0]; i++)
        if (strcasecmp(key, known[i][0]) == 0)
            return known[i][1];
    return "sample";
}

/* The schema $ref points at ("#/$defs/x", "#/definitions/x"), or NULL. */
static json_t *resolve_ref(const gen_t *g, const json_t *schema)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    if (!ref || strncmp(ref, "#/", 2) != 0)
        return NULL;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ref + 2);
    char *slash = strchr(buf, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return json_object_get(json_object_get(g->root, buf), slash + 1);
}

/* The first type a schema names, ignoring "null" when it offers another. */
static const char *schema_type(const json_t *schema)
{
    json_t *t = json_object_get(schema, "type");
    if (json_is_string(t))
        return json_string_value(t);
    size_t i;
    json_t *one;
    const char *first = NULL;
    json_array_foreach(t, i, one)
    {
        const char *s = json_string_value(one);
        if (s && strcasecmp(s, "null") != 0)
            return s;
        first = first ? first : s;
    }
    if (!first && json_object_get(schema, "properties"))
        return "object";
    return first;
}

static json_t *gen_value(gen_t *g, json_t *schema, const char *key, int depth);

/* An object of schema: every required key (every property when none is listed). */
static json_t *gen_object(gen_t *g, json_t *schema, int depth)
{
    json_t *obj = json_object();
    json_t *props = json_object_get(schema, "properties");
    json_t *required = json_object_get(schema, "required");
    if (json_is_array(required)) {
        size_t i;
        json_t *k;
        json_array_foreach(required, i, k)
        {
            const char *name = json_string_value(k);
            if (name)
                json_object_set_new(obj, name,
                                    gen_value(g, json_object_get(props, name), name, depth + 1));
        }
    } else {
        const char *name;
        json_t *sub;
        json_object_foreach(props, name, sub)
            json_object_set_new(obj, name, gen_value(g, sub, name, depth + 1));
    }
    if (!g->placed && !json_is_false(json_object_get(schema, "additionalProperties"))) {
        json_object_set_new(obj, "image_sha256", json_string(g->hashes));
        g->placed = 1;
    }
    return obj;
}

/* A value of schema (NULL schema: any), plausible for a property named key. */
static json_t *gen_value(gen_t *g, json_t *schema, const char *key, int depth)
{
    if (depth > MAX_DEPTH || !json_is_object(schema))
        return json_null();
    json_t *ref = resolve_ref(g, schema);
    if (ref)
        return gen_value(g, ref, key, depth + 1);
    json_t *v = json_object_get(schema, "const");
    if (v)
        return json_deep_copy(v);
    v = json_array_get(json_object_get(schema, "enum"), 0);
    if (v)
        return json_deep_copy(v);
    json_t *alt = json_array_get(json_object_get(schema, "anyOf"), 0);
    if (!alt)
        alt = json_array_get(json_object_get(schema, "oneOf"), 0);
    if (alt)
        return gen_value(g, alt, key, depth + 1);
    const char *type = schema_type(schema);
    if (!type)
        return json_null();
    if (strcasecmp(type, "object") == 0)
        return gen_object(g, schema, depth);
    if (strcasecmp(type, "array") == 0) {
        json_t *arr = json_array();
        json_array_append_new(arr, gen_value(g, json_object_get(schema, "items"), key, depth + 1));
        return arr;
    }
    if (strcasecmp(type, "string") == 0) {
        if (g->placed)
            return json_string(sample_text(key));
        g->placed = 1;
        size_t n = strlen(g->hashes) + strlen(sample_text(key)) + 2;
        char *text = malloc(n);
        if (!text)
            return json_null();
        snprintf(text, n, "%s %s", g->hashes, sample_text(key));
        json_t *str = json_string(text);
        free(text);
        return str ? str : json_null();
    }
    json_t *min = json_object_get(schema, "minimum");
    if (strcasecmp(type, "integer") == 0)
        return json_integer(json_is_integer(min) ? json_integer_value(min) : 1);
    if (strcasecmp(type, "number") == 0)
        return json_real(json_is_number(min) ? json_number_value(min) : 1.5);
    if (strcasecmp(type, "boolean") == 0)
        return json_true();
    return json_null();
}

/* "sha256:<hex>" of every image, space-separated ("no image" without any). */
static char *hash_list(const sim_request_t *req)
{
    size_t cap = req->n_images * (HASH_HEX_LEN + 8) + 16;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t len = 0;
    s[0] = '\0';
    for (size_t i = 0; i < req->n_images; i++)
        len += (size_t)snprintf(s + len, cap - len, "%ssha256:%s", i ? " " : "",
                                req->images[i].hash_hex);
    if (req->n_images == 0)
        snprintf(s, cap, "no image");
    return s;
}

/* The json_object answer: each image's hash, format, size and a description. */
static json_t *object_answer(const sim_request_t *req, const char *hashes)
{
    if (req->n_images != 1) {
        json_t *images = json_array();
        for (size_t i = 0; i < req->n_images; i++)
            json_array_append_new(
                images, json_pack("{s:s+}", "image_sha256", "sha256:", req->images[i].hash_hex));
        return json_pack("{s:s, s:o}", "images_sha256", hashes, "images", images);
    }
    const sim_image_t *img = &req->images[0];
    return json_pack("{s:s, s:s, s:i, s:i, s:s}", "image_sha256", hashes, "format",
                     img->is_url ? "url" : sim_image_format_name(img), "width", (int)img->width,
                     "height", (int)img->height, "description",
                     "A product photo on a plain background.");
}

char *sim_json_answer_text(const sim_request_t *req, double bad_rate, double draw)
{
    json_t *rf = json_loads(req->response_format, 0, NULL);
    char *hashes = hash_list(req);
    json_t *answer = NULL;
    char *text = NULL;
    if (!rf || !hashes)
        goto out;
    if (strcmp(json_string_value(json_object_get(rf, "type")), "json_object") == 0) {
        answer = object_answer(req, hashes);
    } else {
        json_t *schema = json_object_get(json_object_get(rf, "json_schema"), "schema");
        gen_t g = {schema, hashes, 0};
        answer = schema ? gen_value(&g, schema, NULL, 0) : object_answer(req, hashes);
    }
    text = answer ? json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (text && draw < bad_rate) /* broken: cut half way, as a model that ran away would */
        text[strlen(text) / 2] = '\0';
out:
    json_decref(answer);
    json_decref(rf);
    free(hashes);
    return text;
}
