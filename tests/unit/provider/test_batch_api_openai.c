/* test_batch_api_openai.c - OpenAI's batch codec (openai_batch_*.c): batch objects in
 * every status, every kind of output and error line (batch-api-facts.md §1), the key
 * scrubbed from what the server says, and upload / create / poll / results / cancel /
 * find as the requests they make against a recording batch_http_t (batch_fake_http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch_fake_http.h"
#include "provider/batch_api.h"
#include "provider/batch_api_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char key[] = "sk-proj-SECRETKEY0123456789abcdef";
static const char base[] = "http://127.0.0.1:8080/v1";
#define C (&batch_codec_openai)

static int parse_status(const char *json, batch_status_t *st)
{
    return C->status_parse(json, strlen(json), key, st);
}

static void test_status_created(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(
        parse_status("{\"id\":\"batch_abc123\",\"object\":\"batch\",\"endpoint\":\"/v1/chat/"
                     "completions\",\"errors\":null,\"input_file_id\":\"file-1\","
                     "\"completion_window\":\"24h\",\"status\":\"validating\","
                     "\"output_file_id\":null,\"error_file_id\":null,\"created_at\":1714508499,"
                     "\"request_counts\":{\"total\":0,\"completed\":0,\"failed\":0},"
                     "\"metadata\":{\"visionbatch_job\":\"job0123abcd\",\"visionbatch_chunk\":"
                     "\"c000004\"}}",
                     &st),
        0);
    assert_string_equal(st.id, "batch_abc123");
    assert_int_equal(st.state, BATCH_REMOTE_VALIDATING);
    assert_string_equal(st.state_word, "validating");
    assert_int_equal(st.total, 0);
    assert_int_equal(st.succeeded, 0);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.pending, 0);
    assert_string_equal(st.output_ref, "");
    assert_string_equal(st.error_ref, "");
    assert_string_equal(st.error_code, "");
    assert_string_equal(st.job_tag, "job0123abcd");
    assert_string_equal(st.chunk_tag, "c000004");
}

static void test_status_words(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        batch_remote_state_t state;
    } words[] = {
        {"validating", BATCH_REMOTE_VALIDATING}, {"in_progress", BATCH_REMOTE_RUNNING},
        {"finalizing", BATCH_REMOTE_FINALIZING}, {"completed", BATCH_REMOTE_ENDED},
        {"failed", BATCH_REMOTE_FAILED},         {"expired", BATCH_REMOTE_EXPIRED},
        {"cancelling", BATCH_REMOTE_CANCELLING}, {"cancelled", BATCH_REMOTE_CANCELLED},
        {"paused", BATCH_REMOTE_UNKNOWN},        {"canceling", BATCH_REMOTE_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"id\":\"batch_1\",\"status\":\"%s\",\"request_counts\":{\"total\":10,"
                 "\"completed\":6,\"failed\":1}}",
                 words[i].word);
        batch_status_t st;
        assert_int_equal(parse_status(json, &st), 0);
        assert_int_equal(st.state, words[i].state);
        assert_string_equal(st.state_word, words[i].word);
        assert_int_equal(st.total, 10);
        assert_int_equal(st.succeeded, 6);
        assert_int_equal(st.failed, 1);
        assert_int_equal(st.pending, 3);
        assert_string_equal(st.job_tag, "");
    }
}

static void test_status_completed(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(parse_status("{\"id\":\"batch_1\",\"status\":\"completed\","
                                  "\"output_file_id\":\"file-out9\",\"error_file_id\":"
                                  "\"file-err9\",\"request_counts\":{\"total\":3,\"completed\":2,"
                                  "\"failed\":1}}",
                                  &st),
                     0);
    assert_int_equal(st.state, BATCH_REMOTE_ENDED);
    assert_string_equal(st.output_ref, "file-out9");
    assert_string_equal(st.error_ref, "file-err9");
    /* every line failed: no output file (kaapi-backend#723) */
    assert_int_equal(parse_status("{\"id\":\"batch_1\",\"status\":\"completed\","
                                  "\"output_file_id\":null,\"error_file_id\":\"file-err9\"}",
                                  &st),
                     0);
    assert_string_equal(st.output_ref, "");
    assert_int_equal(st.total, -1);
    assert_int_equal(st.pending, -1);
}

static void test_status_token_limit(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(
        parse_status("{\"id\":\"batch_1\",\"status\":\"failed\",\"errors\":{\"object\":\"list\","
                     "\"data\":[{\"code\":\"token_limit_exceeded\",\"line\":null,\"param\":null,"
                     "\"message\":\"Enqueued token limit reached for gpt-4o-mini in organization "
                     "org-x. Limit: 2,000,000 enqueued tokens.\"}]}}",
                     &st),
        0);
    assert_int_equal(st.state, BATCH_REMOTE_FAILED);
    assert_string_equal(st.error_code, "token_limit_exceeded");
    assert_string_equal(st.error_message, "Enqueued token limit reached for gpt-4o-mini in "
                                          "organization org-x. Limit: 2,000,000 enqueued tokens.");
    assert_int_equal(st.n_error_lines, 0);
}

static void test_status_validation(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(
        parse_status("{\"id\":\"batch_1\",\"status\":\"failed\",\"errors\":{\"object\":\"list\","
                     "\"data\":[{\"code\":\"invalid_json_line\",\"line\":2,\"message\":\"This line "
                     "is not parseable as valid JSON.\",\"param\":null},{\"code\":"
                     "\"duplicate_custom_id\",\"line\":5,\"message\":\"dup\",\"param\":null},"
                     "{\"code\":\"x\",\"line\":-3},{\"code\":\"y\",\"line\":\"7\"}]}}",
                     &st),
        0);
    assert_string_equal(st.error_code, "invalid_json_line");
    assert_string_equal(st.error_message, "This line is not parseable as valid JSON.");
    assert_int_equal(st.n_error_lines, 2);
    assert_int_equal(st.error_lines[0], 2);
    assert_int_equal(st.error_lines[1], 5);

    /* more lines named than kept: the first BATCH_MAX_ERROR_LINES */
    char json[8192];
    size_t at = (size_t)snprintf(
        json, sizeof json, "{\"id\":\"batch_1\",\"status\":\"failed\",\"errors\":{\"data\":[");
    for (int i = 1; i <= 40; i++)
        at += (size_t)snprintf(json + at, sizeof json - at, "%s{\"code\":\"c\",\"line\":%d}",
                               i > 1 ? "," : "", i);
    snprintf(json + at, sizeof json - at, "]}}");
    assert_int_equal(parse_status(json, &st), 0);
    assert_int_equal(st.n_error_lines, BATCH_MAX_ERROR_LINES);
    assert_int_equal(st.error_lines[BATCH_MAX_ERROR_LINES - 1], BATCH_MAX_ERROR_LINES);
}

static void test_status_refused(void **state)
{
    (void)state;
    batch_status_t st;
    const char *bad[] = {
        "",
        "not json",
        "[]",
        "{\"error\":{\"message\":\"No such batch\",\"type\":\"invalid_request_error\"}}",
        "{\"id\":\"batch_1\"}",
        "{\"id\":\"../batch_1\",\"status\":\"completed\"}",
        "{\"id\":\"batch_1\",\"object\":\"file\",\"status\":\"completed\"}",
        "{\"id\":\"batch_1\",\"status\":\"completed\",\"output_file_id\":\"../../admin\"}",
        "{\"id\":\"batch_1\",\"status\":\"completed\",\"error_file_id\":7}",
        "{\"id\":\"batch_1\",\"id\":\"batch_2\",\"status\":\"completed\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_status(bad[i], &st), -1);
        assert_true(st.error_message[0] != '\0');
    }
}

static void test_status_scrubbed_and_clamped(void **state)
{
    (void)state;
    char json[1024];
    snprintf(json, sizeof json,
             "{\"id\":\"batch_1\",\"status\":\"%s\",\"errors\":{\"data\":[{\"code\":\"%s\","
             "\"message\":\"bad key %s\\nsecond line\"}]},\"metadata\":{\"visionbatch_job\":"
             "\"%s\",\"visionbatch_chunk\":\"c 1\"},\"request_counts\":{\"total\":"
             "1000000000000,\"completed\":-4,\"failed\":2}}",
             key, key, key, key);
    batch_status_t st;
    assert_int_equal(parse_status(json, &st), 0);
    assert_int_equal(st.state, BATCH_REMOTE_UNKNOWN);
    assert_string_equal(st.state_word, "[redacted]");
    assert_string_equal(st.error_code, "[redacted]");
    assert_string_equal(st.error_message, "bad key [redacted] second line");
    assert_string_equal(st.job_tag, ""); /* not a tag submit could have written */
    assert_string_equal(st.chunk_tag, "");
    assert_int_equal(st.total, -1);
    assert_int_equal(st.succeeded, -1);
    assert_int_equal(st.failed, 2);
    assert_int_equal(st.pending, -1);
}

/* ---- result lines ---------------------------------------------------------------------- */

static void parse_line(const char *line, batch_line_t *l)
{
    C->line_parse(line, strlen(line), key, l);
}

static const char ok_body[] =
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini-2024\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A cat.\"},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":300,\"completion_tokens\":4,"
    "\"total_tokens\":304}}";

static void test_line_ok(void **state)
{
    (void)state;
    char line[1024];
    snprintf(line, sizeof line,
             "{\"id\":\"batch_req_1\",\"custom_id\":\"c000001-1\",\"response\":{\"status_code\":"
             "200,\"request_id\":\"req_1\",\"body\":%s},\"error\":null}",
             ok_body);
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c000001-1");
    assert_int_equal(l.http_status, 200);
    assert_int_equal(l.answer.action, ANSWER_OK);
    assert_string_equal(l.answer.content, "A cat.");
    assert_string_equal(l.answer.model, "gpt-4o-mini-2024");
    assert_int_equal(l.answer.prompt_tokens, 300);
    assert_int_equal(l.answer.completion_tokens, 4);
    assert_int_equal(l.answer.total_tokens, 304);
    assert_null(l.answer.error_kind);
    /* the body as it stands in the line */
    assert_true(l.response_body >= line && l.response_body < line + strlen(line));
    assert_int_equal(l.response_len, strlen(ok_body));
    assert_memory_equal(l.response_body, ok_body, l.response_len);
    answer_clear(&l.answer);
}

/* An error-file line with response.status_code and the online error body. */
static void expect_error_line(long status, const char *type, const char *code,
                              answer_action_t action, const char *kind)
{
    char line[1024];
    snprintf(line, sizeof line,
             "{\"id\":\"batch_req_2\",\"custom_id\":\"c000001-2\",\"response\":{\"status_code\":"
             "%ld,\"request_id\":\"req_2\",\"body\":{\"error\":{\"message\":\"it failed\","
             "\"type\":\"%s\",\"param\":null,\"code\":%s%s%s}}},\"error\":null}",
             status, type, code ? "\"" : "", code ? code : "null", code ? "\"" : "");
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c000001-2");
    assert_int_equal(l.http_status, status);
    assert_int_equal(l.answer.action, action);
    assert_string_equal(l.answer.error_kind, kind);
    assert_non_null(strstr(l.answer.error_message, "it failed"));
    assert_null(l.answer.content);
    answer_clear(&l.answer);
}

static void test_line_errors(void **state)
{
    (void)state;
    expect_error_line(400, "invalid_request_error", NULL, ANSWER_FAIL_ITEM, "invalid_request");
    expect_error_line(400, "invalid_request_error", "image_parse_error", ANSWER_FAIL_ITEM,
                      "invalid_request");
    expect_error_line(413, "invalid_request_error", NULL, ANSWER_FAIL_ITEM, "too_large");
    expect_error_line(500, "server_error", NULL, ANSWER_RETRY, "server_error");
    expect_error_line(503, "server_error", NULL, ANSWER_RETRY, "server_error");
    expect_error_line(429, "requests", "rate_limit_exceeded", ANSWER_RETRY, "rate_limited");
    expect_error_line(401, "invalid_request_error", "invalid_api_key", ANSWER_STOP_RUN, "auth");
    expect_error_line(403, "permission_error", NULL, ANSWER_STOP_RUN, "auth");
    expect_error_line(429, "insufficient_quota", "insufficient_quota", ANSWER_STOP_RUN, "quota");
    expect_error_line(400, "invalid_request_error", "billing_hard_limit_reached", ANSWER_STOP_RUN,
                      "quota");
}

static void test_line_not_run(void **state)
{
    (void)state;
    batch_line_t l;
    parse_line("{\"id\":\"batch_req_3\",\"custom_id\":\"c000002-9\",\"response\":null,\"error\":"
               "{\"code\":\"batch_expired\",\"message\":\"This request could not be executed "
               "before the completion window expired.\"}}",
               &l);
    assert_string_equal(l.custom_id, "c000002-9");
    assert_int_equal(l.http_status, 0);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    assert_string_equal(l.answer.error_kind, "batch_expired");
    assert_non_null(strstr(l.answer.error_message, "completion window expired"));
    answer_clear(&l.answer);

    parse_line("{\"custom_id\":\"c2-1\",\"response\":null,\"error\":{\"code\":"
               "\"batch_cancelled\",\"message\":\"cancelled\"}}",
               &l);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    assert_string_equal(l.answer.error_kind, "batch_cancelled");
    answer_clear(&l.answer);

    parse_line("{\"custom_id\":\"c2-1\",\"response\":null,\"error\":{\"code\":"
               "\"something_new\"}}",
               &l);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    assert_string_equal(l.answer.error_kind, "server_error");
    assert_non_null(strstr(l.answer.error_message, "something_new"));
    answer_clear(&l.answer);
}

static void expect_garbled(const char *line, const char *custom_id)
{
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, custom_id);
    assert_int_equal(l.answer.action, ANSWER_FAIL_ITEM);
    assert_string_equal(l.answer.error_kind, "invalid_response");
    assert_true(l.answer.error_message[0] != '\0');
    assert_null(l.answer.content);
    assert_int_equal(l.answer.prompt_tokens, -1);
    assert_null(strstr(l.answer.error_message, key));
    answer_clear(&l.answer);
}

static void test_line_garbled(void **state)
{
    (void)state;
    expect_garbled("", "");
    expect_garbled("{\"custom_id\":\"c1-1\",\"response\":{\"status_co", "");
    expect_garbled("[1,2]", "");
    expect_garbled("{\"custom_id\":\"c1-1\",\"response\":null,\"error\":null}", "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\"}", "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":\"200\",\"body\":{}}}",
                   "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":200}}", "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":1200,\"body\":{}}}",
                   "c1-1");
    expect_garbled("{\"custom_id\":\"not ours!\",\"response\":{\"status_code\":200,\"body\":{}}}",
                   "");
    expect_garbled("{\"custom_id\":\"c1-1\",\"custom_id\":\"c1-2\",\"response\":null,"
                   "\"error\":{\"code\":\"batch_expired\"}}",
                   "");
    char line[256];
    snprintf(line, sizeof line, "not json, with the key %s in it", key);
    expect_garbled(line, "");
    /* an answer whose usage no request can have */
    expect_garbled(
        "{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":200,\"body\":{\"choices\":"
        "[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":5000000000,"
        "\"completion_tokens\":1,\"total_tokens\":5000000001}}}}",
        "c1-1");
}

static void test_line_usage_and_scrub(void **state)
{
    (void)state;
    batch_line_t l;
    parse_line("{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":200,\"body\":{\"choices\":"
               "[{\"message\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":-5,"
               "\"completion_tokens\":3}}}}",
               &l);
    /* a negative count is no bill: the answer is not used and the usage is unknown */
    assert_int_equal(l.answer.action, ANSWER_FAIL_ITEM);
    assert_string_equal(l.answer.error_kind, "invalid_response");
    assert_null(l.answer.content);
    assert_int_equal(l.answer.prompt_tokens, -1);
    assert_int_equal(l.answer.completion_tokens, -1);
    assert_int_equal(l.answer.total_tokens, -1);
    answer_clear(&l.answer);

    /* a 200 without content is retried, as online */
    parse_line("{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":200,\"body\":{\"choices\":"
               "[]}}}",
               &l);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    assert_string_equal(l.answer.error_kind, "invalid_response");
    answer_clear(&l.answer);

    char line[512];
    snprintf(line, sizeof line,
             "{\"custom_id\":\"c1-1\",\"response\":{\"status_code\":401,\"body\":{\"error\":"
             "{\"message\":\"Incorrect API key provided: %s\",\"code\":\"invalid_api_key\"}}}}",
             key);
    parse_line(line, &l);
    assert_int_equal(l.answer.action, ANSWER_STOP_RUN);
    assert_null(strstr(l.answer.error_message, key));
    assert_non_null(strstr(l.answer.error_message, "[redacted]"));
    answer_clear(&l.answer);

    snprintf(line, sizeof line,
             "{\"custom_id\":\"c1-1\",\"response\":null,\"error\":{\"code\":\"batch_expired\","
             "\"message\":\"%s\"}}",
             key);
    parse_line(line, &l);
    assert_null(strstr(l.answer.error_message, key));
    answer_clear(&l.answer);
}

/* ---- the protocol ------------------------------------------------------------------------ */

static batch_submit_t submit(void)
{
    return (batch_submit_t){.base_url = base,
                            .model = "gpt-4o-mini",
                            .upload_path = "/tmp/chunk-4.jsonl",
                            .upload_bytes = 1234,
                            .lines = 3,
                            .job_tag = "job0123abcd",
                            .chunk_tag = "c000004",
                            .secret = key};
}

static void test_upload(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200,
                "{\"id\":\"file-abc123\",\"object\":\"file\",\"bytes\":1234,\"created_at\":1,"
                "\"filename\":\"vb-job0123abcd-c000004.jsonl\",\"purpose\":\"batch\","
                "\"status\":\"processed\"}");
    batch_submit_t s = submit();
    char ref[160], err[512];
    long status = -1;
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), 0);
    assert_string_equal(ref, "file-abc123");
    assert_int_equal(status, 200);
    assert_int_equal(f.n_reqs, 1);
    fake_req_t *r = &f.reqs[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, "http://127.0.0.1:8080/v1/files");
    assert_string_equal(r->form_path, "/tmp/chunk-4.jsonl");
    assert_string_equal(r->form_filename, "vb-job0123abcd-c000004.jsonl");
    assert_int_equal(r->n_form_fields, 1);
    assert_string_equal(r->form_fields[0], "purpose=batch");
    assert_null(r->body);
    fake_free(&f);

    /* refused: the step, the status and the server's words, never the key */
    fake_init(&f, &h);
    char body[256];
    snprintf(body, sizeof body,
             "{\"error\":{\"message\":\"Incorrect API key provided: %s.\",\"type\":"
             "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
             key);
    fake_answer(&f, 401, body);
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_int_equal(status, 401);
    assert_string_equal(err, "openai upload: HTTP 401: Incorrect API key provided: [redacted]. "
                             "(invalid_api_key)");
    fake_free(&f);

    /* no answer at all */
    fake_init(&f, &h);
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_int_equal(status, 0);
    assert_string_equal(err, "openai upload: no answer: connection refused");
    fake_free(&f);

    /* an id that would move the URL */
    fake_init(&f, &h);
    fake_answer(&f, 200, "{\"id\":\"../files\"}");
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_string_equal(ref, "");
    assert_non_null(strstr(err, "openai upload: HTTP 200 without a usable file id"));
    fake_free(&f);

    /* tags outside the rule never reach the server */
    fake_init(&f, &h);
    s.chunk_tag = "c/4";
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_int_equal(f.n_reqs, 0);
    fake_free(&f);
}

static void test_create(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200,
                "{\"id\":\"batch_777\",\"object\":\"batch\",\"status\":\"validating\","
                "\"request_counts\":{\"total\":0,\"completed\":0,\"failed\":0},\"metadata\":"
                "{\"visionbatch_job\":\"job0123abcd\",\"visionbatch_chunk\":\"c000004\"}}");
    batch_submit_t s = submit();
    batch_status_t st;
    char err[512];
    long status = 0;
    assert_int_equal(C->create(&h, &s, "file-abc123", &st, &status, err, sizeof err), 0);
    assert_int_equal(status, 200);
    assert_string_equal(st.id, "batch_777");
    assert_int_equal(st.state, BATCH_REMOTE_VALIDATING);
    fake_req_t *r = &f.reqs[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, "http://127.0.0.1:8080/v1/batches");
    assert_string_equal(r->body_type, "application/json");
    json_error_t jerr;
    json_t *got = json_loads(r->body, 0, &jerr);
    json_t *want = json_loads("{\"input_file_id\":\"file-abc123\",\"endpoint\":\"/v1/chat/"
                              "completions\",\"completion_window\":\"24h\",\"metadata\":"
                              "{\"visionbatch_job\":\"job0123abcd\",\"visionbatch_chunk\":"
                              "\"c000004\"}}",
                              0, &jerr);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    fake_free(&f);

    /* "Cannot find file" right after an upload (curator#116): a 400 with its words */
    fake_init(&f, &h);
    fake_answer(&f, 400,
                "{\"error\":{\"message\":\"Cannot find file file-abc123.\",\"type\":"
                "\"invalid_request_error\"}}");
    assert_int_equal(C->create(&h, &s, "file-abc123", &st, &status, err, sizeof err), -1);
    assert_int_equal(status, 400);
    assert_string_equal(err, "openai create: HTTP 400: Cannot find file file-abc123. "
                             "(invalid_request_error)");
    fake_free(&f);

    /* a 200 that is not a batch */
    fake_init(&f, &h);
    fake_answer(&f, 200, "<html>oops</html>");
    assert_int_equal(C->create(&h, &s, "file-abc123", &st, &status, err, sizeof err), -1);
    assert_int_equal(status, 200);
    assert_string_equal(err, "openai create: HTTP 200 but not a batch object: not a JSON object");
    fake_free(&f);
}

static void test_poll_cancel(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200,
                "{\"id\":\"batch_777\",\"status\":\"in_progress\",\"request_counts\":"
                "{\"total\":3,\"completed\":1,\"failed\":0}}");
    fake_answer(&f, 200, "{\"id\":\"batch_777\",\"status\":\"cancelling\"}");
    fake_answer(&f, 404, "{\"error\":{\"message\":\"No batch found with id 'batch_x'.\"}}");
    batch_status_t st;
    char err[512];
    long status = 0;
    assert_int_equal(C->poll(&h, base, "batch_777", key, &st, &status, err, sizeof err), 0);
    assert_int_equal(st.state, BATCH_REMOTE_RUNNING);
    assert_int_equal(st.pending, 2);
    assert_int_equal(C->cancel(&h, base, "batch_777", key, err, sizeof err), 0);
    assert_int_equal(C->poll(&h, base, "batch_x", key, &st, &status, err, sizeof err), -1);
    assert_int_equal(status, 404);
    assert_string_equal(err, "openai poll: HTTP 404: No batch found with id 'batch_x'.");
    assert_string_equal(f.reqs[0].method, "GET");
    assert_string_equal(f.reqs[0].url, "http://127.0.0.1:8080/v1/batches/batch_777");
    assert_string_equal(f.reqs[1].method, "POST");
    assert_string_equal(f.reqs[1].url, "http://127.0.0.1:8080/v1/batches/batch_777/cancel");
    /* an id that is not one never becomes a URL */
    assert_int_equal(C->poll(&h, base, "batch_1/../../files", key, &st, &status, err, sizeof err),
                     -1);
    assert_int_equal(f.n_reqs, 3);
    fake_free(&f);
}

static void test_results(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    char output[2048];
    snprintf(
        output, sizeof output,
        "{\"custom_id\":\"c4-2\",\"response\":{\"status_code\":200,\"body\":%s},\"error\":null}"
        "\n\r\n{\"custom_id\":\"c4-1\",\"response\":{\"status_code\":200,\"body\":%s},"
        "\"error\":null}\n",
        ok_body, ok_body);
    fake_answer(&f, 200, output);
    fake_answer(
        &f, 200,
        "{\"custom_id\":\"c4-3\",\"response\":{\"status_code\":400,\"body\":{\"error\":"
        "{\"message\":\"bad image\",\"type\":\"invalid_request_error\"}}},\"error\":null}\n");
    batch_status_t st;
    batch_status_init(&st);
    st.state = BATCH_REMOTE_ENDED;
    snprintf(st.id, sizeof st.id, "batch_777");
    snprintf(st.output_ref, sizeof st.output_ref, "file-out");
    snprintf(st.error_ref, sizeof st.error_ref, "file-err");
    collected_t c = {0};
    char err[512];
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.ids[0], "c4-2");
    assert_string_equal(c.ids[1], "c4-1");
    assert_string_equal(c.ids[2], "c4-3");
    assert_int_equal(c.actions[0], ANSWER_OK);
    assert_string_equal(c.content[1], "A cat.");
    assert_int_equal(c.prompt[1], 300);
    assert_int_equal(c.actions[2], ANSWER_FAIL_ITEM);
    assert_int_equal(c.statuses[2], 400);
    assert_int_equal(f.n_reqs, 2);
    assert_true(f.reqs[0].streamed && f.reqs[1].streamed);
    assert_string_equal(f.reqs[0].url, "http://127.0.0.1:8080/v1/files/file-out/content");
    assert_string_equal(f.reqs[1].url, "http://127.0.0.1:8080/v1/files/file-err/content");
    fake_free(&f);

    /* only an error file; its download refused */
    fake_init(&f, &h);
    fake_answer(&f, 404, "{\"error\":{\"message\":\"No such File object: file-err\"}}");
    st.output_ref[0] = '\0';
    memset(&c, 0, sizeof c);
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), -1);
    assert_string_equal(err, "openai results (error file file-err): HTTP 404: No such File "
                             "object: file-err");
    assert_int_equal(f.n_reqs, 1);
    fake_free(&f);

    /* a completed batch naming no file at all */
    fake_init(&f, &h);
    st.error_ref[0] = '\0';
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), -1);
    assert_int_equal(f.n_reqs, 0);
    /* an expired one may have read nothing */
    st.state = BATCH_REMOTE_EXPIRED;
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), 0);
    fake_free(&f);
}

static void test_find(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200,
                "{\"object\":\"list\",\"data\":[{\"id\":\"batch_9\",\"status\":\"completed\","
                "\"metadata\":{\"visionbatch_job\":\"job0123abcd\",\"visionbatch_chunk\":"
                "\"c000005\"}},{\"id\":\"batch_8\",\"status\":\"failed\",\"metadata\":null},"
                "{\"garbage\":1}],\"first_id\":\"batch_9\",\"last_id\":\"batch_8\","
                "\"has_more\":true}");
    fake_answer(&f, 200,
                "{\"object\":\"list\",\"data\":[{\"id\":\"batch_7\",\"status\":\"in_progress\","
                "\"metadata\":{\"visionbatch_job\":\"job0123abcd\",\"visionbatch_chunk\":"
                "\"c000004\"}},{\"id\":\"batch_6\",\"status\":\"completed\",\"metadata\":"
                "{\"visionbatch_job\":\"job0123abcd\",\"visionbatch_chunk\":\"c000004\"}}],"
                "\"first_id\":\"batch_7\",\"last_id\":\"batch_6\",\"has_more\":false}");
    batch_submit_t s = submit();
    batch_status_t st;
    char err[512];
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), 1);
    assert_string_equal(st.id, "batch_7"); /* the newest of the chunk's */
    assert_int_equal(st.state, BATCH_REMOTE_RUNNING);
    assert_int_equal(f.n_reqs, 2);
    assert_string_equal(f.reqs[0].url, "http://127.0.0.1:8080/v1/batches?limit=100");
    assert_string_equal(f.reqs[1].url, "http://127.0.0.1:8080/v1/batches?limit=100&after=batch_8");
    fake_free(&f);

    /* none: the pages end */
    fake_init(&f, &h);
    fake_answer(&f, 200, "{\"object\":\"list\",\"data\":[],\"has_more\":false}");
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), 0);
    fake_free(&f);

    /* at most ten pages, however many the server says there are */
    fake_init(&f, &h);
    static char pages[12][128];
    for (int i = 0; i < 12; i++) {
        snprintf(pages[i], sizeof pages[i],
                 "{\"data\":[{\"id\":\"batch_p%d\",\"status\":\"completed\"}],\"last_id\":"
                 "\"batch_p%d\",\"has_more\":true}",
                 i, i);
        fake_answer(&f, 200, pages[i]);
    }
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), 0);
    assert_int_equal(f.n_reqs, 10);
    fake_free(&f);

    /* the listing refused */
    fake_init(&f, &h);
    fake_answer(&f, 500, "{\"error\":{\"message\":\"internal\"}}");
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), -1);
    assert_string_equal(err, "openai find: HTTP 500: internal");
    fake_free(&f);
}

/* A batch call answered by a redirect fails naming where it points (never followed), the
 * Location's credentials and query left out, the key nowhere. */
static void test_call_redirect_named(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 307, "");
    f.answers[0].header_name = "Location";
    f.answers[0].header_value = "https://bob:pw@other.example/v1/files?token=sk-batch-key-1234";
    batch_req_t req = {.method = "GET", .url = "http://127.0.0.1:9/v1/files"};
    batch_resp_t resp;
    char err[700];
    assert_int_equal(batch_call(&h, &req, "upload", "sk-batch-key-1234", &resp, NULL, err,
                                sizeof err),
                     -1);
    assert_non_null(strstr(err, "upload: HTTP 307: the server redirects to "
                                "https://other.example/v1/files;"));
    assert_null(strstr(err, "bob"));
    assert_null(strstr(err, "sk-batch-key-1234"));
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_created),
        cmocka_unit_test(test_status_words),
        cmocka_unit_test(test_status_completed),
        cmocka_unit_test(test_status_token_limit),
        cmocka_unit_test(test_status_validation),
        cmocka_unit_test(test_status_refused),
        cmocka_unit_test(test_status_scrubbed_and_clamped),
        cmocka_unit_test(test_line_ok),
        cmocka_unit_test(test_line_errors),
        cmocka_unit_test(test_line_not_run),
        cmocka_unit_test(test_line_garbled),
        cmocka_unit_test(test_line_usage_and_scrub),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_poll_cancel),
        cmocka_unit_test(test_results),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_call_redirect_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
