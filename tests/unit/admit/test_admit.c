/* test_admit.c - admission: window, pacing, learned limits, run-wide pause; and the
 * retry queue's order. Time is moved by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admit/admit.h"
#include "send/retryq.h"

#include <stdlib.h>

#define S 1000000000ull
#define MS 1000000ull

static admit_settings_t settings(double rpm, double tpm, long concurrency)
{
    admit_settings_t s = {.rpm = rpm,
                          .tpm = tpm,
                          .kind = RATELIMIT_GCRA,
                          .concurrency = concurrency,
                          .pause_base_s = 0.5,
                          .pause_max_s = 30};
    return s;
}

static ratelimit_info_t no_info(void)
{
    ratelimit_info_t i = {-1, -1, -1, -1, -1, -1, -1};
    return i;
}

static void test_window_starts_small_and_grows(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 200);
    admit_t *a = admit_new(&s);
    uint64_t wake, now = 10 * S;
    assert_int_equal(admit_window(a), 16);
    assert_int_equal(admit_try(a, 100, 15, now, &wake), ADMIT_GO);
    assert_int_equal(admit_try(a, 100, 16, now, &wake), ADMIT_WAIT);
    assert_int_equal(wake, UINT64_MAX); /* a completion will make room */
    for (int i = 0; i < 16; i++)
        admit_on_response(a, ADMIT_SIGNAL_OK, NULL, now, 16, now);
    assert_int_equal(admit_window(a), 32);
    admit_free(a);
}

static void test_window_opens_when_server_publishes_no_limit(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 200);
    admit_t *a = admit_new(&s);
    uint64_t now = 10 * S;
    ratelimit_info_t info = no_info();
    assert_int_equal(admit_window(a), 16);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, now, 16, now);
    assert_int_equal(admit_window(a), 200);
    info.retry_after_s = 5; /* not an isolated 429: a real congestion event */
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, now, 200, now + S);
    assert_int_equal(admit_window(a), 140); /* a 429 still cuts it */
    info.retry_after_s = -1;
    admit_free(a);

    /* after a congestion event, a plain answer does not reopen it */
    a = admit_new(&s);
    admit_on_response(a, ADMIT_SIGNAL_OVERLOADED, &info, now, 16, now);
    long cut = admit_window(a);
    assert_true(cut < 16);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, now + S, 1, now + S);
    assert_true(admit_window(a) <= cut + 1);
    admit_free(a);
}

static void test_user_rpm_paces(void **state)
{
    (void)state;
    admit_settings_t s = settings(6000, 0, 50);
    admit_t *a = admit_new(&s);
    uint64_t wake, now = 5 * S;
    int sent = 0;
    while (admit_try(a, 1, 0, now, &wake) == ADMIT_GO)
        sent++;
    assert_int_equal(sent, 2); /* burst: 20 ms of 100/s */
    assert_true(wake > now && wake <= now + 10 * MS);
    assert_true(admit_rpm(a) == 6000);
    admit_free(a);
}

static void test_learns_limit_from_headers(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 200);
    admit_t *a = admit_new(&s);
    assert_true(admit_rpm(a) == 0);
    ratelimit_info_t info = no_info();
    info.limit_requests = 6000;
    info.remaining_requests = 90;
    info.limit_tokens = 1000000;
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_true(admit_rpm(a) == 6000 * 0.98);
    assert_true(admit_tpm(a) == 1000000 * 0.98);
    assert_int_equal(admit_window(a), 200); /* pacing takes over from probing */
    /* a user's limit is never exceeded by a larger learned one */
    admit_free(a);
    s = settings(3000, 0, 200);
    a = admit_new(&s);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_true(admit_rpm(a) == 3000);
    admit_free(a);
}

/* With ramp_s, a learned limit is approached from 20% of it, linearly; a user's limit is
 * paced at once; a 429 event ends the ramp. */
static void test_learned_limit_ramps_up(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 200);
    s.ramp_s = 30;
    admit_t *a = admit_new(&s);
    ratelimit_info_t info = no_info();
    info.limit_requests = 1000;
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_float_equal(admit_rpm(a), 980 * 0.2, 1e-6);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 16 * S, 1, 16 * S); /* half way */
    assert_float_equal(admit_rpm(a), 980 * 0.6, 1e-6);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 40 * S, 1, 40 * S);
    assert_float_equal(admit_rpm(a), 980, 1e-6);
    admit_free(a);

    s = settings(500, 0, 200); /* the user's limit: no ramp */
    s.ramp_s = 30;
    a = admit_new(&s);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_float_equal(admit_rpm(a), 500, 1e-6);
    admit_free(a);

    s = settings(0, 0, 200); /* without ramp_s: the whole learned limit at once */
    a = admit_new(&s);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_float_equal(admit_rpm(a), 980, 1e-6);
    admit_free(a);
}

/* A server that states limits only in 429s: probing starts at 2 and a plain success does
 * not open the window at once (it would for a server that publishes no limits at all). */
static void test_quiet_server_probes_from_two(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 64);
    s.no_limit_headers = 1;
    admit_t *a = admit_new(&s);
    assert_int_equal(admit_window(a), 2);
    ratelimit_info_t info = no_info();
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_true(admit_window(a) < 64);
    admit_free(a);
    s.no_limit_headers = 0;
    a = admit_new(&s);
    assert_int_equal(admit_window(a), 16);
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, 1 * S, 1, 1 * S);
    assert_int_equal(admit_window(a), 64);
    admit_free(a);
}

static void test_nothing_remaining_pauses_one_interval(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 10);
    admit_t *a = admit_new(&s);
    ratelimit_info_t info = no_info();
    info.limit_requests = 600; /* one per 100 ms */
    info.remaining_requests = 0;
    info.reset_requests_s = 5;
    uint64_t wake, now = 20 * S;
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, now, 1, now);
    assert_int_equal(admit_try(a, 1, 0, now, &wake), ADMIT_WAIT);
    assert_int_equal(wake, now + 100 * MS);
    admit_free(a);
}

static void test_429_pauses_the_run_once_per_event(void **state)
{
    (void)state;
    admit_settings_t s = settings(6000, 0, 100);
    admit_t *a = admit_new(&s);
    uint64_t wake, now = 100 * S;
    ratelimit_info_t info = no_info();
    info.retry_after_s = 3; /* longer than a slice boundary's: the whole run waits */
    long before = admit_window(a);
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, now - 50 * MS, 10, now);
    assert_int_equal(admit_paused_until(a), now + 3 * S);
    assert_int_equal(admit_try(a, 1, 0, now + 1 * S, &wake), ADMIT_WAIT);
    assert_int_equal(wake, now + 3 * S);
    long cut = admit_window(a);
    double rpm = admit_rpm(a);
    assert_true(cut < before);
    assert_true(rpm < 6000);
    /* more 429s for requests sent before the cut belong to the same event */
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, now - 40 * MS, 9, now + 10 * MS);
    assert_int_equal(admit_window(a), cut);
    assert_true(admit_rpm(a) == rpm);
    /* successes bring the rate back to the target */
    for (int i = 0; i < 1000; i++)
        admit_on_response(a, ADMIT_SIGNAL_OK, NULL, now + 3 * S, 1, now + 3 * S);
    assert_true(admit_rpm(a) == 6000);
    admit_free(a);
}

static void test_too_many_tokens_never_fits(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 30000, 10);
    admit_t *a = admit_new(&s);
    uint64_t wake;
    assert_int_equal(admit_try(a, 31538, 0, S, &wake), ADMIT_NEVER);
    assert_int_equal(admit_try(a, 20000, 0, S, &wake), ADMIT_GO);
    assert_int_equal(admit_try(a, 20000, 1, S, &wake), ADMIT_WAIT);
    assert_true(wake > S + 39 * S && wake < S + 41 * S); /* the 20k tokens' debt: 40 s */
    admit_free(a);
}

/* Between the paced rate (98% of a learned limit) and the limit itself: goes when the
 * limiter is idle, never waits forever. */
static void test_request_near_the_learned_limit_goes(void **state)
{
    (void)state;
    admit_settings_t s = settings(0, 0, 10);
    admit_t *a = admit_new(&s);
    ratelimit_info_t info = no_info();
    info.limit_tokens = 30000;
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, S, 1, S);
    uint64_t wake;
    assert_int_equal(admit_try(a, 29800, 0, 100 * S, &wake), ADMIT_GO);
    assert_int_equal(admit_try(a, 30001, 0, 200 * S, &wake), ADMIT_NEVER);
    /* a server's nonsense is bounded: a limit of 0.0001 a minute is not believed */
    info.limit_tokens = -1;
    info.limit_requests = 0.0001;
    info.remaining_requests = 0;
    admit_on_response(a, ADMIT_SIGNAL_OK, &info, S, 1, 300 * S);
    assert_int_equal(admit_try(a, 1, 0, 300 * S, &wake), ADMIT_WAIT);
    assert_true(wake <= 300 * S + 30 * S); /* at most pause_max_s */
    admit_free(a);
}

static void test_retryq_orders_by_due_time(void **state)
{
    (void)state;
    retryq_t *q = retryq_new(4);
    request_t *r[5];
    for (int i = 0; i < 5; i++)
        r[i] = calloc(1, sizeof(request_t));
    assert_int_equal(retryq_push(q, r[0], 30), 0);
    assert_int_equal(retryq_push(q, r[1], 10), 0);
    assert_int_equal(retryq_push(q, r[2], 20), 0);
    assert_int_equal(retryq_push(q, r[3], 10), 0);
    assert_int_equal(retryq_push(q, r[4], 5), -1); /* full */
    assert_int_equal(retryq_next_due(q), 10);
    assert_null(retryq_pop_due(q, 9));
    assert_ptr_equal(retryq_pop_due(q, 100), r[1]); /* equal times: first in, first out */
    assert_ptr_equal(retryq_pop_due(q, 100), r[3]);
    assert_ptr_equal(retryq_pop_due(q, 100), r[2]);
    assert_int_equal(retryq_count(q), 1);
    request_free(r[1]);
    request_free(r[2]);
    request_free(r[3]);
    request_free(r[4]);
    retryq_free(q); /* frees r[0] */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_starts_small_and_grows),
        cmocka_unit_test(test_window_opens_when_server_publishes_no_limit),
        cmocka_unit_test(test_user_rpm_paces),
        cmocka_unit_test(test_learns_limit_from_headers),
        cmocka_unit_test(test_learned_limit_ramps_up),
        cmocka_unit_test(test_quiet_server_probes_from_two),
        cmocka_unit_test(test_nothing_remaining_pauses_one_interval),
        cmocka_unit_test(test_429_pauses_the_run_once_per_event),
        cmocka_unit_test(test_too_many_tokens_never_fits),
        cmocka_unit_test(test_request_near_the_learned_limit_goes),
        cmocka_unit_test(test_retryq_orders_by_due_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
