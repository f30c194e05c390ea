/* sim_stats.h - the simulator's counters, served as JSON on GET /sim/stats.
 *
 * Only the protocols' calls are counted (chat/completions, messages, generateContent),
 * together and per protocol. A call is "in flight" from the moment its headers arrive
 * until its response is queued (or the client goes away). */
#ifndef VB_SIM_STATS_H
#define VB_SIM_STATS_H

#include <jansson.h>

#include "sim_protocol.h"
#include "sim_reply.h"

typedef struct sim_stats sim_stats_t;

/* Creates zeroed counters. Returns NULL when out of memory. */
sim_stats_t *sim_stats_new(void);

/* Frees s; NULL is a no-op. */
void sim_stats_free(sim_stats_t *s);

/* A call's headers arrived on proto's path: requests + 1 (overall and proto's),
 * in_flight + 1, and first_request_ms when it is the first. */
void sim_stats_call_begin(sim_stats_t *s, sim_proto_id_t proto);

/* A call carried an API key in its URL (?key=): key_in_url + 1. */
void sim_stats_key_in_url(sim_stats_t *s);

/* The call is over (reply was queued, or the call was held until it was dropped, as
 * reply->fault says): in_flight - 1 and last_response_ms (unless it was a timeout).
 * A complete response counts in responses[status], a 200 without a fault bills its
 * images, distinct image hashes and tokens; an injected fault counts in faults, a 429 by
 * its refusal in rate_limited or quota_rejected. */
void sim_stats_call_end(sim_stats_t *s, const sim_reply_t *reply);

/* The call ended without a response (client disconnected): in_flight - 1. */
void sim_stats_call_abort(sim_stats_t *s);

/* Zeroes every counter and forgets the image hashes and the first/last times; in_flight is
 * the present state and is kept (max_in_flight restarts from it). */
void sim_stats_reset(sim_stats_t *s);

/* The counters as a compact JSON object, malloc'd (caller frees), or NULL when out of
 * memory:
 * {"requests","responses":{"<status>":n},"in_flight","max_in_flight","images_billed",
 *  "distinct_images_billed","prompt_tokens","completion_tokens","image_tokens",
 *  "rate_limited","quota_rejected","invalid_images","faults":{"500","502","503","529",
 *  "timeout","reset",<bad bodies>},"first_request_ms","last_response_ms","batch_answers",
 *  "garbled":{"count","json","order"},"requests_by_protocol":{"openai","anthropic",
 *  "gemini"},"key_in_url"}. The times are monotonic milliseconds since the counters were
 * created (the simulator's start), 0 while there is none. */
char *sim_stats_json(sim_stats_t *s);

/* sim_stats_json with one more member: extra_key set to extra (its reference is taken
 * over; NULL: none), e.g. the batch APIs' counters (sim_batchapi.h). */
char *sim_stats_json_with(sim_stats_t *s, const char *extra_key, json_t *extra);

#endif
