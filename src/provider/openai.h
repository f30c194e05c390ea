/* openai.h - OpenAI chat/completions, the format every "OpenAI-compatible" server speaks
 * (vLLM, Ollama, resellers): the provider_openai table (provider.h) and the pieces of it
 * tests and fuzz targets call directly.
 *
 * Request bodies follow CreateChatCompletionRequest of OpenAI's OpenAPI document: one
 * user message whose content is a text part and an image_url part; the template's image
 * place is the image_url's URL (a data URL, or an http(s) URL), so a group body reuses
 * each member's URL as it is. */
#ifndef VB_OPENAI_H
#define VB_OPENAI_H

#include "provider/provider.h"

#include <stddef.h>

/* Parses and classifies an HTTP answer (provider-facts.md §4, "Which responses to
 * retry"): status, body[0..len) and the value of an x-should-retry header (NULL when
 * absent), which overrides the table. secret (may be NULL) is scrubbed from the server's
 * words before they are cut to fit the message, so no part of it survives. Fills *out;
 * free with answer_clear. provider_openai.answer_parse reads the header and calls this. */
void openai_response_parse(long status, const char *body, size_t len, const char *should_retry,
                           const char *secret, answer_t *out);

/* Checks schema against what OpenAI's strict mode accepts: an object at the root, and
 * every object (in properties, items, anyOf, $defs, definitions) with
 * "additionalProperties": false and all its properties in "required". Returns 0, or -1
 * with the JSON path and the rule in why. provider_openai.structured_option refuses
 * such a schema, so a run does not send thousands of requests the provider answers 400. */
int openai_schema_strict_check(const json_t *schema, char *why, size_t whylen);

#endif
