/* sim_json.h - structured answers: the simulator's side of response_format.
 *
 * A request may ask for {"type":"json_object"} (its messages must then say "json", as
 * OpenAI demands) or {"type":"json_schema","json_schema":{"name","schema","strict"}}.
 * The answer is then a JSON object: for json_object one naming each image's hash,
 * format and size; for json_schema a value of the schema with every required key filled
 * with a plausible value of its type, the images' hashes in its first free string (or
 * under "image_sha256" when the schema allows more keys). --bad-json-rate P makes a
 * fraction P of these answers broken JSON, for clients' retries. The request's
 * response_format itself is checked with the rest of the request (sim_validate.c), which
 * keeps it in sim_request_t.response_format for the rewrite here. */
#ifndef VB_SIM_JSON_H
#define VB_SIM_JSON_H

#include <jansson.h>

#include "sim_reply.h"
#include "sim_validate.h"

/* Replaces the content of reply (a 200 built by sim_answer_build for req, which has a
 * response_format) with the structured answer, or with broken JSON when draw (uniform
 * in [0, 1)) is below bad_rate; fixes usage, billing and finish_reason (the content is
 * cut at max_tokens as text answers are). Returns 0, or -1 when out of memory. */
int sim_json_rewrite(const sim_request_t *req, double bad_rate, double draw, sim_reply_t *reply);

#endif
