/* sim_anthropic_parse.h - checks an Anthropic Messages body (POST /v1/messages) the way
 * the API does and extracts what billing and the answer need. */
#ifndef VB_SIM_ANTHROPIC_PARSE_H
#define VB_SIM_ANTHROPIC_PARSE_H

#include <stddef.h>

#include "sim_config.h"
#include "sim_reply.h"
#include "sim_request.h"

/* Parses and validates body[0..len) against Anthropic's rules and cfg's limits. On success
 * returns 0 and fills *req (free with sim_request_free). On failure returns -1, fills *err
 * (status 400, or 500 when out of memory; the message starts with the path of the
 * offending value, "messages.0.content.1.image.source.base64.data: ...", as Anthropic's
 * do; code "invalid_image" for an image's own problems) and leaves *req empty. Decodes
 * every image fully; safe to call from many threads at once. */
int sim_anthropic_parse(const char *body, size_t len, const sim_config_t *cfg, sim_request_t *req,
                        sim_error_t *err);

#endif
