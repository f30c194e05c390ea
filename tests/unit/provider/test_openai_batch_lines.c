/* test_openai_batch_lines.c - OpenAI batch output lines (provider-facts.md §6); the
 * request lines are read by input/ (tests/unit/input/test_openai_batch_request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/openai_batch_lines.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void test_output_lines(void **state)
{
    (void)state;
    vb_result_t ok = {.id = "request-1",
                      .status = VB_STATUS_OK,
                      .http_status = 200,
                      .request_id = "req_1",
                      .response_body = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\"}"};
    char *line = openai_batch_output_line(&ok);
    json_t *j = json_loads(line, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 4);
    assert_int_equal(strncmp(json_string_value(json_object_get(j, "id")), "batch_req_", 10), 0);
    assert_string_equal(json_string_value(json_object_get(j, "custom_id")), "request-1");
    json_t *resp = json_object_get(j, "response");
    assert_int_equal(json_integer_value(json_object_get(resp, "status_code")), 200);
    assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "req_1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(resp, "body"), "object")),
                        "chat.completion");
    assert_true(json_is_null(json_object_get(j, "error")));
    json_decref(j);
    free(line);

    /* an HTTP error answer is the response, error null (as OpenAI writes it) */
    vb_result_t bad = {.id = "r2",
                       .status = VB_STATUS_ERROR,
                       .http_status = 400,
                       .error_kind = "invalid_request",
                       .response_body = "{\"error\":{\"message\":\"no\"}}"};
    j = json_loads(line = openai_batch_output_line(&bad), 0, NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "response"), "status_code")), 400);
    assert_true(json_is_null(json_object_get(json_object_get(j, "response"), "request_id")));
    assert_true(json_is_null(json_object_get(j, "error")));
    json_decref(j);
    free(line);

    /* no answer at all: response null, error {code, message} */
    vb_result_t unsent = {.id = "r3",
                          .status = VB_STATUS_ERROR,
                          .error_kind = "corrupt_image",
                          .error_message = "truncated"};
    j = json_loads(line = openai_batch_output_line(&unsent), 0, NULL);
    assert_true(json_is_null(json_object_get(j, "response")));
    json_t *err = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(err, "code")), "corrupt_image");
    assert_string_equal(json_string_value(json_object_get(err, "message")), "truncated");
    json_decref(j);
    free(line);

    /* a 200 that was not the JSON asked for: the response, and the error */
    vb_result_t invalid = ok;
    invalid.status = VB_STATUS_ERROR;
    invalid.error_kind = "invalid_json";
    invalid.error_message = "not JSON";
    j = json_loads(line = openai_batch_output_line(&invalid), 0, NULL);
    assert_true(json_is_object(json_object_get(j, "response")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "invalid_json");
    json_decref(j);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
