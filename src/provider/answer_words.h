/* answer_words.h - what every provider's answer parser does with a server's words: the
 * error verdict with a one-line message, a copy of a server message with the API key
 * scrubbed, a printable excerpt of a body that is not JSON, and the x-should-retry
 * header's say. Pure and thread-safe. */
#ifndef VB_ANSWER_WORDS_H
#define VB_ANSWER_WORDS_H

#include "provider/provider.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Sets r's action and error kind (a static string) and formats its message, newlines
 * turned into spaces (a server message may hold them). */
void answer_set_error(answer_t *r, answer_action_t action, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A 3xx: the run stops. A redirect is never followed (the API key must not go to another
 * host), and every later request would be redirected the same way. The message names
 * location (the Location header; NULL when none) without its user:password part, query
 * and fragment, and with secret (may be NULL) scrubbed, so the user can fix --base-url. */
void answer_set_redirect(answer_t *r, long status, const char *location, const char *secret);

/* A 404 or 405 (status) that r (already classified) carries: no request to the endpoint
 * can succeed, so the run stops. model_missing (the body says the model is not found)
 * makes it kind "model_not_found", else "not_found" (the path is unknown: the engine adds
 * the base URL's hint). Any other status, or a success, leaves r as it is. */
void answer_mark_not_found(answer_t *r, long status, bool model_missing);

/* A copy of a server's message (at most its first max bytes: a body is not
 * NUL-terminated) with secret scrubbed, in a buffer large enough for the masks. Returns
 * a malloc'd string (NULL when msg is NULL or out of memory). */
char *answer_scrubbed(const char *msg, size_t max, const char *secret);

/* The first 120 bytes of body[0..len) with control bytes as spaces, into out. */
void answer_body_excerpt(const char *body, size_t len, char *out, size_t outlen);

/* The most tokens one request can be billed for: 10,000,000, five times the largest
 * context window sold (Gemini's 2M input). A server's count above it is not a bill but a
 * broken or hostile answer; capping here also keeps every sum of counts far from overflow. */
#define ANSWER_USAGE_MAX 10000000L

/* One token count of a usage object: the value, -1 when v is absent or null, and -1 with
 * *bad set when it is there but no request can have it (negative, not an integer, over
 * ANSWER_USAGE_MAX). */
long answer_usage_count(const json_t *v, bool *bad);

/* Ends the parse of an answer whose usage was flagged (a->usage_bad): the counts become
 * unknown (-1: the budget keeps the worst case) and an ok answer is not used: the item
 * fails with "invalid_response" (asking again would be billed by the same broken count). */
void answer_vet_usage(answer_t *a);

/* x-should-retry (should_retry: its value, or NULL when absent) decides retry against
 * fail-item for an answer that is neither a success nor a stop: "true" retries,
 * "false" fails the item, anything else leaves r as it is. */
void answer_obey_should_retry(answer_t *r, const char *should_retry);

#endif
