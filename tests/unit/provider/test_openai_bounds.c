/* test_openai_bounds.c - regressions found by fuzz/fuzz_response.c: the parser reads
 * body[0..len) and nothing past it (the engine's buffer happens to be NUL-terminated,
 * the contract does not promise it; under ASan/valgrind a read past len is an error),
 * and no server word carrying the key reaches the error text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/openai.h"

#include <stdlib.h>
#include <string.h>

/* A heap copy of text without its terminator, so any read past len is out of bounds. */
static char *unterminated(const char *text, size_t *len)
{
    *len = strlen(text);
    char *b = malloc(*len);
    assert_non_null(b);
    memcpy(b, text, *len);
    return b;
}

static void test_non_json_body_read_within_len(void **state)
{
    (void)state;
    static const char *const bodies[] = {"\xa4", "<html>502 Bad Gateway</html>",
                                         "{\"choices\":", "upstream connect error"};
    static const long statuses[] = {200, 502, 400, 429};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        size_t len;
        char *body = unterminated(bodies[i], &len);
        answer_t r;
        openai_response_parse(statuses[i], body, len, NULL, "sk-test-secret-key", &r);
        assert_int_not_equal(r.action, ANSWER_OK);
        assert_non_null(r.error_kind);
        /* the excerpt holds the body's words and nothing read beyond them */
        if (len > 2)
            assert_non_null(strstr(r.error_message, bodies[i] + 1));
        answer_clear(&r);
        free(body);
    }
}

/* The key in an error's code or type (a proxy echoing the request) is scrubbed like the
 * message is: it reaches the error text through the "(code)" suffix and the quota kind. */
static void test_key_in_code_and_type_scrubbed(void **state)
{
    (void)state;
    const char *key = "sk-test-0123456789abcdefKEY";
    static const char *const bodies[] = {
        "{\"error\":{\"message\":\"bad\",\"code\":\"x-sk-test-0123456789abcdefKEY\"}}",
        "{\"error\":{\"message\":\"bad\",\"type\":\"sk-test-0123456789abcdefKEY\","
        "\"code\":\"insufficient_quota\"}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        answer_t r;
        openai_response_parse(400, bodies[i], strlen(bodies[i]), NULL, key, &r);
        assert_non_null(r.error_kind);
        assert_null(strstr(r.error_message, key));
        answer_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_non_json_body_read_within_len),
        cmocka_unit_test(test_key_in_code_and_type_scrubbed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
