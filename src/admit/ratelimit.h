/* ratelimit.h - pacing requests and tokens per minute.
 *
 * Two limiters behind one interface:
 *  - GCRA (generic cell rate algorithm, provider-facts.md §5): one timestamp of state,
 *    smooth pacing at limit/60 per second, with a burst of `burst` units allowed at once.
 *  - a sliding window: at most `limit` units in any 60 s, counted in 60 one-second
 *    buckets. It is what the original script offered; it lets a whole minute's quota out
 *    at once, which providers that enforce shorter slices answer with 429s.
 *
 * Time is passed in (nanoseconds from any monotonic origin), so tests need no sleeping. */
#ifndef VB_RATELIMIT_H
#define VB_RATELIMIT_H

#include <stdint.h>

typedef enum { RATELIMIT_GCRA = 0, RATELIMIT_WINDOW } ratelimit_kind_t;

typedef struct ratelimit ratelimit_t;

/* Creates a limiter of limit_per_min units a minute (> 0) with a burst of burst units
 * (>= 1; for GCRA, how many units may go back to back). NULL when out of memory. */
ratelimit_t *ratelimit_new(ratelimit_kind_t kind, double limit_per_min, double burst);

/* Takes weight units at now_ns if the limit allows; returns 0 then. Otherwise takes
 * nothing and returns how many nanoseconds to wait before the same call would succeed
 * (at least 1). A weight above the per-minute limit can never go: UINT64_MAX. A weight
 * above the burst goes when the limiter is idle, and later requests wait it off. */
uint64_t ratelimit_take(ratelimit_t *rl, double weight, uint64_t now_ns);

/* Takes weight units at now_ns whatever the limit: what went before the limiter existed
 * (sent before a server's limit was learned) is paid off by waiting later requests. */
void ratelimit_charge(ratelimit_t *rl, double weight, uint64_t now_ns);

/* Gives back weight units taken for a request that was never sent. */
void ratelimit_refund(ratelimit_t *rl, double weight, uint64_t now_ns);

/* Changes the rate (e.g. learned from a server's headers), keeping the state. */
void ratelimit_set_limit(ratelimit_t *rl, double limit_per_min);

/* The current limit in units a minute. */
double ratelimit_limit(const ratelimit_t *rl);

/* Makes the limiter refuse everything until until_ns (a server said "wait"). */
void ratelimit_block_until(ratelimit_t *rl, uint64_t until_ns);

/* What a server reports about a GCRA limiter at now_ns (redis-cell's answer): how many
 * units could go back to back right now, and the nanoseconds until the limiter is back
 * to its full burst. For a window limiter: units left in the window, and the time until
 * the oldest non-empty bucket leaves it. */
void ratelimit_status(const ratelimit_t *rl, uint64_t now_ns, double *remaining,
                      uint64_t *reset_ns);

/* Frees the limiter. NULL is a no-op. */
void ratelimit_free(ratelimit_t *rl);

#endif
