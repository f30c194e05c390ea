/* openai_batch_lines.c - OpenAI Batch API request lines in, batch output lines out. */
#include "provider/openai_batch_lines.h"

#include "media/base64.h"
#include "media/hash.h"
#include "media/image.h"
#include "cost/tokens.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An image of unknown size (a URL) is at most this square, for the budget. */
#define URL_WORST_SIDE 2048

/* Whether url is sent as it is (http(s) or a data URL) rather than read from disk. */
static bool is_remote(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0 ||
           strncasecmp(url, "data:", 5) == 0;
}

/* What the walk over a body's messages adds up. */
typedef struct {
    const char *model;
    double tokens;       /* estimate, as a provider counts against TPM */
    double worst_tokens; /* most prompt tokens it can be billed */
    int local_images;
} batch_walk_t;

/* Image tokens of a w x h image under the model's formula (gpt-4o's when unknown). */
static double image_tokens(const char *model, unsigned w, unsigned h, detail_t d)
{
    unsigned long n = 0;
    if (tokens_image_for_model(model, w, h, d, &n) != 0)
        tokens_image_for_model("gpt-4o", w, h, d, &n);
    return (double)n;
}

/* Reads the local image path names, checks it and puts it into iu as a data URL.
 * Returns 0, or -1 with the request failed. */
static int inline_image(request_t *r, batch_walk_t *w, json_t *iu, const char *url, detail_t detail,
                        size_t max, unsigned char **scratch, size_t *cap)
{
    char *path;
    if (strncmp(url, "file://", 7) == 0)
        url += 7;
    if (url[0] == '/') {
        path = strdup(url);
    } else {
        size_t n = strlen(r->item.batch_dir) + strlen(url) + 2;
        if ((path = malloc(n)))
            snprintf(path, n, "%s/%s", r->item.batch_dir, url);
    }
    if (!path) {
        request_fail(r, "internal", "out of memory");
        return -1;
    }
    long len = request_read_file(r, path, max, scratch, cap);
    if (len < 0) {
        size_t n = strlen(r->error_message);
        snprintf(r->error_message + n, sizeof r->error_message - n, " (%.200s)", path);
        free(path);
        return -1;
    }
    free(path);
    char why[256];
    image_info_t info;
    image_status_t st = image_probe(*scratch, (size_t)len, &info, why, sizeof why);
    if (st != IMAGE_OK) {
        request_fail(r, image_status_kind(st), "%.200s: %s", url, why);
        return -1;
    }
    if (w->local_images++ == 0) {
        r->image = info;
        r->image_bytes = (size_t)len;
        memcpy(r->content_hash, "sha256:", 7);
        hash_sha256_hex(*scratch, (size_t)len, r->content_hash + 7);
    }
    const char *mime = image_mime(info.format);
    size_t head = strlen("data:") + strlen(mime) + strlen(";base64,");
    size_t total = head + base64_encoded_len((size_t)len);
    char *data = malloc(total + 1);
    if (!data) {
        request_fail(r, "internal", "out of memory encoding %ld bytes", len);
        return -1;
    }
    snprintf(data, head + 1, "data:%s;base64,", mime);
    size_t n = base64_encode(*scratch, (size_t)len, data + head);
    json_t *s = json_stringn(data, head + n);
    free(data);
    if (!s || json_object_set_new(iu, "url", s) != 0) {
        request_fail(r, "internal", "out of memory");
        return -1;
    }
    double t = image_tokens(w->model, info.width, info.height, detail);
    w->tokens += t;
    w->worst_tokens += t;
    return 0;
}

/* Walks one message's content: text counts as tokens, images are counted and local ones
 * inlined. Returns 0, or -1 with the request failed. */
static int walk_content(request_t *r, batch_walk_t *w, json_t *content, size_t max,
                        unsigned char **scratch, size_t *cap)
{
    if (json_is_string(content)) {
        size_t n = json_string_length(content);
        w->tokens += (double)tokens_text_estimate(json_string_value(content), n);
        w->worst_tokens += (double)n;
        return 0;
    }
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        json_t *text = json_object_get(part, "text");
        json_t *iu = json_object_get(part, "image_url");
        if (json_is_string(text)) {
            size_t n = json_string_length(text);
            w->tokens += (double)tokens_text_estimate(json_string_value(text), n);
            w->worst_tokens += (double)n;
        }
        const char *url = json_string_value(json_object_get(iu, "url"));
        if (!url)
            continue;
        detail_t detail = DETAIL_AUTO;
        tokens_detail_parse(json_string_value(json_object_get(iu, "detail")), &detail);
        if (is_remote(url)) {
            w->tokens += image_tokens(w->model, URL_ASSUMED_SIDE, URL_ASSUMED_SIDE, detail);
            w->worst_tokens += image_tokens(w->model, URL_WORST_SIDE, URL_WORST_SIDE, detail);
        } else if (inline_image(r, w, iu, url, detail, max, scratch, cap) != 0) {
            return -1;
        }
    }
    return 0;
}

void openai_batch_prepare(request_t *r, size_t max_image_bytes, unsigned char **scratch,
                   size_t *scratch_cap)
{
    json_error_t jerr;
    json_t *body = json_loads(r->item.batch_body, 0, &jerr);
    if (!json_is_object(body)) {
        request_fail(r, "invalid_request", "the body is not a JSON object: %s", jerr.text);
        json_decref(body);
        return;
    }
    const char *model = json_string_value(json_object_get(body, "model"));
    batch_walk_t w = {.model = model};
    if (model && !(r->model = strdup(model))) {
        request_fail(r, "internal", "out of memory");
        json_decref(body);
        return;
    }
    json_t *messages = json_object_get(body, "messages");
    size_t i;
    json_t *msg;
    json_array_foreach(messages, i, msg)
    {
        w.tokens += MESSAGE_OVERHEAD_TOKENS;
        w.worst_tokens += MESSAGE_OVERHEAD_TOKENS + 16;
        if (walk_content(r, &w, json_object_get(msg, "content"), max_image_bytes, scratch,
                         scratch_cap) != 0) {
            json_decref(body);
            return;
        }
    }
    json_t *mt = json_object_get(body, "max_completion_tokens");
    if (!json_is_integer(mt))
        mt = json_object_get(body, "max_tokens");
    if (json_is_integer(mt) && json_integer_value(mt) > 0) {
        w.tokens += (double)json_integer_value(mt);
        r->max_tokens = (long)json_integer_value(mt);
    }
    r->token_estimate = w.tokens;
    r->input_tokens_worst = w.worst_tokens;
    r->body = w.local_images ? json_dumps(body, JSON_COMPACT) : strdup(r->item.batch_body);
    json_decref(body);
    if (!r->body)
        request_fail(r, "internal", "out of memory writing the body");
    else
        r->body_len = strlen(r->body);
}

char *openai_batch_output_line(const vb_result_t *res)
{
    char id[16 + HASH_HEX_LEN];
    char hex[HASH_HEX_LEN + 1];
    const char *cid = res->id ? res->id : "";
    hash_sha256_hex(cid, strlen(cid), hex);
    snprintf(id, sizeof id, "batch_req_%.32s", hex);
    json_t *body = res->response_body ? json_loads(res->response_body, 0, NULL) : NULL;
    json_t *line = json_pack("{s:s, s:s%}", "id", id, "custom_id", cid, strlen(cid));
    if (!line) { /* a custom_id that is not UTF-8 cannot be written as JSON */
        json_decref(body);
        return NULL;
    }
    if (res->http_status > 0 && body) {
        json_object_set_new(line, "response",
                            json_pack("{s:I, s:s?, s:o}", "status_code",
                                      (json_int_t)res->http_status, "request_id", res->request_id,
                                      "body", body));
    } else {
        json_decref(body);
        json_object_set_new(line, "response", json_null());
    }
    /* as OpenAI writes it: an HTTP error answer is the response, with "error" null; the
     * error object is for items without an answer, and for answers that did not pass */
    bool answered_error =
        res->http_status >= 400 && json_is_object(json_object_get(line, "response"));
    if (res->status == VB_STATUS_OK || answered_error)
        json_object_set_new(line, "error", json_null());
    else
        json_object_set_new(line, "error",
                            json_pack("{s:s, s:s}", "code",
                                      res->error_kind ? res->error_kind : "error", "message",
                                      res->error_message ? res->error_message : ""));
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    return text;
}
