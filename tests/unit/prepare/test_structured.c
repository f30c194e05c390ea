/* test_structured.c - response_format from --json / --schema, and the answer check:
 * valid JSON, the schema's top-level type, its required keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "prepare/structured.h"
#include "provider/openai.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char schema_text[] =
    "{\"type\":\"object\",\"properties\":{\"color\":{\"type\":\"string\"},"
    "\"defects\":{\"type\":\"array\"}},\"required\":[\"color\",\"defects\"],"
    "\"additionalProperties\":false}";

static void test_schema_response_format(void **state)
{
    (void)state;
    structured_t s;
    char err[256];
    assert_int_equal(
        structured_init_text(&s, &provider_openai, schema_text, "dir/product attrs.v2.json", err, sizeof err), 0);
    assert_int_equal(s.mode, STRUCTURED_SCHEMA);
    json_t *rf = json_loads(s.response_format, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(rf, "type")), "json_schema");
    json_t *js = json_object_get(rf, "json_schema");
    assert_string_equal(json_string_value(json_object_get(js, "name")), "product_attrs_v2");
    assert_true(json_is_true(json_object_get(js, "strict")));
    json_t *want = json_loads(schema_text, 0, NULL);
    assert_true(json_equal(json_object_get(js, "schema"), want));
    json_decref(want);
    json_decref(rf);
    structured_clear(&s);
    structured_clear(NULL);

    /* OpenAI's wrapper: its name and schema are used */
    assert_int_equal(structured_init_text(&s, &provider_openai,
                                          "{\"name\":\"attrs\",\"strict\":true,\"schema\":"
                                          "{\"type\":\"object\",\"required\":[\"a\"],"
                                          "\"additionalProperties\":false}}",
                                          "x.json", err, sizeof err),
                     0);
    assert_non_null(strstr(s.response_format, "\"name\":\"attrs\""));
    assert_non_null(json_object_get(s.schema, "required"));
    structured_clear(&s);

    assert_int_equal(structured_init_text(&s, &provider_openai, "[1,2]", "a.json", err, sizeof err), -1);
    assert_int_equal(structured_init_text(&s, &provider_openai, "{\"type\":", "a.json", err, sizeof err), -1);
    assert_int_equal(s.mode, STRUCTURED_NONE);
}

static void test_strict_mode_rules(void **state)
{
    (void)state;
    static const struct {
        const char *schema;
        const char *why; /* NULL: accepted */
    } cases[] = {
        {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
         "\"required\":[\"a\"],\"additionalProperties\":false}",
         NULL},
        {"{\"type\":\"array\"}", "root"},
        {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
         "\"required\":[\"a\"]}",
         "$: strict mode needs \"additionalProperties\": false"},
        {"{\"type\":\"object\",\"properties\":{\"a\":{},\"b\":{}},\"required\":[\"a\"],"
         "\"additionalProperties\":false}",
         "(\"b\" is not)"},
        {"{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"array\",\"items\":"
         "{\"type\":\"object\",\"properties\":{}}}},\"required\":[\"d\"],"
         "\"additionalProperties\":false}",
         "$.properties.d.items: strict"},
        {"{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false,"
         "\"$defs\":{\"x\":{\"type\":\"object\"}}}",
         "$.$defs.x: strict"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *schema = json_loads(cases[i].schema, 0, NULL);
        assert_non_null(schema);
        char why[300] = "";
        int rc = openai_schema_strict_check(schema, why, sizeof why);
        if (!cases[i].why) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            if (!strstr(why, cases[i].why))
                fail_msg("case %zu: %s", i, why);
        }
        json_decref(schema);
    }
    /* structured_init_text refuses what strict mode refuses */
    structured_t s;
    char err[400];
    assert_int_equal(
        structured_init_text(&s, &provider_openai, "{\"type\":\"object\"}", "loose.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "loose.json"));
}

static void test_check_required_keys_and_type(void **state)
{
    (void)state;
    json_t *schema = json_loads(schema_text, 0, NULL);
    json_t *data = NULL;
    char why[256];
    assert_int_equal(
        structured_check(schema, "{\"color\":\"red\",\"defects\":[]}", &data, why, sizeof why), 0);
    assert_string_equal(json_string_value(json_object_get(data, "color")), "red");
    json_decref(data);

    assert_int_equal(structured_check(schema, "{\"color\":\"red\"}", &data, why, sizeof why), -1);
    assert_null(data);
    assert_non_null(strstr(why, "\"defects\""));
    assert_int_equal(structured_check(schema, "[1]", &data, why, sizeof why), -1);
    assert_non_null(strstr(why, "array"));
    assert_int_equal(structured_check(schema, "{\"color\":\"red\",\"def", &data, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "not valid JSON"));
    assert_int_equal(structured_check(schema, "Sure! {\"color\":1}", &data, why, sizeof why), -1);
    assert_int_equal(structured_check(schema, NULL, &data, why, sizeof why), -1);
    json_decref(schema);

    /* a list of types; "number" takes integers */
    json_t *multi = json_loads("{\"type\":[\"number\",\"null\"]}", 0, NULL);
    assert_int_equal(structured_check(multi, "3", &data, why, sizeof why), 0);
    json_decref(data);
    assert_int_equal(structured_check(multi, "null", &data, why, sizeof why), 0);
    json_decref(data);
    assert_int_equal(structured_check(multi, "\"3\"", &data, why, sizeof why), -1);
    json_decref(multi);
}

static void test_json_object_mode(void **state)
{
    (void)state;
    structured_t s;
    char err[256], why[256];
    json_t *data = NULL;
    assert_int_equal(structured_init(&s, &provider_openai, 1, NULL, err, sizeof err), 0);
    assert_string_equal(s.response_format, "{\"type\":\"json_object\"}");
    assert_int_equal(structured_check(NULL, " {\"a\":1} \n", &data, why, sizeof why), 0);
    json_decref(data);
    assert_int_equal(structured_check(NULL, "[{\"a\":1}]", &data, why, sizeof why), -1);

    /* OpenAI wants "json" said in the messages of a json_object request */
    char *p = NULL;
    assert_int_equal(structured_prompt(&s, "Describe it", &p), 1);
    assert_string_equal(p, "Describe it" STRUCTURED_JSON_HINT);
    free(p);
    assert_int_equal(structured_prompt(&s, "Describe it as Json", &p), 0);
    assert_null(p);
    structured_clear(&s);

    assert_int_equal(structured_init(&s, &provider_openai, 0, NULL, err, sizeof err), 0);
    assert_int_equal(s.mode, STRUCTURED_NONE);
    assert_null(s.response_format);
    assert_int_equal(structured_prompt(&s, "Describe it", &p), 0);
    assert_int_equal(structured_init(&s, &provider_openai, 1, "/nonexistent/schema.json", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/schema.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_response_format),
        cmocka_unit_test(test_strict_mode_rules),
        cmocka_unit_test(test_check_required_keys_and_type),
        cmocka_unit_test(test_json_object_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
