/* engine.c - the event loop.
 *
 * Only in-flight transfers are added to the multi handle (libcurl 7.88 walks every added
 * handle on each perform), from a pool of easy handles sized to the concurrency so
 * connections and TLS sessions are reused. The loop sleeps in curl_multi_poll; the
 * preparing threads wake it with curl_multi_wakeup when they queue a request. */
#include "engine.h"

#include "clock.h"
#include "histogram.h"
#include "openai.h"
#include "prepare.h"
#include "queue.h"
#include "redact.h"
#include "request.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    uint64_t started_ns;
    struct transfer *next_free;
} transfer_t;

typedef struct engine {
    const vb_options_t *o;
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
} engine_t;

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    transfer_t *t = arg;
    size_t n = size * nmemb;
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
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "visionbatch/" VB_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    return 0;
}

/* Builds the URL, headers and the pool of handles. */
static int engine_init(engine_t *e, char *err, size_t errlen)
{
    const vb_options_t *o = e->o;
    size_t n = strlen(o->base_url) + sizeof "/chat/completions";
    if (!(e->url = malloc(n)))
        goto oom;
    size_t blen = strlen(o->base_url);
    while (blen > 0 && o->base_url[blen - 1] == '/')
        blen--;
    snprintf(e->url, n, "%.*s/chat/completions", (int)blen, o->base_url);

    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h)
        h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip for big bodies */
    if (h && o->api_key && o->api_key[0]) {
        size_t klen = strlen(o->api_key) + sizeof "Authorization: Bearer ";
        char *auth = malloc(klen);
        if (!auth)
            goto oom;
        snprintf(auth, klen, "Authorization: Bearer %s", o->api_key);
        h = curl_slist_append(h, auth);
        explicit_bzero(auth, klen);
        free(auth);
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

/* Hands one finished item to the caller and counts it. */
static void record(engine_t *e, const request_t *r, vb_result_t *res)
{
    res->id = r->item.id;
    res->image = r->item.source;
    res->content_hash = r->content_hash[0] ? r->content_hash : NULL;
    res->meta_json = r->item.meta_json;
    res->attempts = r->attempts;
    if (res->status == VB_STATUS_OK) {
        e->sum->ok++;
        if (res->prompt_tokens > 0)
            e->sum->prompt_tokens += res->prompt_tokens;
        if (res->completion_tokens > 0)
            e->sum->completion_tokens += res->completion_tokens;
    } else {
        e->sum->failed++;
    }
    e->sum->images++;
    if (e->fn)
        e->fn(res, e->userdata);
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

/* Classifies a finished transfer and records its item. */
static void complete(engine_t *e, transfer_t *t, CURLcode rc)
{
    request_t *r = t->req;
    double latency_ms = (double)(clock_monotonic_ns() - t->started_ns) / 1e6;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    histogram_add(e->latency, latency_ms);

    openai_response_t resp;
    if (rc != CURLE_OK) {
        memset(&resp, 0, sizeof resp);
        resp.action = OPENAI_RETRY;
        if (t->overflow) {
            resp.action = OPENAI_FAIL_ITEM;
            resp.error_kind = "too_large";
            snprintf(resp.error_message, sizeof resp.error_message,
                     "response larger than %d bytes", RESPONSE_MAX_BYTES);
        } else {
            resp.error_kind = rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network";
            snprintf(resp.error_message, sizeof resp.error_message, "%s",
                     curl_easy_strerror(rc));
        }
    } else {
        struct curl_header *h = NULL;
        const char *should_retry = NULL;
        if (curl_easy_header(t->easy, "x-should-retry", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
            should_retry = h->value;
        openai_response_parse(status, t->buf ? t->buf : "", t->len, should_retry, &resp);
    }

    vb_result_t res = {0};
    res.latency_ms = latency_ms;
    res.http_status = status;
    if (resp.action == OPENAI_OK) {
        res.status = VB_STATUS_OK;
        res.response = resp.content;
        res.model = resp.model;
        res.prompt_tokens = resp.prompt_tokens;
        res.completion_tokens = resp.completion_tokens;
        res.total_tokens = resp.total_tokens;
    } else {
        redact_secret(resp.error_message, sizeof resp.error_message, e->o->api_key);
        res.status = VB_STATUS_ERROR;
        res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
        res.error_kind = resp.error_kind;
        res.error_message = resp.error_message;
        if (resp.action == OPENAI_STOP_RUN)
            engine_stop(e, resp.error_message);
    }
    record(e, r, &res);
    openai_response_clear(&resp);

    curl_multi_remove_handle(e->multi, t->easy);
    e->in_flight--;
    request_free(r);
    t->req = NULL;
    t->len = 0;
    t->overflow = false;
    t->next_free = e->free_list;
    e->free_list = t;
}

/* Starts as many ready requests as the concurrency allows; records the items that
 * failed in preparation. */
static void dispatch(engine_t *e)
{
    while (!e->stopping && e->free_list) {
        request_t *r = queue_try_pop(e->ready);
        if (!r)
            return;
        if (r->error_kind) {
            record_unsent(e, r);
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
        r->attempts++;
        t->started_ns = clock_monotonic_ns();
        curl_multi_add_handle(e->multi, t->easy);
        e->in_flight++;
        e->sum->requests++;
    }
}

/* Drives transfers until the input is exhausted (or the run is stopped) and nothing is
 * in flight. */
static void engine_loop(engine_t *e)
{
    for (;;) {
        dispatch(e);
        if (e->in_flight == 0 && (e->stopping || queue_drained(e->ready)))
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
        if (done)
            continue; /* refill the window before sleeping */
        curl_multi_poll(e->multi, NULL, 0, 1000, NULL);
    }
}

static int prepare_thread_count(const vb_options_t *o)
{
    if (o->prepare_threads > 0)
        return (int)o->prepare_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

vb_run_status_t engine_run(const vb_options_t *o, input_t *in, vb_result_fn fn, void *userdata,
                           vb_summary_t *summary, char *err, size_t errlen)
{
    vb_summary_t local;
    engine_t e = {.o = o, .fn = fn, .userdata = userdata, .sum = summary ? summary : &local};
    memset(e.sum, 0, sizeof *e.sum);
    histogram_t *latency = calloc(1, sizeof *latency);
    openai_template_t tmpl = {0};
    prepare_t *prep = NULL;
    vb_run_status_t status = VB_RUN_CONFIG;
    uint64_t t0 = clock_monotonic_ns();

    e.latency = latency;
    if (!latency || engine_init(&e, err, errlen) != 0)
        goto out;
    if (openai_template_build(&tmpl, o->model, o->prompt, o->detail, o->max_tokens, err, errlen))
        goto out;
    /* The queue holds as many prepared requests as can be in flight: enough to keep the
     * window full, and what bounds memory. */
    size_t capacity = (size_t)(o->concurrency < 8 ? 8 : o->concurrency);
    if (!(e.ready = queue_new(capacity, wake_loop, e.multi))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    prepare_settings_t ps = {.model = o->model,
                             .prompt = o->prompt,
                             .detail = o->detail,
                             .max_tokens = o->max_tokens,
                             .max_image_bytes = o->max_image_bytes,
                             .template = &tmpl};
    if (!(prep = prepare_start(in, e.ready, &ps, prepare_thread_count(o), err, errlen)))
        goto out;

    engine_loop(&e);

    queue_cancel(e.ready); /* unblocks threads still waiting to push after a stop */
    prepare_join(prep);
    prep = NULL;
    request_t *left;
    while ((left = queue_try_pop(e.ready)))
        request_free(left);

    if (e.sum->stopped) {
        snprintf(err, errlen, "%s", e.sum->stop_reason);
        status = VB_RUN_STOPPED;
    } else {
        status = e.sum->failed ? VB_RUN_SOME_FAILED : VB_RUN_ALL_OK;
    }
out:
    if (prep) {
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
    }
    queue_free(e.ready);
    openai_template_clear(&tmpl);
    engine_cleanup(&e);
    free(latency);
    return status;
}
