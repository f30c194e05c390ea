/* test_anthropic.c - the Anthropic Messages provider (anthropic*.c) through the seam:
 * URL, headers, the exact request bytes, group bodies, the structured-answer option, every
 * class of answer, the limit headers (batch-api-facts.md §2, §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/image.h"
#include "prepare/structured.h"
#include "provider/anthropic.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char key[] = "sk-ant-api03-TESTKEY0123456789";

/* ---- where, and with which headers -------------------------------------------------- */

static void expect_url(const char *base, const char *want)
{
    char *u = provider_anthropic.request_url(base, "claude-sonnet-5-5");
    assert_non_null(u);
    assert_string_equal(u, want);
    free(u);
}

static void test_table(void **state)
{
    (void)state;
    assert_ptr_equal(provider_find("anthropic"), &provider_anthropic);
    assert_ptr_equal(provider_for_url("https://api.anthropic.com"), &provider_anthropic);
    assert_ptr_equal(provider_for_url("https://api.anthropic.com/v1/"), &provider_anthropic);
    assert_string_equal(provider_anthropic.name, "anthropic");
    assert_string_equal(provider_anthropic.default_base_url, "https://api.anthropic.com");
    assert_string_equal(provider_anthropic.default_model, "claude-sonnet-5-5");
    assert_string_equal(provider_anthropic.request_id_header, "request-id");
    const provider_image_limits_t *l = &provider_anthropic.limits;
    assert_int_equal(l->formats,
                     1u << IMAGE_JPEG | 1u << IMAGE_PNG | 1u << IMAGE_WEBP | 1u << IMAGE_GIF);
    assert_int_equal(l->max_side, 8000);
    assert_int_equal(l->many_images, 20);
    assert_int_equal(l->many_images_max_side, 2000);
    assert_int_equal(l->max_images, 100);
    assert_int_equal(l->max_image_bytes, 7500000); /* its base64 is 10 MB */
    assert_int_equal(l->max_request_bytes, 32000000);
    /* the image tokens are Claude's 28 px patches */
    unsigned long t = 0;
    assert_int_equal(
        provider_anthropic.image_tokens("claude-sonnet-4-5", 1000, 1000, DETAIL_AUTO, &t), 0);
    assert_int_equal(t, 1296);
}

static void test_request_url(void **state)
{
    (void)state;
    expect_url("https://api.anthropic.com", "https://api.anthropic.com/v1/messages");
    expect_url("https://api.anthropic.com/", "https://api.anthropic.com/v1/messages");
    expect_url("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/messages");
    expect_url("http://127.0.0.1:9/v1//", "http://127.0.0.1:9/v1/messages");
    expect_url("https://gw.example/anthropic", "https://gw.example/anthropic/v1/messages");
    expect_url("https://gw.example/xv1", "https://gw.example/xv1/v1/messages");
}

typedef struct lines {
    char got[4][128];
    int n;
    int fail_at; /* 1-based call that fails; 0: none */
} lines_t;

static int collect(void *ctx, const char *line)
{
    lines_t *l = ctx;
    if (l->fail_at == l->n + 1)
        return -1;
    snprintf(l->got[l->n++], sizeof l->got[0], "%s", line);
    return 0;
}

static void test_headers(void **state)
{
    (void)state;
    lines_t l = {0};
    assert_int_equal(provider_anthropic.add_headers(key, collect, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.got[0], "x-api-key: sk-ant-api03-TESTKEY0123456789");
    assert_string_equal(l.got[1], "anthropic-version: 2023-06-01");
    /* no key: no key header, the version all the same */
    lines_t none = {0};
    assert_int_equal(provider_anthropic.add_headers(NULL, collect, &none), 0);
    assert_int_equal(provider_anthropic.add_headers("", collect, &none), 0);
    assert_int_equal(none.n, 2);
    assert_string_equal(none.got[0], "anthropic-version: 2023-06-01");
    assert_string_equal(none.got[1], "anthropic-version: 2023-06-01");
    /* a failing add fails the call, on either header */
    lines_t f1 = {.fail_at = 1}, f2 = {.fail_at = 2};
    assert_int_equal(provider_anthropic.add_headers(key, collect, &f1), -1);
    assert_int_equal(provider_anthropic.add_headers(key, collect, &f2), -1);
}

/* ---- request bodies ----------------------------------------------------------------- */

static char *single_body(const body_settings_t *s, const char *mime, const char *bytes, size_t *len)
{
    body_template_t t;
    char err[128] = "";
    if (provider_anthropic.template_build(&t, s, err, sizeof err) != 0)
        fail_msg("template: %s", err);
    char *b = mime ? provider_anthropic.body_image(&t, mime, (const unsigned char *)bytes,
                                                   strlen(bytes), len)
                   : provider_anthropic.body_image_url(&t, bytes, len);
    assert_non_null(b);
    assert_int_equal(strlen(b), *len);
    body_template_clear(&t);
    return b;
}

/* The exact bytes of a tiny image's request: the key order and nesting are the wire
 * format the simulator implements too. */
static void test_body_bytes(void **state)
{
    (void)state;
    body_settings_t s = {.model = "claude-sonnet-5-5",
                         .prompt = "Describe \"it\"",
                         .detail = "high",
                         .max_tokens = 300};
    size_t len;
    char *b = single_body(&s, "image/png", "hello!", &len);
    assert_string_equal(
        b, "{\"model\":\"claude-sonnet-5-5\",\"max_tokens\":300,\"messages\":[{\"role\":\"user\","
           "\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":"
           "\"image/png\",\"data\":\"aGVsbG8h\"}},{\"type\":\"text\",\"text\":\"Describe "
           "\\\"it\\\"\"}]}]}");
    free(b);
    b = single_body(&s, NULL, "https://cdn.example/a \"b\".jpg", &len);
    assert_string_equal(
        b, "{\"model\":\"claude-sonnet-5-5\",\"max_tokens\":300,\"messages\":[{\"role\":\"user\","
           "\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":"
           "\"https://cdn.example/a \\\"b\\\".jpg\"}},{\"type\":\"text\",\"text\":\"Describe "
           "\\\"it\\\"\"}]}]}");
    free(b);
}

/* With a schema, output_config.format comes last; a prompt holding the image mark's
 * characters does not move the image's place. */
static void test_body_with_schema_and_odd_prompt(void **state)
{
    (void)state;
    json_t *schema = json_loads("{\"type\":\"object\",\"properties\":{\"color\":{\"type\":"
                                "\"string\"}},\"required\":[\"color\"],\"additionalProperties\":"
                                "false}",
                                0, NULL);
    char *rf = NULL, err[256];
    assert_int_equal(provider_anthropic.structured_option(schema, "attrs", &rf, err, sizeof err),
                     0);
    body_settings_t s = {.model = "\x01vb-image-source\x01",
                         .prompt = "\x01vb-image-source\x01",
                         .detail = "auto",
                         .max_tokens = 5,
                         .response_format = rf};
    size_t len;
    char *b = single_body(&s, "image/jpeg", "abc", &len);
    assert_string_equal(
        b, "{\"model\":\"\\u0001vb-image-source\\u0001\",\"max_tokens\":5,\"messages\":[{\"role\":"
           "\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
           "\"media_type\":\"image/jpeg\",\"data\":\"YWJj\"}},{\"type\":\"text\",\"text\":"
           "\"\\u0001vb-image-source\\u0001\"}]}],\"output_config\":{\"format\":{\"type\":"
           "\"json_schema\",\"schema\":{\"type\":\"object\",\"properties\":{\"color\":{\"type\":"
           "\"string\"}},\"required\":[\"color\"],\"additionalProperties\":false}}}}");
    free(b);
    free(rf);
    json_decref(schema);
}

static void test_max_tokens_required(void **state)
{
    (void)state;
    body_template_t t;
    char err[128] = "";
    body_settings_t s = {
        .model = "claude-sonnet-5-5", .prompt = "p", .detail = "auto", .max_tokens = 0};
    assert_int_equal(provider_anthropic.template_build(&t, &s, err, sizeof err), -1);
    assert_string_equal(err, "Anthropic requires max_tokens; give --max-tokens N");
    assert_null(t.prefix);
    s.max_tokens = 10;
    s.response_format = "[1]";
    assert_int_equal(provider_anthropic.template_build(&t, &s, err, sizeof err), -1);
    s.response_format = NULL;
    s.prompt = "\xff not UTF-8";
    assert_int_equal(provider_anthropic.template_build(&t, &s, err, sizeof err), -1);
}

/* A group body: one user message, each image block with its part as it is, then the
 * text; no output_config (the group asks for its own JSON array). */
static void test_group_body(void **state)
{
    (void)state;
    body_settings_t s = {.model = "claude-opus-5-5",
                         .prompt = "unused",
                         .detail = "low",
                         .max_tokens = 600,
                         .response_format = "{\"type\":\"json_schema\"}"};
    const char *a = "{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"QUFB\"}";
    const char *c = "{\"type\":\"url\",\"url\":\"https://example.invalid/x.jpg\"}";
    body_part_t parts[2] = {{a, strlen(a)}, {c, strlen(c)}};
    size_t len = 0;
    char *body =
        provider_anthropic.group_body(&s, "two \x01vb-image-source\x01 images", parts, 2, &len);
    assert_non_null(body);
    assert_int_equal(strlen(body), len);
    assert_string_equal(
        body, "{\"model\":\"claude-opus-5-5\",\"max_tokens\":600,\"messages\":[{\"role\":\"user\","
              "\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":"
              "\"image/png\",\"data\":\"QUFB\"}},{\"type\":\"image\",\"source\":{\"type\":\"url\","
              "\"url\":\"https://example.invalid/x.jpg\"}},{\"type\":\"text\",\"text\":\"two "
              "\\u0001vb-image-source\\u0001 images\"}]}]}");
    /* what a group spends on an image besides its part, at most */
    size_t framing = strlen("{\"type\":\"image\",\"source\":},");
    assert_true(provider_anthropic.group_part_overhead(&s) >= framing);
    free(body);
}

/* ---- the structured-answer option --------------------------------------------------- */

static void expect_refused(const char *schema_text, const char *want)
{
    json_t *schema = json_loads(schema_text, 0, NULL);
    assert_non_null(schema);
    char *rf = (char *)"untouched", err[512] = "";
    assert_int_equal(provider_anthropic.structured_option(schema, "n", &rf, err, sizeof err), -1);
    assert_null(rf);
    if (!strstr(err, want))
        fail_msg("schema %s: \"%s\" does not say \"%s\"", schema_text, err, want);
    json_decref(schema);
}

static void test_structured_option(void **state)
{
    (void)state;
    char *rf = (char *)"untouched", err[256];
    /* --json: no option at all; the prompt asks for the object */
    assert_int_equal(provider_anthropic.structured_option(NULL, NULL, &rf, err, sizeof err), 0);
    assert_null(rf);
    /* a schema Anthropic accepts: $defs, a local $ref, anyOf, enum of scalars, minItems 1 */
    json_t *ok = json_loads(
        "{\"type\":\"object\",\"properties\":{\"box\":{\"$ref\":\"#/$defs/box\"},\"tags\":"
        "{\"type\":\"array\",\"minItems\":1,\"items\":{\"enum\":[\"a\",1,null]}},\"n\":"
        "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}},\"required\":[\"box\"],"
        "\"additionalProperties\":false,\"$defs\":{\"box\":{\"type\":\"object\",\"properties\":"
        "{\"x\":{\"type\":\"number\"}},\"additionalProperties\":false}}}",
        0, NULL);
    assert_non_null(ok);
    assert_int_equal(provider_anthropic.structured_option(ok, "attrs", &rf, err, sizeof err), 0);
    json_t *got = json_loads(rf, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(got, "type")), "json_schema");
    assert_true(json_equal(json_object_get(got, "schema"), ok));
    assert_int_equal(json_object_size(got), 2);
    json_decref(got);
    free(rf);
    json_decref(ok);

    expect_refused("{\"type\":\"object\",\"properties\":{}}",
                   "$: objects need \"additionalProperties\": false");
    expect_refused("{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"box\":"
                   "{\"type\":\"object\",\"properties\":{\"w\":{\"type\":\"number\"}}}}}",
                   "$.properties.box: objects need \"additionalProperties\": false");
    expect_refused("{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"n\":"
                   "{\"type\":\"integer\",\"minimum\":0}}}",
                   "$.properties.n: \"minimum\" is not supported");
    expect_refused("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":5}}",
                   "$.items: \"maxLength\" is not supported");
    expect_refused("{\"type\":\"array\",\"minItems\":2}", "$: \"minItems\" may only be 0 or 1");
    expect_refused("{\"enum\":[\"a\",{\"b\":1}]}", "$.enum[1]: enum values must be");
    expect_refused("{\"$ref\":\"https://example.invalid/s.json\"}",
                   "$: \"$ref\" must point inside the schema");
    expect_refused("{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"next\":"
                   "{\"$ref\":\"#\"}}}",
                   "$.properties.next: recursive schemas are not supported");
    expect_refused("{\"$defs\":{\"node\":{\"type\":\"object\",\"additionalProperties\":false,"
                   "\"properties\":{\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":"
                   "\"#/$defs/node\"}}}}},\"$ref\":\"#/$defs/node\"}",
                   "recursive schemas are not supported (\"$ref\": \"#/$defs/node\")");
    expect_refused("{\"$ref\":\"#/$defs/missing\"}", "names nothing in the schema");
    /* an unused definition is sent all the same: checked too */
    expect_refused("{\"type\":\"string\",\"definitions\":{\"d\":{\"multipleOf\":2}}}",
                   "$.definitions.d: \"multipleOf\" is not supported");
    expect_refused("{\"type\":\"string\",\"description\":\"\\u0001\"}", "U+0001");
    /* $refs fanning out at every level: bounded work, then a refusal */
    char big[2048];
    int at = snprintf(big, sizeof big, "{\"$defs\":{");
    for (int i = 0; i < 15; i++)
        at += snprintf(big + at, sizeof big - (size_t)at,
                       "\"d%d\":{\"anyOf\":[{\"$ref\":\"#/$defs/d%d\"},{\"$ref\":\"#/$defs/d%d\"},"
                       "{\"$ref\":\"#/$defs/d%d\"},{\"$ref\":\"#/$defs/d%d\"}]},",
                       i, i + 1, i + 1, i + 1, i + 1);
    snprintf(big + at, sizeof big - (size_t)at,
             "\"d15\":{\"type\":\"null\"}},\"$ref\":\"#/$defs/d0\"}");
    expect_refused(big, "too large to check");
}

/* prepare/structured.c with this provider: --json asks through the prompt alone. */
static void test_structured_json_mode(void **state)
{
    (void)state;
    structured_t s;
    char err[256];
    assert_int_equal(structured_init(&s, &provider_anthropic, 1, NULL, err, sizeof err), 0);
    assert_int_equal(s.mode, STRUCTURED_OBJECT);
    assert_null(s.response_format);
    char *prompt = NULL;
    assert_int_equal(structured_prompt(&s, "Describe the product", &prompt), 1);
    assert_string_equal(prompt, "Describe the product" STRUCTURED_JSON_HINT);
    free(prompt);
    structured_clear(&s);
    assert_int_equal(structured_init_text(&s, &provider_anthropic,
                                          "{\"type\":\"object\",\"properties\":{}}", "s.json", err,
                                          sizeof err),
                     -1);
    assert_string_equal(err, "schema s.json: $: objects need \"additionalProperties\": false "
                             "(Anthropic refuses it)");
}

/* ---- answers ------------------------------------------------------------------------ */

typedef struct answer_case {
    long status;
    const char *body;
    const char *should_retry;
    answer_action_t action;
    const char *kind; /* NULL: success */
    const char *message_has;
} answer_case_t;

static void expect_answer(const answer_case_t *c)
{
    answer_t a;
    anthropic_response_parse(c->status, c->body, strlen(c->body), c->should_retry, key, &a);
    if (a.action != c->action ||
        (c->kind ? !a.error_kind || strcmp(a.error_kind, c->kind) != 0 : a.error_kind != NULL))
        fail_msg("HTTP %ld %s (x-should-retry %s): action %d kind %s (%s), expected %d %s",
                 c->status, c->body, c->should_retry ? c->should_retry : "-", a.action,
                 a.error_kind ? a.error_kind : "-", a.error_message, c->action,
                 c->kind ? c->kind : "-");
    if (c->message_has && !strstr(a.error_message, c->message_has))
        fail_msg("HTTP %ld: message \"%s\" lacks \"%s\"", c->status, a.error_message,
                 c->message_has);
    assert_null(strstr(a.error_message, key));
    if (a.action != ANSWER_OK)
        assert_null(a.content);
    answer_clear(&a);
}

#define ERR(type, msg)                                                                             \
    "{\"type\":\"error\",\"error\":{\"type\":\"" type "\",\"message\":\"" msg "\"},"               \
    "\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}"

static void test_answer_classes(void **state)
{
    (void)state;
    static const answer_case_t cases[] = {
        {400, ERR("invalid_request_error", "messages: text content blocks must be non-empty"), NULL,
         ANSWER_FAIL_ITEM, "invalid_request",
         "HTTP 400 invalid_request_error: messages: text content blocks must be non-empty"},
        {400, ERR("invalid_request_error", "Your credit balance is too low to access the API."),
         NULL, ANSWER_STOP_RUN, "quota", "credit balance is too low"},
        {401, ERR("authentication_error", "invalid x-api-key"), NULL, ANSWER_STOP_RUN, "auth",
         "HTTP 401 authentication_error: invalid x-api-key"},
        {402, ERR("billing_error", "billing issue"), NULL, ANSWER_STOP_RUN, "quota", NULL},
        {403, ERR("permission_error", "no access to this model"), NULL, ANSWER_STOP_RUN, "auth",
         NULL},
        {404, ERR("not_found_error", "model: claude-nope"), NULL, ANSWER_STOP_RUN,
         "model_not_found", "not_found_error: model: claude-nope"},
        {404, ERR("not_found_error", "Not found"), NULL, ANSWER_STOP_RUN, "not_found",
         "check --base-url"},
        {413, ERR("request_too_large", "Request exceeds the maximum allowed number of bytes."),
         NULL, ANSWER_FAIL_ITEM, "too_large", NULL},
        {429,
         ERR("rate_limit_error", "Number of request tokens has exceeded your per-minute "
                                 "rate limit"),
         NULL, ANSWER_RETRY, "rate_limited", NULL},
        {500, ERR("api_error", "Internal server error"), NULL, ANSWER_RETRY, "server_error", NULL},
        {504, ERR("timeout_error", "Request timed out"), NULL, ANSWER_RETRY, "server_error", NULL},
        {529, ERR("overloaded_error", "Overloaded"), NULL, ANSWER_RETRY, "overloaded", NULL},
        /* a proxy's status with Anthropic's type: the type decides */
        {500, ERR("overloaded_error", "Overloaded"), NULL, ANSWER_RETRY, "overloaded", NULL},
        /* other 5xx, 408, 409: retried (the SDK's rule); other 4xx fail the item */
        {502, "<html>Bad gateway</html>", NULL, ANSWER_RETRY, "server_error", "HTTP 502: <html>"},
        {503, "", NULL, ANSWER_RETRY, "server_error", "empty body"},
        {408, "", NULL, ANSWER_RETRY, "timeout", NULL},
        {409, "{}", NULL, ANSWER_RETRY, "server_error", NULL},
        {422, "{}", NULL, ANSWER_FAIL_ITEM, "invalid_request", NULL},
        /* Cloudflare's 413 is HTML */
        {413, "<html><body>413 Request Entity Too Large</body></html>", NULL, ANSWER_FAIL_ITEM,
         "too_large", "HTTP 413"},
        {307, "", NULL, ANSWER_STOP_RUN, "redirect", "never follows redirects"},
        {299, "{}", NULL, ANSWER_RETRY, "invalid_response", "unexpected HTTP 299"},
        /* 200s that are not a Message */
        {200, "{\"id\":\"msg_1\",\"type\":\"message\"}", NULL, ANSWER_RETRY, "invalid_response",
         "HTTP 200 without a content array"},
        {200, "{\"content\":\"text\"}", NULL, ANSWER_RETRY, "invalid_response", NULL},
        {200, "not json", NULL, ANSWER_RETRY, "invalid_response",
         "HTTP 200 with a body that is not Message JSON: not json"},
        {200, "", NULL, ANSWER_RETRY, "invalid_response", NULL},
        {200, "{\"content\":[{\"type\":\"text\",\"text\":\"cut", NULL, ANSWER_RETRY,
         "invalid_response", NULL},
        {200, ERR("overloaded_error", "Overloaded"), NULL, ANSWER_RETRY, "server_error",
         "HTTP 200 with an error: Overloaded (overloaded_error)"},
        /* x-should-retry decides retry against fail-item, never against a stop */
        {400, ERR("invalid_request_error", "x"), "true", ANSWER_RETRY, "invalid_request", NULL},
        {529, ERR("overloaded_error", "Overloaded"), "false", ANSWER_FAIL_ITEM, "overloaded", NULL},
        {401, ERR("authentication_error", "x"), "true", ANSWER_STOP_RUN, "auth", NULL},
        {429, ERR("rate_limit_error", "x"), "maybe", ANSWER_RETRY, "rate_limited", NULL},
        /* the key echoed by a server never reaches the message */
        {401, ERR("authentication_error", "invalid x-api-key sk-ant-api03-TESTKEY0123456789"), NULL,
         ANSWER_STOP_RUN, "auth", "[redacted]"},
        {502, "upstream said sk-ant-api03-TESTKEY0123456789", NULL, ANSWER_RETRY, "server_error",
         "[redacted]"},
        {400, "{\"type\":\"error\",\"error\":{\"type\":\"sk-ant-api03-TESTKEY0123456789\"}}", NULL,
         ANSWER_FAIL_ITEM, "invalid_request", "[redacted]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_answer(&cases[i]);
}

/* A Message: its text blocks joined (a thinking block is not the answer), the model, and
 * usage with the cache's input counted as prompt tokens. */
static void test_answer_ok_usage(void **state)
{
    (void)state;
    const char *body =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
        "\"claude-sonnet-5-5-20260928\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\","
        "\"signature\":\"x\"},{\"type\":\"text\",\"text\":\"A red \"},{\"type\":\"text\","
        "\"text\":\"mug.\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":"
        "{\"input_tokens\":1200,\"cache_creation_input_tokens\":30,\"cache_read_input_tokens\":"
        "400,\"output_tokens\":12,\"service_tier\":\"standard\"}}";
    answer_t a;
    anthropic_response_parse(200, body, strlen(body), NULL, key, &a);
    assert_int_equal(a.action, ANSWER_OK);
    assert_null(a.error_kind);
    assert_string_equal(a.content, "A red mug.");
    assert_string_equal(a.model, "claude-sonnet-5-5-20260928");
    assert_int_equal(a.prompt_tokens, 1630);
    assert_int_equal(a.completion_tokens, 12);
    assert_int_equal(a.total_tokens, 1642);
    answer_clear(&a);

    /* max_tokens is a success (the text so far); no cache fields; empty content */
    const char *cut = "{\"type\":\"message\",\"content\":[],\"stop_reason\":\"max_tokens\","
                      "\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}";
    anthropic_response_parse(200, cut, strlen(cut), "false", key, &a);
    assert_int_equal(a.action, ANSWER_OK);
    assert_string_equal(a.content, "");
    assert_null(a.model);
    assert_int_equal(a.prompt_tokens, 10);
    assert_int_equal(a.total_tokens, 15);
    answer_clear(&a);

    /* usage absent: unknown, not 0 */
    const char *bare = "{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}";
    anthropic_response_parse(200, bare, strlen(bare), NULL, NULL, &a);
    assert_int_equal(a.action, ANSWER_OK);
    assert_int_equal(a.prompt_tokens, -1);
    assert_int_equal(a.completion_tokens, -1);
    assert_int_equal(a.total_tokens, -1);
    answer_clear(&a);
}

/* A refusal fails the item with the model's words (scrubbed), keeping the usage billed. */
static void test_answer_refusal(void **state)
{
    (void)state;
    const char *body =
        "{\"type\":\"message\",\"model\":\"claude-opus-5-5\",\"content\":[{\"type\":\"text\","
        "\"text\":\"I can't help with that (sk-ant-api03-TESTKEY0123456789).\"}],\"stop_reason\":"
        "\"refusal\",\"usage\":{\"input_tokens\":900,\"output_tokens\":7}}";
    answer_t a;
    anthropic_response_parse(200, body, strlen(body), NULL, key, &a);
    assert_int_equal(a.action, ANSWER_FAIL_ITEM);
    assert_string_equal(a.error_kind, "refused");
    assert_string_equal(a.error_message,
                        "HTTP 200: the model refused: I can't help with that ([redacted]).");
    assert_string_equal(a.content, "I can't help with that ([redacted]).");
    assert_int_equal(a.prompt_tokens, 900);
    assert_int_equal(a.completion_tokens, 7);
    answer_clear(&a);
    const char *absurd = "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],"
                         "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":-1,"
                         "\"output_tokens\":7}}";
    anthropic_response_parse(200, absurd, strlen(absurd), NULL, key, &a);
    assert_int_equal(a.action, ANSWER_FAIL_ITEM);
    assert_string_equal(a.error_kind, "invalid_response");
    assert_int_equal(a.prompt_tokens, -1);
    answer_clear(&a);
    const char *silent = "{\"content\":[],\"stop_reason\":\"refusal\"}";
    anthropic_response_parse(200, silent, strlen(silent), NULL, key, &a);
    assert_string_equal(a.error_message, "HTTP 200: the model refused");
    answer_clear(&a);
}

/* ---- headers: x-should-retry through the seam, and the limits ----------------------- */

typedef struct fake_headers {
    const char *const (*pairs)[2];
    size_t n;
} fake_headers_t;

static const char *fake_get(void *ctx, const char *name)
{
    const fake_headers_t *h = ctx;
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->pairs[i][0], name) == 0)
            return h->pairs[i][1];
    return NULL;
}

static void test_answer_parse_reads_should_retry(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {{"X-Should-Retry", "false"}};
    fake_headers_t h = {pairs, 1};
    const char *body = ERR("overloaded_error", "Overloaded");
    answer_t a;
    provider_anthropic.answer_parse(529, body, strlen(body), fake_get, &h, key, &a);
    assert_int_equal(a.action, ANSWER_FAIL_ITEM);
    answer_clear(&a);
    provider_anthropic.answer_parse(529, body, strlen(body), NULL, NULL, key, &a);
    assert_int_equal(a.action, ANSWER_RETRY);
    answer_clear(&a);
}

/* 2015-10-21T07:28:00Z */
#define NOW 1445412480

static void test_limits_tokens_bucket(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"anthropic-ratelimit-requests-limit", "50"},
        {"anthropic-ratelimit-requests-remaining", "49"},
        {"anthropic-ratelimit-requests-reset", "2015-10-21T07:28:01Z"},
        {"anthropic-ratelimit-tokens-limit", "90000"},
        {"anthropic-ratelimit-tokens-remaining", "88000"},
        {"anthropic-ratelimit-tokens-reset", "2015-10-21T09:28:02.5+02:00"},
        {"anthropic-ratelimit-input-tokens-limit", "80000"},
        {"anthropic-ratelimit-input-tokens-remaining", "1000"},
        {"anthropic-ratelimit-input-tokens-reset", "2015-10-21T07:29:00Z"},
        {"retry-after", "12"}};
    fake_headers_t h = {pairs, sizeof pairs / sizeof pairs[0]};
    ratelimit_info_t info;
    provider_anthropic.limits_parse(fake_get, &h, NOW, &info);
    assert_true(info.limit_requests == 50 && info.remaining_requests == 49);
    assert_true(info.reset_requests_s == 1);
    /* tokens-* is the most restrictive limit in force: it wins when sent */
    assert_true(info.limit_tokens == 90000 && info.remaining_tokens == 88000);
    assert_true(info.reset_tokens_s == 2.5);
    assert_true(info.retry_after_s == 12);
}

static void test_limits_input_output(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"anthropic-ratelimit-input-tokens-limit", "400000"},
        {"anthropic-ratelimit-input-tokens-remaining", "399000"},
        {"anthropic-ratelimit-input-tokens-reset", "2015-10-21T07:28:01Z"},
        {"anthropic-ratelimit-output-tokens-limit", "80000"},
        {"anthropic-ratelimit-output-tokens-remaining", "2000"},
        {"anthropic-ratelimit-output-tokens-reset", "2015-10-21T07:28:30Z"}};
    fake_headers_t h = {pairs, sizeof pairs / sizeof pairs[0]};
    ratelimit_info_t info;
    provider_anthropic.limits_parse(fake_get, &h, NOW, &info);
    /* the smaller of the two; the reset of the bucket with less left */
    assert_true(info.limit_tokens == 80000 && info.remaining_tokens == 2000);
    assert_true(info.reset_tokens_s == 30);
    assert_true(info.limit_requests == -1 && info.remaining_requests == -1);
    assert_true(info.reset_requests_s == -1 && info.retry_after_s == -1);

    /* input alone; a past reset is 0; garbage is absent */
    static const char *const more[][2] = {
        {"anthropic-ratelimit-input-tokens-limit", "40000"},
        {"anthropic-ratelimit-input-tokens-remaining", "many"},
        {"anthropic-ratelimit-input-tokens-reset", "2015-10-21T07:00:00Z"},
        {"retry-after", "Wed, 21 Oct 2015 07:28:09 GMT"}};
    fake_headers_t h2 = {more, sizeof more / sizeof more[0]};
    provider_anthropic.limits_parse(fake_get, &h2, NOW, &info);
    assert_true(info.limit_tokens == 40000 && info.remaining_tokens == -1);
    assert_true(info.reset_tokens_s == 0);
    assert_true(info.retry_after_s == 9);

    fake_headers_t empty = {more, 0};
    provider_anthropic.limits_parse(fake_get, &empty, NOW, &info);
    assert_true(info.limit_tokens == -1 && info.reset_tokens_s == -1 && info.retry_after_s == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_request_url),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_body_bytes),
        cmocka_unit_test(test_body_with_schema_and_odd_prompt),
        cmocka_unit_test(test_max_tokens_required),
        cmocka_unit_test(test_group_body),
        cmocka_unit_test(test_structured_option),
        cmocka_unit_test(test_structured_json_mode),
        cmocka_unit_test(test_answer_classes),
        cmocka_unit_test(test_answer_ok_usage),
        cmocka_unit_test(test_answer_refusal),
        cmocka_unit_test(test_answer_parse_reads_should_retry),
        cmocka_unit_test(test_limits_tokens_bucket),
        cmocka_unit_test(test_limits_input_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
