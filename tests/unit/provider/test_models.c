/* test_models.c - the preflight's reading of each provider's model lookup: a model the
 * server has, one it has not, and answers that cannot tell (a reseller without the
 * endpoint, a paged listing, a wrong path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/anthropic.h"
#include "provider/gemini.h"
#include "provider/openai.h"

#include <stdlib.h>
#include <string.h>

static models_verdict_t verdict(const provider_t *p, long status, const char *body,
                                const char *model, char *listed, size_t n)
{
    return p->models_parse(status, body, strlen(body), model, listed, n);
}

static void test_openai_listing(void **state)
{
    (void)state;
    char listed[128];
    const char *list = "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\"},{\"id\":\"gpt-4o\"},"
                       "{\"id\":\"llava:latest\"}]}";
    assert_int_equal(verdict(&provider_openai, 200, list, "gpt-4o", listed, sizeof listed),
                     MODELS_PRESENT);
    assert_int_equal(verdict(&provider_openai, 200, list, "gpt-4o-mnii", listed, sizeof listed),
                     MODELS_ABSENT);
    assert_string_equal(listed, "gpt-4o-mini, gpt-4o, llava:latest");
    /* Ollama serves "llava:latest" as "llava" too, and the other way round */
    assert_int_equal(verdict(&provider_openai, 200, list, "llava", listed, sizeof listed),
                     MODELS_PRESENT);
    const char *bare = "{\"data\":[{\"id\":\"qwen2-vl\"}]}";
    assert_int_equal(verdict(&provider_openai, 200, bare, "qwen2-vl:latest", listed, sizeof listed),
                     MODELS_PRESENT);
    assert_int_equal(verdict(&provider_openai, 200, bare, "qwen2-v", listed, sizeof listed),
                     MODELS_ABSENT);
    /* a server without the listing, an empty one, a paged one: cannot tell */
    assert_int_equal(verdict(&provider_openai, 404, "{}", "gpt-4o", listed, sizeof listed),
                     MODELS_CANNOT_TELL);
    assert_int_equal(verdict(&provider_openai, 200, "{\"data\":[]}", "x", listed, sizeof listed),
                     MODELS_CANNOT_TELL);
    assert_int_equal(verdict(&provider_openai, 200,
                             "{\"data\":[{\"id\":\"a\"}],\"has_more\":true}", "b", listed,
                             sizeof listed),
                     MODELS_CANNOT_TELL);
    char *url = provider_openai.models_url("http://127.0.0.1:8000/v1", "gpt-4o");
    assert_string_equal(url, "http://127.0.0.1:8000/v1/models");
    free(url);
}

/* Anthropic's Get a Model takes an id or an alias: the server says, not a listing of
 * dated ids. */
static void test_anthropic_get(void **state)
{
    (void)state;
    char listed[64];
    char *url = provider_anthropic.models_url("http://127.0.0.1:9/v1", "claude-sonnet-4-0");
    assert_string_equal(url, "http://127.0.0.1:9/v1/models/claude-sonnet-4-0");
    free(url);
    assert_null(provider_anthropic.models_url("http://127.0.0.1:9", "claude/../x"));
    assert_int_equal(verdict(&provider_anthropic, 200,
                             "{\"type\":\"model\",\"id\":\"claude-sonnet-4-20250514\"}",
                             "claude-sonnet-4-0", listed, sizeof listed),
                     MODELS_PRESENT);
    assert_int_equal(verdict(&provider_anthropic, 404,
                             "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                             "\"message\":\"model: claude-sonet-4\"}}",
                             "claude-sonet-4", listed, sizeof listed),
                     MODELS_ABSENT);
    /* a path the server does not know is a not_found_error too, without "model:" */
    assert_int_equal(verdict(&provider_anthropic, 404,
                             "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                             "\"message\":\"Not Found\"}}",
                             "claude-sonnet-4-0", listed, sizeof listed),
                     MODELS_CANNOT_TELL);
    assert_int_equal(verdict(&provider_anthropic, 502, "<html>", "x", listed, sizeof listed),
                     MODELS_CANNOT_TELL);
}

static void test_gemini_get(void **state)
{
    (void)state;
    char listed[64];
    assert_int_equal(verdict(&provider_gemini, 200, "{\"name\":\"models/gemini-2.5-flash\"}",
                             "gemini-2.5-flash", listed, sizeof listed),
                     MODELS_PRESENT);
    assert_int_equal(verdict(&provider_gemini, 404,
                             "{\"error\":{\"code\":404,\"status\":\"NOT_FOUND\"}}",
                             "gemini-2.5-flsh", listed, sizeof listed),
                     MODELS_ABSENT);
    assert_int_equal(verdict(&provider_gemini, 404, "Not Found", "x", listed, sizeof listed),
                     MODELS_CANNOT_TELL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_listing),
        cmocka_unit_test(test_anthropic_get),
        cmocka_unit_test(test_gemini_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
