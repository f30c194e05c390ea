/* test_gemini.c - the Gemini provider's requests: URL (the model in the path), the key's
 * header, the exact body bytes of a tiny image, URL and group bodies, generationConfig
 * (maxOutputTokens, media resolution for Gemini 3, the structured option) and the
 * conversion of a JSON Schema into responseSchema, accepted or refused with its path.
 * Answers are in test_gemini_answer.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/image.h"
#include "prepare/structured.h"
#include "provider/gemini.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_find(void **state)
{
    (void)state;
    assert_ptr_equal(provider_find("gemini"), &provider_gemini);
    assert_ptr_equal(provider_for_url("https://generativelanguage.googleapis.com/v1beta"),
                     &provider_gemini);
    assert_ptr_equal(provider_for_url("https://GenerativeLanguage.googleapis.com."),
                     &provider_gemini);
    assert_ptr_equal(provider_for_url("http://127.0.0.1:8080"), &provider_openai);
    assert_string_equal(provider_gemini.default_base_url,
                        "https://generativelanguage.googleapis.com");
}

/* The URL, or "(null)" when refused, freed here. */
static void expect_url(const char *base, const char *model, const char *want)
{
    char *u = provider_gemini.request_url(base, model);
    if (!want) {
        if (u)
            fail_msg("%s + %s: %s, want a refusal", base, model ? model : "NULL", u);
        return;
    }
    if (!u)
        fail_msg("%s + %s refused, want %s", base, model, want);
    assert_string_equal(u, want);
    free(u);
}

static void test_request_url(void **state)
{
    (void)state;
    expect_url("https://generativelanguage.googleapis.com", "gemini-2.5-flash",
               "https://generativelanguage.googleapis.com/v1beta/models/"
               "gemini-2.5-flash:generateContent");
    /* a version already in the base, trailing slashes, a models/ resource name */
    expect_url("http://127.0.0.1:9/v1beta//", "models/gemini-3.5-flash-lite",
               "http://127.0.0.1:9/v1beta/models/gemini-3.5-flash-lite:generateContent");
    expect_url("http://127.0.0.1:9/v1", "gemini-2.5-pro",
               "http://127.0.0.1:9/v1/models/gemini-2.5-pro:generateContent");
    expect_url("http://proxy.local/gemini/", "my_model-1.0",
               "http://proxy.local/gemini/v1beta/models/my_model-1.0:generateContent");
    /* only a whole last segment names a version */
    expect_url("http://h/xv1", "m", "http://h/xv1/v1beta/models/m:generateContent");
    /* names the path cannot carry as they are */
    expect_url("http://h", "gemini/2.5", NULL);
    expect_url("http://h", "models/", NULL);
    expect_url("http://h", "", NULL);
    expect_url("http://h", NULL, NULL);
    expect_url("http://h", "a b", NULL);
    expect_url("http://h", "m?key=x", NULL);
    expect_url("http://h", "m:streamGenerateContent", NULL);
    expect_url("http://h", "gemini-2.5-flash\n", NULL);
    expect_url("http://h", "gémini", NULL);
}

typedef struct lines {
    char got[4][128];
    int n;
    int fail;
} lines_t;

static int collect(void *ctx, const char *line)
{
    lines_t *l = ctx;
    if (l->fail)
        return -1;
    snprintf(l->got[l->n++], sizeof l->got[0], "%s", line);
    return 0;
}

static void test_key_header(void **state)
{
    (void)state;
    lines_t l = {0};
    assert_int_equal(provider_gemini.add_headers("AIza-test-key", collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.got[0], "x-goog-api-key: AIza-test-key");
    lines_t none = {0};
    assert_int_equal(provider_gemini.add_headers(NULL, collect, &none), 0);
    assert_int_equal(provider_gemini.add_headers("", collect, &none), 0);
    assert_int_equal(none.n, 0);
    lines_t failing = {.fail = 1};
    assert_int_equal(provider_gemini.add_headers("AIza-test-key", collect, &failing), -1);
}

/* The body of a tiny image ("abc") under s, built through the template as prepare.c
 * does. The caller frees it. */
static char *tiny_body(const body_settings_t *s, const char *mime)
{
    body_template_t t;
    char err[256];
    if (provider_gemini.template_build(&t, s, err, sizeof err) != 0)
        fail_msg("template: %s", err);
    size_t len = 0;
    char *body = provider_gemini.body_image(&t, mime, (const unsigned char *)"abc", 3, &len);
    assert_non_null(body);
    assert_int_equal(strlen(body), len);
    /* the image part sits between the template's prefix and suffix */
    assert_memory_equal(body, t.prefix, t.prefix_len);
    assert_string_equal(body + len - t.suffix_len, t.suffix);
    body_template_clear(&t);
    return body;
}

static void expect_body(const body_settings_t *s, const char *want)
{
    char *body = tiny_body(s, "image/png");
    assert_string_equal(body, want);
    free(body);
}

#define PART_ABC "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"YWJj\"}}"
#define HEAD     "{\"contents\":[{\"role\":\"user\",\"parts\":["

static void test_body_bytes(void **state)
{
    (void)state;
    body_settings_t s = {
        .model = "gemini-2.5-flash", .prompt = "Describe", .detail = "auto", .max_tokens = 300};
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}],"
                                  "\"generationConfig\":{\"maxOutputTokens\":300}}");
    /* no limit, nothing else: no generationConfig at all */
    s.max_tokens = 0;
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}]}");
    /* detail only matters to Gemini 3 */
    s.detail = "low";
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}]}");
    s.model = "gemini-3.5-flash-lite";
    s.max_tokens = 50;
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}],\"generationConfig\":{"
                                  "\"maxOutputTokens\":50,\"mediaResolution\":"
                                  "\"MEDIA_RESOLUTION_LOW\"}}");
    s.detail = "high";
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}],\"generationConfig\":{"
                                  "\"maxOutputTokens\":50,\"mediaResolution\":"
                                  "\"MEDIA_RESOLUTION_HIGH\"}}");
    s.detail = "auto"; /* the model's default: nothing sent */
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}],\"generationConfig\":{"
                                  "\"maxOutputTokens\":50}}");
    /* the structured option goes between the limit and the media resolution */
    char *option = NULL, err[256];
    assert_int_equal(provider_gemini.structured_option(NULL, NULL, &option, err, sizeof err), 0);
    s.response_format = option;
    s.detail = "high";
    expect_body(&s, HEAD PART_ABC ",{\"text\":\"Describe\"}]}],\"generationConfig\":{"
                                  "\"maxOutputTokens\":50,\"responseMimeType\":"
                                  "\"application/json\",\"mediaResolution\":"
                                  "\"MEDIA_RESOLUTION_HIGH\"}}");
    free(option);
}

/* A prompt with quotes, a newline and UTF-8 is escaped into the text part, and the body
 * is JSON whose text is the prompt again. */
static void test_body_prompt_escaped(void **state)
{
    (void)state;
    const char *prompt = "Say \"hi\"\n\xc3\xa9t\xc3\xa9 {\"inlineData\":1}";
    body_settings_t s = {.model = "gemini-2.5-flash", .prompt = prompt, .detail = "auto"};
    char *body = tiny_body(&s, "image/jpeg");
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    json_t *parts = json_object_get(json_array_get(json_object_get(j, "contents"), 0), "parts");
    assert_int_equal(json_array_size(parts), 2);
    json_t *inline_data = json_object_get(json_array_get(parts, 0), "inlineData");
    assert_string_equal(json_string_value(json_object_get(inline_data, "mimeType")), "image/jpeg");
    assert_string_equal(json_string_value(json_object_get(inline_data, "data")), "YWJj");
    assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 1), "text")),
                        prompt);
    json_decref(j);
    free(body);
}

static void test_template_refusals(void **state)
{
    (void)state;
    body_template_t t;
    char err[256];
    body_settings_t s = {.model = "gemini/2.5", .prompt = "p", .detail = "auto"};
    assert_int_equal(provider_gemini.template_build(&t, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot go in a Gemini URL"));
    assert_null(t.prefix);
    s.model = "gemini-2.5-flash";
    s.prompt = "bad \xff utf-8";
    assert_int_equal(provider_gemini.template_build(&t, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "UTF-8"));
    s.prompt = "p";
    s.response_format = "[1]";
    assert_int_equal(provider_gemini.template_build(&t, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a JSON object"));
    /* a MIME type that would need escaping is refused, not written */
    s.response_format = NULL;
    assert_int_equal(provider_gemini.template_build(&t, &s, err, sizeof err), 0);
    size_t len;
    assert_null(
        provider_gemini.body_image(&t, "image/png\",\"x", (const unsigned char *)"a", 1, &len));
    body_template_clear(&t);
}

static void test_body_url(void **state)
{
    (void)state;
    body_template_t t;
    char err[256];
    body_settings_t s = {.model = "gemini-3-flash-preview", .prompt = "P", .detail = "auto"};
    assert_int_equal(provider_gemini.template_build(&t, &s, err, sizeof err), 0);
    size_t len = 0;
    char *body = provider_gemini.body_image_url(&t, "https://example.invalid/a.jpg?q=\"1\"", &len);
    assert_string_equal(body, HEAD "{\"fileData\":{\"fileUri\":"
                                   "\"https://example.invalid/a.jpg?q=\\\"1\\\"\"}},"
                                   "{\"text\":\"P\"}]}]}");
    assert_int_equal(strlen(body), len);
    free(body);
    assert_null(provider_gemini.body_image_url(&t, "https://x.invalid/\xff", &len));
    body_template_clear(&t);
}

/* A group body holds each member's part as cut from its own body, in order, then the
 * text; its generationConfig has the limit it is given and the media resolution, never
 * the structured option (a group answers with its own JSON array). */
static void test_group_body(void **state)
{
    (void)state;
    body_settings_t s = {.model = "gemini-3.5-flash-lite",
                         .prompt = "unused",
                         .detail = "high",
                         .max_tokens = 600,
                         .response_format = "{\"responseMimeType\":\"application/json\"}"};
    const char *a = PART_ABC;
    const char *b = "{\"fileData\":{\"fileUri\":\"https://example.invalid/x.jpg\"}}";
    body_part_t parts[2] = {{a, strlen(a)}, {b, strlen(b)}};
    size_t len = 0;
    char *body = provider_gemini.group_body(&s, "two images", parts, 2, &len);
    assert_string_equal(body, HEAD PART_ABC ",{\"fileData\":{\"fileUri\":"
                                            "\"https://example.invalid/x.jpg\"}},"
                                            "{\"text\":\"two images\"}]}],\"generationConfig\":{"
                                            "\"maxOutputTokens\":600,\"mediaResolution\":"
                                            "\"MEDIA_RESOLUTION_HIGH\"}}");
    assert_int_equal(strlen(body), len);
    /* the bytes a group spends per image besides its part: the comma */
    assert_int_equal(len, strlen(HEAD) + parts[0].len + parts[1].len +
                              provider_gemini.group_part_overhead(&s) +
                              strlen(",{\"text\":\"two images\"}]}],\"generationConfig\":{"
                                     "\"maxOutputTokens\":600,\"mediaResolution\":"
                                     "\"MEDIA_RESOLUTION_HIGH\"}}"));
    free(body);
    /* the parts' bytes are copied as they are: a part cut out of a real body */
    s.model = "gemini-2.5-flash";
    s.max_tokens = 0;
    body = provider_gemini.group_body(&s, "one", parts, 1, &len);
    assert_string_equal(body, HEAD PART_ABC ",{\"text\":\"one\"}]}]}");
    free(body);
    body = provider_gemini.group_body(&s, "none", parts, 0, &len);
    assert_string_equal(body, HEAD "{\"text\":\"none\"}]}]}");
    free(body);
}

/* The structured option for schema, or "REFUSED: <err>". The caller frees it. */
static char *option_for(const char *schema_text)
{
    json_error_t jerr;
    json_t *schema = schema_text ? json_loads(schema_text, 0, &jerr) : NULL;
    if (schema_text && !schema)
        fail_msg("test schema: %s", jerr.text);
    char *out = NULL, err[400];
    int rc = provider_gemini.structured_option(schema, "name", &out, err, sizeof err);
    json_decref(schema);
    if (rc == 0)
        return out;
    assert_null(out);
    size_t n = strlen(err) + 16;
    char *r = malloc(n);
    snprintf(r, n, "REFUSED: %s", err);
    return r;
}

static void expect_option(const char *schema_text, const char *want)
{
    char *got = option_for(schema_text);
    assert_string_equal(got, want);
    free(got);
}

static void expect_refused(const char *schema_text, const char *want_in_err)
{
    char *got = option_for(schema_text);
    if (strncmp(got, "REFUSED: ", 9) != 0 || !strstr(got, want_in_err))
        fail_msg("%s: got %s, want a refusal saying %s", schema_text, got, want_in_err);
    free(got);
}

static void test_structured_accept(void **state)
{
    (void)state;
    expect_option(NULL, "{\"responseMimeType\":\"application/json\"}");
    /* an OpenAI strict-mode schema: additionalProperties false and $schema go, the types
     * are Gemini's, ["integer","null"] is nullable, the order of properties is kept */
    expect_option(
        "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
        "\"properties\":{\"name\":{\"type\":\"string\",\"description\":\"d\"},"
        "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"
        "\"maxItems\":3},\"size\":{\"type\":[\"integer\",\"null\"],\"minimum\":0}},"
        "\"required\":[\"name\",\"size\"],\"additionalProperties\":false}",
        "{\"responseMimeType\":\"application/json\",\"responseSchema\":{\"type\":\"OBJECT\","
        "\"properties\":{\"name\":{\"type\":\"STRING\",\"description\":\"d\"},"
        "\"tags\":{\"type\":\"ARRAY\",\"items\":{\"type\":\"STRING\",\"enum\":[\"a\",\"b\"]},"
        "\"maxItems\":3},\"size\":{\"type\":\"INTEGER\",\"nullable\":true,\"minimum\":0}},"
        "\"required\":[\"name\",\"size\"],\"propertyOrdering\":[\"name\",\"tags\",\"size\"]}}");
    /* anyOf, a string const as an enum, types guessed from properties/items/enum, an
     * explicit propertyOrdering kept, formats and counts copied */
    expect_option(
        "{\"anyOf\":[{\"const\":\"none\"},{\"properties\":{\"b\":{\"type\":\"number\","
        "\"format\":\"float\"},\"a\":{\"type\":\"string\",\"format\":\"date-time\"}},"
        "\"propertyOrdering\":[\"a\",\"b\"],\"minProperties\":1},{\"items\":{\"enum\":[\"x\"]},"
        "\"minItems\":1,\"title\":\"T\",\"nullable\":true,\"default\":[]}]}",
        "{\"responseMimeType\":\"application/json\",\"responseSchema\":{\"anyOf\":["
        "{\"enum\":[\"none\"],\"type\":\"STRING\"},{\"properties\":{\"b\":{\"type\":\"NUMBER\","
        "\"format\":\"float\"},\"a\":{\"type\":\"STRING\",\"format\":\"date-time\"}},"
        "\"propertyOrdering\":[\"a\",\"b\"],\"minProperties\":1,\"type\":\"OBJECT\"},"
        "{\"items\":{\"enum\":[\"x\"],\"type\":\"STRING\"},\"minItems\":1,\"title\":\"T\","
        "\"nullable\":true,\"default\":[],\"type\":\"ARRAY\"}]}}");
    /* a root that is not an object is Gemini's to take */
    expect_option("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}",
                  "{\"responseMimeType\":\"application/json\",\"responseSchema\":{\"type\":"
                  "\"ARRAY\",\"items\":{\"type\":\"BOOLEAN\"}}}");
}

static void test_structured_refuse(void **state)
{
    (void)state;
    expect_refused("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/$defs/x\"}}}",
                   "$.properties.a: \"$ref\" references are not supported");
    expect_refused("{\"type\":\"array\",\"items\":{\"oneOf\":[{\"type\":\"string\"}]}}",
                   "$.items: \"oneOf\" not supported: use anyOf");
    expect_refused("{\"type\":\"object\",\"additionalProperties\":true}",
                   "$: \"additionalProperties\" only false is supported");
    expect_refused("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}",
                   "$: \"additionalProperties\"");
    expect_refused("{\"type\":\"object\",\"patternProperties\":{\"^x\":{}}}",
                   "$: \"patternProperties\" has no equivalent");
    expect_refused("{\"anyOf\":[{\"type\":\"string\"},{\"allOf\":[]}]}",
                   "$.anyOf[1]: \"allOf\" has no equivalent");
    expect_refused("{\"type\":[\"string\",\"integer\"]}", "$: \"type\" lists several types");
    expect_refused("{\"type\":\"null\"}", "$: \"type\" \"null\" alone");
    expect_refused("{\"type\":\"decimal\"}", "$: unknown type \"decimal\"");
    expect_refused("{\"type\":\"integer\",\"enum\":[1,2]}", "$: \"enum\" must hold strings");
    expect_refused("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                   "\"required\":[\"b\"]}",
                   "$: \"required\" names \"b\", which is not in \"properties\"");
    expect_refused("{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}",
                   "$: \"items\" must be one schema");
    expect_refused("{\"description\":\"no type\"}", "$: no \"type\"");
    expect_refused("{\"type\":\"array\",\"minItems\":-1}", "$: \"minItems\" must be an integer");
    expect_refused("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\","
                   "\"exclusiveMinimum\":0}}}",
                   "$.properties.a: \"exclusiveMinimum\" has no equivalent");
    expect_refused("{\"type\":\"object\",\"properties\":{\"a\":5}}",
                   "$.properties.a: a schema must be a JSON object");
    /* nesting deeper than 32 levels */
    char deep[2048];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"type\":\"array\",\"items\":");
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"type\":\"string\"}");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "}");
    expect_refused(deep, "nested deeper than 32 levels");
}

/* Through the seam prepare/structured.c uses: OpenAI's {"name","schema"} wrapper is
 * unwrapped, and the refusal names the file and Gemini. */
static void test_structured_through_seam(void **state)
{
    (void)state;
    structured_t st;
    char err[512];
    assert_int_equal(
        structured_init_text(&st, &provider_gemini,
                             "{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"properties\":"
                             "{\"k\":{\"type\":\"string\"}}}}",
                             "s.json", err, sizeof err),
        0);
    assert_string_equal(st.response_format,
                        "{\"responseMimeType\":\"application/json\",\"responseSchema\":{"
                        "\"type\":\"OBJECT\",\"properties\":{\"k\":{\"type\":\"STRING\"}},"
                        "\"propertyOrdering\":[\"k\"]}}");
    structured_clear(&st);
    assert_int_equal(structured_init_text(&st, &provider_gemini,
                                          "{\"type\":\"object\",\"$defs\":{}}", "s.json", err,
                                          sizeof err),
                     -1);
    assert_non_null(strstr(err, "schema s.json: $: \"$defs\" references are not supported"));
    assert_non_null(strstr(err, "Gemini"));
}

static void test_image_rules(void **state)
{
    (void)state;
    unsigned long tokens = 0;
    assert_int_equal(
        provider_gemini.image_tokens("gemini-2.5-flash", 960, 540, DETAIL_AUTO, &tokens), 0);
    assert_int_equal(tokens, 6 * 258);
    assert_int_equal(
        provider_gemini.image_tokens("gemini-3.5-flash-lite", 960, 540, DETAIL_LOW, &tokens), 0);
    assert_int_equal(tokens, 280);
    const provider_image_limits_t *l = &provider_gemini.limits;
    assert_true(l->formats & 1u << IMAGE_JPEG);
    assert_true(l->formats & 1u << IMAGE_PNG);
    assert_true(l->formats & 1u << IMAGE_WEBP);
    assert_false(l->formats & 1u << IMAGE_GIF);
    assert_int_equal(l->max_images, 3600);
    assert_int_equal(l->max_request_bytes, (size_t)100 * 1000 * 1000);
    assert_null(provider_gemini.request_id_header);
    tokens_model_t m;
    assert_int_equal(tokens_model_lookup(provider_gemini.default_model, &m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_request_url),
        cmocka_unit_test(test_key_header),
        cmocka_unit_test(test_body_bytes),
        cmocka_unit_test(test_body_prompt_escaped),
        cmocka_unit_test(test_template_refusals),
        cmocka_unit_test(test_body_url),
        cmocka_unit_test(test_group_body),
        cmocka_unit_test(test_structured_accept),
        cmocka_unit_test(test_structured_refuse),
        cmocka_unit_test(test_structured_through_seam),
        cmocka_unit_test(test_image_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
