/* sim_openai_parse.h - checks a chat/completions body the way a strict provider (OpenAI)
 * does and extracts what billing and the answer need. */
#ifndef VB_SIM_OPENAI_PARSE_H
#define VB_SIM_OPENAI_PARSE_H

#include <stddef.h>

#include "sim_config.h"
#include "sim_reply.h"
#include "sim_request.h"

/* Parses and validates body[0..len) against cfg's limits. On success returns 0 and fills
 * *req (free with sim_request_free). On failure returns -1, fills *err (status 400; 500
 * when out of memory) and leaves *req empty. Decodes every image fully, so it is slow for
 * large images; safe to call from many threads at once. */
int sim_openai_parse(const char *body, size_t len, const sim_config_t *cfg, sim_request_t *req,
                     sim_error_t *err);

#endif
