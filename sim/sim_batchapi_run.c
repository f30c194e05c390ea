/* sim_batchapi_run.c - a final batch's lines, answered once (sim_batchapi_run.h). */
#include "sim_batchapi_run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_answer.h"
#include "sim_batchapi_lines.h"
#include "sim_request.h"
#include "sim_rng.h"

#define LINE_IDS_PER_BATCH 100000000UL /* a line's number: ordinal * this + index + 1 */

int sim_bbuf_add(sim_bbuf_t *b, const char *s, size_t n)
{
    if (n > SIM_BBUF_MAX - b->len)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int sim_bbuf_addf(sim_bbuf_t *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return sim_bbuf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = sim_bbuf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

int sim_bbuf_add_string(sim_bbuf_t *b, const char *s)
{
    json_t *str = json_string(s);
    char *text = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
    json_decref(str);
    int rc = text ? sim_bbuf_add(b, text, strlen(text)) : -1;
    free(text);
    return rc;
}

/* Answers body[0..len) as b's protocol's online endpoint would, into reply. Returns the
 * outcome (OK or REFUSED), or -1 when out of memory. */
static int answer_line(const sim_config_t *cfg, const sim_batch_t *b, const char *body, size_t len,
                       unsigned long id, sim_reply_t *reply)
{
    char path[SIM_BLINES_PATH_MAX];
    sim_call_t call;
    sim_blines_online_call(&call, b->proto, b->model, body, len, id, path, sizeof path);
    reply->call_id = id;
    sim_request_t req;
    sim_error_t err;
    if (call.proto->parse(cfg, &call, &req, &err) != 0)
        return call.proto->refuse(reply, &err) == 0 ? SIM_BLINE_REFUSED : -1;
    sim_answer_t answer;
    int rc = sim_answer_compose(&req, SIM_GARBLE_NONE, 0.0, 0.0, &answer, &reply->billing);
    if (rc == 0)
        rc = call.proto->answer(&req, &answer, id, reply);
    sim_answer_clear(&answer);
    sim_request_free(&req);
    return rc == 0 ? SIM_BLINE_OK : -1;
}

/* A line the batch could not read (not JSON, no body) is refused as its protocol refuses
 * an unreadable body. */
static int refuse_unreadable(const sim_batch_t *b, const char *why, unsigned long id,
                             sim_reply_t *reply)
{
    sim_error_t err;
    sim_error_set(&err, NULL, NULL, "%s", why);
    reply->call_id = id;
    return sim_protocol_get(b->proto)->refuse(reply, &err) == 0 ? SIM_BLINE_REFUSED : -1;
}

/* The key billed_twice knows an ok line by: SHA-256 of the protocol and the line's image
 * hashes, or of the protocol and its body when it has no image. Returns 0, or -1. */
static int line_key(sim_proto_id_t proto, const sim_billing_t *bill, const char *body, size_t len,
                    unsigned char key[SIM_DIGEST_LEN])
{
    size_t n = bill->n_images ? bill->n_images * SIM_DIGEST_LEN : len;
    unsigned char *buf = malloc(n + 1);
    if (!buf)
        return -1;
    buf[0] = (unsigned char)proto;
    if (bill->n_images)
        memcpy(buf + 1, bill->digests, n);
    else
        memcpy(buf + 1, body, n);
    sim_image_t img;
    sim_image_set_hash(&img, buf, n + 1);
    memcpy(key, img.digest, SIM_DIGEST_LEN);
    free(buf);
    return 0;
}

/* The results of one run, before they are stored in the batch. */
typedef struct {
    sim_bbuf_t out, err;
    unsigned char (*keys)[SIM_DIGEST_LEN]; /* of the ok lines */
    sim_btally_t tally;
} run_t;

/* Runs (or not: pos >= n_run) the line at position pos of the shuffled order, index i. */
static int run_one(const sim_config_t *cfg, const sim_batch_t *b, size_t i, int run,
                   sim_bline_outcome_t not_run, uint64_t *rng, sim_bline_render_fn render, run_t *r)
{
    char *cid = NULL, *body = NULL, why[160];
    size_t len = 0;
    if (sim_blines_get(b, i, &cid, &body, &len, why, sizeof why) != 0)
        return -1;
    sim_bline_t line = {.custom_id = cid,
                        .id = b->ordinal * LINE_IDS_PER_BATCH + i + 1,
                        .tag = sim_rng_next(rng),
                        .outcome = not_run};
    sim_reply_t reply;
    sim_reply_init(&reply);
    int rc = 0;
    if (run && cfg->batch_line_fail_rate > 0 && sim_rng_unit(rng) < cfg->batch_line_fail_rate)
        line.outcome = SIM_BLINE_FAULT;
    else if (run)
        rc = body ? answer_line(cfg, b, body, len, line.id, &reply)
                  : refuse_unreadable(b, why, line.id, &reply);
    if (run && rc >= 0 && line.outcome != SIM_BLINE_FAULT) {
        line.outcome = (sim_bline_outcome_t)rc;
        line.status = reply.status;
        line.body = reply.body;
        line.body_len = reply.body_len;
    }
    if (rc >= 0)
        rc = render(b, &line, &r->out, &r->err);
    if (rc >= 0) {
        switch (line.outcome) {
        case SIM_BLINE_OK:
            rc = line_key(b->proto, &reply.billing, body, len, r->keys[r->tally.ok]);
            r->tally.ok++;
            r->tally.prompt_tokens += reply.billing.prompt_tokens;
            r->tally.completion_tokens += reply.billing.completion_tokens;
            break;
        case SIM_BLINE_REFUSED:
            r->tally.refused++;
            break;
        case SIM_BLINE_FAULT:
            r->tally.faults++;
            break;
        default:
            r->tally.not_run++;
            break;
        }
    }
    sim_reply_clear(&reply);
    free(cid);
    free(body);
    return rc < 0 ? -1 : 0;
}

/* How many lines (from the start of the shuffled order) a batch that ended in p ran. */
static size_t lines_run(const sim_batch_t *b, sim_bphase_t p, double now)
{
    switch (p) {
    case SIM_BPHASE_COMPLETED:
        return b->total;
    case SIM_BPHASE_EXPIRED: /* Gemini: an expired batch has no results at all (§3) */
        return b->proto == SIM_PROTO_GEMINI ? 0 : b->total - b->n_expire;
    case SIM_BPHASE_CANCELLED:
        return (size_t)floor(sim_btimeline_progress(&b->tl, now) * (double)b->total);
    default:
        return 0;
    }
}

/* Stores buf as a results file of b (NULL when buf is empty). which: "output", "error". */
static int store_results(sim_batchapi_t *api, const sim_batch_t *b, sim_bbuf_t *buf,
                         const char *which, sim_bfile_t **out)
{
    *out = NULL;
    if (buf->len == 0)
        return 0;
    char id[96], name[192];
    switch (b->proto) {
    case SIM_PROTO_OPENAI:
        sim_batchapi_make_id(api, "file-", 24, id, sizeof id);
        snprintf(name, sizeof name, "%s_%s.jsonl", b->id, which);
        break;
    case SIM_PROTO_GEMINI: /* batches/<x> -> files/batch-<x> (facts §3) */
        snprintf(id, sizeof id, "files/batch-%s", b->id + strlen("batches/"));
        snprintf(name, sizeof name, "batch-%s", b->id + strlen("batches/"));
        break;
    default:
        snprintf(id, sizeof id, "%s/results", b->id);
        snprintf(name, sizeof name, "%s", id);
        break;
    }
    *out = sim_batchapi_add_file(api, b->proto, id, "batch_output", name, buf->data, buf->len, 1);
    buf->data = NULL;
    return *out ? 0 : -1;
}

/* Runs every line of the final batch b (ended in p). Returns 0, or -1. */
static int run_lines(sim_batchapi_t *api, sim_batch_t *b, sim_bphase_t p, double now,
                     sim_bline_render_fn render)
{
    const sim_config_t *cfg = sim_batchapi_config(api);
    size_t n_run = lines_run(b, p, now);
    sim_bline_outcome_t not_run =
        p == SIM_BPHASE_CANCELLED ? SIM_BLINE_CANCELLED : SIM_BLINE_EXPIRED;
    run_t r;
    memset(&r, 0, sizeof r);
    size_t *order = p == SIM_BPHASE_FAILED ? NULL : malloc((b->total + 1) * sizeof *order);
    r.keys = malloc((n_run + 1) * sizeof *r.keys);
    int rc = (order || p == SIM_BPHASE_FAILED) && r.keys ? 0 : -1;
    /* one generator per batch, from --seed and its ordinal: the same order and draws
     * whichever thread runs it and whenever */
    uint64_t rng = cfg->seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)b->ordinal);
    if (rc == 0 && order) {
        for (size_t k = 0; k < b->total; k++)
            order[k] = k;
        for (size_t k = b->total; k > 1; k--) { /* Fisher-Yates */
            size_t j = (size_t)(sim_rng_next(&rng) % k);
            size_t t = order[k - 1];
            order[k - 1] = order[j];
            order[j] = t;
        }
        for (size_t pos = 0; pos < b->total && rc == 0; pos++)
            rc = run_one(cfg, b, order[pos], pos < n_run, not_run, &rng, render, &r);
    }
    sim_bfile_t *output = NULL, *errors = NULL;
    if (rc == 0)
        rc = store_results(api, b, &r.out, "output", &output);
    if (rc == 0)
        rc = store_results(api, b, &r.err, "error", &errors);
    if (rc == 0) {
        sim_batchapi_lock(api);
        b->tally = r.tally;
        b->output = output;
        b->errors_file = errors;
        b->ran = 1;
        sim_batchapi_unlock(api);
        sim_batchapi_book(api, b, (const unsigned char(*)[SIM_DIGEST_LEN])r.keys, r.tally.ok);
    }
    free(r.out.data);
    free(r.err.data);
    free(r.keys);
    free(order);
    return rc;
}

int sim_batchapi_run(sim_batchapi_t *api, sim_batch_t *b, double now, sim_bline_render_fn render)
{
    sim_batchapi_lock(api);
    sim_bphase_t p = sim_btimeline_phase(&b->tl, now);
    int ran = b->ran;
    sim_batchapi_unlock(api);
    if (ran || !sim_bphase_final(p))
        return 0;
    pthread_mutex_lock(&b->run_lock);
    sim_batchapi_lock(api);
    ran = b->ran; /* another thread may have run it while we waited */
    sim_batchapi_unlock(api);
    int rc = ran ? 0 : run_lines(api, b, p, now, render);
    pthread_mutex_unlock(&b->run_lock);
    return rc;
}
