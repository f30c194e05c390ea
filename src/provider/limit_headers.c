/* limit_headers.c - what a provider's response headers say about its limits
 * (provider-facts.md §4): OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens},
 * Anthropic's anthropic-ratelimit-* (batch-api-facts.md §4; some OpenAI-compatible
 * servers in front of Claude pass them on, so OpenAI's parse falls back on them),
 * retry-after-ms and retry-after (seconds or an HTTP date). The values' formats are
 * parsed by admit/ratelimit_headers.c. */
#include "provider/anthropic_internal.h"
#include "provider/openai_internal.h"

#include <stdbool.h>
#include <stdio.h>

/* Keeps a if it is set (>= 0), else b. */
static double first_set(double a, double b)
{
    return a >= 0 ? a : b;
}

/* One anthropic-ratelimit-<kind>-{limit,remaining,reset} bucket. */
typedef struct bucket {
    double limit, remaining, reset_s;
} bucket_t;

static bucket_t bucket_read(header_get_fn get, void *ctx, const char *kind, time_t now)
{
    char name[64];
    bucket_t b;
    snprintf(name, sizeof name, "anthropic-ratelimit-%s-limit", kind);
    b.limit = ratelimit_header_number(get, ctx, name);
    snprintf(name, sizeof name, "anthropic-ratelimit-%s-remaining", kind);
    b.remaining = ratelimit_header_number(get, ctx, name);
    snprintf(name, sizeof name, "anthropic-ratelimit-%s-reset", kind);
    b.reset_s = ratelimit_header_rfc3339(get, ctx, name, now);
    return b;
}

/* The smaller of two values where -1 means unknown. */
static double smaller_set(double a, double b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

/* Anthropic's limits: the request bucket, and for tokens the tokens-* bucket (the most
 * restrictive limit in force, batch-api-facts.md §4) when the server sends it, else the
 * smaller of input-tokens-* and output-tokens-*, the reset being that of the bucket with
 * less remaining (the one a pause must wait for). Fields not announced stay -1;
 * retry_after_s is not touched. */
static void anthropic_ratelimit_read(header_get_fn get, void *ctx, time_t now,
                                     ratelimit_info_t *out)
{
    bucket_t req = bucket_read(get, ctx, "requests", now);
    out->limit_requests = req.limit;
    out->remaining_requests = req.remaining;
    out->reset_requests_s = req.reset_s;

    bucket_t tok = bucket_read(get, ctx, "tokens", now);
    if (tok.limit < 0 && tok.remaining < 0 && tok.reset_s < 0) {
        bucket_t in = bucket_read(get, ctx, "input-tokens", now);
        bucket_t outb = bucket_read(get, ctx, "output-tokens", now);
        tok.limit = smaller_set(in.limit, outb.limit);
        tok.remaining = smaller_set(in.remaining, outb.remaining);
        bool out_binds = outb.remaining >= 0 && (in.remaining < 0 || outb.remaining < in.remaining);
        tok.reset_s = out_binds ? first_set(outb.reset_s, in.reset_s)
                                : first_set(in.reset_s, outb.reset_s);
    }
    out->limit_tokens = tok.limit;
    out->remaining_tokens = tok.remaining;
    out->reset_tokens_s = tok.reset_s;
}

/* retry-after-ms, else retry-after (seconds or an HTTP date), else -1. */
static double retry_after_read(header_get_fn get, void *ctx, time_t now)
{
    double ms = ratelimit_header_number(get, ctx, "retry-after-ms");
    double s;
    if (ms >= 0)
        return ms / 1000.0;
    if (ratelimit_parse_retry_after(get(ctx, "retry-after"), now, &s) == 0)
        return s;
    return -1;
}

void openai_limits_parse(header_get_fn get, void *ctx, time_t now, ratelimit_info_t *out)
{
    ratelimit_info_t a;
    anthropic_ratelimit_read(get, ctx, now, &a);
    out->limit_requests = first_set(
        ratelimit_header_number(get, ctx, "x-ratelimit-limit-requests"), a.limit_requests);
    out->limit_tokens =
        first_set(ratelimit_header_number(get, ctx, "x-ratelimit-limit-tokens"), a.limit_tokens);
    out->remaining_requests =
        first_set(ratelimit_header_number(get, ctx, "x-ratelimit-remaining-requests"),
                  a.remaining_requests);
    out->remaining_tokens = first_set(
        ratelimit_header_number(get, ctx, "x-ratelimit-remaining-tokens"), a.remaining_tokens);
    out->reset_requests_s = first_set(
        ratelimit_header_duration(get, ctx, "x-ratelimit-reset-requests"), a.reset_requests_s);
    out->reset_tokens_s = first_set(
        ratelimit_header_duration(get, ctx, "x-ratelimit-reset-tokens"), a.reset_tokens_s);
    out->retry_after_s = retry_after_read(get, ctx, now);
}

void anthropic_limits_parse(header_get_fn get, void *ctx, time_t now, ratelimit_info_t *out)
{
    anthropic_ratelimit_read(get, ctx, now, out);
    out->retry_after_s = retry_after_read(get, ctx, now);
}
