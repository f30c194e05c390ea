/* test_sim_batchapi_clock.c - a simulated batch's phases on the compressed clock, at times
 * the tests pick (no sleeping): each test fails if a phase boundary, the frozen progress of
 * a cancel or the refusal to cancel a final batch moved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_batchapi_clock.h"

/* A batch created at 100 s taking 10 s. */
static sim_btimeline_t timeline(void)
{
    sim_btimeline_t t = {.created = 100.0, .seconds = 10.0, .cancel_at = -1.0};
    return t;
}

static void test_normal_life(void **state)
{
    (void)state;
    sim_btimeline_t t = timeline();
    assert_int_equal(sim_btimeline_phase(&t, 100.0), SIM_BPHASE_VALIDATING);
    assert_int_equal(sim_btimeline_phase(&t, 100.99), SIM_BPHASE_VALIDATING);
    assert_int_equal(sim_btimeline_phase(&t, 101.0), SIM_BPHASE_RUNNING);
    assert_int_equal(sim_btimeline_phase(&t, 108.99), SIM_BPHASE_RUNNING);
    assert_int_equal(sim_btimeline_phase(&t, 109.0), SIM_BPHASE_FINALIZING);
    assert_int_equal(sim_btimeline_phase(&t, 110.0), SIM_BPHASE_COMPLETED);
    assert_true(sim_bphase_final(sim_btimeline_phase(&t, 1e9)));
    assert_false(sim_bphase_final(SIM_BPHASE_CANCELLING));
    /* counts rise evenly while it runs */
    assert_true(sim_btimeline_progress(&t, 100.5) == 0.0);
    assert_true(sim_btimeline_progress(&t, 105.0) == 0.5);
    assert_true(sim_btimeline_progress(&t, 109.5) == 1.0);
    assert_true(sim_btimeline_natural_end(&t) == 110.0);
}

static void test_expires_and_dooms(void **state)
{
    (void)state;
    sim_btimeline_t t = timeline();
    t.expires = 1;
    assert_int_equal(sim_btimeline_phase(&t, 105.0), SIM_BPHASE_RUNNING);
    assert_int_equal(sim_btimeline_phase(&t, 110.0), SIM_BPHASE_EXPIRED);
    t = timeline();
    t.doomed = 1; /* fails when its validation ends, having processed nothing */
    assert_int_equal(sim_btimeline_phase(&t, 100.5), SIM_BPHASE_VALIDATING);
    assert_int_equal(sim_btimeline_phase(&t, 101.0), SIM_BPHASE_FAILED);
    assert_true(sim_btimeline_natural_end(&t) == 101.0);
    assert_true(sim_btimeline_progress(&t, 105.0) == 0.0);
}

static void test_cancel(void **state)
{
    (void)state;
    sim_btimeline_t t = timeline();
    assert_true(sim_btimeline_can_cancel(&t, 105.0));
    t.cancel_at = 105.0;
    assert_false(sim_btimeline_can_cancel(&t, 105.1)); /* cancelling already */
    assert_int_equal(sim_btimeline_phase(&t, 104.0), SIM_BPHASE_RUNNING);
    assert_int_equal(sim_btimeline_phase(&t, 105.0), SIM_BPHASE_CANCELLING);
    assert_int_equal(sim_btimeline_phase(&t, 105.0 + SIM_BATCH_CANCEL_S - 0.01),
                     SIM_BPHASE_CANCELLING);
    assert_int_equal(sim_btimeline_phase(&t, 105.0 + SIM_BATCH_CANCEL_S), SIM_BPHASE_CANCELLED);
    assert_int_equal(sim_btimeline_phase(&t, 200.0), SIM_BPHASE_CANCELLED);
    /* the lines processed stop at the cancel */
    assert_true(sim_btimeline_progress(&t, 200.0) == 0.5);
    /* a final batch cannot be cancelled; one cancelled while validating ran nothing */
    t = timeline();
    assert_false(sim_btimeline_can_cancel(&t, 110.0));
    t.cancel_at = 100.5;
    assert_int_equal(sim_btimeline_phase(&t, 101.0), SIM_BPHASE_CANCELLED);
    assert_true(sim_btimeline_progress(&t, 150.0) == 0.0);
}

static void test_zero_seconds(void **state)
{
    (void)state;
    sim_btimeline_t t = timeline();
    t.seconds = 0.0; /* final at once, every line processed */
    assert_int_equal(sim_btimeline_phase(&t, 100.0), SIM_BPHASE_COMPLETED);
    assert_true(sim_btimeline_progress(&t, 100.0) == 1.0);
    assert_false(sim_btimeline_can_cancel(&t, 100.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_life),
        cmocka_unit_test(test_expires_and_dooms),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_zero_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
