/* gemini.c - the Gemini provider's table: where requests go (the model is in the path),
 * the key's header and what its responses' headers say about limits. The bodies, the
 * answers and the structured-answer option are in gemini_body.c, gemini_answer.c and
 * gemini_schema.c. */
#include "provider/gemini.h"
#include "provider/gemini_internal.h"

#include "media/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The model's name without the "models/" the API's resource names carry. */
static const char *model_id(const char *model)
{
    return strncmp(model, "models/", 7) == 0 ? model + 7 : model;
}

bool gemini_model_name_ok(const char *model)
{
    if (!model)
        return false;
    const char *id = model_id(model);
    if (!id[0])
        return false;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* True when the first n bytes of s end with suffix. */
static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* {base}/models/{model}:generateContent when base names an API version (/v1beta, /v1),
 * else {base}/v1beta/models/{model}:generateContent. NULL for a model name the path
 * cannot carry (it would change the path or need escaping), or out of memory. */
static char *gemini_request_url(const char *base_url, const char *model)
{
    if (!base_url || !gemini_model_name_ok(model))
        return NULL;
    const char *id = model_id(model);
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    const char *version =
        ends_with(base_url, blen, "/v1beta") || ends_with(base_url, blen, "/v1") ? "" : "/v1beta";
    size_t n = blen + strlen(version) + strlen(id) + sizeof "/models/:generateContent";
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%.*s%s/models/%s:generateContent", (int)blen, base_url, version, id);
    return url;
}

/* x-goog-api-key: <key>, when there is a key (the API also takes ?key=, which would put
 * the key in every log that records URLs: never used). */
static int gemini_add_headers(const char *api_key, header_add_fn add, void *ctx)
{
    if (!api_key || !api_key[0])
        return 0;
    size_t n = strlen(api_key) + sizeof "x-goog-api-key: ";
    char *line = malloc(n);
    if (!line)
        return -1;
    snprintf(line, n, "x-goog-api-key: %s", api_key);
    int rc = add(ctx, line);
    explicit_bzero(line, n);
    free(line);
    return rc;
}

/* Gemini sends no rate-limit headers (its limits are per project, in the console): only a
 * retry-after, should a proxy in front of it send one. Its own wait is in the 429 body's
 * RetryInfo (answer_t.retry_after_s). */
static void gemini_limits_parse(header_get_fn get, void *hctx, time_t now, ratelimit_info_t *out)
{
    out->limit_requests = out->limit_tokens = -1;
    out->remaining_requests = out->remaining_tokens = -1;
    out->reset_requests_s = out->reset_tokens_s = -1;
    double s;
    out->retry_after_s =
        get && ratelimit_parse_retry_after(get(hctx, "retry-after"), now, &s) == 0 ? s : -1;
}

/* Limits (ai.google.dev/gemini-api/docs/image-understanding): PNG, JPEG, WebP, HEIC and
 * HEIF (visionbatch reads no HEIC/HEIF: the first three); at most 3,600 images per
 * request; no per-image pixel limit is documented. Inline data may be 100 MB of base64 per
 * request since the Google blog of 2026-01-12 ("Increased file size limits", up from 20
 * MB). The default model is Gemini 3.5 Flash-Lite, the current low-cost tier: stable
 * since July 2026 (ai.google.dev/gemini-api/docs/models/gemini-3.5-flash-lite), named by
 * Google's model page as the replacement for gemini-2.5-flash, which the deprecations
 * page retires on 2026-12-01. */
const provider_t provider_gemini = {
    .name = "gemini",
    .default_base_url = "https://generativelanguage.googleapis.com",
    .default_model = "gemini-3.5-flash-lite",
    .request_url = gemini_request_url,
    .models_url = gemini_models_url,
    .models_parse = gemini_models_parse,
    .add_headers = gemini_add_headers,
    .template_build = gemini_template_build,
    .body_image = gemini_body_image,
    .body_image_url = gemini_body_image_url,
    .group_body = gemini_group_body,
    .group_part_overhead = gemini_group_part_overhead,
    .structured_option = gemini_structured_option,
    .answer_parse = gemini_answer_parse,
    .limits_parse = gemini_limits_parse,
    .request_id_header = NULL, /* the id is the body's responseId; no header is documented */
    .image_tokens = tokens_image_for_model,
    .limits = {.formats = 1u << IMAGE_JPEG | 1u << IMAGE_PNG | 1u << IMAGE_WEBP,
               .max_image_bytes = 0,
               .max_side = 0,
               .max_request_bytes = (size_t)100 * 1000 * 1000,
               .max_images = 3600},
    /* no x-ratelimit-style headers: a limit is known only from a 429's QuotaFailure */
    .no_limit_headers = 1,
};
