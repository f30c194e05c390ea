/* sim_batchapi_gemini_files.h - the Gemini Files API as batch mode uses it, on the
 * simulator (docs/batch-api-facts.md §3), with x-goog-api-key as online:
 *   POST /upload/v1beta/files   resumable upload: "start" (X-Goog-Upload-Protocol:
 *                               resumable) answers X-Goog-Upload-URL
 *                               {root}/upload/v1beta/files?upload_id=<n>; then
 *                               "upload, finalize" at offset 0 with the whole file
 *   GET  /v1beta/files/{id}     the File
 *   GET  /download/v1beta/files/{id}:download?alt=media   its bytes (a batch's
 *                               responses file files/batch-<id>) */
#ifndef VB_SIM_BATCHAPI_GEMINI_FILES_H
#define VB_SIM_BATCHAPI_GEMINI_FILES_H

#include "sim_batchapi.h"

/* Whether path is one of the endpoints above (any method). */
int sim_batchapi_gemini_files_serves(const char *path);

/* Answers bc (its key already accepted) into reply. Returns 0, or -1 when out of memory. */
int sim_batchapi_gemini_files_handle(sim_batchapi_t *api, const sim_bcall_t *bc,
                                     sim_reply_t *reply);

/* A field of obj by its lowerCamelCase or snake_case name (the API takes either). */
json_t *sim_batchapi_gemini_member(const json_t *obj, const char *camel, const char *snake);

#endif
