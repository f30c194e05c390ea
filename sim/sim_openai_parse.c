/* sim_openai_parse.c - strict chat/completions validation, modelled on OpenAI's answers.
 *
 * The first problem found is reported, with the JSON path of the offending value as
 * `param` ("messages[0].content[1].image_url.url"), as OpenAI does. */
#include "sim_openai_parse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provider/openai.h"

/* Top-level keys of OpenAI's CreateChatCompletionRequest (shared/openapi copy). Anything
 * else is refused the way OpenAI refuses it. */
static const char *const known_params[] = {
    "audio",
    "frequency_penalty",
    "function_call",
    "functions",
    "logit_bias",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "messages",
    "metadata",
    "modalities",
    "model",
    "moderation",
    "n",
    "parallel_tool_calls",
    "prediction",
    "presence_penalty",
    "prompt_cache_key",
    "prompt_cache_options",
    "prompt_cache_retention",
    "reasoning_effort",
    "response_format",
    "safety_identifier",
    "seed",
    "service_tier",
    "stop",
    "store",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "user",
    "verbosity",
    "web_search_options",
};

static const char *const known_roles[] = {"system", "user", "assistant", "developer", "tool"};

typedef struct {
    const sim_config_t *cfg;
    sim_request_t *req;
    sim_error_t *err;
} vctx_t;

static int is_known(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* Appends img to the request's images, at most SIM_MAX_IMAGES_PER_REQUEST. */
static int add_image(vctx_t *c, const sim_image_t *img)
{
    if (c->req->n_images >= SIM_MAX_IMAGES_PER_REQUEST)
        return sim_error_set(c->err, "messages", NULL,
                             "Too many images in the request: at most %d are allowed.",
                             SIM_MAX_IMAGES_PER_REQUEST);
    if (sim_request_add_image(c->req, img) != 0)
        return sim_error_no_memory(c->err);
    return 0;
}

/* Validates a data URL (data:<mime>;base64,<payload>) and measures and hashes its image. */
static int check_data_url(vctx_t *c, const char *url, size_t len, const char *param,
                          sim_image_t *img)
{
    static const char b64_marker[] = ";base64,";
    const char *mime = url + strlen("data:");
    const char *end = url + len;
    const char *semi = memchr(mime, ';', (size_t)(end - mime));
    if (!semi || (size_t)(end - semi) < strlen(b64_marker) ||
        strncmp(semi, b64_marker, strlen(b64_marker)) != 0)
        return sim_error_set(c->err, param, "invalid_image_url",
                             "Invalid data URL: expected data:<image type>;base64,<data>.");
    size_t mime_len = (size_t)(semi - mime);
    image_format_t declared = image_format_from_mime(mime, mime_len);
    if (declared == IMAGE_UNKNOWN)
        return sim_error_set(c->err, param, "invalid_image_format",
                             "Unsupported image type '%.*s' in data URL: use image/jpeg, "
                             "image/png, image/webp or image/gif.",
                             (int)(mime_len > 60 ? 60 : mime_len), mime);

    const char *payload = semi + strlen(b64_marker);
    const char *found = NULL;
    char why[256];
    switch (sim_image_check_base64(c->cfg, payload, (size_t)(end - payload), image_mime(declared),
                                   img, &found, why, sizeof why)) {
    case SIM_IMAGE_OK:
        return 0;
    case SIM_IMAGE_NO_MEMORY:
        return sim_error_no_memory(c->err);
    case SIM_IMAGE_EMPTY:
        return sim_error_set(c->err, param, "invalid_image", "The data URL holds no image data.");
    case SIM_IMAGE_BAD_BASE64:
        return sim_error_set(c->err, param, "invalid_image",
                             "Invalid base64 image data in data URL.");
    case SIM_IMAGE_TOO_LARGE:
        return sim_error_set(c->err, param, "image_too_large", "%s", why);
    case SIM_IMAGE_NOT_IMAGE:
        return sim_error_set(c->err, param, "invalid_image_format",
                             "Invalid image data (declared %s): %s.", image_mime(declared), why);
    case SIM_IMAGE_MISMATCH:
        return sim_error_set(c->err, param, "invalid_image_format", "declared %s but data is %s",
                             image_mime(declared), found);
    case SIM_IMAGE_CORRUPT:
        break;
    }
    return sim_error_set(c->err, param, "invalid_image", "Invalid %s image: %s.",
                         image_mime(declared) + strlen("image/"), why);
}

/* Validates one {"type":"image_url","image_url":{"url":...,"detail":...}} part. */
static int check_image_part(vctx_t *c, json_t *part, const char *role, const char *path)
{
    char param[200];
    if (strcmp(role, "user") != 0)
        return sim_error_set(c->err, path, "invalid_value",
                             "Image URLs are only allowed for messages with role 'user', but "
                             "this message with role '%s' contains an image URL.",
                             role);
    json_t *iu = json_object_get(part, "image_url");
    snprintf(param, sizeof param, "%s.image_url", path);
    if (!json_is_object(iu))
        return sim_error_set(c->err, param, "invalid_type",
                             "Invalid type for '%s': expected an object.", param);

    sim_image_t img;
    memset(&img, 0, sizeof img);
    json_t *detail = json_object_get(iu, "detail");
    snprintf(param, sizeof param, "%s.image_url.detail", path);
    if (detail && !json_is_null(detail) &&
        (!json_is_string(detail) || tokens_detail_parse(json_string_value(detail), &img.detail)))
        return sim_error_set(c->err, param, "invalid_value",
                             "Invalid value for '%s': supported values are 'auto', 'low' and "
                             "'high'.",
                             param);

    json_t *url = json_object_get(iu, "url");
    snprintf(param, sizeof param, "%s.image_url.url", path);
    if (!json_is_string(url))
        return sim_error_set(c->err, param, url ? "invalid_type" : "missing_required_parameter",
                             "%s '%s': expected a string.",
                             url ? "Invalid type for" : "Missing required parameter", param);
    const char *s = json_string_value(url);
    size_t len = json_string_length(url);

    if (len >= 5 && strncasecmp(s, "data:", 5) == 0) {
        if (check_data_url(c, s, len, param, &img) != 0)
            return -1;
    } else if ((len > 7 && strncasecmp(s, "http://", 7) == 0) ||
               (len > 8 && strncasecmp(s, "https://", 8) == 0)) {
        /* Not fetched (the simulator has no network): named by the URL itself. */
        img.is_url = 1;
        sim_image_set_hash(&img, s, len);
    } else {
        return sim_error_set(c->err, param, "invalid_image_url",
                             "Invalid image URL: expected an http(s) URL or a "
                             "data:image/...;base64 URL.");
    }
    return add_image(c, &img);
}

/* Validates a message's content: a string or a non-empty array of text/image parts. */
static int check_content(vctx_t *c, json_t *content, const char *role, const char *mpath)
{
    char param[160];
    snprintf(param, sizeof param, "%s.content", mpath);
    if (json_is_string(content)) {
        sim_request_add_text(c->req, json_string_value(content), json_string_length(content));
        return 0;
    }
    if (!json_is_array(content))
        return sim_error_set(c->err, param, "invalid_type",
                             "Invalid type for '%s': expected a string or an array of content "
                             "parts.",
                             param);
    if (json_array_size(content) == 0)
        return sim_error_set(c->err, param, "empty_array",
                             "Invalid '%s': empty array. Expected an array with minimum length "
                             "1, but got an empty array instead.",
                             param);
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        char ppath[160], tparam[176];
        snprintf(ppath, sizeof ppath, "%s.content[%zu]", mpath, i);
        snprintf(tparam, sizeof tparam, "%s.type", ppath);
        if (!json_is_object(part))
            return sim_error_set(c->err, ppath, "invalid_type",
                                 "Invalid type for '%s': expected an object.", ppath);
        json_t *type = json_object_get(part, "type");
        if (!json_is_string(type))
            return sim_error_set(c->err, tparam, "missing_required_parameter",
                                 "Missing required parameter: '%s'.", tparam);
        const char *t = json_string_value(type);
        if (strcmp(t, "text") == 0) {
            json_t *text = json_object_get(part, "text");
            if (!json_is_string(text)) {
                snprintf(tparam, sizeof tparam, "%s.text", ppath);
                return sim_error_set(c->err, tparam, "invalid_type",
                                     "Invalid type for '%s': expected a string.", tparam);
            }
            sim_request_add_text(c->req, json_string_value(text), json_string_length(text));
        } else if (strcmp(t, "image_url") == 0) {
            if (check_image_part(c, part, role, ppath) != 0)
                return -1;
        } else {
            return sim_error_set(c->err, tparam, "invalid_value",
                                 "Invalid value: '%.40s'. Supported values are: 'text' and "
                                 "'image_url'.",
                                 t);
        }
    }
    return 0;
}

static int check_message(vctx_t *c, json_t *msg, size_t mi)
{
    char mpath[64], param[96];
    snprintf(mpath, sizeof mpath, "messages[%zu]", mi);
    if (!json_is_object(msg))
        return sim_error_set(c->err, mpath, "invalid_type",
                             "Invalid type for '%s': expected an object.", mpath);
    json_t *role = json_object_get(msg, "role");
    snprintf(param, sizeof param, "%s.role", mpath);
    if (!json_is_string(role))
        return sim_error_set(c->err, param, "missing_required_parameter",
                             "Missing required parameter: '%s'.", param);
    const char *r = json_string_value(role);
    if (!is_known(r, known_roles, sizeof known_roles / sizeof known_roles[0]))
        return sim_error_set(c->err, param, "invalid_value",
                             "Invalid value: '%.40s'. Supported values are: 'system', "
                             "'assistant', 'user', 'tool', and 'developer'.",
                             r);
    json_t *content = json_object_get(msg, "content");
    if (!content || json_is_null(content)) {
        if (strcmp(r, "assistant") == 0) /* e.g. an assistant turn with only tool calls */
            return 0;
        snprintf(param, sizeof param, "%s.content", mpath);
        return sim_error_set(c->err, param, "missing_required_parameter",
                             "Missing required parameter: '%s'.", param);
    }
    return check_content(c, content, r, mpath);
}

/* Reads an optional positive integer parameter (absent or null: *out untouched). */
static int check_positive_int(json_t *root, const char *key, unsigned long *out, sim_error_t *err)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return sim_error_set(err, key, "invalid_type",
                             "Invalid type for '%s': expected an integer.", key);
    json_int_t n = json_integer_value(v);
    if (n < 1)
        return sim_error_set(err, key, "integer_below_min_value",
                             "Invalid '%s': integer below minimum value. Expected a value >= 1, "
                             "but got %" JSON_INTEGER_FORMAT " instead.",
                             key, n);
    *out = (unsigned long)n;
    return 0;
}

/* Everything but the messages. */
static int check_top_level(vctx_t *c, json_t *root)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (!is_known(key, known_params, sizeof known_params / sizeof known_params[0]))
            return sim_error_set(c->err, key, "unknown_parameter",
                                 "Unrecognized request argument supplied: %.60s", key);
    }

    json_t *model = json_object_get(root, "model");
    if (!json_is_string(model) || json_string_length(model) == 0)
        return sim_error_set(c->err, "model", NULL, "you must provide a model parameter");

    if (json_is_true(json_object_get(root, "stream")))
        return sim_error_set(c->err, "stream", "unsupported_value",
                             "Streaming is not supported by visionbatch-sim.");

    v = json_object_get(root, "n");
    if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) != 1))
        return sim_error_set(c->err, "n", "unsupported_value",
                             "Invalid 'n': visionbatch-sim only supports n = 1.");

    unsigned long max_tokens = 0, max_completion = 0;
    if (check_positive_int(root, "max_tokens", &max_tokens, c->err) ||
        check_positive_int(root, "max_completion_tokens", &max_completion, c->err))
        return -1;
    c->req->max_tokens = max_completion ? max_completion : max_tokens;

    c->req->model = strdup(json_string_value(model));
    return c->req->model ? 0 : sim_error_no_memory(c->err);
}

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

/* Validates root's response_format (absent and {"type":"text"} are a text answer) and
 * keeps a json_object / json_schema one, compact, in req->response_format for
 * sim_json_rewrite. Needs the messages checked first (req->mentions_json). Returns 0, or
 * -1 with err filled (status 400; 500 when out of memory). */
static int check_response_format(json_t *root, sim_request_t *req, sim_error_t *err)
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
    if (!(req->response_format = json_dumps(rf, JSON_COMPACT)))
        return sim_error_no_memory(err);
    return 0;
}

int sim_openai_parse(const char *body, size_t len, const sim_config_t *cfg, sim_request_t *req,
                     sim_error_t *err)
{
    vctx_t c = {cfg, req, err};
    json_error_t jerr;

    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root)
        return sim_error_set(err, NULL, NULL,
                             "We could not parse the JSON body of your request: %s (line %d, "
                             "column %d). The API expects a JSON payload.",
                             jerr.text, jerr.line, jerr.column);
    int rc = -1;
    if (!json_is_object(root)) {
        sim_error_set(err, NULL, NULL, "Invalid request body: expected a JSON object.");
        goto out;
    }
    if (check_top_level(&c, root) != 0)
        goto out;

    json_t *messages = json_object_get(root, "messages");
    if (!messages) {
        sim_error_set(err, "messages", "missing_required_parameter",
                      "Missing required parameter: 'messages'.");
        goto out;
    }
    if (!json_is_array(messages)) {
        sim_error_set(err, "messages", "invalid_type",
                      "Invalid type for 'messages': expected an array of objects.");
        goto out;
    }
    if (json_array_size(messages) == 0) {
        sim_error_set(err, "messages", "empty_array",
                      "Invalid 'messages': empty array. Expected an array with minimum length "
                      "1, but got an empty array instead.");
        goto out;
    }
    size_t i;
    json_t *msg;
    json_array_foreach(messages, i, msg)
    {
        if (check_message(&c, msg, i) != 0)
            goto out;
    }
    req->n_messages = json_array_size(messages);
    if (check_response_format(root, req, err) != 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    if (rc != 0)
        sim_request_free(req);
    return rc;
}
