/* openai.c - the OpenAI provider's table: where requests go, the key's header, and the
 * single-image request bodies of chat/completions. The answer, the structured-answer
 * option, group bodies and limit headers are in openai_answer.c, openai_schema.c,
 * openai_group.c and limit_headers.c. */
#include "provider/openai.h"
#include "provider/openai_internal.h"

#include "media/base64.h"
#include "media/image.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {base_url}/chat/completions, whatever the model. */
static char *openai_request_url(const char *base_url, const char *model)
{
    (void)model;
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    size_t n = blen + sizeof "/chat/completions";
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%.*s/chat/completions", (int)blen, base_url);
    return url;
}

/* Authorization: Bearer <key>, when there is a key. */
static int openai_add_headers(const char *api_key, header_add_fn add, void *ctx)
{
    if (!api_key || !api_key[0])
        return 0;
    size_t n = strlen(api_key) + sizeof "Authorization: Bearer ";
    char *line = malloc(n);
    if (!line)
        return -1;
    snprintf(line, n, "Authorization: Bearer %s", api_key);
    int rc = add(ctx, line);
    explicit_bzero(line, n);
    free(line);
    return rc;
}

static const char *strrstr(const char *hay, const char *needle)
{
    const char *last = NULL, *p = hay;
    while ((p = strstr(p, needle))) {
        last = p;
        p++;
    }
    return last;
}

/* Fields of the chat/completions request body (platform.openai.com/docs/api-reference/
 * chat/create): a system message {"role":"system","content":TEXT} first in "messages",
 * "temperature" (0..2), "seed" (integer, best-effort determinism). */
int openai_body_sampling(json_t *body, const body_settings_t *s)
{
    int bad = 0;
    if (s->system) {
        json_t *msg = json_pack("{s:s, s:s}", "role", "system", "content", s->system);
        bad = !msg || json_array_insert_new(json_object_get(body, "messages"), 0, msg);
    }
    if (!bad && s->temperature_set)
        bad = json_object_set_new(body, "temperature", json_real(s->temperature));
    if (!bad && s->seed_set)
        bad = json_object_set_new(body, "seed", json_integer((json_int_t)s->seed));
    return bad ? -1 : 0;
}

/* {"model", "messages":[{"role":"system","content":system}?, {"role":"user","content":[{"type":"text","text":prompt},
 * {"type":"image_url","image_url":{"url":<image>,"detail"}}]}], "max_tokens"?,
 * "response_format"?, "temperature"?, "seed"?}, split around <image>. */
static int openai_template_build(body_template_t *t, const body_settings_t *s, char *err,
                                 size_t errlen)
{
    memset(t, 0, sizeof *t);
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}, {s:s, s:{s:s, s:s}}]}]}", "model", s->model,
                  "messages", "role", "user", "content", "type", "text", "text", s->prompt, "type",
                  "image_url", "image_url", "url", OPENAI_IMAGE_MARK, "detail", s->detail);
    if (!body) {
        snprintf(err, errlen, "cannot build the request: model and prompt must be UTF-8 text");
        return -1;
    }
    if (s->max_tokens > 0)
        json_object_set_new(body, "max_tokens", json_integer(s->max_tokens));
    if (openai_body_sampling(body, s) != 0) {
        json_decref(body);
        snprintf(err, errlen, "cannot build the request: the system prompt must be UTF-8 text");
        return -1;
    }
    if (s->response_format) {
        json_t *rf = json_loads(s->response_format, 0, NULL);
        if (!json_is_object(rf)) {
            json_decref(rf);
            json_decref(body);
            snprintf(err, errlen, "response_format is not a JSON object");
            return -1;
        }
        json_object_set_new(body, "response_format", rf);
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *mark = text ? strrstr(text, OPENAI_IMAGE_MARK_ESCAPED) : NULL;
    if (!mark) {
        free(text);
        snprintf(err, errlen, "cannot build the request template");
        return -1;
    }
    size_t mark_len = strlen(OPENAI_IMAGE_MARK_ESCAPED);
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

/* The image as a data URL: data:<mime>;base64,<bytes>. */
static char *openai_body_image(const body_template_t *t, const char *mime, const unsigned char *img,
                               size_t len, size_t *body_len)
{
    char head[64];
    int n = snprintf(head, sizeof head, "data:%s;base64,", mime);
    if (n < 0 || (size_t)n >= sizeof head)
        return NULL;
    return body_template_join(t, head, img, len, true, "", body_len);
}

/* The URL itself, JSON-escaped. */
static char *openai_body_image_url(const body_template_t *t, const char *url, size_t *body_len)
{
    json_t *s = json_string(url);
    char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!quoted)
        return NULL;
    size_t qlen = strlen(quoted);
    char *b = body_template_join(t, "", (const unsigned char *)quoted + 1, qlen - 2, false, "",
                                 body_len);
    free(quoted);
    return b;
}

/* provider-facts.md §1: PNG, JPEG, WEBP, non-animated GIF; 50 MB and 500 images per
 * request (20 MB per image in older docs: the CLI's default --max-image-bytes). */
const provider_t provider_openai = {
    .name = "openai",
    .default_base_url = "https://api.openai.com/v1",
    .default_model = "gpt-4o-mini",
    .request_url = openai_request_url,
    .models_url = openai_models_url,
    .models_parse = openai_models_parse,
    .add_headers = openai_add_headers,
    .template_build = openai_template_build,
    .body_image = openai_body_image,
    .body_image_url = openai_body_image_url,
    .group_body = openai_group_body,
    .group_part_overhead = openai_group_part_overhead,
    .structured_option = openai_structured_option,
    .answer_parse = openai_answer_parse,
    .limits_parse = openai_limits_parse,
    .request_id_header = "x-request-id",
    .image_tokens = tokens_image_for_model,
    .limits = {.formats = 1u << IMAGE_JPEG | 1u << IMAGE_PNG | 1u << IMAGE_WEBP | 1u << IMAGE_GIF,
               .max_image_bytes = 0,
               .max_side = 0,
               .max_request_bytes = (size_t)50 * 1000 * 1000,
               .max_images = 500},
};
