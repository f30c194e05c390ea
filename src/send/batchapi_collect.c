/* batchapi_collect.c - taking in a final batch's results (see batchapi_internal.h).
 *
 * Each result line is matched to its journal line by custom_id and decided as the
 * online engine decides an answer: recorded (ok, an item error, JSON that stays wrong),
 * sent again in a later chunk (a retryable error, a line that did not run, JSON to
 * re-ask), or left unfinished when it says nothing more can succeed. Lines the provider
 * did not answer at all (an expired, cancelled or failed batch) go again too. A line is
 * marked done in the same journal transaction as its result or its new line, so a
 * crash part way through a collection loses nothing and repeats nothing: the next run
 * reads the results again and passes over the lines already done. */
#include "send/batchapi_internal.h"

#include "record/output.h"
#include "send/batchapi_chunk.h"
#include "util/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line to send again, and why. */
typedef struct again {
    char custom_id[BATCH_CUSTOM_ID_MAX + 1];
    const char *kind;    /* static: the error kind it failed with (for the final record) */
    char message[512];
    bool json_reask;     /* its answer was not the JSON asked for: ask again */
    double billed_usd;   /* what that answer cost */
    long billed_prompt, billed_completion;
} again_t;

typedef struct collect {
    batchapi_t *b;
    open_chunk_t *oc;
    again_t *again;
    size_t n_again, cap_again;
    long unmatched; /* result lines naming no open line of the chunk */
    long lines_in;  /* result lines read */
} collect_t;

/* A request_t over a journal line's item, its strings borrowed (never request_free'd). */
static void line_request(const journal_batch_line_t *l, request_t *r)
{
    memset(r, 0, sizeof *r);
    r->item.id = l->item_id;
    r->item.source = l->source;
    r->item.meta_json = l->meta_json;
    snprintf(r->content_hash, sizeof r->content_hash, "%s", l->hash ? l->hash : "");
    snprintf(r->cache_key, sizeof r->cache_key, "%s", l->cache_key ? l->cache_key : "");
    r->attempts = l->attempt;
    r->model = l->model;
    r->json_retries = l->json_retries;
}

/* A copy waiting for a line whose item is left unfinished is left unfinished too. */
static int release_copy_line(const journal_batch_line_t *l, void *arg)
{
    journal_t *j = arg;
    journal_item_sent(j, l->item_id, l->source, l->hash, 0);
    journal_batch_line_done(j, l->custom_id);
    return 0;
}

typedef struct copies_ctx {
    batchapi_t *b;
    const char *first_id;
    const char *line;
    vb_status_t status;
} copies_ctx_t;

static int record_copy(const journal_batch_line_t *l, void *arg)
{
    copies_ctx_t *c = arg;
    request_t r;
    line_request(l, &r);
    r.attempts = 0;
    results_record_duplicate(&c->b->e->out, &r, c->first_id, c->line, c->status);
    journal_batch_line_done(c->b->e->journal, l->custom_id);
    return 0;
}

/* Records the item of line l with res, then the copies that waited for it. */
static void record_line(batchapi_t *b, const journal_batch_line_t *l, vb_result_t *res)
{
    request_t r;
    line_request(l, &r);
    res->id = r.item.id;
    res->image = r.item.source;
    res->content_hash = r.content_hash[0] ? r.content_hash : NULL;
    res->meta_json = r.item.meta_json;
    res->attempts = r.attempts;
    if (l->earlier_cost_usd > 0) /* answers re-asked for not being the JSON asked for */
        res->cost_usd = (res->cost_usd > 0 ? res->cost_usd : 0) + l->earlier_cost_usd;
    char *line = output_format(res); /* the copies take the same line */
    res->line = line;
    results_record(&b->e->out, &r, res);
    copies_ctx_t cc = {.b = b, .first_id = l->item_id, .line = line, .status = res->status};
    if (line)
        journal_batch_copies(b->e->journal, l->custom_id, record_copy, &cc);
    journal_batch_line_done(b->e->journal, l->custom_id);
    job_cost_warn(&b->e->cost, b->e->out.sum->cost_usd);
    free(line);
}

/* Records line l as failed with kind and message (nothing billed). */
static void record_failure(batchapi_t *b, const journal_batch_line_t *l, long status,
                           const char *kind, const char *message)
{
    budget_settle(&b->e->cost.budget, l->reserved_usd, 0);
    vb_result_t res = {0};
    res.status = VB_STATUS_ERROR;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.http_status = status;
    res.error_kind = kind;
    res.error_message = message;
    record_line(b, l, &res);
}

/* Fills res (zeroed first) with what the billed answer of line bl says: its status, the
 * model's text, usage and cost; the caller sets the verdict. */
static void answer_result(vb_result_t *res, const batch_line_t *bl, double cost,
                          double latency_ms)
{
    const answer_t *a = &bl->answer;
    memset(res, 0, sizeof *res);
    res->latency_ms = latency_ms;
    res->http_status = bl->http_status;
    res->response = a->content;
    res->model = a->model;
    res->prompt_tokens = a->prompt_tokens;
    res->completion_tokens = a->completion_tokens;
    res->total_tokens = a->total_tokens;
    res->cost_usd = cost;
}

/* What a billed answer of line l cost: cost (its usage at the batch price) when known,
 * else the line's worst case (what --budget reserved; without a budget, its estimated
 * prompt tokens and the completion limit), counted in the summary's usage_missing; -1
 * when the model has no price. */
static double billed_usd(batchapi_t *b, const journal_batch_line_t *l, double cost)
{
    engine_t *e = b->e;
    if (cost >= 0)
        return cost;
    double worst = l->reserved_usd > 0
                       ? l->reserved_usd
                       : job_cost_worst(&e->cost, l->model, l->est_tokens, e->o->max_tokens);
    if (worst >= 0)
        e->out.sum->usage_missing++;
    return worst;
}

/* Records line l as failed by an answer that was billed (a refusal, a content filter,
 * usage no request can have): its usage and cost (the line's worst case when the usage
 * is unknown) count, and the model's words go with it. */
static void record_billed_failure(batchapi_t *b, const journal_batch_line_t *l,
                                  const batch_line_t *bl, double cost, double latency_ms)
{
    const answer_t *a = &bl->answer;
    cost = billed_usd(b, l, cost);
    budget_settle(&b->e->cost.budget, l->reserved_usd, cost > 0 ? cost : 0);
    vb_result_t res;
    answer_result(&res, bl, cost, latency_ms);
    res.status = VB_STATUS_ERROR;
    res.error_kind = a->error_kind ? a->error_kind : "invalid_response";
    res.error_message = a->error_message;
    record_line(b, l, &res);
}

static again_t *add_again(collect_t *c, const char *custom_id)
{
    if (c->n_again == c->cap_again) {
        size_t cap = c->cap_again ? c->cap_again * 2 : 64;
        again_t *grown = realloc(c->again, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->again = grown;
        c->cap_again = cap;
    }
    again_t *a = &c->again[c->n_again++];
    memset(a, 0, sizeof *a);
    snprintf(a->custom_id, sizeof a->custom_id, "%s", custom_id);
    return a;
}

/* Whether l may go in another batch (--retries counts batches, re-asks for JSON not). */
static bool attempts_left(const batchapi_t *b, const journal_batch_line_t *l)
{
    return l->attempt - l->json_retries <= b->e->o->retries;
}

/* An ok answer: checked against --json/--schema (and asked again when it fails, while
 * re-asks are left), then recorded with its cost at the batch price. */
static void take_ok(collect_t *c, const journal_batch_line_t *l, const batch_line_t *bl,
                    double cost, double latency_ms)
{
    batchapi_t *b = c->b;
    engine_t *e = b->e;
    const answer_t *a = &bl->answer;
    json_t *data = NULL;
    char why[300] = "";
    bool bad = e->structured.mode != STRUCTURED_NONE && !l->model &&
               structured_check(e->structured.schema, a->content, &data, why, sizeof why) != 0;
    if (bad && l->json_retries < e->o->json_retries && !e->stopping) {
        again_t *ag = add_again(c, l->custom_id);
        if (ag) {
            ag->json_reask = true;
            ag->kind = "invalid_json";
            snprintf(ag->message, sizeof ag->message, "%s", why);
            ag->billed_usd = cost > 0 ? cost : 0;
            /* billed: the budget keeps what it cost and holds the worst case again */
            budget_settle(&e->cost.budget, l->reserved_usd, ag->billed_usd);
            e->cost.budget.reserved += l->reserved_usd;
            json_decref(data);
            return;
        }
    }
    budget_settle(&e->cost.budget, l->reserved_usd, cost < 0 ? l->reserved_usd : cost);
    vb_result_t res;
    answer_result(&res, bl, cost, latency_ms);
    res.status = VB_STATUS_OK;
    char message[400];
    if (bad) {
        res.status = VB_STATUS_ERROR;
        res.error_kind = "invalid_json";
        snprintf(message, sizeof message, "%s (%d answers)", why, l->json_retries + 1);
        res.error_message = message;
    }
    char *data_text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    res.data_json = data_text;
    record_line(b, l, &res);
    free(data_text);
    json_decref(data);
}

/* Decides one result line of the chunk (its journal line l, open). */
static void take_line(collect_t *c, const journal_batch_line_t *l, const batch_line_t *bl)
{
    batchapi_t *b = c->b;
    engine_t *e = b->e;
    const answer_t *a = &bl->answer;
    double latency_ms = (batchapi_wall_now() - c->oc->c.submitted_at) * 1000.0;
    /* a 2xx line was billed, used or not (a refusal) */
    bool billed = bl->http_status >= 200 && bl->http_status < 300;
    double cost = a->action == ANSWER_OK || billed ? job_cost_usage(&e->cost, l->model,
                                                                    a->prompt_tokens,
                                                                    a->completion_tokens)
                                                   : 0;
    if (a->action == ANSWER_OK) {
        double online = job_cost_online(&e->cost, l->model, a->prompt_tokens, a->completion_tokens);
        if (online >= 0 && e->out.sum->online_cost_usd >= 0)
            e->out.sum->online_cost_usd += online;
        else
            e->out.sum->online_cost_usd = -1;
    }
    histogram_add(e->latency, latency_ms); /* from submission to the batch's end */
    journal_attempt(e->journal, l->item_id, l->attempt, latency_ms, bl->http_status,
                    a->prompt_tokens, a->completion_tokens, cost > 0 ? cost : 0, a->error_kind,
                    a->error_kind ? a->error_message : NULL);
    switch (a->action) {
    case ANSWER_OK:
        take_ok(c, l, bl, cost, latency_ms);
        return;
    case ANSWER_STOP_RUN: /* unfinished: a later run sends it */
        batchapi_release_line(b, l);
        engine_stop(e, a->error_message);
        return;
    case ANSWER_RETRY:
        if (attempts_left(b, l)) {
            again_t *ag = add_again(c, l->custom_id);
            if (ag) {
                ag->kind = a->error_kind ? a->error_kind : "server_error";
                snprintf(ag->message, sizeof ag->message, "%s", a->error_message);
                if (billed) { /* paid for though not used: it goes with the line */
                    double paid = billed_usd(b, l, cost);
                    ag->billed_usd = paid > 0 ? paid : 0;
                    budget_settle(&e->cost.budget, l->reserved_usd, ag->billed_usd);
                    e->cost.budget.reserved += l->reserved_usd; /* held again for the next */
                    if (a->prompt_tokens > 0)
                        e->out.sum->prompt_tokens += a->prompt_tokens;
                    if (a->completion_tokens > 0)
                        e->out.sum->completion_tokens += a->completion_tokens;
                }
                return;
            }
        }
        if (billed) {
            record_billed_failure(b, l, bl, cost, latency_ms);
            return;
        }
        {
            char message[700];
            snprintf(message, sizeof message, "%s (after %d batches)", a->error_message,
                     l->attempt);
            record_failure(b, l, bl->http_status, a->error_kind ? a->error_kind : "server_error",
                           message);
        }
        return;
    case ANSWER_FAIL_ITEM:
    default:
        if (billed) {
            record_billed_failure(b, l, bl, cost, latency_ms);
            return;
        }
        record_failure(b, l, bl->http_status, a->error_kind ? a->error_kind : "invalid_request",
                       a->error_message);
        return;
    }
}

/* codec->results' sink: one result line. */
static void on_result(const batch_line_t *bl, void *arg)
{
    collect_t *c = arg;
    c->lines_in++;
    journal_batch_line_t l;
    if (!bl->custom_id[0] || journal_batch_line_get(c->b->e->journal, bl->custom_id, &l) != 1) {
        c->unmatched++;
        return;
    }
    if (!l.done && !l.copy_of && strcmp(l.chunk, c->oc->c.key) == 0)
        take_line(c, &l, bl);
    else
        c->unmatched++;
    journal_batch_line_clear(&l);
}

static int again_cmp(const void *x, const void *y)
{
    return strcmp(((const again_t *)x)->custom_id, ((const again_t *)y)->custom_id);
}

/* How the lines the results left open go on. */
typedef struct rest {
    collect_t *c;
    bool count_attempt;    /* a line that did not run counts as an attempt */
    const char *kind;      /* ... failing with this once out of attempts */
    const char *message;
    bool online;           /* lines that did not run go online (--fallback-online) */
    const long *fail_lines; /* 1-based numbers among the chunk's lines that fail alone */
    size_t n_fail_lines;
    long line_no;
    bool cut;              /* the walk stopped before the end (the run stops) */
} rest_t;

/* Sends line l (whose body is body) again in the chunk being built, carrying what its
 * earlier answers cost and its copies. Marks l done. */
static void send_again(batchapi_t *b, const journal_batch_line_t *l, const again_t *ag,
                       bool count_attempt, const char *body, size_t len)
{
    journal_batch_line_t nl = *l;
    nl.done = 0;
    nl.copy_of = NULL;
    nl.attempt = l->attempt + (count_attempt ? 1 : 0);
    if (ag) /* a billed answer that was not used (not the JSON asked for, cut, empty) */
        nl.earlier_cost_usd = l->earlier_cost_usd + ag->billed_usd;
    if (ag && ag->json_reask) {
        nl.json_retries = l->json_retries + 1;
        nl.attempt = l->attempt + 1;
    }
    if (batchapi_add_line(b, &nl, body, len) != 0)
        return;
    journal_batch_copies_move(b->e->journal, l->custom_id, nl.custom_id);
    journal_batch_line_done(b->e->journal, l->custom_id);
    b->e->out.sum->batch_lines_resubmitted++;
    if (!ag || !ag->json_reask)
        b->e->out.sum->retries++;
}

/* chunk_foreach_line's callback over the collected chunk's lines file: each line still
 * open goes again or fails. */
static int rest_line(const char *custom_id, const char *body, size_t len, void *arg)
{
    rest_t *r = arg;
    collect_t *c = r->c;
    batchapi_t *b = c->b;
    journal_batch_line_t l;
    if (journal_batch_line_get(b->e->journal, custom_id, &l) != 1)
        return 0;
    if (l.done || l.copy_of || strcmp(l.chunk, c->oc->c.key) != 0) {
        journal_batch_line_clear(&l);
        return 0;
    }
    r->line_no++;
    again_t key = {0};
    snprintf(key.custom_id, sizeof key.custom_id, "%s", custom_id);
    again_t *ag = c->n_again ? bsearch(&key, c->again, c->n_again, sizeof *c->again, again_cmp)
                             : NULL;
    bool fail_alone = false;
    for (size_t i = 0; i < r->n_fail_lines; i++)
        fail_alone |= r->fail_lines[i] == r->line_no;
    if (fail_alone) {
        record_failure(b, &l, 400, "invalid_request", r->message);
    } else if (ag && ag->json_reask) {
        send_again(b, &l, ag, true, body, len);
    } else if (r->online && (!ag || strcmp(ag->kind, "batch_expired") == 0 ||
                             strcmp(ag->kind, "batch_cancelled") == 0)) { /* did not run */
        if (batchapi_fallback_add(b, &l, body, len) != 0)
            send_again(b, &l, NULL, true, body, len);
    } else if (ag || r->count_attempt) {
        if (attempts_left(b, &l)) {
            send_again(b, &l, ag, true, body, len);
        } else {
            char message[700];
            snprintf(message, sizeof message, "%s (after %d batches)",
                     ag ? ag->message : r->message, l.attempt);
            record_failure(b, &l, 0, ag ? ag->kind : r->kind, message);
        }
    } else {
        send_again(b, &l, NULL, false, body, len);
    }
    journal_batch_line_clear(&l);
    r->cut = b->e->stopping;
    return r->cut ? 1 : 0;
}

void batchapi_release_line(batchapi_t *b, const journal_batch_line_t *l)
{
    engine_t *e = b->e;
    budget_settle(&e->cost.budget, l->reserved_usd, 0);
    journal_item_sent(e->journal, l->item_id, l->source, l->hash, l->attempt);
    journal_batch_copies(e->journal, l->custom_id, release_copy_line, e->journal);
    journal_batch_line_done(e->journal, l->custom_id);
}

static int release_open(const journal_batch_line_t *l, void *arg)
{
    batchapi_release_line(arg, l);
    return 0;
}

/* Walks the chunk's lines file deciding each open line with r's rule. */
static void walk_rest(collect_t *c, rest_t *r)
{
    char lines[PATH_MAX];
    chunk_paths(c->b->dir, c->oc->c.key, lines, NULL, sizeof lines);
    r->c = c;
    if (chunk_foreach_line(lines, rest_line, r) < 0)
        log_message(VB_LOG_WARNING, "batch %s: its lines file is gone; its open items are sent "
                                    "again by the next run", c->oc->c.key);
    if (!r->cut) /* what the file did not hold (lost, cut by a power loss) goes to a later run */
        journal_batch_lines_open(c->b->e->journal, c->oc->c.key, release_open, c->b);
}

int batchapi_collect(batchapi_t *b, open_chunk_t *oc, char *err, size_t errlen)
{
    engine_t *e = b->e;
    const batch_status_t *st = &oc->st;
    collect_t c = {.b = b, .oc = oc};
    /* every line that goes again counts an attempt, so that nothing goes round forever
     * (a line alone over the provider's queue limit, a validation naming no line) */
    rest_t rest = {.count_attempt = true};
    if (st->state == BATCH_REMOTE_FAILED) {
        bool token_limit = strcmp(st->error_code, "token_limit_exceeded") == 0 ||
                           strcmp(st->error_code, "RESOURCE_EXHAUSTED") == 0;
        if (token_limit) { /* go again, smaller, once what is open has ended */
            b->hold_until_empty = true;
            double half = oc->c.est_tokens / 2;
            if (half > 0 && (!(b->token_cap > 0) || half < b->token_cap))
                b->token_cap = half;
        } else if (st->n_error_lines > 0) { /* the lines it names fail; the rest go again */
            rest.fail_lines = st->error_lines;
            rest.n_fail_lines = st->n_error_lines;
        }
        rest.kind = "batch_failed";
        rest.message = st->error_message[0] ? st->error_message : "the batch failed";
        log_message(VB_LOG_WARNING, "batch %s (%s) failed: %s %s", oc->c.key, oc->c.batch_id,
                    st->error_code, st->error_message);
    } else {
        if (b->codec->results(&b->ops, oc->c.base_url, st, e->o->api_key, on_result, &c, err,
                              errlen) != 0) {
            free(c.again);
            return -1;
        }
        rest.online = e->o->fallback_online &&
                      (st->state == BATCH_REMOTE_EXPIRED || (oc->fallback && st->state ==
                                                                 BATCH_REMOTE_CANCELLED));
        rest.kind = st->state == BATCH_REMOTE_EXPIRED     ? "batch_expired"
                    : st->state == BATCH_REMOTE_CANCELLED ? "batch_cancelled"
                                                          : "missing_result";
        rest.message = st->state == BATCH_REMOTE_EXPIRED ? "the batch expired before this request ran"
                       : st->state == BATCH_REMOTE_CANCELLED
                           ? "the batch was cancelled before this request ran"
                           : "the batch ended without a result for this request";
        if (c.unmatched > 0)
            log_message(VB_LOG_NOTICE, "batch %s: %ld result lines matched no open request",
                        oc->c.key, c.unmatched);
    }
    if (c.n_again > 1)
        qsort(c.again, c.n_again, sizeof *c.again, again_cmp);
    walk_rest(&c, &rest);
    free(c.again);
    if (rest.cut)
        return 0; /* the run stops: what is left open is collected by the next run */
    oc->c.state = CHUNK_COLLECTED;
    oc->c.updated_at = batchapi_wall_now();
    if (journal_chunk_update(e->journal, &oc->c) != 0 || journal_tick(e->journal, 1) != 0) {
        snprintf(err, errlen, "the journal cannot be written");
        return -1;
    }
    chunk_remove_files(b->dir, oc->c.key);
    e->out.sum->batch_jobs_collected++;
    log_message(VB_LOG_NOTICE, "batch %s (%s) %s: %ld result lines taken in", oc->c.key,
                oc->c.batch_id, oc->c.remote_state, c.lines_in);
    return 0;
}

typedef struct fail_ctx {
    batchapi_t *b;
    open_chunk_t *oc;
    const char *kind, *message;
    long only;   /* 0-based index of the one line named, or -1: all */
    long index;
} fail_ctx_t;

static int fail_line(const char *custom_id, const char *body, size_t len, void *arg)
{
    fail_ctx_t *f = arg;
    journal_batch_line_t l;
    if (journal_batch_line_get(f->b->e->journal, custom_id, &l) != 1)
        return 0;
    if (!l.done && !l.copy_of && strcmp(l.chunk, f->oc->c.key) == 0) {
        if (f->only < 0 || f->index == f->only)
            record_failure(f->b, &l, 400, f->kind, f->message);
        else
            send_again(f->b, &l, NULL, false, body, len);
        f->index++;
    }
    journal_batch_line_clear(&l);
    return 0;
}

void batchapi_fail_lines(batchapi_t *b, open_chunk_t *oc, const char *kind, const char *message)
{
    fail_ctx_t f = {.b = b, .oc = oc, .kind = kind, .message = message, .only = -1};
    const char *named = strstr(message, "requests.");
    if (named && named[9] >= '0' && named[9] <= '9')
        f.only = strtol(named + 9, NULL, 10);
    char lines[PATH_MAX];
    chunk_paths(b->dir, oc->c.key, lines, NULL, sizeof lines);
    chunk_foreach_line(lines, fail_line, &f);
}
