/* test_pacing.c - admission (admit.c) against every way a server enforces "N per minute",
 * on a hand-moved clock: GCRA with a 1 s burst, wall-clock 1 s slices, a sliding 1 s log,
 * a sliding 60 s window and a bucket holding a whole minute. A small event simulation
 * sends 1,000 requests the way the engine does (admission, 20 ms answers, 429s retried
 * when admit_retry_due says, the loop waking on whole milliseconds; requests reach the
 * server up to 3 ms late; a 429 says retry-after in whole seconds) and checks the run
 * reaches >= 95% of the limit (<= 10.5 s at 6,000 RPM) with <= 1% refused, with the
 * limit given and learned from the headers, for requests and for tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admit/admit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS        1000000000ull
#define MS        1000000ull
#define N         1000
#define LATENCY   (20 * MS)
#define PHASE     (370 * MS) /* where the run starts within a wall-clock second */
#define MAX_SENDS (4 * N)
#define JITTER    (3 * MS) /* how much later than sent a request may reach the server */

typedef enum { GCRA, FIXED_1S, SLIDING_1S, WINDOW_60S, BUCKET_60S } enforce_t;

static const char *const enforce_names[] = {"gcra", "fixed-1s", "sliding-1s", "window-60s",
                                            "bucket-60s"};

/* One limit as a server enforces it: limit units a minute. */
typedef struct server {
    enforce_t mode;
    double limit;
    uint64_t t[MAX_SENDS]; /* admitted: when, and how much */
    double w[MAX_SENDS];
    size_t n;
    double tat;      /* GCRA */
    double tokens;   /* bucket: units in it */
    uint64_t filled; /* bucket: when it was last topped up */
} server_t;

/* Units admitted in (now - span, now]. */
static double server_used(const server_t *s, uint64_t now, uint64_t span)
{
    double used = 0;
    for (size_t i = s->n; i-- > 0 && s->t[i] + span > now;)
        used += s->w[i];
    return used;
}

/* Admits weight at now (recording it) or returns false with *wait_ns until it would go. */
static bool server_admit(server_t *s, double weight, uint64_t now, uint64_t *wait_ns)
{
    double per_s = s->limit / 60.0;
    *wait_ns = 0;
    switch (s->mode) {
    case GCRA: { /* a burst of 1 s of quota */
        double t = 60e9 / s->limit, tat = s->tat > (double)now ? s->tat : (double)now;
        double over = tat + weight * t - (double)now - per_s * t;
        if (over > 0) {
            *wait_ns = (uint64_t)over + 1;
            return false;
        }
        s->tat = tat + weight * t;
        break;
    }
    case FIXED_1S: {
        uint64_t second = now / NS * NS;
        if (server_used(s, now, now - second + 1) + weight > per_s) {
            *wait_ns = second + NS - now;
            return false;
        }
        break;
    }
    case SLIDING_1S:
    case WINDOW_60S: {
        uint64_t span = s->mode == SLIDING_1S ? NS : 60 * NS;
        double cap = s->mode == SLIDING_1S ? per_s : s->limit;
        double used = server_used(s, now, span);
        if (used + weight > cap) {
            /* until enough of the oldest entries in the span leave it */
            size_t i = s->n;
            while (i > 0 && s->t[i - 1] + span > now)
                i--;
            for (; i < s->n && used + weight > cap; i++)
                used -= s->w[i], *wait_ns = s->t[i] + span - now;
            return false;
        }
        break;
    }
    case BUCKET_60S: {
        if (!s->filled)
            s->tokens = s->limit, s->filled = now;
        s->tokens += (double)(now - s->filled) / 1e9 * per_s;
        s->tokens = s->tokens > s->limit ? s->limit : s->tokens;
        s->filled = now;
        if (s->tokens < weight) {
            *wait_ns = (uint64_t)((weight - s->tokens) / per_s * 1e9) + 1;
            return false;
        }
        s->tokens -= weight;
        break;
    }
    }
    s->t[s->n] = now;
    s->w[s->n++] = weight;
    return true;
}

typedef struct send {
    uint64_t sent, answer; /* when it went, when its answer comes */
    bool refused;
    double retry_after_s;
    bool open; /* still in flight */
} send_t;

typedef struct outcome {
    double wall_s;
    long sends, refused;
} outcome_t;

/* Runs N requests of weight tokens each through admission against a server enforcing
 * limit (requests a minute, or tokens a minute when tokens_bind) the mode's way. known:
 * the client is given the limit (concurrency 50), else learns it (concurrency 200). */
static outcome_t simulate(enforce_t mode, bool known, bool tokens_bind)
{
    const double rpm = 6000, weight = tokens_bind ? 1000 : 1;
    server_t *srv = calloc(1, sizeof *srv);
    assert_non_null(srv);
    srv->mode = mode;
    srv->limit = tokens_bind ? rpm * weight : rpm;
    long concurrency = known ? 50 : 200;
    admit_settings_t as = {.rpm = known && !tokens_bind ? rpm : 0,
                           .tpm = known && tokens_bind ? rpm * weight : 0,
                           .kind = RATELIMIT_GCRA,
                           .concurrency = concurrency,
                           .pause_base_s = 0.5,
                           .pause_max_s = 30};
    admit_t *a = admit_new(&as);
    assert_non_null(a);
    static send_t sends[MAX_SENDS];
    memset(sends, 0, sizeof sends);
    uint64_t retry_due[N]; /* requests waiting to go again */
    size_t n_retry = 0, n_sends = 0;
    long fresh = N, done = 0, in_flight = 0, refused = 0;
    uint64_t now = PHASE, rng = 88172645463325252ull;

    while (done < N) {
        /* answers due, oldest first */
        for (;;) {
            send_t *first = NULL;
            for (size_t i = 0; i < n_sends; i++)
                if (sends[i].open && sends[i].answer <= now &&
                    (!first || sends[i].answer < first->answer))
                    first = &sends[i];
            if (!first)
                break;
            first->open = false;
            in_flight--;
            double used = server_used(srv, first->answer, 60 * NS);
            ratelimit_info_t info = {.limit_requests = tokens_bind ? -1 : srv->limit,
                                     .limit_tokens = tokens_bind ? srv->limit : -1,
                                     .remaining_requests = tokens_bind ? -1 : srv->limit - used,
                                     .remaining_tokens = tokens_bind ? srv->limit - used : -1,
                                     .reset_requests_s = tokens_bind ? -1 : 1,
                                     .reset_tokens_s = tokens_bind ? 1 : -1,
                                     .retry_after_s = first->refused ? first->retry_after_s : -1};
            admit_on_response(a, first->refused ? ADMIT_SIGNAL_RATE_LIMITED : ADMIT_SIGNAL_OK,
                              &info, first->sent, in_flight + 1, first->answer);
            if (first->refused) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                retry_due[n_retry++] = admit_retry_due(a, first->retry_after_s, first->answer) +
                                       (rng >> 11) % (20 * MS);
            } else {
                done++;
            }
        }
        /* dispatch: a due retry first, else new work, while admission says go */
        uint64_t wake = UINT64_MAX;
        while (in_flight < concurrency && n_sends < MAX_SENDS) {
            size_t due = n_retry;
            for (size_t i = 0; i < n_retry; i++)
                if (retry_due[i] <= now && (due == n_retry || retry_due[i] < retry_due[due]))
                    due = i;
            if (due == n_retry && fresh == 0)
                break;
            uint64_t w = UINT64_MAX;
            admit_verdict_t v = admit_try(a, weight, in_flight, now, &w);
            assert_int_not_equal(v, ADMIT_NEVER);
            if (v == ADMIT_WAIT) {
                wake = w;
                break;
            }
            if (due < n_retry)
                retry_due[due] = retry_due[--n_retry];
            else
                fresh--;
            send_t *s = &sends[n_sends++];
            uint64_t wait = 0;
            /* it reaches the server up to JITTER later (the network, the server's queue) */
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            uint64_t arrives = now + (rng >> 11) % JITTER;
            s->sent = now;
            s->answer = arrives + LATENCY;
            s->refused = !server_admit(srv, weight, arrives, &wait);
            /* whole seconds, rounded up, as proxies send it (no retry-after-ms) */
            s->retry_after_s = (double)((wait + NS - 1) / NS);
            s->open = true;
            refused += s->refused;
            in_flight++;
        }
        assert_true(n_sends < MAX_SENDS);
        /* sleep until the next answer, wake-up or retry; the loop polls in whole ms */
        uint64_t next = wake == UINT64_MAX ? UINT64_MAX : (wake + MS - 1) / MS * MS;
        for (size_t i = 0; i < n_sends; i++)
            if (sends[i].open && sends[i].answer < next)
                next = sends[i].answer;
        for (size_t i = 0; i < n_retry; i++)
            if (retry_due[i] < next)
                next = retry_due[i] > now ? retry_due[i] : now + 1;
        if (done < N) {
            assert_true(next != UINT64_MAX && next >= now);
            now = next > now ? next : now + 1;
        }
    }
    outcome_t out = {
        .wall_s = (double)(now - PHASE) / 1e9, .sends = (long)n_sends, .refused = refused};
    admit_free(a);
    free(srv);
    return out;
}

static void check(enforce_t mode, bool tokens_bind)
{
    for (int known = 1; known >= 0; known--) {
        outcome_t o = simulate(mode, known, tokens_bind);
        printf("  %-10s %-6s %-8s %6.3f s, %ld sent, %ld refused (%.1f%%)\n", enforce_names[mode],
               tokens_bind ? "tokens" : "rpm", known ? "known" : "learned", o.wall_s, o.sends,
               o.refused, 100.0 * (double)o.refused / (double)o.sends);
        assert_true(o.wall_s <= 10.5);           /* >= 95% of 6,000 a minute */
        assert_true(o.refused * 100 <= o.sends); /* <= 1% refused */
    }
}

static void test_gcra(void **state)
{
    (void)state;
    check(GCRA, false);
    check(GCRA, true);
}

static void test_fixed_1s(void **state)
{
    (void)state;
    check(FIXED_1S, false);
    check(FIXED_1S, true);
}

static void test_sliding_1s(void **state)
{
    (void)state;
    check(SLIDING_1S, false);
    check(SLIDING_1S, true);
}

static void test_window_60s(void **state)
{
    (void)state;
    check(WINDOW_60S, false);
    check(WINDOW_60S, true);
}

static void test_bucket_60s(void **state)
{
    (void)state;
    check(BUCKET_60S, false);
    check(BUCKET_60S, true);
}

/* 429s that come together still pause the whole run: the third within a second is not
 * isolated, and a long retry-after never is. */
static void test_burst_of_429s_pauses(void **state)
{
    (void)state;
    admit_settings_t as = {.rpm = 6000, .concurrency = 10, .pause_base_s = 0.5, .pause_max_s = 30};
    admit_t *a = admit_new(&as);
    ratelimit_info_t info = {.limit_requests = -1,
                             .limit_tokens = -1,
                             .remaining_requests = -1,
                             .remaining_tokens = -1,
                             .reset_requests_s = -1,
                             .reset_tokens_s = -1,
                             .retry_after_s = 0.05};
    uint64_t now = 10 * NS;
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, now - LATENCY, 5, now);
    assert_int_equal(admit_paused_until(a), 0);
    assert_true(admit_rpm(a) < 6000 && admit_rpm(a) >= 5939); /* 1% lower */
    assert_int_equal(admit_retry_due(a, 0.05, now), now + 50 * MS);
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, now, 5, now + 100 * MS);
    assert_int_equal(admit_paused_until(a), 0);
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, now, 5, now + 200 * MS);
    assert_true(admit_paused_until(a) >= now + 250 * MS); /* the third: a pause */
    assert_int_equal(admit_isolated_429s(a), 2);
    /* a second later, alone again: isolated */
    uint64_t later = now + 2 * NS;
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, later, 5, later);
    assert_int_equal(admit_isolated_429s(a), 3);
    /* a long retry-after is a real wait */
    info.retry_after_s = 20;
    admit_on_response(a, ADMIT_SIGNAL_RATE_LIMITED, &info, later + 5 * NS, 5, later + 5 * NS);
    assert_int_equal(admit_isolated_429s(a), 3);
    assert_true(admit_paused_until(a) >= later + 25 * NS - 1);
    admit_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcra),       cmocka_unit_test(test_fixed_1s),
        cmocka_unit_test(test_sliding_1s), cmocka_unit_test(test_window_60s),
        cmocka_unit_test(test_bucket_60s), cmocka_unit_test(test_burst_of_429s_pauses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
