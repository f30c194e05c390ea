/* test_gemini_http.c - a whole job with provider "gemini" through the public API, over
 * real HTTP on a loopback port picked at run time: a small server thread here records
 * each request and answers from a script, as the Gemini API would.
 *
 * Checked end to end: the path carries the model and no key; the key goes in
 * x-goog-api-key and nowhere else; the body is the image (base64 of the file) and the
 * prompt with maxOutputTokens; the answer's text and usage (thinking billed as output)
 * reach the result; a 429's RetryInfo delay is waited before the retry; a per-day quota
 * stops the run after one request; a model name the URL cannot carry stops the job before
 * anything is sent, with a reason that says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <visionbatch.h>

#include "media/base64.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEY "AIzaSyHTTP-TEST-0123456789abcdef"

/* A 1x1 PNG. */
static const char png_b64[] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhf"
                              "DwAChwGA60e6kgAAAABJRU5ErkJggg==";

/* ---- The loopback server ----------------------------------------------------------- */

typedef struct reply {
    int status;
    const char *body;
} reply_t;

typedef struct request_rec {
    char line[512];     /* "POST /path HTTP/1.1" */
    char headers[4096]; /* the header lines as sent */
    char *body;
    double at_s; /* when it arrived, monotonic */
} request_rec_t;

#define MAX_REQUESTS 16

typedef struct server {
    int fd;
    int port;
    pthread_t thread;
    atomic_int stop;
    const reply_t *replies; /* the last one answers every later request */
    size_t n_replies;
    request_rec_t got[MAX_REQUESTS];
    atomic_size_t n_got;
} server_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one request from c into r: the head up to the blank line, then Content-Length
 * bytes of body. Returns 0, or -1 when the connection ends first. */
static int read_request(int c, request_rec_t *r)
{
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    while (buf && !end && len < cap) {
        ssize_t n = read(c, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) {
        free(buf);
        return -1;
    }
    size_t head = (size_t)(end - buf) + 4, want = 0;
    for (char *p = buf; p < end; p++)
        if ((p == buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0)
            want = strtoul(p + 15, NULL, 10);
    while (len < head + want && len < cap) {
        ssize_t n = read(c, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    char *eol = strstr(buf, "\r\n");
    snprintf(r->line, sizeof r->line, "%.*s", (int)(eol - buf), buf);
    snprintf(r->headers, sizeof r->headers, "%.*s", (int)(end - eol), eol);
    r->body = strdup(buf + head);
    r->at_s = now_s();
    free(buf);
    return 0;
}

static void *serve(void *arg)
{
    server_t *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        size_t i = atomic_load(&s->n_got);
        if (i < MAX_REQUESTS && read_request(c, &s->got[i]) == 0) {
            const reply_t *r = &s->replies[i < s->n_replies ? i : s->n_replies - 1];
            char head[256];
            int n = snprintf(head, sizeof head,
                             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                             r->status, strlen(r->body));
            atomic_store(&s->n_got, i + 1);
            if (write(c, head, (size_t)n) != n ||
                write(c, r->body, strlen(r->body)) != (ssize_t)strlen(r->body))
                fprintf(stderr, "server: short write\n");
        }
        close(c);
    }
    return NULL;
}

static void server_start(server_t *s, const reply_t *replies, size_t n)
{
    memset(s, 0, sizeof *s);
    s->replies = replies;
    s->n_replies = n;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

/* Stops the server; what it recorded stays readable until server_clear. */
static void server_stop(server_t *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static void server_clear(server_t *s)
{
    for (size_t i = 0; i < atomic_load(&s->n_got); i++)
        free(s->got[i].body);
}

/* The value of header name in r (case-insensitive), or NULL; in a static buffer. */
static const char *header_of(const request_rec_t *r, const char *name)
{
    static char value[512];
    size_t n = strlen(name);
    for (const char *p = r->headers; (p = strstr(p, "\r\n")); p += 2) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r");
            snprintf(value, sizeof value, "%.*s", (int)len, v);
            return value;
        }
    }
    return NULL;
}

/* ---- Running a job ------------------------------------------------------------------ */

typedef struct results {
    int n;
    vb_status_t status[8];
    char *kind[8];
    char *response[8];
    char *model[8];
    long prompt_tokens[8], completion_tokens[8];
    int attempts[8];
} results_t;

static void on_result(const vb_result_t *r, void *userdata)
{
    results_t *res = userdata;
    if (res->n >= 8)
        return;
    int i = res->n++;
    res->status[i] = r->status;
    res->kind[i] = r->error_kind ? strdup(r->error_kind) : NULL;
    res->response[i] = r->response ? strdup(r->response) : NULL;
    res->model[i] = r->model ? strdup(r->model) : NULL;
    res->prompt_tokens[i] = r->prompt_tokens;
    res->completion_tokens[i] = r->completion_tokens;
    res->attempts[i] = r->attempts;
}

static void results_clear(results_t *res)
{
    for (int i = 0; i < res->n; i++) {
        free(res->kind[i]);
        free(res->response[i]);
        free(res->model[i]);
    }
    memset(res, 0, sizeof *res);
}

static char dir[64];

/* Writes n_images PNG files into dir and runs a Gemini job on them against s. */
static vb_run_status_t run_job(server_t *s, const char *model, int n_images, results_t *res,
                               char *err, size_t errlen)
{
    unsigned char png[128];
    long n = base64_decode(png_b64, strlen(png_b64), png);
    assert_true(n > 0);
    for (int i = 0; i < n_images; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/img%d.png", dir, i);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(png, 1, (size_t)n, f), (size_t)n);
        fclose(f);
    }
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", s->port);
    vb_options_t o;
    vb_options_init(&o);
    o.provider = "gemini";
    o.base_url = base;
    o.api_key = KEY;
    o.model = model;
    o.prompt = "Name the colour.";
    o.max_tokens = 123;
    o.concurrency = 1;
    o.retries = 2;
    o.retry_base_s = 0.01;
    o.retry_max_s = 5;
    o.no_dedupe = 1; /* the images are byte-identical */
    o.no_preflight = 1; /* the scripted server answers generateContent calls only */
    o.timeout_s = 10;
    vb_job_t *job = vb_job_new(&o, err, errlen);
    if (!job)
        return VB_RUN_CONFIG;
    if (vb_job_add_input(job, dir, err, errlen) != 0) {
        vb_job_free(job);
        return VB_RUN_CONFIG;
    }
    vb_run_status_t rc = vb_job_run(job, on_result, res, NULL, err, errlen);
    vb_job_free(job);
    for (int i = 0; i < n_images; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/img%d.png", dir, i);
        unlink(path);
    }
    return rc;
}

#define SUCCESS                                                                                    \
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Red.\"}],\"role\":\"model\"},"          \
    "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":266,"         \
    "\"candidatesTokenCount\":2,\"totalTokenCount\":300,\"thoughtsTokenCount\":32},"               \
    "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}"

/* One image: what goes on the wire, and what comes back in the result. */
static void test_request_and_answer(void **state)
{
    (void)state;
    static const reply_t replies[] = {{200, SUCCESS}};
    server_t s;
    server_start(&s, replies, 1);
    results_t res = {0};
    char err[512] = "";
    vb_run_status_t rc = run_job(&s, "gemini-2.5-flash", 1, &res, err, sizeof err);
    server_stop(&s);
    if (rc != VB_RUN_ALL_OK)
        fail_msg("run: %d %s", rc, err);

    assert_int_equal(atomic_load(&s.n_got), 1);
    const request_rec_t *r = &s.got[0];
    assert_string_equal(r->line, "POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1");
    assert_string_equal(header_of(r, "x-goog-api-key"), KEY);
    assert_string_equal(header_of(r, "content-type"), "application/json");
    assert_null(header_of(r, "authorization"));
    assert_null(strstr(r->line, KEY)); /* never a key in the URL */
    assert_null(strstr(r->body, KEY));

    json_error_t jerr;
    json_t *j = json_loads(r->body, 0, &jerr);
    if (!j)
        fail_msg("body (%zu bytes) is not JSON: %s: %.300s", strlen(r->body), jerr.text, r->body);
    json_t *content = json_array_get(json_object_get(j, "contents"), 0);
    assert_string_equal(json_string_value(json_object_get(content, "role")), "user");
    json_t *parts = json_object_get(content, "parts");
    assert_int_equal(json_array_size(parts), 2);
    json_t *inline_data = json_object_get(json_array_get(parts, 0), "inlineData");
    assert_string_equal(json_string_value(json_object_get(inline_data, "mimeType")), "image/png");
    assert_string_equal(json_string_value(json_object_get(inline_data, "data")), png_b64);
    assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 1), "text")),
                        "Name the colour.");
    json_t *gc = json_object_get(j, "generationConfig");
    assert_int_equal(json_integer_value(json_object_get(gc, "maxOutputTokens")), 123);
    assert_int_equal(json_object_size(gc), 1);
    assert_int_equal(json_object_size(j), 2); /* contents, generationConfig: no model key */
    json_decref(j);

    assert_int_equal(res.n, 1);
    assert_int_equal(res.status[0], VB_STATUS_OK);
    assert_string_equal(res.response[0], "Red.");
    assert_string_equal(res.model[0], "gemini-2.5-flash");
    assert_int_equal(res.prompt_tokens[0], 266);
    assert_int_equal(res.completion_tokens[0], 2 + 32);
    assert_int_equal(res.attempts[0], 1);
    results_clear(&res);
    server_clear(&s);
}

#define PER_MINUTE_429                                                                             \
    "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota. Please retry in "     \
    "0.4s.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/"     \
    "google.rpc.QuotaFailure\",\"violations\":[{\"quotaId\":"                                      \
    "\"GenerateRequestsPerMinutePerProjectPerModel\",\"quotaValue\":\"10\"}]},{\"@type\":"         \
    "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"0.400s\"}]}}"

/* A per-minute 429 is retried after the delay its RetryInfo names (the engine's own
 * backoff here is 10 ms). */
static void test_retry_delay(void **state)
{
    (void)state;
    static const reply_t replies[] = {{429, PER_MINUTE_429}, {200, SUCCESS}};
    server_t s;
    server_start(&s, replies, 2);
    results_t res = {0};
    char err[512] = "";
    vb_run_status_t rc = run_job(&s, "gemini-3.5-flash-lite", 1, &res, err, sizeof err);
    server_stop(&s);
    if (rc != VB_RUN_ALL_OK)
        fail_msg("run: %d %s", rc, err);
    assert_int_equal(atomic_load(&s.n_got), 2);
    assert_string_equal(s.got[1].line,
                        "POST /v1beta/models/gemini-3.5-flash-lite:generateContent HTTP/1.1");
    double waited = s.got[1].at_s - s.got[0].at_s;
    if (waited < 0.35)
        fail_msg("retried after %.3f s, RetryInfo said 0.4 s", waited);
    assert_int_equal(res.n, 1);
    assert_int_equal(res.status[0], VB_STATUS_OK);
    assert_int_equal(res.attempts[0], 2);
    results_clear(&res);
    server_clear(&s);
}

#define SLOW_QUOTA_429                                                                             \
    "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota.\",\"status\":"        \
    "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."             \
    "QuotaFailure\",\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/"         \
    "generate_content_requests\",\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel\","     \
    "\"quotaValue\":\"60\"}]},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","            \
    "\"retryDelay\":\"0.010s\"}]}}"

/* Gemini names its limits in no header, only in a 429's QuotaFailure: once one says 60
 * requests a minute, the run paces to about one a second. */
static void test_quota_limit_paces(void **state)
{
    (void)state;
    static const reply_t replies[] = {{429, SLOW_QUOTA_429}, {200, SUCCESS}};
    server_t s;
    server_start(&s, replies, 2);
    results_t res = {0};
    char err[512] = "";
    vb_run_status_t rc = run_job(&s, "gemini-2.5-flash", 3, &res, err, sizeof err);
    server_stop(&s);
    if (rc != VB_RUN_ALL_OK)
        fail_msg("run: %d %s", rc, err);
    assert_int_equal(atomic_load(&s.n_got), 4);
    for (int i = 2; i < 4; i++) {
        double gap = s.got[i].at_s - s.got[i - 1].at_s;
        if (gap < 0.9)
            fail_msg("request %d came %.3f s after the one before; 60/min is one a second", i + 1,
                     gap);
    }
    assert_int_equal(res.n, 3);
    results_clear(&res);
    server_clear(&s);
}

#define PER_DAY_429                                                                                \
    "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please check "        \
    "your plan and billing details.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"  \
    "\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{\"quotaId\":"                \
    "\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\",\"quotaValue\":\"20\"}]},{\"@type\":"   \
    "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"19s\"}]}}"

/* A per-day quota stops the run at the first answer: no retry, no other image sent. */
static void test_daily_quota_stops(void **state)
{
    (void)state;
    static const reply_t replies[] = {{429, PER_DAY_429}};
    server_t s;
    server_start(&s, replies, 1);
    results_t res = {0};
    char err[512] = "";
    double t0 = now_s();
    vb_run_status_t rc = run_job(&s, "gemini-2.5-flash", 3, &res, err, sizeof err);
    double took = now_s() - t0;
    server_stop(&s);
    assert_int_equal(rc, VB_RUN_STOPPED);
    assert_non_null(strstr(err, "GenerateRequestsPerDayPerProjectPerModel-FreeTier"));
    assert_null(strstr(err, KEY));
    assert_int_equal(atomic_load(&s.n_got), 1);
    assert_true(took < 10); /* the 19 s RetryInfo was not waited */
    results_clear(&res);
    server_clear(&s);
}

/* A model the path cannot carry: the job stops before sending, and says why. */
static void test_bad_model(void **state)
{
    (void)state;
    static const reply_t replies[] = {{200, SUCCESS}};
    server_t s;
    server_start(&s, replies, 1);
    results_t res = {0};
    char err[512] = "";
    vb_run_status_t rc = run_job(&s, "gemini-2.5-flash?key=x", 1, &res, err, sizeof err);
    server_stop(&s);
    assert_int_equal(rc, VB_RUN_CONFIG);
    assert_non_null(strstr(err, "refuses the model name"));
    assert_null(strstr(err, "out of memory setting up"));
    assert_int_equal(atomic_load(&s.n_got), 0);
    results_clear(&res);
    server_clear(&s);
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    snprintf(dir, sizeof dir, "/tmp/vb-gemini-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return vb_global_init("test_gemini_http", err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    vb_global_cleanup();
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_and_answer), cmocka_unit_test(test_retry_delay),
        cmocka_unit_test(test_quota_limit_paces),  cmocka_unit_test(test_daily_quota_stops),
        cmocka_unit_test(test_bad_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
