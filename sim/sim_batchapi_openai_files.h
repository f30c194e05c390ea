/* sim_batchapi_openai_files.h - OpenAI's Files API on the simulator, as batches use it
 * (docs/batch-api-facts.md §1): POST /v1/files (multipart/form-data, purpose=batch and
 * file), GET /v1/files/{id} (the File object) and GET /v1/files/{id}/content (the bytes:
 * an upload, or a batch's output or error file). */
#ifndef VB_SIM_BATCHAPI_OPENAI_FILES_H
#define VB_SIM_BATCHAPI_OPENAI_FILES_H

#include "sim_batchapi.h"

/* Whether path is under /v1/files. */
int sim_batchapi_openai_files_serves(const char *path);

/* Answers bc (its key already accepted) into reply. Returns 0, or -1 when out of memory. */
int sim_batchapi_openai_files_handle(sim_batchapi_t *api, const sim_bcall_t *bc,
                                     sim_reply_t *reply);

#endif
