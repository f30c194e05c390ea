/* test_estimate.c - counting a job's tokens from image headers, the cost bounds and the
 * time at the rate limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cost/estimate.h"
#include "media/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

static char dir[64];

/* Writes a w x h grey image as JPEG (or PNG) named name into dir. */
static void write_image(const char *name, int w, int h, int png)
{
    char path[128];
    size_t n = (size_t)w * (size_t)h;
    unsigned char *px = calloc(n, 1);
    assert_non_null(px);
    VipsImage *im = vips_image_new_from_memory(px, n, w, h, 1, VIPS_FORMAT_UCHAR);
    assert_non_null(im);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(png ? vips_pngsave(im, path, NULL) : vips_jpegsave(im, path, NULL), 0);
    g_object_unref(im);
    free(px);
}

static void write_bytes(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

typedef struct {
    int calls;
    char last_kind[32];
} errors_t;

static void on_error(const char *label, const char *kind, const char *message, void *arg)
{
    errors_t *e = arg;
    assert_non_null(label);
    assert_true(message[0] != '\0');
    e->calls++;
    snprintf(e->last_kind, sizeof e->last_kind, "%s", kind);
}

static void run(const char *model, detail_t detail, long max_tokens, estimate_t *out,
                errors_t *errs)
{
    char err[256];
    input_t *in = input_new();
    assert_non_null(in);
    assert_int_equal(input_add(in, dir, err, sizeof err), 0);
    estimate_settings_t s = {.model = model,
                             .prompt = "Describe it", /* 11 bytes: 3 tokens */
                             .detail = detail,
                             .max_tokens = max_tokens,
                             .max_image_bytes = 1000000,
                             .threads = 3};
    assert_int_equal(estimate_run(in, &s, on_error, errs, out, err, sizeof err), 0);
    input_free(in);
}

/* provider-facts.md §2's gpt-4o sizes, plus the files a run refuses. */
static void test_run_counts(void **state)
{
    (void)state;
    estimate_t e;
    errors_t errs = {0};
    write_image("a.jpg", 1024, 1024, 0); /* 765 at high */
    write_image("b.png", 2048, 4096, 1); /* 1105 at high */
    write_image("c.jpg", 100, 100, 0);   /* 255 at high */
    run("gpt-4o", DETAIL_HIGH, 300, &e, &errs);
    assert_int_equal(e.images, 3);
    assert_int_equal(e.errors, 0);
    assert_int_equal(e.image_tokens, 765 + 1105 + 255);
    assert_int_equal(e.text_tokens, 3 * (3 + ESTIMATE_MESSAGE_OVERHEAD_TOKENS));
    assert_int_equal(e.input_tokens, e.image_tokens + e.text_tokens);
    assert_int_equal(e.output_tokens_max, 900);
    assert_int_equal(e.model_known, 1);
    assert_int_equal(e.output_unbounded, 0);

    run("gpt-4o", DETAIL_LOW, 0, &e, &errs);
    assert_int_equal(e.image_tokens, 3 * 85);
    assert_int_equal(e.output_tokens_max, 0);
    assert_int_equal(e.output_unbounded, 1);

    /* unknown model: gpt-4o's rules, said so */
    run("llava", DETAIL_HIGH, 300, &e, &errs);
    assert_int_equal(e.image_tokens, 765 + 1105 + 255);
    assert_int_equal(e.model_known, 0);

    /* bad files are errors, by kind, and not counted as images */
    write_bytes("empty.jpg", "", 0);
    write_bytes("text.jpg", "not an image", 12);
    char path[128];
    snprintf(path, sizeof path, "%s/a.jpg", dir);
    FILE *f = fopen(path, "rb");
    unsigned char head[600];
    assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    write_bytes("truncated.jpg", head, sizeof head);
    errs.calls = 0;
    run("gpt-4o", DETAIL_HIGH, 300, &e, &errs);
    assert_int_equal(e.images, 3);
    assert_int_equal(e.errors, 3);
    assert_int_equal(errs.calls, 3);
    assert_int_equal(e.n_kinds, 3);
    long by_kind = 0;
    for (size_t i = 0; i < e.n_kinds; i++) {
        assert_true(strcmp(e.kinds[i].kind, "empty_file") == 0 ||
                    strcmp(e.kinds[i].kind, "not_an_image") == 0 ||
                    strcmp(e.kinds[i].kind, "corrupt_image") == 0);
        by_kind += e.kinds[i].count;
    }
    assert_int_equal(by_kind, 3);
    assert_int_equal(e.image_tokens, 765 + 1105 + 255);
}

static void test_cost(void **state)
{
    (void)state;
    pricing_entry_t p = {"gpt-4o", 2.5, 10.0, 1.25, 5.0, 1};
    estimate_t e;
    memset(&e, 0, sizeof e);
    e.images = 1000;
    e.input_tokens = 785000;
    e.output_tokens_max = 300000;
    double low, high;
    estimate_cost(&e, &p, 0, &low, &high);
    assert_float_equal(low, 1.9625, 1e-9);
    assert_float_equal(high, 4.9625, 1e-9);
    estimate_cost(&e, &p, 1, &low, &high); /* the Batch API's prices: half */
    assert_float_equal(low, 0.98125, 1e-9);
    assert_float_equal(high, 2.48125, 1e-9);
    p.has_batch = 0; /* none known: no batch cost */
    estimate_cost(&e, &p, 1, &low, &high);
    assert_float_equal(low, -1.0, 1e-12);
    assert_float_equal(high, -1.0, 1e-12);
    p.has_batch = 1;
    e.output_tokens_max = 0;
    e.output_unbounded = 1;
    estimate_cost(&e, &p, 0, &low, &high);
    assert_float_equal(low, 1.9625, 1e-9);
    assert_float_equal(high, -1.0, 1e-12);
}

static void test_seconds_at_limits(void **state)
{
    (void)state;
    estimate_t e;
    memset(&e, 0, sizeof e);
    e.images = e.requests = 600;
    e.input_tokens = 400000;
    e.output_tokens_max = 200000;
    assert_float_equal(estimate_seconds_at_limits(&e, 0, 0), -1.0, 1e-12);
    assert_float_equal(estimate_seconds_at_limits(&e, 60, 0), 600.0, 1e-9);       /* 10 min */
    assert_float_equal(estimate_seconds_at_limits(&e, 0, 100000), 360.0, 1e-9);   /* 6 min */
    assert_float_equal(estimate_seconds_at_limits(&e, 60, 100000), 600.0, 1e-9);  /* rpm binds */
    assert_float_equal(estimate_seconds_at_limits(&e, 600, 100000), 360.0, 1e-9); /* tpm binds */
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (image_global_init("test_estimate", err, sizeof err) != 0)
        return -1;
    snprintf(dir, sizeof dir, "/tmp/vb-estimate-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const names[] = {"a.jpg",     "b.png",    "c.jpg",
                                        "empty.jpg", "text.jpg", "truncated.jpg"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    image_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_counts),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_seconds_at_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
