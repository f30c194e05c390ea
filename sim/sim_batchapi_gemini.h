/* sim_batchapi_gemini.h - the Gemini API's batch mode on the simulator
 * (docs/batch-api-facts.md §3), with x-goog-api-key as online:
 *   POST /upload/v1beta/files          resumable upload: "start", then "upload, finalize"
 *                                      to the X-Goog-Upload-URL it answers with
 *   GET  /v1beta/files/{id}            the File
 *   GET  /download/v1beta/files/{id}:download?alt=media   the bytes
 *   POST /v1beta/models/{model}:batchGenerateContent      {"batch":{display_name,
 *                                      input_config:{file_name}}} -> an Operation
 *   GET  /v1beta/batches/{id}          the Operation; GET /v1beta/batches[?pageSize&pageToken]
 *   POST /v1beta/batches/{id}:cancel   -> {} */
#ifndef VB_SIM_BATCHAPI_GEMINI_H
#define VB_SIM_BATCHAPI_GEMINI_H

#include "sim_batchapi.h"

/* Whether path is one of the endpoints above (any method). */
int sim_batchapi_gemini_serves(const char *path);

/* Answers bc (its key already accepted) into reply. Returns 0, or -1 when out of memory. */
int sim_batchapi_gemini_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply);

#endif
