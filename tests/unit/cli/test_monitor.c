/* test_monitor.c - the pieces behind progress, metrics and the summary: counters, the
 * verdict on what limited a run, the progress line's layout (a batch run's too), the
 * batch run's summary lines and JSON, the Prometheus rendering and HTML escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/metrics.h"
#include "cli/progress.h"
#include "cli/summary.h"
#include "report/report_html.h"
#include "record/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vb_stats_t sample_stats(void)
{
    vb_stats_t s;
    memset(&s, 0, sizeof s);
    s.elapsed_s = 12.5;
    s.total = 1000;
    s.done = 412;
    s.ok = 410;
    s.failed = 2;
    s.in_flight = 10;
    s.retrying = 1;
    s.rate_limited = 3;
    s.cost_usd = 0.0123;
    s.budget_usd = 1;
    s.budget_left_usd = 0.9877;
    s.concurrency = 10;
    s.window = 8;
    return s;
}

static void test_answers_and_buckets(void **state)
{
    (void)state;
    vb_stats_t s;
    memset(&s, 0, sizeof s);
    stats_count_answer(&s, 200, 0.07);
    stats_count_answer(&s, 200, 0.3);
    stats_count_answer(&s, 429, 0.01);
    stats_count_answer(&s, 0, 500); /* beyond the last bound: only +Inf */
    assert_int_equal(stats_status_count(&s, 200), 2);
    assert_int_equal(stats_status_count(&s, 429), 1);
    assert_int_equal(stats_status_count(&s, 0), 1);
    assert_int_equal(stats_status_count(&s, 500), 0);
    assert_int_equal(s.latency_count, 4);
    assert_int_equal(s.latency_buckets[0], 1);  /* <= 0.05 */
    assert_int_equal(s.latency_buckets[1], 2);  /* <= 0.1 */
    assert_int_equal(s.latency_buckets[3], 3);  /* <= 0.5 */
    assert_int_equal(s.latency_buckets[VB_LATENCY_BUCKETS - 1], 3);
    /* more statuses than slots: the rest share the slot of 0, nothing is lost */
    for (long st = 500; st < 540; st++)
        stats_count_answer(&s, st, 0);
    long sum = 0;
    for (size_t i = 0; i < s.status_slots; i++)
        sum += s.by_status[i].n;
    assert_int_equal(sum, 44);
    assert_true(s.status_slots <= VB_STATUS_SLOTS);
}

static void test_kinds_overflow_to_other(void **state)
{
    (void)state;
    vb_kind_count_t t[VB_KIND_SLOTS];
    size_t used = 0;
    memset(t, 0, sizeof t);
    stats_count_kind(t, &used, "network");
    stats_count_kind(t, &used, "network");
    stats_count_kind(t, &used, NULL);
    assert_int_equal(used, 2);
    assert_string_equal(t[0].kind, "network");
    assert_int_equal(t[0].n, 2);
    assert_string_equal(t[1].kind, "unknown");
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "kind%d", i);
        stats_count_kind(t, &used, name);
    }
    assert_int_equal(used, VB_KIND_SLOTS);
    long sum = 0;
    for (size_t i = 0; i < used; i++)
        sum += t[i].n;
    assert_int_equal(sum, 43);
    assert_string_equal(t[VB_KIND_SLOTS - 1].kind, "other");
}

static void test_limits_and_verdict(void **state)
{
    (void)state;
    double lim[VB_LIMIT_COUNT] = {0};
    stats_limits_t l = {0};
    assert_null(stats_limit_verdict(lim));
    stats_limits_enter(&l, lim, VB_LIMIT_RATE, 1000000000ull); /* the first call charges none */
    stats_limits_enter(&l, lim, VB_LIMIT_CONCURRENCY, 3000000000ull);
    stats_limits_enter(&l, lim, VB_LIMIT_LATENCY, 3500000000ull);
    assert_true(lim[VB_LIMIT_RATE] > 1.99 && lim[VB_LIMIT_RATE] < 2.01);
    assert_true(lim[VB_LIMIT_CONCURRENCY] > 0.49 && lim[VB_LIMIT_CONCURRENCY] < 0.51);
    assert_string_equal(stats_limit_verdict(lim), "the rate limit");
    lim[VB_LIMIT_WINDOW] = 1.0;
    lim[VB_LIMIT_LATENCY] = 1.5; /* window + latency = 2.5 s of server latency */
    assert_string_equal(stats_limit_verdict(lim), "server latency");
    lim[VB_LIMIT_PREPARE] = 9;
    assert_string_equal(stats_limit_verdict(lim), "image preparation");
    assert_string_equal(stats_limit_name(VB_LIMIT_WINDOW), "adaptive_window");
}

/* No control characters, at most width - 1 columns. */
static void assert_plain_fits(const char *line, int width)
{
    assert_true(strlen(line) <= (size_t)width - 1);
    for (const char *p = line; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void test_progress_line_layout(void **state)
{
    (void)state;
    vb_stats_t s = sample_stats();
    char line[512];
    progress_format_line(line, sizeof line, &s, 38.2, 160);
    assert_plain_fits(line, 160);
    assert_non_null(strstr(line, "] 412/1000  41%  38.2 img/s  ETA 15s  in flight 10  ok 410"));
    assert_non_null(strstr(line, "failed 2  retrying 1  429s 3  $0.0123 (left $0.9877)"));
    assert_int_equal(line[0], '[');
    assert_int_equal(strspn(line + 1, "#"), 12); /* 41% of a 30-column bar */
    /* 80 columns: the compact form, with a shorter bar; the fields that tell least make
     * room for it */
    progress_format_line(line, sizeof line, &s, 38.2, 80);
    assert_plain_fits(line, 80);
    assert_string_equal(line, "[######---------] 412/1000  41% 38.2 img/s ETA 15s ok 410 "
                              "fail 2 429s 3 $0.0123"); /* no budget left, retrying, sending */
    /* narrower: whole fields are left out, never a number cut short, the bar kept */
    progress_format_line(line, sizeof line, &s, 38.2, 50);
    assert_plain_fits(line, 50);
    assert_string_equal(line, "[#####---------] 412/1000  41% 38.2 img/s ETA 15s");
    progress_format_line(line, sizeof line, &s, 38.2, 40);
    assert_string_equal(line, "[####--------] 412/1000  41% 38.2 img/s");
    progress_format_line(line, sizeof line, &s, 38.2, 30);
    assert_string_equal(line, "[#####--------] 412/1000  41%");
    /* too narrow for a bar beside the count: the count alone */
    progress_format_line(line, sizeof line, &s, 38.2, 20);
    assert_string_equal(line, "412/1000  41%");
    /* tiny terminals: cut, never wrapped */
    for (int w = 1; w < 60; w++) {
        progress_format_line(line, sizeof line, &s, 38.2, w);
        assert_plain_fits(line, w < 10 ? 10 : w);
    }
    /* total not known yet, rate not known yet */
    s.total = -1;
    progress_format_line(line, sizeof line, &s, -1, 200);
    assert_non_null(strstr(line, "412/?  -- img/s  ETA --"));
    assert_int_not_equal(line[0], '[');
    progress_mode_t m;
    assert_int_equal(progress_mode_parse("json", &m), 0);
    assert_int_equal(m, PROGRESS_JSON);
    assert_int_equal(progress_mode_parse("bars", &m), -1);
}

/* A --batch-api run's line: its batches, the provider's progress and the next poll in
 * the places of requests in flight, retries and 429s. */
static void test_progress_line_batch(void **state)
{
    (void)state;
    vb_stats_t s = sample_stats();
    s.budget_usd = 0;
    s.batch_open = 2;
    s.batch_collected = 3;
    s.batch_lines_open = 1500;
    s.batch_provider_done = 420;
    s.batch_next_poll_s = 12;
    char line[512];
    progress_format_line(line, sizeof line, &s, 38.2, 200);
    assert_plain_fits(line, 200);
    assert_non_null(strstr(line, "412/1000  41%  38.2 img/s  ETA 15s  batches 2 open, 3 collected"
                                 "  ok 410  failed 2  lines 420/1500 done at the provider"
                                 "  next poll in 12s  $0.0123"));
    assert_null(strstr(line, "in flight"));
    progress_format_line(line, sizeof line, &s, 38.2, 100);
    assert_plain_fits(line, 100);
    assert_non_null(strstr(line, "batches 2 open 3 in"));
    /* the provider has not said when: no poll field */
    s.batch_next_poll_s = -1;
    progress_format_line(line, sizeof line, &s, 38.2, 200);
    assert_null(strstr(line, "poll"));
    /* an online run shows none of it */
    s.batch_open = s.batch_collected = 0;
    progress_format_line(line, sizeof line, &s, 38.2, 200);
    assert_non_null(strstr(line, "in flight 10"));
    assert_null(strstr(line, "batches"));
}

/* The summary of a batch run says what went to the provider and what it saved; of an
 * online run, nothing of it. */
static void test_summary_batch(void **state)
{
    (void)state;
    vb_summary_t sum;
    memset(&sum, 0, sizeof sum);
    sum.images = sum.ok = 1000;
    sum.cost_usd = 1.25;
    sum.online_cost_usd = 2.5;
    sum.batch_jobs_submitted = 4;
    sum.batch_jobs_collected = 3;
    sum.batch_lines_resubmitted = 17;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    summary_print(f, &sum);
    fclose(f);
    assert_non_null(strstr(text, "  batch API    4 batches submitted, 3 collected, 17 lines "
                                 "resubmitted\n"));
    assert_non_null(strstr(text, "  cost         $1.2500 (online price would be $2.5000, "
                                 "saved $1.2500)\n"));
    free(text);

    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/vb-summary-%d.json", (int)getpid());
    assert_int_equal(summary_write_json(path, &sum, err, sizeof err), 0);
    FILE *j = fopen(path, "r");
    assert_non_null(j);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, j);
    buf[n] = '\0';
    fclose(j);
    unlink(path);
    assert_non_null(strstr(buf, "\"batches_submitted\": 4"));
    assert_non_null(strstr(buf, "\"lines_resubmitted\": 17"));
    assert_non_null(strstr(buf, "\"online_cost_usd\": 2.5"));
    assert_non_null(strstr(buf, "\"saved_usd\": 1.25"));

    memset(&sum, 0, sizeof sum); /* an online run */
    sum.images = sum.ok = 10;
    sum.cost_usd = 0.5;
    text = NULL;
    f = open_memstream(&text, &len);
    summary_print(f, &sum);
    fclose(f);
    assert_null(strstr(text, "batch API"));
    assert_null(strstr(text, "online price"));
    free(text);
    assert_int_equal(summary_write_json(path, &sum, err, sizeof err), 0);
    assert_non_null(j = fopen(path, "r"));
    n = fread(buf, 1, sizeof buf - 1, j);
    buf[n] = '\0';
    fclose(j);
    unlink(path);
    assert_non_null(strstr(buf, "\"batch_api\": null"));
}

static void test_metrics_render(void **state)
{
    (void)state;
    vb_stats_t s = sample_stats();
    stats_count_answer(&s, 200, 0.2);
    stats_count_answer(&s, 429, 0.02);
    stats_count_answer(&s, 0, 30);
    s.prompt_tokens = 1234;
    char buf[16384];
    size_t n = metrics_render(buf, sizeof buf, &s);
    assert_true(n < sizeof buf);
    assert_int_equal(strlen(buf), n);
    assert_non_null(strstr(buf, "# TYPE visionbatch_requests_total counter\n"
                                "visionbatch_requests_total{status=\"200\"} 1\n"
                                "visionbatch_requests_total{status=\"429\"} 1\n"
                                "visionbatch_requests_total{status=\"none\"} 1\n"));
    assert_non_null(strstr(buf, "visionbatch_images_total{state=\"ok\"} 410\n"));
    assert_non_null(strstr(buf, "visionbatch_request_duration_seconds_bucket{le=\"0.05\"} 1\n"));
    assert_non_null(strstr(buf, "visionbatch_request_duration_seconds_bucket{le=\"0.25\"} 2\n"));
    assert_non_null(strstr(buf, "visionbatch_request_duration_seconds_bucket{le=\"30\"} 3\n"));
    assert_non_null(strstr(buf, "visionbatch_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(buf, "visionbatch_request_duration_seconds_count 3\n"));
    assert_non_null(strstr(buf, "visionbatch_tokens_total{kind=\"prompt\"} 1234\n"));
    assert_non_null(strstr(buf, "visionbatch_cost_usd_total 0.0123\n"));
    assert_non_null(strstr(buf, "visionbatch_concurrency_window 8\n"));
    assert_int_equal(buf[n - 1], '\n');
    assert_null(strstr(buf, "visionbatch_batches")); /* an online run has none */
    s.batch_open = 2;
    s.batch_collected = 3;
    s.batch_lines_open = 900;
    s.batch_provider_done = 120;
    metrics_render(buf, sizeof buf, &s);
    assert_non_null(strstr(buf, "# TYPE visionbatch_batches gauge\n"
                                "visionbatch_batches{state=\"open\"} 2\n"
                                "visionbatch_batches{state=\"collected\"} 3\n"));
    assert_non_null(strstr(buf, "visionbatch_batch_lines_open 900\n"));
    assert_non_null(strstr(buf, "visionbatch_batch_lines_done 120\n"));
    /* an unknown cost is left out rather than reported as a number */
    s.cost_usd = -1;
    metrics_render(buf, sizeof buf, &s);
    assert_null(strstr(buf, "visionbatch_cost_usd_total"));
    /* a short buffer: NUL-terminated, and the length needed is returned */
    char small[64];
    size_t need = metrics_render(small, sizeof small, &s);
    assert_true(need >= sizeof small);
    assert_true(strlen(small) < sizeof small);
}

static void test_html_escape(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    report_html_escape(f, "</script><b class=\"x\">'&amp;");
    report_html_escape(f, NULL);
    fclose(f);
    assert_string_equal(text, "&lt;/script&gt;&lt;b class=&quot;x&quot;&gt;&#39;&amp;amp;");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_and_buckets), cmocka_unit_test(test_kinds_overflow_to_other),
        cmocka_unit_test(test_limits_and_verdict),  cmocka_unit_test(test_progress_line_layout),
        cmocka_unit_test(test_metrics_render),      cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_progress_line_batch), cmocka_unit_test(test_summary_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
