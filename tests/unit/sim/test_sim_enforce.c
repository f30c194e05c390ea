/* test_sim_enforce.c - the simulator's five ways of enforcing "N a minute", on a clock
 * the tests move by hand (no sleeping). Each test would fail if its mode counted as
 * another one does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_enforce.h"

#include <math.h>
#include <string.h>

#define S  1000000000ull
#define MS 1000000ull

/* Admits weight-1 requests at now until one is refused; returns how many went. */
static int admit_all(sim_enforce_t *e, uint64_t now)
{
    int n = 0;
    while (sim_enforce_admit(e, 1, now) == 0)
        n++;
    return n;
}

static void test_parse_and_names(void **state)
{
    (void)state;
    static const char *const names[] = {"gcra", "fixed-1s", "sliding-1s", "window-60s",
                                        "bucket-60s"};
    for (size_t i = 0; i < 5; i++) {
        sim_enforce_mode_t m = SIM_ENFORCE_GCRA;
        assert_int_equal(sim_enforce_parse(names[i], &m), 0);
        assert_int_equal(m, (sim_enforce_mode_t)i);
        assert_string_equal(sim_enforce_name(m), names[i]);
    }
    sim_enforce_mode_t m;
    assert_int_equal(sim_enforce_parse("fixed", &m), -1);
    assert_int_equal(sim_enforce_parse("", &m), -1);
    assert_null(sim_enforce_new(SIM_ENFORCE_BUCKET_60S, 0, 1, 0));
    sim_enforce_free(NULL);
}

static void test_gcra_is_todays_limiter(void **state)
{
    (void)state;
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_GCRA, 600, 0.5, 0); /* burst 5 */
    uint64_t now = 100 * S;
    assert_int_equal(admit_all(e, now), 5);
    uint64_t wait = sim_enforce_admit(e, 1, now);
    assert_true(wait > 99 * MS && wait <= 100 * MS);
    sim_enforce_status_t st;
    sim_enforce_peek(e, now, &st);
    assert_true(st.remaining == 0);
    assert_int_equal(st.reset_ns, 500 * MS);
    assert_int_equal(st.used, 5);
    assert_int_equal(sim_enforce_admit(e, 601, now), UINT64_MAX);
    sim_enforce_free(e);
}

static void test_fixed_counts_per_wall_second(void **state)
{
    (void)state;
    /* the wall clock is 0.3 s ahead of the time line within its second: wall seconds
     * begin at time line x.7 s */
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_FIXED_1S, 600, 1, 300 * MS);
    sim_enforce_status_t st;
    uint64_t now = 100 * S + 500 * MS; /* wall x.8: 0.2 s before a boundary */
    sim_enforce_peek(e, now, &st);
    assert_int_equal(st.reset_ns, 0); /* nothing used this second */
    assert_int_equal(admit_all(e, now), 10);
    assert_int_equal(sim_enforce_admit(e, 1, now), 200 * MS); /* to the boundary */
    sim_enforce_peek(e, now, &st);
    assert_int_equal(st.reset_ns, 200 * MS);
    assert_true(st.remaining == 590);
    assert_int_equal(st.used, 10);
    /* just before the boundary: still refused; just after: 10 more at once (GCRA
     * would have let 2 back in) */
    assert_int_equal(sim_enforce_admit(e, 1, now + 199 * MS), 1 * MS);
    assert_int_equal(admit_all(e, now + 200 * MS), 10);
    sim_enforce_peek(e, now + 200 * MS, &st);
    assert_true(st.remaining == 580);
    assert_int_equal(st.reset_ns, 1 * S);
    /* a refund gives the second's unit back */
    sim_enforce_refund(e, 1, now + 200 * MS);
    assert_int_equal(admit_all(e, now + 200 * MS), 1);
    sim_enforce_free(e);
}

static void test_fixed_fractional_share(void **state)
{
    (void)state;
    /* 90 a minute: 1.5 a second, so one request a second, and a weight of 2 never */
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_FIXED_1S, 90, 1, 0);
    uint64_t now = 10 * S;
    assert_int_equal(admit_all(e, now), 1);
    assert_int_equal(sim_enforce_admit(e, 2, now + S), UINT64_MAX);
    sim_enforce_free(e);
}

static void test_sliding_one_second(void **state)
{
    (void)state;
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_SLIDING_1S, 600, 1, 0);
    uint64_t t0 = 100 * S + 600 * MS;
    for (int i = 0; i < 10; i++) /* one every 50 ms */
        assert_int_equal(sim_enforce_admit(e, 1, t0 + i * 50 * MS), 0);
    uint64_t now = t0 + 500 * MS;
    /* across the wall-second boundary, and 0.5 s after the first: still refused, until
     * the first leaves the log (fixed-1s would admit here, GCRA 5 of them) */
    assert_int_equal(sim_enforce_admit(e, 1, now), 500 * MS);
    sim_enforce_status_t st;
    sim_enforce_peek(e, now, &st);
    assert_int_equal(st.reset_ns, 950 * MS); /* the newest leaves at t0 + 1.45 s */
    assert_true(st.remaining == 590);
    assert_int_equal(admit_all(e, t0 + S), 1);
    /* a weight of 3 waits for three entries to leave: those of t0 + 50, 100, 150 ms */
    assert_int_equal(sim_enforce_admit(e, 3, t0 + S), 150 * MS);
    assert_int_equal(sim_enforce_admit(e, 11, t0 + S), UINT64_MAX);
    /* a refund removes the entry just made */
    sim_enforce_refund(e, 1, t0 + S);
    assert_int_equal(sim_enforce_admit(e, 1, t0 + S), 0);
    sim_enforce_free(e);
}

static void test_window_sixty_seconds(void **state)
{
    (void)state;
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_WINDOW_60S, 60, 1, 0);
    uint64_t t0 = 1000 * S;
    assert_int_equal(admit_all(e, t0), 60); /* the whole minute at once */
    sim_enforce_status_t st;
    sim_enforce_peek(e, t0 + 2 * S, &st);
    assert_true(st.remaining == 0);
    assert_int_equal(st.used, 60);
    assert_int_equal(st.reset_ns, 58 * S);
    /* and nothing more until the first of them is 60 s old (GCRA: one a second) */
    assert_int_equal(sim_enforce_admit(e, 1, t0 + 2 * S), 58 * S);
    assert_int_equal(sim_enforce_admit(e, 2, t0 + 2 * S), 58 * S);
    assert_int_equal(admit_all(e, t0 + 60 * S), 60);
    sim_enforce_free(e);
}

static void test_window_weights(void **state)
{
    (void)state;
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_WINDOW_60S, 1000, 1, 0);
    uint64_t t0 = 5 * S;
    assert_int_equal(sim_enforce_admit(e, 400, t0), 0);
    assert_int_equal(sim_enforce_admit(e, 400, t0 + 10 * S), 0);
    /* 601 needs both to leave, 600 only the first; 200 fits */
    assert_int_equal(sim_enforce_admit(e, 601, t0 + 20 * S), 50 * S);
    assert_int_equal(sim_enforce_admit(e, 600, t0 + 20 * S), 40 * S);
    assert_int_equal(sim_enforce_admit(e, 200, t0 + 20 * S), 0);
    assert_int_equal(sim_enforce_admit(e, 201, t0 + 20 * S), 40 * S);
    sim_enforce_status_t st;
    sim_enforce_peek(e, t0 + 20 * S, &st);
    assert_true(st.remaining == 0);
    assert_int_equal(st.reset_ns, 60 * S);
    sim_enforce_peek(e, t0 + 61 * S, &st);
    assert_true(st.remaining == 400);
    assert_int_equal(st.used, 600);
    sim_enforce_free(e);
}

static void test_bucket_sixty_seconds(void **state)
{
    (void)state;
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_BUCKET_60S, 60, 1, 0);
    uint64_t t0 = 1000 * S;
    assert_int_equal(admit_all(e, t0), 60); /* starts full */
    sim_enforce_status_t st;
    sim_enforce_peek(e, t0, &st);
    assert_int_equal(st.reset_ns, 60 * S);
    assert_true(st.remaining == 0);
    /* then one a second (a 60 s window would wait 60 s) */
    assert_int_equal(sim_enforce_admit(e, 1, t0 + 300 * MS), 700 * MS);
    assert_int_equal(admit_all(e, t0 + S), 1);
    assert_int_equal(sim_enforce_admit(e, 1, t0 + S), 1 * S);
    assert_int_equal(sim_enforce_admit(e, 2, t0 + S), 2 * S);
    assert_int_equal(admit_all(e, t0 + 3 * S), 2);
    /* the trailing minute holds 63, more than the limit: remaining stays at 0 */
    sim_enforce_peek(e, t0 + 3 * S, &st);
    assert_true(st.remaining == 0);
    assert_int_equal(st.used, 63);
    /* a refund puts the units back */
    sim_enforce_refund(e, 1, t0 + 3 * S);
    assert_int_equal(admit_all(e, t0 + 3 * S), 1);
    /* idle for a minute: full again, no more */
    sim_enforce_peek(e, t0 + 100 * S, &st);
    assert_int_equal(st.reset_ns, 0);
    assert_true(st.remaining == 60);
    assert_int_equal(admit_all(e, t0 + 100 * S), 60);
    assert_int_equal(sim_enforce_admit(e, 61, t0 + 100 * S), UINT64_MAX);
    sim_enforce_free(e);
}

static void test_log_grows_then_refuses_at_the_cap(void **state)
{
    (void)state;
    sim_enforce_t *e = sim_enforce_new(SIM_ENFORCE_WINDOW_60S, 1e12, 1, 0);
    uint64_t t0 = 7 * S;
    for (unsigned i = 0; i < SIM_ENFORCE_LOG_MAX; i++)
        assert_int_equal(sim_enforce_admit(e, 1, t0 + i), 0);
    /* within the limit but the log is full: wait until its oldest leaves */
    uint64_t now = t0 + 30 * S;
    assert_int_equal(sim_enforce_admit(e, 1, now), 30 * S);
    /* the ring kept its order through the growth: entries leave one per ns */
    assert_int_equal(sim_enforce_admit(e, 1, t0 + 60 * S), 0);
    assert_int_equal(sim_enforce_admit(e, 1, t0 + 60 * S), 1);
    sim_enforce_status_t st;
    sim_enforce_peek(e, t0 + 60 * S, &st);
    assert_int_equal(st.used, SIM_ENFORCE_LOG_MAX);
    sim_enforce_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_names),
        cmocka_unit_test(test_gcra_is_todays_limiter),
        cmocka_unit_test(test_fixed_counts_per_wall_second),
        cmocka_unit_test(test_fixed_fractional_share),
        cmocka_unit_test(test_sliding_one_second),
        cmocka_unit_test(test_window_sixty_seconds),
        cmocka_unit_test(test_window_weights),
        cmocka_unit_test(test_bucket_sixty_seconds),
        cmocka_unit_test(test_log_grows_then_refuses_at_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
