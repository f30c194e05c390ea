/* test_batch_api_gemini.c - the Gemini API's batch codec (gemini_batch_*.c): batches as
 * Operations and bare GenerateContentBatch objects in every BATCH_STATE_* and
 * JOB_STATE_* word, int64 counts as strings, the responses file where each shape puts it,
 * the job and chunk tags read back from the display name; every kind of responses-file
 * line (batch-api-facts.md §3); and upload (the resumable protocol, and the key kept
 * off an upload URL on another host) / create / poll / results / cancel / find as the
 * requests they make against a recording batch_http_t (batch_fake_http.h). */
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

static const char key[] = "AIzaSyTESTSECRETKEY0123456789abcdef";
static const char base[] = "http://127.0.0.1:7000/v1beta";
#define C (&batch_codec_gemini)

static int parse_status(const char *json, batch_status_t *st)
{
    return C->status_parse(json, strlen(json), key, st);
}

static const char created[] =
    "{\"name\":\"batches/abc123\",\"metadata\":{\"@type\":\"type.googleapis.com/"
    "google.ai.generativelanguage.v1beta.GenerateContentBatch\",\"model\":\"models/"
    "gemini-3.5-flash-lite\",\"displayName\":\"vb-job0123abcd-c000004\",\"createTime\":"
    "\"2026-11-20T10:00:00Z\",\"updateTime\":\"2026-11-20T10:00:00Z\",\"state\":"
    "\"BATCH_STATE_PENDING\",\"batchStats\":{\"requestCount\":\"3\",\"pendingRequestCount\":"
    "\"3\"}},\"done\":false}";

static void test_status_operation(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(parse_status(created, &st), 0);
    assert_string_equal(st.id, "batches/abc123");
    assert_int_equal(st.state, BATCH_REMOTE_VALIDATING);
    assert_string_equal(st.state_word, "BATCH_STATE_PENDING");
    assert_int_equal(st.total, 3);
    assert_int_equal(st.pending, 3);
    assert_int_equal(st.succeeded, 0); /* proto3 leaves zeros out */
    assert_int_equal(st.failed, 0);
    assert_string_equal(st.output_ref, "");
    assert_string_equal(st.job_tag, "job0123abcd");
    assert_string_equal(st.chunk_tag, "c000004");

    /* final: the wire page's response.responsesFile */
    assert_int_equal(
        parse_status("{\"name\":\"batches/abc123\",\"metadata\":{\"state\":"
                     "\"BATCH_STATE_SUCCEEDED\",\"displayName\":\"vb-a-b-c-c000001\","
                     "\"batchStats\":{\"requestCount\":\"3\",\"successfulRequestCount\":\"2\","
                     "\"failedRequestCount\":\"1\"}},\"done\":true,\"response\":{\"@type\":"
                     "\"type.googleapis.com/google.ai.generativelanguage.v1beta."
                     "GenerateContentBatchOutput\",\"responsesFile\":\"files/batch-abc123\"}}",
                     &st),
        0);
    assert_int_equal(st.state, BATCH_REMOTE_ENDED);
    assert_string_equal(st.output_ref, "files/batch-abc123");
    assert_int_equal(st.succeeded, 2);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.pending, 0);
    assert_string_equal(st.job_tag, "a-b-c"); /* split at the last '-' */
    assert_string_equal(st.chunk_tag, "c000001");

    /* the SDKs' reading: metadata.output.responsesFile */
    assert_int_equal(parse_status("{\"name\":\"batches/x\",\"metadata\":{\"state\":"
                                  "\"BATCH_STATE_SUCCEEDED\",\"output\":{\"responsesFile\":"
                                  "\"files/batch-x\"}},\"done\":true}",
                                  &st),
                     0);
    assert_string_equal(st.output_ref, "files/batch-x");
    assert_int_equal(st.total, -1); /* no batchStats at all */
}

static void test_status_bare(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(parse_status("{\"name\":\"batches/x9\",\"displayName\":\"someone else's\","
                                  "\"state\":\"JOB_STATE_RUNNING\",\"batchStats\":"
                                  "{\"requestCount\":7,\"pendingRequestCount\":\"4\","
                                  "\"successfulRequestCount\":\"3\"},\"output\":"
                                  "{\"responsesFile\":\"files/batch-x9\"}}",
                                  &st),
                     0);
    assert_string_equal(st.id, "batches/x9");
    assert_int_equal(st.state, BATCH_REMOTE_RUNNING);
    assert_int_equal(st.total, 7);
    assert_int_equal(st.pending, 4);
    assert_string_equal(st.output_ref, "files/batch-x9");
    assert_string_equal(st.job_tag, "");
    assert_string_equal(st.chunk_tag, "");
}

static void test_status_words(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        batch_remote_state_t state;
    } words[] = {
        {"BATCH_STATE_PENDING", BATCH_REMOTE_VALIDATING},
        {"BATCH_STATE_RUNNING", BATCH_REMOTE_RUNNING},
        {"BATCH_STATE_SUCCEEDED", BATCH_REMOTE_ENDED},
        {"BATCH_STATE_FAILED", BATCH_REMOTE_FAILED},
        {"BATCH_STATE_CANCELLED", BATCH_REMOTE_CANCELLED},
        {"BATCH_STATE_EXPIRED", BATCH_REMOTE_EXPIRED},
        {"JOB_STATE_PENDING", BATCH_REMOTE_VALIDATING},
        {"JOB_STATE_QUEUED", BATCH_REMOTE_VALIDATING},
        {"JOB_STATE_RUNNING", BATCH_REMOTE_RUNNING},
        {"JOB_STATE_SUCCEEDED", BATCH_REMOTE_ENDED},
        {"JOB_STATE_FAILED", BATCH_REMOTE_FAILED},
        {"JOB_STATE_CANCELLING", BATCH_REMOTE_CANCELLING},
        {"JOB_STATE_CANCELLED", BATCH_REMOTE_CANCELLED},
        {"JOB_STATE_EXPIRED", BATCH_REMOTE_EXPIRED},
        {"BATCH_STATE_UNSPECIFIED", BATCH_REMOTE_UNKNOWN},
        {"SUCCEEDED", BATCH_REMOTE_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"name\":\"batches/x\",\"metadata\":{\"state\":\"%s\"}}",
                 words[i].word);
        batch_status_t st;
        assert_int_equal(parse_status(json, &st), 0);
        assert_int_equal(st.state, words[i].state);
        assert_string_equal(st.state_word, words[i].word);
    }
}

static void test_status_failed(void **state)
{
    (void)state;
    batch_status_t st;
    char json[512];
    snprintf(json, sizeof json,
             "{\"name\":\"batches/x\",\"metadata\":{\"state\":\"BATCH_STATE_FAILED\"},\"done\":"
             "true,\"error\":{\"code\":400,\"message\":\"line 2 is not valid (key %s)\","
             "\"status\":\"INVALID_ARGUMENT\"}}",
             key);
    assert_int_equal(parse_status(json, &st), 0);
    assert_int_equal(st.state, BATCH_REMOTE_FAILED);
    assert_string_equal(st.error_code, "INVALID_ARGUMENT");
    assert_string_equal(st.error_message, "line 2 is not valid (key [redacted])");
    /* no state word: done with an error is failed, done without one ended */
    assert_int_equal(parse_status("{\"name\":\"batches/x\",\"done\":true,\"error\":{\"code\":13,"
                                  "\"message\":\"internal\"}}",
                                  &st),
                     0);
    assert_int_equal(st.state, BATCH_REMOTE_FAILED);
    assert_string_equal(st.error_code, "13");
    assert_int_equal(parse_status("{\"name\":\"batches/x\",\"done\":true,\"response\":"
                                  "{\"responsesFile\":\"files/batch-x\"}}",
                                  &st),
                     0);
    assert_int_equal(st.state, BATCH_REMOTE_ENDED);
}

static void test_status_refused(void **state)
{
    (void)state;
    batch_status_t st;
    const char *bad[] = {
        "",
        "{}",
        "{\"error\":{\"code\":404,\"message\":\"not found\",\"status\":\"NOT_FOUND\"}}",
        "{\"name\":\"operations/x\",\"metadata\":{\"state\":\"BATCH_STATE_RUNNING\"}}",
        "{\"name\":\"batches/../x\",\"metadata\":{\"state\":\"BATCH_STATE_RUNNING\"}}",
        "{\"name\":\"batches/x\",\"metadata\":{}}",
        "{\"name\":\"batches/x\",\"metadata\":{\"state\":\"BATCH_STATE_SUCCEEDED\"},"
        "\"response\":{\"responsesFile\":\"files/../../x\"}}",
        "{\"name\":\"batches/x\",\"metadata\":{\"state\":\"BATCH_STATE_SUCCEEDED\"},"
        "\"response\":{\"responsesFile\":\"https://evil.example/f\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_status(bad[i], &st), -1);
        assert_true(st.error_message[0] != '\0');
    }
    /* counts beyond belief are unknown */
    assert_int_equal(parse_status("{\"name\":\"batches/x\",\"metadata\":{\"state\":"
                                  "\"BATCH_STATE_RUNNING\",\"batchStats\":{\"requestCount\":"
                                  "\"99999999999\",\"pendingRequestCount\":\"-1\"}}}",
                                  &st),
                     0);
    assert_int_equal(st.total, -1);
    assert_int_equal(st.pending, -1);
}

/* ---- result lines ---------------------------------------------------------------------- */

static void parse_line(const char *line, batch_line_t *l)
{
    C->line_parse(line, strlen(line), key, l);
}

static const char response[] =
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A dog.\"}],\"role\":\"model\"},"
    "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":270,"
    "\"candidatesTokenCount\":3,\"thoughtsTokenCount\":5,\"totalTokenCount\":278},"
    "\"modelVersion\":\"gemini-3.5-flash-lite\",\"responseId\":\"r1\"}";

static void test_line_response(void **state)
{
    (void)state;
    char line[1024];
    snprintf(line, sizeof line, "{\"key\":\"c000004-1\",\"response\":%s}", response);
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c000004-1");
    assert_int_equal(l.http_status, 200);
    assert_int_equal(l.answer.action, ANSWER_OK);
    assert_string_equal(l.answer.content, "A dog.");
    assert_int_equal(l.answer.prompt_tokens, 270);
    assert_int_equal(l.answer.completion_tokens, 8);
    assert_int_equal(l.answer.total_tokens, 278);
    assert_memory_equal(l.response_body, response, strlen(response));
    answer_clear(&l.answer);

    /* withheld for safety: the item fails, as online */
    parse_line("{\"key\":\"c1-1\",\"response\":{\"candidates\":[{\"finishReason\":\"SAFETY\"}]}}",
               &l);
    assert_int_equal(l.answer.action, ANSWER_FAIL_ITEM);
    assert_string_equal(l.answer.error_kind, "refused");
    answer_clear(&l.answer);
}

static void expect_error(const char *error, long status, answer_action_t action, const char *kind)
{
    char line[512];
    snprintf(line, sizeof line, "{\"key\":\"c1-2\",\"error\":%s}", error);
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c1-2");
    assert_int_equal(l.http_status, status);
    assert_int_equal(l.answer.action, action);
    assert_string_equal(l.answer.error_kind, kind);
    assert_null(l.answer.content);
    answer_clear(&l.answer);
}

static void test_line_error(void **state)
{
    (void)state;
    expect_error("{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}", 503,
                 ANSWER_RETRY, "server_error");
    expect_error("{\"code\":500,\"message\":\"x\",\"status\":\"INTERNAL\"}", 500, ANSWER_RETRY,
                 "server_error");
    expect_error("{\"code\":400,\"message\":\"bad image\",\"status\":\"INVALID_ARGUMENT\"}", 400,
                 ANSWER_FAIL_ITEM, "invalid_request");
    expect_error("{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}", 429,
                 ANSWER_RETRY, "rate_limited");
    expect_error("{\"code\":403,\"message\":\"denied\",\"status\":\"PERMISSION_DENIED\"}", 403,
                 ANSWER_STOP_RUN, "auth");
    /* the canonical code instead of an HTTP one */
    expect_error("{\"code\":14,\"message\":\"unavailable\",\"status\":\"UNAVAILABLE\"}", 503,
                 ANSWER_RETRY, "server_error");
    expect_error("{\"code\":3,\"message\":\"bad\"}", 400, ANSWER_FAIL_ITEM, "invalid_request");
    expect_error("{\"code\":\"x\",\"message\":\"?\"}", 500, ANSWER_RETRY, "server_error");
    /* a line the batch never ran */
    expect_error("{\"code\":1,\"message\":\"cancelled\",\"status\":\"CANCELLED\"}", 0, ANSWER_RETRY,
                 "batch_cancelled");
}

static void expect_garbled(const char *line, const char *custom_id)
{
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, custom_id);
    assert_int_equal(l.answer.action, ANSWER_FAIL_ITEM);
    assert_string_equal(l.answer.error_kind, "invalid_response");
    assert_null(l.answer.content);
    assert_null(strstr(l.answer.error_message, key));
    answer_clear(&l.answer);
}

static void test_line_garbled(void **state)
{
    (void)state;
    expect_garbled("{\"key\":\"c1-1\",\"response\":", "");
    expect_garbled("{\"key\":\"c1-1\"}", "c1-1");
    expect_garbled("{\"key\":\"c1-1\",\"response\":\"text\"}", "c1-1");
    expect_garbled("{\"key\":\"../c\",\"response\":{}}", "");
    expect_garbled("{\"key\":\"c1-1\",\"response\":{\"candidates\":[{\"content\":{\"parts\":"
                   "[{\"text\":\"x\"}]}}],\"usageMetadata\":{\"promptTokenCount\":3000000000}}}",
                   "c1-1");
    char line[256];
    snprintf(line, sizeof line, "{\"key\":\"%s\",\"response\":{}}", key);
    expect_garbled(line, "");

    /* inlined results name the key under metadata */
    batch_line_t l;
    snprintf(line, sizeof line, "{\"metadata\":{\"key\":\"c1-5\"},\"response\":%s}", "{}");
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c1-5");
    answer_clear(&l.answer);
}

/* ---- the protocol ------------------------------------------------------------------------ */

static batch_submit_t submit(void)
{
    return (batch_submit_t){.base_url = base,
                            .model = "models/gemini-3.5-flash-lite",
                            .upload_path = "/tmp/chunk-4.jsonl",
                            .upload_bytes = 4321,
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
    fake_answer(&f, 200, "");
    f.answers[0].header_name = "x-goog-upload-url";
    f.answers[0].header_value = "http://127.0.0.1:7000/upload/v1beta/files?upload_id=17";
    fake_answer(&f, 200,
                "{\"file\":{\"name\":\"files/abc\",\"displayName\":\"vb-job0123abcd-c000004\","
                "\"mimeType\":\"application/jsonl\",\"sizeBytes\":\"4321\",\"state\":\"ACTIVE\"}}");
    batch_submit_t s = submit();
    char ref[160], err[512];
    long status = 0;
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), 0);
    assert_string_equal(ref, "files/abc");
    assert_int_equal(status, 200);
    assert_int_equal(f.n_reqs, 2);
    fake_req_t *r = &f.reqs[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, "http://127.0.0.1:7000/upload/v1beta/files");
    assert_int_equal(r->n_headers, 4);
    assert_string_equal(r->headers[0], "X-Goog-Upload-Protocol: resumable");
    assert_string_equal(r->headers[1], "X-Goog-Upload-Command: start");
    assert_string_equal(r->headers[2], "X-Goog-Upload-Header-Content-Length: 4321");
    assert_string_equal(r->headers[3], "X-Goog-Upload-Header-Content-Type: application/jsonl");
    assert_string_equal(r->body_type, "application/json");
    assert_string_equal(r->body, "{\"file\":{\"display_name\":\"vb-job0123abcd-c000004\"}}");
    r = &f.reqs[1];
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->url, "http://127.0.0.1:7000/upload/v1beta/files?upload_id=17");
    assert_int_equal(r->n_headers, 2);
    assert_string_equal(r->headers[0], "X-Goog-Upload-Command: upload, finalize");
    assert_string_equal(r->headers[1], "X-Goog-Upload-Offset: 0");
    assert_string_equal(r->body_path, "/tmp/chunk-4.jsonl");
    fake_free(&f);

    /* the finalize answer as a bare File; then one naming no file */
    fake_init(&f, &h);
    for (int i = 0; i < 2; i++) {
        fake_answer(&f, 200, "");
        f.answers[f.n_answers - 1].header_name = "X-Goog-Upload-URL";
        f.answers[f.n_answers - 1].header_value = "http://127.0.0.1:7000/upload?upload_id=2";
        fake_answer(&f, 200, i == 0 ? "{\"name\":\"files/def\"}" : "{\"file\":{}}");
    }
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), 0);
    assert_string_equal(ref, "files/def");
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_string_equal(ref, "");
    assert_string_equal(err, "gemini upload: HTTP 200 without a usable file name: {\"file\":{}}");
    fake_free(&f);
}

/* The key goes only where the base URL points: an upload URL on another scheme, host or
 * port is refused before anything is sent there. */
static void test_upload_other_origin(void **state)
{
    (void)state;
    const char *urls[] = {"http://evil.example/upload?upload_id=1",
                          "http://127.0.0.1:7001/upload?upload_id=1",
                          "https://127.0.0.1:7000/upload?upload_id=1",
                          "http://127.0.0.1:7000@evil.example/upload", "/upload/v1beta/files"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        fake_http_t f;
        batch_http_t h;
        fake_init(&f, &h);
        fake_answer(&f, 200, "");
        f.answers[0].header_name = "X-Goog-Upload-URL";
        f.answers[0].header_value = urls[i];
        fake_answer(&f, 200, "{\"file\":{\"name\":\"files/abc\"}}");
        batch_submit_t s = submit();
        char ref[160], err[512];
        long status = 0;
        assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
        assert_int_equal(f.n_reqs, 1);
        assert_non_null(strstr(err, "gemini upload (start): the upload URL"));
        fake_free(&f);
    }

    /* no upload URL at all; the start refused */
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200, "{}");
    fake_answer(&f, 400,
                "{\"error\":{\"code\":400,\"message\":\"bad display name\",\"status\":"
                "\"INVALID_ARGUMENT\"}}");
    batch_submit_t s = submit();
    char ref[160], err[512];
    long status = 0;
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_string_equal(err, "gemini upload (start): HTTP 200 without an X-Goog-Upload-URL");
    assert_int_equal(C->upload(&h, &s, ref, sizeof ref, &status, err, sizeof err), -1);
    assert_int_equal(status, 400);
    assert_string_equal(err,
                        "gemini upload (start): HTTP 400: bad display name (INVALID_ARGUMENT)");
    fake_free(&f);
}

static void test_create(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200, created);
    fake_answer(&f, 429,
                "{\"error\":{\"code\":429,\"message\":\"Enqueued tokens limit "
                "exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
    batch_submit_t s = submit();
    batch_status_t st;
    char err[512];
    long status = 0;
    assert_int_equal(C->create(&h, &s, "files/abc", &st, &status, err, sizeof err), 0);
    assert_string_equal(st.id, "batches/abc123");
    assert_int_equal(st.state, BATCH_REMOTE_VALIDATING);
    fake_req_t *r = &f.reqs[0];
    assert_string_equal(r->method, "POST");
    assert_string_equal(
        r->url, "http://127.0.0.1:7000/v1beta/models/gemini-3.5-flash-lite:batchGenerateContent");
    assert_string_equal(r->body_type, "application/json");
    json_error_t jerr;
    json_t *got = json_loads(r->body, 0, &jerr);
    json_t *want = json_loads("{\"batch\":{\"display_name\":\"vb-job0123abcd-c000004\","
                              "\"input_config\":{\"file_name\":\"files/abc\"}}}",
                              0, &jerr);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    /* over the enqueued-token limit: 429 at create (facts §3) */
    assert_int_equal(C->create(&h, &s, "files/abc", &st, &status, err, sizeof err), -1);
    assert_int_equal(status, 429);
    assert_string_equal(err, "gemini create: HTTP 429: Enqueued tokens limit exceeded "
                             "(RESOURCE_EXHAUSTED)");
    /* a model the path cannot carry, a file that is not one: nothing sent */
    s.model = "gemini/../x";
    assert_int_equal(C->create(&h, &s, "files/abc", &st, &status, err, sizeof err), -1);
    s = submit();
    assert_int_equal(C->create(&h, &s, "abc", &st, &status, err, sizeof err), -1);
    assert_int_equal(f.n_reqs, 2);
    fake_free(&f);
}

static void test_poll_cancel_results(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200,
                "{\"name\":\"batches/abc123\",\"metadata\":{\"state\":"
                "\"BATCH_STATE_SUCCEEDED\"},\"done\":true,\"response\":"
                "{\"responsesFile\":\"files/batch-abc123\"}}");
    fake_answer(&f, 200, "{}");
    static char lines[1024];
    snprintf(lines, sizeof lines,
             "{\"key\":\"c4-3\",\"error\":{\"code\":503,\"message\":\"x\",\"status\":"
             "\"UNAVAILABLE\"}}\n{\"key\":\"c4-1\",\"response\":%s}",
             response);
    fake_answer(&f, 200, lines);
    batch_status_t st;
    char err[512];
    long status = 0;
    assert_int_equal(C->poll(&h, base, "batches/abc123", key, &st, &status, err, sizeof err), 0);
    assert_int_equal(st.state, BATCH_REMOTE_ENDED);
    assert_int_equal(C->cancel(&h, base, "batches/abc123", key, err, sizeof err), 0);
    collected_t c = {0};
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ids[0], "c4-3");
    assert_int_equal(c.actions[0], ANSWER_RETRY);
    assert_int_equal(c.statuses[0], 503);
    assert_string_equal(c.content[1], "A dog.");
    assert_string_equal(f.reqs[0].method, "GET");
    assert_string_equal(f.reqs[0].url, "http://127.0.0.1:7000/v1beta/batches/abc123");
    assert_string_equal(f.reqs[1].method, "POST");
    assert_string_equal(f.reqs[1].url, "http://127.0.0.1:7000/v1beta/batches/abc123:cancel");
    assert_true(f.reqs[2].streamed);
    assert_string_equal(f.reqs[2].url, "http://127.0.0.1:7000/download/v1beta/files/"
                                       "batch-abc123:download?alt=media");
    fake_free(&f);

    /* an expired batch has no results: nothing read; a succeeded one without a file */
    fake_init(&f, &h);
    batch_status_init(&st);
    snprintf(st.id, sizeof st.id, "batches/x");
    st.state = BATCH_REMOTE_EXPIRED;
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), 0);
    st.state = BATCH_REMOTE_ENDED;
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), -1);
    assert_string_equal(err, "gemini results: batch batches/x succeeded but names no "
                             "responsesFile");
    assert_int_equal(C->poll(&h, base, "batches/a/b", key, &st, &status, err, sizeof err), -1);
    assert_int_equal(f.n_reqs, 0);
    fake_free(&f);
}

static void test_find(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 200,
                "{\"operations\":[{\"name\":\"batches/o1\",\"metadata\":{\"state\":"
                "\"BATCH_STATE_SUCCEEDED\",\"displayName\":\"vb-job0123abcd-c000005\"}}],"
                "\"nextPageToken\":\"tok/en=1\"}");
    fake_answer(&f, 200,
                "{\"operations\":[{\"name\":\"batches/o2\",\"metadata\":{\"state\":"
                "\"BATCH_STATE_RUNNING\",\"displayName\":\"vb-job0123abcd-c000004\"}}]}");
    batch_submit_t s = submit();
    batch_status_t st;
    char err[512];
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), 1);
    assert_string_equal(st.id, "batches/o2");
    assert_int_equal(st.state, BATCH_REMOTE_RUNNING);
    assert_string_equal(f.reqs[0].url, "http://127.0.0.1:7000/v1beta/batches?pageSize=100");
    assert_string_equal(f.reqs[1].url,
                        "http://127.0.0.1:7000/v1beta/batches?pageSize=100&pageToken=tok%2Fen%3D1");
    fake_free(&f);

    fake_init(&f, &h);
    fake_answer(&f, 200, "{}");
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), 0);
    fake_answer(&f, 200, "[]");
    assert_int_equal(C->find(&h, &s, &st, err, sizeof err), -1);
    assert_string_equal(err, "gemini find: HTTP 200 but not a list of batches");
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_operation),
        cmocka_unit_test(test_status_bare),
        cmocka_unit_test(test_status_words),
        cmocka_unit_test(test_status_failed),
        cmocka_unit_test(test_status_refused),
        cmocka_unit_test(test_line_response),
        cmocka_unit_test(test_line_error),
        cmocka_unit_test(test_line_garbled),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_upload_other_origin),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_poll_cancel_results),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
