/* preflight.h - one cheap request before the first upload: does the server have the
 * job's model? (issue #17 point 5). Where the provider lists its models
 * (provider_t.models_url), one blocking GET on the batch API's HTTP client
 * (send/batchapi_http.h: the same key headers, TLS and proxy settings) says so: a model
 * the listing lacks, a key refused, or an endpoint that cannot be reached stop the run
 * before a single image is uploaded; anything else (a server without the listing, a slow
 * one, a listing cut short) lets the run go on as if nothing was asked. */
#ifndef VB_PREFLIGHT_H
#define VB_PREFLIGHT_H

#include "provider/provider.h"

#include <stddef.h>
#include <visionbatch.h>

/* The preflight wait at most (or --timeout when shorter): a listing is one small GET. */
#define PREFLIGHT_TIMEOUT_S 30.0

/* Asks provider pv's listing (under o->base_url, with o's key) for o->model, unless
 * o->no_preflight. Returns 0 when the run may go on, -1 with the reason in err (one line,
 * the key scrubbed) when it must stop: "model gpt-4o-mnii not found; the server lists:
 * gpt-4o-mini, gpt-4o", the key refused (401/403), or the endpoint unreachable. */
int preflight_run(const provider_t *pv, const vb_options_t *o, char *err, size_t errlen);

#endif
