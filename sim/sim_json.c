/* sim_json.c - response_format checks and deterministic structured answers. */
#include "sim_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/image.h"
#include "prepare/structured.h"
#include "provider/openai.h"
#include "cost/tokens.h"

/* Schemas nest at most this deep in an answer; deeper values are null. */
#define MAX_DEPTH 10

/* A json_schema name: 1 to 64 letters, digits, '_' or '-'. */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int sim_json_check_format(json_t *root, sim_request_t *req, sim_error_t *err)
{
    json_t *rf = json_object_get(root, "response_format");
    if (!rf || json_is_null(rf))
        return 0;
    if (!json_is_object(rf))
        return sim_error_set(err, "response_format", "invalid_type",
                             "Invalid type for 'response_format': expected an object.");
    const char *type = json_string_value(json_object_get(rf, "type"));
    if (!type)
        return sim_error_set(err, "response_format.type", "missing_required_parameter",
                             "Missing required parameter: 'response_format.type'.");
    if (strcmp(type, "text") == 0)
        return 0;
    if (strcmp(type, "json_object") == 0) {
        if (!req->mentions_json)
            return sim_error_set(err, "messages", "invalid_request_error",
                                 "'messages' must contain the word 'json' in some form, to use "
                                 "'response_format' of type 'json_object'.");
    } else if (strcmp(type, "json_schema") == 0) {
        json_t *js = json_object_get(rf, "json_schema");
        if (!json_is_object(js))
            return sim_error_set(err, "response_format.json_schema", "missing_required_parameter",
                                 "Missing required parameter: 'response_format.json_schema'.");
        const char *name = json_string_value(json_object_get(js, "name"));
        if (!name || !valid_name(name))
            return sim_error_set(err, "response_format.json_schema.name", "invalid_value",
                                 "Invalid 'response_format.json_schema.name': must be 1 to 64 "
                                 "letters, digits, underscores or dashes.");
        json_t *schema = json_object_get(js, "schema");
        json_t *strict = json_object_get(js, "strict");
        if (schema && !json_is_object(schema))
            return sim_error_set(err, "response_format.json_schema.schema", "invalid_type",
                                 "Invalid type for 'response_format.json_schema.schema': "
                                 "expected an object.");
        if (strict && !json_is_boolean(strict) && !json_is_null(strict))
            return sim_error_set(err, "response_format.json_schema.strict", "invalid_type",
                                 "Invalid type for 'response_format.json_schema.strict': "
                                 "expected a boolean.");
        char why[300];
        if (json_is_true(strict) && openai_schema_strict_check(schema, why, sizeof why) != 0)
            return sim_error_set(err, "response_format", "invalid_json_schema",
                                 "Invalid schema for response_format '%s': %s.", name, why);
    } else {
        return sim_error_set(err, "response_format.type", "invalid_value",
                             "Invalid value: '%.40s'. Supported values are: 'json_object', "
                             "'json_schema', and 'text'.",
                             type);
    }
    if (!(req->response_format = json_dumps(rf, JSON_COMPACT))) {
        sim_error_set(err, NULL, NULL, "The server is out of memory.");
        err->status = 500;
        return -1;
    }
    return 0;
}

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
        if (s && strcmp(s, "null") != 0)
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
    if (strcmp(type, "object") == 0)
        return gen_object(g, schema, depth);
    if (strcmp(type, "array") == 0) {
        json_t *arr = json_array();
        json_array_append_new(arr, gen_value(g, json_object_get(schema, "items"), key, depth + 1));
        return arr;
    }
    if (strcmp(type, "string") == 0) {
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
    if (strcmp(type, "integer") == 0)
        return json_integer(json_is_integer(min) ? json_integer_value(min) : 1);
    if (strcmp(type, "number") == 0)
        return json_real(json_is_number(min) ? json_number_value(min) : 1.5);
    if (strcmp(type, "boolean") == 0)
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
    const char *mime = image_mime(img->format);
    return json_pack("{s:s, s:s, s:i, s:i, s:s}", "image_sha256", hashes, "format",
                     img->is_url ? "url"
                     : mime      ? mime + strlen("image/")
                                 : "unknown",
                     "width", (int)img->width, "height", (int)img->height, "description",
                     "A product photo on a plain background.");
}

int sim_json_rewrite(const sim_request_t *req, double bad_rate, double draw, sim_reply_t *reply)
{
    json_t *rf = json_loads(req->response_format, 0, NULL);
    json_t *body = json_loads(reply->body, 0, NULL);
    char *hashes = hash_list(req);
    json_t *answer = NULL;
    int rc = -1;
    if (!rf || !body || !hashes)
        goto out;
    if (strcmp(json_string_value(json_object_get(rf, "type")), "json_object") == 0) {
        answer = object_answer(req, hashes);
    } else {
        json_t *schema = json_object_get(json_object_get(rf, "json_schema"), "schema");
        gen_t g = {schema, hashes, 0};
        answer = schema ? gen_value(&g, schema, NULL, 0) : object_answer(req, hashes);
    }
    char *text = answer ? json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!text)
        goto out;
    size_t len = strlen(text);
    if (draw < bad_rate) /* broken: cut half way, as a model that ran away would leave it */
        text[len / 2] = '\0', len /= 2;
    const char *finish = "stop";
    unsigned long completion = tokens_text_estimate(text, len);
    if (req->max_tokens && completion > req->max_tokens) {
        size_t keep = req->max_tokens * 4;
        if (keep < len)
            text[keep] = '\0';
        completion = req->max_tokens;
        finish = "length";
    }
    json_t *choice = json_array_get(json_object_get(body, "choices"), 0);
    json_t *usage = json_object_get(body, "usage");
    json_object_set_new(json_object_get(choice, "message"), "content", json_string(text));
    json_object_set_new(choice, "finish_reason", json_string(finish));
    free(text);
    reply->billing.completion_tokens = completion;
    json_object_set_new(usage, "completion_tokens", json_integer((json_int_t)completion));
    json_object_set_new(usage, "total_tokens",
                        json_integer((json_int_t)(reply->billing.prompt_tokens + completion)));
    char *out = json_dumps(body, JSON_COMPACT);
    if (!out)
        goto out;
    free(reply->body);
    reply->body = out;
    reply->body_len = strlen(out);
    rc = 0;
out:
    json_decref(answer);
    json_decref(rf);
    json_decref(body);
    free(hashes);
    return rc;
}
