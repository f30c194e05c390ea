/* sim_protocol.h - the wire protocols the simulator speaks, one table each: OpenAI
 * chat/completions (sim_openai.c), Anthropic Messages (sim_anthropic.c) and Gemini
 * generateContent (sim_gemini.c).
 *
 * A protocol says which path it serves, how a call authenticates, how its body parses
 * into the shared sim_request_t, and how every answer looks on its wire: the 200, the
 * error bodies, the rate-limit headers and 429s, the quota refusal and the injected
 * server errors. Everything else (the order of the checks, limits, quota, latency,
 * faults, stats) is shared in sim_policy.c and sim_server.c, so the three behave alike
 * under the same options. Each table is read-only and every function is thread-safe. */
#ifndef VB_SIM_PROTOCOL_H
#define VB_SIM_PROTOCOL_H

#include <stddef.h>

#include "sim_answer.h"
#include "sim_config.h"
#include "sim_limits.h"
#include "sim_reply.h"
#include "sim_request.h"

typedef enum {
    SIM_PROTO_OPENAI = 0,
    SIM_PROTO_ANTHROPIC,
    SIM_PROTO_GEMINI,
    SIM_PROTO_COUNT
} sim_proto_id_t;

typedef struct sim_protocol sim_protocol_t;

/* Looks up a request header (query 0; case-insensitive) or a URL query argument (query
 * 1) of the call behind ctx. Returns the value (owned by the connection), or NULL. */
typedef const char *(*sim_lookup_fn)(void *ctx, int query, const char *name);

/* One call as the server received it. */
typedef struct {
    const sim_protocol_t *proto; /* the protocol whose path it came in on */
    unsigned long id;            /* the request's number: ids and request-id headers */
    const char *path;            /* the URL path, without the query */
    const char *body;            /* the complete body (NULL when too large) */
    size_t body_len;
    int body_too_large; /* the upload went past the body limit and was dropped */
    sim_lookup_fn lookup;
    void *lookup_ctx;
} sim_call_t;

/* The call's request header name (case-insensitive), or NULL. */
const char *sim_call_header(const sim_call_t *call, const char *name);

/* The call's URL query argument name, or NULL. */
const char *sim_call_query(const sim_call_t *call, const char *name);

/* Every function fills reply (initialised by the caller) and returns 0, or -1 when out
 * of memory, unless it says otherwise. */
struct sim_protocol {
    sim_proto_id_t id;
    const char *name;      /* "openai", "anthropic", "gemini": the stats' keys */
    const char *usage_key; /* the 200's usage member ("usage", "usageMetadata") */
    size_t max_body_bytes; /* the provider's own request-size cap; 0: --max-body-bytes only */

    /* Whether POST path is this protocol's endpoint. */
    int (*serves)(const char *path);
    /* Checks the call's key against --key (cfg->key; NULL accepts any). Returns 0 when
     * accepted; otherwise fills reply with the refusal and returns -1 (-2 when even that
     * failed: out of memory). */
    int (*authorize)(const sim_config_t *cfg, const sim_call_t *call, sim_reply_t *reply);
    /* Checks the call's headers and body the way the provider does and fills *req (free
     * with sim_request_free). Returns 0, or -1 with *err filled (its status: 400, 404,
     * 500 when out of memory) and *req empty. Slow: it decodes every image. */
    int (*parse)(const sim_config_t *cfg, const sim_call_t *call, sim_request_t *req,
                 sim_error_t *err);
    /* The error body for err (any status: 400, 404, 413, 500). */
    int (*refuse)(sim_reply_t *reply, const sim_error_t *err);
    /* The 200 carrying answer (composed for req, billed in reply->billing, which the
     * protocol may add to: Gemini's thinking tokens). id numbers the answer. */
    int (*answer)(const sim_request_t *req, const sim_answer_t *answer, unsigned long id,
                  sim_reply_t *reply);
    /* The refusal of a request over the limits (res->verdict != SIM_LIMIT_OK) of model,
     * with retry hints; limit_headers is added by the caller. Sets reply->refusal. */
    int (*limited)(const sim_config_t *cfg, const sim_limit_result_t *res, const char *model,
                   sim_reply_t *reply);
    /* Adds the rate-limit headers the provider sends (none for Gemini). Only called with
     * --rpm or --tpm set. Never fails (a full header table drops headers). */
    void (*limit_headers)(const sim_config_t *cfg, const sim_limit_result_t *res,
                          sim_reply_t *reply);
    /* The refusal once --quota-after (cfg->quota_after) is spent (model: the request's).
     * Sets reply->refusal. */
    int (*quota)(const sim_config_t *cfg, const char *model, sim_reply_t *reply);
    /* The n-th injected server error: the provider's kinds in turn. Drops the billing and
     * sets reply->fault to SIM_FAULT_HTTP. */
    int (*server_error)(unsigned long n, sim_reply_t *reply);
    /* Adds the headers every answer of call id carries (request ids, processing time). */
    void (*response_headers)(unsigned long id, long elapsed_ms, sim_reply_t *reply);
};

extern const sim_protocol_t sim_protocol_openai;
extern const sim_protocol_t sim_protocol_anthropic;
extern const sim_protocol_t sim_protocol_gemini;

/* The protocol whose endpoint POST path is, or NULL. */
const sim_protocol_t *sim_protocol_for_path(const char *path);

/* The protocol of id (id < SIM_PROTO_COUNT). */
const sim_protocol_t *sim_protocol_get(sim_proto_id_t id);

/* The largest body a call of p may send: --max-body-bytes, or p's own cap when smaller. */
size_t sim_protocol_body_limit(const sim_protocol_t *p, const sim_config_t *cfg);

/* Drops reply's billing (an error bills nothing). */
void sim_protocol_drop_billing(sim_reply_t *reply);

#endif
