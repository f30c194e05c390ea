/* test_dispatch.c - dispatch's gates on a hand-moved clock (dispatch.c).
 *
 * An engine is set up without the preparing threads (engine_setup) and fed by hand: a
 * request is pushed on its queue or its retry queue, the clock is set, and
 * engine_dispatch runs once. A request that is "started" is only added to the multi
 * handle, never performed: nothing here sleeps or touches the network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "send/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS     1000000ULL
#define SECOND 1000000000ULL
#define T0     (1000 * SECOND) /* any start: far from 0, so nothing is "due at once" by accident */

/* What the result callback saw. */
typedef struct seen {
    int n;
    vb_status_t status;
    char kind[32];
    char id[32];
} seen_t;

typedef struct fixture {
    uint64_t now; /* the engine's clock */
    vb_options_t o;
    engine_t e;
    vb_summary_t sum;
    seen_t seen;
} fixture_t;

static uint64_t hand_clock(void *ctx)
{
    return *(const uint64_t *)ctx;
}

static void on_result(const vb_result_t *res, void *userdata)
{
    seen_t *s = userdata;
    s->n++;
    s->status = res->status;
    snprintf(s->kind, sizeof s->kind, "%s", res->error_kind ? res->error_kind : "");
    snprintf(s->id, sizeof s->id, "%s", res->id ? res->id : "");
}

/* Options every test starts from: a loopback URL nothing is ever sent to, a known model
 * and price, four handles. */
static void options(vb_options_t *o)
{
    vb_options_init(o);
    o->base_url = "http://127.0.0.1:9/v1";
    o->model = "gpt-4o-mini"; /* vb_job_new resolves the default; the engine is given it */
    o->concurrency = 4;
    o->no_cache = 1;
}

/* Sets f's engine up for f->o at T0; its queue has one producer that never finishes, so
 * the input is never "used up" unless a test says so. */
static void start(fixture_t *f)
{
    char err[256] = "";
    f->now = T0;
    vbclock_t clock = {hand_clock, &f->now};
    int rc = engine_setup(&f->e, &f->o, NULL, clock, on_result, &f->seen, &f->sum, err, sizeof err);
    if (rc != 0)
        fail_msg("engine_setup: %s", err);
    queue_set_producers(f->e.ready, 1);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    options(&f->o);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    engine_teardown(&f->e);
    free(f);
    return 0;
}

/* A prepared single-image request built from the job's template (so it may join a group),
 * estimated at tokens. */
static request_t *prepared(fixture_t *f, const char *id, double tokens)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
    request_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->item.id = strdup(id);
    r->item.source = strdup(id);
    r->body = f->e.provider->body_image(&f->e.tmpl, "image/png", png, sizeof png, &r->body_len);
    assert_non_null(r->body);
    r->token_estimate = tokens;
    r->input_tokens_worst = tokens;
    return r;
}

static void push(fixture_t *f, request_t *r)
{
    assert_int_equal(queue_push(f->e.ready, r), 0);
}

/* With --rpm 60 and a burst of 1, the second request waits exactly one emission
 * interval (1 s) after the first, and goes at that moment, not a nanosecond before. */
static void test_rpm_second_request_waits_exactly(void **state)
{
    fixture_t *f = *state;
    f->o.rpm = 60;
    f->o.burst = 1;
    start(f);
    push(f, prepared(f, "a", 100));
    push(f, prepared(f, "b", 100));

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_non_null(f->e.next); /* b, parked at admission */
    assert_string_equal(f->e.next->item.id, "b");
    assert_int_equal(f->e.held, VB_LIMIT_RATE);
    assert_true(f->e.wake_ns == T0 + SECOND);

    f->now = T0 + SECOND - 1;
    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_non_null(f->e.next);
    assert_true(f->e.wake_ns == T0 + SECOND); /* still the same moment, not later */

    f->now = T0 + SECOND;
    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 2);
    assert_null(f->e.next);
    assert_int_equal(f->sum.requests, 2);
    assert_int_equal(f->seen.n, 0); /* nothing recorded: both are on the wire */
}

/* A retry due at T is not taken before T (dispatch sleeps until exactly T) and is taken
 * at T, counted as a retry. */
static void test_retry_taken_when_due(void **state)
{
    fixture_t *f = *state;
    start(f);
    const uint64_t due = T0 + 1500 * MS;
    request_t *r = prepared(f, "again", 100);
    r->attempts = 1;
    r->retry_kind = "network";
    assert_int_equal(retryq_push(f->e.retries, r, due), 0);

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(retryq_count(f->e.retries), 1);
    assert_true(f->e.wake_ns == due);

    f->now = due - 1;
    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(retryq_count(f->e.retries), 1);

    f->now = due;
    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_int_equal(retryq_count(f->e.retries), 0);
    assert_int_equal(f->sum.retries, 1);
    assert_int_equal(r->attempts, 2); /* r is on the wire, owned by its transfer */
    assert_true(r->sent_ns == due);
}

/* A retry that is due goes before new work waiting in the queue. */
static void test_due_retry_before_new_work(void **state)
{
    fixture_t *f = *state;
    f->o.concurrency = 1;
    start(f);
    push(f, prepared(f, "new", 100));
    request_t *r = prepared(f, "retry", 100);
    r->attempts = 1;
    assert_int_equal(retryq_push(f->e.retries, r, T0), 0);

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_ptr_equal(f->e.pool.transfers[0].req, r);
    assert_non_null(f->e.next); /* the new one waits for the only handle */
    assert_string_equal(f->e.next->item.id, "new");
    assert_int_equal(f->e.held, VB_LIMIT_CONCURRENCY);
}

/* With every handle busy nothing more is decided: even a request that admission would
 * refuse for good (heavier than --tpm) waits for a handle before its verdict. */
static void test_no_free_handle_waits(void **state)
{
    fixture_t *f = *state;
    f->o.concurrency = 1;
    f->o.tpm = 1000;
    start(f);
    push(f, prepared(f, "light", 100));
    push(f, prepared(f, "heavy", 5000));

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_non_null(f->e.next);
    assert_string_equal(f->e.next->item.id, "heavy");
    assert_int_equal(f->e.held, VB_LIMIT_CONCURRENCY);
    assert_int_equal(f->seen.n, 0);
}

/* A copy of an image whose first is in flight is not sent: it waits for the first's
 * answer, counted against the retry-queue gate. */
static void test_copy_waits_for_its_first(void **state)
{
    fixture_t *f = *state;
    start(f);
    request_t *first = prepared(f, "first", 100);
    request_t *copy = prepared(f, "copy", 100);
    snprintf(first->cache_key, sizeof first->cache_key, "%s", "same-key");
    snprintf(copy->cache_key, sizeof copy->cache_key, "%s", "same-key");
    push(f, first);
    push(f, copy);

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_int_equal(f->sum.requests, 1);
    assert_int_equal(f->e.out.waiting, 1);
    assert_true(first->dedupe_first);
    assert_null(f->e.next);
    assert_int_equal(f->seen.n, 0);
}

/* With --batch-size 3, two images wait for a third for 250 ms: dispatch sleeps until
 * then, sends nothing a nanosecond before, and sends both as one request at 250 ms. */
static void test_short_group_goes_after_250ms(void **state)
{
    fixture_t *f = *state;
    f->o.batch_size = 3;
    start(f);
    push(f, prepared(f, "a", 100));
    push(f, prepared(f, "b", 100));

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(group_pending(f->e.group), 2);
    assert_true(f->e.wake_ns == T0 + 250 * MS);

    f->now = T0 + 250 * MS - 1;
    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(group_pending(f->e.group), 2);

    f->now = T0 + 250 * MS;
    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_int_equal(group_pending(f->e.group), 0);
    assert_int_equal(f->sum.batches, 1);
    assert_int_equal(f->sum.requests, 1);
    const request_t *sent = NULL;
    for (long i = 0; i < f->e.pool.size; i++)
        if (f->e.pool.transfers[i].req)
            sent = f->e.pool.transfers[i].req;
    assert_non_null(sent);
    assert_int_equal(sent->n_members, 2);
}

/* A full group does not wait: the third image completes it and it goes at once. */
static void test_full_group_goes_at_once(void **state)
{
    fixture_t *f = *state;
    f->o.batch_size = 3;
    start(f);
    push(f, prepared(f, "a", 100));
    push(f, prepared(f, "b", 100));
    push(f, prepared(f, "c", 100));

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_int_equal(f->sum.batches, 1);
    assert_int_equal(group_pending(f->e.group), 0);
}

/* A budget that cannot hold a request's worst case, with nothing in flight, skips it
 * unsent, says it is used up and tells the preparing threads to stop reading. */
static void test_budget_too_small_skips(void **state)
{
    fixture_t *f = *state;
    f->o.budget_usd = 0.0001; /* gpt-4o-mini: 100k prompt tokens alone cost $0.015 */
    start(f);
    push(f, prepared(f, "big", 100000));

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(f->sum.requests, 0);
    assert_int_equal(f->seen.n, 1);
    assert_int_equal(f->seen.status, VB_STATUS_SKIPPED);
    assert_string_equal(f->seen.kind, "budget");
    assert_string_equal(f->seen.id, "big");
    assert_int_equal(f->sum.skipped, 1);
    assert_true(f->e.cost.budget_out);
    assert_int_equal(atomic_load(&f->e.skip_all), 1);
    assert_true(f->e.cost.budget.reserved == 0);
}

/* A request that fits goes with its worst case held; one that does not fit while
 * another is in flight waits for that answer (it may cost less than held) instead of
 * being skipped. */
static void test_budget_waits_for_what_is_in_flight(void **state)
{
    fixture_t *f = *state;
    f->o.budget_usd = 0.01;
    start(f);
    push(f, prepared(f, "small", 100));
    push(f, prepared(f, "big", 100000));

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 1);
    assert_true(f->e.cost.budget.reserved > 0);
    assert_non_null(f->e.next);
    assert_string_equal(f->e.next->item.id, "big");
    assert_int_equal(f->e.held, VB_LIMIT_LATENCY);
    assert_true(f->e.wake_ns == UINT64_MAX);
    assert_false(f->e.cost.budget_out);
    assert_int_equal(f->seen.n, 0);
}

/* An item that failed in preparation is recorded with its error and never sent. */
static void test_unsendable_recorded_unsent(void **state)
{
    fixture_t *f = *state;
    start(f);
    request_t *r = prepared(f, "broken", 100);
    request_fail(r, "corrupt_image", "cannot decode");
    push(f, r);

    engine_dispatch(&f->e);
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(f->sum.requests, 0);
    assert_int_equal(f->seen.n, 1);
    assert_int_equal(f->seen.status, VB_STATUS_ERROR);
    assert_string_equal(f->seen.kind, "corrupt_image");
    assert_int_equal(f->sum.failed, 1);
}

/* A fatal item stops the run: nothing after it is sent. */
static void test_fatal_stops(void **state)
{
    fixture_t *f = *state;
    start(f);
    request_t *r = prepared(f, "fatal", 100);
    request_fail(r, "auth", "the key is refused");
    r->fatal = 1;
    push(f, r);
    push(f, prepared(f, "after", 100));

    engine_dispatch(&f->e);
    assert_true(f->e.stopping);
    assert_int_equal(f->sum.stopped, 1);
    assert_string_equal(f->sum.stop_reason, "the key is refused");
    assert_int_equal(f->e.pool.in_flight, 0);
    assert_int_equal(f->seen.n, 0); /* left unfinished, for a resume */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rpm_second_request_waits_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_taken_when_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_retry_before_new_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_free_handle_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_waits_for_its_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_group_goes_after_250ms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_group_goes_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_too_small_skips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget_waits_for_what_is_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsendable_recorded_unsent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_stops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
