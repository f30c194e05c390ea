/* fuzz_ratelimit_headers.c - libFuzzer target for the rate-limit header parser
 * (ratelimit_headers.c) and what the engine does with its result: the run's admission
 * state (admit.c: learned limits, pause, window) and the retry delay (backoff.c).
 *
 * Input: byte 0 picks the signal the response carried (ok, 429, overloaded, other) and
 * the limiter kind; the rest is a response header block, "Name: value" lines as a server
 * sends them. Lookups are case-insensitive and take the first header of a name, like
 * curl_easy_header. Checks: every field is -1 or a finite value >= 0; admission keeps a
 * window of at least one and a retry delay that is finite and capped. */
#include "fuzz_util.h"

#include "admit/admit.h"
#include "admit/backoff.h"
#include "admit/ratelimit_headers.h"
#include "provider/provider.h"

#include <math.h>
#include <strings.h>

#define MAX_HEADERS 64

typedef struct headers {
    char *names[MAX_HEADERS];
    char *values[MAX_HEADERS];
    size_t count;
} headers_t;

/* Splits text (modified in place) into "name: value" lines; a line without a colon is
 * skipped, the value loses its leading blanks and trailing CR/blanks as libcurl's do. */
static void headers_split(headers_t *h, char *text)
{
    h->count = 0;
    for (char *line = text; line && h->count < MAX_HEADERS;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t n = strlen(v);
            while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' ' || v[n - 1] == '\t'))
                v[--n] = '\0';
            h->names[h->count] = line;
            h->values[h->count] = v;
            h->count++;
        }
        line = nl ? nl + 1 : NULL;
    }
}

static const char *headers_get(void *ctx, const char *name)
{
    headers_t *h = ctx;
    for (size_t i = 0; i < h->count; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

static void check_field(double v)
{
    FUZZ_CHECK(v == -1 || (isfinite(v) && v >= 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = fuzz_strndup(data + 1, size - 1);
    headers_t h;
    headers_split(&h, text);
    const time_t now = 1795000000; /* a fixed "now" keeps runs reproducible */

    ratelimit_info_t info;
    provider_openai.limits_parse(headers_get, &h, now, &info);
    check_field(info.limit_requests);
    check_field(info.limit_tokens);
    check_field(info.remaining_requests);
    check_field(info.remaining_tokens);
    check_field(info.reset_requests_s);
    check_field(info.reset_tokens_s);
    check_field(info.retry_after_s);

    /* each value through the two public time parsers too */
    for (size_t i = 0; i < h.count; i++) {
        double s = -2;
        if (ratelimit_parse_duration(h.values[i], &s) == 0)
            FUZZ_CHECK(!isnan(s));
        if (ratelimit_parse_retry_after(h.values[i], now, &s) == 0)
            FUZZ_CHECK(s >= 0 && !isnan(s));
    }

    /* the engine's use: admission learns from the headers, retries honour retry-after */
    admit_settings_t as = {.rpm = 0, .tpm = 0, .burst = 0,
                           .kind = (data[0] >> 2) & 1 ? RATELIMIT_WINDOW : RATELIMIT_GCRA,
                           .concurrency = 50, .pause_base_s = 0.5, .pause_max_s = 30};
    admit_t *a = admit_new(&as);
    FUZZ_CHECK(a != NULL);
    uint64_t t = 1000000000ull;
    admit_signal_t signal = (admit_signal_t)(data[0] & 3);
    admit_on_response(a, signal, &info, t, 1, t + 1000);
    uint64_t wake = 0;
    for (int i = 0; i < 4; i++) {
        admit_verdict_t v = admit_try(a, 1000, i, t + 2000, &wake);
        FUZZ_CHECK(v == ADMIT_GO || v == ADMIT_WAIT || v == ADMIT_NEVER);
    }
    FUZZ_CHECK(admit_window(a) >= 1);
    FUZZ_CHECK(isfinite(admit_rpm(a)) && isfinite(admit_tpm(a)));
    admit_free(a);

    double d = backoff_delay(1, 0.5, 30, 0.5, info.retry_after_s, 120);
    FUZZ_CHECK(isfinite(d) && d >= 0 && d <= 120);

    free(text);
    return 0;
}
