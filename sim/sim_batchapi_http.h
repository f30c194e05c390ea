/* sim_batchapi_http.h - the batch APIs' side of the server: which paths they serve, how
 * large a body each takes, and answering a call (the key checked as the protocol checks
 * an online call's, then the endpoint's handler). Synchronous: no latency, limits or
 * online faults apply to these calls. */
#ifndef VB_SIM_BATCHAPI_HTTP_H
#define VB_SIM_BATCHAPI_HTTP_H

#include <stddef.h>

#include "sim_batchapi.h"
#include "sim_protocol.h"
#include "sim_reply.h"

/* The protocol whose batch API serves path (any method), or NULL:
 * OpenAI /v1/files..., /v1/batches...; Anthropic /v1/messages/batches...; Gemini
 * /upload/v1beta/files, /download/v1beta/files/..., /v1beta/files/...,
 * /v1beta/batches..., /v1beta/models/{model}:batchGenerateContent. */
const sim_protocol_t *sim_batchapi_route(const char *path);

/* The largest body a call to path may send: the provider's file or batch cap for uploads
 * (OpenAI 200 MiB of file plus the multipart framing, Anthropic 256 MiB, Gemini 2 GiB),
 * 1 MiB elsewhere. */
size_t sim_batchapi_body_limit(const char *path);

/* Answers call (call->proto from sim_batchapi_route; method "GET", "POST", ...) into
 * reply. *body_buf is the malloc'd buffer behind call->body: an upload takes it over
 * (setting *body_buf to NULL). Returns 0, or -1 when out of memory (reply unusable). */
int sim_batchapi_handle(sim_batchapi_t *api, const char *method, const sim_call_t *call,
                        char **body_buf, sim_reply_t *reply);

#endif
