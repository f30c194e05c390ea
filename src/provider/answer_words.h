/* answer_words.h - what every provider's answer parser does with a server's words: the
 * error verdict with a one-line message, a copy of a server message with the API key
 * scrubbed, a printable excerpt of a body that is not JSON, and the x-should-retry
 * header's say. Pure and thread-safe. */
#ifndef VB_ANSWER_WORDS_H
#define VB_ANSWER_WORDS_H

#include "provider/provider.h"

#include <stdbool.h>
#include <stddef.h>

/* Sets r's action and error kind (a static string) and formats its message, newlines
 * turned into spaces (a server message may hold them). */
void answer_set_error(answer_t *r, answer_action_t action, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A 3xx: the run stops. A redirect is never followed (the API key must not go to another
 * host), and every later request would be redirected the same way. */
void answer_set_redirect(answer_t *r, long status);

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

/* x-should-retry (should_retry: its value, or NULL when absent) decides retry against
 * fail-item for an answer that is neither a success nor a stop: "true" retries,
 * "false" fails the item, anything else leaves r as it is. */
void answer_obey_should_retry(answer_t *r, const char *should_retry);

#endif
