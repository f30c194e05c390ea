/* anthropic.c - the Anthropic provider's table: where requests go, the key and version
 * headers, the single-image request bodies of the Messages API, and the images it takes.
 * The answer, the structured-answer option, group bodies and limit headers are in
 * anthropic_answer.c, anthropic_schema.c, anthropic_group.c and limit_headers.c.
 *
 * The wire format is batch-api-facts.md §2 and §4 (platform.claude.com/docs/en/api/
 * messages, /build-with-claude/vision): POST {base}/v1/messages with x-api-key and
 * anthropic-version: 2023-06-01, and one user message whose content is the image block,
 * then the text block (the vision docs: images before text work best). */
#include "provider/anthropic.h"
#include "provider/anthropic_internal.h"

#include "media/base64.h"
#include "media/image.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {base_url}/messages when base_url ends with /v1, else {base_url}/v1/messages, whatever
 * the model (trailing slashes ignored). */
static char *anthropic_request_url(const char *base_url, const char *model)
{
    (void)model;
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    bool has_v1 = blen >= 3 && memcmp(base_url + blen - 3, "/v1", 3) == 0;
    const char *tail = has_v1 ? "/messages" : "/v1/messages";
    size_t n = blen + strlen(tail) + 1;
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%.*s%s", (int)blen, base_url, tail);
    return url;
}

/* x-api-key: <key> when there is a key; anthropic-version always. */
static int anthropic_add_headers(const char *api_key, header_add_fn add, void *ctx)
{
    if (api_key && api_key[0]) {
        size_t n = strlen(api_key) + sizeof "x-api-key: ";
        char *line = malloc(n);
        if (!line)
            return -1;
        snprintf(line, n, "x-api-key: %s", api_key);
        int rc = add(ctx, line);
        explicit_bzero(line, n);
        free(line);
        if (rc != 0)
            return -1;
    }
    return add(ctx, "anthropic-version: " ANTHROPIC_VERSION);
}

char *anthropic_body_skeleton(const body_settings_t *s, const char *text, size_t n, bool options)
{
    json_t *content = json_array();
    json_t *body = content ? json_pack("{s:s, s:I, s:[{s:s, s:o}]}", "model", s->model,
                                       "max_tokens", (json_int_t)s->max_tokens, "messages", "role",
                                       "user", "content", content)
                           : NULL;
    if (!body)
        return NULL;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++)
        bad = json_array_append_new(
            content, json_pack("{s:s, s:s}", "type", "image", "source", ANTHROPIC_IMAGE_MARK));
    json_t *tb = bad ? NULL : json_pack("{s:s, s:s}", "type", "text", "text", text);
    bad = bad || json_array_append_new(content, tb);
    /* Messages API top-level "system" (a string) and "temperature" (0..1, checked in
     * api/job.c); it has no seed parameter (docs.anthropic.com/en/api/messages). */
    if (!bad && s->system)
        bad = json_object_set_new(body, "system", json_string(s->system));
    if (!bad && s->temperature_set)
        bad = json_object_set_new(body, "temperature", json_real(s->temperature));
    if (!bad && options && s->response_format) {
        json_t *fmt = json_loads(s->response_format, 0, NULL);
        bad = !json_is_object(fmt) ||
              json_object_set_new(body, "output_config", json_pack("{s:o}", "format", fmt));
        if (!json_is_object(fmt))
            json_decref(fmt);
    }
    char *out = bad ? NULL : json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return out;
}

/* {"model","max_tokens","messages":[{"role":"user","content":[{"type":"image",
 * "source":<source>},{"type":"text","text":prompt}]}],"system"?,"temperature"?,
 * "output_config"?}, split around
 * <source>. */
static int anthropic_template_build(body_template_t *t, const body_settings_t *s, char *err,
                                    size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (s->max_tokens <= 0) {
        snprintf(err, errlen, "Anthropic requires max_tokens; give --max-tokens N");
        return -1;
    }
    if (s->response_format) {
        json_t *rf = json_loads(s->response_format, 0, NULL);
        bool ok = json_is_object(rf);
        json_decref(rf);
        if (!ok) {
            snprintf(err, errlen, "the structured-answer option is not a JSON object");
            return -1;
        }
    }
    char *text = anthropic_body_skeleton(s, s->prompt, 1, true);
    if (!text) {
        snprintf(err, errlen, "cannot build the request: model and prompt must be UTF-8 text");
        return -1;
    }
    /* The mark after the key "source" is the image's: a key's quotes cannot occur
     * unescaped inside a string, so the model or the prompt may hold the mark's
     * characters but never this sequence. */
    const char *mark = strstr(text, "\"source\":" ANTHROPIC_IMAGE_MARK_ESCAPED);
    if (!mark) {
        free(text);
        snprintf(err, errlen, "cannot build the request template");
        return -1;
    }
    mark += strlen("\"source\":");
    size_t mark_len = strlen(ANTHROPIC_IMAGE_MARK_ESCAPED);
    t->prefix_len = (size_t)(mark - text);
    t->prefix = strndup(text, t->prefix_len);
    t->suffix = strdup(mark + mark_len);
    t->suffix_len = t->suffix ? strlen(t->suffix) : 0;
    free(text);
    if (!t->prefix || !t->suffix) {
        body_template_clear(t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* {"type":"base64","media_type":<mime>,"data":"<base64 of img>"}. */
static char *anthropic_body_image(const body_template_t *t, const char *mime,
                                  const unsigned char *img, size_t len, size_t *body_len)
{
    char head[96];
    int n =
        snprintf(head, sizeof head, "{\"type\":\"base64\",\"media_type\":\"%s\",\"data\":\"", mime);
    if (n < 0 || (size_t)n >= sizeof head || strpbrk(mime, "\"\\"))
        return NULL;
    return body_template_join(t, head, img, len, true, "\"}", body_len);
}

/* {"type":"url","url":"<url, JSON-escaped>"}. */
static char *anthropic_body_image_url(const body_template_t *t, const char *url, size_t *body_len)
{
    json_t *s = json_string(url);
    char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!quoted)
        return NULL;
    static const char head[] = "{\"type\":\"url\",\"url\":";
    char *b = body_template_join(t, head, (const unsigned char *)quoted, strlen(quoted), false,
                                 "}", body_len);
    free(quoted);
    return b;
}

/* The images Anthropic takes (batch-api-facts.md §2 "Images", platform.claude.com/docs/en/
 * build-with-claude/vision "General limits"): JPEG, PNG, GIF (its first frame), WebP; at
 * most 8000 px a side, 2000 px when a request carries more than 20 images; 100 images a
 * request for models with a 200k-token context window (600 for the others: 100 is the
 * limit that holds for every model); a request of at most 32 MB. The API's per-image cap
 * is 10 MB of base64 (5 MB on Bedrock and Vertex, and in older docs), so the raw image
 * may be 3/4 of it. MB is read as 1,000,000 bytes, the smaller of the two readings: an
 * image refused here between 7.5 and 7.86 MB costs no request; one the API refused
 * would cost a request per item. */
#define ANTHROPIC_MAX_IMAGE_BASE64 ((size_t)10 * 1000 * 1000)
#define ANTHROPIC_MAX_REQUEST      ((size_t)32 * 1000 * 1000)

const provider_t provider_anthropic = {
    .name = "anthropic",
    .default_base_url = "https://api.anthropic.com",
    /* The current Sonnet, the mid-price vision model, in the stored docs
     * (platform.claude.com/docs/en/about-claude/models: Claude Sonnet 5.5, $2 / $10). */
    .default_model = "claude-sonnet-5-5",
    .request_url = anthropic_request_url,
    .models_url = anthropic_models_url,
    .models_parse = anthropic_models_parse,
    .add_headers = anthropic_add_headers,
    .template_build = anthropic_template_build,
    .body_image = anthropic_body_image,
    .body_image_url = anthropic_body_image_url,
    .group_body = anthropic_group_body,
    .group_part_overhead = anthropic_group_part_overhead,
    .structured_option = anthropic_structured_option,
    .answer_parse = anthropic_answer_parse,
    .limits_parse = anthropic_limits_parse,
    .request_id_header = "request-id",
    .image_tokens = tokens_image_for_model,
    .limits = {.formats = 1u << IMAGE_JPEG | 1u << IMAGE_PNG | 1u << IMAGE_WEBP | 1u << IMAGE_GIF,
               .max_image_bytes = ANTHROPIC_MAX_IMAGE_BASE64 / 4 * 3,
               .max_side = 8000,
               .max_request_bytes = ANTHROPIC_MAX_REQUEST,
               .max_images = 100,
               .many_images = 20,
               .many_images_max_side = 2000},
    /* "sharp increases in usage may hit acceleration limits; ramp up gradually"
     * (platform.claude.com/docs/en/api/rate-limits): a learned limit is reached over 10 s */
    .limit_ramp_s = 10,
};
