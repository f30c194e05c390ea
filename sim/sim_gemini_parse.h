/* sim_gemini_parse.h - checks a Gemini generateContent body the way the API does and
 * extracts what billing and the answer need. */
#ifndef VB_SIM_GEMINI_PARSE_H
#define VB_SIM_GEMINI_PARSE_H

#include <stddef.h>

#include "sim_config.h"
#include "sim_reply.h"
#include "sim_request.h"

/* Parses and validates body[0..len), a request for model (from the URL path), against
 * Gemini's rules and cfg's limits. Field names are taken in lowerCamelCase or snake_case,
 * as the API takes them; any other name is refused ("Unknown name"). On success returns 0
 * and fills *req (free with sim_request_free). On failure returns -1, fills *err (status
 * 400, or 500 when out of memory; code "invalid_image" for an image's own problems) and
 * leaves *req empty. Decodes every image fully (HEIC/HEIF: measured only); safe to call
 * from many threads at once. */
int sim_gemini_parse(const char *body, size_t len, const char *model, const sim_config_t *cfg,
                     sim_request_t *req, sim_error_t *err);

/* Whether model thinks before it answers (gemini-2.5-*, gemini-3*), so its answers carry
 * thoughtsTokenCount. */
int sim_gemini_model_thinks(const char *model);

#endif
