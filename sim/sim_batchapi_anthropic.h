/* sim_batchapi_anthropic.h - Anthropic's Message Batches API on the simulator
 * (docs/batch-api-facts.md §2): POST /v1/messages/batches {"requests":[{custom_id,
 * params}]}, GET /v1/messages/batches[?limit&after_id], GET /v1/messages/batches/{id},
 * POST .../{id}/cancel, GET .../{id}/results, with x-api-key and anthropic-version as
 * online. */
#ifndef VB_SIM_BATCHAPI_ANTHROPIC_H
#define VB_SIM_BATCHAPI_ANTHROPIC_H

#include "sim_batchapi.h"

/* Whether path is /v1/messages/batches or under it. */
int sim_batchapi_anthropic_serves(const char *path);

/* Answers bc (its key already accepted) into reply. Returns 0, or -1 when out of memory. */
int sim_batchapi_anthropic_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply);

#endif
