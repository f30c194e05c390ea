/* test_prompt_fill.c - {field} prompts: filling, escapes, literal braces, missing fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "prepare/prompt_fill.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *fields(void)
{
    json_t *f = json_loads("{\"category\":\"shoes\",\"title\":\"Red runner\",\"size\":9,"
                           "\"tags\":[\"a\",\"b\"],\"Product Title\":\"X\",\"gone\":null}",
                           0, NULL);
    assert_non_null(f);
    return f;
}

static void expect_fill(const char *tmpl, const char *want)
{
    char why[256] = "";
    json_t *f = fields();
    char *got = prompt_fill(tmpl, f, why, sizeof why);
    json_decref(f);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_fills_fields(void **state)
{
    (void)state;
    expect_fill("Describe this {category} product: {title}",
                "Describe this shoes product: Red runner");
    expect_fill("{size}/{tags}/{Product Title}", "9/[\"a\",\"b\"]/X");
    expect_fill("{category}{category}", "shoesshoes");
}

static void test_escapes_and_literal_braces(void **state)
{
    (void)state;
    expect_fill("{{category}} is {category}", "{category} is shoes");
    expect_fill("Reply as {\"color\": \"...\"} for {title}",
                "Reply as {\"color\": \"...\"} for Red runner");
    expect_fill("{{ {category} }}", "{ shoes }");
    expect_fill("a { b } c {category}", "a { b } c shoes"); /* spaces around: not a name */
    expect_fill("unclosed {category", "unclosed {category");
}

static void test_is_template(void **state)
{
    (void)state;
    assert_true(prompt_is_template("Describe {title}"));
    assert_false(prompt_is_template("Describe this product"));
    assert_false(prompt_is_template("{{title}}"));
    assert_false(prompt_is_template("JSON like {\"a\": {\"b\": 1}}"));
    assert_false(prompt_is_template("{}"));
}

static void test_missing_field(void **state)
{
    (void)state;
    char why[256] = "";
    json_t *f = fields();
    assert_null(prompt_fill("A {colour} thing", f, why, sizeof why));
    assert_non_null(strstr(why, "\"colour\""));
    assert_null(prompt_fill("A {gone} thing", f, why, sizeof why));
    assert_non_null(strstr(why, "null"));
    assert_null(prompt_fill("A {title}", NULL, why, sizeof why));
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_fields),
        cmocka_unit_test(test_escapes_and_literal_braces),
        cmocka_unit_test(test_is_template),
        cmocka_unit_test(test_missing_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
