/* test_outage.c - the endpoint's health (send/outage.c): a run of unreachable failures
 * stops the run before a success and pauses it after one, the pause probes one request
 * at a time with a doubling wait and gives up, an answer ends it, and the same refusal on
 * the first items stops the run. Times are passed in: no sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "send/outage.h"

#define S 1000000000ull

static outage_t fresh(double give_up_s)
{
    outage_t o;
    outage_settings_t s = outage_defaults(give_up_s);
    outage_init(&o, &s);
    return o;
}

static void test_stops_before_a_success(void **state)
{
    (void)state;
    outage_t o = fresh(300);
    assert_int_equal(outage_on_failure(&o, true, false, false, 1), OUTAGE_CARRY_ON);
    assert_int_equal(outage_on_failure(&o, true, false, false, 2), OUTAGE_CARRY_ON);
    assert_int_equal(outage_on_failure(&o, true, false, false, 3), OUTAGE_STOP);
}

static void test_answer_resets_the_count(void **state)
{
    (void)state;
    outage_t o = fresh(300);
    outage_on_failure(&o, true, false, false, 1);
    outage_on_failure(&o, true, false, false, 2);
    outage_on_answer(&o, false); /* a 500 is an answer: the endpoint is there */
    assert_int_equal(outage_on_failure(&o, true, false, false, 3), OUTAGE_CARRY_ON);
    /* a failure of another kind (a reset mid-answer) neither counts nor resets */
    assert_int_equal(outage_on_failure(&o, false, false, false, 4), OUTAGE_CARRY_ON);
    assert_int_equal(outage_on_failure(&o, true, false, false, 5), OUTAGE_CARRY_ON);
    assert_int_equal(outage_on_failure(&o, true, false, false, 6), OUTAGE_STOP);
}

static void test_silent_timeouts_count_only_before_a_success(void **state)
{
    (void)state;
    outage_t o = fresh(300);
    outage_on_failure(&o, false, true, false, 1);
    outage_on_failure(&o, false, true, false, 2);
    assert_int_equal(outage_on_failure(&o, false, true, false, 3), OUTAGE_STOP);

    o = fresh(300);
    outage_on_answer(&o, true);
    for (int i = 0; i < 10; i++) /* a slow model after a success: not an outage */
        assert_int_equal(outage_on_failure(&o, false, true, false, (uint64_t)i), OUTAGE_CARRY_ON);
    assert_false(outage_paused(&o));
}

static void test_pause_probes_and_resumes(void **state)
{
    (void)state;
    outage_t o = fresh(300);
    uint64_t wake;
    outage_on_answer(&o, true);
    outage_on_failure(&o, true, false, false, 10 * S);
    outage_on_failure(&o, true, false, false, 10 * S);
    assert_int_equal(outage_on_failure(&o, true, false, false, 10 * S), OUTAGE_PAUSED);
    assert_true(outage_paused(&o));
    /* nothing goes for the first second */
    assert_int_equal(outage_may_send(&o, 10 * S, &wake), OUTAGE_HOLD);
    assert_int_equal(wake, 11 * S);
    /* then one probe, and nothing else while it is out */
    assert_int_equal(outage_may_send(&o, 11 * S, &wake), OUTAGE_SEND);
    outage_sent(&o);
    assert_int_equal(outage_may_send(&o, 11 * S, &wake), OUTAGE_HOLD);
    /* it fails: the next waits 2 s, then 4 s */
    assert_int_equal(outage_on_failure(&o, true, false, true, 12 * S), OUTAGE_CARRY_ON);
    assert_int_equal(outage_may_send(&o, 13 * S, &wake), OUTAGE_HOLD);
    assert_int_equal(wake, 14 * S);
    assert_int_equal(outage_may_send(&o, 14 * S, &wake), OUTAGE_SEND);
    outage_sent(&o);
    /* a request sent before the pause fails while the probe is out: the probe is still out */
    outage_on_failure(&o, true, false, false, 14 * S);
    assert_int_equal(outage_may_send(&o, 14 * S, &wake), OUTAGE_HOLD);
    outage_on_failure(&o, true, false, true, 14 * S);
    assert_int_equal(outage_may_send(&o, 17 * S, &wake), OUTAGE_HOLD);
    assert_int_equal(wake, 18 * S);
    /* a failure of a request sent before the pause does not stretch the wait */
    outage_on_failure(&o, true, false, false, 15 * S);
    assert_int_equal(outage_may_send(&o, 18 * S, &wake), OUTAGE_SEND);
    /* any HTTP answer ends the pause */
    outage_sent(&o);
    outage_on_answer(&o, false);
    assert_false(outage_paused(&o));
    assert_int_equal(outage_may_send(&o, 18 * S, &wake), OUTAGE_SEND);
}

static void test_wait_is_capped_and_pause_gives_up(void **state)
{
    (void)state;
    outage_t o = fresh(100);
    uint64_t wake, now = 0;
    outage_on_answer(&o, true);
    for (int i = 0; i < 3; i++)
        outage_on_failure(&o, true, false, false, now);
    for (int probes = 0; probes < 10; probes++) { /* 1, 2, 4, 8, 16, 30, 30 ... s apart */
        outage_gate_t g = outage_may_send(&o, now, &wake);
        if (g == OUTAGE_GIVE_UP)
            break;
        assert_int_equal(g, OUTAGE_HOLD);
        assert_true(wake - now <= 30 * S);
        now = wake;
        if (outage_may_send(&o, now, &wake) != OUTAGE_SEND)
            continue;
        outage_sent(&o);
        if (outage_on_failure(&o, true, false, true, now) == OUTAGE_STOP)
            break;
    }
    assert_true(now >= 100 * S);
    assert_int_equal(outage_may_send(&o, 100 * S, &wake), OUTAGE_GIVE_UP);
    assert_int_equal(outage_on_failure(&o, true, false, false, 100 * S), OUTAGE_STOP);
}

static void test_same_refusal_on_first_items_stops(void **state)
{
    (void)state;
    outage_t o = fresh(300);
    for (int i = 0; i < 4; i++)
        assert_int_equal(outage_on_refusal(&o, 400, "invalid_request"), OUTAGE_CARRY_ON);
    assert_int_equal(outage_on_refusal(&o, 400, "invalid_request"), OUTAGE_STOP);

    o = fresh(300); /* a different refusal starts the count again */
    for (int i = 0; i < 4; i++)
        outage_on_refusal(&o, 400, "invalid_request");
    assert_int_equal(outage_on_refusal(&o, 404, "invalid_request"), OUTAGE_CARRY_ON);

    o = fresh(300); /* after a success, refusals are the items' own */
    outage_on_answer(&o, true);
    for (int i = 0; i < 10; i++)
        assert_int_equal(outage_on_refusal(&o, 400, "invalid_request"), OUTAGE_CARRY_ON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stops_before_a_success),
        cmocka_unit_test(test_answer_resets_the_count),
        cmocka_unit_test(test_silent_timeouts_count_only_before_a_success),
        cmocka_unit_test(test_pause_probes_and_resumes),
        cmocka_unit_test(test_wait_is_capped_and_pause_gives_up),
        cmocka_unit_test(test_same_refusal_on_first_items_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
