/* sim_answer.c - deterministic answers and usage.
 *
 * The same request always gets the same content and usage, so tests can check the
 * client's bookkeeping exactly. The content carries each image's content hash: a test
 * can tell which image an answer belongs to, and so catch answers attached to the wrong
 * input. */
#include "sim_answer.h"

#include "sim_batch.h"
#include "sim_describe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One image's line is at most this long: fixed text, a 64-digit hash, a description. */
#define LINE_MAX_LEN 256

unsigned long sim_answer_image_tokens(const char *model, const sim_image_t *img)
{
    static const tokens_model_t fallback = {TOKENS_FAMILY_OPENAI_TILE, 85, 170, 0.0};
    tokens_model_t m;
    if (tokens_model_lookup(model, &m) != 0)
        m = fallback;
    if (img->is_url)
        return tokens_image(&m, 512, 512, DETAIL_LOW);
    return tokens_image(&m, img->width, img->height, img->detail);
}

unsigned long sim_answer_prompt_tokens(const sim_request_t *req)
{
    unsigned long images = 0;
    for (size_t i = 0; i < req->n_images; i++)
        images += sim_answer_image_tokens(req->model, &req->images[i]);
    return images + req->text_tokens + SIM_TOKENS_PER_MESSAGE * req->n_messages;
}

/* Writes the answer text into a new string; NULL when out of memory. */
static char *answer_text(const sim_request_t *req)
{
    size_t cap = (req->n_images + 1) * LINE_MAX_LEN;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t len = 0;
    text[0] = '\0';
    for (size_t i = 0; i < req->n_images; i++) {
        char line[LINE_MAX_LEN];
        sim_describe_image(&req->images[i], line, sizeof line);
        int n = snprintf(text + len, cap - len, "%sImage %zu: %s", i ? " " : "", i + 1, line);
        if (n < 0 || (size_t)n >= cap - len)
            break; /* cannot happen with LINE_MAX_LEN; keep what fits */
        len += (size_t)n;
    }
    if (req->n_images == 0)
        snprintf(text, cap, "No image was provided. This is a simulated answer.");
    return text;
}

int sim_answer_build(const sim_request_t *req, sim_garble_t garble, unsigned long id,
                     long long created, sim_reply_t *reply)
{
    sim_billing_t *b = &reply->billing;
    int batch = sim_batch_applies(req);
    char *content = batch ? sim_batch_answer_text(req, garble) : answer_text(req);
    if (!content)
        return -1;

    const char *finish = "stop";
    size_t len = strlen(content);
    unsigned long completion = tokens_text_estimate(content, len);
    if (req->max_tokens && completion > req->max_tokens) {
        size_t keep = req->max_tokens * 4; /* tokens_text_estimate's 4 bytes a token */
        if (keep < len)
            content[keep] = '\0'; /* ASCII only: no character is split */
        completion = req->max_tokens;
        finish = "length";
    }

    free(b->digests);
    memset(b, 0, sizeof *b);
    if (req->n_images) {
        b->digests = malloc(req->n_images * sizeof *b->digests);
        if (!b->digests) {
            free(content);
            return -1;
        }
    }
    for (size_t i = 0; i < req->n_images; i++) {
        b->image_tokens += sim_answer_image_tokens(req->model, &req->images[i]);
        memcpy(b->digests[i], req->images[i].digest, SIM_DIGEST_LEN);
    }
    b->n_images = req->n_images;
    b->batch = batch;
    b->garbled = batch ? garble : SIM_GARBLE_NONE;
    b->prompt_tokens = sim_answer_prompt_tokens(req); /* what --tpm weighs, too */
    b->completion_tokens = completion;

    char idbuf[48];
    snprintf(idbuf, sizeof idbuf, "chatcmpl-sim-%lu", id);
    json_t *root =
        json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id", idbuf,
                  "object", "chat.completion", "created", (json_int_t)created, "model", req->model,
                  "choices", "index", 0, "message", "role", "assistant", "content", content,
                  "finish_reason", finish, "usage", "prompt_tokens", (json_int_t)b->prompt_tokens,
                  "completion_tokens", (json_int_t)b->completion_tokens, "total_tokens",
                  (json_int_t)(b->prompt_tokens + b->completion_tokens));
    free(content);
    if (!root)
        return -1;
    char *body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!body)
        return -1;
    free(reply->body);
    reply->body = body;
    reply->body_len = strlen(body);
    reply->status = 200;
    return 0;
}
