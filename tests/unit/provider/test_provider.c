/* test_provider.c - the provider seam (provider.h) as the engine uses it, through
 * provider_openai: URL, key header, group bodies, answers with their headers, the
 * structured-answer option, image limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/image.h"
#include "provider/provider.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void test_find(void **state)
{
    (void)state;
    assert_ptr_equal(provider_find("openai"), &provider_openai);
    assert_null(provider_find("anthropix"));
    assert_null(provider_find(NULL));
}

static void test_request_url(void **state)
{
    (void)state;
    char *u = provider_openai.request_url("http://127.0.0.1:9/v1//", "gpt-4o");
    assert_string_equal(u, "http://127.0.0.1:9/v1/chat/completions");
    free(u);
    u = provider_openai.request_url("https://api.openai.com/v1", "gpt-4o-mini");
    assert_string_equal(u, "https://api.openai.com/v1/chat/completions");
    free(u);
}

typedef struct lines {
    char got[4][128];
    int n;
    int fail;
} lines_t;

static int collect(void *ctx, const char *line)
{
    lines_t *l = ctx;
    if (l->fail)
        return -1;
    snprintf(l->got[l->n++], sizeof l->got[0], "%s", line);
    return 0;
}

static void test_key_header(void **state)
{
    (void)state;
    lines_t l = {0};
    assert_int_equal(provider_openai.add_headers("sk-test", collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.got[0], "Authorization: Bearer sk-test");
    lines_t none = {0};
    assert_int_equal(provider_openai.add_headers(NULL, collect, &none), 0);
    assert_int_equal(provider_openai.add_headers("", collect, &none), 0);
    assert_int_equal(none.n, 0);
    lines_t failing = {.fail = 1};
    assert_int_equal(provider_openai.add_headers("sk-test", collect, &failing), -1);
}

/* A group body holds the text first, then each part as its image URL, in order, and the
 * max_tokens it is given; the parts' bytes are copied as they are. */
static void test_group_body(void **state)
{
    (void)state;
    body_settings_t s = {.model = "gpt-4o", .prompt = "unused", .detail = "low", .max_tokens = 600};
    const char *a = "data:image/png;base64,QUFB", *b = "https://example.invalid/x.jpg";
    body_part_t parts[2] = {{a, strlen(a)}, {b, strlen(b)}};
    size_t len = 0;
    char *body = provider_openai.group_body(&s, "two images \x01vb-image-url\x01", parts, 2, &len);
    assert_non_null(body);
    assert_int_equal(strlen(body), len);
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    json_t *content = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content");
    assert_int_equal(json_array_size(content), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(content, 0), "text")),
                        "two images \x01vb-image-url\x01");
    for (size_t i = 0; i < 2; i++) {
        json_t *iu = json_object_get(json_array_get(content, i + 1), "image_url");
        assert_string_equal(json_string_value(json_object_get(iu, "url")), i ? b : a);
        assert_string_equal(json_string_value(json_object_get(iu, "detail")), "low");
    }
    assert_int_equal(json_integer_value(json_object_get(j, "max_tokens")), 600);
    /* the overhead bound covers what a part adds besides its bytes */
    size_t one = 0;
    char *single = provider_openai.group_body(&s, "t", parts, 1, &one);
    size_t two = 0;
    char *pair = provider_openai.group_body(&s, "t", parts, 2, &two);
    assert_true(two - one - parts[1].len <= provider_openai.group_part_overhead(&s));
    free(single);
    free(pair);
    json_decref(j);
    free(body);
}

static const char *fake_get(void *ctx, const char *name)
{
    const char *const *h = ctx;
    for (; h[0]; h += 2)
        if (strcmp(h[0], name) == 0)
            return h[1];
    return NULL;
}

/* answer_parse reads x-should-retry itself, through the header function. */
static void test_answer_headers(void **state)
{
    (void)state;
    const char *body = "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}";
    const char *no[] = {"x-should-retry", "false", NULL};
    const char *none[] = {NULL};
    answer_t a;
    provider_openai.answer_parse(500, body, strlen(body), fake_get, (void *)no, NULL, &a);
    assert_int_equal(a.action, ANSWER_FAIL_ITEM);
    answer_clear(&a);
    provider_openai.answer_parse(500, body, strlen(body), fake_get, (void *)none, NULL, &a);
    assert_int_equal(a.action, ANSWER_RETRY);
    answer_clear(&a);
    provider_openai.answer_parse(500, body, strlen(body), NULL, NULL, NULL, &a);
    assert_int_equal(a.action, ANSWER_RETRY);
    answer_clear(&a);
    answer_clear(NULL);

    ratelimit_info_t info;
    const char *h[] = {"x-ratelimit-limit-requests", "6000", "retry-after-ms", "250", NULL};
    provider_openai.limits_parse(fake_get, (void *)h, 0, &info);
    assert_true(info.limit_requests == 6000);
    assert_true(info.retry_after_s == 0.25);
    assert_true(info.limit_tokens == -1);
}

static void test_structured_option(void **state)
{
    (void)state;
    char *out = NULL, err[400];
    assert_int_equal(provider_openai.structured_option(NULL, NULL, &out, err, sizeof err), 0);
    assert_string_equal(out, "{\"type\":\"json_object\"}");
    free(out);
    json_t *loose = json_loads("{\"type\":\"object\",\"properties\":{\"a\":{}}}", 0, NULL);
    assert_int_equal(provider_openai.structured_option(loose, "s", &out, err, sizeof err), -1);
    assert_null(out);
    assert_non_null(strstr(err, "(OpenAI refuses it)"));
    json_t *strict = json_loads("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                                "\"required\":[\"a\"],\"additionalProperties\":false}",
                                0, NULL);
    assert_int_equal(provider_openai.structured_option(strict, "attrs", &out, err, sizeof err), 0);
    json_t *rf = json_loads(out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(rf, "type")), "json_schema");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rf, "json_schema"), "name")), "attrs");
    json_decref(rf);
    free(out);
    json_decref(loose);
    json_decref(strict);
}

static void test_image_limits(void **state)
{
    (void)state;
    const provider_image_limits_t *l = &provider_openai.limits;
    assert_true(l->formats & 1u << IMAGE_JPEG);
    assert_true(l->formats & 1u << IMAGE_GIF);
    assert_false(l->formats & 1u << IMAGE_UNKNOWN);
    assert_int_equal(l->max_images, 500);
    unsigned long tokens = 0;
    assert_int_equal(provider_openai.image_tokens("gpt-4o", 1024, 1024, DETAIL_HIGH, &tokens), 0);
    assert_int_equal(tokens, 765); /* provider-facts.md §2: 85 + 170 x 4 tiles */
    assert_int_equal(provider_openai.image_tokens("no-such-model", 10, 10, DETAIL_HIGH, &tokens),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),           cmocka_unit_test(test_request_url),
        cmocka_unit_test(test_key_header),     cmocka_unit_test(test_group_body),
        cmocka_unit_test(test_answer_headers), cmocka_unit_test(test_structured_option),
        cmocka_unit_test(test_image_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
