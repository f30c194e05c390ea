/* sim_gemini_parse.c - strict generateContent validation, modelled on the Gemini API.
 *
 * The API parses the body as protobuf JSON: every field name may be lowerCamelCase or
 * snake_case ("inlineData" or "inline_data"), and a name the message type does not have
 * is refused ("Invalid JSON payload received. Unknown name ..."). Only text and inlineData
 * parts are taken (the simulator needs no others). Inline images are PNG, JPEG, WebP,
 * HEIC or HEIF and must be what their mimeType says (docs/batch-api-facts.md §3). */
#include "sim_gemini_parse.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The fields of each message type the simulator reads (GenerateContentRequest, Content,
 * Part, Blob, GenerationConfig, ThinkingConfig), in lowerCamelCase. */
static const char *const request_fields[] = {
    "contents",         "tools",         "toolConfig", "safetySettings", "systemInstruction",
    "generationConfig", "cachedContent", "model",
};
static const char *const content_fields[] = {"role", "parts"};
static const char *const part_fields[] = {
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "mediaResolution",
    "partMetadata",
};
static const char *const blob_fields[] = {"mimeType", "data"};
static const char *const config_fields[] = {
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "imageConfig",
    "mediaResolution",
};
static const char *const thinking_fields[] = {"includeThoughts", "thinkingBudget", "thinkingLevel"};
static const char *const response_mime_types[] = {
    "text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const sim_config_t *cfg;
    sim_request_t *req;
    sim_error_t *err;
    int media_resolution_applies; /* a Gemini 3 model: mediaResolution sets the detail */
    detail_t detail;              /* from generationConfig.mediaResolution */
} gctx_t;

/* Fills the error (400 INVALID_ARGUMENT) with code (NULL: none). Returns -1. */
__attribute__((format(printf, 3, 4))) static int fail(gctx_t *c, const char *code, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    char message[sizeof c->err->message];
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return sim_error_set(c->err, NULL, code, "%s", message);
}

/* Whether key names the field camel (lowerCamelCase) in either of its spellings:
 * "mimeType" or "mime_type". */
static int field_is(const char *key, const char *camel)
{
    while (*key && *camel) {
        if (key[0] == '_' && key[1] && isupper((unsigned char)*camel) &&
            tolower((unsigned char)*camel) == key[1]) {
            key += 2;
            camel++;
            continue;
        }
        if (*key != *camel)
            return 0;
        key++;
        camel++;
    }
    return *key == '\0' && *camel == '\0';
}

/* obj's field camel in either spelling, or NULL. */
static json_t *field_get(json_t *obj, const char *camel)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (field_is(key, camel))
            return v;
    }
    return NULL;
}

/* Refuses a field of obj (at path, NULL for the request itself) that is none of fields. */
static int check_fields(gctx_t *c, json_t *obj, const char *path, const char *const *fields,
                        size_t n)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (i < n && !field_is(key, fields[i]))
            i++;
        if (i < n)
            continue;
        if (path)
            return fail(c, NULL,
                        "Invalid JSON payload received. Unknown name \"%.60s\" at '%s': Cannot "
                        "find field.",
                        key, path);
        return fail(c, NULL,
                    "Invalid JSON payload received. Unknown name \"%.60s\": Cannot find field.",
                    key);
    }
    return 0;
}

int sim_gemini_model_thinks(const char *model)
{
    return strncasecmp(model, "gemini-2.5-", 11) == 0 || strncasecmp(model, "gemini-3", 8) == 0;
}

/* A MediaResolution enum value: LOW -> low, HIGH -> high, the others auto. Returns 0, or
 * -1 for a name the enum does not have. */
static int media_resolution(const char *name, detail_t *out)
{
    static const char *const names[] = {"MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW",
                                        "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH",
                                        "MEDIA_RESOLUTION_ULTRA_HIGH"};
    for (size_t i = 0; name && i < COUNT(names); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = i == 1 ? DETAIL_LOW : i == 3 ? DETAIL_HIGH : DETAIL_AUTO;
            return 0;
        }
    }
    return -1;
}

/* An inlineData blob at path, in a part whose own mediaResolution (NULL: none) may set
 * the detail. */
static int check_blob(gctx_t *c, json_t *blob, const char *path, json_t *part_resolution)
{
    static const char *const image_types[] = {"image/png", "image/jpeg", "image/webp", "image/heic",
                                              "image/heif"};
    if (!json_is_object(blob))
        return fail(c, NULL, "Invalid value at '%s' (type.googleapis.com/Blob): not an object.",
                    path);
    if (check_fields(c, blob, path, blob_fields, COUNT(blob_fields)) != 0)
        return -1;
    const char *mime = json_string_value(field_get(blob, "mimeType"));
    json_t *data = field_get(blob, "data");
    if (!mime || !*mime)
        return fail(c, "invalid_image_format", "%s.mime_type: Missing mime type.", path);
    size_t i = 0;
    while (i < COUNT(image_types) && strcasecmp(mime, image_types[i]) != 0)
        i++;
    if (i == COUNT(image_types))
        return fail(c, "invalid_image_format", "Unsupported MIME type: %.60s", mime);
    if (!json_is_string(data))
        return fail(c, "invalid_image", "%s.data: Missing data.", path);
    if (c->req->n_images >= SIM_MAX_IMAGES_PER_REQUEST)
        return fail(c, NULL, "Too many images in the request: at most %d are allowed.",
                    SIM_MAX_IMAGES_PER_REQUEST);

    sim_image_t img;
    memset(&img, 0, sizeof img);
    img.detail = c->detail;
    if (part_resolution && c->media_resolution_applies) { /* Gemini 3: per part */
        json_t *level = field_get(part_resolution, "level");
        if (media_resolution(json_string_value(level), &img.detail) != 0)
            return fail(c, NULL, "Invalid value at '%s.media_resolution.level', \"%.40s\"", path,
                        json_string_value(level) ? json_string_value(level) : "");
    }
    const char *found = NULL;
    char why[256];
    switch (sim_image_check_base64(c->cfg, json_string_value(data), json_string_length(data),
                                   image_types[i], &img, &found, why, sizeof why)) {
    case SIM_IMAGE_OK:
        break;
    case SIM_IMAGE_NO_MEMORY:
        return sim_error_no_memory(c->err);
    case SIM_IMAGE_EMPTY:
        return fail(c, "invalid_image", "%s.data: Missing data.", path);
    case SIM_IMAGE_BAD_BASE64:
        return fail(c, "invalid_image",
                    "Invalid value at '%s.data' (TYPE_BYTES), Base64 decoding failed.", path);
    case SIM_IMAGE_MISMATCH:
    case SIM_IMAGE_NOT_IMAGE:
        return fail(c, "invalid_image_format",
                    "Unable to process input image: the data is %s, not the mimeType %s.",
                    found ? found : "not an image", image_types[i]);
    case SIM_IMAGE_TOO_LARGE:
    case SIM_IMAGE_CORRUPT:
        return fail(c, "invalid_image", "Unable to process input image: %s", why);
    }
    if (sim_request_add_image(c->req, &img) != 0)
        return sim_error_no_memory(c->err);
    return 0;
}

/* One part at path: text or inlineData. */
static int check_part(gctx_t *c, json_t *part, const char *path, int images_allowed)
{
    if (!json_is_object(part))
        return fail(c, NULL, "Invalid value at '%s' (type.googleapis.com/Part): not an object.",
                    path);
    if (check_fields(c, part, path, part_fields, COUNT(part_fields)) != 0)
        return -1;
    json_t *text = field_get(part, "text");
    json_t *inline_data = field_get(part, "inlineData");
    int kinds = (text != NULL) + (inline_data != NULL);
    static const char *const others[] = {"fileData", "functionCall", "functionResponse",
                                         "executableCode", "codeExecutionResult"};
    for (size_t i = 0; i < COUNT(others); i++)
        if (field_get(part, others[i]))
            return fail(c, NULL, "%s: visionbatch-sim takes only text and inlineData parts.", path);
    if (kinds != 1)
        return fail(c, NULL,
                    "%s: a part must have exactly one of text and inline_data (oneof field "
                    "'data').",
                    path);
    if (text) {
        if (!json_is_string(text))
            return fail(c, NULL, "Invalid value at '%s.text' (TYPE_STRING), not a string.", path);
        sim_request_add_text(c->req, json_string_value(text), json_string_length(text));
        return 0;
    }
    if (!images_allowed)
        return fail(c, NULL, "%s: images are only allowed in contents.", path);
    char bpath[160];
    snprintf(bpath, sizeof bpath, "%s.inline_data", path);
    return check_blob(c, inline_data, bpath, field_get(part, "mediaResolution"));
}

/* A Content at path: {"role","parts":[...]}. images_allowed: not a systemInstruction. */
static int check_content(gctx_t *c, json_t *content, const char *path, int images_allowed)
{
    if (!json_is_object(content))
        return fail(c, NULL, "Invalid value at '%s' (type.googleapis.com/Content): not an object.",
                    path);
    if (check_fields(c, content, path, content_fields, COUNT(content_fields)) != 0)
        return -1;
    json_t *role = field_get(content, "role");
    const char *r = json_string_value(role);
    if (role && (!r || (*r && strcmp(r, "user") != 0 && strcmp(r, "model") != 0)))
        return fail(c, NULL, "Please use a valid role: user, model.");
    json_t *parts = field_get(content, "parts");
    if (!json_is_array(parts) || json_array_size(parts) == 0)
        return fail(c, NULL, "* GenerateContentRequest.%s.parts: contents.parts must not be empty.",
                    path);
    size_t i;
    json_t *part;
    json_array_foreach(parts, i, part)
    {
        char ppath[128];
        snprintf(ppath, sizeof ppath, "%s.parts[%zu]", path, i);
        if (check_part(c, part, ppath, images_allowed) != 0)
            return -1;
    }
    return 0;
}

/* thinkingConfig: a thinkingBudget of 0 turns thinking off. */
static int check_thinking(gctx_t *c, json_t *tc)
{
    if (!tc)
        return 0;
    if (!json_is_object(tc))
        return fail(c, NULL,
                    "Invalid value at 'generation_config.thinking_config': not an object.");
    if (check_fields(c, tc, "generation_config.thinking_config", thinking_fields,
                     COUNT(thinking_fields)) != 0)
        return -1;
    json_t *budget = field_get(tc, "thinkingBudget");
    if (budget && !json_is_integer(budget))
        return fail(c, NULL,
                    "Invalid value at 'generation_config.thinking_config.thinking_budget' "
                    "(TYPE_INT32), not an integer.");
    if (budget && json_integer_value(budget) == 0)
        c->req->thinking_off = 1;
    return 0;
}

/* The output settings: maxOutputTokens, responseMimeType and responseSchema (a JSON
 * answer, in OpenAI's shape for sim_json.c), mediaResolution, thinkingConfig. */
static int check_generation_config(gctx_t *c, json_t *gc)
{
    if (!gc)
        return 0;
    if (!json_is_object(gc))
        return fail(c, NULL, "Invalid value at 'generation_config': not an object.");
    if (check_fields(c, gc, "generation_config", config_fields, COUNT(config_fields)) != 0 ||
        check_thinking(c, field_get(gc, "thinkingConfig")) != 0)
        return -1;
    json_t *mot = field_get(gc, "maxOutputTokens");
    if (mot && (!json_is_integer(mot) || json_integer_value(mot) < 1))
        return fail(c, NULL,
                    "* GenerateContentRequest.generation_config.max_output_tokens: "
                    "max_output_tokens must be positive.");
    if (mot)
        c->req->max_tokens = (unsigned long)json_integer_value(mot);

    json_t *mr = field_get(gc, "mediaResolution");
    if (mr && media_resolution(json_string_value(mr), &c->detail) != 0)
        return fail(c, NULL,
                    "Invalid value at 'generation_config.media_resolution' "
                    "(type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig."
                    "MediaResolution), \"%.40s\"",
                    json_string_value(mr) ? json_string_value(mr) : "");
    if (!c->media_resolution_applies)
        c->detail = DETAIL_AUTO;

    json_t *rmt = field_get(gc, "responseMimeType");
    const char *mime = json_string_value(rmt);
    size_t i = 0;
    while (mime && i < COUNT(response_mime_types) && strcmp(mime, response_mime_types[i]) != 0)
        i++;
    if (rmt && (!mime || i == COUNT(response_mime_types)))
        return fail(c, NULL,
                    "* GenerateContentRequest.generation_config.response_mime_type: allowed "
                    "mimetypes are `text/plain`, `application/json`, `application/xml`, "
                    "`application/yaml` and `text/x.enum`.");
    json_t *schema = field_get(gc, "responseSchema");
    if (!schema)
        schema = field_get(gc, "responseJsonSchema");
    if (schema && !json_is_object(schema))
        return fail(c, NULL,
                    "Invalid value at 'generation_config.response_schema': not an "
                    "object.");
    int json_answer = mime && strcmp(mime, "application/json") == 0;
    if (schema && !json_answer && !(mime && strcmp(mime, "text/x.enum") == 0))
        return fail(c, NULL,
                    "* GenerateContentRequest.generation_config.response_schema: "
                    "response_mime_type must be application/json to use a response schema.");
    if (!json_answer)
        return 0;
    json_t *rf = schema ? json_pack("{s:s,s:{s:s,s:O}}", "type", "json_schema", "json_schema",
                                    "name", "response", "schema", schema)
                        : json_pack("{s:s}", "type", "json_object");
    c->req->response_format = rf ? json_dumps(rf, JSON_COMPACT) : NULL;
    json_decref(rf);
    return c->req->response_format ? 0 : sim_error_no_memory(c->err);
}

/* The request's fields, once its generationConfig set the detail for its images. */
static int check_request(gctx_t *c, json_t *root)
{
    if (check_fields(c, root, NULL, request_fields, COUNT(request_fields)) != 0 ||
        check_generation_config(c, field_get(root, "generationConfig")) != 0)
        return -1;
    json_t *contents = field_get(root, "contents");
    if (!json_is_array(contents) || json_array_size(contents) == 0)
        return fail(c, NULL, "* GenerateContentRequest.contents: contents is not specified");
    size_t i;
    json_t *content;
    json_array_foreach(contents, i, content)
    {
        char path[48];
        snprintf(path, sizeof path, "contents[%zu]", i);
        if (check_content(c, content, path, 1) != 0)
            return -1;
    }
    c->req->n_messages = json_array_size(contents);
    json_t *system = field_get(root, "systemInstruction");
    if (system && !json_is_null(system)) {
        if (check_content(c, system, "system_instruction", 0) != 0)
            return -1;
        c->req->n_messages++;
    }
    return 0;
}

int sim_gemini_parse(const char *body, size_t len, const char *model, const sim_config_t *cfg,
                     sim_request_t *req, sim_error_t *err)
{
    gctx_t c = {cfg, req, err, strncasecmp(model, "gemini-3", 8) == 0, DETAIL_AUTO};
    json_error_t jerr;
    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root)
        return fail(&c, NULL, "Invalid JSON payload received. %s (line %d, column %d)", jerr.text,
                    jerr.line, jerr.column);
    int rc = -1;
    if (!json_is_object(root)) {
        fail(&c, NULL, "Invalid JSON payload received. Expected an object.");
        goto out;
    }
    if (check_request(&c, root) != 0)
        goto out;
    if (!(req->model = strdup(model))) {
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
