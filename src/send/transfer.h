/* transfer.h - the pool of libcurl easy handles the event loop sends through.
 *
 * One handle per concurrency slot, each set up once with the options every request of the
 * job shares, so connections and TLS sessions are reused. Only in-flight handles are added
 * to the multi handle (libcurl 7.88 walks every added handle on each perform). A handle
 * collects its response body, capped, and aborts a body that drips. Everything here runs
 * on the loop thread. */
#ifndef VB_TRANSFER_H
#define VB_TRANSFER_H

#include "admit/ratelimit_headers.h"
#include "prepare/request.h"
#include "provider/provider.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <visionbatch.h>

/* One pooled easy handle and what it is sending. */
typedef struct transfer {
    CURL *easy;
    request_t *req; /* on the wire (the transfer's until it is handed back); NULL when free */
    char *buf;      /* the response body, NUL-terminated; kept (and reused) across requests */
    size_t len;
    size_t cap;
    bool overflow;          /* the body passed the cap (or memory ran out): aborted */
    bool dripping;          /* aborted: the body took longer than body_timeout_s */
    uint64_t first_byte_ns; /* when the body's first byte came; 0 before */
    double body_timeout_s;
    uint64_t started_ns;
    char errbuf[CURL_ERROR_SIZE]; /* libcurl's words for the last failure (ERRORBUFFER) */
    vbclock_t clock; /* the engine's: the callbacks read the time through it */
    struct transfer *next_free;
} transfer_t;

/* The multi handle and the handles it drives. */
typedef struct transfer_pool {
    CURLM *multi;
    struct curl_slist *headers; /* shared by every handle */
    char *url;
    transfer_t *transfers; /* size of them */
    long size;
    transfer_t *free_list; /* handles not on the wire */
    long in_flight;        /* handles on the wire */
    const provider_t *provider; /* the endpoint, headers and answers of the protocol */
    long concurrency;
    bool h2_capped; /* connections capped for HTTP/2 until the first answer's version */
    double timeout_s;           /* a request's whole-transfer limit (--timeout) */
} transfer_pool_t;

/* Builds provider pv's endpoint URL and headers (with the API key, when o has one), the
 * multi handle and o->concurrency easy handles whose callbacks read the time from clock.
 * p must be zeroed; pv must outlive it. Returns 0, or -1 with err set; either way
 * transfer_pool_clear frees what was built. */
int transfer_pool_init(transfer_pool_t *p, const provider_t *pv, const vb_options_t *o,
                       vbclock_t clock, char *err, size_t errlen);

/* Frees the pool; requests still on the wire are removed and freed. A zeroed pool is a
 * no-op. */
void transfer_pool_clear(transfer_pool_t *p);

/* Whether a handle is free to start a transfer. */
bool transfer_pool_has_free(const transfer_pool_t *p);

/* Puts r on the wire on a free handle (transfer_pool_has_free must hold), started at now.
 * Returns 0 (the transfer holds r until transfer_release), or -1 when libcurl refuses the
 * transfer: the handle stays free and r stays the caller's. */
int transfer_start(transfer_pool_t *p, request_t *r, uint64_t now);

/* Hands a finished transfer back: off the multi handle, reset, onto the free list. Its
 * request is the caller's (t->req is cleared; read it first). Its body (t->buf, not t->len)
 * and response headers stay readable until the handle starts another transfer. The first
 * answer over TLS that is not HTTP/2 lifts the pool's HTTP/2 connection cap. */
void transfer_release(transfer_pool_t *p, transfer_t *t);

/* The HTTP status of t's response; 0 when none came. */
long transfer_status(const transfer_t *t);

/* Whether any byte of the request body went out (a provider may bill it). */
bool transfer_uploaded(const transfer_t *t);

/* The request body bytes libcurl sent for t's last transfer (0 when it never connected). */
long long transfer_uploaded_bytes(const transfer_t *t);

/* The value of response header name, or NULL. Owned by libcurl: valid until the handle
 * starts another transfer. */
const char *transfer_header(const transfer_t *t, const char *name);

/* Reads the rate-limit headers of t's response into *info, as p's provider names them. */
void transfer_ratelimit_info(const transfer_pool_t *p, const transfer_t *t,
                             ratelimit_info_t *info);

/* Maps a transfer of p that failed with rc (not CURLE_OK) to an answer: too_large (the
 * body passed the cap), tls (stops the run), timeout (also a dripping body) or network,
 * all with a message naming what failed: host:port, the proxy, libcurl's error buffer
 * (send/net_failure.h), secret scrubbed. All retried but too_large and tls. Fills *resp
 * (nothing to clear, but answer_clear is safe). */
void transfer_failure(const transfer_pool_t *p, const transfer_t *t, CURLcode rc,
                      const char *secret, answer_t *resp);

/* Parses and classifies the HTTP answer t received, with p's provider, scrubbing api_key
 * (may be NULL) from the server's words. Clear *resp with answer_clear. */
void transfer_parse(const transfer_pool_t *p, const transfer_t *t, long status,
                    const char *api_key, answer_t *resp);

#endif
