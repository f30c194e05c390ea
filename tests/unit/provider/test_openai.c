/* test_openai.c - request bodies and the classification table (provider-facts.md §1, §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/openai.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *body_of(const char *prompt, const char *detail, long max_tokens,
                       const char *mime, const char *bytes)
{
    body_template_t t;
    char err[128];
    body_settings_t s = {
        .model = "gpt-4o-mini", .prompt = prompt, .detail = detail, .max_tokens = max_tokens};
    assert_int_equal(provider_openai.template_build(&t, &s, err, sizeof err), 0);
    size_t len = 0;
    char *b = mime ? provider_openai.body_image(&t, mime, (const unsigned char *)bytes,
                                                strlen(bytes), &len)
                   : provider_openai.body_image_url(&t, bytes, &len);
    assert_non_null(b);
    assert_int_equal(strlen(b), len);
    json_error_t jerr;
    json_t *j = json_loads(b, 0, &jerr);
    assert_non_null(j);
    free(b);
    body_template_clear(&t);
    return j;
}

static void test_data_url_body(void **state)
{
    (void)state;
    json_t *j = body_of("Describe \"this\" \x01 product", "high", 300, "image/png", "hello!");
    assert_string_equal(json_string_value(json_object_get(j, "model")), "gpt-4o-mini");
    assert_int_equal(json_integer_value(json_object_get(j, "max_tokens")), 300);
    json_t *msg = json_array_get(json_object_get(j, "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(msg, "role")), "user");
    json_t *parts = json_object_get(msg, "content");
    assert_int_equal(json_array_size(parts), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 0), "text")),
                        "Describe \"this\" \x01 product");
    json_t *img = json_object_get(json_array_get(parts, 1), "image_url");
    assert_string_equal(json_string_value(json_object_get(img, "url")),
                        "data:image/png;base64,aGVsbG8h");
    assert_string_equal(json_string_value(json_object_get(img, "detail")), "high");
    json_decref(j);
}

static void test_url_body_escaped_and_no_max_tokens(void **state)
{
    (void)state;
    json_t *j = body_of("p", "auto", 0, NULL, "https://cdn.example/a \"b\".jpg");
    assert_null(json_object_get(j, "max_tokens"));
    json_t *parts = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content");
    json_t *img = json_object_get(json_array_get(parts, 1), "image_url");
    assert_string_equal(json_string_value(json_object_get(img, "url")),
                        "https://cdn.example/a \"b\".jpg");
    json_decref(j);
}

static answer_action_t classify(long status, const char *body, const char *retry_header,
                                const char **kind)
{
    answer_t r;
    openai_response_parse(status, body, strlen(body), retry_header, NULL, &r);
    *kind = r.error_kind;
    answer_action_t a = r.action;
    answer_clear(&r);
    return a;
}

static void test_success_parses_content_and_usage(void **state)
{
    (void)state;
    const char *body = "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini-2024\","
                       "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                       "\"A red shoe\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
                       "120,\"completion_tokens\":4,\"total_tokens\":124}}";
    answer_t r;
    openai_response_parse(200, body, strlen(body), NULL, NULL, &r);
    assert_int_equal(r.action, ANSWER_OK);
    assert_string_equal(r.content, "A red shoe");
    assert_string_equal(r.model, "gpt-4o-mini-2024");
    assert_int_equal(r.prompt_tokens, 120);
    assert_int_equal(r.completion_tokens, 4);
    assert_int_equal(r.total_tokens, 124);
    answer_clear(&r);
}

/* One row per line of the table in provider-facts.md §4. */
static void test_classification_table(void **state)
{
    (void)state;
    const char *kind;
    const char *err = "{\"error\":{\"message\":\"m\",\"type\":\"t\",\"param\":null,\"code\":null}}";
    assert_int_equal(classify(429, "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\","
                                   "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
                              NULL, &kind),
                     ANSWER_RETRY);
    assert_string_equal(kind, "rate_limited");
    assert_int_equal(classify(429, "{\"error\":{\"message\":\"You exceeded your current quota\","
                                   "\"type\":\"insufficient_quota\",\"param\":null,\"code\":"
                                   "\"insufficient_quota\"}}",
                              NULL, &kind),
                     ANSWER_STOP_RUN);
    assert_string_equal(kind, "quota");
    assert_int_equal(classify(429, "{\"error\":{\"message\":\"Request too large for gpt-4o on "
                                   "tokens per min (TPM): Limit 30000, Requested 31538.\","
                                   "\"type\":\"tokens\",\"param\":null,\"code\":"
                                   "\"rate_limit_exceeded\"}}",
                              NULL, &kind),
                     ANSWER_FAIL_ITEM);
    assert_string_equal(kind, "too_large");
    assert_int_equal(classify(401, err, NULL, &kind), ANSWER_STOP_RUN);
    assert_string_equal(kind, "auth");
    assert_int_equal(classify(403, err, NULL, &kind), ANSWER_STOP_RUN);
    long retry[] = {408, 409, 500, 502, 503, 504, 529};
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
        assert_int_equal(classify(retry[i], err, NULL, &kind), ANSWER_RETRY);
    long fail[] = {400, 413, 422};
    for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++)
        assert_int_equal(classify(fail[i], err, NULL, &kind), ANSWER_FAIL_ITEM);
    assert_int_equal(classify(413, err, NULL, &kind), ANSWER_FAIL_ITEM);
    assert_string_equal(kind, "too_large");
    /* a 404 or 405 stops the run: no request to the endpoint can succeed */
    assert_int_equal(classify(404, err, NULL, &kind), ANSWER_STOP_RUN);
    assert_string_equal(kind, "not_found");
    assert_int_equal(classify(404, "{\"error\":{\"message\":\"Invalid URL (POST /chat/completions)\","
                                   "\"type\":\"invalid_request_error\",\"code\":null}}",
                              "true", &kind),
                     ANSWER_STOP_RUN);
    assert_string_equal(kind, "not_found");
    assert_int_equal(classify(404, "{\"error\":{\"message\":\"The model `gpt-4o-mnii` does not "
                                   "exist or you do not have access to it.\",\"type\":"
                                   "\"invalid_request_error\",\"code\":\"model_not_found\"}}",
                              NULL, &kind),
                     ANSWER_STOP_RUN);
    assert_string_equal(kind, "model_not_found");
    assert_int_equal(classify(405, "Method Not Allowed", NULL, &kind), ANSWER_STOP_RUN);
    assert_string_equal(kind, "not_found");
    /* x-should-retry overrides the table, except for run-stopping errors */
    assert_int_equal(classify(400, err, "true", &kind), ANSWER_RETRY);
    assert_int_equal(classify(503, err, "false", &kind), ANSWER_FAIL_ITEM);
    assert_int_equal(classify(401, err, "true", &kind), ANSWER_STOP_RUN);
}

static void test_garbage_responses(void **state)
{
    (void)state;
    const char *kind;
    assert_int_equal(classify(200, "<html>oops</html>", NULL, &kind), ANSWER_RETRY);
    assert_string_equal(kind, "invalid_response");
    assert_int_equal(classify(200, "{\"choices\":[]}", NULL, &kind), ANSWER_RETRY);
    assert_int_equal(classify(200, "{\"choices\":[{\"message\":{\"content\":", NULL, &kind),
                     ANSWER_RETRY);
    assert_int_equal(classify(200, "{\"error\":{\"message\":\"internal\"}}", NULL, &kind),
                     ANSWER_RETRY);
    assert_int_equal(classify(502, "<html>Bad gateway</html>", NULL, &kind), ANSWER_RETRY);
    assert_string_equal(kind, "server_error");
    assert_int_equal(classify(400, "", NULL, &kind), ANSWER_FAIL_ITEM);
    /* a redirect is never followed and would come for every request: the run stops */
    long redirects[] = {301, 302, 303, 307, 308};
    for (size_t i = 0; i < sizeof redirects / sizeof redirects[0]; i++) {
        assert_int_equal(classify(redirects[i], "", "true", &kind), ANSWER_STOP_RUN);
        assert_string_equal(kind, "redirect");
    }
}

static void test_error_message_is_one_line(void **state)
{
    (void)state;
    const char *body = "{\"error\":{\"message\":\"line one\\nline two\",\"type\":\"x\","
                       "\"param\":null,\"code\":\"bad\"}}";
    answer_t r;
    openai_response_parse(400, body, strlen(body), NULL, NULL, &r);
    assert_null(strchr(r.error_message, '\n'));
    assert_non_null(strstr(r.error_message, "line one line two (bad)"));
    answer_clear(&r);
}

/* A key echoed by a server is scrubbed before the message is cut to size: not even a
 * prefix of it survives, however long the message. */
static void test_secret_scrubbed_before_truncation(void **state)
{
    (void)state;
    const char *key = "sk-live-0123456789abcdefghijklmnopqrstuvwxyz";
    char body[2048];
    char pad[600];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    snprintf(body, sizeof body,
             "{\"error\":{\"message\":\"%.380s Incorrect API key provided: %s\",\"type\":"
             "\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}",
             pad, key);
    answer_t r;
    openai_response_parse(401, body, strlen(body), NULL, key, &r);
    assert_null(strstr(r.error_message, "sk-live"));
    assert_int_equal(r.action, ANSWER_STOP_RUN);
    answer_clear(&r);
    snprintf(body, sizeof body, "<html>bad key %s</html>", key);
    openai_response_parse(401, body, strlen(body), NULL, key, &r);
    assert_null(strstr(r.error_message, "sk-live"));
    answer_clear(&r);
}

/* A refusal is billed and fails the item with the model's words; so does an answer the
 * content filter withheld. Neither is asked again. */
static void test_refusal_and_content_filter(void **state)
{
    (void)state;
    const char *refusal =
        "{\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":null,\"refusal\":\"I'm sorry, I can't help with that.\"},\"finish_reason\":"
        "\"stop\"}],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":9,\"total_tokens\":909}}";
    answer_t r;
    openai_response_parse(200, refusal, strlen(refusal), NULL, NULL, &r);
    assert_int_equal(r.action, ANSWER_FAIL_ITEM);
    assert_string_equal(r.error_kind, "refused");
    assert_string_equal(r.content, "I'm sorry, I can't help with that.");
    assert_non_null(strstr(r.error_message, "I'm sorry"));
    assert_int_equal(r.prompt_tokens, 900);
    assert_int_equal(r.completion_tokens, 9);
    answer_clear(&r);

    const char *filtered =
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A pa\"},"
        "\"finish_reason\":\"content_filter\"}],\"usage\":{\"prompt_tokens\":800,"
        "\"completion_tokens\":2,\"total_tokens\":802}}";
    openai_response_parse(200, filtered, strlen(filtered), NULL, NULL, &r);
    assert_int_equal(r.action, ANSWER_FAIL_ITEM);
    assert_string_equal(r.error_kind, "refused");
    assert_non_null(strstr(r.error_message, "content_filter"));
    assert_int_equal(r.prompt_tokens, 800);
    answer_clear(&r);

    /* no content and no refusal: retried, the usage kept (it was billed) */
    const char *empty = "{\"choices\":[{\"message\":{\"content\":null}}],\"usage\":{"
                        "\"prompt_tokens\":700,\"completion_tokens\":0,\"total_tokens\":700}}";
    openai_response_parse(200, empty, strlen(empty), NULL, NULL, &r);
    assert_int_equal(r.action, ANSWER_RETRY);
    assert_string_equal(r.error_kind, "invalid_response");
    assert_int_equal(r.prompt_tokens, 700);
    answer_clear(&r);
}

/* Usage no request can have (INT64_MAX, over the cap, negative, fractional) is no bill:
 * the answer is not used, the counts are unknown, nothing overflows. */
static void test_absurd_usage(void **state)
{
    (void)state;
    /* (a count past INT64_MAX is not JSON jansson reads: a garbled body, retried) */
    static const char *const counts[] = {"9223372036854775807", "10000001", "-5", "12.5"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"choices\":[{\"message\":{\"content\":\"A shoe\"}}],\"usage\":{"
                 "\"prompt_tokens\":%s,\"completion_tokens\":4,\"total_tokens\":10}}",
                 counts[i]);
        answer_t r;
        openai_response_parse(200, body, strlen(body), NULL, NULL, &r);
        assert_int_equal(r.action, ANSWER_FAIL_ITEM);
        assert_string_equal(r.error_kind, "invalid_response");
        assert_null(r.content);
        assert_int_equal(r.prompt_tokens, -1);
        assert_int_equal(r.completion_tokens, -1);
        answer_clear(&r);
    }
    /* the cap itself is a count */
    const char *big = "{\"choices\":[{\"message\":{\"content\":\"A shoe\"}}],\"usage\":{"
                      "\"prompt_tokens\":10000000,\"completion_tokens\":4}}";
    answer_t r;
    openai_response_parse(200, big, strlen(big), NULL, NULL, &r);
    assert_int_equal(r.action, ANSWER_OK);
    assert_int_equal(r.prompt_tokens, 10000000);
    answer_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_url_body),
        cmocka_unit_test(test_url_body_escaped_and_no_max_tokens),
        cmocka_unit_test(test_success_parses_content_and_usage),
        cmocka_unit_test(test_classification_table),
        cmocka_unit_test(test_garbage_responses),
        cmocka_unit_test(test_error_message_is_one_line),
        cmocka_unit_test(test_secret_scrubbed_before_truncation),
        cmocka_unit_test(test_refusal_and_content_filter),
        cmocka_unit_test(test_absurd_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
