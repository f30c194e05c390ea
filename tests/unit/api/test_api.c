/* test_api.c - the public API's own layer (src/api/): the version agrees with the
 * project's, every _free(NULL) is a no-op, and the journal reader, the report, prices and
 * estimates give what the internals behind them hold, with a reason in err on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <visionbatch.h>

#include "record/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    char err[256];
    snprintf(dir, sizeof dir, "/tmp/vb-api-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return vb_global_init("test_api", err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    vb_global_cleanup();
    return system(cmd) == 0 ? 0 : -1;
}

static void test_version(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", VB_VERSION_MAJOR, VB_VERSION_MINOR, VB_VERSION_PATCH);
    assert_string_equal(vb_version(), want);
    assert_string_equal(vb_version(), VB_VERSION); /* the project's, from CMake */
    assert_int_equal(VB_VERSION_NUM,
                     VB_VERSION_MAJOR * 65536 + VB_VERSION_MINOR * 256 + VB_VERSION_PATCH);
}

static void test_free_null(void **state)
{
    (void)state;
    vb_job_free(NULL);
    vb_journal_close(NULL);
    vb_report_free(NULL);
    vb_pricing_free(NULL);
    vb_estimate_free(NULL);
    vb_redis_free(NULL);
}

static void test_summary_names(void **state)
{
    (void)state;
    vb_summary_t s;
    memset(&s, 0, sizeof s);
    assert_null(vb_summary_limited_by(&s));
    s.limited_s[VB_LIMIT_PREPARE] = 2;
    s.limited_s[VB_LIMIT_RATE] = 1;
    assert_string_equal(vb_summary_limited_by(&s), "image preparation");
    assert_string_equal(vb_limit_name(VB_LIMIT_CONCURRENCY), "concurrency");
    assert_string_equal(vb_limit_name(VB_LIMIT_COUNT), "unknown");
}

static void test_pricing(void **state)
{
    (void)state;
    char err[256] = "";
    vb_price_t p;
    vb_pricing_t *t = vb_pricing_load(NULL, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(vb_pricing_lookup(t, "gpt-4o-2024-08-06", &p), 0);
    assert_string_equal(p.model, "gpt-4o");
    assert_true(p.input > 0 && p.output > p.input);
    assert_int_equal(vb_pricing_lookup(t, "no-such-model", &p), -1);
    vb_pricing_free(t);

    assert_null(vb_pricing_load("/nonexistent/prices.json", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/prices.json"));
    char path[128];
    snprintf(path, sizeof path, "%s/prices.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"models\": {\"house-model\": {\"input\": 1, \"output\": 2}}}", f);
    fclose(f);
    assert_non_null(t = vb_pricing_load(path, err, sizeof err));
    assert_int_equal(vb_pricing_lookup(t, "house-model", &p), 0);
    assert_true(p.input == 1 && p.output == 2 && !p.has_batch);
    assert_int_equal(vb_pricing_lookup(t, "gpt-4o", &p), 0); /* laid over the built-in */
    vb_pricing_free(t);
}

static void test_estimate(void **state)
{
    (void)state;
    char err[256] = "", image[512];
    vb_options_t o;
    vb_options_init(&o);
    o.detail = "medium";
    assert_null(vb_estimate_new(&o, err, sizeof err));
    assert_string_equal(err, "detail must be auto, low or high, not 'medium'");

    o.detail = "low";
    o.rpm = 30;
    vb_estimate_t *e = vb_estimate_new(&o, err, sizeof err);
    assert_non_null(e);
    assert_int_equal(vb_estimate_add_input(e, "/nonexistent.jpg", err, sizeof err), -1);
    snprintf(image, sizeof image, "%s/damaged-huffman.jpg", getenv("VB_TEST_DATA"));
    assert_int_equal(vb_estimate_add_input(e, image, err, sizeof err), 0);
    vb_estimate_summary_t s;
    assert_int_equal(vb_estimate_run(e, NULL, NULL, NULL, &s, err, sizeof err), 0);
    assert_int_equal(s.images, 1);
    assert_int_equal(s.errors, 0);
    assert_true(s.model_known);
    assert_true(s.image_tokens > 0); /* gpt-4o-mini at low detail: its base tokens */
    assert_int_equal(s.input_tokens, s.image_tokens + s.text_tokens);
    assert_int_equal(s.output_tokens_max, 300);
    assert_true(s.priced);
    assert_string_equal(s.price.model, "gpt-4o-mini"); /* owned by the estimate */
    assert_true(s.cost_low_usd > 0 && s.cost_high_usd > s.cost_low_usd);
    assert_true(s.seconds_at_limits > 1.99 && s.seconds_at_limits < 2.01); /* 1 at 30/min */
    assert_int_equal(vb_estimate_run(e, NULL, NULL, NULL, &s, err, sizeof err), -1);
    vb_estimate_free(e);
}

typedef struct seen {
    int n;
    char lines[4][64];
    vb_status_t status[4];
} seen_t;

static int collect(const char *line, vb_status_t status, void *arg)
{
    seen_t *s = arg;
    snprintf(s->lines[s->n], sizeof s->lines[s->n], "%s", line);
    s->status[s->n++] = status;
    return 0;
}

static void test_journal_and_report(void **state)
{
    (void)state;
    char err[256] = "", path[128], html[160];
    snprintf(path, sizeof path, "%s/job.journal", dir);
    assert_null(vb_journal_open(path, err, sizeof err));
    assert_true(err[0] != '\0');

    journal_t *w = journal_open(path, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(journal_bind_job(w, "{\"model\":\"m\"}", 0, err, sizeof err), 0);
    assert_int_equal(journal_meta_set(w, "input_items", "3"), 0);
    assert_int_equal(
        journal_item_done(w, "b", "b.jpg", NULL, JOURNAL_OK, 1, 0.25, "{\"id\":\"b\"}", NULL), 0);
    assert_int_equal(
        journal_item_done(w, "a", "a.jpg", NULL, JOURNAL_FAILED, 2, 0, "{\"id\":\"a\"}", NULL), 0);
    assert_int_equal(journal_item_sent(w, "c", "c.jpg", NULL, 1), 0);
    journal_close(w);

    vb_journal_t *j = vb_journal_open(path, err, sizeof err);
    assert_non_null(j);
    vb_journal_summary_t s;
    assert_int_equal(vb_journal_summary(j, &s, err, sizeof err), 0);
    assert_int_equal(s.items_total, 3);
    assert_int_equal(s.ok, 1);
    assert_int_equal(s.failed, 1);
    assert_int_equal(s.in_flight, 1);
    assert_int_equal(s.pending + s.skipped, 0);
    assert_true(s.cost_usd > 0.249 && s.cost_usd < 0.251);
    assert_string_equal(s.params, "{\"model\":\"m\"}");
    seen_t seen = {0};
    assert_int_equal(vb_journal_foreach(j, collect, &seen, err, sizeof err), 2);
    assert_string_equal(seen.lines[0], "{\"id\":\"b\"}"); /* the order first seen */
    assert_int_equal(seen.status[0], VB_STATUS_OK);
    assert_string_equal(seen.lines[1], "{\"id\":\"a\"}");
    assert_int_equal(seen.status[1], VB_STATUS_ERROR);
    FILE *f = tmpfile();
    assert_int_equal(vb_journal_export(j, f, err, sizeof err), 2);
    assert_int_equal(ftell(f), (long)strlen("{\"id\":\"b\"}\n{\"id\":\"a\"}\n"));
    fclose(f);
    vb_journal_close(j);

    vb_report_t *r = vb_report_load(path, err, sizeof err);
    assert_non_null(r);
    snprintf(html, sizeof html, "%s/report.html", dir);
    assert_int_equal(vb_report_save_html(r, html, err, sizeof err), 0);
    f = fopen(html, "r");
    assert_non_null(f);
    char first[32] = "";
    assert_non_null(fgets(first, sizeof first, f));
    assert_string_equal(first, "<!DOCTYPE html>\n");
    fclose(f);
    snprintf(html, sizeof html, "%s/no-such-dir/report.html", dir);
    assert_int_equal(vb_report_save_html(r, html, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot write"));
    vb_report_free(r);
    assert_null(vb_report_load("/nonexistent.journal", err, sizeof err));
}

static void test_redis_refusals(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(vb_redis_open("redis://127.0.0.1:1", "a job", err, sizeof err));
    assert_non_null(strstr(err, "job name"));
    assert_null(vb_redis_open("redis://:secret@127.0.0.1:1", "job", err, sizeof err));
    assert_null(strstr(err, "secret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_summary_names),  cmocka_unit_test(test_pricing),
        cmocka_unit_test(test_estimate),       cmocka_unit_test(test_journal_and_report),
        cmocka_unit_test(test_redis_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
