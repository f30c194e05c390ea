/* test_gemini_answer.c - what the Gemini provider makes of an answer: the text and usage
 * (thinking billed as output), refusals, every error class of google.rpc.Status (the key
 * refused, a daily quota that stops the run, a per-minute limit with its RetryInfo delay,
 * server errors), bodies that are not JSON, the limit headers, and the key scrubbed from
 * every server word. Bodies are shaped as the Gemini API reference and troubleshooting
 * guide show them (batch-api-facts.md §3 for the 429). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/gemini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "AIzaSyTEST-0123456789abcdefghijklmnop"

static answer_t parse(long status, const char *body)
{
    answer_t a;
    provider_gemini.answer_parse(status, body, strlen(body), NULL, NULL, KEY, &a);
    /* whatever the class, the message is one line without the key */
    assert_null(strstr(a.error_message, KEY));
    assert_null(strchr(a.error_message, '\n'));
    return a;
}

static void expect_class(const answer_t *a, answer_action_t action, const char *kind)
{
    if (a->action != action || !a->error_kind || strcmp(a->error_kind, kind) != 0)
        fail_msg("action %d kind %s (%s), want %d %s", a->action,
                 a->error_kind ? a->error_kind : "NULL", a->error_message, action, kind);
    assert_null(a->content);
}

#define SUCCESS_WITH_THOUGHTS                                                                      \
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A red \"},{\"text\":\"mug.\"}],"        \
    "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{"              \
    "\"promptTokenCount\":8,\"candidatesTokenCount\":11,\"totalTokenCount\":848,"                  \
    "\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":8}],"                          \
    "\"thoughtsTokenCount\":829},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}"

static void test_success(void **state)
{
    (void)state;
    answer_t a = parse(200, SUCCESS_WITH_THOUGHTS);
    assert_int_equal(a.action, ANSWER_OK);
    assert_null(a.error_kind);
    assert_string_equal(a.content, "A red mug.");
    assert_string_equal(a.model, "gemini-2.5-flash");
    assert_int_equal(a.prompt_tokens, 8);
    assert_int_equal(a.completion_tokens, 11 + 829); /* thinking bills as output */
    assert_int_equal(a.total_tokens, 848);
    assert_true(a.retry_after_s == 0);
    answer_clear(&a);

    /* thought summaries are not the answer; counts left out are zeros (proto3 JSON), the
     * total is the sum when absent */
    a = parse(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"thinking...\","
                   "\"thought\":true},{\"text\":\"{\\\"k\\\":1}\"}]},\"finishReason\":\"STOP\"}],"
                   "\"usageMetadata\":{\"promptTokenCount\":300,\"thoughtsTokenCount\":40}}");
    assert_int_equal(a.action, ANSWER_OK);
    assert_string_equal(a.content, "{\"k\":1}");
    assert_null(a.model);
    assert_int_equal(a.prompt_tokens, 300);
    assert_int_equal(a.completion_tokens, 40);
    assert_int_equal(a.total_tokens, 340);
    answer_clear(&a);

    /* a count no request can have: the answer is not used, the usage unknown */
    a = parse(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]}}],"
                   "\"usageMetadata\":{\"promptTokenCount\":9223372036854775807}}");
    assert_int_equal(a.action, ANSWER_FAIL_ITEM);
    assert_string_equal(a.error_kind, "invalid_response");
    assert_int_equal(a.prompt_tokens, -1);
    answer_clear(&a);
    a = parse(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]}}],"
                   "\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":-3}}");
    assert_int_equal(a.action, ANSWER_FAIL_ITEM);
    answer_clear(&a);

    /* no usageMetadata: unknown, not zero */
    a = parse(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]}}]}");
    assert_int_equal(a.action, ANSWER_OK);
    assert_int_equal(a.prompt_tokens, -1);
    assert_int_equal(a.completion_tokens, -1);
    assert_int_equal(a.total_tokens, -1);
    answer_clear(&a);

    /* cut at the limit, with text: the answer as far as it goes */
    a = parse(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A long\"}]},"
                   "\"finishReason\":\"MAX_TOKENS\"}],\"usageMetadata\":{\"promptTokenCount\":5,"
                   "\"candidatesTokenCount\":2,\"totalTokenCount\":7}}");
    assert_int_equal(a.action, ANSWER_OK);
    assert_string_equal(a.content, "A long");
    answer_clear(&a);
}

static void test_refusals(void **state)
{
    (void)state;
    answer_t a =
        parse(200, "{\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},"
                   "\"usageMetadata\":{\"promptTokenCount\":270,\"totalTokenCount\":270}}");
    expect_class(&a, ANSWER_FAIL_ITEM, "refused");
    assert_non_null(strstr(a.error_message, "blockReason PROHIBITED_CONTENT"));
    assert_int_equal(a.prompt_tokens, 270); /* usage kept for the journal */
    answer_clear(&a);

    static const char *const reasons[] = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
                                          "RECITATION"};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"candidates\":[{\"finishReason\":\"%s\",\"index\":0}],\"modelVersion\":\"m\"}",
                 reasons[i]);
        a = parse(200, body);
        expect_class(&a, ANSWER_FAIL_ITEM, "refused");
        assert_non_null(strstr(a.error_message, reasons[i]));
        answer_clear(&a);
    }
    /* a text cut short by a block is not the answer */
    a = parse(200, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"It was the best of\"}]},"
                   "\"finishReason\":\"RECITATION\"}]}");
    expect_class(&a, ANSWER_FAIL_ITEM, "refused");
    assert_non_null(strstr(a.error_message, "partial text is dropped"));
    answer_clear(&a);

    /* thinking used the whole limit: the same request would stop the same way */
    a = parse(200, "{\"candidates\":[{\"content\":{\"role\":\"model\"},\"finishReason\":"
                   "\"MAX_TOKENS\"}],\"usageMetadata\":{\"promptTokenCount\":300,"
                   "\"thoughtsTokenCount\":100,\"totalTokenCount\":400}}");
    expect_class(&a, ANSWER_FAIL_ITEM, "max_tokens");
    assert_non_null(strstr(a.error_message, "(100 tokens, thinking included)"));
    assert_non_null(strstr(a.error_message, "--max-tokens"));
    answer_clear(&a);
    a = parse(200, "{\"candidates\":[{\"finishReason\":\"MAX_TOKENS\"}]}");
    expect_class(&a, ANSWER_FAIL_ITEM, "max_tokens");
    assert_null(strstr(a.error_message, "-1"));
    answer_clear(&a);
}

/* A 200 that is not a usable GenerateContentResponse: asked again. */
static void test_garbled_success(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "not json",
        "",
        "[]",
        "{\"candidates\":[]}",
        "{\"candidates\":[5]}",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"inlineData\":{}}]},\"finishReason\":\"STOP\"}"
        "]}",
        "{\"candidates\":[{\"content\":{\"parts\":\"text\"}}]}",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":7}]}}]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        answer_t a = parse(200, bodies[i]);
        if (a.action != ANSWER_RETRY || strcmp(a.error_kind, "invalid_response") != 0)
            fail_msg("%s: action %d %s", bodies[i], a.action, a.error_kind);
        assert_true(a.error_message[0] != '\0');
        answer_clear(&a);
    }
    answer_t a =
        parse(200, "{\"error\":{\"code\":500,\"message\":\"odd\",\"status\":\"INTERNAL\"}}");
    expect_class(&a, ANSWER_RETRY, "server_error");
    assert_non_null(strstr(a.error_message, "HTTP 200 with an error: INTERNAL: odd"));
    answer_clear(&a);
}

/* The troubleshooting guide's 400 for a bad key echoes no key; a proxy's might. */
#define KEY_INVALID                                                                                \
    "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key. "      \
    "(" KEY ")\",\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":"                         \
    "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"API_KEY_INVALID\",\"domain\":"      \
    "\"googleapis.com\",\"metadata\":{\"service\":\"generativelanguage.googleapis.com\"}},"        \
    "{\"@type\":\"type.googleapis.com/google.rpc.LocalizedMessage\",\"locale\":\"en-US\","         \
    "\"message\":\"API key not valid. Please pass a valid API key.\"}]}}"

static void test_auth(void **state)
{
    (void)state;
    answer_t a = parse(400, KEY_INVALID);
    expect_class(&a, ANSWER_STOP_RUN, "auth");
    assert_non_null(strstr(a.error_message, "HTTP 400 INVALID_ARGUMENT: API key not valid"));
    assert_non_null(strstr(a.error_message, "[redacted]"));
    assert_non_null(strstr(a.error_message, "(API_KEY_INVALID)"));
    answer_clear(&a);
    /* the message alone says it */
    a = parse(400, "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a "
                   "valid API key.\",\"status\":\"INVALID_ARGUMENT\"}}");
    expect_class(&a, ANSWER_STOP_RUN, "auth");
    answer_clear(&a);
    a = parse(403, "{\"error\":{\"code\":403,\"message\":\"Method doesn't allow unregistered "
                   "callers (callers without established identity). Please use API Key or other "
                   "form of API consumer identity to call this API.\",\"status\":"
                   "\"PERMISSION_DENIED\"}}");
    expect_class(&a, ANSWER_STOP_RUN, "auth");
    assert_non_null(strstr(a.error_message, "HTTP 403: PERMISSION_DENIED: Method"));
    answer_clear(&a);
    a = parse(401, "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication "
                   "credentials.\",\"status\":\"UNAUTHENTICATED\"}}");
    expect_class(&a, ANSWER_STOP_RUN, "auth");
    answer_clear(&a);
    /* an account setting every request runs into */
    a = parse(400, "{\"error\":{\"code\":400,\"message\":\"User location is not supported for "
                   "the API use.\",\"status\":\"FAILED_PRECONDITION\"}}");
    expect_class(&a, ANSWER_STOP_RUN, "auth");
    answer_clear(&a);
}

static void test_item_errors(void **state)
{
    (void)state;
    answer_t a = parse(400, "{\"error\":{\"code\":400,\"message\":\"Unable to process input "
                            "image. Please retry or report in https://developers.generativeai."
                            "google/guide/troubleshooting\",\"status\":\"INVALID_ARGUMENT\"}}");
    expect_class(&a, ANSWER_FAIL_ITEM, "invalid_request");
    assert_non_null(strstr(a.error_message, "HTTP 400: INVALID_ARGUMENT: Unable to process"));
    answer_clear(&a);
    a = parse(404, "{\"error\":{\"code\":404,\"message\":\"models/gemini-9 is not found for API "
                   "version v1beta\",\"status\":\"NOT_FOUND\"}}");
    expect_class(&a, ANSWER_STOP_RUN, "model_not_found"); /* every request would fail */
    assert_non_null(strstr(a.error_message, "models/gemini-9 is not found"));
    answer_clear(&a);
    a = parse(404, "<html>Not Found</html>");
    expect_class(&a, ANSWER_STOP_RUN, "not_found");
    answer_clear(&a);
    a = parse(413, "{\"error\":{\"code\":413,\"message\":\"Request payload size exceeds the "
                   "limit\",\"status\":\"INVALID_ARGUMENT\"}}");
    expect_class(&a, ANSWER_FAIL_ITEM, "too_large");
    answer_clear(&a);
    a = parse(302, "<html>moved</html>");
    expect_class(&a, ANSWER_STOP_RUN, "redirect");
    answer_clear(&a);
}

#define PER_MINUTE_429(delay)                                                                      \
    "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please check "        \
    "your plan and billing details. Please retry in 19.4s.\",\"status\":"                          \
    "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."             \
    "QuotaFailure\",\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/"         \
    "generate_content_paid_tier_input_token_count\",\"quotaId\":"                                  \
    "\"GenerateContentPaidTierInputTokensPerModelPerMinute\",\"quotaDimensions\":{\"location\":"   \
    "\"global\",\"model\":\"gemini-2.5-flash\"},\"quotaValue\":\"1000000\"}]},{\"@type\":"         \
    "\"type.googleapis.com/google.rpc.Help\",\"links\":[{\"description\":\"Learn more\","          \
    "\"url\":\"https://ai.google.dev/gemini-api/docs/rate-limits\"}]},{\"@type\":"                 \
    "\"type.googleapis.com/google.rpc.RetryInfo\"" delay "}]}}"

static void test_rate_limited(void **state)
{
    (void)state;
    answer_t a = parse(429, PER_MINUTE_429(",\"retryDelay\":\"19s\""));
    expect_class(&a, ANSWER_RETRY, "rate_limited");
    assert_true(a.retry_after_s == 19);
    /* the quota it names is the limit to pace to: no header ever says it */
    assert_true(a.limit_tokens == 1000000);
    assert_true(a.limit_requests == 0);
    assert_non_null(strstr(a.error_message, "HTTP 429 RESOURCE_EXHAUSTED: You exceeded"));
    answer_clear(&a);
    a = parse(429, PER_MINUTE_429(",\"retryDelay\":\"0.5s\""));
    expect_class(&a, ANSWER_RETRY, "rate_limited");
    assert_true(a.retry_after_s == 0.5);
    answer_clear(&a);
    a = parse(429, PER_MINUTE_429(""));
    expect_class(&a, ANSWER_RETRY, "rate_limited");
    assert_true(a.retry_after_s == 0);
    answer_clear(&a);
    a = parse(429, PER_MINUTE_429(",\"retryDelay\":\"soon\""));
    assert_true(a.retry_after_s == 0);
    answer_clear(&a);
    a = parse(429,
              "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":["
              "{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":["
              "{\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel\",\"quotaValue\":"
              "\"1200\"},{\"quotaId\":\"InputTokensPerMinute\",\"quotaValue\":\"1e999\"}]}]}}");
    expect_class(&a, ANSWER_RETRY, "rate_limited");
    assert_true(a.limit_requests == 1200);
    assert_true(a.limit_tokens == 0); /* not a number to believe */
    answer_clear(&a);
    /* a 429 a proxy wrote */
    a = parse(429, "Too Many Requests");
    expect_class(&a, ANSWER_RETRY, "rate_limited");
    assert_non_null(strstr(a.error_message, "Too Many Requests"));
    answer_clear(&a);
}

/* batch-api-facts.md §3: a per-day quota resets at midnight Pacific: stop. */
#define PER_DAY_429                                                                                \
    "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please check "        \
    "your plan and billing details. Please retry in 19.4s.\",\"status\":"                          \
    "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."             \
    "QuotaFailure\",\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/"         \
    "generate_content_free_tier_requests\",\"quotaId\":"                                           \
    "\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\",\"quotaValue\":\"10\"},"             \
    "{\"quotaId\":\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\",\"quotaValue\":\"20\"}"    \
    "]},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"19s\"}]}}"

static void test_quota_stops(void **state)
{
    (void)state;
    answer_t a = parse(429, PER_DAY_429);
    expect_class(&a, ANSWER_STOP_RUN, "quota");
    assert_non_null(strstr(a.error_message,
                           "quota GenerateRequestsPerDayPerProjectPerModel-FreeTier "
                           "(limit 20) is used up"));
    assert_non_null(strstr(a.error_message, "midnight Pacific"));
    assert_true(a.retry_after_s == 0);   /* a stop is not a retry */
    assert_true(a.limit_requests == 10); /* the per-minute one beside it */
    assert_true(a.limit_tokens == 0);
    answer_clear(&a);
    /* a quota of 0: the model is not on this plan at all */
    a = parse(429, "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":"
                   "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google."
                   "rpc.QuotaFailure\",\"violations\":[{\"quotaId\":\"GenerateRequestsPerMinute"
                   "PerProjectPerModel-FreeTier\",\"quotaValue\":\"0\"}]}]}}");
    expect_class(&a, ANSWER_STOP_RUN, "quota");
    assert_non_null(strstr(a.error_message, "(limit 0)"));
    assert_true(a.limit_requests == 0); /* not a limit to pace to */
    assert_non_null(strstr(a.error_message, "no quota on this plan"));
    answer_clear(&a);
}

static void test_server_errors(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *name;
    } cases[] = {{500, "INTERNAL"}, {503, "UNAVAILABLE"}, {504, "DEADLINE_EXCEEDED"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"error\":{\"code\":%ld,\"message\":\"The model is overloaded. Please try "
                 "again later.\",\"status\":\"%s\"}}",
                 cases[i].status, cases[i].name);
        answer_t a = parse(cases[i].status, body);
        expect_class(&a, ANSWER_RETRY, "server_error");
        assert_non_null(strstr(a.error_message, cases[i].name));
        answer_clear(&a);
    }
    answer_t a = parse(503, "{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":"
                            "\"UNAVAILABLE\",\"details\":[{\"@type\":\"type.googleapis.com/"
                            "google.rpc.RetryInfo\",\"retryDelay\":\"2.250s\"}]}}");
    expect_class(&a, ANSWER_RETRY, "server_error");
    assert_true(a.retry_after_s == 2.25);
    answer_clear(&a);
    a = parse(502, "<html><body>502 Bad Gateway</body></html>");
    expect_class(&a, ANSWER_RETRY, "server_error");
    assert_non_null(strstr(a.error_message, "502 Bad Gateway"));
    answer_clear(&a);
    a = parse(500, "");
    expect_class(&a, ANSWER_RETRY, "server_error");
    assert_non_null(strstr(a.error_message, "empty body"));
    answer_clear(&a);
}

/* Every server word that reaches the message is scrubbed: message, status, reason,
 * quota id and value, block and finish reasons, a body that is not JSON. */
static void test_key_scrubbed(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"error\":{\"code\":400,\"message\":\"bad " KEY "\",\"status\":\"" KEY "\"}}",
        "{\"error\":{\"code\":400,\"message\":\"m\",\"details\":[{\"@type\":\"type.googleapis."
        "com/google.rpc.ErrorInfo\",\"reason\":\"API_KEY_" KEY "\"}]}}",
        "{\"error\":{\"code\":429,\"message\":\"m\",\"details\":[{\"@type\":\"type.googleapis."
        "com/google.rpc.QuotaFailure\",\"violations\":[{\"quotaId\":\"PerDay" KEY "\","
        "\"quotaValue\":\"" KEY "\"}]}]}}",
        "{\"promptFeedback\":{\"blockReason\":\"" KEY "\"}}",
        "{\"candidates\":[{\"finishReason\":\"" KEY "\"}]}",
        "<html>" KEY "</html>",
        "{\"candidates\":\"" KEY "\"}",
    };
    static const long statuses[] = {400, 400, 429, 200, 200, 502, 200};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        answer_t a = parse(statuses[i], bodies[i]); /* parse() asserts no key */
        assert_true(a.action != ANSWER_OK);
        answer_clear(&a);
    }
}

static void test_duration_parse(void **state)
{
    (void)state;
    double s = -1;
    assert_int_equal(gemini_duration_parse("19s", &s), 0);
    assert_true(s == 19);
    assert_int_equal(gemini_duration_parse("0.5s", &s), 0);
    assert_true(s == 0.5);
    assert_int_equal(gemini_duration_parse("1.250s", &s), 0);
    assert_true(s == 1.25);
    assert_int_equal(gemini_duration_parse("0s", &s), 0);
    assert_true(s == 0);
    assert_int_equal(gemini_duration_parse("3.0000000009s", &s), 0); /* ns precision */
    assert_true(s > 2.999 && s < 3.001);
    static const char *const bad[] = {"s",   "19",  "19ss",           "-1s",  "1e3s", " 1s",
                                      "1.s", ".5s", "9999999999999s", "1,5s", "1s ",  ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = -7;
        if (gemini_duration_parse(bad[i], &s) != -1 || s != -7)
            fail_msg("\"%s\" parsed as %g", bad[i], s);
    }
    assert_int_equal(gemini_duration_parse(NULL, &s), -1);
}

static const char *headers_retry_after(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "retry-after") == 0 ? "7" : "100";
}

static void test_limits_parse(void **state)
{
    (void)state;
    ratelimit_info_t info;
    provider_gemini.limits_parse(headers_retry_after, NULL, 0, &info);
    assert_true(info.retry_after_s == 7);
    /* Gemini sends no limit headers: nothing else is read, whatever a header says */
    assert_true(info.limit_requests == -1 && info.limit_tokens == -1);
    assert_true(info.remaining_requests == -1 && info.remaining_tokens == -1);
    assert_true(info.reset_requests_s == -1 && info.reset_tokens_s == -1);
    provider_gemini.limits_parse(NULL, NULL, 0, &info);
    assert_true(info.retry_after_s == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),         cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_garbled_success), cmocka_unit_test(test_auth),
        cmocka_unit_test(test_item_errors),     cmocka_unit_test(test_rate_limited),
        cmocka_unit_test(test_quota_stops),     cmocka_unit_test(test_server_errors),
        cmocka_unit_test(test_key_scrubbed),    cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_limits_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
