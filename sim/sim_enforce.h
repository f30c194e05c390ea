/* sim_enforce.h - one per-minute limit enforced the way a given kind of server does.
 *
 * Servers say "N a minute" but count it differently, and a client must cope with each:
 *  - GCRA: N/60 a second, paced evenly, with a burst of burst_s seconds of quota (what
 *    the simulator always did; admit/ratelimit.h's GCRA limiter).
 *  - FIXED_1S: N/60 per wall-clock second; the count resets at each second boundary
 *    (OpenAI's "quantized" enforcement).
 *  - SLIDING_1S: at most N/60 in any trailing 1 s (a sliding log, as proxies keep in Redis).
 *  - WINDOW_60S: at most N in any trailing 60 s (a sliding log).
 *  - BUCKET_60S: a token bucket of capacity N refilled at N/60 a second, starting full.
 * A share N/60 that is not whole is used as it is: a request goes when the count plus its
 * weight stays <= N/60, compared in doubles.
 *
 * Every mode also reports what OpenAI's headers describe, the minute's budget: the units
 * admitted in the trailing 60 s (the sliding log itself for WINDOW_60S, 60 one-second
 * buckets for the others; GCRA keeps the limiter's own numbers) and when the mode's state
 * is fully restored.
 *
 * Time is passed in: nanoseconds on one monotonic time line. Not thread-safe: the caller
 * (sim_limits.c) holds one lock over both of a request's limits. */
#ifndef VB_SIM_ENFORCE_H
#define VB_SIM_ENFORCE_H

#include <stdint.h>

typedef enum {
    SIM_ENFORCE_GCRA = 0,
    SIM_ENFORCE_FIXED_1S,
    SIM_ENFORCE_SLIDING_1S,
    SIM_ENFORCE_WINDOW_60S,
    SIM_ENFORCE_BUCKET_60S,
} sim_enforce_mode_t;

/* The most entries a sliding log holds (16 bytes each). A log that is full refuses
 * (with the wait until its oldest entry leaves) rather than grow further. */
#define SIM_ENFORCE_LOG_MAX 1000000u

typedef struct sim_enforce sim_enforce_t;

/* What the headers report about a limit at some instant. */
typedef struct {
    double remaining;        /* x-ratelimit-remaining: the limit less the units admitted
                                in the trailing 60 s, >= 0 (GCRA: units that could go
                                back to back now) */
    uint64_t reset_ns;       /* x-ratelimit-reset: until the mode's state is fully restored */
    unsigned long long used; /* "Used" of a 429 message: the units admitted in the trailing
                                60 s (GCRA: the units not yet drained) */
} sim_enforce_status_t;

/* The mode called name ("gcra", "fixed-1s", "sliding-1s", "window-60s", "bucket-60s")
 * into *out. Returns 0, or -1 for an unknown name. */
int sim_enforce_parse(const char *name, sim_enforce_mode_t *out);

/* The name of mode, as sim_enforce_parse takes it (a static string). */
const char *sim_enforce_name(sim_enforce_mode_t mode);

/* Creates a limit of limit_per_min units a minute (> 0) enforced by mode. burst_s is the
 * GCRA burst in seconds of quota (at least one unit; ignored by the other modes).
 * wall_phase_ns is where the wall clock's second boundaries fall on the time line of
 * now_ns: (wall time - now_ns) modulo one second; only FIXED_1S uses it. Returns NULL
 * when out of memory or limit_per_min is not > 0. Free with sim_enforce_free. */
sim_enforce_t *sim_enforce_new(sim_enforce_mode_t mode, double limit_per_min, double burst_s,
                               uint64_t wall_phase_ns);

/* Frees e; NULL is a no-op. */
void sim_enforce_free(sim_enforce_t *e);

/* Takes weight units at now_ns if the mode allows; returns 0 then. Otherwise takes nothing
 * and returns the nanoseconds until the same call would succeed (>= 1), or UINT64_MAX for
 * a weight that can never go (above the limit; for the 1 s modes, above the limit / 60).
 * now_ns never goes backwards between calls. */
uint64_t sim_enforce_admit(sim_enforce_t *e, double weight, uint64_t now_ns);

/* Gives back the weight units that the last sim_enforce_admit, at the same now_ns, took
 * for a request that the other limit then refused. */
void sim_enforce_refund(sim_enforce_t *e, double weight, uint64_t now_ns);

/* Fills *out with the limit's state at now_ns (forgetting what aged out of it). */
void sim_enforce_peek(sim_enforce_t *e, uint64_t now_ns, sim_enforce_status_t *out);

#endif
