/* limit_headers.c - what a provider's response headers say about its limits
 * (provider-facts.md §4): OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens},
 * Anthropic's anthropic-ratelimit-* (some OpenAI-compatible servers in front of Claude
 * pass them on), retry-after-ms and retry-after (seconds or an HTTP date). The values'
 * formats are parsed by admit/ratelimit_headers.c. */
#include "provider/openai_internal.h"

#include <stdio.h>

/* Keeps a if it is set (>= 0), else b. */
static double first_set(double a, double b)
{
    return a >= 0 ? a : b;
}

void openai_limits_parse(header_get_fn get, void *ctx, time_t now, ratelimit_info_t *out)
{
    out->limit_requests = ratelimit_header_number(get, ctx, "x-ratelimit-limit-requests");
    out->limit_tokens = ratelimit_header_number(get, ctx, "x-ratelimit-limit-tokens");
    out->remaining_requests = ratelimit_header_number(get, ctx, "x-ratelimit-remaining-requests");
    out->remaining_tokens = ratelimit_header_number(get, ctx, "x-ratelimit-remaining-tokens");
    out->reset_requests_s = ratelimit_header_duration(get, ctx, "x-ratelimit-reset-requests");
    out->reset_tokens_s = ratelimit_header_duration(get, ctx, "x-ratelimit-reset-tokens");

    /* Anthropic: tokens, else input tokens (what a vision request mostly is) */
    out->limit_requests =
        first_set(out->limit_requests,
                  ratelimit_header_number(get, ctx, "anthropic-ratelimit-requests-limit"));
    out->remaining_requests =
        first_set(out->remaining_requests,
                  ratelimit_header_number(get, ctx, "anthropic-ratelimit-requests-remaining"));
    out->reset_requests_s =
        first_set(out->reset_requests_s,
                  ratelimit_header_rfc3339(get, ctx, "anthropic-ratelimit-requests-reset", now));
    static const char *const token_kinds[] = {"tokens", "input-tokens"};
    for (size_t i = 0; i < 2; i++) {
        char name[64];
        snprintf(name, sizeof name, "anthropic-ratelimit-%s-limit", token_kinds[i]);
        out->limit_tokens = first_set(out->limit_tokens, ratelimit_header_number(get, ctx, name));
        snprintf(name, sizeof name, "anthropic-ratelimit-%s-remaining", token_kinds[i]);
        out->remaining_tokens =
            first_set(out->remaining_tokens, ratelimit_header_number(get, ctx, name));
        snprintf(name, sizeof name, "anthropic-ratelimit-%s-reset", token_kinds[i]);
        out->reset_tokens_s =
            first_set(out->reset_tokens_s, ratelimit_header_rfc3339(get, ctx, name, now));
    }

    double ms = ratelimit_header_number(get, ctx, "retry-after-ms");
    double s;
    if (ms >= 0)
        out->retry_after_s = ms / 1000.0;
    else if (ratelimit_parse_retry_after(get(ctx, "retry-after"), now, &s) == 0)
        out->retry_after_s = s;
    else
        out->retry_after_s = -1;
}
