/* sim_server.h - the simulator's HTTP side: libmicrohttpd, routing, uploads, stats.
 *
 * Routes: each protocol's endpoint (sim_protocol.h: POST /v1/chat/completions,
 * /v1/messages, /v1beta/models/{model}:generateContent), their batch APIs
 * (sim_batchapi_http.h), GET /v1/models, GET /sim/stats, POST /sim/reset.
 * Every connection has its own thread, so a call that waits out its latency (or is held
 * without an answer) blocks no other call. */
#ifndef VB_SIM_SERVER_H
#define VB_SIM_SERVER_H

#include <stddef.h>

#include "sim_config.h"

typedef struct sim_server sim_server_t;

/* Starts listening on cfg->host:cfg->port (cfg must outlive the server) and serving from
 * background threads. Returns the server, or NULL with a reason in err. Stop and free it
 * with sim_server_stop. */
sim_server_t *sim_server_start(const sim_config_t *cfg, char *err, size_t errlen);

/* The base URL clients use, e.g. "http://127.0.0.1:43123/v1" (the real port when the
 * kernel picked it). Owned by the server. */
const char *sim_server_base_url(const sim_server_t *s);

/* Stops listening, wakes every call that is waiting out its latency or held without an
 * answer (they end without a response), waits for every connection thread to end, and
 * frees s. NULL is a no-op. */
void sim_server_stop(sim_server_t *s);

#endif
