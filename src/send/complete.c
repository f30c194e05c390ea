/* complete.c - what becomes of a request once its transfer ends.
 *
 * A finished transfer is classified (the provider's answer, or what libcurl's failure
 * means), its cost settled against the budget and its handle handed back; the attempt is
 * journaled and told to admission. Then exactly one thing happens to the request: the
 * run stops and leaves it unfinished (a resume sends it again), it is retried, its group's
 * answer is split among the images (or the group breaks up), an answer that is not the
 * JSON asked for is asked again, or it is recorded.
 *
 * A request that must be retried goes to the retry queue, ordered by due time, and holds
 * no handle while it waits; dispatch takes retries that are due before new work. */
#include "send/engine_internal.h"

#include "admit/backoff.h"
#include "record/stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One finished transfer on its way through engine_complete. */
typedef struct completion {
    request_t *r;  /* the request it carried: the completion's until decided */
    transfer_t *t; /* handed back early: its body and headers stay until it is reused */
    CURLcode rc;
    uint64_t now;
    double latency_ms;
    long status;
    size_t body_len; /* t->len, which is reset when t is handed back */
    answer_t resp;
    ratelimit_info_t info;
    bool have_info; /* an HTTP answer came: info holds its rate-limit headers */
    bool billed;    /* a 2xx came back: the model ran, whatever the answer says */
    double cost;    /* what a billed answer cost (its usage, else its worst case: see
                       worst_case), -1 when the model has no price; 0 when not billed */
    bool worst_case; /* billed without usable usage: cost is the request's worst case */
    admit_signal_t signal;
    group_split_t split; /* a batch request's ok answer, per member */
    json_t *data;        /* --json/--schema: the answer parsed, or NULL */
    bool bad_json;       /* the answer is not the JSON asked for: why says why */
    char why[300];
} completion_t;

/* A uniform number in [0, 1) from the engine's xorshift state. */
static double engine_random(engine_t *e)
{
    e->rng ^= e->rng << 13;
    e->rng ^= e->rng >> 7;
    e->rng ^= e->rng << 17;
    return (double)(e->rng >> 11) / 9007199254740992.0;
}

/* How a classified answer bears on admission. */
static admit_signal_t signal_of(const answer_t *resp, long status)
{
    if (resp->action == ANSWER_OK)
        return ADMIT_SIGNAL_OK;
    const char *kind = resp->error_kind ? resp->error_kind : "";
    if (strcmp(kind, "rate_limited") == 0)
        return ADMIT_SIGNAL_RATE_LIMITED;
    if (strcmp(kind, "timeout") == 0 || status == 503 || status == 529)
        return ADMIT_SIGNAL_OVERLOADED;
    return ADMIT_SIGNAL_OTHER;
}

/* Reads what came back on t: when, the status, the answer classified (or the transfer's
 * failure mapped), the rate-limit headers. Counts the answer for latency and the live
 * statistics. Fills *c (cleared by the caller with completion_clear). */
static void classify(engine_t *e, transfer_t *t, CURLcode rc, completion_t *c)
{
    memset(c, 0, sizeof *c);
    c->r = t->req;
    c->t = t;
    c->rc = rc;
    c->body_len = t->len;
    c->now = clock_now(&e->clock);
    c->latency_ms = (double)(c->now - t->started_ns) / 1e6;
    c->status = transfer_status(t);
    e->out.sum->bytes_uploaded += transfer_uploaded_bytes(t); /* what went, not what was meant */
    histogram_add(e->latency, c->latency_ms);
    stats_count_answer(&e->live, rc == CURLE_OK ? c->status : 0, c->latency_ms / 1000.0);
    if (rc != CURLE_OK) {
        transfer_failure(&e->pool, t, rc, e->o->api_key, &c->resp);
    } else {
        transfer_parse(&e->pool, t, c->status, e->o->api_key, &c->resp);
        transfer_ratelimit_info(&e->pool, t, &c->info);
        if (c->resp.retry_after_s > c->info.retry_after_s) /* a wait said in the body */
            c->info.retry_after_s = c->resp.retry_after_s;
        if (c->resp.limit_requests > 0 && c->info.limit_requests < 0) /* limits said there */
            c->info.limit_requests = c->resp.limit_requests;
        if (c->resp.limit_tokens > 0 && c->info.limit_tokens < 0)
            c->info.limit_tokens = c->resp.limit_tokens;
        c->have_info = true;
    }
    if (c->status == 429 && c->resp.error_kind && strcmp(c->resp.error_kind, "rate_limited") == 0)
        e->out.sum->rate_limited++;
    engine_health_note(e, t, rc, c->status, c->r, &c->resp, c->now); /* may stop or pause */
}

/* At most this many answers per item that came back 2xx but could not be used (garbled,
 * cut short, without content): each is billed, so asking again is not free. */
#define UNUSABLE_ANSWERS_MAX 3

/* Replaces the request's budget reservation by what the answer cost. A 2xx was billed,
 * whether or not its answer can be used (a refusal, a content filter, a garbled or cut
 * body): its usage at the model's price, or without usable usage the request's worst
 * case, which is also what the run counts it at. A request the server refused (4xx, 5xx)
 * is not billed. A timeout or a break after the upload may still be billed: the budget
 * keeps its worst case, the run counts nothing. Needs the transfer not yet handed back. */
static void settle_cost(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    const answer_t *resp = &c->resp;
    c->billed = c->rc == CURLE_OK && c->status >= 200 && c->status < 300;
    c->cost = 0;
    if (c->billed) {
        c->cost = r->online_fallback ? job_cost_online(&e->cost, r->model, resp->prompt_tokens,
                                                       resp->completion_tokens)
                                     : job_cost_usage(&e->cost, r->model, resp->prompt_tokens,
                                                      resp->completion_tokens);
        if (c->cost < 0 && (c->cost = engine_worst_usd(e, r)) >= 0) {
            c->worst_case = true;
            e->out.sum->usage_missing++;
        }
    }
    if (r->online_fallback && c->billed) /* the batch run's online figure */
        e->out.sum->online_cost_usd =
            c->cost >= 0 && e->out.sum->online_cost_usd >= 0 ? e->out.sum->online_cost_usd + c->cost
                                                             : -1;
    bool maybe_billed = c->rc != CURLE_OK && transfer_uploaded(c->t) && !c->t->overflow;
    budget_settle(&e->cost.budget, r->reserved_usd,
                  maybe_billed  ? r->reserved_usd
                  : c->cost > 0 ? c->cost
                                : 0);
    r->reserved_usd = 0;
}

/* Journals the attempt for every image r carried: a batch's members each with their share
 * of its usage and cost, or with the request's error. */
static void journal_attempts(engine_t *e, const completion_t *c)
{
    const request_t *r = c->r;
    const answer_t *resp = &c->resp;
    const group_split_t *split = &c->split;
    if (!r->n_members) {
        journal_attempt(e->journal, r->item.id, r->attempts, c->latency_ms, c->status,
                        resp->prompt_tokens, resp->completion_tokens, c->cost, resp->error_kind,
                        resp->error_kind ? resp->error_message : NULL);
        return;
    }
    bool shared = split->n == r->n_members;
    const char *kind = resp->error_kind ? resp->error_kind : split->ok ? NULL : "batch_unsplit";
    const char *msg = resp->error_kind ? resp->error_message : split->ok ? NULL : split->why;
    for (size_t i = 0; i < r->n_members; i++)
        journal_attempt(e->journal, r->members[i]->item.id, r->members[i]->attempts, c->latency_ms,
                        c->status, shared ? split->prompt_tokens[i] : -1,
                        shared ? split->completion_tokens[i] : -1, shared ? split->cost_usd[i] : 0,
                        kind, msg);
}

/* Takes the attempt in: splits a batch's ok answer among its members, journals it, and
 * tells admission how the server answered. */
static void note_attempt(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    if (r->n_members && c->resp.action == ANSWER_OK) /* out of memory: as if unsplit */
        group_split_answer(r, c->resp.content, c->resp.prompt_tokens, c->resp.completion_tokens,
                           e->cost.price_known ? &e->cost.price : NULL, c->cost, &c->split);
    if (e->journal)
        journal_attempts(e, c);
    c->signal = signal_of(&c->resp, c->status);
    admit_on_response(e->admit, c->signal, c->have_info ? &c->info : NULL, r->sent_ns,
                      e->pool.in_flight + 1, c->now);
}

/* Adds cost (when > 0) and the usage of a billed answer resp to the run's totals at once:
 * for an answer no image's result will carry. */
static void count_billed(vb_summary_t *sum, double cost, const answer_t *resp)
{
    if (cost > 0 && sum->cost_usd >= 0)
        sum->cost_usd += cost;
    if (resp->prompt_tokens > 0)
        sum->prompt_tokens += resp->prompt_tokens;
    if (resp->completion_tokens > 0)
        sum->completion_tokens += resp->completion_tokens;
}

void engine_count_unfinished(engine_t *e, const request_t *r, double last_usd,
                             const answer_t *last)
{
    double usd = (last_usd > 0 ? last_usd : 0) + r->earlier_cost_usd + r->carried_usd;
    for (size_t i = 0; i < r->n_members; i++)
        usd += r->members[i]->carried_usd + r->members[i]->earlier_cost_usd;
    answer_t billed = {.prompt_tokens = r->earlier_prompt_tokens,
                       .completion_tokens = r->earlier_completion_tokens};
    if (last && last->prompt_tokens > 0)
        billed.prompt_tokens += last->prompt_tokens;
    if (last && last->completion_tokens > 0)
        billed.completion_tokens += last->completion_tokens;
    count_billed(e->out.sum, usd, &billed);
    if (usd > 0 && e->journal)
        journal_spent_unfinished_add(e->journal, usd);
}

/* A billed answer that was not used (r goes again): its cost and usage go with r to its
 * final result, a single image's in earlier_*, a batch request's shared out among its
 * images (its tokens are counted now: no image's result carries a batch's usage). */
static void carry_unused(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    if (!c->billed)
        return;
    if (r->n_members) {
        for (size_t i = 0; c->cost > 0 && i < r->n_members; i++)
            r->members[i]->carried_usd += c->cost / (double)r->n_members;
        count_billed(e->out.sum, 0, &c->resp);
        return;
    }
    r->earlier_cost_usd += c->cost > 0 ? c->cost : 0;
    r->earlier_prompt_tokens += c->resp.prompt_tokens > 0 ? c->resp.prompt_tokens : 0;
    r->earlier_completion_tokens += c->resp.completion_tokens > 0 ? c->resp.completion_tokens : 0;
}

/* An answer that stops the run, or a retryable one once the run is stopping, leaves the
 * item unfinished: no result now, and a resume sends it again. Returns true when it did
 * (the request is freed). */
static bool stop_unfinished(engine_t *e, completion_t *c)
{
    if (c->resp.action == ANSWER_STOP_RUN)
        engine_stop(e, c->resp.error_message);
    if (c->resp.action != ANSWER_STOP_RUN && !(c->resp.action == ANSWER_RETRY && e->stopping))
        return false;
    engine_count_unfinished(e, c->r, c->cost, &c->resp); /* no result will carry it */
    request_free(c->r);
    return true;
}

/* Puts r in the retry queue for another attempt; returns false when it cannot be
 * retried (out of attempts, or the queue is full). */
static bool schedule_retry(engine_t *e, request_t *r, admit_signal_t signal, double retry_after,
                           uint64_t now)
{
    /* re-asks for JSON and failures while the endpoint was down do not count */
    if (r->attempts - r->json_retries - r->outage_retries > e->o->retries)
        return false;
    uint64_t due;
    if (signal == ADMIT_SIGNAL_RATE_LIMITED) {
        /* after the run-wide pause (or its own retry-after when the 429 was isolated),
         * spread over a few ms so they do not land together */
        due = admit_retry_due(e->admit, retry_after, now) + (uint64_t)(engine_random(e) * 20e6);
    } else {
        double d = backoff_delay(r->attempts, e->o->retry_base_s, e->o->retry_max_s,
                                 engine_random(e), retry_after, 120);
        due = now + (uint64_t)((d < 3600 ? d : 3600) * 1e9);
    }
    if (retryq_push(e->retries, r, due) != 0)
        return false;
    return true;
}

/* A retryable answer sends the request (a batch whole) again after a backoff, while it
 * has attempts left. Returns true when it went to the retry queue; else a retryable
 * error's message says how many attempts it had. */
static bool retry_later(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    r->retry_kind = c->resp.error_kind;
    if (c->resp.action != ANSWER_RETRY)
        return false;
    if (c->billed && ++r->unusable_answers >= UNUSABLE_ANSWERS_MAX) {
        size_t n = strlen(c->resp.error_message);
        snprintf(c->resp.error_message + n, sizeof c->resp.error_message - n,
                 " (%d such answers, each billed: not asked again)", r->unusable_answers);
        return false;
    }
    if (schedule_retry(e, r, c->signal, c->have_info ? c->info.retry_after_s : -1, c->now)) {
        carry_unused(e, c);
        return true;
    }
    if (r->attempts > 1) {
        size_t n = strlen(c->resp.error_message);
        snprintf(c->resp.error_message + n, sizeof c->resp.error_message - n,
                 " (after %d attempts)", r->attempts);
    }
    return false;
}

/* Fills res from the classified answer resp: ok with the model's text, or its error (a
 * refusal with the model's words); the usage and cost of a billed answer either way. */
static void result_of(vb_result_t *res, const answer_t *resp, long status, double latency_ms,
                      double cost)
{
    memset(res, 0, sizeof *res);
    res->latency_ms = latency_ms;
    res->http_status = status;
    res->prompt_tokens = resp->prompt_tokens;
    res->completion_tokens = resp->completion_tokens;
    res->total_tokens = resp->total_tokens;
    res->cost_usd = cost;
    res->model = resp->model;
    if (resp->action == ANSWER_OK) {
        res->status = VB_STATUS_OK;
        res->response = resp->content;
    } else {
        res->status = VB_STATUS_ERROR;
        res->response = resp->content; /* a refusal's words; NULL otherwise */
        res->error_kind = resp->error_kind;
        res->error_message = resp->error_message;
    }
}

/* Finishes the batch request r, which is not retried: each member gets its own answer and
 * share of the usage, or the request's error; an answer that cannot be split for sure
 * sends every member again alone, carrying its share of what the answer cost. Frees r. */
static void finish_group(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    const answer_t *resp = &c->resp;
    const group_split_t *split = &c->split;
    vb_summary_t *sum = e->out.sum;
    /* a refusal of the request (a 400, a body over a cap) may be one image's doing: each
     * image then gets its own verdict alone */
    bool refused = resp->action == ANSWER_FAIL_ITEM;
    if (resp->action != ANSWER_OK) /* billed (a refusal) or not: nothing was split */
        carry_unused(e, c);
    if ((resp->action == ANSWER_OK && !split->ok) || refused) {
        for (size_t i = 0; split->cost_usd && i < r->n_members; i++)
            if (split->cost_usd[i] > 0)
                r->members[i]->carried_usd += split->cost_usd[i];
        if (!refused)
            sum->batch_unsplit++;
        if (!refused) /* billed: the summary's tokens are what was billed */
            count_billed(sum, 0, resp);
        sum->batch_resent += (long)r->n_members;
        for (size_t i = 0; i < r->n_members; i++)
            r->members[i]->resend = 1; /* not a retry: the request did not fail */
        group_dissolve(e->group, r);
        return;
    }
    for (size_t i = 0; i < r->n_members; i++) {
        vb_result_t res;
        result_of(&res, resp, c->status, c->latency_ms, 0);
        res.prompt_tokens = res.completion_tokens = res.total_tokens = -1; /* counted above */
        if (resp->action == ANSWER_OK) { /* its own entry and share */
            res.response = split->answers[i];
            res.prompt_tokens = split->prompt_tokens[i];
            res.completion_tokens = split->completion_tokens[i];
            res.total_tokens =
                res.prompt_tokens < 0 ? -1 : res.prompt_tokens + res.completion_tokens;
            res.cost_usd = split->cost_usd[i];
        }
        results_record(&e->out, r->members[i], &res);
    }
    job_cost_warn(&e->cost, sum->cost_usd);
    request_free(r);
}

/* With --json/--schema, checks the ok answer of an item whose body visionbatch built (a
 * batch line's body is the user's own): sets c->bad_json with the reason in c->why when
 * it is not the JSON asked for, else keeps the parsed answer in c->data (or NULL). */
static void check_json(const engine_t *e, completion_t *c)
{
    if (c->resp.action != ANSWER_OK || e->structured.mode == STRUCTURED_NONE ||
        c->r->item.batch_body)
        return;
    c->bad_json = structured_check(e->structured.schema, c->resp.content, &c->data, c->why,
                                   sizeof c->why) != 0;
}

/* An answer that is not the JSON asked for is asked again, at once, up to --json-retries
 * times; what it cost is carried to the item's final result. Returns true when r went
 * back to the retry queue. */
static bool reask_json(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    if (r->json_retries >= e->o->json_retries || e->stopping || retryq_push(e->retries, r, c->now))
        return false;
    r->json_retries++;
    r->retry_kind = "invalid_json";
    r->earlier_cost_usd += c->cost > 0 ? c->cost : 0;
    r->earlier_prompt_tokens += c->resp.prompt_tokens > 0 ? c->resp.prompt_tokens : 0;
    r->earlier_completion_tokens += c->resp.completion_tokens > 0 ? c->resp.completion_tokens : 0;
    return true;
}

/* v + earlier, where v may be -1 (unknown): then earlier when there is any. */
static long add_count(long v, long earlier)
{
    return v < 0 ? (earlier > 0 ? earlier : v) : v + earlier;
}

/* Records the single-image request r with its answer (or its error), the usage and cost
 * of answers re-asked for counted in. Frees r. */
static void record_item(engine_t *e, completion_t *c)
{
    request_t *r = c->r;
    answer_t *resp = &c->resp;
    vb_result_t res;
    result_of(&res, resp, c->status, c->latency_ms, c->cost);
    /* t->buf keeps the handle's previous answer when this one had no body */
    res.response_body = c->rc == CURLE_OK && c->t->buf && c->body_len ? c->t->buf : NULL;
    res.request_id = c->rc == CURLE_OK && e->provider->request_id_header
                         ? transfer_header(c->t, e->provider->request_id_header)
                         : NULL;
    char *data_text = c->data ? json_dumps(c->data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    res.data_json = data_text;
    /* earlier answers (not the JSON asked for, or not usable) were billed too;
     * results_record adds what they cost */
    res.prompt_tokens = add_count(resp->prompt_tokens, r->earlier_prompt_tokens);
    res.completion_tokens = add_count(resp->completion_tokens, r->earlier_completion_tokens);
    res.total_tokens =
        add_count(resp->total_tokens, r->earlier_prompt_tokens + r->earlier_completion_tokens);
    if (resp->action == ANSWER_OK) {
        if (c->bad_json) {
            res.status = VB_STATUS_ERROR;
            res.error_kind = "invalid_json";
            snprintf(resp->error_message, sizeof resp->error_message, "%s (%d answers)", c->why,
                     r->json_retries + 1);
            res.error_message = resp->error_message;
        }
    }
    results_record(&e->out, r, &res);
    job_cost_warn(&e->cost, e->out.sum->cost_usd);
    free(data_text);
    request_free(r);
}

/* The one decision about the request once its answer is in: it is left unfinished (the
 * run stops), retried, its group's answer split (a batch is never re-asked for JSON),
 * re-asked for JSON, or recorded. Whichever step takes the request owns it. */
static void decide(engine_t *e, completion_t *c)
{
    if (stop_unfinished(e, c) || retry_later(e, c))
        return;
    if (c->r->n_members) {
        finish_group(e, c);
        return;
    }
    check_json(e, c);
    if (c->bad_json && reask_json(e, c))
        return;
    record_item(e, c);
}

/* Frees what a completion holds besides its request. */
static void completion_clear(completion_t *c)
{
    json_decref(c->data);
    group_split_clear(&c->split);
    answer_clear(&c->resp);
}

void engine_complete(engine_t *e, transfer_t *t, CURLcode rc)
{
    completion_t c;
    classify(e, t, rc, &c);
    settle_cost(e, &c);
    transfer_release(&e->pool, t);
    note_attempt(e, &c);
    decide(e, &c);
    completion_clear(&c);
}
