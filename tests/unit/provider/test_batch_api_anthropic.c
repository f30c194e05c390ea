/* test_batch_api_anthropic.c - Anthropic's batch codec (anthropic_batch_*.c):
 * message_batch objects in every processing_status (both spellings of canceling), every
 * kind of result line with each error type mapped to its online status
 * (batch-api-facts.md §2, §4), the key scrubbed, and create / poll / results / cancel as
 * the requests they make against a recording batch_http_t (batch_fake_http.h). */
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

static const char key[] = "sk-ant-api03-SECRETKEY0123456789";
#define C (&batch_codec_anthropic)

static int parse_status(const char *json, batch_status_t *st)
{
    return C->status_parse(json, strlen(json), key, st);
}

static void test_status_created(void **state)
{
    (void)state;
    batch_status_t st;
    assert_int_equal(
        parse_status("{\"id\":\"msgbatch_013Zva2CMHLNnXjNJJKqJ2EF\",\"type\":\"message_batch\","
                     "\"processing_status\":\"in_progress\",\"request_counts\":{\"processing\":3,"
                     "\"succeeded\":0,\"errored\":0,\"canceled\":0,\"expired\":0},\"created_at\":"
                     "\"2026-11-20T10:00:00Z\",\"expires_at\":\"2026-11-21T10:00:00Z\","
                     "\"ended_at\":null,\"cancel_initiated_at\":null,\"archived_at\":null,"
                     "\"results_url\":null}",
                     &st),
        0);
    assert_string_equal(st.id, "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_int_equal(st.state, BATCH_REMOTE_RUNNING);
    assert_string_equal(st.state_word, "in_progress");
    assert_int_equal(st.total, 3);
    assert_int_equal(st.pending, 3);
    assert_int_equal(st.succeeded, 0);
    assert_int_equal(st.failed, 0);
    /* results are read under the base URL by id */
    assert_string_equal(st.output_ref, "msgbatch_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_string_equal(st.error_ref, "");
    assert_string_equal(st.job_tag, ""); /* no metadata on Message Batches */
}

static void test_status_words(void **state)
{
    (void)state;
    static const struct {
        const char *word, *extra;
        batch_remote_state_t state;
    } words[] = {
        {"in_progress", "", BATCH_REMOTE_RUNNING},
        {"canceling", "", BATCH_REMOTE_CANCELLING},
        {"cancelling", "", BATCH_REMOTE_CANCELLING},
        {"ended", ",\"cancel_initiated_at\":null", BATCH_REMOTE_ENDED},
        {"ended", ",\"cancel_initiated_at\":\"2026-11-20T10:05:00Z\"", BATCH_REMOTE_CANCELLED},
        {"canceled", "", BATCH_REMOTE_CANCELLED},
        {"validating", "", BATCH_REMOTE_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"id\":\"msgbatch_1\",\"type\":\"message_batch\",\"processing_status\":\"%s\""
                 "%s,\"request_counts\":{\"processing\":0,\"succeeded\":5,\"errored\":1,"
                 "\"canceled\":2,\"expired\":3}}",
                 words[i].word, words[i].extra);
        batch_status_t st;
        assert_int_equal(parse_status(json, &st), 0);
        assert_int_equal(st.state, words[i].state);
        assert_string_equal(st.state_word, words[i].word);
        assert_int_equal(st.total, 11);
        assert_int_equal(st.succeeded, 5);
        assert_int_equal(st.failed, 6);
        assert_int_equal(st.pending, 0);
    }
}

static void test_status_refused(void **state)
{
    (void)state;
    batch_status_t st;
    const char *bad[] = {
        "",
        "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"x\"}}",
        "{\"id\":\"msgbatch_1\",\"type\":\"message_batch\"}",
        "{\"id\":\"msgbatch/1\",\"type\":\"message_batch\",\"processing_status\":\"ended\"}",
        "{\"id\":\"msgbatch_1\",\"type\":\"message\",\"processing_status\":\"ended\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_status(bad[i], &st), -1);
        assert_true(st.error_message[0] != '\0');
    }
    /* counts partly absent: the sums are unknown */
    assert_int_equal(parse_status("{\"id\":\"msgbatch_1\",\"processing_status\":\"ended\","
                                  "\"request_counts\":{\"succeeded\":2,\"errored\":\"x\"}}",
                                  &st),
                     0);
    assert_int_equal(st.succeeded, 2);
    assert_int_equal(st.failed, -1);
    assert_int_equal(st.total, -1);
    assert_int_equal(st.pending, -1);
}

/* ---- result lines ---------------------------------------------------------------------- */

static void parse_line(const char *line, batch_line_t *l)
{
    C->line_parse(line, strlen(line), key, l);
}

static const char message[] =
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-5-5\","
    "\"content\":[{\"type\":\"text\",\"text\":\"A red \"},{\"type\":\"text\",\"text\":\"car.\"}],"
    "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":1200,"
    "\"cache_read_input_tokens\":30,\"output_tokens\":9,\"service_tier\":\"batch\"}}";

static void test_line_succeeded(void **state)
{
    (void)state;
    char line[1024];
    snprintf(line, sizeof line,
             "{\"custom_id\":\"c000001-3\",\"result\":{\"type\":\"succeeded\",\"message\":%s}}",
             message);
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c000001-3");
    assert_int_equal(l.http_status, 200);
    assert_int_equal(l.answer.action, ANSWER_OK);
    assert_string_equal(l.answer.content, "A red car.");
    assert_string_equal(l.answer.model, "claude-sonnet-5-5");
    assert_int_equal(l.answer.prompt_tokens, 1230);
    assert_int_equal(l.answer.completion_tokens, 9);
    assert_int_equal(l.answer.total_tokens, 1239);
    assert_int_equal(l.response_len, strlen(message));
    assert_memory_equal(l.response_body, message, l.response_len);
    answer_clear(&l.answer);

    /* a refusal is the item's failure, as online */
    parse_line(
        "{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":"
        "[{\"type\":\"text\",\"text\":\"I can't.\"}],\"stop_reason\":\"refusal\","
        "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}}}",
        &l);
    assert_int_equal(l.answer.action, ANSWER_FAIL_ITEM);
    assert_string_equal(l.answer.error_kind, "refused");
    answer_clear(&l.answer);
}

static void expect_errored(const char *type, const char *msg, long status, answer_action_t action,
                           const char *kind)
{
    char line[1024];
    snprintf(line, sizeof line,
             "{\"custom_id\":\"c000001-4\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":"
             "\"error\",\"error\":{\"type\":\"%s\",\"message\":\"%s\"},\"request_id\":"
             "\"req_1\"}}}",
             type, msg);
    batch_line_t l;
    parse_line(line, &l);
    assert_string_equal(l.custom_id, "c000001-4");
    assert_int_equal(l.http_status, status);
    assert_int_equal(l.answer.action, action);
    assert_string_equal(l.answer.error_kind, kind);
    assert_non_null(strstr(l.answer.error_message, type));
    assert_null(l.answer.content);
    answer_clear(&l.answer);
}

static void test_line_errored(void **state)
{
    (void)state;
    expect_errored("invalid_request_error", "messages.0: bad image", 400, ANSWER_FAIL_ITEM,
                   "invalid_request");
    expect_errored("authentication_error", "invalid x-api-key", 401, ANSWER_STOP_RUN, "auth");
    expect_errored("billing_error", "billing", 402, ANSWER_STOP_RUN, "quota");
    expect_errored("permission_error", "no", 403, ANSWER_STOP_RUN, "auth");
    expect_errored("not_found_error", "model: x", 404, ANSWER_FAIL_ITEM, "invalid_request");
    expect_errored("request_too_large", "too big", 413, ANSWER_FAIL_ITEM, "too_large");
    expect_errored("rate_limit_error", "slow down", 429, ANSWER_RETRY, "rate_limited");
    expect_errored("api_error", "internal", 500, ANSWER_RETRY, "server_error");
    expect_errored("timeout_error", "timeout", 504, ANSWER_RETRY, "server_error");
    expect_errored("overloaded_error", "Overloaded", 529, ANSWER_RETRY, "overloaded");
    expect_errored("brand_new_error", "?", 500, ANSWER_RETRY, "server_error");
    /* low credit comes per line as an invalid_request_error (curator#296): the run stops */
    expect_errored("invalid_request_error",
                   "Your credit balance is too low to access the Anthropic API.", 400,
                   ANSWER_STOP_RUN, "quota");

    /* the inner error object given directly */
    batch_line_t l;
    parse_line("{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":"
               "\"overloaded_error\",\"message\":\"Overloaded\"}}}",
               &l);
    assert_int_equal(l.http_status, 529);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    answer_clear(&l.answer);
}

static void test_line_not_run(void **state)
{
    (void)state;
    batch_line_t l;
    parse_line("{\"custom_id\":\"c1-7\",\"result\":{\"type\":\"canceled\"}}", &l);
    assert_string_equal(l.custom_id, "c1-7");
    assert_int_equal(l.http_status, 0);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    assert_string_equal(l.answer.error_kind, "batch_cancelled");
    answer_clear(&l.answer);
    parse_line("{\"custom_id\":\"c1-8\",\"result\":{\"type\":\"expired\"}}", &l);
    assert_int_equal(l.answer.action, ANSWER_RETRY);
    assert_string_equal(l.answer.error_kind, "batch_expired");
    answer_clear(&l.answer);
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
    expect_garbled("{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"succeeded\"", "");
    expect_garbled("{\"custom_id\":\"c1-1\"}", "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"succeeded\"}}", "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"errored\"}}", "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":"
                   "\"error\"}}}",
                   "c1-1");
    expect_garbled("{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"paused\"}}", "c1-1");
    expect_garbled("{\"custom_id\":7,\"result\":{\"type\":\"expired\"}}", "");
    char line[512];
    snprintf(line, sizeof line,
             "{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"succeeded\",\"message\":{"
             "\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"usage\":{\"input_tokens\":"
             "2000000000,\"output_tokens\":1}}}}");
    expect_garbled(line, "c1-1");
    snprintf(line, sizeof line, "%s", key);
    expect_garbled(line, "");

    /* the key echoed in an error message is scrubbed */
    batch_line_t l;
    snprintf(line, sizeof line,
             "{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":"
             "\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"bad key %s\"}"
             "}}}",
             key);
    parse_line(line, &l);
    assert_int_equal(l.answer.action, ANSWER_STOP_RUN);
    assert_null(strstr(l.answer.error_message, key));
    answer_clear(&l.answer);
}

/* ---- the protocol ------------------------------------------------------------------------ */

static void test_create(void **state)
{
    (void)state;
    const char *bases[] = {"http://127.0.0.1:9000", "http://127.0.0.1:9000/v1/",
                           "https://api.anthropic.com/"};
    const char *urls[] = {"http://127.0.0.1:9000/v1/messages/batches",
                          "http://127.0.0.1:9000/v1/messages/batches",
                          "https://api.anthropic.com/v1/messages/batches"};
    for (int i = 0; i < 3; i++) {
        fake_http_t f;
        batch_http_t h;
        fake_init(&f, &h);
        fake_answer(&f, 200,
                    "{\"id\":\"msgbatch_9\",\"type\":\"message_batch\","
                    "\"processing_status\":\"in_progress\",\"request_counts\":"
                    "{\"processing\":2,\"succeeded\":0,\"errored\":0,\"canceled\":0,"
                    "\"expired\":0}}");
        batch_submit_t s = {.base_url = bases[i],
                            .model = "claude-sonnet-5-5",
                            .upload_path = "/tmp/chunk-1.json",
                            .upload_bytes = 99,
                            .lines = 2,
                            .job_tag = "j1",
                            .chunk_tag = "c1",
                            .secret = key};
        batch_status_t st;
        char err[512];
        long status = 0;
        assert_int_equal(C->create(&h, &s, "", &st, &status, err, sizeof err), 0);
        assert_string_equal(st.id, "msgbatch_9");
        assert_int_equal(st.total, 2);
        fake_req_t *r = &f.reqs[0];
        assert_string_equal(r->method, "POST");
        assert_string_equal(r->url, urls[i]);
        assert_string_equal(r->body_type, "application/json");
        assert_string_equal(r->body_path, "/tmp/chunk-1.json");
        assert_null(r->body);
        fake_free(&f);
    }

    /* a body-level problem is an HTTP error (facts §2) */
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    fake_answer(&f, 400,
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                "\"message\":\"requests.1.custom_id: String should have at most 64 "
                "characters\"}}");
    fake_answer(&f, 413,
                "{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\","
                "\"message\":\"Request exceeds the maximum allowed number of bytes.\"}}");
    batch_submit_t s = {.base_url = "http://h:1", .upload_path = "/tmp/x", .secret = key};
    batch_status_t st;
    char err[512];
    long status = 0;
    assert_int_equal(C->create(&h, &s, "", &st, &status, err, sizeof err), -1);
    assert_int_equal(status, 400);
    assert_string_equal(err, "anthropic create: HTTP 400: requests.1.custom_id: String should "
                             "have at most 64 characters (invalid_request_error)");
    assert_int_equal(C->create(&h, &s, "", &st, &status, err, sizeof err), -1);
    assert_int_equal(status, 413);
    assert_non_null(strstr(err, "HTTP 413"));
    fake_free(&f);
}

static void test_poll_results_cancel(void **state)
{
    (void)state;
    fake_http_t f;
    batch_http_t h;
    fake_init(&f, &h);
    /* results_url names another host: never followed */
    fake_answer(&f, 200,
                "{\"id\":\"msgbatch_9\",\"type\":\"message_batch\","
                "\"processing_status\":\"ended\",\"request_counts\":{\"processing\":0,"
                "\"succeeded\":1,\"errored\":0,\"canceled\":0,\"expired\":1},"
                "\"results_url\":\"https://evil.example/v1/messages/batches/"
                "msgbatch_9/results\"}");
    static char results[1024];
    snprintf(results, sizeof results,
             "{\"custom_id\":\"c1-2\",\"result\":{\"type\":\"expired\"}}\n"
             "{\"custom_id\":\"c1-1\",\"result\":{\"type\":\"succeeded\",\"message\":%s}}\n",
             message);
    fake_answer(&f, 200, results);
    fake_answer(&f, 200,
                "{\"id\":\"msgbatch_9\",\"type\":\"message_batch\","
                "\"processing_status\":\"canceling\"}");
    const char *base = "http://127.0.0.1:9000/v1";
    batch_status_t st;
    char err[512];
    long status = 0;
    assert_int_equal(C->poll(&h, base, "msgbatch_9", key, &st, &status, err, sizeof err), 0);
    assert_int_equal(st.state, BATCH_REMOTE_ENDED);
    collected_t c = {0};
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ids[0], "c1-2");
    assert_string_equal(c.kinds[0], "batch_expired");
    assert_int_equal(c.actions[1], ANSWER_OK);
    assert_string_equal(c.content[1], "A red car.");
    assert_int_equal(C->cancel(&h, base, "msgbatch_9", key, err, sizeof err), 0);
    assert_string_equal(f.reqs[0].method, "GET");
    assert_string_equal(f.reqs[0].url, "http://127.0.0.1:9000/v1/messages/batches/msgbatch_9");
    assert_true(f.reqs[1].streamed);
    assert_string_equal(f.reqs[1].url,
                        "http://127.0.0.1:9000/v1/messages/batches/msgbatch_9/results");
    assert_string_equal(f.reqs[2].method, "POST");
    assert_string_equal(f.reqs[2].url,
                        "http://127.0.0.1:9000/v1/messages/batches/msgbatch_9/cancel");
    fake_free(&f);

    /* results refused, and no answer */
    fake_init(&f, &h);
    fake_answer(&f, 404,
                "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                "\"message\":\"batch not found\"}}");
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), -1);
    assert_string_equal(err, "anthropic results: HTTP 404: batch not found (not_found_error)");
    assert_int_equal(C->results(&h, base, &st, key, collect, &c, err, sizeof err), -1);
    assert_string_equal(err, "anthropic results: no answer: connection reset");
    assert_int_equal(C->cancel(&h, base, "msgbatch_9/../x", key, err, sizeof err), -1);
    assert_int_equal(f.n_reqs, 2);
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_created),      cmocka_unit_test(test_status_words),
        cmocka_unit_test(test_status_refused),      cmocka_unit_test(test_line_succeeded),
        cmocka_unit_test(test_line_errored),        cmocka_unit_test(test_line_not_run),
        cmocka_unit_test(test_line_garbled),        cmocka_unit_test(test_create),
        cmocka_unit_test(test_poll_results_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
