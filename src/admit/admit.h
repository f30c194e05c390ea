/* admit.h - when may the next request go: the concurrency window, the request and token
 * rate limiters, and the run-wide pause after the server says "too many".
 *
 * Limits come from the user (--rpm, --tpm) or are learned from the server's rate-limit
 * headers (a user's limit is never exceeded; a learned one is used at 98%). The window
 * starts small and grows by slow start, then AIMD (adaptive.h); once the server has
 * published its limits the limiters pace and the window opens fully.
 *
 * Servers enforce "per minute" in many ways (GCRA, 1 s slices, a sliding 1 s or 60 s log,
 * a bucket of a whole minute), so a 429 is read two ways. An isolated one (at most two
 * within a second, a retry-after of at most 2 s, the budget not reported empty) means
 * the pace is right and a slice boundary disagreed by a hair: only its request waits its
 * retry-after, and both limits are paced 1% lower from then on (a learned margin, down to
 * 90%). 429s that come together, a long retry-after or an empty budget pause the whole
 * run and cut the window and the rate once per congestion event: answers to requests sent
 * before the last cut do not cut again. Limiters allow a burst of 20 ms of quota: enough
 * to absorb a late wake-up, too little to overrun a 1 s slice.
 *
 * Every function takes the time, so the logic is tested on a hand-moved clock. */
#ifndef VB_ADMIT_H
#define VB_ADMIT_H

#include "admit/ratelimit.h"
#include "admit/ratelimit_headers.h"

#include <stdint.h>

typedef struct admit_settings {
    double rpm;             /* requests per minute; 0 = learn from the server */
    double tpm;             /* tokens per minute; 0 = learn from the server */
    double burst;           /* requests allowed back to back; 0 = automatic */
    ratelimit_kind_t kind;  /* GCRA or sliding window */
    long concurrency;       /* ceiling of the window */
    double pause_base_s;    /* run-wide pause after a 429 without retry-after ... */
    double pause_max_s;     /* ... doubling per consecutive 429 event, capped */
    double ramp_s;          /* a limit learned from the server is paced to from 20% of
                               it, rising to all of it over this many seconds (for
                               servers that refuse sharp ramps: Anthropic's
                               "acceleration" 429s); 0: at once */
    int no_limit_headers;   /* the server never states its limits in headers, only in its
                               429s (Gemini): slow start begins at 2, and a success without
                               limit headers does not open the window (a server that
                               publishes limits would have said them) */
} admit_settings_t;

typedef enum {
    ADMIT_GO = 0, /* send it now (the limiters have been charged) */
    ADMIT_WAIT,   /* not now: try again at *wake_ns (UINT64_MAX: when a request ends) */
    ADMIT_NEVER,  /* heavier than the token limit allows in a minute: fail the item */
} admit_verdict_t;

/* How a response bears on the limits. */
typedef enum {
    ADMIT_SIGNAL_OK = 0,      /* success */
    ADMIT_SIGNAL_RATE_LIMITED,/* 429 rate_limit_exceeded */
    ADMIT_SIGNAL_OVERLOADED,  /* 503, 529, timeout: the server is struggling */
    ADMIT_SIGNAL_OTHER,       /* anything else: no bearing */
} admit_signal_t;

typedef struct admit admit_t;

/* Creates the admission state. NULL when out of memory or the settings are invalid. */
admit_t *admit_new(const admit_settings_t *s);

/* May a request estimated at tokens go at now, with in_flight requests out? */
admit_verdict_t admit_try(admit_t *a, double tokens, long in_flight, uint64_t now,
                          uint64_t *wake_ns);

/* Takes in a response: its signal, the rate-limit headers (may be NULL), when its request
 * was sent, and how many requests were in flight. */
void admit_on_response(admit_t *a, admit_signal_t signal, const ratelimit_info_t *info,
                       uint64_t sent_ns, long in_flight, uint64_t now);

/* The end of the current run-wide pause (0 when none). */
uint64_t admit_paused_until(const admit_t *a);

/* When a request answered 429 at now with retry_after_s (< 0: none given) may go again:
 * after the run-wide pause if one is on, and not before its own retry-after (capped at
 * pause_max_s). The caller adds its jitter. */
uint64_t admit_retry_due(const admit_t *a, double retry_after_s, uint64_t now);

/* How many 429s were taken as isolated (no run-wide pause). */
long admit_isolated_429s(const admit_t *a);

/* The concurrency window now. */
long admit_window(const admit_t *a);

/* The request rate being paced to, per minute (0 when none is known). */
double admit_rpm(const admit_t *a);

/* The token rate being paced to, per minute (0 when none is known). */
double admit_tpm(const admit_t *a);

/* The token limit itself (user's, or the server's): a request estimated above it can
 * never be sent. 0 when none is known. */
double admit_tpm_limit(const admit_t *a);

/* Pacing shared with other processes (redis_limiter.c). When set, it is asked instead
 * of the local limiters, with the rates this process would pace to (0 = none known:
 * the shared state may know one) and their bursts. take returns 0 when the request may
 * go now (both limits charged), else the nanoseconds to wait. */
typedef struct admit_shared {
    uint64_t (*take)(void *ctx, double rpm, double rpm_burst, double tpm, double tpm_burst,
                     double tokens);
    void *ctx;
} admit_shared_t;

/* Makes a pace its limits with s (which must outlive a); NULL goes back to local. */
void admit_set_shared(admit_t *a, const admit_shared_t *s);

/* Frees the state. NULL is a no-op. */
void admit_free(admit_t *a);

#endif
