/* sim_answer.c - deterministic answers and usage.
 *
 * The same request always gets the same content and usage, so tests can check the
 * client's bookkeeping exactly. The content carries each image's content hash: a test
 * can tell which image an answer belongs to, and so catch answers attached to the wrong
 * input. */
#include "sim_answer.h"

#include "sim_batch.h"
#include "sim_describe.h"
#include "sim_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One image's line is at most this long: fixed text, a 64-digit hash, a description. */
#define LINE_MAX_LEN 256

unsigned long sim_answer_image_tokens(const char *model, const sim_image_t *img)
{
    static const tokens_model_t fallback = {TOKENS_FAMILY_OPENAI_TILE, 85, 170, 0.0};
    unsigned w = img->is_url ? 512 : img->width, h = img->is_url ? 512 : img->height;
    detail_t detail = img->is_url ? DETAIL_LOW : img->detail;
    unsigned long tokens;
    if (tokens_image_for_model(model, w, h, detail, &tokens) == 0)
        return tokens;
    return tokens_image(&fallback, w, h, detail);
}

unsigned long sim_answer_prompt_tokens(const sim_request_t *req)
{
    unsigned long images = 0;
    for (size_t i = 0; i < req->n_images; i++)
        images += sim_answer_image_tokens(req->model, &req->images[i]);
    return images + req->text_tokens + SIM_TOKENS_PER_MESSAGE * req->n_messages;
}

/* Writes the plain answer text into a new string; NULL when out of memory. */
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

/* Fills billing for req's images and prompt (completion tokens are the caller's). */
static int bill_request(const sim_request_t *req, int batch, sim_garble_t garble, sim_billing_t *b)
{
    free(b->digests);
    memset(b, 0, sizeof *b);
    if (req->n_images) {
        b->digests = malloc(req->n_images * sizeof *b->digests);
        if (!b->digests)
            return -1;
    }
    for (size_t i = 0; i < req->n_images; i++) {
        b->image_tokens += sim_answer_image_tokens(req->model, &req->images[i]);
        memcpy(b->digests[i], req->images[i].digest, SIM_DIGEST_LEN);
    }
    b->n_images = req->n_images;
    b->batch = batch;
    b->garbled = batch ? garble : SIM_GARBLE_NONE;
    b->prompt_tokens = sim_answer_prompt_tokens(req); /* what --tpm weighs, too */
    return 0;
}

int sim_answer_compose(const sim_request_t *req, sim_garble_t garble, double bad_json_rate,
                       double json_draw, sim_answer_t *out, sim_billing_t *billing)
{
    memset(out, 0, sizeof *out);
    /* A batch with a response_format is still billed (and counted) as a batch, though
     * the structured answer replaces the array. */
    int batch = sim_batch_applies(req);
    char *text = req->response_format ? sim_json_answer_text(req, bad_json_rate, json_draw)
                 : batch              ? sim_batch_answer_text(req, garble)
                                      : answer_text(req);
    if (!text || bill_request(req, batch, garble, billing) != 0) {
        free(text);
        return -1;
    }
    size_t len = strlen(text);
    unsigned long completion = tokens_text_estimate(text, len);
    if (req->max_tokens && completion > req->max_tokens) {
        size_t keep = req->max_tokens * 4; /* tokens_text_estimate's 4 bytes a token */
        if (keep < len)
            text[keep] = '\0'; /* ASCII only: no character is split */
        completion = req->max_tokens;
        out->cut = 1;
    }
    billing->completion_tokens = completion;
    out->text = text;
    return 0;
}

void sim_answer_clear(sim_answer_t *a)
{
    if (!a)
        return;
    free(a->text);
    a->text = NULL;
}
