/* ratelimit_headers.h - what a server says about its limits (provider-facts.md §4):
 * OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens}, Anthropic's
 * anthropic-ratelimit-*, retry-after (seconds or HTTP date) and retry-after-ms. */
#ifndef VB_RATELIMIT_HEADERS_H
#define VB_RATELIMIT_HEADERS_H

#include <time.h>

/* Every field is -1 when the server did not send it. Durations are in seconds. */
typedef struct ratelimit_info {
    double limit_requests;     /* per minute */
    double limit_tokens;       /* per minute */
    double remaining_requests;
    double remaining_tokens;
    double reset_requests_s;   /* until the request limit is fully restored */
    double reset_tokens_s;
    double retry_after_s;      /* how long the server asks the client to wait */
} ratelimit_info_t;

/* Returns the value of a response header (case-insensitive name), or NULL. */
typedef const char *(*header_get_fn)(void *ctx, const char *name);

/* Reads the rate-limit headers through get. now is the wall-clock time, for HTTP dates
 * and RFC 3339 reset times. Unparseable values count as absent. */
void ratelimit_headers_parse(header_get_fn get, void *ctx, time_t now, ratelimit_info_t *out);

/* Parses a Go-style duration ("6m0s", "1s", "20ms", "1h2m3.5s", "250us") or a bare
 * number of seconds into *seconds. Returns 0, or -1 when s is not one. */
int ratelimit_parse_duration(const char *s, double *seconds);

/* Parses retry-after: seconds (integer or decimal) or an HTTP date relative to now.
 * Returns 0 with *seconds >= 0, or -1. */
int ratelimit_parse_retry_after(const char *s, time_t now, double *seconds);

#endif
