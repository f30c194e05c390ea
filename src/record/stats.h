/* stats.h - the counters behind progress, metrics and the summary, kept by the engine's
 * loop thread in fixed memory: answers per HTTP status, request durations in Prometheus
 * buckets, failures and retries per kind, and the time the run spent held back by each
 * limit (vb_limit_t). */
#ifndef VB_STATS_H
#define VB_STATS_H

#include <visionbatch.h>

#include <stdint.h>

/* Counts one answer with HTTP status (0: none, a transport error) and its duration. */
void stats_count_answer(vb_stats_t *s, long status, double seconds);

/* Adds one to kind's count in a table of VB_KIND_SLOTS entries, *used of them in use;
 * once the table is full, unknown kinds count as "other". NULL kind counts as "unknown". */
void stats_count_kind(vb_kind_count_t *table, size_t *used, const char *kind);

/* The count for status in s (0 when never seen). */
long stats_status_count(const vb_stats_t *s, long status);

/* Charges the time since the last call to the reason the run was held back then, and
 * remembers the reason now. limited_s has VB_LIMIT_COUNT entries. */
typedef struct stats_limits {
    vb_limit_t reason;
    uint64_t since_ns; /* 0 before the first call */
} stats_limits_t;

void stats_limits_enter(stats_limits_t *l, double *limited_s, vb_limit_t reason, uint64_t now);

/* The reason held back longest, as a phrase for people ("the rate limit", ...); NULL when
 * no time was charged. */
const char *stats_limit_verdict(const double *limited_s);

/* A short name of each vb_limit_t ("rate_limit", "concurrency", ...), for JSON. */
const char *stats_limit_name(vb_limit_t reason);

#endif
