/* test_anthropic_http.c - a whole job through the public API with provider "anthropic",
 * over real HTTP on a loopback port picked at run time: a small server that answers as
 * the Messages API does (batch-api-facts.md §4) records what visionbatch sends (path,
 * headers, body) and scripts its answers (an overload with x-should-retry, then
 * Messages with usage and rate-limit headers; or a bad key, which stops the run). */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vips/vips.h>

static const char key[] = "sk-ant-api03-LOOPBACKKEY0123456789";

#define MAX_REQUESTS 8
#define MAX_REQUEST  (1 << 20)

typedef enum { SCRIPT_OVERLOAD_THEN_OK, SCRIPT_BAD_KEY } script_t;

typedef struct server {
    int fd;
    int port;
    script_t script;
    volatile int stop;
    pthread_t thread;
    pthread_mutex_t lock;
    int n; /* requests answered */
    char path[MAX_REQUESTS][64];
    char api_key[MAX_REQUESTS][64];
    char version[MAX_REQUESTS][32];
    char content_type[MAX_REQUESTS][64];
    char *body[MAX_REQUESTS];
} server_t;

static char dir[64];
static char img[2][128];
static unsigned char *img_bytes[2];
static size_t img_len[2];

/* The value of header name in the raw header block head (case-insensitive), into out. */
static void header_value(const char *head, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *line = head; line && *line;
         line = strstr(line, "\r\n") ? strstr(line, "\r\n") + 2 : NULL) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, outlen, "%.*s", (int)len, v);
            return;
        }
    }
}

/* The answer to request k under the script: a status line, headers and a body. */
static void answer(const server_t *s, int k, char *out, size_t outlen)
{
    const char *status, *headers, *body;
    char ok[512];
    if (s->script == SCRIPT_BAD_KEY) {
        status = "401 Unauthorized";
        headers = "x-should-retry: false\r\n";
        body = "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
               "\"invalid x-api-key sk-ant-api03-LOOPBACKKEY0123456789\"},\"request_id\":"
               "\"req_bad\"}";
    } else if (k == 0) {
        status = "529 Overloaded";
        headers = "x-should-retry: true\r\nretry-after: 0\r\n";
        body = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
               "\"Overloaded\"},\"request_id\":\"req_0\"}";
    } else {
        status = "200 OK";
        headers = "anthropic-ratelimit-requests-limit: 1000\r\n"
                  "anthropic-ratelimit-requests-remaining: 999\r\n"
                  "anthropic-ratelimit-input-tokens-limit: 400000\r\n"
                  "anthropic-ratelimit-input-tokens-remaining: 399000\r\n"
                  "anthropic-ratelimit-output-tokens-limit: 80000\r\n"
                  "anthropic-ratelimit-output-tokens-remaining: 79000\r\n";
        snprintf(ok, sizeof ok,
                 "{\"id\":\"msg_%d\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
                 "\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\",\"text\":"
                 "\"answer %d\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":50,"
                 "\"cache_read_input_tokens\":10,\"output_tokens\":5}}",
                 k, k);
        body = ok;
    }
    snprintf(out, outlen,
             "HTTP/1.1 %s\r\ncontent-type: application/json\r\nrequest-id: req_%d\r\n%s"
             "content-length: %zu\r\nconnection: close\r\n\r\n%s",
             status, k, headers, strlen(body), body);
}

/* Reads one request from c (headers, then content-length bytes), records it, answers. */
static void serve_one(server_t *s, int c)
{
    char *buf = malloc(MAX_REQUEST + 1);
    size_t got = 0, need = 0;
    char *end = NULL;
    while (buf && got < MAX_REQUEST) {
        ssize_t r = read(c, buf + got, MAX_REQUEST - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            char len[32];
            *end = '\0';
            header_value(strstr(buf, "\r\n") + 2, "content-length", len, sizeof len);
            need = (size_t)(end + 4 - buf) + strtoul(len, NULL, 10);
        }
        if (end && got >= need)
            break;
    }
    if (!end) {
        free(buf);
        return;
    }
    pthread_mutex_lock(&s->lock);
    int k = s->n++;
    if (k < MAX_REQUESTS) {
        const char *head = strstr(buf, "\r\n") + 2;
        sscanf(buf, "POST %63s", s->path[k]);
        header_value(head, "x-api-key", s->api_key[k], sizeof s->api_key[k]);
        header_value(head, "anthropic-version", s->version[k], sizeof s->version[k]);
        header_value(head, "content-type", s->content_type[k], sizeof s->content_type[k]);
        s->body[k] = strndup(end + 4, need - (size_t)(end + 4 - buf));
    }
    pthread_mutex_unlock(&s->lock);
    char out[2048];
    answer(s, k, out, sizeof out);
    ssize_t w = write(c, out, strlen(out));
    (void)w;
    free(buf);
}

static void *serve(void *arg)
{
    server_t *s = arg;
    while (!s->stop) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(s, c);
        close(c);
    }
    return NULL;
}

static void server_start(server_t *s, script_t script)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server_t *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (int i = 0; i < MAX_REQUESTS; i++)
        free(s->body[i]);
    pthread_mutex_destroy(&s->lock);
}

typedef struct collected {
    int n, ok;
    char response[4][64];
    long prompt[4], completion[4];
    int attempts;
    char error[4][512];
} collected_t;

static void on_result(const vb_result_t *r, void *userdata)
{
    collected_t *c = userdata;
    if (c->n >= 4)
        return;
    int i = c->n++;
    c->ok += r->status == VB_STATUS_OK;
    snprintf(c->response[i], sizeof c->response[i], "%s", r->response ? r->response : "");
    snprintf(c->error[i], sizeof c->error[i], "%s", r->error_message ? r->error_message : "");
    c->prompt[i] = r->prompt_tokens;
    c->completion[i] = r->completion_tokens;
    c->attempts += r->attempts;
}

static vb_job_t *job_for(const server_t *s, long max_tokens, char *err, size_t errlen)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s->port);
    vb_options_t o;
    vb_options_init(&o);
    o.provider = "anthropic";
    o.base_url = url;
    o.api_key = key;
    o.model = "claude-sonnet-4-5";
    o.prompt = "Describe";
    o.max_tokens = max_tokens;
    o.concurrency = 1;
    o.retries = 3;
    o.retry_base_s = 0.01;
    o.retry_max_s = 0.05;
    o.no_dedupe = 1;
    o.no_preflight = 1; /* the scripted server answers the messages calls only */
    vb_job_t *job = vb_job_new(&o, err, errlen);
    if (job) {
        assert_int_equal(vb_job_add_input(job, img[0], err, errlen), 0);
        assert_int_equal(vb_job_add_input(job, img[1], err, errlen), 0);
    }
    return job;
}

/* Both images answered after one overload retried; every request as the API wants it. */
static void test_job_over_loopback(void **state)
{
    (void)state;
    server_t s;
    server_start(&s, SCRIPT_OVERLOAD_THEN_OK);
    char err[512] = "";
    vb_job_t *job = job_for(&s, 100, err, sizeof err);
    if (!job)
        fail_msg("vb_job_new: %s", err);
    collected_t c = {0};
    vb_summary_t sum;
    vb_run_status_t rc = vb_job_run(job, on_result, &c, &sum, err, sizeof err);
    vb_job_free(job);
    if (rc != VB_RUN_ALL_OK)
        fail_msg("run: %d %s", rc, err);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ok, 2);
    assert_int_equal(c.attempts, 3); /* the 529 was retried */
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 2; i++) {
        assert_non_null(strstr(c.response[i], "answer "));
        assert_int_equal(c.prompt[i], 60); /* input + cache reads */
        assert_int_equal(c.completion[i], 5);
    }
    int seen[2] = {0, 0};
    for (int k = 0; k < s.n; k++) {
        assert_string_equal(s.path[k], "/v1/messages");
        assert_string_equal(s.api_key[k], key);
        assert_string_equal(s.version[k], "2023-06-01");
        assert_string_equal(s.content_type[k], "application/json");
        json_error_t jerr;
        json_t *b = json_loads(s.body[k], 0, &jerr);
        if (!b)
            fail_msg("request %d is not JSON: %s", k, jerr.text);
        assert_string_equal(json_string_value(json_object_get(b, "model")), "claude-sonnet-4-5");
        assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 100);
        json_t *content =
            json_object_get(json_array_get(json_object_get(b, "messages"), 0), "content");
        assert_int_equal(json_array_size(content), 2);
        json_t *source = json_object_get(json_array_get(content, 0), "source");
        assert_string_equal(json_string_value(json_object_get(source, "type")), "base64");
        assert_string_equal(json_string_value(json_object_get(source, "media_type")), "image/jpeg");
        const char *data = json_string_value(json_object_get(source, "data"));
        for (int i = 0; i < 2; i++) {
            char *want = malloc(base64_encoded_len(img_len[i]) + 1);
            want[base64_encode(img_bytes[i], img_len[i], want)] = '\0';
            seen[i] += data && strcmp(data, want) == 0;
            free(want);
        }
        assert_string_equal(json_string_value(json_object_get(json_array_get(content, 1), "text")),
                            "Describe");
        assert_null(json_object_get(b, "output_config"));
        json_decref(b);
    }
    assert_true(seen[0] >= 1 && seen[1] >= 1);
    server_stop(&s);
}

/* A bad key stops the run after its first answer; the echoed key is not in the reason. */
static void test_bad_key_stops(void **state)
{
    (void)state;
    server_t s;
    server_start(&s, SCRIPT_BAD_KEY);
    char err[512] = "";
    vb_job_t *job = job_for(&s, 100, err, sizeof err);
    assert_non_null(job);
    collected_t c = {0};
    vb_run_status_t rc = vb_job_run(job, on_result, &c, NULL, err, sizeof err);
    vb_job_free(job);
    server_stop(&s);
    assert_int_equal(rc, VB_RUN_STOPPED);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(err, "authentication_error"));
    assert_null(strstr(err, key));
    for (int i = 0; i < c.n; i++)
        assert_null(strstr(c.error[i], key));
}

/* max_tokens 0: refused before anything is sent, with the way out in the reason. */
static void test_max_tokens_refused(void **state)
{
    (void)state;
    server_t s;
    server_start(&s, SCRIPT_OVERLOAD_THEN_OK);
    char err[512] = "";
    vb_job_t *job = job_for(&s, 0, err, sizeof err);
    vb_run_status_t rc = VB_RUN_CONFIG;
    if (job) {
        collected_t c = {0};
        rc = vb_job_run(job, on_result, &c, NULL, err, sizeof err);
        vb_job_free(job);
    }
    server_stop(&s);
    assert_int_equal(rc, VB_RUN_CONFIG);
    assert_non_null(strstr(err, "Anthropic requires max_tokens; give --max-tokens N"));
    assert_int_equal(s.n, 0);
}

static int write_jpeg(const char *path, int w, int h, unsigned char **bytes, size_t *len)
{
    VipsImage *im = NULL;
    void *buf = NULL;
    if (vips_black(&im, w, h, "bands", 3, NULL) ||
        vips_jpegsave_buffer(im, &buf, len, "Q", 80, NULL)) {
        if (im)
            g_object_unref(im);
        return -1;
    }
    g_object_unref(im);
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(buf, 1, *len, f) == *len ? 0 : -1;
    if (f)
        fclose(f);
    *bytes = malloc(*len);
    memcpy(*bytes, buf, *len);
    g_free(buf);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    snprintf(dir, sizeof dir, "/tmp/vb-anth-XXXXXX");
    if (!mkdtemp(dir) || vb_global_init("test_anthropic_http", err, sizeof err) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        snprintf(img[i], sizeof img[i], "%s/img%d.jpg", dir, i);
        if (write_jpeg(img[i], 64 + 8 * i, 48, &img_bytes[i], &img_len[i]) != 0)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        unlink(img[i]);
        free(img_bytes[i]);
    }
    rmdir(dir);
    vb_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_over_loopback),
        cmocka_unit_test(test_bad_key_stops),
        cmocka_unit_test(test_max_tokens_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
