/* openai_answer.c - what an OpenAI chat/completions answer says: the model's text and
 * usage, or the verdict on an error (provider-facts.md §4). */
#include "provider/openai.h"
#include "provider/openai_internal.h"

#include "provider/answer_words.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long usage_field(json_t *usage, const char *key, answer_t *out)
{
    return answer_usage_count(json_object_get(usage, key), &out->usage_bad);
}

/* The kind and action of an HTTP error status, before the body is considered. */
static void classify_status(long status, answer_t *r, const char *detail)
{
    if (status == 429)
        answer_set_error(r, ANSWER_RETRY, "rate_limited", "HTTP 429: %s", detail);
    else if (status == 401 || status == 403)
        answer_set_error(r, ANSWER_STOP_RUN, "auth", "HTTP %ld: %s", status, detail);
    else if (status == 408)
        answer_set_error(r, ANSWER_RETRY, "timeout", "HTTP 408: %s", detail);
    else if (status == 409 || status >= 500)
        answer_set_error(r, ANSWER_RETRY, "server_error", "HTTP %ld: %s", status, detail);
    else if (status == 413)
        answer_set_error(r, ANSWER_FAIL_ITEM, "too_large", "HTTP 413: %s", detail);
    else if (status >= 400)
        answer_set_error(r, ANSWER_FAIL_ITEM, "invalid_request", "HTTP %ld: %s", status, detail);
    else if (status >= 300 && status < 400)
        answer_set_redirect(r, status, NULL, NULL); /* the Location: openai_answer_parse */
    else
        answer_set_error(r, ANSWER_RETRY, "invalid_response", "unexpected HTTP %ld: %s", status,
                         detail);
}

/* Finds the billing-type errors that come with other statuses than 429 (e.g. a 400
 * "billing_hard_limit_reached") and stop the run. */
static bool is_quota_code(const char *code, const char *type)
{
    static const char *const codes[] = {"insufficient_quota", "billing_hard_limit_reached",
                                        "billing_not_active", "spend_limit_reached"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if ((code && strcmp(code, codes[i]) == 0) || (type && strcmp(type, codes[i]) == 0))
            return true;
    return false;
}

/* A 200 chat.completion: the model's text and usage; a refusal (message.refusal, or
 * finish_reason "content_filter"), which is billed and fails the item with the model's
 * words kept in content (asking again gets the same); or no content at all. */
static void parse_completion(json_t *root, const char *secret, answer_t *out)
{
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    json_t *message = json_object_get(choice, "message");
    json_t *content = json_object_get(message, "content");
    const char *refusal = json_string_value(json_object_get(message, "refusal"));
    const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
    json_t *usage = json_object_get(root, "usage");
    out->prompt_tokens = usage_field(usage, "prompt_tokens", out);
    out->completion_tokens = usage_field(usage, "completion_tokens", out);
    out->total_tokens = usage_field(usage, "total_tokens", out);
    const char *model = json_string_value(json_object_get(root, "model"));
    out->model = model ? strdup(model) : NULL;
    if (refusal || (finish && strcmp(finish, "content_filter") == 0)) {
        const char *said = refusal ? refusal : json_string_value(content);
        out->content = said ? answer_scrubbed(said, SIZE_MAX, secret) : NULL;
        if (refusal)
            answer_set_error(out, ANSWER_FAIL_ITEM, "refused", "HTTP 200: the model refused: %.400s",
                             out->content ? out->content : "");
        else
            answer_set_error(out, ANSWER_FAIL_ITEM, "refused",
                             "HTTP 200: the answer was withheld by the content filter "
                             "(finish_reason content_filter)");
    } else if (!json_is_string(content)) {
        answer_set_error(out, ANSWER_RETRY, "invalid_response",
                         "HTTP 200 without choices[0].message.content");
    } else {
        out->action = ANSWER_OK;
        out->content = strdup(json_string_value(content));
    }
}

void openai_response_parse(long status, const char *body, size_t len, const char *should_retry,
                           const char *secret, answer_t *out)
{
    memset(out, 0, sizeof *out);
    out->prompt_tokens = out->completion_tokens = out->total_tokens = -1;
    json_error_t jerr;
    json_t *root = len ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *error = json_object_get(root, "error");
    bool model_missing = false; /* {"error":{"code":"model_not_found"}} */

    if (status == 200 && root && !error) {
        parse_completion(root, secret, out);
    } else if (error) {
        /* every server word that can reach the message is scrubbed, code and type too */
        char *msg = answer_scrubbed(json_string_value(json_object_get(error, "message")),
                                    SIZE_MAX, secret);
        char *code =
            answer_scrubbed(json_string_value(json_object_get(error, "code")), SIZE_MAX, secret);
        char *type =
            answer_scrubbed(json_string_value(json_object_get(error, "type")), SIZE_MAX, secret);
        model_missing = code && strcmp(code, "model_not_found") == 0;
        char detail[400];
        snprintf(detail, sizeof detail, "%s%s%s%s", msg ? msg : "no message",
                 code ? " (" : "", code ? code : "", code ? ")" : "");
        if (is_quota_code(code, type))
            answer_set_error(out, ANSWER_STOP_RUN, "quota", "HTTP %ld %s: %s", status,
                             is_quota_code(code, NULL) ? code : type, msg ? msg : "no quota");
        else if (status == 429 && msg && strncmp(msg, "Request too large", 17) == 0)
            /* bigger than the whole token limit: waiting cannot help (provider-facts §4) */
            answer_set_error(out, ANSWER_FAIL_ITEM, "too_large", "HTTP 429: %s", detail);
        else if (status == 200)
            answer_set_error(out, ANSWER_RETRY, "server_error", "HTTP 200 with an error: %s",
                             detail);
        else
            classify_status(status, out, detail);
        free(msg);
        free(code);
        free(type);
    } else {
        char excerpt[128];
        char *text = answer_scrubbed(len ? body : "", len, secret);
        answer_body_excerpt(text ? text : "", text ? strlen(text) : 0, excerpt, sizeof excerpt);
        free(text);
        if (status == 200)
            answer_set_error(out, ANSWER_RETRY, "invalid_response",
                             "HTTP 200 with a body that is not chat.completion JSON: %s", excerpt);
        else
            classify_status(status, out, len ? excerpt : "empty body");
    }
    json_decref(root);
    answer_mark_not_found(out, status, model_missing); /* every request would fail alike */
    answer_obey_should_retry(out, should_retry);
    answer_vet_usage(out);
}

void openai_answer_parse(long status, const char *body, size_t len, header_get_fn get,
                         void *hctx, const char *secret, answer_t *out)
{
    openai_response_parse(status, body, len, get ? get(hctx, "x-should-retry") : NULL, secret,
                          out);
    if (status >= 300 && status < 400) /* whatever the body says; naming where it points */
        answer_set_redirect(out, status, get ? get(hctx, "location") : NULL, secret);
}
