/* metrics.c - Prometheus text exposition of vb_stats_t, over libmicrohttpd. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_BODY_MAX 16384 /* the rendering is bounded: fixed-size tables */

struct metrics {
    struct MHD_Daemon *daemon;
    unsigned port;
    pthread_mutex_t lock;
    vb_stats_t snap; /* the latest published snapshot, under lock */
};

typedef struct out {
    char *buf;
    size_t len, at;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->at < o->len ? o->buf + o->at : NULL, o->at < o->len ? o->len - o->at : 0,
                      fmt, ap);
    va_end(ap);
    if (n > 0)
        o->at += (size_t)n;
}

/* The # HELP and # TYPE lines of a metric family. */
static void family(out_t *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(out_t *o, const char *name, const char *type, const char *help, double v)
{
    family(o, name, type, help);
    put(o, "%s %.12g\n", name, v);
}

size_t metrics_render(char *buf, size_t len, const vb_stats_t *s)
{
    static const double bounds[VB_LATENCY_BUCKETS] = VB_LATENCY_BOUNDS;
    out_t o = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    family(&o, "visionbatch_requests_total", "counter",
           "Answers to requests, by HTTP status (none: no answer, a timeout or network error).");
    for (size_t i = 0; i < s->status_slots; i++) {
        if (s->by_status[i].status)
            put(&o, "visionbatch_requests_total{status=\"%ld\"} %ld\n", s->by_status[i].status,
                s->by_status[i].n);
        else
            put(&o, "visionbatch_requests_total{status=\"none\"} %ld\n", s->by_status[i].n);
    }
    family(&o, "visionbatch_images_total", "counter",
           "Images with a result, by state (ok, failed, skipped: they add up to the images "
           "done).");
    put(&o, "visionbatch_images_total{state=\"ok\"} %ld\n", s->ok);
    put(&o, "visionbatch_images_total{state=\"failed\"} %ld\n", s->failed);
    put(&o, "visionbatch_images_total{state=\"skipped\"} %ld\n", s->skipped);
    family(&o, "visionbatch_images_reused_total", "counter",
           "Images answered without a request of their own, by where the answer came from.");
    put(&o, "visionbatch_images_reused_total{source=\"cache\"} %ld\n", s->cached);
    put(&o, "visionbatch_images_reused_total{source=\"duplicate\"} %ld\n", s->duplicates);
    put(&o, "visionbatch_images_reused_total{source=\"earlier_run\"} %ld\n", s->replayed);
    if (s->total >= 0)
        one(&o, "visionbatch_images_expected", "gauge", "Images in the job.", (double)s->total);
    one(&o, "visionbatch_in_flight", "gauge", "Requests on the wire.", (double)s->in_flight);
    one(&o, "visionbatch_retrying", "gauge", "Images waiting for a retry.", (double)s->retrying);
    one(&o, "visionbatch_retries_total", "counter", "Requests that were retries.",
        (double)s->retries);
    one(&o, "visionbatch_rate_limited_total", "counter", "429 rate-limit answers.",
        (double)s->rate_limited);
    family(&o, "visionbatch_request_duration_seconds", "histogram",
           "Time from sending a request to its answer.");
    for (size_t b = 0; b < VB_LATENCY_BUCKETS; b++)
        put(&o, "visionbatch_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[b],
            s->latency_buckets[b]);
    put(&o, "visionbatch_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", s->latency_count);
    put(&o, "visionbatch_request_duration_seconds_sum %.12g\n", s->latency_sum_s);
    put(&o, "visionbatch_request_duration_seconds_count %llu\n", s->latency_count);
    family(&o, "visionbatch_tokens_total", "counter", "Tokens billed, by kind.");
    put(&o, "visionbatch_tokens_total{kind=\"prompt\"} %ld\n", s->prompt_tokens);
    put(&o, "visionbatch_tokens_total{kind=\"completion\"} %ld\n", s->completion_tokens);
    if (s->cost_usd >= 0)
        one(&o, "visionbatch_cost_usd_total", "counter", "Spent by this run, in US dollars.",
            s->cost_usd);
    if (s->budget_usd > 0)
        one(&o, "visionbatch_budget_left_usd", "gauge", "What the budget still allows.",
            s->budget_left_usd);
    one(&o, "visionbatch_uploaded_bytes_total", "counter", "Request bodies sent.",
        (double)s->bytes_uploaded);
    one(&o, "visionbatch_rate_limit_requests_per_minute", "gauge",
        "Request rate paced to (0: none known).", s->rpm_limit);
    one(&o, "visionbatch_rate_limit_tokens_per_minute", "gauge",
        "Token rate paced to (0: none known).", s->tpm_limit);
    one(&o, "visionbatch_concurrency_limit", "gauge", "Requests in flight allowed at most.",
        (double)s->concurrency);
    one(&o, "visionbatch_concurrency_window", "gauge",
        "The adaptive concurrency window now (cut on overload, at most the limit).",
        (double)s->window);
    one(&o, "visionbatch_paused", "gauge", "1 while a run-wide pause is on (after a 429, or the endpoint unreachable).",
        (double)s->paused);
    one(&o, "visionbatch_elapsed_seconds", "gauge", "Time since the run started.", s->elapsed_s);
    if (s->batch_open || s->batch_collected || s->batch_lines_open) { /* a --batch-api run */
        family(&o, "visionbatch_batches", "gauge",
               "The job's provider batches: open (submitted, not yet collected), collected.");
        put(&o, "visionbatch_batches{state=\"open\"} %ld\n", s->batch_open);
        put(&o, "visionbatch_batches{state=\"collected\"} %ld\n", s->batch_collected);
        one(&o, "visionbatch_batch_lines_open", "gauge", "Requests in open provider batches.",
            (double)s->batch_lines_open);
        one(&o, "visionbatch_batch_lines_done", "gauge",
            "Requests of open batches the provider reports finished.",
            (double)s->batch_provider_done);
    }
    return o.at;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    metrics_t *m = cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    if (*upload_size) /* no request here has a body */
        return MHD_NO;
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; version=0.0.4; charset=utf-8";
    char *body = malloc(METRICS_BODY_MAX);
    size_t n = 0;
    if (!body)
        return MHD_NO;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        n = (size_t)snprintf(body, METRICS_BODY_MAX, "only GET\n");
    } else if (strcmp(url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
        n = (size_t)snprintf(body, METRICS_BODY_MAX, "not found: the metrics are at /metrics\n");
    } else {
        vb_stats_t snap;
        pthread_mutex_lock(&m->lock);
        snap = m->snap;
        pthread_mutex_unlock(&m->lock);
        n = metrics_render(body, METRICS_BODY_MAX, &snap);
        if (n >= METRICS_BODY_MAX)
            n = METRICS_BODY_MAX - 1; /* cannot happen with the fixed tables */
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

metrics_t *metrics_start(unsigned port, char *err, size_t errlen)
{
    metrics_t *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->snap.total = -1;
    m->snap.cost_usd = -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    errno = 0;
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                 (uint16_t)port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, 16u,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(err, errlen, "metrics: cannot listen on 127.0.0.1 port %u%s%s", port,
                 errno ? ": " : "", errno ? strerror(errno) : "");
        metrics_stop(m);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : port;
    return m;
}

unsigned metrics_port(const metrics_t *m)
{
    return m->port;
}

void metrics_publish(metrics_t *m, const vb_stats_t *s)
{
    pthread_mutex_lock(&m->lock);
    m->snap = *s;
    pthread_mutex_unlock(&m->lock);
}

void metrics_stop(metrics_t *m)
{
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
