/* report_data.c - the figures of `visionbatch report`, from the journal's tables. */
#include "report/report_data.h"

#include "record/histogram.h"
#include "record/journal.h"
#include "record/output.h"
#include "record/stats.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? strdup((const char *)t) : NULL;
}

/* One value of a one-row query; fallback when it yields nothing. */
static double query_double(sqlite3 *db, const char *sql, double fallback)
{
    sqlite3_stmt *st;
    double v = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fallback;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A run samples its limits once a second (samples table), so this long without a sample,
 * an attempt on the wire or an item written is time between runs. */
#define GAP_SAMPLED_S 5.0
/* Journals without samples: a gap is at least this long, and 10x the median time between
 * two events, so a slow but steady run is not cut into pieces. */
#define GAP_UNSAMPLED_MIN_S 30.0
#define GAP_UNSAMPLED_MEDIANS 10.0

/* The shortest gap that counts as time between runs. */
static double gap_threshold(sqlite3 *db, int has_samples)
{
    if (has_samples)
        return GAP_SAMPLED_S;
    double median = query_double(
        db,
        "WITH ev(t) AS (SELECT finished_at FROM attempts UNION ALL SELECT updated_at FROM items),"
        " d(d) AS (SELECT t - LAG(t) OVER (ORDER BY t) FROM ev)"
        " SELECT d FROM d WHERE d IS NOT NULL ORDER BY d"
        " LIMIT 1 OFFSET (SELECT COUNT(*) FROM d WHERE d IS NOT NULL) / 2",
        0);
    double t = GAP_UNSAMPLED_MEDIANS * median;
    return t > GAP_UNSAMPLED_MIN_S ? t : GAP_UNSAMPLED_MIN_S;
}

static int gap_before(const void *a, const void *b)
{
    double x = ((const report_gap_t *)a)->from, y = ((const report_gap_t *)b)->from;
    return (x > y) - (x < y);
}

/* The idle stretches between runs: times no event covers (an attempt from its start to
 * its end; a sample; an item written) longer than gap_threshold. The longest
 * REPORT_GAPS_MAX, in time order. SQLite sorts, so memory stays fixed. */
static void report_gaps(report_t *r, sqlite3 *db, int has_samples)
{
    char sql[1024];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql,
             "WITH ev(s, e) AS ("
             " SELECT finished_at - IFNULL(latency_ms, 0) / 1000.0, finished_at FROM attempts"
             " UNION ALL SELECT updated_at, updated_at FROM items%s),"
             " reach(s, before) AS (SELECT s, MAX(e) OVER (ORDER BY s ROWS BETWEEN"
             " UNBOUNDED PRECEDING AND 1 PRECEDING) FROM ev)"
             " SELECT before, s FROM reach WHERE s - before > ?1"
             " ORDER BY s - before DESC LIMIT ?2",
             has_samples ? " UNION ALL SELECT t, t FROM samples" : "");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return; /* an SQLite without window functions: no gaps found, none cut */
    sqlite3_bind_double(st, 1, gap_threshold(db, has_samples));
    sqlite3_bind_int(st, 2, REPORT_GAPS_MAX);
    while (sqlite3_step(st) == SQLITE_ROW && r->ngaps < REPORT_GAPS_MAX)
        r->gaps[r->ngaps++] = (report_gap_t){sqlite3_column_double(st, 0),
                                             sqlite3_column_double(st, 1)};
    sqlite3_finalize(st);
    qsort(r->gaps, r->ngaps, sizeof r->gaps[0], gap_before);
}

double report_run_time(const report_t *r, double t)
{
    double a = t - r->t0;
    for (size_t i = 0; i < r->ngaps && t > r->gaps[i].from; i++)
        a -= (t < r->gaps[i].to ? t : r->gaps[i].to) - r->gaps[i].from;
    return a;
}

/* The run's span, its gaps, and the bins over its run time. */
static void report_span(report_t *r, sqlite3 *db)
{
    double a0 = query_double(db, "SELECT MIN(finished_at - IFNULL(latency_ms, 0) / 1000.0) "
                                 "FROM attempts", INFINITY);
    double a1 = query_double(db, "SELECT MAX(finished_at) FROM attempts", -INFINITY);
    double i0 = query_double(db, "SELECT MIN(updated_at) FROM items", INFINITY);
    double i1 = query_double(db, "SELECT MAX(updated_at) FROM items", -INFINITY);
    r->t0 = a0 < i0 ? a0 : i0;
    r->t1 = a1 > i1 ? a1 : i1;
    if (!isfinite(r->t0) || !isfinite(r->t1) || r->t1 < r->t0)
        r->t0 = r->t1 = 0;
    r->has_samples = query_double(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                      " AND name = 'samples'", 0) > 0;
    report_gaps(r, db, r->has_samples);
    r->run_s = report_run_time(r, r->t1);
    double span = r->run_s;
    r->bin_s = span / REPORT_BINS_MAX > 0.1 ? span / REPORT_BINS_MAX : 0.1;
    r->nbins = (size_t)ceil(span / r->bin_s);
    if (r->nbins < 1)
        r->nbins = 1;
    if (r->nbins > REPORT_BINS_MAX)
        r->nbins = REPORT_BINS_MAX;
}

static size_t bin_of(const report_t *r, double t)
{
    double b = floor(report_run_time(r, t) / r->bin_s);
    if (!(b >= 0))
        return 0;
    return b >= (double)r->nbins ? r->nbins - 1 : (size_t)b;
}

/* Item counts by state, items finished per bin, and the failed items. */
static int report_items(report_t *r, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT i.id, i.source, i.state, i.attempts, i.updated_at, i.result,"
                           " a.error_kind, a.error_message, a.http_status, a.latency_ms"
                           " FROM items i LEFT JOIN attempts a"
                           " ON a.item_id = i.id AND a.n = i.attempts ORDER BY i.seq",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 2);
        int attempts = sqlite3_column_int(st, 3);
        r->items++;
        if (state && strcmp(state, "batched") == 0) { /* a batch_api run collects it */
            r->batched++;
            continue;
        }
        if (!state || (strcmp(state, "ok") && strcmp(state, "failed") && strcmp(state, "skipped"))) {
            r->unfinished++;
            continue;
        }
        r->bins[bin_of(r, sqlite3_column_double(st, 4))].images++;
        if (strcmp(state, "ok") == 0) {
            r->ok++;
            r->reused += attempts == 0;
            continue;
        }
        if (strcmp(state, "skipped") == 0) {
            r->skipped++;
            continue;
        }
        r->failed++;
        char *kind = dup_col(st, 6), *message = dup_col(st, 7);
        if (!kind) { /* failed before it was sent: the line says why */
            free(message);
            output_line_error((const char *)sqlite3_column_text(st, 5), &kind, &message);
        }
        stats_count_kind(r->failed_by_kind, &r->failed_kinds, kind);
        if (r->nfailed < REPORT_FAILED) {
            report_item_t *it = &r->failed_items[r->nfailed++];
            it->id = dup_col(st, 0);
            it->source = dup_col(st, 1);
            it->attempt = attempts;
            it->http_status = sqlite3_column_int64(st, 8);
            it->latency_ms = sqlite3_column_type(st, 9) == SQLITE_NULL
                                 ? -1
                                 : sqlite3_column_double(st, 9);
            it->error_kind = kind;
            it->error_message = message;
        } else {
            free(kind);
            free(message);
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* Attempts: totals, per-bin answers, errors, 429s, latency, in flight and cost. */
static int report_attempts(report_t *r, sqlite3 *db)
{
    histogram_t *all = calloc(1, sizeof *all);
    histogram_t *per = calloc(r->nbins, sizeof *per);
    double cost[REPORT_BINS_MAX] = {0};
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (!all || !per ||
        sqlite3_prepare_v2(db,
                           "SELECT finished_at, latency_ms, http_status, prompt_tokens,"
                           " completion_tokens, cost_usd, error_kind, n FROM attempts",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double end = sqlite3_column_double(st, 0);
        double ms = sqlite3_column_double(st, 1);
        long status = sqlite3_column_int64(st, 2);
        const char *kind = (const char *)sqlite3_column_text(st, 6);
        size_t b = bin_of(r, end);
        r->requests++;
        r->retries += sqlite3_column_int(st, 7) > 1;
        r->prompt_tokens += sqlite3_column_int64(st, 3);
        r->completion_tokens += sqlite3_column_int64(st, 4);
        r->cost_usd += sqlite3_column_double(st, 5);
        cost[b] += sqlite3_column_double(st, 5);
        r->bins[b].requests++;
        if (status == 429)
            r->bins[b].rate_limited++, r->rate_limited++;
        else if (kind)
            r->bins[b].errors++;
        histogram_add(all, ms);
        histogram_add(&per[b], ms);
        /* the time on the wire, spread over the bins it overlaps */
        double start = end - ms / 1000.0;
        double run_start = report_run_time(r, start), run_end = report_run_time(r, end);
        for (size_t k = bin_of(r, start); k <= b; k++) {
            double lo = (double)k * r->bin_s, hi = lo + r->bin_s;
            double overlap = (run_end < hi ? run_end : hi) - (run_start > lo ? run_start : lo);
            if (overlap > 0)
                r->bins[k].in_flight += overlap / r->bin_s;
        }
    }
    r->p50_ms = histogram_quantile(all, 0.5);
    r->p90_ms = histogram_quantile(all, 0.9);
    r->p99_ms = histogram_quantile(all, 0.99);
    r->max_ms = all->max_ms;
    r->avg_ms = histogram_mean(all);
    double cum = 0;
    for (size_t k = 0; k < r->nbins; k++) {
        report_bin_t *bin = &r->bins[k];
        cum += cost[k];
        bin->cost_cum = cum;
        bin->p50_ms = per[k].n ? histogram_quantile(&per[k], 0.5) : -1;
        bin->p90_ms = per[k].n ? histogram_quantile(&per[k], 0.9) : -1;
        bin->p99_ms = per[k].n ? histogram_quantile(&per[k], 0.99) : -1;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(all);
    free(per);
    return rc;
}

/* The limits over time, from the samples table (schema 2). */
static void report_samples(report_t *r, sqlite3 *db)
{
    sqlite3_stmt *st;
    double n[REPORT_BINS_MAX] = {0};
    for (size_t k = 0; k < r->nbins; k++)
        r->bins[k].window = r->bins[k].concurrency = r->bins[k].rpm = -1;
    if (!r->has_samples ||
        sqlite3_prepare_v2(db, "SELECT t, window, concurrency, rpm FROM samples", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t b = bin_of(r, sqlite3_column_double(st, 0));
        report_bin_t *bin = &r->bins[b];
        if (n[b]++ == 0)
            bin->window = bin->concurrency = bin->rpm = 0;
        bin->window += sqlite3_column_double(st, 1);
        bin->concurrency += sqlite3_column_double(st, 2);
        bin->rpm += sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    /* a sample a second, bins finer than that: a limit holds until the next sample */
    for (size_t k = 0; k < r->nbins; k++) {
        report_bin_t *bin = &r->bins[k];
        if (n[k] > 0) {
            bin->window /= n[k];
            bin->concurrency /= n[k];
            bin->rpm /= n[k];
        } else if (k > 0) {
            bin->window = r->bins[k - 1].window;
            bin->concurrency = r->bins[k - 1].concurrency;
            bin->rpm = r->bins[k - 1].rpm;
        }
    }
}

/* The slowest attempts. */
static int report_slowest(report_t *r, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT a.item_id, i.source, a.n, a.latency_ms, a.http_status,"
                           " a.error_kind, a.error_message FROM attempts a"
                           " LEFT JOIN items i ON i.id = a.item_id"
                           " ORDER BY a.latency_ms DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int(st, 1, REPORT_SLOWEST);
    while (sqlite3_step(st) == SQLITE_ROW && r->nslowest < REPORT_SLOWEST) {
        report_item_t *it = &r->slowest[r->nslowest++];
        it->id = dup_col(st, 0);
        it->source = dup_col(st, 1);
        it->attempt = sqlite3_column_int(st, 2);
        it->latency_ms = sqlite3_column_double(st, 3);
        it->http_status = sqlite3_column_int64(st, 4);
        it->error_kind = dup_col(st, 5);
        it->error_message = dup_col(st, 6);
    }
    sqlite3_finalize(st);
    return 0;
}

report_t *report_load(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    report_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(db = journal_snapshot_open(path, err, errlen)))
        goto fail;
    if (query_double(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                         " ('items', 'attempts', 'meta')", -1) != 3) {
        snprintf(err, errlen, "%s is not a visionbatch journal", path);
        goto fail;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'params'", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            r->params = dup_col(st, 0);
        sqlite3_finalize(st);
    }
    report_span(r, db);
    if (report_items(r, db) != 0 || report_attempts(r, db) != 0 || report_slowest(r, db) != 0) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
        goto fail;
    }
    report_samples(r, db);
    sqlite3_close(db);
    return r;
fail:
    sqlite3_close(db);
    report_free(r);
    return NULL;
}

static void item_clear(report_item_t *it)
{
    free(it->id);
    free(it->source);
    free(it->error_kind);
    free(it->error_message);
}

void report_free(report_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nslowest; i++)
        item_clear(&r->slowest[i]);
    for (size_t i = 0; i < r->nfailed; i++)
        item_clear(&r->failed_items[i]);
    free(r->params);
    free(r);
}
