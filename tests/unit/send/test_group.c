/* test_batch.c - grouping, the batch body, splitting answers and sharing usage (batch.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "send/group.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- splitting ---------------------------------------------------------------------- */

static void free_answers(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i]);
        a[i] = NULL;
    }
}

static void test_parse_exact_array(void **state)
{
    (void)state;
    char *a[3] = {0};
    char why[200];
    assert_int_equal(group_parse_answer("[{\"image\":1,\"answer\":\"red mug\"},"
                                        "{\"image\":2,\"answer\":\"blue shoe\"},"
                                        "{\"image\":3,\"answer\":{\"color\":\"green\"}}]",
                                        3, a, why, sizeof why),
                     0);
    assert_string_equal(a[0], "red mug");
    assert_string_equal(a[1], "blue shoe");
    assert_string_equal(a[2], "{\"color\":\"green\"}"); /* non-string answers stay JSON */
    free_answers(a, 3);
}

static void test_parse_fence_and_wrapper(void **state)
{
    (void)state;
    char *a[2] = {0};
    char why[200];
    assert_int_equal(group_parse_answer("  ```json\n[{\"image\":1,\"answer\":\"a\"},"
                                        "{\"image\":2,\"answer\":\"b\"}]\n```\n",
                                        2, a, why, sizeof why),
                     0);
    assert_string_equal(a[0], "a");
    assert_string_equal(a[1], "b");
    free_answers(a, 2);
    assert_int_equal(group_parse_answer("{\"results\":[{\"image\":1,\"answer\":\"x\"},"
                                        "{\"image\":2,\"answer\":\"y\"}]}",
                                        2, a, why, sizeof why),
                     0);
    assert_string_equal(a[1], "y");
    free_answers(a, 2);
}

/* Every answer that cannot be assigned with certainty is refused, and nothing is set. */
static void test_parse_refuses_doubt(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[{\"image\":1,\"answer\":\"a\"}]", /* too few */
        "[{\"image\":1,\"answer\":\"a\"},{\"image\":2,\"answer\":\"b\"},"
        "{\"image\":3,\"answer\":\"c\"}]",                                     /* too many */
        "[{\"image\":1,\"answer\":\"a\"},{\"image\":2,\"ans",                  /* cut off */
        "[{\"image\":2,\"answer\":\"b\"},{\"image\":1,\"answer\":\"a\"}]",     /* swapped */
        "[{\"image\":1,\"answer\":\"a\"},{\"image\":2}]",                      /* no answer */
        "[\"a\",\"b\"]",                                                       /* unnumbered */
        "[{\"image\":\"1\",\"answer\":\"a\"},{\"image\":2,\"answer\":\"b\"}]", /* not a number */
        "Image 1: a red mug. Image 2: a shoe.",                                /* prose */
        "{\"a\":[],\"b\":[]}",                                                 /* two members */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *a[2] = {(char *)"untouched", (char *)"untouched"};
        char why[200] = "";
        assert_int_equal(group_parse_answer(bad[i], 2, a, why, sizeof why), -1);
        assert_true(why[0] != '\0');
        assert_string_equal(a[0], "untouched");
        assert_string_equal(a[1], "untouched");
    }
    char *a[2] = {0};
    char why[200];
    assert_int_equal(group_parse_answer(NULL, 2, a, why, sizeof why), -1);
}

static void test_share_sums_and_proportions(void **state)
{
    (void)state;
    long out[4];
    const double w[4] = {1, 1, 2, 0};
    group_share(1000, w, 4, out);
    assert_int_equal(out[0], 250);
    assert_int_equal(out[1], 250);
    assert_int_equal(out[2], 500);
    assert_int_equal(out[3], 0);
    const double odd[3] = {1, 1, 1};
    group_share(10, odd, 3, out); /* 3.33 each: the remainder goes to the earliest */
    assert_int_equal(out[0] + out[1] + out[2], 10);
    assert_int_equal(out[0], 4);
    assert_int_equal(out[1], 3);
    const double zero[2] = {0, 0};
    group_share(7, zero, 2, out); /* no weights: even */
    assert_int_equal(out[0] + out[1], 7);
    group_share(-1, odd, 3, out);
    assert_int_equal(out[0] + out[1] + out[2], 0);
    /* many uneven weights still sum exactly */
    double many[37];
    long got[37];
    for (size_t i = 0; i < 37; i++)
        many[i] = 85.0 + 170.0 * (double)(i % 7) + 0.3 * (double)i;
    group_share(123457, many, 37, got);
    long sum = 0;
    for (size_t i = 0; i < 37; i++)
        sum += got[i];
    assert_int_equal(sum, 123457);
}

/* ---- grouping and the body ---------------------------------------------------------- */

typedef struct fixture {
    body_template_t tmpl;
    body_settings_t body;
    group_settings_t s;
    group_t *b;
} fixture_t;

static void fixture_open(fixture_t *f, long size, size_t max_bytes)
{
    char err[128];
    memset(f, 0, sizeof *f);
    f->body = (body_settings_t){
        .model = "gpt-4o", .prompt = "Describe it", .detail = "low", .max_tokens = 300};
    assert_int_equal(provider_openai.template_build(&f->tmpl, &f->body, err, sizeof err), 0);
    f->s = (group_settings_t){.size = size,
                              .max_body_bytes = max_bytes,
                              .provider = &provider_openai,
                              .body = &f->body,
                              .template = &f->tmpl};
    assert_non_null(f->b = group_new(&f->s));
}

static void fixture_close(fixture_t *f)
{
    group_free(f->b);
    body_template_clear(&f->tmpl);
}

/* A prepared request for an image of `bytes` text, estimated at `image_tokens`. */
static request_t *member(const fixture_t *f, const char *id, const char *bytes, double image_tokens)
{
    request_t *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->item.id = strdup(id);
    r->body = provider_openai.body_image(&f->tmpl, "image/png", (const unsigned char *)bytes,
                                         strlen(bytes), &r->body_len);
    assert_non_null(r->body);
    /* as prepare.c: image + prompt text (ceil(11/4) = 3) + 7 framing + max_tokens */
    r->token_estimate = image_tokens + 3 + 7 + 300;
    r->input_tokens_worst = image_tokens + 11 + 16;
    return r;
}

static void test_group_builds_one_body(void **state)
{
    (void)state;
    fixture_t f;
    fixture_open(&f, 3, 1000000);
    request_t *m[3] = {member(&f, "a", "AAA", 85), member(&f, "b", "BBBBBB", 255),
                       member(&f, "c", "C", 85)};
    assert_true(group_can_join(f.b, m[0]));
    assert_int_equal(group_add(f.b, m[0]), GROUP_ADDED);
    assert_int_equal(group_add(f.b, m[1]), GROUP_ADDED);
    assert_int_equal(group_pending(f.b), 2);
    assert_int_equal(group_add(f.b, m[2]), GROUP_FULL);
    request_t *r = group_take(f.b);
    assert_non_null(r);
    assert_int_equal(group_pending(f.b), 0);
    assert_int_equal(r->n_members, 3);
    assert_ptr_equal(r->members[1], m[1]);
    assert_int_equal(r->batch_max_tokens, 900);
    assert_false(group_can_join(f.b, r));

    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "max_tokens")), 900);
    json_t *content = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content");
    assert_int_equal(json_array_size(content), 4);
    const char *text = json_string_value(json_object_get(json_array_get(content, 0), "text"));
    assert_non_null(strstr(text, "Describe it"));
    assert_non_null(strstr(text, "JSON array of 3 objects"));
    static const char *const urls[] = {"data:image/png;base64,QUFB",
                                       "data:image/png;base64,QkJCQkJC",
                                       "data:image/png;base64,Qw=="};
    for (size_t i = 0; i < 3; i++) {
        json_t *iu = json_object_get(json_array_get(content, i + 1), "image_url");
        assert_string_equal(json_string_value(json_object_get(iu, "url")), urls[i]);
        assert_string_equal(json_string_value(json_object_get(iu, "detail")), "low");
    }
    /* the prompt and framing are counted once; the images and output limits add up */
    double text_tokens = (double)((strlen(text) + 3) / 4) + 7;
    json_decref(j);
    assert_true(r->token_estimate > 85 + 255 + 85 + 900 + text_tokens - 0.01);
    assert_true(r->token_estimate < 85 + 255 + 85 + 900 + text_tokens + 0.01);
    /* weights: image tokens + an even third of the text */
    assert_true(m[1]->batch_weight > 255 + text_tokens / 3 - 0.01);
    assert_true(m[1]->batch_weight < 255 + text_tokens / 3 + 0.01);
    request_free(r);
    fixture_close(&f);
}

static void test_byte_limit_stops_growth(void **state)
{
    (void)state;
    fixture_t f;
    /* room for the template, the instruction and one image part, not two */
    fixture_open(&f, 5, 0);
    request_t *probe = member(&f, "p", "0123456789012345678901234567890123456789", 85);
    size_t one = probe->body_len + 512 + 64 + strlen("low");
    f.s.max_body_bytes = one + 10;
    request_t *a = member(&f, "a", "0123456789012345678901234567890123456789", 85);
    request_t *b = member(&f, "b", "0123456789012345678901234567890123456789", 85);
    assert_true(group_can_join(f.b, a));
    assert_int_equal(group_add(f.b, a), GROUP_ADDED);
    assert_int_equal(group_add(f.b, b), GROUP_NO_ROOM); /* b stays the caller's */
    request_t *lone = group_take(f.b);
    assert_ptr_equal(lone, a); /* a group of one goes as the plain request */
    assert_true(lone->solo);
    assert_false(group_can_join(f.b, lone));
    f.s.max_body_bytes = 100; /* an image that can never share a body goes alone */
    assert_false(group_can_join(f.b, b));
    request_free(probe);
    request_free(a);
    request_free(b);
    fixture_close(&f);
}

static void test_dissolve_keeps_order(void **state)
{
    (void)state;
    fixture_t f;
    fixture_open(&f, 3, 1000000);
    request_t *m[3] = {member(&f, "a", "A", 85), member(&f, "b", "B", 85),
                       member(&f, "c", "C", 85)};
    for (size_t i = 0; i < 3; i++)
        group_add(f.b, m[i]);
    request_t *r = group_take(f.b);
    assert_true(group_idle(f.b));
    group_dissolve(f.b, r);
    assert_false(group_idle(f.b));
    for (size_t i = 0; i < 3; i++) {
        request_t *s = group_pop_solo(f.b);
        assert_ptr_equal(s, m[i]);
        assert_true(s->solo);
        assert_false(group_can_join(f.b, s));
        request_free(s);
    }
    assert_null(group_pop_solo(f.b));
    assert_true(group_idle(f.b));
    /* an item with its own prompt never joins */
    request_t *own = member(&f, "d", "D", 85);
    own->item.prompt = strdup("other prompt");
    assert_false(group_can_join(f.b, own));
    request_free(own);
    fixture_close(&f);
}

static void test_split_shares_usage_and_cost(void **state)
{
    (void)state;
    fixture_t f;
    fixture_open(&f, 3, 1000000);
    request_t *m[3] = {member(&f, "a", "A", 85), member(&f, "b", "B", 765),
                       member(&f, "c", "C", 85)};
    for (size_t i = 0; i < 3; i++)
        group_add(f.b, m[i]);
    request_t *r = group_take(f.b);
    pricing_entry_t price = {.model = "gpt-4o", .input = 2.5, .output = 10.0};
    double cost = pricing_cost(&price, 1031, 61, 0);
    group_split_t s;
    assert_int_equal(group_split_answer(r,
                                        "[{\"image\":1,\"answer\":\"one\"},"
                                        "{\"image\":2,\"answer\":\"the second one\"},"
                                        "{\"image\":3,\"answer\":\"three\"}]",
                                        1031, 61, &price, cost, &s),
                     0);
    assert_true(s.ok);
    assert_string_equal(s.answers[1], "the second one");
    assert_int_equal(s.prompt_tokens[0] + s.prompt_tokens[1] + s.prompt_tokens[2], 1031);
    assert_int_equal(s.completion_tokens[0] + s.completion_tokens[1] + s.completion_tokens[2], 61);
    assert_true(s.prompt_tokens[1] > 3 * s.prompt_tokens[0]); /* 765 vs 85 image tokens */
    assert_int_equal(s.prompt_tokens[0], s.prompt_tokens[2]);
    assert_true(s.completion_tokens[1] > s.completion_tokens[0]); /* the longer answer */
    double sum = s.cost_usd[0] + s.cost_usd[1] + s.cost_usd[2];
    assert_true(sum > cost - 1e-15 && sum < cost + 1e-15);
    for (size_t i = 0; i < 3; i++)
        assert_true(s.cost_usd[i] > 0);
    group_split_clear(&s);

    /* unsplit: still shared, so the failed answer's cost is carried by its images */
    assert_int_equal(
        group_split_answer(r, "[{\"image\":1,\"answer\":\"one\"}]", 1031, 61, &price, cost, &s), 0);
    assert_false(s.ok);
    assert_non_null(strstr(s.why, "1 entries for 3 images"));
    sum = s.cost_usd[0] + s.cost_usd[1] + s.cost_usd[2];
    assert_true(sum > cost - 1e-15 && sum < cost + 1e-15);
    group_split_clear(&s);

    /* unknown price and no usage */
    assert_int_equal(group_split_answer(r, "[]", -1, -1, NULL, -1, &s), 0);
    assert_int_equal(s.prompt_tokens[2], -1);
    assert_true(s.cost_usd[0] < 0);
    group_split_clear(&s);
    request_free(r);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_exact_array),
        cmocka_unit_test(test_parse_fence_and_wrapper),
        cmocka_unit_test(test_parse_refuses_doubt),
        cmocka_unit_test(test_share_sums_and_proportions),
        cmocka_unit_test(test_group_builds_one_body),
        cmocka_unit_test(test_byte_limit_stops_growth),
        cmocka_unit_test(test_dissolve_keeps_order),
        cmocka_unit_test(test_split_shares_usage_and_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
