/* ratelimit.c - GCRA and a bucketed sliding window. */
#include "admit/ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MIN 60e9
#define WINDOW_BUCKETS 60
#define BUCKET_NS 1000000000ull

struct ratelimit {
    ratelimit_kind_t kind;
    double limit;         /* units per minute */
    double burst;         /* units allowed back to back */
    double tat;           /* GCRA: theoretical arrival time, ns */
    uint64_t blocked_until;
    /* window: units taken in each of the last 60 one-second buckets */
    double buckets[WINDOW_BUCKETS];
    uint64_t newest; /* index (time / 1 s) of the newest bucket */
};

ratelimit_t *ratelimit_new(ratelimit_kind_t kind, double limit_per_min, double burst)
{
    if (!(limit_per_min > 0))
        return NULL;
    ratelimit_t *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->kind = kind;
    rl->limit = limit_per_min;
    rl->burst = burst < 1 ? 1 : burst;
    return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
    free(rl);
}

void ratelimit_set_limit(ratelimit_t *rl, double limit_per_min)
{
    if (limit_per_min > 0)
        rl->limit = limit_per_min;
}

double ratelimit_limit(const ratelimit_t *rl)
{
    return rl->limit;
}

void ratelimit_block_until(ratelimit_t *rl, uint64_t until_ns)
{
    if (until_ns > rl->blocked_until)
        rl->blocked_until = until_ns;
}

/* Moves the window so its newest bucket is the one holding now, clearing the buckets
 * that fell out of the last 60 s. */
static void window_advance(ratelimit_t *rl, uint64_t now_ns)
{
    uint64_t idx = now_ns / BUCKET_NS;
    if (idx <= rl->newest)
        return;
    uint64_t gap = idx - rl->newest;
    if (gap >= WINDOW_BUCKETS)
        memset(rl->buckets, 0, sizeof rl->buckets);
    else
        for (uint64_t i = 1; i <= gap; i++)
            rl->buckets[(rl->newest + i) % WINDOW_BUCKETS] = 0;
    rl->newest = idx;
}

static uint64_t window_take(ratelimit_t *rl, double weight, uint64_t now_ns)
{
    if (weight > rl->limit)
        return UINT64_MAX;
    window_advance(rl, now_ns);
    double used = 0;
    for (int i = 0; i < WINDOW_BUCKETS; i++)
        used += rl->buckets[i];
    if (used + weight <= rl->limit) {
        rl->buckets[rl->newest % WINDOW_BUCKETS] += weight;
        return 0;
    }
    /* wait until enough of the oldest buckets have left the window */
    double need = used + weight - rl->limit;
    uint64_t oldest = rl->newest < WINDOW_BUCKETS - 1 ? rl->newest : WINDOW_BUCKETS - 1;
    for (uint64_t age = oldest;; age--) {
        uint64_t idx = rl->newest - age; /* the bucket that expires next */
        need -= rl->buckets[idx % WINDOW_BUCKETS];
        if (need <= 0 || age == 0) {
            uint64_t expires = (idx + WINDOW_BUCKETS) * BUCKET_NS;
            return expires > now_ns ? expires - now_ns : 1;
        }
    }
}

static uint64_t gcra_take(ratelimit_t *rl, double weight, uint64_t now_ns)
{
    if (weight > rl->limit)
        return UINT64_MAX;
    double t = NS_PER_MIN / rl->limit; /* emission interval per unit */
    /* Tolerance: the burst, or for a request heavier than the burst, its own weight: it
     * may go once the limiter is idle, and what follows waits for the debt it leaves. */
    double tau = t * (weight > rl->burst ? weight : rl->burst);
    double now = (double)now_ns;
    double tat = rl->tat > now ? rl->tat : now;
    double allowed_at = tat + t * weight - tau;
    if (allowed_at > now) {
        double wait = ceil(allowed_at - now);
        return wait < 1 ? 1 : (uint64_t)wait;
    }
    rl->tat = tat + t * weight;
    return 0;
}

uint64_t ratelimit_take(ratelimit_t *rl, double weight, uint64_t now_ns)
{
    if (now_ns < rl->blocked_until)
        return rl->blocked_until - now_ns;
    return rl->kind == RATELIMIT_GCRA ? gcra_take(rl, weight, now_ns)
                                      : window_take(rl, weight, now_ns);
}

void ratelimit_charge(ratelimit_t *rl, double weight, uint64_t now_ns)
{
    if (rl->kind == RATELIMIT_GCRA) {
        double tat = rl->tat > (double)now_ns ? rl->tat : (double)now_ns;
        rl->tat = tat + NS_PER_MIN / rl->limit * weight;
    } else {
        window_advance(rl, now_ns);
        rl->buckets[rl->newest % WINDOW_BUCKETS] += weight;
    }
}

void ratelimit_refund(ratelimit_t *rl, double weight, uint64_t now_ns)
{
    if (rl->kind == RATELIMIT_GCRA) {
        rl->tat -= NS_PER_MIN / rl->limit * weight;
        if (rl->tat < (double)now_ns)
            rl->tat = (double)now_ns;
    } else {
        window_advance(rl, now_ns);
        double *b = &rl->buckets[rl->newest % WINDOW_BUCKETS];
        *b = *b > weight ? *b - weight : 0;
    }
}

void ratelimit_status(const ratelimit_t *rl, uint64_t now_ns, double *remaining,
                      uint64_t *reset_ns)
{
    if (rl->kind == RATELIMIT_GCRA) {
        double t = NS_PER_MIN / rl->limit;
        double debt = rl->tat > (double)now_ns ? rl->tat - (double)now_ns : 0;
        double left = floor((t * rl->burst - debt) / t);
        *remaining = left > 0 ? left : 0;
        *reset_ns = (uint64_t)debt;
        return;
    }
    double used = 0;
    uint64_t idx = now_ns / BUCKET_NS;
    uint64_t reset = 0;
    for (uint64_t age = 0; age < WINDOW_BUCKETS && age <= idx; age++) {
        uint64_t b = idx - age;
        if (b > rl->newest || rl->newest - b >= WINDOW_BUCKETS)
            continue;
        double v = rl->buckets[b % WINDOW_BUCKETS];
        used += v;
        if (v > 0)
            reset = (b + WINDOW_BUCKETS) * BUCKET_NS - now_ns;
    }
    *remaining = used < rl->limit ? rl->limit - used : 0;
    *reset_ns = reset;
}
