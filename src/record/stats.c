/* stats.c - fixed-size counters for the live statistics and the summary. */
#include "record/stats.h"

#include <stdio.h>
#include <string.h>

static const double latency_bounds[VB_LATENCY_BUCKETS] = VB_LATENCY_BOUNDS;

void stats_count_answer(vb_stats_t *s, long status, double seconds)
{
    size_t i;
    for (i = 0; i < s->status_slots; i++)
        if (s->by_status[i].status == status)
            break;
    if (i == s->status_slots) {
        if (s->status_slots < VB_STATUS_SLOTS) {
            s->by_status[s->status_slots++].status = status;
        } else { /* a server sending many odd statuses: they share the slot of 0 */
            for (i = 0; i < s->status_slots && s->by_status[i].status != 0; i++)
                ;
            if (i == s->status_slots)
                i = 0;
        }
    }
    s->by_status[i].n++;
    if (seconds < 0)
        seconds = 0;
    for (size_t b = 0; b < VB_LATENCY_BUCKETS; b++)
        if (seconds <= latency_bounds[b])
            s->latency_buckets[b]++;
    s->latency_count++;
    s->latency_sum_s += seconds;
}

void stats_count_kind(vb_kind_count_t *table, size_t *used, const char *kind)
{
    if (!kind)
        kind = "unknown";
    size_t i;
    for (i = 0; i < *used; i++)
        if (strcmp(table[i].kind, kind) == 0)
            break;
    if (i == *used) {
        if (*used == VB_KIND_SLOTS) {
            kind = "other";
            for (i = 0; i < *used && strcmp(table[i].kind, kind) != 0; i++)
                ;
            if (i == *used) /* the last slot becomes "other" */
                snprintf(table[i = *used - 1].kind, sizeof table[i].kind, "%s", kind);
        } else {
            snprintf(table[i].kind, sizeof table[i].kind, "%s", kind);
            table[i].n = 0;
            (*used)++;
        }
    }
    table[i].n++;
}

long stats_status_count(const vb_stats_t *s, long status)
{
    for (size_t i = 0; i < s->status_slots; i++)
        if (s->by_status[i].status == status)
            return s->by_status[i].n;
    return 0;
}

void stats_limits_enter(stats_limits_t *l, double *limited_s, vb_limit_t reason, uint64_t now)
{
    if (l->since_ns && now > l->since_ns && (unsigned)l->reason < VB_LIMIT_COUNT)
        limited_s[l->reason] += (double)(now - l->since_ns) / 1e9;
    l->reason = reason;
    l->since_ns = now;
}

static const char *const limit_names[VB_LIMIT_COUNT] = {
    [VB_LIMIT_RATE] = "rate_limit",
    [VB_LIMIT_CONCURRENCY] = "concurrency",
    [VB_LIMIT_WINDOW] = "adaptive_window",
    [VB_LIMIT_PREPARE] = "image_preparation",
    [VB_LIMIT_LATENCY] = "server_latency",
};

const char *stats_limit_name(vb_limit_t reason)
{
    return (unsigned)reason < VB_LIMIT_COUNT ? limit_names[reason] : "unknown";
}

/* The adaptive window is held below --concurrency by the server's overload signals
 * (503, 529, timeouts), so its time counts with the server's latency. */
const char *stats_limit_verdict(const double *limited_s)
{
    double rate = limited_s[VB_LIMIT_RATE], conc = limited_s[VB_LIMIT_CONCURRENCY];
    double server = limited_s[VB_LIMIT_WINDOW] + limited_s[VB_LIMIT_LATENCY];
    double prep = limited_s[VB_LIMIT_PREPARE];
    if (rate + conc + server + prep <= 0)
        return NULL;
    if (rate >= conc && rate >= server && rate >= prep)
        return "the rate limit";
    if (conc >= server && conc >= prep)
        return "concurrency";
    if (server >= prep)
        return "server latency";
    return "image preparation";
}
