/* test_batch_api.c - what the three batch codecs share (batch_api.c, batch_line.c): the
 * codec of each provider, state words, custom_id's rule, URLs under a base URL and the
 * same-origin rule for Gemini's upload URL, JSON spans and strings, server words with the
 * key scrubbed, and each codec's framed lines read back as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "provider/batch_api.h"
#include "provider/batch_api_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char key[] = "sk-test-SECRETKEY0123456789";

static void test_codec_for(void **state)
{
    (void)state;
    assert_ptr_equal(batch_codec_for(&provider_openai), &batch_codec_openai);
    assert_ptr_equal(batch_codec_for(&provider_anthropic), &batch_codec_anthropic);
    assert_ptr_equal(batch_codec_for(&provider_gemini), &batch_codec_gemini);
    provider_t other = provider_openai;
    other.name = "mistral";
    assert_null(batch_codec_for(&other));
    assert_null(batch_codec_for(NULL));
    assert_string_equal(batch_codec_openai.name, "openai");
    assert_string_equal(batch_codec_anthropic.name, "anthropic");
    assert_string_equal(batch_codec_gemini.name, "gemini");
    /* the caps of batch-api-facts.md §1-3 */
    assert_int_equal(batch_codec_openai.max_lines, 50000);
    assert_int_equal(batch_codec_openai.max_bytes, 200000000);
    assert_int_equal(batch_codec_anthropic.max_lines, 100000);
    assert_int_equal(batch_codec_anthropic.max_bytes, 256000000);
    assert_int_equal(batch_codec_gemini.max_bytes, 2000000000);
    assert_null(batch_codec_anthropic.upload);
    assert_null(batch_codec_anthropic.find);
    assert_non_null(batch_codec_openai.find);
    assert_non_null(batch_codec_gemini.find);
}

static void test_state_words(void **state)
{
    (void)state;
    static const char *const names[] = {"unknown",    "validating", "running",
                                        "finalizing", "cancelling", "ended",
                                        "failed",     "expired",    "cancelled"};
    for (int s = BATCH_REMOTE_UNKNOWN; s <= BATCH_REMOTE_CANCELLED; s++) {
        assert_string_equal(batch_remote_state_name((batch_remote_state_t)s), names[s]);
        bool final = s == BATCH_REMOTE_ENDED || s == BATCH_REMOTE_FAILED ||
                     s == BATCH_REMOTE_EXPIRED || s == BATCH_REMOTE_CANCELLED;
        assert_int_equal(batch_remote_final((batch_remote_state_t)s) != 0, final);
    }
    assert_string_equal(batch_remote_state_name((batch_remote_state_t)99), "unknown");
}

static void test_custom_id(void **state)
{
    (void)state;
    char id64[65], id65[66];
    memset(id64, 'a', 64);
    id64[64] = '\0';
    memset(id65, 'b', 65);
    id65[65] = '\0';
    assert_true(batch_custom_id_ok("c000001-17"));
    assert_true(batch_custom_id_ok("A_z-09"));
    assert_true(batch_custom_id_ok(id64));
    assert_false(batch_custom_id_ok(id65));
    assert_false(batch_custom_id_ok(""));
    assert_false(batch_custom_id_ok(NULL));
    assert_false(batch_custom_id_ok("a b"));
    assert_false(batch_custom_id_ok("a.b"));
    assert_false(batch_custom_id_ok("a/b"));
    assert_false(batch_custom_id_ok("\xc3\xa9"));
    assert_true(batch_id_ok("file-abc.1", 20));
    assert_false(batch_id_ok("..", 20));
    assert_false(batch_id_ok("a/b", 20));
    assert_false(batch_id_ok("abcdef", 5));
    assert_true(batch_resource_ok("batches/abc", "batches/", 20));
    assert_false(batch_resource_ok("batches/", "batches/", 20));
    assert_false(batch_resource_ok("batches/a/b", "batches/", 20));
    assert_false(batch_resource_ok("files/abc", "batches/", 20));
}

static void expect_url(const char *base, const char *const *strip, const char *path,
                       const char *want)
{
    char *u = batch_url(base, strip, "%s", path);
    assert_non_null(u);
    assert_string_equal(u, want);
    free(u);
}

static void test_urls(void **state)
{
    (void)state;
    static const char *const v1[] = {"/v1", NULL};
    static const char *const gem[] = {"/v1beta", "/v1", NULL};
    expect_url("http://127.0.0.1:8080/v1", NULL, "/files", "http://127.0.0.1:8080/v1/files");
    expect_url("https://api.openai.com/v1//", NULL, "/batches",
               "https://api.openai.com/v1/batches");
    expect_url("http://h:1", v1, "/v1/messages/batches", "http://h:1/v1/messages/batches");
    expect_url("http://h:1/v1/", v1, "/v1/messages/batches", "http://h:1/v1/messages/batches");
    expect_url("http://h:1/proxy", v1, "/v1/x", "http://h:1/proxy/v1/x");
    expect_url("https://generativelanguage.googleapis.com/v1beta", gem, "/upload/v1beta/files",
               "https://generativelanguage.googleapis.com/upload/v1beta/files");
    expect_url("http://h/v1", gem, "/v1beta/batches/x", "http://h/v1beta/batches/x");
    expect_url("http://h/", gem, "/download/v1beta/files/f:download?alt=media",
               "http://h/download/v1beta/files/f:download?alt=media");
    assert_null(batch_url(NULL, NULL, "/x"));

    char *q = batch_query_escape("a b=c&d/e~f.g-h_i");
    assert_string_equal(q, "a%20b%3Dc%26d%2Fe~f.g-h_i");
    free(q);
}

static void test_same_origin(void **state)
{
    (void)state;
    const char *base = "http://127.0.0.1:8080";
    assert_true(batch_same_origin("http://127.0.0.1:8080/upload/v1beta/files?upload_id=1", base));
    assert_true(batch_same_origin("HTTP://127.0.0.1:8080/x", "http://127.0.0.1:8080/v1beta"));
    assert_true(batch_same_origin("https://Generativelanguage.googleapis.com/upload?x=1",
                                  "https://generativelanguage.googleapis.com"));
    assert_true(batch_same_origin("https://h:443/u", "https://h/v1beta"));
    assert_true(batch_same_origin("http://[::1]:9/u", "http://[::1]:9"));
    assert_false(batch_same_origin("http://127.0.0.1:8081/u", base));
    assert_false(batch_same_origin("https://127.0.0.1:8080/u", base));
    assert_false(batch_same_origin("http://evil.example/u", base));
    assert_false(batch_same_origin("http://127.0.0.1:8080@evil.example/u", base));
    assert_false(batch_same_origin("http://evil.example#@127.0.0.1:8080/", base));
    assert_false(batch_same_origin("http://127.0.0.1:8080.evil.example/u", base));
    assert_false(batch_same_origin("ftp://127.0.0.1:8080/u", "ftp://127.0.0.1:8080"));
    assert_false(batch_same_origin("/upload/v1beta/files", base));
    assert_false(batch_same_origin("http://127.0.0.1:99999/u", "http://127.0.0.1:99999"));
    assert_false(batch_same_origin(NULL, base));
    assert_false(batch_same_origin("http://127.0.0.1:8080/u\r\nX-Evil: 1", base));
    assert_false(batch_same_origin("http://127.0.0.1:8080/u v", base));
    assert_false(batch_same_origin("http:///u", "http:///"));
}

static void expect_span(const char *json, const char *const *path, size_t n, const char *want)
{
    size_t len = 0;
    const char *s = batch_json_span(json, strlen(json), path, n, &len);
    if (!want) {
        assert_null(s);
        return;
    }
    assert_non_null(s);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
}

static void test_json_span(void **state)
{
    (void)state;
    static const char *const rb[] = {"response", "body"};
    static const char *const r[] = {"response"};
    static const char *const x[] = {"x"};
    const char *line = "{\"id\":\"a}\\\"{\",\"response\" : {\"status_code\":200, \"body\" :"
                       " {\"t\":\"}]\",\"a\":[1,{\"b\":null}]} },\"error\":null}";
    expect_span(line, rb, 2, "{\"t\":\"}]\",\"a\":[1,{\"b\":null}]}");
    expect_span(line, r, 1,
                "{\"status_code\":200, \"body\" : {\"t\":\"}]\",\"a\":[1,{\"b\":null}]} }");
    expect_span(line, x, 1, NULL);
    expect_span("{\"x\":12.5e3}", x, 1, "12.5e3");
    expect_span("{\"x\":true }", x, 1, "true");
    expect_span("{\"\\u0078\":1}", x, 1, NULL); /* an escaped key is not looked through */
    expect_span("[1]", x, 1, NULL);
    expect_span("{\"x\":", x, 1, NULL);
    expect_span("{\"x\":{\"y\":\"unterminated", x, 1, NULL);
}

static void test_server_words(void **state)
{
    (void)state;
    char out[400];
    char body[300];
    snprintf(body, sizeof body,
             "{\"error\":{\"message\":\"Incorrect API key provided: %s\",\"type\":"
             "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
             key);
    batch_server_words(body, strlen(body), key, out, sizeof out);
    assert_string_equal(out, "Incorrect API key provided: [redacted] (invalid_api_key)");
    const char *gem =
        "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
    batch_server_words(gem, strlen(gem), key, out, sizeof out);
    assert_string_equal(out, "quota (RESOURCE_EXHAUSTED)");
    const char *html = "<html>\n<body>Bad gateway</body></html>";
    batch_server_words(html, strlen(html), key, out, sizeof out);
    assert_string_equal(out, "<html> <body>Bad gateway</body></html>");
    batch_server_words(NULL, 0, key, out, sizeof out);
    assert_string_equal(out, "empty body");

    char err[64];
    batch_errf(err, sizeof err, key, "x: %s\nnext line", key);
    assert_string_equal(err, "x: [redacted] next line");
}

/* Writes one line with codec c into memory; returns the text (malloc'd). */
static char *write_line(const batch_codec_t *c, const char *id, const char *body, long *n)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    *n = c->line_write(f, id, body, strlen(body), "some-model");
    fclose(f);
    return buf;
}

/* A body as the templates write them: compact, with escapes and non-ASCII text. */
static const char body[] =
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
    "\"text\",\"text\":\"d\\u00e9cris \\\"\\u00e7a\\\"\\n\xc3\xa9\"}]}]}";

static void check_line(const batch_codec_t *c, const char *id_key, const char *body_key,
                       const char *const *extra)
{
    long n = 0;
    char *text = write_line(c, "c000001-7", body, &n);
    assert_int_equal(n, (long)strlen(text));
    /* the body is written as it was given, byte for byte */
    assert_non_null(strstr(text, body));
    json_error_t jerr;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, id_key)), "c000001-7");
    json_t *want = json_loads(body, 0, &jerr);
    assert_true(json_equal(json_object_get(o, body_key), want));
    for (size_t i = 0; extra && extra[i]; i += 2)
        assert_string_equal(json_string_value(json_object_get(o, extra[i])), extra[i + 1]);
    assert_int_equal(json_object_size(o), 2 + (extra ? 2 : 0));
    json_decref(want);
    json_decref(o);
    free(text);

    /* a custom_id outside the rule, or no body, writes nothing */
    text = write_line(c, "bad id", body, &n);
    assert_int_equal(n, -1);
    free(text);
    text = write_line(c, "c1", "", &n);
    assert_int_equal(n, -1);
    free(text);
}

static void test_line_write(void **state)
{
    (void)state;
    static const char *const openai_extra[] = {"method", "POST", "url", "/v1/chat/completions",
                                               NULL};
    check_line(&batch_codec_openai, "custom_id", "body", openai_extra);
    check_line(&batch_codec_anthropic, "custom_id", "params", NULL);
    check_line(&batch_codec_gemini, "key", "request", NULL);
}

/* A whole upload file framed as each codec says: head, lines, separators, tail. */
static void test_file_framing(void **state)
{
    (void)state;
    const batch_codec_t *codecs[] = {&batch_codec_openai, &batch_codec_anthropic,
                                     &batch_codec_gemini};
    for (size_t k = 0; k < 3; k++) {
        const batch_codec_t *c = codecs[k];
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        fputs(c->file_head, f);
        for (int i = 0; i < 3; i++) {
            char id[16];
            snprintf(id, sizeof id, "c1-%d", i);
            if (i > 0)
                fputs(c->line_sep, f);
            assert_true(c->line_write(f, id, body, strlen(body), "m") > 0);
        }
        fputs(c->file_tail, f);
        fclose(f);
        json_error_t jerr;
        if (c == &batch_codec_anthropic) {
            json_t *o = json_loads(buf, 0, &jerr);
            json_t *reqs = json_object_get(o, "requests");
            assert_int_equal(json_array_size(reqs), 3);
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(reqs, 2), "custom_id")), "c1-2");
            json_decref(o);
        } else {
            /* JSONL: three objects, each line ending with a newline */
            int lines = 0;
            for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++) {
                json_t *o = json_loadb(line, (size_t)(nl - line), 0, &jerr);
                assert_non_null(o);
                json_decref(o);
            }
            assert_int_equal(lines, 3);
            assert_int_equal(buf[size - 1], '\n');
        }
        free(buf);
    }
}

static void test_json_string_write(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    long n = batch_json_string_write(f, "a\"b\\c\n\x01\xc3\xa9");
    fclose(f);
    assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\"");
    assert_int_equal(n, (long)strlen(buf));
    free(buf);
}

static void test_counts(void **state)
{
    (void)state;
    json_t *v = json_pack("[i, s, s, s, i, s, i, s, f]", 12, "34", "", "1e3", -1, "99999999999",
                          (json_int_t)1000000001, "-2", 1.0);
    long want[] = {12, 34, -1, -1, -1, -1, -1, -1, -1};
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(batch_count_of(json_array_get(v, i)), want[i]);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_for),    cmocka_unit_test(test_state_words),
        cmocka_unit_test(test_custom_id),    cmocka_unit_test(test_urls),
        cmocka_unit_test(test_same_origin),  cmocka_unit_test(test_json_span),
        cmocka_unit_test(test_server_words), cmocka_unit_test(test_line_write),
        cmocka_unit_test(test_file_framing), cmocka_unit_test(test_json_string_write),
        cmocka_unit_test(test_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
