/* admit.c - admission control: window, limiters, pause. */
#include "admit/admit.h"

#include "admit/adaptive.h"
#include "admit/backoff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_WINDOW 16    /* slow start begins here (or at the concurrency if lower) */
#define QUIET_INITIAL_WINDOW 2 /* ... or here, when the server states limits only in 429s */
#define LEARNED_MARGIN 0.98  /* share of a server-reported limit used */
#define BURST_S        0.02  /* automatic burst: this many seconds of quota (at least 1) */
#define RATE_DECREASE 0.9    /* rate cut on a 429 event */
#define RATE_FLOOR 0.1       /* never below this share of the target */
#define RATE_RECOVERY 0.002  /* share of the target regained per success */
#define NS 1e9
#define RAMP_START    0.2    /* a ramped limit starts at this share of its target */

/* An isolated 429 (the pace is right; the server's slice boundary disagreed by a hair)
 * costs only its request a retry-after and paces a little lower from then on; a run-wide
 * pause is for 429s that come together, long retry-afters and an empty budget. */
#define ISOLATED_SPAN_NS  1000000000ull /* 429s within this span of each other ... */
#define ISOLATED_MAX      2             /* ... up to this many, are each isolated */
#define ISOLATED_RETRY_S  2.0           /* a longer retry-after is not a slice boundary */
#define MARGIN_STEP       0.99          /* each isolated 429 paces 1% lower ... */
#define MARGIN_FLOOR      0.90          /* ... down to this share of the limit at most */

/* A paced rate: the target (user's or learned) and the current, cut on 429s. */
typedef struct pace {
    ratelimit_t *rl;
    double user;    /* the user's limit, 0 = none */
    double limit;   /* the limit (user's or server's) times the margin it is used at */
    double target;  /* what to pace to when all is well: limit x the learned margin */
    double current; /* target, or less after a 429 */
    double ceiling; /* the limit itself (user's or server's): more can never go */
    double unpaced; /* units sent while no limit was known: charged once one is */
    uint64_t ramp_from; /* when a ramp to a learned limit began; 0: none running */
} pace_t;

struct admit {
    admit_settings_t s;
    pace_t req;
    pace_t tok;
    adaptive_t window;
    uint64_t paused_until;
    uint64_t last_cut;  /* when the last congestion event cut the limits */
    int consecutive;    /* 429 events since the last success */
    double margin;      /* learned from isolated 429s: share of the limits paced to */
    uint64_t recent[ISOLATED_MAX]; /* when the last isolated 429s came, newest first */
    long isolated;      /* isolated 429s so far */
    const admit_shared_t *shared; /* pacing shared with other processes, or NULL */
};

/* The burst a limiter allows: the user's, else BURST_S of quota (at least 1). Enough to
 * absorb a late wake-up of the loop; more would be sent at once at the start and after
 * any pause, which a server counting short slices (1 s) answers with 429s. */
static double pace_burst(const admit_t *a, double per_min, bool tokens)
{
    if (!tokens && a->s.burst > 0)
        return a->s.burst;
    double b = per_min * BURST_S / 60.0;
    return b < 1 ? 1 : b;
}

/* Sets a pace's target from a limit (pacing to margin of it); creates its limiter the
 * first time. */
static void pace_set_target(admit_t *a, pace_t *p, double limit, double margin, bool tokens,
                            uint64_t now)
{
    if (!(limit > 0))
        return;
    if (p->user > 0 && limit > p->user)
        limit = p->user, margin = 1;
    p->ceiling = limit;
    p->limit = limit * margin;
    double per_min = p->limit * a->margin;
    p->target = per_min;
    if (p->current <= 0 || p->current > per_min)
        p->current = per_min;
    if (!p->rl && a->s.ramp_s > 0 && p->user <= 0) {
        /* a server that refuses sharp ramps: start low, reach the target over ramp_s */
        p->current = per_min * RAMP_START;
        p->ramp_from = now ? now : 1;
    }
    if (!p->rl) {
        p->rl = ratelimit_new(a->s.kind, p->current, pace_burst(a, per_min, tokens));
        /* what went out while probing counts against the limit just learned: a server
         * counting a short slice (1 s) still has those requests in it */
        if (p->rl && p->unpaced > 0) /* at most a second's quota: what a slice still holds */
            ratelimit_charge(p->rl, p->unpaced < per_min / 60 ? p->unpaced : per_min / 60, now);
        p->unpaced = 0;
    } else
        ratelimit_set_limit(p->rl, p->current);
}

admit_t *admit_new(const admit_settings_t *s)
{
    if (s->concurrency < 1)
        return NULL;
    admit_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->s = *s;
    a->margin = 1;
    a->req.user = s->rpm;
    a->tok.user = s->tpm;
    pace_set_target(a, &a->req, s->rpm, 1, false, 0);
    pace_set_target(a, &a->tok, s->tpm, 1, true, 0);
    if ((s->rpm > 0 && !a->req.rl) || (s->tpm > 0 && !a->tok.rl)) {
        admit_free(a);
        return NULL;
    }
    double first = s->no_limit_headers ? QUIET_INITIAL_WINDOW : INITIAL_WINDOW;
    double initial = (double)s->concurrency < first ? (double)s->concurrency : first;
    adaptive_init(&a->window, initial, 1, (double)s->concurrency, 0.7);
    return a;
}

void admit_free(admit_t *a)
{
    if (!a)
        return;
    ratelimit_free(a->req.rl);
    ratelimit_free(a->tok.rl);
    free(a);
}

/* admit_try's pacing through the shared limiter: the same rates and bursts the local
 * limiters would use, a token weight capped the same way. */
static admit_verdict_t shared_try(admit_t *a, double tokens, uint64_t now, uint64_t *wake_ns)
{
    double rpm = admit_rpm(a), tpm = admit_tpm(a);
    double weight = tpm > 0 && tokens > tpm ? tpm : tokens;
    uint64_t wait = a->shared->take(a->shared->ctx, rpm, rpm > 0 ? pace_burst(a, rpm, false) : 0,
                                    tpm, tpm > 0 ? pace_burst(a, tpm, true) : 0, weight);
    if (wait) {
        *wake_ns = now + wait;
        return ADMIT_WAIT;
    }
    return ADMIT_GO;
}

void admit_set_shared(admit_t *a, const admit_shared_t *s)
{
    a->shared = s;
}

admit_verdict_t admit_try(admit_t *a, double tokens, long in_flight, uint64_t now,
                          uint64_t *wake_ns)
{
    if (a->tok.rl && tokens > a->tok.ceiling)
        return ADMIT_NEVER;
    if (now < a->paused_until) {
        *wake_ns = a->paused_until;
        return ADMIT_WAIT;
    }
    if (in_flight >= adaptive_window(&a->window)) {
        *wake_ns = UINT64_MAX;
        return ADMIT_WAIT;
    }
    if (a->shared)
        return shared_try(a, tokens, now, wake_ns);
    uint64_t wait = a->req.rl ? ratelimit_take(a->req.rl, 1, now) : 0;
    if (wait) {
        *wake_ns = now + wait;
        return ADMIT_WAIT;
    }
    /* A request within the ceiling but above the rate paced to now (98% of a learned
     * limit, or a rate cut after a 429) is charged as the whole current minute: it goes
     * once the limiter is idle instead of never. */
    double weight = tokens;
    if (a->tok.rl && weight > ratelimit_limit(a->tok.rl))
        weight = ratelimit_limit(a->tok.rl);
    wait = a->tok.rl ? ratelimit_take(a->tok.rl, weight, now) : 0;
    if (wait) {
        if (a->req.rl)
            ratelimit_refund(a->req.rl, 1, now);
        *wake_ns = now + wait;
        return ADMIT_WAIT;
    }
    if (!a->req.rl)
        a->req.unpaced += 1;
    if (!a->tok.rl)
        a->tok.unpaced += tokens;
    return ADMIT_GO;
}

/* Raises a ramping pace to its share of the target at now: RAMP_START at the start of the
 * ramp, growing linearly to the whole target after ramp_s. */
static void pace_ramp(const admit_t *a, pace_t *p, uint64_t now)
{
    if (!p->ramp_from || !p->rl)
        return;
    double t = now > p->ramp_from ? (double)(now - p->ramp_from) / NS : 0;
    double share = RAMP_START + (1 - RAMP_START) * t / a->s.ramp_s;
    if (share >= 1) {
        share = 1;
        p->ramp_from = 0;
    }
    if (p->current < p->target * share) {
        p->current = p->target * share;
        ratelimit_set_limit(p->rl, p->current);
    }
}

/* Moves a pace back towards its target after a success. */
static void pace_recover(pace_t *p)
{
    if (!p->rl || p->current >= p->target || p->ramp_from) /* a ramp grows by time */
        return;
    p->current += p->target * RATE_RECOVERY;
    if (p->current > p->target)
        p->current = p->target;
    ratelimit_set_limit(p->rl, p->current);
}

/* Paces p at the admission's learned margin of its limit (lower only: a rate cut by a
 * congestion event recovers towards the new target). */
static void pace_apply_margin(const admit_t *a, pace_t *p)
{
    if (!p->rl)
        return;
    p->target = p->limit * a->margin;
    if (p->current > p->target) {
        p->current = p->target;
        ratelimit_set_limit(p->rl, p->current);
    }
}

/* Whether a 429 at now is isolated: fewer than ISOLATED_MAX others within
 * ISOLATED_SPAN_NS, a short retry-after, and the budget not reported empty for long (learn()
 * pauses for that). Records it as recent when it is. */
static bool isolated_429(admit_t *a, const ratelimit_info_t *info, uint64_t now)
{
    double retry_after = info ? info->retry_after_s : -1;
    if (retry_after > ISOLATED_RETRY_S)
        return false;
    if (info && info->remaining_requests >= 0 && info->remaining_requests < 1 &&
        info->reset_requests_s > ISOLATED_RETRY_S)
        return false;
    if (info && info->remaining_tokens >= 0 && info->remaining_tokens < 1 &&
        info->reset_tokens_s > ISOLATED_RETRY_S)
        return false;
    /* the oldest of the recent ones within the span: this one would make too many */
    uint64_t oldest = a->recent[ISOLATED_MAX - 1];
    if (oldest && now - oldest < ISOLATED_SPAN_NS)
        return false;
    memmove(a->recent + 1, a->recent, (ISOLATED_MAX - 1) * sizeof a->recent[0]);
    a->recent[0] = now ? now : 1;
    return true;
}

static void pace_cut(pace_t *p)
{
    if (!p->rl)
        return;
    p->ramp_from = 0; /* the server pushed back: recover from here as after any cut */
    p->current *= RATE_DECREASE;
    if (p->current < p->target * RATE_FLOOR)
        p->current = p->target * RATE_FLOOR;
    ratelimit_set_limit(p->rl, p->current);
}

/* Smallest limit taken from a server (per minute): anything less is not believed. */
#define LEARNED_MIN 1.0

/* Learns limits from the headers, and pauses when the server says nothing is left. What
 * a server says is bounded: limits below LEARNED_MIN are ignored, a pause is at most
 * pause_max_s. */
static void learn(admit_t *a, const ratelimit_info_t *info, uint64_t now)
{
    bool req = info->limit_requests >= LEARNED_MIN, tok = info->limit_tokens >= LEARNED_MIN;
    if (req)
        pace_set_target(a, &a->req, info->limit_requests, LEARNED_MARGIN, false, now);
    if (tok)
        pace_set_target(a, &a->tok, info->limit_tokens, LEARNED_MARGIN, true, now);
    if ((req || tok) && a->window.slow_start) {
        /* The server publishes its limits and the limiters now pace to them: the window
         * need not probe any more. */
        a->window.limit = a->window.max;
        a->window.slow_start = false;
    }
    if (info->remaining_requests >= 0 && info->remaining_requests < 1) {
        /* nothing left now: wait one emission interval, or the reset if sooner */
        double wait = req ? 60.0 / info->limit_requests : 1.0;
        if (info->reset_requests_s >= 0 && info->reset_requests_s < wait)
            wait = info->reset_requests_s;
        if (wait > a->s.pause_max_s)
            wait = a->s.pause_max_s;
        uint64_t until = now + (uint64_t)(wait * NS);
        if (until > a->paused_until)
            a->paused_until = until;
    }
}

void admit_on_response(admit_t *a, admit_signal_t signal, const ratelimit_info_t *info,
                       uint64_t sent_ns, long in_flight, uint64_t now)
{
    if (info)
        learn(a, info, now);
    pace_ramp(a, &a->req, now);
    pace_ramp(a, &a->tok, now);
    switch (signal) {
    case ADMIT_SIGNAL_OK:
        a->consecutive = 0;
        if (info && !a->s.no_limit_headers && a->window.slow_start && a->last_cut == 0 &&
            !a->req.rl && !a->tok.rl &&
            !(info->limit_requests >= LEARNED_MIN) && !(info->limit_tokens >= LEARNED_MIN)) {
            /* The server answered and publishes no limit (a local or self-hosted one):
             * probing would only cost round trips at a fraction of the concurrency.
             * Open the window; a 429 or an overload still cuts it. */
            a->window.limit = a->window.max;
            a->window.slow_start = false;
        }
        adaptive_on_success(&a->window, in_flight);
        pace_recover(&a->req);
        pace_recover(&a->tok);
        break;
    case ADMIT_SIGNAL_RATE_LIMITED: {
        if (isolated_429(a, info, now)) {
            /* only its request waits (admit_retry_due); the pace keeps a margin */
            a->isolated++;
            a->margin *= MARGIN_STEP;
            if (a->margin < MARGIN_FLOOR)
                a->margin = MARGIN_FLOOR;
            pace_apply_margin(a, &a->req);
            pace_apply_margin(a, &a->tok);
            break;
        }
        double retry_after = info ? info->retry_after_s : -1;
        bool new_event = sent_ns >= a->last_cut;
        if (new_event) {
            a->consecutive++;
            a->last_cut = now;
            adaptive_on_drop(&a->window);
            pace_cut(&a->req);
            pace_cut(&a->tok);
        }
        double pause = backoff_delay(a->consecutive, a->s.pause_base_s, a->s.pause_max_s, 0,
                                     retry_after, a->s.pause_max_s);
        if (pause > a->s.pause_max_s)
            pause = a->s.pause_max_s;
        if (retry_after >= 0 && retry_after < pause && a->consecutive <= 1)
            pause = retry_after; /* the server said how long: trust it the first time */
        uint64_t until = now + (uint64_t)(pause * NS);
        if (until > a->paused_until)
            a->paused_until = until;
        break;
    }
    case ADMIT_SIGNAL_OVERLOADED:
        if (sent_ns >= a->last_cut) {
            a->last_cut = now;
            adaptive_on_drop(&a->window);
        }
        break;
    case ADMIT_SIGNAL_OTHER:
        break;
    }
}

uint64_t admit_paused_until(const admit_t *a)
{
    return a->paused_until;
}

uint64_t admit_retry_due(const admit_t *a, double retry_after_s, uint64_t now)
{
    uint64_t due = a->paused_until > now ? a->paused_until : now;
    if (retry_after_s > 0) {
        double s = retry_after_s < a->s.pause_max_s ? retry_after_s : a->s.pause_max_s;
        uint64_t after = now + (uint64_t)(s * NS);
        due = after > due ? after : due;
    }
    return due;
}

long admit_isolated_429s(const admit_t *a)
{
    return a->isolated;
}

long admit_window(const admit_t *a)
{
    return adaptive_window(&a->window);
}

double admit_rpm(const admit_t *a)
{
    return a->req.rl ? a->req.current : 0;
}

double admit_tpm(const admit_t *a)
{
    return a->tok.rl ? a->tok.current : 0;
}

double admit_tpm_limit(const admit_t *a)
{
    return a->tok.rl ? a->tok.ceiling : 0;
}
