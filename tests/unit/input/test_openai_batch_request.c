/* test_openai_batch_request.c - OpenAI batch request lines read as input items
 * (provider-facts.md §6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/openai_batch_request.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* openai_batch_request_parse on a line's text: 0 or -1, with why. */
static int parse(const char *line, char **cid, char **body, char *why, size_t whylen)
{
    json_t *obj = json_loads(line, 0, NULL);
    assert_non_null(obj);
    int rc = openai_batch_request_parse(obj, cid, body, why, whylen);
    json_decref(obj);
    return rc;
}

static void test_request_lines(void **state)
{
    (void)state;
    char *cid, *body, why[256];
    assert_int_equal(parse("{\"custom_id\": \"request-1\", \"method\": \"POST\", \"url\": "
                           "\"/v1/chat/completions\", \"body\": {\"model\": \"m\", "
                           "\"max_tokens\": 1000}}",
                           &cid, &body, why, sizeof why),
                     0);
    assert_string_equal(cid, "request-1");
    assert_string_equal(body, "{\"model\":\"m\",\"max_tokens\":1000}"); /* as it was */
    free(cid);
    free(body);
    assert_int_equal(parse("{\"custom_id\":\"a\",\"url\":\"/v1/embeddings\",\"body\":{}}", &cid,
                           &body, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "/v1/embeddings"));
    assert_null(cid);
    assert_int_equal(
        parse("{\"custom_id\":\"a\",\"method\":\"GET\",\"body\":{}}", &cid, &body, why, sizeof why),
        -1);
    assert_int_equal(parse("{\"custom_id\":\"\",\"body\":{}}", &cid, &body, why, sizeof why), -1);
    assert_int_equal(parse("{\"custom_id\":7,\"body\":{}}", &cid, &body, why, sizeof why), -1);
    assert_int_equal(parse("{\"custom_id\":\"a\",\"body\":\"x\"}", &cid, &body, why, sizeof why),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
