/* ratelimit_headers.h - what a server says about its limits, as admission takes it
 * (ratelimit_info_t), and the value formats of rate-limit headers: numbers, Go-style
 * durations, RFC 3339 times, retry-after. Which headers carry them is the provider's
 * (provider_t.limits_parse). */
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

/* The value of header name read through get as a number >= 0, a duration in seconds,
 * or the seconds from now until an RFC 3339 time (0 when past); -1 when absent or
 * unparseable. */
double ratelimit_header_number(header_get_fn get, void *ctx, const char *name);
double ratelimit_header_duration(header_get_fn get, void *ctx, const char *name);
double ratelimit_header_rfc3339(header_get_fn get, void *ctx, const char *name, time_t now);

/* Parses a Go-style duration ("6m0s", "1s", "20ms", "1h2m3.5s", "250us") or a bare
 * number of seconds into *seconds. Returns 0, or -1 when s is not one. */
int ratelimit_parse_duration(const char *s, double *seconds);

/* Parses retry-after: seconds (integer or decimal) or an HTTP date relative to now.
 * Returns 0 with *seconds >= 0, or -1. */
int ratelimit_parse_retry_after(const char *s, time_t now, double *seconds);

#endif
