/* summary.c - formatting of vb_summary_t, as text and as JSON. */
#include "summary.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The images this run's cost is per ("per 1,000 images"): the images it sent that were
 * answered, and the failed ones it paid for (a billed answer that was not the JSON asked
 * for, say). Images, not requests: a --batch-size request counts each of its images.
 * Copies and cache hits were not sent and cost nothing; earlier runs' results are not in
 * this run's cost. */
static long paid_items(const vb_summary_t *s)
{
    return s->ok - s->cached - s->replayed - s->duplicates + s->failed_billed;
}

/* Whether the run went through the provider's batch API (--batch-api). */
static bool batch_run(const vb_summary_t *s)
{
    return s->batch_jobs_submitted || s->batch_jobs_collected || s->batch_lines_resubmitted ||
           s->batch_fallback_online || s->online_cost_usd != 0 || s->stats.batch_open ||
           s->stats.batch_collected;
}

static void print_kinds(FILE *out, const vb_kind_count_t *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s %ld", i ? ", " : "", k[i].kind, k[i].n);
}

/* The summary's lines, each as long as it comes: summary_print folds them. */
static void summary_print_lines(FILE *out, const vb_summary_t *s)
{
    fprintf(out, "\nvisionbatch summary\n");
    fprintf(out, "  images       %ld (ok %ld, failed %ld)\n", s->images, s->ok, s->failed);
    if (s->failed_kinds) {
        fprintf(out, "  failed by    ");
        print_kinds(out, s->failed_by_kind, s->failed_kinds);
        fputc('\n', out);
    }
    if (s->replayed || s->cached || s->duplicates)
        fprintf(out, "  reused       %ld from earlier runs of this job, %ld from the cache, "
                     "%ld copies of other items\n",
                s->replayed, s->cached, s->duplicates);
    if (s->changed)
        fprintf(out, "  changed since last run: %ld (sent again: their files' bytes are new)\n",
                s->changed);
    fprintf(out, "  requests     %ld (retries %ld, rate-limited 429s %ld)\n", s->requests,
            s->retries, s->rate_limited);
    if (s->batches)
        fprintf(out, "  batches      %ld requests of several images; %ld answers could not be "
                     "split, %ld images sent again alone\n",
                s->batches, s->batch_unsplit, s->batch_resent);
    if (batch_run(s)) {
        fprintf(out, "  batch API    %ld batches submitted, %ld collected, %ld lines resubmitted",
                s->batch_jobs_submitted, s->batch_jobs_collected, s->batch_lines_resubmitted);
        if (s->batch_fallback_online)
            fprintf(out, ", %ld items sent online", s->batch_fallback_online);
        fputc('\n', out);
    }
    if (s->retry_kinds) {
        fprintf(out, "  retried for  ");
        print_kinds(out, s->retries_by_cause, s->retry_kinds);
        fputc('\n', out);
    }
    fprintf(out, "  wall time    %.2f s\n", s->wall_s);
    fprintf(out, "  throughput   %.1f images/s, %.1f requests/s\n", s->images_per_s,
            s->wall_s > 0 ? (double)s->requests / s->wall_s : 0.0);
    fprintf(out, "  latency      p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (avg %.0f ms)\n",
            s->latency_p50_ms, s->latency_p90_ms, s->latency_p99_ms, s->latency_max_ms,
            s->latency_avg_ms);
    fprintf(out, "  tokens       in %ld, out %ld\n", s->prompt_tokens, s->completion_tokens);
    long paid = paid_items(s);
    if (s->cost_usd >= 0 && batch_run(s) && s->online_cost_usd >= 0)
        fprintf(out, "  cost         $%.4f (online price would be $%.4f, saved $%.4f)%s\n",
                s->cost_usd, s->online_cost_usd, s->online_cost_usd - s->cost_usd,
                s->skipped ? " - budget used up" : "");
    else if (s->cost_usd >= 0)
        fprintf(out, "  cost         $%.4f ($%.4f per 1,000 images)%s\n", s->cost_usd,
                paid > 0 ? s->cost_usd * 1000.0 / (double)paid : 0.0,
                s->skipped ? " - budget used up" : "");
    else
        fprintf(out, "  cost         unknown (no price for the model)\n");
    if (s->usage_missing)
        fprintf(out,
                "               %ld billed answer%s came without usable usage: counted at the "
                "worst case\n",
                s->usage_missing, s->usage_missing == 1 ? "" : "s");
    if (s->job_resumed && s->job_cost_usd >= 0) {
        if (s->job_runs > 0)
            fprintf(out, "  job total    $%.4f over %ld runs\n", s->job_cost_usd, s->job_runs);
        else
            fprintf(out, "  job total    $%.4f over all runs of this job\n", s->job_cost_usd);
    }
    if (s->skipped)
        fprintf(out, "  skipped      %ld (budget)\n", s->skipped);
    fprintf(out, "  uploaded     %.1f MB", (double)s->bytes_uploaded / 1e6);
    if (s->image_tokens_saved > 0)
        fprintf(out, ", %ld image tokens saved by downscaling", s->image_tokens_saved);
    fputc('\n', out);
    const char *verdict = vb_summary_limited_by(s);
    if (verdict)
        fprintf(out,
                "  limited by   %s (rate limit %.1f s, concurrency %.1f s, server latency "
                "%.1f s, image preparation %.1f s)\n",
                verdict, s->limited_s[VB_LIMIT_RATE], s->limited_s[VB_LIMIT_CONCURRENCY],
                s->limited_s[VB_LIMIT_WINDOW] + s->limited_s[VB_LIMIT_LATENCY],
                s->limited_s[VB_LIMIT_PREPARE]);
    if (s->stopped)
        fprintf(out, "  stopped      %s\n", s->stop_reason);
}

void summary_print_folded(FILE *out, const char *text)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        int indent = 0;
        while ((size_t)indent + n > SUMMARY_WIDTH) {
            size_t room = (size_t)(SUMMARY_WIDTH - indent); /* of text on this line */
            size_t after_mark = 0, space = 0;
            for (size_t i = indent ? 1 : SUMMARY_INDENT; i <= room && i < n; i++) {
                if (text[i] == ' ' && (text[i - 1] == ',' || text[i - 1] == ';'))
                    after_mark = i;
                else if (text[i] == ' ' && text[i - 1] != ' ')
                    space = i;
            }
            size_t cut = after_mark ? after_mark : space;
            if (!cut)
                break; /* one word wider than the line: left whole, never cut */
            fprintf(out, "%*s%.*s\n", indent, "", (int)cut, text);
            while (cut < n && text[cut] == ' ')
                cut++;
            text += cut;
            n -= cut;
            indent = SUMMARY_INDENT;
        }
        fprintf(out, "%*s%.*s\n", indent, "", (int)n, text);
        text += n + (nl ? 1 : 0);
    }
}

void summary_print(FILE *out, const vb_summary_t *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) { /* out of memory: the lines unfolded rather than none */
        summary_print_lines(out, s);
        return;
    }
    summary_print_lines(m, s);
    if (fclose(m) == 0 && text)
        summary_print_folded(out, text);
    free(text);
}

static json_t *kinds_json(const vb_kind_count_t *k, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        json_object_set_new(o, k[i].kind, json_integer(k[i].n));
    return o;
}

/* A batch run's own figures (null for an online run). */
static json_t *batch_json(const vb_summary_t *s)
{
    if (!batch_run(s))
        return json_null();
    bool priced = s->cost_usd >= 0 && s->online_cost_usd >= 0;
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "batches_submitted",
                     (json_int_t)s->batch_jobs_submitted, "batches_collected",
                     (json_int_t)s->batch_jobs_collected, "lines_resubmitted",
                     (json_int_t)s->batch_lines_resubmitted, "fallback_online",
                     (json_int_t)s->batch_fallback_online, "online_cost_usd",
                     s->online_cost_usd >= 0 ? json_real(s->online_cost_usd) : json_null(),
                     "saved_usd",
                     priced ? json_real(s->online_cost_usd - s->cost_usd) : json_null());
}

/* The whole summary as a JSON object; NULL when out of memory. */
static json_t *summary_json(const vb_summary_t *s)
{
    static const double bounds[VB_LATENCY_BUCKETS] = VB_LATENCY_BOUNDS;
    const vb_stats_t *st = &s->stats;
    long paid = paid_items(s);
    json_t *status = json_object(), *limited = json_object(), *buckets = json_array();
    for (size_t i = 0; status && i < st->status_slots; i++) {
        char name[24];
        snprintf(name, sizeof name, "%ld", st->by_status[i].status);
        json_object_set_new(status, st->by_status[i].status ? name : "none",
                            json_integer(st->by_status[i].n));
    }
    for (int i = 0; limited && i < VB_LIMIT_COUNT; i++)
        json_object_set_new(limited, vb_limit_name((vb_limit_t)i), json_real(s->limited_s[i]));
    for (size_t b = 0; buckets && b < VB_LATENCY_BUCKETS; b++)
        json_array_append_new(buckets, json_pack("{s:f, s:I}", "le", bounds[b], "count",
                                                 (json_int_t)st->latency_buckets[b]));
    const char *verdict = vb_summary_limited_by(s);
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:o, s:o, s:f, s:f, s:f,"
        " s:{s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:I, s:f}, s:I, s:I, s:o, s:o, s:I, s:I, s:I,"
        " s:o, s:o, s:b, s:o}",
        "images", (json_int_t)s->images, "ok", (json_int_t)s->ok, "failed",
        (json_int_t)s->failed, "skipped", (json_int_t)s->skipped, "failed_by_kind",
        kinds_json(s->failed_by_kind, s->failed_kinds), "reused", "earlier_run",
        (json_int_t)s->replayed, "cache", (json_int_t)s->cached, "duplicate",
        (json_int_t)s->duplicates, "requests", (json_int_t)s->requests, "retries",
        (json_int_t)s->retries, "rate_limited", (json_int_t)s->rate_limited,
        "retries_by_cause", kinds_json(s->retries_by_cause, s->retry_kinds), "requests_by_status",
        status ? status : json_null(), "wall_s", s->wall_s, "images_per_s", s->images_per_s,
        "requests_per_s", s->wall_s > 0 ? (double)s->requests / s->wall_s : 0.0, "latency",
        "avg_ms", s->latency_avg_ms, "p50_ms", s->latency_p50_ms, "p90_ms", s->latency_p90_ms,
        "p95_ms", s->latency_p95_ms, "p99_ms", s->latency_p99_ms, "max_ms", s->latency_max_ms,
        "buckets", buckets ? buckets : json_null(), "count", (json_int_t)st->latency_count,
        "sum_s", st->latency_sum_s, "prompt_tokens", (json_int_t)s->prompt_tokens,
        "completion_tokens", (json_int_t)s->completion_tokens, "cost_usd",
        s->cost_usd >= 0 ? json_real(s->cost_usd) : json_null(), "cost_per_1000_images_usd",
        s->cost_usd >= 0 && paid > 0 ? json_real(s->cost_usd * 1000.0 / (double)paid)
                                     : json_null(),
        "usage_missing", (json_int_t)s->usage_missing, "bytes_uploaded",
        (json_int_t)s->bytes_uploaded, "image_tokens_saved",
        (json_int_t)s->image_tokens_saved, "limited_s", limited ? limited : json_null(),
        "limited_by", verdict ? json_string(verdict) : json_null(), "stopped", s->stopped,
        "stop_reason", s->stopped ? json_string(s->stop_reason) : json_null());
}

int summary_write_json(const char *path, const vb_summary_t *s, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "--stats-json: path too long");
        return -1;
    }
    json_t *o = summary_json(s);
    if (o) {
        json_object_set_new(o, "batch_api", batch_json(s));
        json_object_set_new(o, "failed_billed", json_integer(s->failed_billed));
        json_object_set_new(o, "changed", json_integer(s->changed));
        json_object_set_new(o, "job_cost_usd",
                            s->job_cost_usd >= 0 ? json_real(s->job_cost_usd) : json_null());
        json_object_set_new(o, "job_runs", s->job_runs > 0 ? json_integer(s->job_runs)
                                                           : json_null());
    }
    if (!o) {
        snprintf(err, errlen, "--stats-json: out of memory");
        return -1;
    }
    int rc = json_dump_file(o, tmp, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    json_decref(o);
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}
