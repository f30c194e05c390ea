/* engine.c - the event loop.
 *
 * Only in-flight transfers are added to the multi handle (libcurl 7.88 walks every added
 * handle on each perform), from a pool of easy handles sized to the concurrency so
 * connections and TLS sessions are reused. The loop sleeps in curl_multi_poll; the
 * preparing threads wake it with curl_multi_wakeup when they queue a request.
 *
 * Before a request goes, admission (admit.c) checks the window, the rate limiters and
 * any run-wide pause. A request that must be retried goes to the retry queue, ordered
 * by due time, and holds no handle while it waits; retries due go before new work. */
#include "send/engine.h"

#include "admit/admit.h"
#include "admit/backoff.h"
#include "send/group.h"
#include "provider/openai_batch_lines.h"
#include "cost/budget.h"
#include "util/clock.h"
#include "admit/dedupe.h"
#include "record/histogram.h"
#include "input/input_count.h"
#include "record/journal.h"
#include "provider/provider.h"
#include "record/output.h"
#include "cost/pricing.h"
#include "prepare/prepare.h"
#include "prepare/prompt_fill.h"
#include "prepare/queue.h"
#include "util/redact.h"
#include "prepare/request.h"
#include "send/retryq.h"
#include "prepare/structured.h"
#include "record/stats.h"
#include "cost/tokens.h"
#include "util/log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A response larger than this is refused: nothing a server sends can grow memory
 * without bound. Chat completions are a few KiB. */
#define RESPONSE_MAX_BYTES (8 * 1024 * 1024)
#define CONNECT_TIMEOUT_MS 15000L

typedef struct transfer {
    CURL *easy;
    request_t *req;
    char *buf;
    size_t len;
    size_t cap;
    bool overflow;
    bool dripping;         /* aborted: the body took longer than body_timeout_s */
    uint64_t first_byte_ns; /* when the body's first byte came; 0 before */
    double body_timeout_s;
    uint64_t started_ns;
    struct transfer *next_free;
} transfer_t;

typedef struct engine {
    const vb_options_t *o;
    const provider_t *provider; /* the protocol: URL, headers, bodies, answers */
    CURLM *multi;
    struct curl_slist *headers;
    char *url;
    transfer_t *transfers;
    transfer_t *free_list;
    long in_flight;
    queue_t *ready;
    vb_result_fn fn;
    void *userdata;
    histogram_t *latency;
    vb_summary_t *sum;
    bool stopping;
    admit_t *admit;
    retryq_t *retries;
    request_t *next;  /* taken from a queue, waiting for admission */
    uint64_t wake_ns; /* when admission may say yes (UINT64_MAX: after a completion) */
    uint64_t rng;     /* jitter for backoff */
    journal_t *journal;
    volatile sig_atomic_t *cancel;
    uint64_t grace_deadline; /* after a cancel: in-flight requests are abandoned then */
    input_counter_t *counter; /* the job's total, counted in the background */
    bool total_saved;
    bool resuming;   /* the journal already held this job */
    bool use_cache;  /* the result cache has answers to look up */
    pricing_t *pricing;
    pricing_entry_t price; /* of the job's model, when price_known */
    bool price_known;
    budget_t budget;
    bool budget_out;     /* used up: what is left is skipped, not sent */
    atomic_int skip_all; /* tells the preparing threads to stop reading images */
    bool cost_warned;
    dedupe_t *dedupe; /* NULL with --no-dedupe */
    structured_t structured; /* --json / --schema: what answers must be */
    bool batch_output;       /* --output-format openai-batch */
    long waiting;     /* copies waiting for their first: they count against the gate */
    group_t *group; /* --batch-size above 1: groups images into one request; else NULL */
    uint64_t group_since_ns; /* when the group being formed took its first image */
    const shared_cache_t *cache; /* a shared result cache (Redis), or NULL */
    vb_stats_t live;  /* answers by status, durations: filled in at each publish */
    stats_limits_t limits; /* time charged to what held the run back */
    vb_limit_t held;       /* what held dispatch back at its last return */
    uint64_t started_ns, published_ns, sampled_ns;
} engine_t;

/* The journal gets one sample of the limits a second, for `visionbatch report`. */
#define SAMPLE_NS 1000000000ull

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    transfer_t *t = arg;
    size_t n = size * nmemb;
    if (!t->first_byte_ns)
        t->first_byte_ns = clock_monotonic_ns();
    if (t->len + n > RESPONSE_MAX_BYTES) {
        t->overflow = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 16384;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->buf, cap);
        if (!p) {
            t->overflow = true;
            return 0;
        }
        t->buf = p;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return n;
}

/* libcurl's progress callback: aborts a response whose body has started but not ended
 * within body_timeout_s (a server dripping bytes). CURLOPT_LOW_SPEED_* cannot do this:
 * it also counts the silence while the model thinks, which may be minutes. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    transfer_t *t = arg;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (t->first_byte_ns &&
        (double)(clock_monotonic_ns() - t->first_byte_ns) / 1e9 > t->body_timeout_s) {
        t->dripping = true;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

static void wake_loop(void *arg)
{
    curl_multi_wakeup(arg);
}

/* Sets the options every request of the job shares, once per pooled handle. */
static int transfer_init(engine_t *e, transfer_t *t)
{
    if (!(t->easy = curl_easy_init()))
        return -1;
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, e->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, e->headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(e->o->timeout_s * 1000.0));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    t->body_timeout_s = e->o->body_timeout_s;
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
    /* a declared Content-Length over the cap is refused before any byte is read */
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)RESPONSE_MAX_BYTES);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "visionbatch/" VB_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* Over TLS a request waits for a connection that may multiplex it (HTTP/2). Plain
     * http:// is HTTP/1.1 here (2TLS), where waiting only opens the connections one
     * after another: the first wave of -c 200 requests came back ~45 ms late. */
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, strncasecmp(e->url, "https:", 6) == 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects are never followed: a custom Authorization header would go along to
     * whatever host the Location names (libcurl 7.88 keeps custom headers across hosts
     * unless CURLOPT_UNRESTRICTED_AUTH logic applies). A 3xx stops the run (openai.c). */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, e->o->insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, e->o->insecure ? 0L : 2L);
    return 0;
}

/* Appends one header line to the curl_slist at *ctx (a header_add_fn). On failure the
 * list is left as it was. */
static int add_header(void *ctx, const char *line)
{
    struct curl_slist **h = ctx;
    struct curl_slist *with = curl_slist_append(*h, line);
    if (!with)
        return -1;
    *h = with;
    return 0;
}

/* Builds the URL, headers and the pool of handles. */
static int engine_init(engine_t *e, char *err, size_t errlen)
{
    const vb_options_t *o = e->o;
    if (!(e->url = e->provider->request_url(o->base_url, o->model)))
        goto oom;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *expect = h ? curl_slist_append(h, "Expect:") : NULL;
    if (!expect) /* no 100-continue round trip for big bodies */
        curl_slist_free_all(h);
    h = expect;
    if (h && e->provider->add_headers(o->api_key, add_header, &h) != 0) {
        curl_slist_free_all(h);
        goto oom;
    }
    if (!(e->headers = h))
        goto oom;

    if (!(e->multi = curl_multi_init()))
        goto oom;
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)o->concurrency + 4);
    curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->concurrency);
    curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);

    if (!(e->transfers = calloc((size_t)o->concurrency, sizeof *e->transfers)))
        goto oom;
    for (long i = 0; i < o->concurrency; i++) {
        if (transfer_init(e, &e->transfers[i]) != 0)
            goto oom;
        e->transfers[i].next_free = e->free_list;
        e->free_list = &e->transfers[i];
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory setting up %ld connections", o->concurrency);
    return -1;
}

static void engine_cleanup(engine_t *e)
{
    if (e->transfers) {
        for (long i = 0; i < e->o->concurrency; i++) {
            transfer_t *t = &e->transfers[i];
            if (t->easy) {
                if (t->req)
                    curl_multi_remove_handle(e->multi, t->easy);
                curl_easy_cleanup(t->easy);
            }
            request_free(t->req);
            free(t->buf);
        }
        free(e->transfers);
    }
    if (e->multi)
        curl_multi_cleanup(e->multi);
    curl_slist_free_all(e->headers);
    free(e->url);
}

static void record(engine_t *e, const request_t *r, vb_result_t *res);

/* Records a copy with the answer of the item first_id (its output line): the copy's own
 * id, image and meta, no attempts, no cost, "duplicate_of". */
static void record_duplicate(engine_t *e, const request_t *copy, const char *first_id,
                             const char *first_line, vb_status_t status)
{
    vb_result_t res = {0};
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.duplicate_of = first_id;
    char *text = output_line_for(first_line, copy->item.id, copy->item.source,
                                 copy->item.meta_json, 0, first_id, 0);
    res.status = status;
    res.line = text;
    if (!text) { /* out of memory or a broken line: report it as an error of the copy */
        res.status = VB_STATUS_ERROR;
        res.error_kind = "internal";
        res.error_message = "cannot copy the answer of the first item";
    }
    e->sum->duplicates++;
    record(e, copy, &res);
    free(text);
}

/* The first item of a key has its result: the copies that waited get it too. */
static void answer_copies(engine_t *e, const request_t *first, const vb_result_t *res)
{
    const char *first_id = NULL;
    request_t *copy = dedupe_finish(e->dedupe, first->cache_key, res->status == VB_STATUS_OK,
                                    &first_id);
    while (copy) {
        request_t *next = copy->next_copy;
        e->waiting--;
        record_duplicate(e, copy, first->item.id, res->line, res->status);
        request_free(copy);
        copy = next;
    }
}

/* Hands one finished item to the caller and counts it. */
static void record(engine_t *e, const request_t *r, vb_result_t *res)
{
    res->id = r->item.id;
    res->image = r->item.source;
    res->content_hash = r->content_hash[0] ? r->content_hash : NULL;
    res->meta_json = r->item.meta_json;
    res->attempts = r->attempts;
    if (r->carried_usd > 0) /* its share of batch answers that could not be split */
        res->cost_usd = (res->cost_usd > 0 ? res->cost_usd : 0) + r->carried_usd;
    if (r->earlier_cost_usd > 0) /* answers re-asked for not being the JSON asked for */
        res->cost_usd = (res->cost_usd > 0 ? res->cost_usd : 0) + r->earlier_cost_usd;
    if (res->cost_usd > 0 && e->sum->cost_usd >= 0)
        e->sum->cost_usd += res->cost_usd;
    if (res->status == VB_STATUS_SKIPPED) {
        e->sum->skipped++;
    } else if (res->status == VB_STATUS_OK) {
        e->sum->ok++;
    } else {
        e->sum->failed++;
        stats_count_kind(e->sum->failed_by_kind, &e->sum->failed_kinds, res->error_kind);
    }
    if (res->prompt_tokens > 0) /* billed: an answer that was not the JSON asked for too */
        e->sum->prompt_tokens += res->prompt_tokens;
    if (res->completion_tokens > 0)
        e->sum->completion_tokens += res->completion_tokens;
    e->sum->images++;
    char *line = res->line ? NULL : e->batch_output ? openai_batch_output_line(res) : output_format(res);
    if (!res->line)
        res->line = line ? line : "{}";
    if (e->journal) {
        const char *key = res->status == VB_STATUS_OK && !res->cached && !res->duplicate_of &&
                                  r->cache_key[0]
                              ? r->cache_key
                              : NULL;
        journal_state_t state = res->status == VB_STATUS_OK        ? JOURNAL_OK
                                : res->status == VB_STATUS_SKIPPED ? JOURNAL_SKIPPED
                                                                   : JOURNAL_FAILED;
        journal_item_done(e->journal, r->item.id, r->item.source,
                          r->content_hash[0] ? r->content_hash : NULL, state, r->attempts,
                          res->cost_usd, res->line, key);
    }
    if (e->cache && res->status == VB_STATUS_OK && !res->cached && !res->duplicate_of &&
        r->cache_key[0])
        e->cache->store(e->cache->ctx, r->cache_key, res->line);
    if (e->fn)
        e->fn(res, e->userdata);
    /* copies waiting for this item get its result, whatever it is */
    if (e->dedupe && r->dedupe_first)
        answer_copies(e, r, res);
    free(line);
}

/* Records an item that failed before anything was sent. */
static void record_unsent(engine_t *e, const request_t *r)
{
    vb_result_t res = {0};
    res.status = VB_STATUS_ERROR;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.error_kind = r->error_kind;
    res.error_message = r->error_message;
    record(e, r, &res);
}

/* Records an item left unsent because the budget is used up. */
static void record_skipped(engine_t *e, const request_t *r)
{
    vb_result_t res = {0};
    res.status = VB_STATUS_SKIPPED;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.error_kind = "budget";
    char msg[160];
    snprintf(msg, sizeof msg, "not sent: the budget of $%.4f is used up", e->budget.limit);
    res.error_message = msg;
    record(e, r, &res);
}

/* The price of r's model (a batch line names its own) into *p; false when unknown. */
static bool price_of(const engine_t *e, const request_t *r, pricing_entry_t *p)
{
    if (r->model && strcmp(r->model, e->o->model) != 0)
        return pricing_lookup(e->pricing, r->model, p) == 0;
    *p = e->price;
    return e->price_known;
}

/* The cost of r's usage in USD, or -1 when its model has no price. */
static double usage_cost(const engine_t *e, const request_t *r, long prompt_tokens,
                         long completion_tokens)
{
    pricing_entry_t p;
    if (!price_of(e, r, &p) || prompt_tokens < 0)
        return -1;
    return pricing_cost(&p, prompt_tokens, completion_tokens > 0 ? completion_tokens : 0, 0);
}

/* Says once, through the log handler, that the spend passed --cost-warn. */
static void warn_cost(engine_t *e)
{
    if (e->cost_warned || !(e->o->cost_warn_usd > 0) || e->sum->cost_usd < e->o->cost_warn_usd)
        return;
    e->cost_warned = true;
    log_message(VB_LOG_WARNING, "spent $%.4f so far, past the --cost-warn of $%.4f",
                e->sum->cost_usd, e->o->cost_warn_usd);
}

/* Records an item answered from the result cache. */
static void record_cached(engine_t *e, const request_t *r)
{
    vb_result_t res = {0};
    res.status = VB_STATUS_OK;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.cached = 1;
    res.line = r->cached_line;
    e->sum->cached++;
    record(e, r, &res);
}

/* Stops new dispatches: what is in flight finishes, nothing else is sent. */
static void engine_stop(engine_t *e, const char *reason)
{
    if (e->stopping)
        return;
    e->stopping = true;
    e->sum->stopped = 1;
    snprintf(e->sum->stop_reason, sizeof e->sum->stop_reason, "%s", reason);
    queue_cancel(e->ready);
}

/* curl_easy_header as a header_get_fn. */
static const char *get_header(void *ctx, const char *name)
{
    struct curl_header *h = NULL;
    return curl_easy_header(ctx, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK ? h->value : NULL;
}

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

/* Puts r in the retry queue for another attempt; returns false when it cannot be
 * retried (out of attempts, or the queue is full). */
static bool schedule_retry(engine_t *e, request_t *r, admit_signal_t signal, double retry_after,
                           uint64_t now)
{
    if (r->attempts - r->json_retries > e->o->retries) /* re-asks for JSON do not count */
        return false;
    uint64_t due;
    if (signal == ADMIT_SIGNAL_RATE_LIMITED) {
        /* after the run-wide pause, spread over a few ms so they do not land together */
        due = admit_paused_until(e->admit);
        due = (due > now ? due : now) + (uint64_t)(engine_random(e) * 20e6);
    } else {
        double d = backoff_delay(r->attempts, e->o->retry_base_s, e->o->retry_max_s,
                                 engine_random(e), retry_after, 120);
        due = now + (uint64_t)((d < 3600 ? d : 3600) * 1e9);
    }
    if (retryq_push(e->retries, r, due) != 0)
        return false;
    return true;
}

/* Fills res from the classified answer resp: ok with the model's text, usage and cost,
 * or its error. */
static void result_of(vb_result_t *res, const answer_t *resp, long status,
                      double latency_ms, double cost)
{
    memset(res, 0, sizeof *res);
    res->latency_ms = latency_ms;
    res->http_status = status;
    if (resp->action == ANSWER_OK) {
        res->status = VB_STATUS_OK;
        res->response = resp->content;
        res->model = resp->model;
        res->prompt_tokens = resp->prompt_tokens;
        res->completion_tokens = resp->completion_tokens;
        res->total_tokens = resp->total_tokens;
        res->cost_usd = cost;
    } else {
        res->status = VB_STATUS_ERROR;
        res->prompt_tokens = res->completion_tokens = res->total_tokens = -1;
        res->error_kind = resp->error_kind;
        res->error_message = resp->error_message;
    }
}

/* Journals the attempt for every image r carried: a batch's members each with their share
 * of its usage and cost, or with the request's error. */
static void journal_attempts(engine_t *e, const request_t *r, double latency_ms, long status,
                             const answer_t *resp, double cost,
                             const group_split_t *split)
{
    if (!r->n_members) {
        journal_attempt(e->journal, r->item.id, r->attempts, latency_ms, status,
                        resp->prompt_tokens, resp->completion_tokens, cost, resp->error_kind,
                        resp->error_kind ? resp->error_message : NULL);
        return;
    }
    bool shared = split->n == r->n_members;
    const char *kind = resp->error_kind ? resp->error_kind : split->ok ? NULL : "batch_unsplit";
    const char *msg = resp->error_kind ? resp->error_message : split->ok ? NULL : split->why;
    for (size_t i = 0; i < r->n_members; i++)
        journal_attempt(e->journal, r->members[i]->item.id, r->members[i]->attempts, latency_ms,
                        status, shared ? split->prompt_tokens[i] : -1,
                        shared ? split->completion_tokens[i] : -1,
                        shared ? split->cost_usd[i] : 0, kind, msg);
}

/* Finishes the batch request r, which is not retried: each member gets its own answer and
 * share of the usage, or the request's error; an answer that cannot be split for sure
 * sends every member again alone, carrying its share of what the answer cost. Frees r. */
static void complete_batch(engine_t *e, request_t *r, const answer_t *resp,
                           const group_split_t *split, long status, double latency_ms)
{
    /* a refusal of the request (a 400, a body over a cap) may be one image's doing: each
     * image then gets its own verdict alone */
    bool refused = resp->action == ANSWER_FAIL_ITEM;
    if ((resp->action == ANSWER_OK && !split->ok) || refused) {
        for (size_t i = 0; split->cost_usd && i < r->n_members; i++)
            if (split->cost_usd[i] > 0)
                r->members[i]->carried_usd += split->cost_usd[i];
        if (!refused)
            e->sum->batch_unsplit++;
        if (resp->prompt_tokens > 0) /* billed: the summary's tokens are what was billed */
            e->sum->prompt_tokens += resp->prompt_tokens;
        if (resp->completion_tokens > 0)
            e->sum->completion_tokens += resp->completion_tokens;
        e->sum->batch_resent += (long)r->n_members;
        for (size_t i = 0; i < r->n_members; i++)
            r->members[i]->resend = 1; /* not a retry: the request did not fail */
        group_dissolve(e->group, r);
        return;
    }
    for (size_t i = 0; i < r->n_members; i++) {
        vb_result_t res;
        result_of(&res, resp, status, latency_ms, 0);
        if (resp->action == ANSWER_OK) { /* its own entry and share */
            res.response = split->answers[i];
            res.prompt_tokens = split->prompt_tokens[i];
            res.completion_tokens = split->completion_tokens[i];
            res.total_tokens = res.prompt_tokens < 0 ? -1
                                                     : res.prompt_tokens + res.completion_tokens;
            res.cost_usd = split->cost_usd[i];
        }
        record(e, r->members[i], &res);
    }
    warn_cost(e);
    request_free(r);
}

/* v + earlier, where v may be -1 (unknown) and stays so. */
static long add_count(long v, long earlier)
{
    return v < 0 ? v : v + earlier;
}

/* With --json/--schema, checks the answer of an item whose body visionbatch built (a
 * batch line's body is the user's own). Returns true when it is not the JSON asked
 * for, with the reason in why; else false, with the parsed answer in *data (or NULL). */
static bool check_json(const engine_t *e, const request_t *r, const answer_t *resp,
                       json_t **data, char *why, size_t whylen)
{
    *data = NULL;
    if (e->structured.mode == STRUCTURED_NONE || r->item.batch_body)
        return false;
    return structured_check(e->structured.schema, resp->content, data, why, whylen) != 0;
}

/* An answer that is not the JSON asked for is asked again, at once, up to --json-retries
 * times; what it cost is carried to the item's final result. Returns true when r went
 * back to the retry queue. */
static bool reask_json(engine_t *e, request_t *r, const answer_t *resp, double cost,
                       uint64_t now)
{
    if (r->json_retries >= e->o->json_retries || e->stopping || retryq_push(e->retries, r, now))
        return false;
    r->json_retries++;
    r->retry_kind = "invalid_json";
    r->earlier_cost_usd += cost > 0 ? cost : 0;
    r->earlier_prompt_tokens += resp->prompt_tokens > 0 ? resp->prompt_tokens : 0;
    r->earlier_completion_tokens += resp->completion_tokens > 0 ? resp->completion_tokens : 0;
    return true;
}

/* Classifies a finished transfer: records its item, or schedules a retry. */
static void complete(engine_t *e, transfer_t *t, CURLcode rc)
{
    request_t *r = t->req;
    size_t body_len = t->len; /* t goes back to the free list below; its buffer stays */
    uint64_t now = clock_monotonic_ns();
    double latency_ms = (double)(now - t->started_ns) / 1e6;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    histogram_add(e->latency, latency_ms);
    stats_count_answer(&e->live, rc == CURLE_OK ? status : 0, latency_ms / 1000.0);

    answer_t resp;
    ratelimit_info_t info, *have_info = NULL;
    if (rc != CURLE_OK) {
        memset(&resp, 0, sizeof resp);
        resp.action = ANSWER_RETRY;
        if (t->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
            resp.action = ANSWER_FAIL_ITEM;
            resp.error_kind = "too_large";
            snprintf(resp.error_message, sizeof resp.error_message,
                     "response larger than %d bytes", RESPONSE_MAX_BYTES);
        } else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
            /* the server is not who the URL says: no later request can go either */
            resp.action = ANSWER_STOP_RUN;
            resp.error_kind = "tls";
            snprintf(resp.error_message, sizeof resp.error_message,
                     "TLS certificate verification failed (%s); fix the server's certificate "
                     "or its CA, or (for a test server only) use --insecure",
                     curl_easy_strerror(rc));
        } else {
            resp.error_kind =
                rc == CURLE_OPERATION_TIMEDOUT || t->dripping ? "timeout" : "network";
            if (t->dripping)
                snprintf(resp.error_message, sizeof resp.error_message,
                         "the response body did not end within %g s of its first byte",
                         t->body_timeout_s);
            else
                snprintf(resp.error_message, sizeof resp.error_message, "%s",
                         curl_easy_strerror(rc));
        }
    } else {
        e->provider->answer_parse(status, t->buf ? t->buf : "", t->len, get_header, t->easy,
                                  e->o->api_key, &resp);
        e->provider->limits_parse(get_header, t->easy, time(NULL), &info);
        have_info = &info;
    }
    if (status == 429 && resp.error_kind && strcmp(resp.error_kind, "rate_limited") == 0)
        e->sum->rate_limited++;
    /* A success costs its real usage. A refused request is not billed. When the cost is
     * not known for sure (a 200 without usage; a timeout or a break after the upload,
     * which the provider may still bill), the budget keeps the worst case. */
    double cost = resp.action == ANSWER_OK
                      ? usage_cost(e, r, resp.prompt_tokens, resp.completion_tokens)
                      : 0;
    curl_off_t uploaded = 0;
    curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    bool maybe_billed = (resp.action == ANSWER_OK && cost < 0) ||
                        (rc != CURLE_OK && uploaded > 0 && !t->overflow);
    budget_settle(&e->budget, r->reserved_usd, maybe_billed ? r->reserved_usd : cost > 0 ? cost : 0);
    r->reserved_usd = 0;

    curl_multi_remove_handle(e->multi, t->easy);
    e->in_flight--;
    t->req = NULL;
    t->len = 0;
    t->overflow = false;
    t->dripping = false;
    t->first_byte_ns = 0;
    t->next_free = e->free_list;
    e->free_list = t;

    group_split_t split = {0};
    if (r->n_members && resp.action == ANSWER_OK) /* out of memory: as if unsplit */
        group_split_answer(r, resp.content, resp.prompt_tokens, resp.completion_tokens,
                           e->price_known ? &e->price : NULL, cost, &split);
    if (e->journal)
        journal_attempts(e, r, latency_ms, status, &resp, cost, &split);
    admit_signal_t signal = signal_of(&resp, status);
    admit_on_response(e->admit, signal, have_info, r->sent_ns, e->in_flight + 1, now);

    /* An answer that stops the run, or a retryable one once the run is stopping, leaves
     * the item unfinished: no result now, and a resume sends it again. */
    if (resp.action == ANSWER_STOP_RUN)
        engine_stop(e, resp.error_message);
    if (resp.action == ANSWER_STOP_RUN || (resp.action == ANSWER_RETRY && e->stopping)) {
        answer_clear(&resp);
        request_free(r);
        return;
    }
    r->retry_kind = resp.error_kind;
    if (resp.action == ANSWER_RETRY && /* a batch is retried whole */
        schedule_retry(e, r, signal, have_info ? have_info->retry_after_s : -1, now)) {
        answer_clear(&resp);
        return;
    }
    if (resp.action == ANSWER_RETRY && r->attempts > 1) {
        size_t n = strlen(resp.error_message);
        snprintf(resp.error_message + n, sizeof resp.error_message - n, " (after %d attempts)",
                 r->attempts);
    }
    if (r->n_members) {
        complete_batch(e, r, &resp, &split, status, latency_ms);
        group_split_clear(&split);
        answer_clear(&resp);
        return;
    }

    json_t *data = NULL;
    char why[300];
    bool bad_json = resp.action == ANSWER_OK && check_json(e, r, &resp, &data, why, sizeof why);
    if (bad_json && reask_json(e, r, &resp, cost, now)) {
        answer_clear(&resp);
        return;
    }
    vb_result_t res;
    result_of(&res, &resp, status, latency_ms, cost);
    /* t->buf keeps the handle's previous answer when this one had no body */
    res.response_body = rc == CURLE_OK && t->buf && body_len ? t->buf : NULL;
    res.request_id = rc == CURLE_OK && e->provider->request_id_header
                         ? get_header(t->easy, e->provider->request_id_header)
                         : NULL;
    char *data_text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    res.data_json = data_text;
    json_decref(data);
    if (resp.action == ANSWER_OK) { /* answers re-asked for not being JSON were billed too */
        res.prompt_tokens = add_count(resp.prompt_tokens, r->earlier_prompt_tokens);
        res.completion_tokens = add_count(resp.completion_tokens, r->earlier_completion_tokens);
        res.total_tokens = add_count(resp.total_tokens, r->earlier_prompt_tokens +
                                                            r->earlier_completion_tokens);
        res.cost_usd = cost; /* record() adds what the re-asked answers cost */
        if (bad_json) {
            res.status = VB_STATUS_ERROR;
            res.error_kind = "invalid_json";
            snprintf(resp.error_message, sizeof resp.error_message, "%s (%d answers)", why,
                     r->json_retries + 1);
            res.error_message = resp.error_message;
        }
    }
    record(e, r, &res);
    warn_cost(e);
    free(data_text);
    answer_clear(&resp);
    request_free(r);
}

/* Whether new work must wait: the retry queue must have room to take the failures of
 * everything in flight or waiting (which is what keeps memory bounded). */
static bool gate_closed(const engine_t *e)
{
    return retryq_count(e->retries) + (size_t)e->in_flight + (size_t)e->waiting >=
           retryq_capacity(e->retries);
}

/* The next request to consider: an image going alone after its batch answer could not be
 * split, a retry that is due, else new work while the gate is open. */
static request_t *next_request(engine_t *e, uint64_t now)
{
    /* images of a batch answer that could not be split go first: already paid for once */
    request_t *r = e->group ? group_pop_solo(e->group) : NULL;
    if (r)
        return r;
    /* with the budget used up, retries are only reported: none need wait */
    r = retryq_pop_due(e->retries, e->budget_out ? UINT64_MAX : now);
    if (r)
        return r;
    if (gate_closed(e)) {
        e->held = VB_LIMIT_CONCURRENCY;
        return NULL;
    }
    e->held = retryq_count(e->retries) || queue_drained(e->ready) ? VB_LIMIT_LATENCY
                                                                  : VB_LIMIT_PREPARE;
    return queue_try_pop(e->ready);
}

/* The longest a group waits for more images once it has one: a source that trickles
 * (a Redis queue shared with other workers, a slow disk) never holds images back long. */
#define GROUP_MAX_WAIT_NS (250 * 1000000ULL)

/* With nothing more to take now, whether the group being formed goes short of
 * --batch-size: the input is used up, the gate is closed (what closes it may wait for an
 * image in the group), nothing is being sent anyway, or it has waited long enough. */
static bool group_goes_short(const engine_t *e, uint64_t now)
{
    return group_pending(e->group) > 0 &&
           (queue_drained(e->ready) || gate_closed(e) || e->budget_out || e->stopping ||
            now - e->group_since_ns >= GROUP_MAX_WAIT_NS);
}

/* Offers r to the group being formed. Returns what dispatch sends next: a full (or
 * closed) group as one request, or NULL when r joined a group that waits for more. */
static request_t *join_group(engine_t *e, request_t *r)
{
    group_add_t a = group_add(e->group, r);
    if (a == GROUP_ADDED) {
        if (group_pending(e->group) == 1)
            e->group_since_ns = clock_monotonic_ns();
        return NULL;
    }
    if (a == GROUP_FULL)
        return group_take(e->group);
    request_t *group = group_take(e->group); /* no room for r: r starts the next one */
    group_add(e->group, r); /* an empty group takes any image that can join */
    e->group_since_ns = clock_monotonic_ns();
    return group;
}

/* Records an item whose request can never fit the token limit. */
static void record_too_large(engine_t *e, request_t *r)
{
    r->error_kind = "too_large";
    snprintf(r->error_message, sizeof r->error_message,
             "the request needs about %.0f tokens, more than the limit of %.0f tokens per "
             "minute: it can never be sent",
             r->token_estimate, admit_tpm_limit(e->admit));
    record_unsent(e, r);
}

/* Counts an attempt for every image r carries (a batch: each member) and journals it as
 * sent. */
static void mark_sent(engine_t *e, request_t *r)
{
    request_t **items = r->n_members ? r->members : &r;
    size_t n = r->n_members ? r->n_members : 1;
    for (size_t i = 0; i < n; i++) {
        if (r->n_members)
            items[i]->attempts++;
        if (e->journal)
            journal_item_sent(e->journal, items[i]->item.id, items[i]->item.source,
                              items[i]->content_hash[0] ? items[i]->content_hash : NULL,
                              items[i]->attempts);
    }
}

/* Starts every request admission allows now; records the items that failed in
 * preparation. Leaves in e->wake_ns when to try again. */
static void dispatch(engine_t *e)
{
    e->wake_ns = UINT64_MAX;
    while (!e->stopping) {
        uint64_t now = clock_monotonic_ns();
        if (!e->next && !(e->next = next_request(e, now))) {
            if (e->group && group_goes_short(e, now) && (e->next = group_take(e->group)))
                continue;
            if (e->group && !group_idle(e->group) && group_pending(e->group) == 0)
                continue; /* a group that could not be built went alone */
            /* nothing to send now: the next retry falling due is worth waking for, and
             * the moment a waiting group stops waiting */
            e->wake_ns = retryq_next_due(e->retries);
            if (e->group && group_pending(e->group) > 0 &&
                e->group_since_ns + GROUP_MAX_WAIT_NS < e->wake_ns)
                e->wake_ns = e->group_since_ns + GROUP_MAX_WAIT_NS;
            return;
        }
        request_t *r = e->next;
        if (r->n_members && e->budget_out) { /* its images are each skipped */
            e->next = NULL;
            group_dissolve(e->group, r);
            continue;
        }
        if (r->fatal) {
            e->next = NULL;
            engine_stop(e, r->error_message);
            request_free(r);
            return;
        }
        if (r->error_kind || r->cached_line || r->skipped || e->budget_out) {
            e->next = NULL;
            if (r->cached_line)
                record_cached(e, r);
            else if (r->error_kind)
                record_unsent(e, r);
            else
                record_skipped(e, r);
            request_free(r);
            continue;
        }
        if (e->dedupe && r->attempts == 0 && r->reserved_usd == 0 && !r->dedupe_checked) {
            const char *first = NULL;
            r->dedupe_checked = 1;
            dedupe_verdict_t v = dedupe_check(e->dedupe, r, &first);
            if (v == DEDUPE_WAITING) { /* taken: answered when the first finishes */
                e->next = NULL;
                e->waiting++;
                continue;
            }
            if (v == DEDUPE_NEW)
                r->dedupe_first = 1;
            char *line = v == DEDUPE_DONE && e->journal ? journal_cached(e->journal, r->cache_key)
                                                         : NULL;
            if (line) {
                e->next = NULL;
                record_duplicate(e, r, first, line, VB_STATUS_OK); /* the cache holds oks */
                free(line);
                request_free(r);
                continue;
            }
            /* without a journal a finished answer is not kept: the copy is sent */
        }
        if (e->group && group_can_join(e->group, r)) {
            e->next = NULL;
            if (!(r = e->next = join_group(e, r)))
                continue;
        }
        if (!e->free_list) {
            e->held = VB_LIMIT_CONCURRENCY;
            return;
        }
        if (e->budget.limit > 0 && r->reserved_usd == 0) {
            pricing_entry_t price;
            if (!price_of(e, r, &price)) { /* a batch line of a model without a price */
                e->next = NULL;
                request_fail(r, "unknown_price",
                             "no price is known for model %.100s, so --budget cannot be kept: "
                             "add it with --pricing FILE", r->model);
                record_unsent(e, r);
                request_free(r);
                continue;
            }
            double worst = pricing_cost(&price, (long)r->input_tokens_worst,
                                        r->n_members        ? r->batch_max_tokens
                                        : r->max_tokens > 0 ? r->max_tokens
                                                            : e->o->max_tokens,
                                        0);
            if (budget_reserve(&e->budget, worst) != 0) {
                if (e->in_flight > 0) { /* what is in flight may cost less than held */
                    e->wake_ns = UINT64_MAX;
                    e->held = VB_LIMIT_LATENCY;
                    return;
                }
                if (r->n_members) { /* the whole batch does not fit: maybe one image does */
                    e->next = NULL;
                    group_dissolve(e->group, r);
                    continue;
                }
                e->budget_out = true; /* not even this one fits: stop sending */
                atomic_store(&e->skip_all, 1);
                continue;
            }
            r->reserved_usd = worst;
        }
        uint64_t wake = UINT64_MAX;
        admit_verdict_t v = admit_try(e->admit, r->token_estimate, e->in_flight, now, &wake);
        if (v == ADMIT_WAIT) {
            budget_settle(&e->budget, r->reserved_usd, 0); /* held again when it goes */
            r->reserved_usd = 0;
            e->wake_ns = wake;
            e->held = wake != UINT64_MAX                        ? VB_LIMIT_RATE
                      : admit_window(e->admit) < e->o->concurrency ? VB_LIMIT_WINDOW
                                                                   : VB_LIMIT_CONCURRENCY;
            return;
        }
        e->next = NULL;
        if (v == ADMIT_NEVER && r->n_members) { /* too heavy together: try one by one */
            budget_settle(&e->budget, r->reserved_usd, 0);
            group_dissolve(e->group, r);
            continue;
        }
        if (v == ADMIT_NEVER) {
            budget_settle(&e->budget, r->reserved_usd, 0);
            r->reserved_usd = 0;
            record_too_large(e, r);
            request_free(r);
            continue;
        }
        transfer_t *t = e->free_list;
        e->free_list = t->next_free;
        t->req = r;
        t->len = 0;
        t->overflow = false;
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, r->body);
        if (r->resend) {
            r->resend = 0;
        } else if (r->attempts > 0) {
            e->sum->retries++;
            stats_count_kind(e->sum->retries_by_cause, &e->sum->retry_kinds, r->retry_kind);
        } else if (r->image_tokens_saved > 0)
            e->sum->image_tokens_saved += (long)r->image_tokens_saved;
        e->sum->bytes_uploaded += (long long)r->body_len;
        r->attempts++;
        r->sent_ns = t->started_ns = now;
        mark_sent(e, r);
        if (curl_multi_add_handle(e->multi, t->easy) != CURLM_OK) {
            t->req = NULL;
            t->next_free = e->free_list;
            e->free_list = t;
            budget_settle(&e->budget, r->reserved_usd, 0);
            if (r->n_members) { /* its images go alone, and fail alone if this persists */
                r->reserved_usd = 0;
                group_dissolve(e->group, r);
                continue;
            }
            r->error_kind = "internal";
            snprintf(r->error_message, sizeof r->error_message, "libcurl refused the transfer");
            record_unsent(e, r);
            request_free(r);
            continue;
        }
        e->in_flight++;
        e->sum->requests++;
        if (r->n_members && r->attempts == 1)
            e->sum->batches++;
    }
}

/* How long the loop may sleep: until dispatch can act again (admission may say yes, or
 * a retry falls due), at most a second; a completion or new work (curl_multi_wakeup)
 * wakes it sooner. A retry due while every slot is busy is no reason to wake. */
static int poll_timeout_ms(const engine_t *e)
{
    uint64_t now = clock_monotonic_ns();
    uint64_t until = e->stopping ? UINT64_MAX : e->wake_ns;
    int cap = e->journal ? JOURNAL_BATCH_MS : 1000; /* commit groups on time */
    if (e->cancel)
        cap = cap < 100 ? cap : 100; /* notice a cancel soon */
    if (e->o->on_stats) { /* the redraw timer: no other wake-up is added */
        int every = (int)(e->o->stats_interval_s * 1000.0);
        cap = cap < every ? cap : every > 10 ? every : 10;
    }
    if (until == UINT64_MAX)
        return cap;
    if (until <= now)
        return 0;
    uint64_t ms = (until - now + 999999) / 1000000;
    return ms > (uint64_t)cap ? cap : (int)ms;
}

/* The engine's one statistics hook: at most every stats_interval_s (and at the end,
 * final), fills the live snapshot from the counters and hands it to on_stats; once a
 * second, writes a sample of the limits to the journal for the report. */
static void engine_publish(engine_t *e, bool final)
{
    uint64_t now = clock_monotonic_ns();
    vb_stats_t *s = &e->live;
    bool sample = e->journal && (final || now - e->sampled_ns >= SAMPLE_NS);
    bool publish = e->o->on_stats &&
                   (final || now - e->published_ns >= (uint64_t)(e->o->stats_interval_s * 1e9));
    if (!sample && !publish)
        return;
    const vb_summary_t *sum = e->sum;
    s->elapsed_s = (double)(now - e->started_ns) / 1e9;
    s->total = e->counter ? input_counter_total(e->counter) : -1;
    s->done = sum->images;
    s->ok = sum->ok;
    s->failed = sum->failed;
    s->skipped = sum->skipped;
    s->cached = sum->cached;
    s->duplicates = sum->duplicates;
    s->replayed = sum->replayed;
    s->in_flight = e->in_flight;
    s->retrying = (long)retryq_count(e->retries);
    s->requests = sum->requests;
    s->retries = sum->retries;
    s->rate_limited = sum->rate_limited;
    s->prompt_tokens = sum->prompt_tokens;
    s->completion_tokens = sum->completion_tokens;
    s->bytes_uploaded = sum->bytes_uploaded;
    s->cost_usd = sum->cost_usd;
    s->budget_usd = e->budget.limit;
    s->budget_left_usd = e->budget.limit > 0 ? e->budget.limit - e->budget.spent : 0;
    if (s->budget_left_usd < 0)
        s->budget_left_usd = 0;
    s->concurrency = e->o->concurrency;
    s->window = admit_window(e->admit);
    s->rpm_limit = admit_rpm(e->admit);
    s->tpm_limit = admit_tpm(e->admit);
    s->paused = admit_paused_until(e->admit) > now;
    s->final = final;
    if (sample) {
        e->sampled_ns = now;
        journal_sample(e->journal, s->in_flight, s->window, s->concurrency, s->rpm_limit,
                       s->tpm_limit, s->paused);
    }
    if (publish) {
        e->published_ns = now;
        e->o->on_stats(s, e->o->stats_userdata);
    }
}

/* Drives transfers until the input is exhausted (or the run is stopped) and nothing is
 * in flight. */
static void engine_loop(engine_t *e)
{
    for (;;) {
        if (e->cancel && *e->cancel && !e->grace_deadline) {
            e->grace_deadline = clock_monotonic_ns() + (uint64_t)(e->o->grace_s * 1e9) + 1;
            e->stopping = true; /* no new sends; not a fatal stop */
            queue_cancel(e->ready);
        }
        if (e->grace_deadline && clock_monotonic_ns() >= e->grace_deadline)
            return; /* what is still in flight stays "in flight" in the journal */
        dispatch(e);
        stats_limits_enter(&e->limits, e->sum->limited_s, e->held, clock_monotonic_ns());
        engine_publish(e, false);
        if (e->journal && !e->total_saved && input_counter_total(e->counter) >= 0) {
            char n[32];
            snprintf(n, sizeof n, "%ld", input_counter_total(e->counter));
            journal_meta_set(e->journal, "input_items", n);
            e->total_saved = true;
        }
        if (e->journal && journal_tick(e->journal, 0) != 0)
            engine_stop(e, "the journal cannot be written; stopping so nothing is paid for "
                           "twice (is the disk full?)");
        if (e->in_flight == 0 &&
            (e->stopping || (!e->next && retryq_count(e->retries) == 0 &&
                             queue_drained(e->ready) && (!e->group || group_idle(e->group)))))
            return;
        int running = 0;
        curl_multi_perform(e->multi, &running);
        CURLMsg *m;
        int left, done = 0;
        while ((m = curl_multi_info_read(e->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            transfer_t *t = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            complete(e, t, m->data.result);
            done++;
        }
        /* Results are committed as soon as they are in, one transaction per loop turn:
         * a kill -9 can then only cost what was still in flight. */
        if (done && e->journal && journal_tick(e->journal, 1) != 0)
            engine_stop(e, "the journal cannot be written; stopping so nothing is paid for "
                           "twice (is the disk full?)");
        if (done)
            continue; /* refill the window before sleeping */
        curl_multi_poll(e->multi, NULL, 0, poll_timeout_ms(e), NULL);
    }
}

static int prepare_thread_count(const vb_options_t *o)
{
    if (o->prepare_threads > 0)
        return (int)o->prepare_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

/* The request parameters that make a job's answers what they are: a resumed run must
 * have the same ones. Canonical JSON (sorted keys); never the key or the URL. */
static char *job_params(const vb_options_t *o, const char *response_format)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I}", "model", o->model, "prompt", o->prompt,
                          "detail", o->detail, "max_tokens", (json_int_t)o->max_tokens,
                          "max_side", (json_int_t)o->max_side);
    /* only when set, so journals of jobs from before these options still resume */
    if (p && response_format)
        json_object_set_new(p, "response_format", json_string(response_format));
    if (p && strcmp(o->output_format, "jsonl") != 0)
        json_object_set_new(p, "output_format", json_string(o->output_format));
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    return text;
}

static int replay_line(const char *line, journal_state_t state, void *arg)
{
    engine_t *e = arg;
    vb_result_t res = {0};
    res.replayed = 1;
    res.line = line;
    res.status = state == JOURNAL_OK ? VB_STATUS_OK : VB_STATUS_ERROR;
    e->sum->replayed++;
    e->sum->images++;
    if (state == JOURNAL_OK) {
        e->sum->ok++;
    } else { /* by the kind its line names */
        e->sum->failed++;
        char *kind, *message;
        output_line_error(line, &kind, &message);
        stats_count_kind(e->sum->failed_by_kind, &e->sum->failed_kinds, kind);
        free(kind);
        free(message);
    }
    if (e->fn)
        e->fn(&res, e->userdata);
    return 0;
}

/* Opens the journal, checks it holds this job, and replays the results of earlier runs
 * to the caller. Returns 0, or -1 with err set. */
static int engine_open_journal(engine_t *e, char *err, size_t errlen)
{
    if (!(e->journal = journal_open(e->o->journal, err, errlen)))
        return -1;
    char *params = job_params(e->o, e->structured.response_format);
    int bound = params ? journal_bind_job(e->journal, params, e->o->new_job, err, errlen) : -1;
    free(params);
    if (bound < 0)
        return -1;
    e->resuming = bound == 1;
    if (e->resuming) {
        /* the budget is the job's: what earlier runs of it spent counts */
        long counts[6];
        double spent = 0;
        if (journal_counts(e->journal, counts, &spent) == 0 && spent > 0)
            e->budget.spent = spent;
    }
    e->use_cache = !e->o->no_cache && journal_cache_size(e->journal) > 0;
    if (bound == 1 && journal_foreach_result(e->journal, e->o->retry_failed, replay_line, e) < 0) {
        snprintf(err, errlen, "journal: %s", journal_errmsg(e->journal));
        return -1;
    }
    return 0;
}

/* Loads the prices (built in, and the user's file over them) and finds the model's.
 * An unknown model's cost is reported as unknown, never guessed; a budget needs it. */
static int engine_open_pricing(engine_t *e, char *err, size_t errlen)
{
    const vb_options_t *o = e->o;
    e->pricing = o->pricing ? pricing_load_file(o->pricing, err, errlen)
                            : pricing_load(NULL, err, errlen);
    if (!e->pricing)
        return -1;
    e->price_known = pricing_lookup(e->pricing, o->model, &e->price) == 0;
    e->budget.limit = o->budget_usd;
    if (!e->price_known) {
        e->sum->cost_usd = -1;
        if (o->budget_usd > 0) {
            snprintf(err, errlen,
                     "no price is known for model %s, so --budget cannot be kept: add it "
                     "with --pricing FILE",
                     o->model);
            return -1;
        }
        log_message(VB_LOG_WARNING,
                    "no price is known for model %s: cost unknown (add it with --pricing FILE)",
                    o->model);
    }
    tokens_model_t rules;
    if (o->budget_usd > 0 && tokens_model_lookup(o->model, &rules) != 0) {
        snprintf(err, errlen,
                 "the image-token formula of model %s is unknown, so --budget cannot be kept",
                 o->model);
        return -1;
    }
    if (o->budget_usd > 0 && o->max_tokens <= 0) {
        snprintf(err, errlen, "--budget needs --max-tokens above 0: without it a request's "
                              "cost has no upper bound");
        return -1;
    }
    return 0;
}

vb_run_status_t engine_run(const vb_options_t *o, input_t *in, volatile sig_atomic_t *cancel,
                           vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err,
                           size_t errlen)
{
    return engine_run_shared(o, in, cancel, fn, userdata, summary, NULL, err, errlen);
}

vb_run_status_t engine_run_shared(const vb_options_t *o, input_t *in,
                                  volatile sig_atomic_t *cancel, vb_result_fn fn,
                                  void *userdata, vb_summary_t *summary,
                                  const engine_shared_t *shared, char *err, size_t errlen)
{
    vb_summary_t local;
    engine_t e = {.o = o,
                  .provider = &provider_openai,
                  .fn = fn,
                  .userdata = userdata,
                  .cancel = cancel,
                  .sum = summary ? summary : &local};
    memset(e.sum, 0, sizeof *e.sum);
    atomic_init(&e.skip_all, 0);
    histogram_t *latency = calloc(1, sizeof *latency);
    body_template_t tmpl = {0};
    char *hinted = NULL; /* the prompt with the --json hint */
    prepare_t *prep = NULL;
    vb_run_status_t status = VB_RUN_CONFIG;
    uint64_t t0 = clock_monotonic_ns();

    e.latency = latency;
    e.started_ns = t0;
    e.rng = clock_monotonic_ns() | 1;
    admit_settings_t as = {.rpm = o->rpm,
                           .tpm = o->tpm,
                           .burst = o->burst,
                           .kind = strcmp(o->limiter, "window") == 0 ? RATELIMIT_WINDOW
                                                                     : RATELIMIT_GCRA,
                           .concurrency = o->concurrency,
                           .pause_base_s = o->retry_base_s > 0 ? o->retry_base_s : 0.5,
                           .pause_max_s = o->retry_max_s > 0 ? o->retry_max_s : 30};
    if (!latency) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (engine_init(&e, err, errlen) != 0)
        goto out;
    if (structured_init(&e.structured, e.provider, o->json_object, o->schema, err, errlen) != 0)
        goto out;
    /* batch output lines are not the JSONL lines dedupe and the cache rewrite */
    e.batch_output = strcmp(o->output_format, "openai-batch") == 0;
    if (engine_open_pricing(&e, err, errlen) != 0)
        goto out;
    if (o->journal && engine_open_journal(&e, err, errlen) != 0)
        goto out;
    if (!o->no_dedupe && !e.batch_output && !(e.dedupe = dedupe_new())) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!(e.admit = admit_new(&as)) ||
        !(e.retries = retryq_new((size_t)o->concurrency * 2))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (shared && shared->limits)
        admit_set_shared(e.admit, shared->limits);
    if (shared) {
        e.budget.shared = shared->budget;
        e.cache = o->no_cache || e.batch_output ? NULL : shared->cache;
    }
    if (structured_prompt(&e.structured, o->prompt, &hinted) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    body_settings_t single = {.model = o->model,
                              .prompt = hinted ? hinted : o->prompt,
                              .detail = o->detail,
                              .max_tokens = o->max_tokens,
                              .response_format = e.structured.response_format};
    if (e.provider->template_build(&tmpl, &single, err, errlen))
        goto out;
    body_settings_t grouped = {
        .model = o->model, .prompt = o->prompt, .detail = o->detail, .max_tokens = o->max_tokens};
    group_settings_t bs = {.size = o->batch_size,
                           .max_body_bytes = o->batch_max_bytes,
                           .provider = e.provider,
                           .body = &grouped,
                           .template = &tmpl};
    if (o->batch_size > 1 && !(e.group = group_new(&bs))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* The queue holds as many prepared requests as can be in flight: enough to keep the
     * window full, and what bounds memory. */
    size_t capacity = (size_t)(o->concurrency < 8 ? 8 : o->concurrency);
    if (!(e.ready = queue_new(capacity, wake_loop, e.multi))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    prepare_settings_t ps = {.model = o->model,
                             .prompt = hinted ? hinted : o->prompt,
                             .prompt_template = prompt_is_template(o->prompt) ? o->prompt : NULL,
                             .structured = &e.structured,
                             .detail = o->detail,
                             .max_tokens = o->max_tokens,
                             .max_image_bytes = o->max_image_bytes,
                             .provider = e.provider,
                             .template = &tmpl,
                             .journal_path = o->journal,
                             .resuming = e.resuming,
                             .skip_all = &e.skip_all,
                             .resize_auto = strcmp(o->resize, "auto") == 0,
                             .max_side = o->max_side,
                             .convert = o->convert,
                             .decode_check = !o->no_decode_check,
                             .retry_failed = o->retry_failed,
                             .use_cache = e.use_cache && !e.batch_output,
                             .key_extra = e.batch_output ? o->output_format : NULL,
                             .shared_cache = e.cache};
    if (o->journal || o->on_stats) /* a total for the journal and for progress */
        e.counter = input_counter_start(in);
    if (!(prep = prepare_start(in, e.ready, &ps, prepare_thread_count(o), err, errlen)))
        goto out;

    engine_loop(&e);
    stats_limits_enter(&e.limits, e.sum->limited_s, e.held, clock_monotonic_ns());

    input_stop(in); /* a source waiting for shared work stops waiting */
    queue_cancel(e.ready); /* unblocks threads still waiting to push after a stop */
    prepare_join(prep);
    prep = NULL;
    request_t *left;
    while ((left = queue_try_pop(e.ready)))
        request_free(left);

    if (e.sum->stopped) {
        snprintf(err, errlen, "%s", e.sum->stop_reason);
        status = VB_RUN_STOPPED;
    } else if (e.grace_deadline) {
        snprintf(err, errlen, "cancelled; %ld requests were still in flight", e.in_flight);
        status = VB_RUN_CANCELLED;
    } else if (e.budget_out) {
        snprintf(err, errlen, "the budget of $%.4f is used up ($%.4f spent): %ld items skipped",
                 o->budget_usd, e.budget.spent, e.sum->skipped);
        status = VB_RUN_BUDGET;
    } else {
        status = e.sum->failed ? VB_RUN_SOME_FAILED : VB_RUN_ALL_OK;
    }
out:
    if (prep) {
        input_stop(in);
        queue_cancel(e.ready);
        prepare_join(prep);
        request_t *r;
        while ((r = queue_try_pop(e.ready)))
            request_free(r);
    }
    e.sum->wall_s = (double)(clock_monotonic_ns() - t0) / 1e9;
    e.sum->images_per_s = e.sum->wall_s > 0 ? (double)e.sum->images / e.sum->wall_s : 0;
    if (latency) {
        e.sum->latency_avg_ms = histogram_mean(latency);
        e.sum->latency_p50_ms = histogram_quantile(latency, 0.50);
        e.sum->latency_p95_ms = histogram_quantile(latency, 0.95);
        e.sum->latency_p99_ms = histogram_quantile(latency, 0.99);
        e.sum->latency_p90_ms = histogram_quantile(latency, 0.90);
        e.sum->latency_max_ms = latency->max_ms;
    }
    if (e.admit && e.retries) { /* the last snapshot: the summary's, and the hook's final call */
        engine_publish(&e, true);
        e.sum->stats = e.live;
    }
    request_free(e.next);
    group_free(e.group);
    retryq_free(e.retries);
    input_counter_free(e.counter);
    journal_close(e.journal);
    pricing_free(e.pricing);
    dedupe_free(e.dedupe);
    admit_free(e.admit);
    queue_free(e.ready);
    body_template_clear(&tmpl);
    structured_clear(&e.structured);
    free(hinted);
    engine_cleanup(&e);
    free(latency);
    return status;
}
