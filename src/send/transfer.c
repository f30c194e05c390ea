/* transfer.c - the pool of easy handles: per-handle options, the body and progress
 * callbacks, and what a finished transfer hands back.
 *
 * Only in-flight transfers are added to the multi handle (libcurl 7.88 walks every added
 * handle on each perform), from a pool of easy handles sized to the concurrency so
 * connections and TLS sessions are reused.
 *
 * What is the protocol's (the endpoint, the key's headers, the answer and its limit
 * headers) comes from the pool's provider (provider/provider.h). */
#include "send/transfer.h"

#include "send/curl_common.h"
#include "send/net_failure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A response larger than this is refused: nothing a server sends can grow memory
 * without bound. Chat completions are a few KiB. */
#define RESPONSE_MAX_BYTES (8 * 1024 * 1024)
#define CONNECT_TIMEOUT_MS 15000L

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    transfer_t *t = arg;
    size_t n = size * nmemb;
    if (!t->first_byte_ns)
        t->first_byte_ns = clock_now(&t->clock);
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
        (double)(clock_now(&t->clock) - t->first_byte_ns) / 1e9 > t->body_timeout_s) {
        t->dripping = true;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

/* Sets the options every request of the job shares, once per pooled handle. */
static int transfer_init(transfer_pool_t *p, const vb_options_t *o, transfer_t *t)
{
    if (!(t->easy = curl_easy_init()))
        return -1;
    CURL *c = t->easy;
    curl_common_setopts(c, o, p->url); /* TLS, CAs, proxies, protocols, redirects */
    curl_easy_setopt(c, CURLOPT_URL, p->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000.0));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    t->body_timeout_s = o->body_timeout_s;
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
    /* a declared Content-Length over the cap is refused before any byte is read */
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)RESPONSE_MAX_BYTES);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    /* Over TLS a request waits for a connection that may multiplex it (HTTP/2). Plain
     * http:// is HTTP/1.1 here (2TLS), where waiting only opens the connections one
     * after another: the first wave of -c 200 requests came back ~45 ms late. */
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, strncasecmp(p->url, "https:", 6) == 0 ? 1L : 0L);
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

/* The headers every request carries, or NULL when out of memory. */
static struct curl_slist *request_headers(const provider_t *pv, const vb_options_t *o)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *expect = h ? curl_slist_append(h, "Expect:") : NULL;
    if (!expect) /* no 100-continue round trip for big bodies */
        curl_slist_free_all(h);
    h = expect;
    if (h && pv->add_headers(o->api_key, add_header, &h) != 0) { /* the key's header(s) */
        curl_slist_free_all(h);
        h = NULL;
    }
    return h;
}

int transfer_pool_init(transfer_pool_t *p, const provider_t *pv, const vb_options_t *o,
                       vbclock_t clock, char *err, size_t errlen)
{
    p->provider = pv;
    p->timeout_s = o->timeout_s;
    if (!(p->url = pv->request_url(o->base_url, o->model))) {
        /* out of memory is unlikely here; a model name the URL cannot carry is not */
        snprintf(err, errlen,
                 "cannot build the request URL: the %s provider refuses the model name "
                 "'%.80s' (or memory ran out)",
                 pv->name, o->model ? o->model : "");
        return -1;
    }
    if (!(p->headers = request_headers(pv, o)))
        goto oom;

    if (!(p->multi = curl_multi_init()))
        goto oom;
    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)o->concurrency + 4);
    curl_multi_setopt(p->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    /* HTTP/2: as many streams on one connection as there are requests at once (the
     * server's SETTINGS_MAX_CONCURRENT_STREAMS still caps it; nginx says 128). */
    curl_multi_setopt(p->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)o->concurrency);
    /* libcurl 7.88 opens a new connection for every request that finds the multiplexed
     * ones full, even while the connection it opened for the previous such request is
     * still being set up: at -c 300 through nginx that made ~130 connections, most
     * idle, and -c 500 took 2.5x as long (issue #17; bench/tls.sh). Over TLS (likely
     * HTTP/2) the host gets one connection per 100 requests at once (a server allows 100
     * streams or more: RFC 9113 §6.5.2 recommends no fewer), plus one; when the first
     * answer shows HTTP/1.x, transfer_release lifts the cap to one per request. */
    p->concurrency = o->concurrency;
    p->h2_capped = strncasecmp(p->url, "https:", 6) == 0 && o->concurrency > 100;
    curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      p->h2_capped ? (o->concurrency + 99) / 100 + 1 : (long)o->concurrency);

    if (!(p->transfers = calloc((size_t)o->concurrency, sizeof *p->transfers)))
        goto oom;
    p->size = o->concurrency;
    for (long i = 0; i < o->concurrency; i++) {
        p->transfers[i].clock = clock;
        if (transfer_init(p, o, &p->transfers[i]) != 0)
            goto oom;
        /* libcurl's own words for a failure, with the address it tried */
        curl_easy_setopt(p->transfers[i].easy, CURLOPT_ERRORBUFFER, p->transfers[i].errbuf);
        p->transfers[i].next_free = p->free_list;
        p->free_list = &p->transfers[i];
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory setting up %ld connections", o->concurrency);
    return -1;
}

void transfer_pool_clear(transfer_pool_t *p)
{
    if (p->transfers) {
        for (long i = 0; i < p->size; i++) {
            transfer_t *t = &p->transfers[i];
            if (t->easy) {
                if (t->req)
                    curl_multi_remove_handle(p->multi, t->easy);
                curl_easy_cleanup(t->easy);
            }
            request_free(t->req);
            free(t->buf);
        }
        free(p->transfers);
    }
    if (p->multi)
        curl_multi_cleanup(p->multi);
    curl_slist_free_all(p->headers);
    free(p->url);
    memset(p, 0, sizeof *p);
}

bool transfer_pool_has_free(const transfer_pool_t *p)
{
    return p->free_list != NULL;
}

int transfer_start(transfer_pool_t *p, request_t *r, uint64_t now)
{
    transfer_t *t = p->free_list;
    p->free_list = t->next_free;
    t->req = r;
    t->len = 0;
    t->overflow = false;
    t->errbuf[0] = '\0';
    t->started_ns = now;
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, r->body);
    if (curl_multi_add_handle(p->multi, t->easy) != CURLM_OK) {
        t->req = NULL;
        t->next_free = p->free_list;
        p->free_list = t;
        return -1;
    }
    p->in_flight++;
    return 0;
}

void transfer_release(transfer_pool_t *p, transfer_t *t)
{
    long version = CURL_HTTP_VERSION_NONE;
    if (p->h2_capped && curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK &&
        version != CURL_HTTP_VERSION_NONE) {
        p->h2_capped = false; /* decided by the first answer */
        if (version < CURL_HTTP_VERSION_2_0) /* no multiplexing: a connection per request */
            curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, p->concurrency);
    }
    curl_multi_remove_handle(p->multi, t->easy);
    p->in_flight--;
    t->req = NULL;
    t->len = 0;
    t->overflow = false;
    t->dripping = false;
    t->first_byte_ns = 0;
    t->next_free = p->free_list;
    p->free_list = t;
}

long transfer_status(const transfer_t *t)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

bool transfer_uploaded(const transfer_t *t)
{
    return transfer_uploaded_bytes(t) > 0;
}

long long transfer_uploaded_bytes(const transfer_t *t)
{
    curl_off_t uploaded = 0;
    curl_easy_getinfo(t->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    return uploaded > 0 ? (long long)uploaded : 0;
}

/* curl_easy_header as a header_get_fn. */
static const char *get_header(void *ctx, const char *name)
{
    struct curl_header *h = NULL;
    return curl_easy_header(ctx, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK ? h->value : NULL;
}

const char *transfer_header(const transfer_t *t, const char *name)
{
    return get_header(t->easy, name);
}

void transfer_ratelimit_info(const transfer_pool_t *p, const transfer_t *t,
                             ratelimit_info_t *info)
{
    p->provider->limits_parse(get_header, t->easy, time(NULL), info);
}

void transfer_failure(const transfer_pool_t *p, const transfer_t *t, CURLcode rc,
                      const char *secret, answer_t *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->prompt_tokens = resp->completion_tokens = resp->total_tokens = -1; /* no answer */
    resp->action = ANSWER_RETRY;
    if (t->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
        resp->action = ANSWER_FAIL_ITEM;
        resp->error_kind = "too_large";
        snprintf(resp->error_message, sizeof resp->error_message, "response larger than %d bytes",
                 RESPONSE_MAX_BYTES);
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
        /* the server is not who the URL says: no later request can go either */
        resp->action = ANSWER_STOP_RUN;
        resp->error_kind = "tls";
        snprintf(resp->error_message, sizeof resp->error_message,
                 "TLS certificate verification failed (%s): if the server's CA is private, "
                 "trust it with --ca-cert FILE (or CURL_CA_BUNDLE); only for a test server, "
                 "--insecure",
                 curl_easy_strerror(rc));
    } else {
        resp->error_kind = rc == CURLE_OPERATION_TIMEDOUT || t->dripping ? "timeout" : "network";
        if (t->dripping)
            snprintf(resp->error_message, sizeof resp->error_message,
                     "the response body did not end within %g s of its first byte",
                     t->body_timeout_s);
        else
            net_failure_describe(t->easy, rc, t->errbuf, p->url, p->timeout_s, secret,
                                 resp->error_message, sizeof resp->error_message);
    }
}

void transfer_parse(const transfer_pool_t *p, const transfer_t *t, long status,
                    const char *api_key, answer_t *resp)
{
    p->provider->answer_parse(status, t->buf ? t->buf : "", t->len, get_header, t->easy, api_key,
                              resp);
}
