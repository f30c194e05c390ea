/* sim_json.h - structured answers: the simulator's side of response_format (OpenAI),
 * output_config.format (Anthropic) and responseMimeType/responseSchema (Gemini).
 *
 * Every protocol's parser leaves the request's wish in sim_request_t.response_format, in
 * OpenAI's shape: {"type":"json_object"} or {"type":"json_schema","json_schema":
 * {"schema":...}}. The answer is then a JSON object: for json_object one naming each
 * image's hash, format and size; for json_schema a value of the schema with every
 * required key filled with a plausible value of its type (type names in any case, so
 * Gemini's "OBJECT" works too), the images' hashes in its first free string (or under
 * "image_sha256" when the schema allows more keys). --bad-json-rate P makes a fraction P
 * of these answers broken JSON, for clients' retries. */
#ifndef VB_SIM_JSON_H
#define VB_SIM_JSON_H

#include <jansson.h>

#include "sim_request.h"

/* The structured answer's text for req (which has a response_format), or broken JSON
 * (cut half way) when draw (uniform in [0, 1)) is below bad_rate. Not yet cut at
 * max_tokens. malloc'd; NULL when out of memory. */
char *sim_json_answer_text(const sim_request_t *req, double bad_rate, double draw);

#endif
