/* report_data.h - what `visionbatch report` shows, read from a job's journal: totals,
 * time series over the run in at most REPORT_BINS_MAX bins, the slowest requests and the
 * failed items. Memory is fixed (bins, top-N lists), whatever the journal's size.
 *
 * The time axis is run time: when a job was resumed, the idle time between its runs is
 * found (report_load says how) and left out, and the runs' boundaries are kept.
 *
 * Needs only the items and attempts tables every journal has; the limits over time
 * (window, concurrency, paced rate) come from the samples table of schema 2 journals
 * and are left out for older ones. */
#ifndef VB_REPORT_DATA_H
#define VB_REPORT_DATA_H

#include <visionbatch.h>

#include <stddef.h>

#define REPORT_BINS_MAX 100
#define REPORT_SLOWEST 10
#define REPORT_FAILED 50
#define REPORT_GAPS_MAX 32 /* the longest idle stretches between runs that are cut out */

typedef struct report_bin {
    double images;       /* items finished in the bin */
    double requests;     /* answers (attempts) in the bin */
    double errors;       /* attempts that failed other than by a 429 */
    double rate_limited; /* 429 answers */
    double in_flight;    /* average requests on the wire */
    double p50_ms, p90_ms, p99_ms; /* of attempts finishing in the bin; < 0: none */
    double cost_cum;     /* spent up to the end of the bin */
    double window, concurrency, rpm; /* averages of the samples; < 0: none */
} report_bin_t;

typedef struct report_item {
    char *id, *source;
    int attempt;          /* which attempt (slowest), or attempts made (failed) */
    double latency_ms;    /* < 0: none */
    long http_status;     /* 0: none */
    char *error_kind, *error_message; /* NULL: none */
} report_item_t;

/* A stretch of the job's time when no run was going (between a run and its resume). */
typedef struct report_gap {
    double from, to;      /* Unix seconds */
} report_gap_t;

typedef struct report {
    double t0, t1;        /* wall-clock span of the run(s), Unix seconds */
    size_t ngaps;         /* idle stretches between runs, in time order */
    report_gap_t gaps[REPORT_GAPS_MAX];
    double run_s;         /* t1 - t0 less the gaps: the time runs were going */
    double bin_s;         /* bins cover run time: the gaps are left out of the axis */
    size_t nbins;
    report_bin_t bins[REPORT_BINS_MAX];
    int has_samples;      /* the journal records the limits over time */
    char *params;         /* the job's request parameters (JSON), or NULL */
    long items, ok, failed, skipped, unfinished, reused; /* reused: ok without a request */
    long batched;         /* in a provider batch not collected yet (not unfinished: a run
                             of the job collects them, never sends them again) */
    long requests, retries, rate_limited, prompt_tokens, completion_tokens;
    double cost_usd;
    double p50_ms, p90_ms, p99_ms, max_ms, avg_ms;
    size_t failed_kinds;
    vb_kind_count_t failed_by_kind[VB_KIND_SLOTS];
    size_t nslowest, nfailed;
    report_item_t slowest[REPORT_SLOWEST];
    report_item_t failed_items[REPORT_FAILED];
} report_t;

/* Reads the journal at path (read-only) into a new report. NULL with a reason in err
 * when it cannot be opened or is not a visionbatch journal. Free with report_free. */
report_t *report_load(const char *path, char *err, size_t errlen);

/* Seconds of run time from the start to the Unix time t: the gaps before t left out (a t
 * inside a gap is where that gap starts). */
double report_run_time(const report_t *r, double t);

/* Frees a report. NULL is a no-op. */
void report_free(report_t *r);

#endif
