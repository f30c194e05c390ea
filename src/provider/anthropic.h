/* anthropic.h - the Anthropic Messages API (provider_anthropic, provider.h) and the pieces
 * of it tests and fuzz targets call directly.
 *
 * A request is one user message whose content is an image block, then a text block; the
 * template's image place is the whole image block's "source" object ({"type":"base64",
 * "media_type","data"} or {"type":"url","url"}), so a group body reuses each member's
 * source as it is. */
#ifndef VB_ANTHROPIC_H
#define VB_ANTHROPIC_H

#include "provider/provider.h"

#include <stddef.h>

/* The anthropic-version header every request carries (batch-api-facts.md §2). */
#define ANTHROPIC_VERSION "2023-06-01"

/* Parses and classifies an HTTP answer of the Messages API (batch-api-facts.md §4):
 * status, body[0..len) (not NUL-terminated) and the value of an x-should-retry header
 * (NULL when absent), which decides retry against fail-item but never turns a stop into
 * a retry. secret (may be NULL) is scrubbed from every server word before it is cut to
 * fit the message. Fills *out; free with answer_clear. provider_anthropic.answer_parse
 * reads the header and calls this. */
void anthropic_response_parse(long status, const char *body, size_t len, const char *should_retry,
                              const char *secret, answer_t *out);

/* Checks schema against what Anthropic's structured outputs accept
 * (platform.claude.com/docs/en/build-with-claude/structured-outputs, "JSON Schema
 * limitations"): every object with "additionalProperties": false; no numerical
 * (minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf), string (minLength,
 * maxLength) or array (maxItems, minItems other than 0 or 1) constraints; enum values
 * that are not objects or arrays; no $ref outside the document; no recursion. Returns 0,
 * or -1 with the JSON path and the rule in why. */
int anthropic_schema_check(const json_t *schema, char *why, size_t whylen);

#endif
