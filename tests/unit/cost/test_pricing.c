/* test_pricing.c - the price table: defaults, name matching, cost arithmetic, override
 * files and the errors a broken file gives.
 *
 * The default prices are docs/provider-facts.md §3's table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cost/model_name.h"
#include "cost/pricing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text into a new temporary file; its path goes into path (>= 64 bytes). */
static void write_temp(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/vb-pricing-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static pricing_entry_t lookup_ok(const pricing_t *p, const char *model)
{
    pricing_entry_t e;
    memset(&e, 0, sizeof e);
    assert_int_equal(pricing_lookup(p, model, &e), 0);
    return e;
}

/* provider-facts.md §3, every row. */
static void test_defaults(void **state)
{
    (void)state;
    char err[256];
    pricing_t *p = pricing_load(NULL, err, sizeof err);
    assert_non_null(p);
    static const struct {
        const char *model;
        double in, out, bin, bout;
        int batch;
    } rows[] = {
        {"gpt-4o", 2.50, 10.00, 1.25, 5.00, 1},      {"gpt-4o-mini", 0.15, 0.60, 0.075, 0.30, 1},
        {"gpt-4.1", 2.00, 8.00, 1.00, 4.00, 1},      {"gpt-4.1-mini", 0.40, 1.60, 0.20, 0.80, 1},
        {"claude-sonnet-4-5", 3.00, 15.00, 1.50, 7.50, 1},
        {"claude-sonnet-5-5", 2.00, 10.00, 1.00, 5.00, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pricing_entry_t e = lookup_ok(p, rows[i].model);
        assert_string_equal(e.model, rows[i].model);
        assert_float_equal(e.input, rows[i].in, 1e-12);
        assert_float_equal(e.output, rows[i].out, 1e-12);
        assert_int_equal(e.has_batch, rows[i].batch);
        assert_float_equal(e.batch_input, rows[i].bin, 1e-12);
        assert_float_equal(e.batch_output, rows[i].bout, 1e-12);
    }
    pricing_free(p);
}

static void test_lookup_names(void **state)
{
    (void)state;
    char err[256];
    pricing_t *p = pricing_load(NULL, err, sizeof err);
    assert_non_null(p);
    /* dated snapshots, vendor prefixes, any case */
    assert_string_equal(lookup_ok(p, "gpt-4o-2024-08-06").model, "gpt-4o");
    assert_string_equal(lookup_ok(p, "gpt-4o-mini-2024-07-18").model, "gpt-4o-mini");
    assert_string_equal(lookup_ok(p, "openai/gpt-4o").model, "gpt-4o");
    assert_string_equal(lookup_ok(p, "openrouter/openai/gpt-4.1-mini").model, "gpt-4.1-mini");
    assert_string_equal(lookup_ok(p, "GPT-4O-Mini").model, "gpt-4o-mini");
    assert_string_equal(lookup_ok(p, "claude-sonnet-4-5-20250929").model, "claude-sonnet-4-5");
    assert_string_equal(lookup_ok(p, "anthropic/claude-sonnet-4-5@20250929").model,
                        "claude-sonnet-4-5");
    assert_string_equal(lookup_ok(p, "gemini-2.5-flash-001").model, "gemini-2.5-flash");
    /* the longest name wins: gpt-4o-mini is never priced as gpt-4o */
    assert_float_equal(lookup_ok(p, "gpt-4o-mini").input, 0.15, 1e-12);
    assert_float_equal(lookup_ok(p, "gpt-4.1-mini-2025-04-14").input, 0.40, 1e-12);
    pricing_free(p);
}

/* Unknown models have no price, even when a known name is a prefix of theirs: a variant
 * is another model with another price. */
static void test_lookup_unknown(void **state)
{
    (void)state;
    char err[256];
    pricing_entry_t e = {.model = "untouched"};
    pricing_t *p = pricing_load(NULL, err, sizeof err);
    assert_non_null(p);
    static const char *const unknown[] = {
        "llava",
        "gpt-4.1-nano",
        "o4-mini",
        "gpt-4o-audio-preview",
        "gemini-2.5-flash-lite",
        "gpt-4",
        "gpt-4o1",
        "claude",
        "gpt-4o-",
        "",
        "openai/",
        "gpt-4o-latest",
    };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(pricing_lookup(p, unknown[i], &e), -1);
        assert_string_equal(e.model, "untouched");
    }
    assert_int_equal(pricing_lookup(p, NULL, &e), -1);
    assert_int_equal(pricing_lookup(NULL, "gpt-4o", &e), -1);
    pricing_free(p);
}

static void test_cost(void **state)
{
    (void)state;
    char err[256];
    pricing_t *p = pricing_load(NULL, err, sizeof err);
    assert_non_null(p);
    pricing_entry_t e = lookup_ok(p, "gpt-4o");
    assert_float_equal(pricing_cost(&e, 1000000, 0, 0), 2.50, 1e-9);
    assert_float_equal(pricing_cost(&e, 0, 1000000, 0), 10.00, 1e-9);
    /* 1,000 gpt-4o high-detail 1024x1024 images (765 + 20 prompt tokens) with 300
     * completion tokens each: 785,000 in, 300,000 out */
    assert_float_equal(pricing_cost(&e, 785000, 300000, 0), 1.9625 + 3.0, 1e-9);
    assert_float_equal(pricing_cost(&e, 785000, 300000, 1), (1.9625 + 3.0) / 2, 1e-9);
    assert_float_equal(pricing_cost(&e, -5, -1, 0), 0.0, 1e-12);
    assert_float_equal(pricing_cost(&e, 0, 0, 0), 0.0, 1e-12);
    /* 50,000 gpt-4o-mini images at 25,501 + 20 tokens: counts past 2^31 */
    e = lookup_ok(p, "gpt-4o-mini");
    assert_float_equal(pricing_cost(&e, 50000L * 25521L, 0, 0), 1276050000.0 * 0.15 / 1e6, 1e-6);
    pricing_free(p);
    /* no batch prices: -1, never the standard prices in disguise */
    p = pricing_load("{\"models\": {\"m-no-batch\": {\"input\": 3, \"output\": 15}}}", err,
                     sizeof err);
    assert_non_null(p);
    e = lookup_ok(p, "m-no-batch");
    assert_float_equal(pricing_cost(&e, 1000, 1000, 1), -1.0, 1e-12);
    assert_float_equal(pricing_cost(&e, 1000000, 1000000, 0), 18.0, 1e-9);
    pricing_free(p);
}

/* A user's file replaces the defaults it names and adds new models; the rest stay. */
static void test_override_file(void **state)
{
    (void)state;
    char err[256], path[64];
    write_temp(path, sizeof path,
               "{\"$comment\": \"reseller prices\",\n"
               " \"models\": {\n"
               "  \"GPT-4o\": {\"input\": 2, \"output\": 8},\n"
               "  \"llava\": {\"input\": 0.05, \"output\": 0.1, \"$note\": \"local\"},\n"
               "  \"openrouter/openai/gpt-4o-mini\": {\"input\": 0.2, \"output\": 0.7},\n"
               "  \"gpt-4.1-nano\": {\"input\": 0.1, \"output\": 0.4,\n"
               "                   \"batch_input\": 0.05, \"batch_output\": 0.2}}}\n");
    pricing_t *p = pricing_load_file(path, err, sizeof err);
    unlink(path);
    assert_non_null(p);

    pricing_entry_t e = lookup_ok(p, "gpt-4o-2024-08-06");
    assert_float_equal(e.input, 2.0, 1e-12);
    assert_float_equal(e.output, 8.0, 1e-12);
    assert_int_equal(e.has_batch, 0); /* replaced whole: the old batch prices are gone */
    assert_float_equal(lookup_ok(p, "llava").input, 0.05, 1e-12);
    assert_float_equal(lookup_ok(p, "gpt-4.1-nano").batch_output, 0.2, 1e-12);
    assert_float_equal(lookup_ok(p, "gpt-4.1").input, 2.00, 1e-12);           /* kept */
    assert_float_equal(lookup_ok(p, "gemini-2.5-flash").output, 2.50, 1e-12); /* kept */
    /* a full name with its vendor prefix is priced on its own */
    assert_float_equal(lookup_ok(p, "openrouter/openai/gpt-4o-mini").input, 0.2, 1e-12);
    assert_float_equal(lookup_ok(p, "openai/gpt-4o-mini").input, 0.15, 1e-12);
    pricing_free(p);
}

/* Every broken file is refused with a reason that says where and what. */
static void test_broken(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"models\": {\"gpt-4o\": {\"input\": 1,}}}", "line 1 column"},
        {"{\"models\": {\n\"a\": {\"input\": 1 \"output\": 2}}}", "not valid JSON: line 2"},
        {"", "not valid JSON"},
        {"[1, 2]", "expected a JSON object"},
        {"{\"prices\": {}}", "unknown key \"prices\""},
        {"{\"$comment\": \"x\"}", "\"models\" is missing"},
        {"{\"models\": []}", "\"models\" is not an object"},
        {"{\"models\": {\"a\": 3}}", "model \"a\": expected an object"},
        {"{\"models\": {\"a\": {\"output\": 2}}}", "model \"a\": \"input\" is missing"},
        {"{\"models\": {\"a\": {\"input\": 2}}}", "model \"a\": \"output\" is missing"},
        {"{\"models\": {\"a\": {\"input\": \"2.5\", \"output\": 2}}}",
         "\"input\" must be a number"},
        {"{\"models\": {\"a\": {\"input\": -1, \"output\": 2}}}", "\"input\" must be a number"},
        {"{\"models\": {\"a\": {\"input\": 1, \"ouput\": 2}}}", "unknown key \"ouput\""},
        {"{\"models\": {\"a\": {\"input\": 1, \"output\": 2, \"batch_input\": 1}}}",
         "both batch_input and batch_output"},
        {"{\"models\": {\"\": {\"input\": 1, \"output\": 2}}}", "name is empty"},
        {"{\"models\": {\"a\": {\"input\": 1, \"output\": 2}, \"a\": {\"input\": 1, "
         "\"output\": 2}}}",
         "duplicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "", path[64];
        pricing_t *p = pricing_load(cases[i].text, err, sizeof err);
        assert_null(p);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: \"%s\" not in \"%s\"", i, cases[i].want, err);

        write_temp(path, sizeof path, cases[i].text);
        err[0] = '\0';
        p = pricing_load_file(path, err, sizeof err);
        unlink(path);
        assert_null(p);
        assert_non_null(strstr(err, path)); /* names the file */
        if (!strstr(err, cases[i].want))
            fail_msg("file case %zu: \"%s\" not in \"%s\"", i, cases[i].want, err);
    }
    char err[256];
    assert_null(pricing_load_file("/nonexistent/prices.json", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/prices.json: No such file"));
    pricing_free(NULL);
}

/* The shared name rules behind tokens.c and pricing.c. */
static void test_model_name(void **state)
{
    (void)state;
    assert_string_equal(model_name_strip_vendor("openrouter/openai/gpt-4o"), "gpt-4o");
    assert_string_equal(model_name_strip_vendor("gpt-4o"), "gpt-4o");
    assert_int_equal(model_name_prefix_len("gpt-4o-mini", "gpt-4o"), 6);
    assert_int_equal(model_name_prefix_len("gpt-4o-mini", "GPT-4O-MINI"), 11);
    assert_int_equal(model_name_prefix_len("o10", "o1"), 0);
    assert_int_equal(model_name_prefix_len("o1:free", "o1"), 2);
    assert_int_equal(model_name_prefix_len("gpt-4o", ""), 0);
    assert_int_equal(model_name_prefix_len("gpt", "gpt-4o"), 0);
    assert_true(model_name_is_snapshot_suffix(""));
    assert_true(model_name_is_snapshot_suffix("-2024-08-06"));
    assert_true(model_name_is_snapshot_suffix("-20250929"));
    assert_true(model_name_is_snapshot_suffix("@20250929"));
    assert_true(model_name_is_snapshot_suffix("-001"));
    assert_false(model_name_is_snapshot_suffix("-mini"));
    assert_false(model_name_is_snapshot_suffix("-"));
    assert_false(model_name_is_snapshot_suffix("-2024-preview"));
    assert_false(model_name_is_snapshot_suffix("x2024"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_lookup_names),
        cmocka_unit_test(test_lookup_unknown), cmocka_unit_test(test_cost),
        cmocka_unit_test(test_override_file),  cmocka_unit_test(test_broken),
        cmocka_unit_test(test_model_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
