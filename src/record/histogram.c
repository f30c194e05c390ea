/* histogram.c - log-linear buckets over microseconds. */
#include "record/histogram.h"

static unsigned bucket_of(uint64_t us)
{
    if (us < HISTOGRAM_SUB)
        return (unsigned)us;
    unsigned e = 63u - (unsigned)__builtin_clzll(us); /* us >= 64, so e >= 6 */
    unsigned sub = (unsigned)(us >> (e - 6)) & (HISTOGRAM_SUB - 1);
    unsigned b = HISTOGRAM_SUB + (e - 6) * HISTOGRAM_SUB + sub;
    return b < HISTOGRAM_BUCKETS ? b : HISTOGRAM_BUCKETS - 1;
}

/* The middle of a bucket's range, in microseconds. */
static double bucket_mid(unsigned b)
{
    if (b < HISTOGRAM_SUB)
        return b;
    unsigned e = (b - HISTOGRAM_SUB) / HISTOGRAM_SUB + 6;
    unsigned sub = (b - HISTOGRAM_SUB) % HISTOGRAM_SUB;
    double width = (double)(1ull << (e - 6));
    double low = (double)(1ull << e) + sub * width;
    return low + width / 2;
}

void histogram_add(histogram_t *h, double ms)
{
    if (ms < 0)
        ms = 0;
    uint64_t us = (uint64_t)(ms * 1000.0 + 0.5);
    h->counts[bucket_of(us)]++;
    h->n++;
    h->sum_ms += ms;
    if (ms > h->max_ms)
        h->max_ms = ms;
}

double histogram_quantile(const histogram_t *h, double q)
{
    if (h->n == 0)
        return 0;
    if (q <= 0)
        q = 0;
    if (q >= 1)
        return h->max_ms;
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if (rank >= h->n)
        rank = h->n - 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < HISTOGRAM_BUCKETS; b++) {
        seen += h->counts[b];
        if (seen > rank) {
            double ms = bucket_mid(b) / 1000.0;
            return ms > h->max_ms ? h->max_ms : ms;
        }
    }
    return h->max_ms;
}

double histogram_mean(const histogram_t *h)
{
    return h->n ? h->sum_ms / (double)h->n : 0;
}
