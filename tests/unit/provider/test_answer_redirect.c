/* test_answer_redirect.c - a 3xx stops the run and names its Location (no user:password,
 * query or fragment, the key scrubbed in any case), for every provider's answer parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/answer_words.h"
#include "provider/provider.h"

#include <string.h>
#include <strings.h>

#define KEY "sk-test-Location-Key1"

/* A header_get_fn answering only Location, with the value ctx points at. */
static const char *location_header(void *ctx, const char *name)
{
    return strcasecmp(name, "location") == 0 ? ctx : NULL;
}

static void test_redirect_names_location(void **state)
{
    (void)state;
    answer_t r;
    memset(&r, 0, sizeof r);
    answer_set_redirect(&r, 301, "https://user:pa55@new.example.com:8443/v1/chat?key=" KEY "#frag",
                        KEY);
    assert_int_equal(r.action, ANSWER_STOP_RUN);
    assert_string_equal(r.error_kind, "redirect");
    assert_non_null(strstr(r.error_message, "redirects to https://new.example.com:8443/v1/chat;"));
    assert_null(strstr(r.error_message, "pa55"));
    assert_null(strstr(r.error_message, "key="));

    memset(&r, 0, sizeof r); /* a relative Location, the key upper-cased in its path */
    answer_set_redirect(&r, 307, "/v2/SK-TEST-LOCATION-KEY1/chat?x=1", KEY);
    assert_non_null(strstr(r.error_message, "redirects to /v2/[redacted]/chat;"));

    memset(&r, 0, sizeof r); /* none: the message still says what to do */
    answer_set_redirect(&r, 302, NULL, KEY);
    assert_non_null(strstr(r.error_message, "never follows redirects"));
    assert_non_null(strstr(r.error_message, "--base-url"));
}

static void test_every_provider_names_location(void **state)
{
    (void)state;
    const provider_t *providers[] = {&provider_openai, &provider_anthropic, &provider_gemini};
    const char *bodies[] = {"", "<html>Moved</html>", "{\"error\":{\"message\":\"moved\"}}"};
    char location[] = "https://other.example.net/v1?token=abc";
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
            answer_t r;
            providers[i]->answer_parse(308, bodies[b], strlen(bodies[b]), location_header, location,
                                       KEY, &r);
            assert_int_equal(r.action, ANSWER_STOP_RUN);
            assert_string_equal(r.error_kind, "redirect");
            assert_non_null(strstr(r.error_message, "redirects to https://other.example.net/v1;"));
            answer_clear(&r);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redirect_names_location),
        cmocka_unit_test(test_every_provider_names_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
