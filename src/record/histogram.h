/* histogram.h - latency percentiles in fixed memory.
 *
 * Values are bucketed logarithmically with 64 sub-buckets per power of two (about 1.6%
 * relative error), from 1 microsecond to about 12 days, in 18 KiB whatever the count:
 * memory does not grow with the number of requests. */
#ifndef VB_HISTOGRAM_H
#define VB_HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_SUB 64
#define HISTOGRAM_BUCKETS (HISTOGRAM_SUB + 35 * HISTOGRAM_SUB)

typedef struct histogram {
    uint64_t counts[HISTOGRAM_BUCKETS];
    uint64_t n;
    double sum_ms;
    double max_ms;
} histogram_t;

/* Records one value in milliseconds (negative values count as 0). */
void histogram_add(histogram_t *h, double ms);

/* The value below which a fraction q (0..1) of the recorded values fall, in
 * milliseconds; 0 when nothing was recorded. */
double histogram_quantile(const histogram_t *h, double q);

/* Mean of the recorded values in milliseconds; 0 when empty. */
double histogram_mean(const histogram_t *h);

#endif
