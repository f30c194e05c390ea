/* backoff.h - how long to wait before retrying (provider-facts.md §4): exponential,
 * capped, with jitter so that retries spread out instead of arriving together. */
#ifndef VB_BACKOFF_H
#define VB_BACKOFF_H

/* The wait before retry number n (1 = the first retry):
 * min(base * 2^(n-1), max) * (1 - 0.25 * jitter), with jitter in [0, 1) drawn by the
 * caller (tests pass a fixed value). A server's retry-after (>= 0, or -1 when absent)
 * is honoured when it is longer, up to max_retry_after seconds. */
double backoff_delay(int n, double base, double max, double jitter, double retry_after,
                     double max_retry_after);

#endif
