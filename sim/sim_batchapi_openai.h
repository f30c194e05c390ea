/* sim_batchapi_openai.h - OpenAI's Files + Batches APIs on the simulator
 * (docs/batch-api-facts.md §1): POST /v1/files (multipart, purpose=batch),
 * GET /v1/files/{id}[/content], POST /v1/batches, GET /v1/batches[?limit&after],
 * GET /v1/batches/{id}, POST /v1/batches/{id}/cancel, for /v1/chat/completions lines. */
#ifndef VB_SIM_BATCHAPI_OPENAI_H
#define VB_SIM_BATCHAPI_OPENAI_H

#include "sim_batchapi.h"

/* Whether path is one of the endpoints above (any method). */
int sim_batchapi_openai_serves(const char *path);

/* Answers bc (its key already accepted) into reply. Returns 0, or -1 when out of memory. */
int sim_batchapi_openai_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply);

#endif
