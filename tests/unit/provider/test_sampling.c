/* test_sampling.c - the system prompt, temperature and seed in each provider's request
 * bodies (issue 18, point 12): single-image templates and multi-image group bodies, each
 * field only when set, and a system prompt that cannot move the image's place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/anthropic.h"
#include "provider/gemini.h"
#include "provider/openai.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A system prompt holding every image mark's characters and JSON's specials. */
#define ODD_SYSTEM                                                                                 \
    "Be brief \"always\"\n\x01vb-image-url\x01 \x01vb-image-source\x01 {\"inlineData\":1}"

/* The single-image body p builds for s around the image bytes "abc", parsed. */
static json_t *single(const provider_t *p, const body_settings_t *s)
{
    body_template_t t;
    char err[256];
    assert_int_equal(p->template_build(&t, s, err, sizeof err), 0);
    size_t len = 0;
    char *b = p->body_image(&t, "image/png", (const unsigned char *)"abc", 3, &len);
    assert_non_null(b);
    json_t *j = json_loads(b, 0, NULL);
    assert_non_null(j);
    free(b);
    body_template_clear(&t);
    return j;
}

/* A group body of two parts cut from single bodies, parsed. */
static json_t *group(const provider_t *p, const body_settings_t *s)
{
    body_template_t t;
    char err[256];
    assert_int_equal(p->template_build(&t, s, err, sizeof err), 0);
    size_t len = 0;
    char *b = p->body_image(&t, "image/png", (const unsigned char *)"abc", 3, &len);
    assert_non_null(b);
    body_part_t parts[2] = {{b + t.prefix_len, len - t.prefix_len - t.suffix_len},
                            {b + t.prefix_len, len - t.prefix_len - t.suffix_len}};
    size_t glen = 0;
    char *g = p->group_body(s, "two images", parts, 2, &glen);
    assert_non_null(g);
    json_t *j = json_loads(g, 0, NULL);
    assert_non_null(j);
    free(g);
    free(b);
    body_template_clear(&t);
    return j;
}

static body_settings_t settings(const char *model, const char *system, double temperature,
                                long seed)
{
    body_settings_t s = {.model = model, .prompt = "Describe", .detail = "auto", .max_tokens = 100};
    body_settings_sampling(&s, system, temperature, seed);
    return s;
}

static void check_openai(json_t *j, size_t images)
{
    json_t *msgs = json_object_get(j, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    json_t *sys = json_array_get(msgs, 0);
    assert_string_equal(json_string_value(json_object_get(sys, "role")), "system");
    assert_string_equal(json_string_value(json_object_get(sys, "content")), ODD_SYSTEM);
    json_t *user = json_array_get(msgs, 1);
    assert_string_equal(json_string_value(json_object_get(user, "role")), "user");
    json_t *content = json_object_get(user, "content");
    assert_int_equal(json_array_size(content), 1 + images);
    json_t *img = json_object_get(json_array_get(content, 1), "image_url");
    assert_string_equal(json_string_value(json_object_get(img, "url")),
                        "data:image/png;base64,YWJj");
    assert_true(json_real_value(json_object_get(j, "temperature")) == 0.25);
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 7);
}

static void test_openai(void **state)
{
    (void)state;
    body_settings_t s = settings("gpt-4o-mini", ODD_SYSTEM, 0.25, 7);
    json_t *j = single(&provider_openai, &s);
    check_openai(j, 1);
    json_decref(j);
    j = group(&provider_openai, &s);
    check_openai(j, 2);
    json_decref(j);
    /* none set: none sent; temperature 0 and seed 0 are values, sent */
    s = settings("gpt-4o-mini", NULL, -1, -1);
    j = single(&provider_openai, &s);
    assert_null(json_object_get(j, "temperature"));
    assert_null(json_object_get(j, "seed"));
    assert_int_equal(json_array_size(json_object_get(j, "messages")), 1);
    json_decref(j);
    s = settings("gpt-4o-mini", NULL, 0, 0);
    j = single(&provider_openai, &s);
    assert_non_null(json_object_get(j, "temperature"));
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 0);
    json_decref(j);
}

static void check_anthropic(json_t *j, size_t images)
{
    assert_string_equal(json_string_value(json_object_get(j, "system")), ODD_SYSTEM);
    assert_true(json_real_value(json_object_get(j, "temperature")) == 0.5);
    assert_null(json_object_get(j, "seed"));
    json_t *content = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content");
    assert_int_equal(json_array_size(content), images + 1);
    json_t *src = json_object_get(json_array_get(content, 0), "source");
    assert_string_equal(json_string_value(json_object_get(src, "data")), "YWJj");
}

static void test_anthropic(void **state)
{
    (void)state;
    body_settings_t s = settings("claude-sonnet-4-5", ODD_SYSTEM, 0.5, -1);
    json_t *j = single(&provider_anthropic, &s);
    check_anthropic(j, 1);
    json_decref(j);
    j = group(&provider_anthropic, &s);
    check_anthropic(j, 2);
    json_decref(j);
    s = settings("claude-sonnet-4-5", NULL, -1, -1);
    j = single(&provider_anthropic, &s);
    assert_null(json_object_get(j, "system"));
    assert_null(json_object_get(j, "temperature"));
    json_decref(j);
}

static void check_gemini(json_t *j, size_t images)
{
    json_t *si = json_object_get(j, "systemInstruction");
    assert_null(json_object_get(si, "role"));
    json_t *part = json_array_get(json_object_get(si, "parts"), 0);
    assert_string_equal(json_string_value(json_object_get(part, "text")), ODD_SYSTEM);
    json_t *gc = json_object_get(j, "generationConfig");
    assert_int_equal(json_integer_value(json_object_get(gc, "maxOutputTokens")), 100);
    assert_true(json_real_value(json_object_get(gc, "temperature")) == 0.75);
    assert_int_equal(json_integer_value(json_object_get(gc, "seed")), 42);
    json_t *parts = json_object_get(json_array_get(json_object_get(j, "contents"), 0), "parts");
    assert_int_equal(json_array_size(parts), images + 1);
    json_t *data = json_object_get(json_array_get(parts, 0), "inlineData");
    assert_string_equal(json_string_value(json_object_get(data, "data")), "YWJj");
}

static void test_gemini(void **state)
{
    (void)state;
    body_settings_t s = settings("gemini-2.5-flash", ODD_SYSTEM, 0.75, 42);
    json_t *j = single(&provider_gemini, &s);
    check_gemini(j, 1);
    json_decref(j);
    j = group(&provider_gemini, &s);
    check_gemini(j, 2);
    json_decref(j);
    s = settings("gemini-2.5-flash", NULL, -1, -1);
    j = single(&provider_gemini, &s);
    assert_null(json_object_get(j, "systemInstruction"));
    json_t *gc = json_object_get(j, "generationConfig");
    assert_null(json_object_get(gc, "temperature"));
    assert_null(json_object_get(gc, "seed"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai),
        cmocka_unit_test(test_anthropic),
        cmocka_unit_test(test_gemini),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
