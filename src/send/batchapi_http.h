/* batchapi_http.h - the batch API's HTTP calls (batch_http_t, provider/batch_api.h) on one
 * libcurl easy handle: uploads streamed from files, result files streamed line by line,
 * the provider's key headers on every call, TLS verified, redirects never followed. */
#ifndef VB_BATCHAPI_HTTP_H
#define VB_BATCHAPI_HTTP_H

#include "provider/batch_api.h"

#include <stdbool.h>
#include <visionbatch.h>

typedef struct batchapi_http batchapi_http_t;

/* A client for provider p's batch calls with o's key, TLS and timeout settings (o must
 * outlive it). NULL when out of memory or libcurl cannot start. */
batchapi_http_t *batchapi_http_new(const provider_t *p, const vb_options_t *o);

/* The batch_http_t the codecs call through. */
batch_http_t batchapi_http_ops(batchapi_http_t *h);

/* Bytes of request bodies this client has sent (uploads included). */
long long batchapi_http_uploaded(const batchapi_http_t *h);

/* Whether the last call failed without reaching the endpoint (no name, no connection, no
 * TLS handshake, a proxy's failure: send/net_failure.h). */
bool batchapi_http_unreachable(const batchapi_http_t *h);

/* Whether the last call timed out on a connection that gave not one byte back (a server
 * that takes connections and answers nothing). */
bool batchapi_http_silent(const batchapi_http_t *h);

/* Frees the client. NULL is a no-op. */
void batchapi_http_free(batchapi_http_t *h);

#endif
