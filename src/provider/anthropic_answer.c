/* anthropic_answer.c - what a Messages API answer says: the model's text and usage, or
 * the verdict on an error (batch-api-facts.md §4; platform.claude.com/docs/en/api/errors).
 * The kinds are those of openai_answer.c, so the engine and the output read the same
 * words whatever the provider. */
#include "provider/anthropic.h"
#include "provider/anthropic_internal.h"

#include "provider/answer_words.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An error answer's verdict: by the error's type when it is one Anthropic documents (the
 * type says what happened even when a proxy changed the status), else by the status. */
typedef struct verdict {
    answer_action_t action;
    const char *kind;
} verdict_t;

static const struct {
    const char *type;
    long status;
    verdict_t v;
} error_types[] = {
    {"invalid_request_error", 400, {ANSWER_FAIL_ITEM, "invalid_request"}},
    {"authentication_error", 401, {ANSWER_STOP_RUN, "auth"}},
    {"billing_error", 402, {ANSWER_STOP_RUN, "quota"}},
    {"permission_error", 403, {ANSWER_STOP_RUN, "auth"}},
    {"not_found_error", 404, {ANSWER_FAIL_ITEM, "invalid_request"}},
    {"request_too_large", 413, {ANSWER_FAIL_ITEM, "too_large"}},
    {"rate_limit_error", 429, {ANSWER_RETRY, "rate_limited"}},
    {"api_error", 500, {ANSWER_RETRY, "server_error"}},
    {"timeout_error", 504, {ANSWER_RETRY, "server_error"}},
    {"overloaded_error", 529, {ANSWER_RETRY, "overloaded"}},
};
#define N_ERROR_TYPES (sizeof error_types / sizeof error_types[0])

/* The verdict on an HTTP error status without a known error type: the table's status, or
 * the SDK's rule (408, 409 and every 5xx are retried; other 4xx fail the item). */
static verdict_t verdict_of_status(long status)
{
    for (size_t i = 0; i < N_ERROR_TYPES; i++)
        if (error_types[i].status == status)
            return error_types[i].v;
    if (status == 408)
        return (verdict_t){ANSWER_RETRY, "timeout"};
    if (status == 409 || status >= 500)
        return (verdict_t){ANSWER_RETRY, "server_error"};
    if (status >= 400)
        return (verdict_t){ANSWER_FAIL_ITEM, "invalid_request"};
    return (verdict_t){ANSWER_RETRY, "invalid_response"};
}

static verdict_t verdict_of(const char *type, long status)
{
    for (size_t i = 0; type && i < N_ERROR_TYPES; i++)
        if (strcmp(error_types[i].type, type) == 0)
            return error_types[i].v;
    return verdict_of_status(status);
}

/* {"type":"error","error":{"type","message"},"request_id"}: the verdict, and a message
 * of the server's words, scrubbed. A 400 whose message says the credit balance is too
 * low stops the run (batch-api-facts.md §2: low credit comes as invalid_request_error). */
static void parse_error(long status, json_t *error, const char *secret, answer_t *out)
{
    char *msg =
        answer_scrubbed(json_string_value(json_object_get(error, "message")), SIZE_MAX, secret);
    char *type =
        answer_scrubbed(json_string_value(json_object_get(error, "type")), SIZE_MAX, secret);
    const char *m = msg ? msg : "no message";
    if (status >= 300 && status < 400) {
        answer_set_redirect(out, status, NULL, secret);
    } else if (msg && strstr(msg, "credit balance is too low")) {
        answer_set_error(out, ANSWER_STOP_RUN, "quota", "HTTP %ld %s: %s", status,
                         type ? type : "error", m);
    } else if (status == 200) {
        answer_set_error(out, ANSWER_RETRY, "server_error", "HTTP 200 with an error: %s (%s)", m,
                         type ? type : "error");
    } else {
        verdict_t v = verdict_of(json_string_value(json_object_get(error, "type")), status);
        answer_set_error(out, v.action, v.kind, "HTTP %ld %s: %s", status, type ? type : "error",
                         m);
    }
    free(msg);
    free(type);
}

static long usage_field(json_t *usage, const char *key, answer_t *out)
{
    return answer_usage_count(json_object_get(usage, key), &out->usage_bad);
}

/* a + b, or -1 when either is unknown or the sum would not fit. */
static long sum_or_unknown(long a, long b)
{
    return a < 0 || b < 0 || a > LONG_MAX - b ? -1 : a + b;
}

/* usage: prompt tokens are all the input the request was billed for, uncached, written
 * to the cache and read from it (batch-api-facts.md §4: "Total input = sum of the three
 * input counts"; an absent cache count is 0); completion tokens are output_tokens. */
static void read_usage(json_t *usage, answer_t *out)
{
    long in = usage_field(usage, "input_tokens", out);
    long written = usage_field(usage, "cache_creation_input_tokens", out);
    long read = usage_field(usage, "cache_read_input_tokens", out);
    out->prompt_tokens =
        sum_or_unknown(sum_or_unknown(in, written > 0 ? written : 0), read > 0 ? read : 0);
    out->completion_tokens = usage_field(usage, "output_tokens", out);
    out->total_tokens = sum_or_unknown(out->prompt_tokens, out->completion_tokens);
}

/* The text blocks of content[] joined, in order (a Message may also carry thinking or
 * tool blocks, which are not the answer). Returns a malloc'd string, "" when there is
 * none; NULL when out of memory. */
static char *joined_text(json_t *content)
{
    size_t total = 0, i;
    json_t *block;
    json_array_foreach(content, i, block)
    {
        const char *type = json_string_value(json_object_get(block, "type"));
        json_t *text = json_object_get(block, "text");
        if (type && strcmp(type, "text") == 0 && json_is_string(text))
            total += json_string_length(text);
    }
    char *out = malloc(total + 1);
    if (!out)
        return NULL;
    size_t at = 0;
    json_array_foreach(content, i, block)
    {
        const char *type = json_string_value(json_object_get(block, "type"));
        json_t *text = json_object_get(block, "text");
        if (type && strcmp(type, "text") == 0 && json_is_string(text)) {
            memcpy(out + at, json_string_value(text), json_string_length(text));
            at += json_string_length(text);
        }
    }
    out[at] = '\0';
    return out;
}

/* A 200 Message: its text and usage, or a refusal (the item fails; the usage is kept: a
 * refused request is billed). max_tokens is a success, as OpenAI's "length" is. */
static void parse_message(json_t *root, const char *secret, answer_t *out)
{
    json_t *content = json_object_get(root, "content");
    char *text = joined_text(content);
    if (!text) {
        answer_set_error(out, ANSWER_RETRY, "invalid_response", "out of memory reading the answer");
        return;
    }
    read_usage(json_object_get(root, "usage"), out);
    const char *stop = json_string_value(json_object_get(root, "stop_reason"));
    if (stop && strcmp(stop, "refusal") == 0) {
        char *said = answer_scrubbed(text, SIZE_MAX, secret);
        answer_set_error(out, ANSWER_FAIL_ITEM, "refused", "HTTP 200: the model refused%s%.400s",
                         said && said[0] ? ": " : "", said ? said : "");
        out->content = said; /* the model's words go with the item's result */
        free(text);
        return;
    }
    out->action = ANSWER_OK;
    out->content = text;
    const char *model = json_string_value(json_object_get(root, "model"));
    out->model = model ? strdup(model) : NULL;
}

void anthropic_response_parse(long status, const char *body, size_t len, const char *should_retry,
                              const char *secret, answer_t *out)
{
    memset(out, 0, sizeof *out);
    out->prompt_tokens = out->completion_tokens = out->total_tokens = -1;
    json_error_t jerr;
    json_t *root = len ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *error = json_object_get(root, "error");
    const char *type = json_string_value(json_object_get(root, "type"));

    if (json_is_object(error) || (type && strcmp(type, "error") == 0)) {
        parse_error(status, error, secret, out);
    } else if (status == 200 && json_is_array(json_object_get(root, "content"))) {
        parse_message(root, secret, out);
    } else if (status == 200 && json_is_object(root)) {
        answer_set_error(out, ANSWER_RETRY, "invalid_response", "HTTP 200 without a content array");
    } else if (status >= 300 && status < 400) {
        answer_set_redirect(out, status, NULL, secret);
    } else {
        char excerpt[128];
        char *text = answer_scrubbed(len ? body : "", len, secret);
        answer_body_excerpt(text ? text : "", text ? strlen(text) : 0, excerpt, sizeof excerpt);
        free(text);
        if (status == 200) {
            answer_set_error(out, ANSWER_RETRY, "invalid_response",
                             "HTTP 200 with a body that is not Message JSON: %s", excerpt);
        } else {
            verdict_t v = verdict_of_status(status);
            if (v.kind && strcmp(v.kind, "invalid_response") == 0)
                answer_set_error(out, v.action, v.kind, "unexpected HTTP %ld: %s", status,
                                 len ? excerpt : "empty body");
            else
                answer_set_error(out, v.action, v.kind, "HTTP %ld: %s", status,
                                 len ? excerpt : "empty body");
        }
    }
    /* Anthropic's 404 not_found_error for a model says "model: NAME" */
    const char *emsg = json_string_value(json_object_get(error, "message"));
    answer_mark_not_found(out, status, emsg && strncmp(emsg, "model:", 6) == 0);
    json_decref(root);
    answer_obey_should_retry(out, should_retry);
    answer_vet_usage(out);
}

void anthropic_answer_parse(long status, const char *body, size_t len, header_get_fn get,
                            void *hctx, const char *secret, answer_t *out)
{
    anthropic_response_parse(status, body, len, get ? get(hctx, "x-should-retry") : NULL, secret,
                             out);
    if (status >= 300 && status < 400) /* whatever the body says; naming where it points */
        answer_set_redirect(out, status, get ? get(hctx, "location") : NULL, secret);
}
