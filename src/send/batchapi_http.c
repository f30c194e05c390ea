/* batchapi_http.c - batch_http_t on a libcurl easy handle (see batchapi_http.h).
 *
 * Calls are blocking: they run on the loop thread, which only uploads, creates, polls
 * and downloads in batch mode, a handful of calls a minute. One easy handle is reused
 * so the connection is too. */
#include "send/batchapi_http.h"

#include "send/curl_common.h"
#include "send/net_failure.h"
#include "util/redact.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define RESPONSE_CAP (8u << 20)    /* a call's answer (a batch object, a file object) */
#define LINE_CAP (64u << 20)       /* one result line (a whole answer) */
#define HEADERS_CAP (64u << 10)    /* a response's headers */
#define CONNECT_TIMEOUT_MS 30000L
#define STALL_S 120L               /* an upload or download moving no byte this long fails */

struct batchapi_http {
    const provider_t *provider;
    const vb_options_t *o;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    bool unreachable; /* the last call failed without reaching the endpoint */
    bool silent;      /* ... or timed out on a connection that gave not one byte back */
    /* the answer being read */
    char *buf;
    size_t len, cap;
    int overflow;
    char headers[HEADERS_CAP]; /* "name: value\n" lines of the last response */
    size_t headers_len;
    char header_value[1024];   /* what header_get returns */
    /* streaming a body line by line (stream_lines) */
    batch_line_sink_fn sink;
    void *sink_arg;
    int sink_stopped;
    size_t scanned; /* bytes of buf known to hold no newline */
    long long uploaded;
};

batchapi_http_t *batchapi_http_new(const provider_t *p, const vb_options_t *o)
{
    batchapi_http_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->provider = p;
    h->o = o;
    if (!(h->easy = curl_easy_init())) {
        free(h);
        return NULL;
    }
    return h;
}

void batchapi_http_free(batchapi_http_t *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->easy);
    free(h->buf);
    free(h);
}

long long batchapi_http_uploaded(const batchapi_http_t *h)
{
    return h->uploaded;
}

/* Keeps the response's header lines (a new status line starts them over: 1xx). */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    batchapi_http_t *h = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
        h->headers_len = 0;
    if (h->headers_len + len < sizeof h->headers) {
        memcpy(h->headers + h->headers_len, data, len);
        h->headers_len += len;
        h->headers[h->headers_len] = '\0';
    }
    return len;
}

/* header_get_fn over the kept header lines: the value of the last one named name. */
static const char *header_get(void *ctx, const char *name)
{
    batchapi_http_t *h = ctx;
    size_t nlen = strlen(name);
    const char *found = NULL;
    size_t found_len = 0;
    for (const char *p = h->headers; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t llen = eol ? (size_t)(eol - p) : strlen(p);
        if (llen > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vlen = (size_t)(p + llen - v);
            while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
                vlen--;
            found = v;
            found_len = vlen;
        }
        p = eol ? eol + 1 : NULL;
    }
    if (!found || found_len >= sizeof h->header_value)
        return NULL;
    memcpy(h->header_value, found, found_len);
    h->header_value[found_len] = '\0';
    return h->header_value;
}

/* Appends to the answer buffer up to cap bytes; more is dropped (overflow). */
static int buf_append(batchapi_http_t *h, const char *data, size_t len, size_t cap)
{
    if (h->len + len > cap) {
        h->overflow = 1;
        len = cap > h->len ? cap - h->len : 0;
    }
    if (h->len + len + 1 > h->cap) {
        size_t want = h->cap ? h->cap : 4096;
        while (want < h->len + len + 1)
            want *= 2;
        char *grown = realloc(h->buf, want);
        if (!grown)
            return -1;
        h->buf = grown;
        h->cap = want;
    }
    memcpy(h->buf + h->len, data, len);
    h->len += len;
    h->buf[h->len] = '\0';
    return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    batchapi_http_t *h = arg;
    return buf_append(h, data, size * n, RESPONSE_CAP) == 0 ? size * n : 0;
}

/* Hands every complete line in the buffer to the sink, keeping the partial last one. A
 * 2xx answer only: an error body is kept whole (capped) for the message. */
static size_t on_lines(char *data, size_t size, size_t n, void *arg)
{
    batchapi_http_t *h = arg;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return buf_append(h, data, len, 8192) == 0 ? len : 0;
    if (h->sink_stopped)
        return 0;
    if (buf_append(h, data, len, LINE_CAP) != 0 || h->overflow)
        return 0; /* one line longer than any answer: refuse the file */
    size_t start = 0;
    for (size_t i = h->scanned; i < h->len; i++) {
        if (h->buf[i] != '\n')
            continue;
        size_t l = i - start;
        if (l > 0 && h->buf[start + l - 1] == '\r')
            l--;
        if (l > 0 && h->sink(h->buf + start, l, h->sink_arg) != 0) {
            h->sink_stopped = 1;
            return 0;
        }
        start = i + 1;
    }
    memmove(h->buf, h->buf + start, h->len - start);
    h->len -= start;
    h->scanned = h->len; /* a partial line: the next bytes are scanned from here */
    return len;
}

static int add_header(void *ctx, const char *line)
{
    struct curl_slist **list = ctx;
    struct curl_slist *with = curl_slist_append(*list, line);
    if (!with)
        return -1;
    *list = with;
    return 0;
}

/* The headers of a call: the key's, Content-Type when there is a body type, the extra
 * ones, and no 100-continue. NULL when out of memory. */
static struct curl_slist *call_headers(batchapi_http_t *h, const batch_req_t *req)
{
    struct curl_slist *list = NULL;
    if (add_header(&list, "Expect:") != 0)
        return NULL;
    if (h->provider->add_headers(h->o->api_key, add_header, &list) != 0)
        goto oom;
    if (req->body_type) {
        char line[256];
        snprintf(line, sizeof line, "Content-Type: %s", req->body_type);
        if (add_header(&list, line) != 0)
            goto oom;
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        if (add_header(&list, req->headers[i]) != 0)
            goto oom;
    return list;
oom:
    curl_slist_free_all(list);
    return NULL;
}

/* The options every call shares. */
static void common_options(batchapi_http_t *h, const char *url, struct curl_slist *headers,
                           int long_transfer)
{
    CURL *c = h->easy;
    curl_easy_reset(c);
    h->errbuf[0] = '\0';
    curl_common_setopts(c, h->o, url); /* TLS, CAs, proxies, protocols, redirects */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (long_transfer) { /* an upload or a result file: no total limit, but no stall */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_S);
    } else {
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(h->o->timeout_s * 1000.0));
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    h->len = 0;
    h->scanned = 0;
    h->overflow = 0;
    h->headers_len = 0;
    h->headers[0] = '\0';
}

/* err = "METHOD url: what failed" (host:port, the proxy, libcurl's words:
 * send/net_failure.h), the key scrubbed. */
static void transfer_error(batchapi_http_t *h, const char *method, const char *url, CURLcode rc,
                           char *err, size_t errlen)
{
    char what[600];
    net_failure_describe(h->easy, rc, h->errbuf, url, h->o->timeout_s, h->o->api_key, what,
                         sizeof what);
    h->unreachable = net_failure_unreachable(h->easy, rc);
    h->silent = net_failure_silent_timeout(h->easy, rc);
    snprintf(err, errlen, "%s %s: %s%s", method, url, what,
             rc == CURLE_PEER_FAILED_VERIFICATION
                 ? " (a private CA: trust it with --ca-cert FILE or CURL_CA_BUNDLE)"
                 : "");
    redact_secret(err, errlen, h->o->api_key);
}

bool batchapi_http_unreachable(const batchapi_http_t *h)
{
    return h->unreachable;
}

bool batchapi_http_silent(const batchapi_http_t *h)
{
    return h->silent;
}

/* Sets the request body from req (memory, a file or a multipart form). Returns 0, or -1
 * with err set. *file and *mime get what must be freed after the call. */
static int set_body(batchapi_http_t *h, const batch_req_t *req, FILE **file, curl_mime **mime,
                    char *err, size_t errlen)
{
    CURL *c = h->easy;
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        h->uploaded += (long long)req->body_len;
        return 0;
    }
    if (req->body_path) {
        struct stat st;
        if (!(*file = fopen(req->body_path, "rb")) || fstat(fileno(*file), &st) != 0) {
            snprintf(err, errlen, "cannot read %s", req->body_path);
            return -1;
        }
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READDATA, *file);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
        h->uploaded += (long long)st.st_size;
        return 0;
    }
    if (req->form_path) {
        struct stat st;
        if (stat(req->form_path, &st) != 0 || !(*mime = curl_mime_init(c))) {
            snprintf(err, errlen, "cannot read %s", req->form_path);
            return -1;
        }
        for (size_t i = 0; req->form_fields && req->form_fields[i]; i++) {
            const char *eq = strchr(req->form_fields[i], '=');
            if (!eq)
                continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(eq - req->form_fields[i]),
                     req->form_fields[i]);
            curl_mimepart *part = curl_mime_addpart(*mime);
            curl_mime_name(part, name);
            curl_mime_data(part, eq + 1, CURL_ZERO_TERMINATED);
        }
        curl_mimepart *part = curl_mime_addpart(*mime);
        curl_mime_name(part, "file");
        if (curl_mime_filedata(part, req->form_path) != CURLE_OK) {
            snprintf(err, errlen, "cannot read %s", req->form_path);
            return -1;
        }
        curl_mime_filename(part, req->form_filename ? req->form_filename : "batch.jsonl");
        curl_mime_type(part, "application/jsonl");
        curl_easy_setopt(c, CURLOPT_MIMEPOST, *mime);
        h->uploaded += (long long)st.st_size;
        return 0;
    }
    return 0;
}

/* batch_http_t.call */
static int http_call(void *ctx, const batch_req_t *req, batch_resp_t *resp, char *err,
                     size_t errlen)
{
    batchapi_http_t *h = ctx;
    memset(resp, 0, sizeof *resp);
    h->unreachable = false;
    h->silent = false;
    h->errbuf[0] = '\0';
    struct curl_slist *headers = call_headers(h, req);
    if (!headers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FILE *file = NULL;
    curl_mime *mime = NULL;
    int rc = -1;
    common_options(h, req->url, headers, req->body_path || req->form_path);
    curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
    if (set_body(h, req, &file, &mime, err, errlen) != 0)
        goto out;
    if (strcmp(req->method, "GET") != 0 && !req->body && !req->body_path && !req->form_path) {
        curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
        curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, req->method);
    CURLcode cc = curl_easy_perform(h->easy);
    if (cc != CURLE_OK) {
        transfer_error(h, req->method, req->url, cc, err, errlen);
        goto out;
    }
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->body = malloc(h->len + 1);
    if (!resp->body) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memcpy(resp->body, h->buf ? h->buf : "", h->len);
    resp->body[h->len] = '\0';
    resp->len = h->len;
    resp->header = header_get;
    resp->hctx = h;
    rc = 0;
out:
    if (file)
        fclose(file);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    return rc;
}

/* batch_http_t.stream_lines */
static int http_stream_lines(void *ctx, const char *url, batch_line_sink_fn sink, void *arg,
                             long *status, char *err, size_t errlen)
{
    batchapi_http_t *h = ctx;
    *status = 0;
    batch_req_t req = {.method = "GET", .url = url};
    struct curl_slist *headers = call_headers(h, &req);
    if (!headers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    common_options(h, url, headers, 1);
    h->sink = sink;
    h->sink_arg = arg;
    h->sink_stopped = 0;
    curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_lines);
    curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
    CURLcode cc = curl_easy_perform(h->easy);
    curl_slist_free_all(headers);
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 200 && *status <= 299 && h->overflow) {
        snprintf(err, errlen, "GET %s: a result line is longer than %u MiB", url, LINE_CAP >> 20);
        return -1;
    }
    if (cc != CURLE_OK && !h->sink_stopped) {
        transfer_error(h, "GET", url, cc, err, errlen);
        return -1;
    }
    if (*status < 200 || *status > 299) {
        snprintf(err, errlen, "GET %s: HTTP %ld: %.300s", url, *status, h->buf ? h->buf : "");
        redact_secret(err, errlen, h->o->api_key);
        return -1;
    }
    if (!h->sink_stopped && h->len > 0) /* the last line had no newline */
        h->sink(h->buf, h->len, h->sink_arg);
    h->len = 0;
    return 0;
}

batch_http_t batchapi_http_ops(batchapi_http_t *h)
{
    return (batch_http_t){.call = http_call, .stream_lines = http_stream_lines, .ctx = h};
}
