/* test_job_cost.c - a job's prices: a batch_api job pays the Batch API's prices (costs and
 * budget reservations), the online price of the same usage is at hand for the summary, and
 * a batch job whose model has no batch price does not start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cost/job_cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vb_options_t options(const char *model, int batch_api)
{
    vb_options_t o;
    vb_options_init(&o);
    o.model = model;
    o.batch_api = batch_api;
    return o;
}

static void test_online_job(void **state)
{
    (void)state;
    char err[256];
    vb_summary_t sum;
    memset(&sum, 0, sizeof sum);
    job_cost_t c;
    memset(&c, 0, sizeof c);
    vb_options_t o = options("gpt-4o", 0);
    assert_int_equal(job_cost_open(&c, &o, &sum, err, sizeof err), 0);
    assert_false(c.batch);
    /* gpt-4o: $2.50 in, $10 out per 1M (data/pricing.json) */
    assert_float_equal(job_cost_usage(&c, NULL, 1000000, 100000), 3.5, 1e-12);
    assert_float_equal(job_cost_online(&c, NULL, 1000000, 100000), 3.5, 1e-12);
    assert_float_equal(job_cost_worst(&c, NULL, 2000, 300), (2000 * 2.5 + 300 * 10.0) / 1e6, 1e-12);
    job_cost_clear(&c);
}

static void test_batch_job_pays_batch_prices(void **state)
{
    (void)state;
    char err[256];
    vb_summary_t sum;
    memset(&sum, 0, sizeof sum);
    job_cost_t c;
    memset(&c, 0, sizeof c);
    vb_options_t o = options("gpt-4o", 1);
    assert_int_equal(job_cost_open(&c, &o, &sum, err, sizeof err), 0);
    assert_true(c.batch);
    /* batch: $1.25 in, $5 out per 1M */
    assert_float_equal(job_cost_usage(&c, NULL, 1000000, 100000), 1.75, 1e-12);
    assert_float_equal(job_cost_online(&c, NULL, 1000000, 100000), 3.5, 1e-12);
    assert_float_equal(job_cost_worst(&c, NULL, 2000, 300), (2000 * 1.25 + 300 * 5.0) / 1e6, 1e-12);
    /* a line's own model, and one without any price */
    assert_float_equal(job_cost_usage(&c, "gpt-4o-mini", 1000000, 0), 0.075, 1e-12);
    assert_float_equal(job_cost_usage(&c, "no-such-model", 1000, 0), -1, 0);
    assert_float_equal(job_cost_worst(&c, "no-such-model", 1000, 10), -1, 0);
    assert_float_equal(job_cost_usage(&c, NULL, -1, 10), -1, 0); /* usage unknown */
    job_cost_clear(&c);
}

static void test_batch_job_without_batch_price_refused(void **state)
{
    (void)state;
    char err[256], prices[64];
    snprintf(prices, sizeof prices, "/tmp/vb-job-cost-%d.json", (int)getpid());
    FILE *f = fopen(prices, "w");
    assert_non_null(f);
    fputs("{\"models\": {\"online-only\": {\"input\": 1, \"output\": 2}}}\n", f);
    fclose(f);
    const char *models[] = {"online-only", "no-such-model"};
    for (size_t i = 0; i < 2; i++) {
        vb_summary_t sum;
        memset(&sum, 0, sizeof sum);
        job_cost_t c;
        memset(&c, 0, sizeof c);
        vb_options_t o = options(models[i], 1);
        o.pricing = prices;
        assert_int_equal(job_cost_open(&c, &o, &sum, err, sizeof err), -1);
        assert_non_null(strstr(err, models[i]));
        assert_non_null(strstr(err, "--pricing FILE"));
        assert_non_null(strstr(err, "batch price"));
        job_cost_clear(&c);
        /* online, the same model runs (the unknown one with its cost unknown) */
        memset(&c, 0, sizeof c);
        o.batch_api = 0;
        assert_int_equal(job_cost_open(&c, &o, &sum, err, sizeof err), 0);
        job_cost_clear(&c);
    }
    unlink(prices);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_online_job),
        cmocka_unit_test(test_batch_job_pays_batch_prices),
        cmocka_unit_test(test_batch_job_without_batch_price_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
