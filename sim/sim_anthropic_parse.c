/* sim_anthropic_parse.c - strict Messages validation, modelled on Anthropic's answers.
 *
 * The first problem found is reported, its message led by the dotted path of the value
 * ("messages.0.content.1.image.source.base64.data: Image does not match the provided
 * media type image/png", as the API words it). Only text and image blocks are taken (the
 * simulator needs no others); unknown keys are refused as the API refuses them ("Extra
 * inputs are not permitted"). The image limits are Anthropic's (docs/batch-api-facts.md
 * §2 "Images"; docs/provider-facts.md §1). */
#include "sim_anthropic_parse.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Images per request: 100 on 200k-context models, 600 on others; the stricter one. */
#define MAX_IMAGES 100
/* No side may pass 8000 px; in a request of more than 20 images, 2000 px. */
#define MAX_SIDE        8000U
#define MANY_IMAGES     20U
#define MANY_IMAGES_MAX 2000U
/* Base64 bytes per image on the API: 10 MB, where the API's own message counts a MB as
 * 1048576 bytes ("image exceeds 5 MB maximum: ... > 5242880 bytes" in the older limit). */
#define MAX_IMAGE_B64 ((size_t)10 * 1024 * 1024)

/* Top-level keys of the Messages request the simulator accepts (it ignores most). */
static const char *const known_params[] = {
    "container",      "context_management",
    "inference_geo",  "max_tokens",
    "mcp_servers",    "messages",
    "metadata",       "model",
    "output_config",  "service_tier",
    "stop_sequences", "stream",
    "system",         "temperature",
    "thinking",       "tool_choice",
    "tools",          "top_k",
    "top_p",
};

typedef struct {
    const sim_config_t *cfg;
    sim_request_t *req;
    sim_error_t *err;
    size_t images_in_request; /* counted before any image is checked: the many-image rule */
} actx_t;

/* Fills the error as "<path>: <message>" (just the message when path is NULL), with code
 * (NULL: none). Returns -1. */
__attribute__((format(printf, 4, 5))) static int fail(actx_t *c, const char *code, const char *path,
                                                      const char *fmt, ...)
{
    char message[sizeof c->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (path)
        return sim_error_set(c->err, NULL, code, "%s: %s", path, message);
    return sim_error_set(c->err, NULL, code, "%s", message);
}

static int is_one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* Refuses any key of obj (at path, NULL for the top level) that is not in allowed. */
static int check_keys(actx_t *c, json_t *obj, const char *path, const char *const *allowed,
                      size_t n)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!is_one_of(key, allowed, n)) {
            char where[200];
            snprintf(where, sizeof where, "%s%s%.60s", path ? path : "", path ? "." : "", key);
            return fail(c, NULL, where, "Extra inputs are not permitted");
        }
    }
    return 0;
}

/* The image checks that need its size: 8000 px, or 2000 px in a many-image request. */
static int check_image_size(actx_t *c, const sim_image_t *img, const char *path)
{
    if (img->width > MAX_SIDE || img->height > MAX_SIDE)
        return fail(c, "invalid_image", path,
                    "At least one of the image dimensions exceed max allowed size: %u pixels",
                    MAX_SIDE);
    if (c->images_in_request > MANY_IMAGES &&
        (img->width > MANY_IMAGES_MAX || img->height > MANY_IMAGES_MAX))
        return fail(c, "invalid_image", path,
                    "At least one of the image dimensions exceed max allowed size for "
                    "many-image requests: %u pixels",
                    MANY_IMAGES_MAX);
    return 0;
}

/* A {"type":"base64","media_type","data"} source at path (…image.source). */
static int check_base64_source(actx_t *c, json_t *src, const char *path, sim_image_t *img)
{
    static const char *const keys[] = {"type", "media_type", "data", "cache_control"};
    static const char *const media_types[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};
    char where[240]; /* path is at most 200 bytes (its callers) */
    if (check_keys(c, src, path, keys, sizeof keys / sizeof keys[0]) != 0)
        return -1;
    const char *mt = json_string_value(json_object_get(src, "media_type"));
    snprintf(where, sizeof where, "%.200s.base64.media_type", path);
    if (!mt || !is_one_of(mt, media_types, sizeof media_types / sizeof media_types[0]))
        return fail(c, "invalid_image_format", where,
                    "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
    json_t *data = json_object_get(src, "data");
    snprintf(where, sizeof where, "%.200s.base64.data", path);
    if (!json_is_string(data))
        return fail(c, NULL, where, data ? "Input should be a valid string" : "Field required");
    size_t len = json_string_length(data);
    if (len > MAX_IMAGE_B64) {
        snprintf(where, sizeof where, "%.200s.base64", path);
        return fail(c, "invalid_image", where, "image exceeds 10 MB maximum: %zu bytes > %zu bytes",
                    len, MAX_IMAGE_B64);
    }
    const char *found = NULL;
    char why[256];
    switch (sim_image_check_base64(c->cfg, json_string_value(data), len, mt, img, &found, why,
                                   sizeof why)) {
    case SIM_IMAGE_OK:
        return check_image_size(c, img, where);
    case SIM_IMAGE_NO_MEMORY:
        return sim_error_no_memory(c->err);
    case SIM_IMAGE_MISMATCH:
    case SIM_IMAGE_NOT_IMAGE:
        return fail(c, "invalid_image_format", where,
                    "Image does not match the provided media type %s", mt);
    case SIM_IMAGE_EMPTY:
    case SIM_IMAGE_BAD_BASE64:
        return fail(c, "invalid_image", where, "Invalid base64 data");
    case SIM_IMAGE_TOO_LARGE:
        return fail(c, "invalid_image", where, "%s", why);
    case SIM_IMAGE_CORRUPT:
        break;
    }
    return fail(c, "invalid_image", where, "Could not process image (%s)", why);
}

/* An {"type":"image","source":{...}} block at path (…content.N.image); role is its
 * message's. */
static int check_image_block(actx_t *c, json_t *block, const char *path, const char *role)
{
    static const char *const keys[] = {"type", "source", "cache_control"};
    char where[200];
    if (check_keys(c, block, path, keys, sizeof keys / sizeof keys[0]) != 0)
        return -1;
    if (strcmp(role, "user") != 0)
        return fail(c, NULL, path, "Image blocks are only allowed in user messages");
    json_t *src = json_object_get(block, "source");
    snprintf(where, sizeof where, "%s.source", path);
    if (!json_is_object(src))
        return fail(c, NULL, where, src ? "Input should be a valid dictionary" : "Field required");
    const char *type = json_string_value(json_object_get(src, "type"));
    sim_image_t img;
    memset(&img, 0, sizeof img);
    if (type && strcmp(type, "base64") == 0) {
        if (check_base64_source(c, src, where, &img) != 0)
            return -1;
    } else if (type && strcmp(type, "url") == 0) {
        static const char *const url_keys[] = {"type", "url"};
        if (check_keys(c, src, where, url_keys, sizeof url_keys / sizeof url_keys[0]) != 0)
            return -1;
        json_t *url = json_object_get(src, "url");
        const char *u = json_string_value(url);
        snprintf(where, sizeof where, "%s.source.url", path);
        if (!u || !(strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0))
            return fail(c, "invalid_image_url", where,
                        "Input should be an http:// or https:// URL");
        img.is_url = 1; /* not fetched (the simulator has no network): named by the URL */
        sim_image_set_hash(&img, u, json_string_length(url));
    } else {
        return fail(c, NULL, where,
                    "Input tag '%.40s' found using 'type' does not match any of the expected "
                    "tags: 'base64', 'url'",
                    type ? type : "");
    }
    if (sim_request_add_image(c->req, &img) != 0)
        return sim_error_no_memory(c->err);
    return 0;
}

/* One content block at path. Paths below a block name its type, as the API's do
 * ("messages.0.content.1.image.source"). */
static int check_block(actx_t *c, json_t *block, const char *path, const char *role)
{
    if (!json_is_object(block))
        return fail(c, NULL, path, "Input should be a valid dictionary");
    const char *type = json_string_value(json_object_get(block, "type"));
    char tpath[160];
    snprintf(tpath, sizeof tpath, "%s.%s", path, type ? type : "");
    if (type && strcmp(type, "text") == 0) {
        static const char *const keys[] = {"type", "text", "cache_control", "citations"};
        if (check_keys(c, block, tpath, keys, sizeof keys / sizeof keys[0]) != 0)
            return -1;
        json_t *text = json_object_get(block, "text");
        if (!json_is_string(text)) {
            char where[200];
            snprintf(where, sizeof where, "%s.text", tpath);
            return fail(c, NULL, where, text ? "Input should be a valid string" : "Field required");
        }
        sim_request_add_text(c->req, json_string_value(text), json_string_length(text));
        return 0;
    }
    if (type && strcmp(type, "image") == 0)
        return check_image_block(c, block, tpath, role);
    return fail(c, NULL, path,
                "Input tag '%.40s' found using 'type' does not match any of the expected tags: "
                "'text', 'image'",
                type ? type : "");
}

static int check_message(actx_t *c, json_t *msg, size_t mi)
{
    static const char *const keys[] = {"role", "content"};
    char path[64], where[96];
    snprintf(path, sizeof path, "messages.%zu", mi);
    if (!json_is_object(msg))
        return fail(c, NULL, path, "Input should be a valid dictionary");
    if (check_keys(c, msg, path, keys, sizeof keys / sizeof keys[0]) != 0)
        return -1;
    const char *role = json_string_value(json_object_get(msg, "role"));
    snprintf(where, sizeof where, "%s.role", path);
    if (!role || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0))
        return fail(c, NULL, where, "Input should be 'user' or 'assistant'");
    json_t *content = json_object_get(msg, "content");
    snprintf(where, sizeof where, "%s.content", path);
    if (json_is_string(content)) {
        sim_request_add_text(c->req, json_string_value(content), json_string_length(content));
        return 0;
    }
    if (!json_is_array(content))
        return fail(c, NULL, where,
                    content ? "Input should be a valid string or a list of content blocks"
                            : "Field required");
    if (json_array_size(content) == 0)
        return fail(c, NULL, where, "List should have at least 1 item after validation, not 0");
    size_t i;
    json_t *block;
    json_array_foreach(content, i, block)
    {
        char bpath[128];
        snprintf(bpath, sizeof bpath, "%s.%zu", where, i);
        if (check_block(c, block, bpath, role) != 0)
            return -1;
    }
    return 0;
}

/* The image blocks in every message: the many-image rule depends on the whole count. */
static size_t count_images(json_t *messages)
{
    size_t n = 0, i, j;
    json_t *msg, *block;
    json_array_foreach(messages, i, msg)
    {
        json_array_foreach(json_object_get(msg, "content"), j, block)
        {
            const char *type = json_string_value(json_object_get(block, "type"));
            n += type && strcmp(type, "image") == 0;
        }
    }
    return n;
}

/* "system": a string or a list of text blocks; counted as one more message. */
static int check_system(actx_t *c, json_t *system)
{
    if (!system || json_is_null(system))
        return 0;
    c->req->n_messages++;
    if (json_is_string(system)) {
        sim_request_add_text(c->req, json_string_value(system), json_string_length(system));
        return 0;
    }
    if (!json_is_array(system))
        return fail(c, NULL, "system", "Input should be a valid string or a list of text blocks");
    size_t i;
    json_t *block;
    json_array_foreach(system, i, block)
    {
        char path[48];
        snprintf(path, sizeof path, "system.%zu", i);
        const char *type = json_string_value(json_object_get(block, "type"));
        json_t *text = json_object_get(block, "text");
        if (!type || strcmp(type, "text") != 0 || !json_is_string(text))
            return fail(c, NULL, path, "Input should be a text block");
        sim_request_add_text(c->req, json_string_value(text), json_string_length(text));
    }
    return 0;
}

/* "output_config": {"format":{"type":"json_schema","schema":{...}},"effort"}; a format
 * becomes req->response_format (OpenAI's shape, for sim_json.c). */
static int check_output_config(actx_t *c, json_t *oc)
{
    static const char *const keys[] = {"format", "effort"};
    static const char *const format_keys[] = {"type", "schema"};
    if (!oc || json_is_null(oc))
        return 0;
    if (!json_is_object(oc))
        return fail(c, NULL, "output_config", "Input should be a valid dictionary");
    if (check_keys(c, oc, "output_config", keys, sizeof keys / sizeof keys[0]) != 0)
        return -1;
    json_t *format = json_object_get(oc, "format");
    if (!format || json_is_null(format))
        return 0;
    if (!json_is_object(format))
        return fail(c, NULL, "output_config.format", "Input should be a valid dictionary");
    if (check_keys(c, format, "output_config.format", format_keys,
                   sizeof format_keys / sizeof format_keys[0]) != 0)
        return -1;
    const char *type = json_string_value(json_object_get(format, "type"));
    if (!type || strcmp(type, "json_schema") != 0)
        return fail(c, NULL, "output_config.format",
                    "Input tag '%.40s' found using 'type' does not match any of the expected "
                    "tags: 'json_schema'",
                    type ? type : "");
    json_t *schema = json_object_get(format, "schema");
    if (!json_is_object(schema))
        return fail(c, NULL, "output_config.format.schema",
                    schema ? "Input should be a valid dictionary" : "Field required");
    json_t *rf = json_pack("{s:s,s:{s:s,s:O}}", "type", "json_schema", "json_schema", "name",
                           "output", "schema", schema);
    c->req->response_format = rf ? json_dumps(rf, JSON_COMPACT) : NULL;
    json_decref(rf);
    return c->req->response_format ? 0 : sim_error_no_memory(c->err);
}

/* model, max_tokens, stream, temperature. */
static int check_scalars(actx_t *c, json_t *root)
{
    json_t *model = json_object_get(root, "model");
    if (!json_is_string(model) || json_string_length(model) == 0)
        return fail(c, NULL, "model", model ? "Input should be a valid string" : "Field required");
    json_t *mt = json_object_get(root, "max_tokens");
    if (!mt)
        return fail(c, NULL, "max_tokens", "Field required");
    if (!json_is_integer(mt))
        return fail(c, NULL, "max_tokens", "Input should be a valid integer");
    if (json_integer_value(mt) < 1)
        return fail(c, NULL, "max_tokens", "Input should be greater than or equal to 1");
    c->req->max_tokens = (unsigned long)json_integer_value(mt);
    if (json_is_true(json_object_get(root, "stream")))
        return fail(c, NULL, "stream", "visionbatch-sim does not stream");
    json_t *t = json_object_get(root, "temperature");
    if (t && (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 1))
        return fail(c, NULL, "temperature", "Input should be a number from 0 to 1");
    c->req->model = strdup(json_string_value(model));
    return c->req->model ? 0 : sim_error_no_memory(c->err);
}

int sim_anthropic_parse(const char *body, size_t len, const sim_config_t *cfg, sim_request_t *req,
                        sim_error_t *err)
{
    actx_t c = {cfg, req, err, 0};
    json_error_t jerr;
    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root)
        return fail(&c, NULL, NULL, "The request body is not valid JSON: %s (line %d, column %d)",
                    jerr.text, jerr.line, jerr.column);
    int rc = -1;
    if (!json_is_object(root)) {
        fail(&c, NULL, NULL, "The request body must be a JSON object");
        goto out;
    }
    if (check_keys(&c, root, NULL, known_params, sizeof known_params / sizeof known_params[0]) ||
        check_scalars(&c, root))
        goto out;
    json_t *messages = json_object_get(root, "messages");
    if (!json_is_array(messages)) {
        fail(&c, NULL, "messages", messages ? "Input should be a valid list" : "Field required");
        goto out;
    }
    if (json_array_size(messages) == 0) {
        fail(&c, NULL, "messages", "List should have at least 1 item after validation, not 0");
        goto out;
    }
    c.images_in_request = count_images(messages);
    if (c.images_in_request > MAX_IMAGES) {
        fail(&c, NULL, "messages", "Too many images in the request: %zu, at most %d are allowed",
             c.images_in_request, MAX_IMAGES);
        goto out;
    }
    size_t i;
    json_t *msg;
    json_array_foreach(messages, i, msg)
    {
        if (check_message(&c, msg, i) != 0)
            goto out;
    }
    req->n_messages += json_array_size(messages);
    if (check_system(&c, json_object_get(root, "system")) ||
        check_output_config(&c, json_object_get(root, "output_config")))
        goto out;
    /* Claude has no JSON-object mode: a prompt that asks for JSON (and not a batch's
     * array) is answered with a JSON object, as the model would */
    if (!req->response_format && req->mentions_json && !req->asks_json_array &&
        !(req->response_format = strdup("{\"type\":\"json_object\"}"))) {
        sim_error_no_memory(err);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        sim_request_free(req);
    return rc;
}
