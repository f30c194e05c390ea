/* test_ratelimit.c - pacing, header parsing, backoff and the adaptive window, on a
 * clock the tests move by hand (no sleeping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admit/adaptive.h"
#include "admit/backoff.h"
#include "admit/ratelimit.h"
#include "admit/ratelimit_headers.h"
#include "provider/provider.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define S 1000000000ull
#define MS 1000000ull

static void test_gcra_paces_evenly(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(RATELIMIT_GCRA, 6000, 1); /* 100/s: one per 10 ms */
    uint64_t now = 1000 * S;
    assert_int_equal(ratelimit_take(rl, 1, now), 0);
    uint64_t wait = ratelimit_take(rl, 1, now);
    assert_true(wait > 9 * MS && wait <= 10 * MS);
    /* a minute at the limit lets exactly 6000 through: no burst beyond one */
    int sent = 1;
    for (uint64_t t = now; t < now + 60 * S; t += MS)
        while (ratelimit_take(rl, 1, t) == 0)
            sent++;
    assert_true(sent >= 6000 && sent <= 6001);
    ratelimit_free(rl);
}

static void test_gcra_burst_then_pacing(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(RATELIMIT_GCRA, 600, 5); /* 10/s, burst 5 */
    uint64_t now = 50 * S;
    for (int i = 0; i < 5; i++)
        assert_int_equal(ratelimit_take(rl, 1, now), 0);
    assert_true(ratelimit_take(rl, 1, now) > 0);
    assert_int_equal(ratelimit_take(rl, 1, now + 100 * MS), 0);
    ratelimit_free(rl);
}

static void test_gcra_weights_for_tokens(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(RATELIMIT_GCRA, 30000, 1000); /* 30k tokens a minute */
    uint64_t now = 10 * S;
    /* heavier than the burst: goes when idle, and the next waits off the debt */
    assert_int_equal(ratelimit_take(rl, 15000, now), 0);
    uint64_t wait = ratelimit_take(rl, 1000, now);
    assert_true(wait > 29 * S && wait < 31 * S);
    /* heavier than the whole minute: can never go (provider-facts.md §4) */
    assert_int_equal(ratelimit_take(rl, 31538, now + 3600 * S), UINT64_MAX);
    /* a refund gives back what was never sent */
    ratelimit_refund(rl, 15000, now);
    assert_int_equal(ratelimit_take(rl, 1000, now), 0);
    ratelimit_free(rl);
}

static void test_window_allows_a_minute_at_once(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(RATELIMIT_WINDOW, 100, 1);
    uint64_t now = 7 * S + 500 * MS;
    for (int i = 0; i < 100; i++)
        assert_int_equal(ratelimit_take(rl, 1, now), 0);
    uint64_t wait = ratelimit_take(rl, 1, now);
    /* the bucket of second 7 leaves the window at second 67 */
    assert_int_equal(wait, 67 * S - now);
    assert_int_equal(ratelimit_take(rl, 1, 67 * S), 0);
    assert_int_equal(ratelimit_take(rl, 101, 200 * S), UINT64_MAX);
    ratelimit_free(rl);
}

static void test_block_and_set_limit(void **state)
{
    (void)state;
    ratelimit_t *rl = ratelimit_new(RATELIMIT_GCRA, 60, 1);
    ratelimit_block_until(rl, 5 * S);
    assert_int_equal(ratelimit_take(rl, 1, 2 * S), 3 * S);
    assert_int_equal(ratelimit_take(rl, 1, 5 * S), 0);
    ratelimit_set_limit(rl, 6000);
    assert_true(ratelimit_limit(rl) == 6000);
    ratelimit_free(rl);
}

static void test_durations(void **state)
{
    (void)state;
    const struct {
        const char *text;
        double seconds;
    } ok[] = {{"6m0s", 360}, {"1s", 1},     {"20ms", 0.02},  {"1h2m3.5s", 3723.5},
              {"0.5s", 0.5}, {"250us", 250e-6}, {"17", 17}, {"2.5", 2.5}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double d = -1;
        assert_int_equal(ratelimit_parse_duration(ok[i].text, &d), 0);
        assert_true(fabs(d - ok[i].seconds) < 1e-9);
    }
    const char *bad[] = {"", "s", "5x", "-1s", "1m-2s", "abc", "1 s", "1e308h2m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double d;
        assert_int_equal(ratelimit_parse_duration(bad[i], &d), -1);
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    double s;
    time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(ratelimit_parse_retry_after("120", now, &s), 0);
    assert_true(s == 120);
    assert_int_equal(ratelimit_parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now, &s), 0);
    assert_true(s == 30);
    assert_int_equal(ratelimit_parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now, &s), 0);
    assert_true(s == 0);
    assert_int_equal(ratelimit_parse_retry_after("soon", now, &s), -1);
}

typedef struct {
    const char *const (*pairs)[2];
    size_t n;
} fake_headers_t;

static const char *fake_get(void *ctx, const char *name)
{
    fake_headers_t *h = ctx;
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->pairs[i][0], name) == 0)
            return h->pairs[i][1];
    return NULL;
}

static void test_openai_headers(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"x-ratelimit-limit-requests", "60"},      {"x-ratelimit-limit-tokens", "150000"},
        {"x-ratelimit-remaining-requests", "59"},  {"x-ratelimit-remaining-tokens", "149984"},
        {"x-ratelimit-reset-requests", "1s"},      {"x-ratelimit-reset-tokens", "6m0s"},
        {"retry-after", "7"},                      {"retry-after-ms", "1500"}};
    fake_headers_t h = {pairs, sizeof pairs / sizeof pairs[0]};
    ratelimit_info_t info;
    provider_openai.limits_parse(fake_get, &h, 0, &info);
    assert_true(info.limit_requests == 60 && info.limit_tokens == 150000);
    assert_true(info.remaining_requests == 59 && info.remaining_tokens == 149984);
    assert_true(info.reset_requests_s == 1 && info.reset_tokens_s == 360);
    assert_true(info.retry_after_s == 1.5); /* retry-after-ms is the more precise */
}

static void test_anthropic_headers_and_absent(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"anthropic-ratelimit-requests-limit", "50"},
        {"anthropic-ratelimit-requests-remaining", "49"},
        {"anthropic-ratelimit-requests-reset", "2015-10-21T07:28:01Z"},
        {"anthropic-ratelimit-input-tokens-limit", "40000"},
        {"anthropic-ratelimit-input-tokens-reset", "2015-10-21T09:28:30+02:00"},
        {"retry-after", "garbage"}};
    fake_headers_t h = {pairs, sizeof pairs / sizeof pairs[0]};
    ratelimit_info_t info;
    provider_openai.limits_parse(fake_get, &h, 1445412480, &info);
    assert_true(info.limit_requests == 50 && info.remaining_requests == 49);
    assert_true(info.reset_requests_s == 1);
    assert_true(info.limit_tokens == 40000 && info.reset_tokens_s == 30);
    assert_true(info.remaining_tokens == -1 && info.retry_after_s == -1);
}

static void test_backoff(void **state)
{
    (void)state;
    /* the SDKs' constants: 0.5 s doubling, 8 s cap, up to 25% jitter */
    assert_true(backoff_delay(1, 0.5, 8, 0, -1, 60) == 0.5);
    assert_true(backoff_delay(3, 0.5, 8, 0, -1, 60) == 2.0);
    assert_true(backoff_delay(10, 0.5, 8, 0, -1, 60) == 8.0);
    assert_true(backoff_delay(10, 0.5, 8, 0.999, -1, 60) > 6.0);
    assert_true(backoff_delay(1000, 1, 30, 0, -1, 60) == 30);
    /* a longer retry-after wins, capped */
    assert_true(backoff_delay(1, 0.5, 8, 0, 20, 60) == 20);
    assert_true(backoff_delay(1, 0.5, 8, 0, 600, 60) == 60);
    assert_true(backoff_delay(4, 0.5, 8, 0, 0.1, 60) == 4);
}

static void test_adaptive_window(void **state)
{
    (void)state;
    adaptive_t a;
    adaptive_init(&a, 4, 1, 200, 0.5);
    assert_int_equal(adaptive_window(&a), 4);
    for (int i = 0; i < 4; i++)
        adaptive_on_success(&a, adaptive_window(&a)); /* slow start: doubles in one round */
    assert_int_equal(adaptive_window(&a), 8);
    adaptive_on_success(&a, 1); /* idle window: no growth */
    assert_int_equal(adaptive_window(&a), 8);
    adaptive_on_drop(&a);
    assert_int_equal(adaptive_window(&a), 4);
    for (int i = 0; i < 4; i++)
        adaptive_on_success(&a, 4); /* congestion avoidance: about +1 per round */
    assert_int_equal(adaptive_window(&a), 4);
    adaptive_on_success(&a, 4);
    assert_int_equal(adaptive_window(&a), 5);
    for (int i = 0; i < 20; i++)
        adaptive_on_drop(&a);
    assert_int_equal(adaptive_window(&a), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcra_paces_evenly),
        cmocka_unit_test(test_gcra_burst_then_pacing),
        cmocka_unit_test(test_gcra_weights_for_tokens),
        cmocka_unit_test(test_window_allows_a_minute_at_once),
        cmocka_unit_test(test_block_and_set_limit),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_openai_headers),
        cmocka_unit_test(test_anthropic_headers_and_absent),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_adaptive_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
