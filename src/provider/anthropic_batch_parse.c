/* anthropic_batch_parse.c - what Anthropic's Message Batches API says (batch-api-facts.md
 * §2): a message_batch object, and one line of its results, the embedded Message or error
 * classified by the online parser (anthropic_answer.c) as the online answer would be.
 * Every input is untrusted bytes (fuzz/fuzz_batch_anthropic.c). */
#include "provider/batch_api_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* processing_status (facts §2): in_progress, canceling, ended. The API spells it
 * "canceling"; "cancelling", and the final words some proxies use, are taken too. */
static batch_remote_state_t state_of(const char *word, const json_t *o)
{
    if (strcmp(word, "in_progress") == 0)
        return BATCH_REMOTE_RUNNING;
    if (strcmp(word, "canceling") == 0 || strcmp(word, "cancelling") == 0)
        return BATCH_REMOTE_CANCELLING;
    if (strcmp(word, "canceled") == 0 || strcmp(word, "cancelled") == 0)
        return BATCH_REMOTE_CANCELLED;
    if (strcmp(word, "expired") == 0)
        return BATCH_REMOTE_EXPIRED;
    if (strcmp(word, "ended") == 0)
        /* a batch that ended after a cancel: its lines say which ran */
        return json_is_string(json_object_get(o, "cancel_initiated_at")) ? BATCH_REMOTE_CANCELLED
                                                                         : BATCH_REMOTE_ENDED;
    return BATCH_REMOTE_UNKNOWN;
}

/* a + b, or -1 when either is unknown. Both are at most BATCH_MAX_COUNT. */
static long plus(long a, long b)
{
    return a < 0 || b < 0 ? -1 : a + b;
}

int anthropic_batch_status_parse(const char *json, size_t len, const char *secret,
                                 batch_status_t *out)
{
    batch_status_init(out);
    json_t *o = batch_json_load(json, len);
    int rc = 0;
    const char *type = str_of(o, "type");
    const char *status = str_of(o, "processing_status");
    if (!o) {
        rc = batch_status_refuse(out, "not a JSON object");
    } else if (type && strcmp(type, "message_batch") != 0) {
        rc = batch_status_refuse(out, "its type is not \"message_batch\"");
    } else if (batch_word_copy(out->id, sizeof out->id, str_of(o, "id"), secret) != 0 ||
               !batch_id_ok(out->id, sizeof out->id - 1)) {
        rc = batch_status_refuse(out, "no usable batch id");
    } else if (!status) {
        rc = batch_status_refuse(out, "no processing_status");
    } else {
        batch_word_copy(out->state_word, sizeof out->state_word, status, secret);
        out->state = state_of(status, o);
        /* request_counts: processing, succeeded, errored, canceled, expired; the sum is
         * the batch's size */
        json_t *c = json_object_get(o, "request_counts");
        long processing = batch_count_of(json_object_get(c, "processing"));
        long errored = batch_count_of(json_object_get(c, "errored"));
        long canceled = batch_count_of(json_object_get(c, "canceled"));
        long expired = batch_count_of(json_object_get(c, "expired"));
        out->succeeded = batch_count_of(json_object_get(c, "succeeded"));
        out->failed = plus(plus(errored, canceled), expired);
        out->pending = processing;
        out->total = plus(plus(out->succeeded, out->failed), processing);
        /* results are read under the base URL by the batch's id, never from results_url
         * (it may name another host, and the key would go there) */
        snprintf(out->output_ref, sizeof out->output_ref, "%s", out->id);
    }
    json_decref(o);
    return rc;
}

/* The HTTP status the online API answers each error type with
 * (platform.claude.com/docs/en/api/errors; facts §4), so that the online parser judges a
 * batch line's error as it judges the same error online. */
static const struct {
    const char *type;
    long status;
} error_status[] = {
    {"invalid_request_error", 400}, {"authentication_error", 401},
    {"billing_error", 402},         {"permission_error", 403},
    {"not_found_error", 404},       {"request_too_large", 413},
    {"rate_limit_error", 429},      {"api_error", 500},
    {"timeout_error", 504},         {"overloaded_error", 529},
};

/* An error type no table knows is taken as a server's error (500: retried, within
 * --retries). */
static long status_of(const char *type)
{
    for (size_t i = 0; type && i < sizeof error_status / sizeof error_status[0]; i++)
        if (strcmp(type, error_status[i].type) == 0)
            return error_status[i].status;
    return 500;
}

/* "result":{"type":"errored","error":{"type":"error","error":{type,message},
 * "request_id"}}: the inner error parsed as the online body {"type":"error","error":…}
 * with its type's status. A result whose error is the inner object itself is taken too. */
static void errored(batch_line_t *l, const char *line, size_t len, const json_t *result,
                    const char *secret)
{
    json_t *outer = json_object_get(result, "error");
    json_t *inner = json_object_get(outer, "error");
    static const char *const deep[] = {"result", "error", "error"};
    size_t depth = 3;
    if (!json_is_object(inner)) {
        const char *t = str_of(outer, "type");
        inner = json_is_object(outer) && t && strcmp(t, "error") != 0 ? outer : NULL;
        depth = 2;
    }
    if (!inner) {
        batch_line_garbled(l, secret, "an errored result line without an error object");
        return;
    }
    batch_line_answer_at(l, &provider_anthropic, status_of(str_of(inner, "type")), line, len,
                         deep, depth, inner, "{\"type\":\"error\",\"error\":", "}", secret);
    l->response_body = batch_json_span(line, len, deep, 2, &l->response_len);
}

/* "result":{"type":"succeeded","message":{Message}}: the Message as a 200 answer. */
static void succeeded(batch_line_t *l, const char *line, size_t len, const json_t *result,
                      const char *secret)
{
    json_t *message = json_object_get(result, "message");
    if (!json_is_object(message)) {
        batch_line_garbled(l, secret, "a succeeded result line without a message");
        return;
    }
    static const char *const path[] = {"result", "message"};
    batch_line_answer_at(l, &provider_anthropic, 200, line, len, path, 2, message, "", "", secret);
}

void anthropic_batch_line_parse(const char *line, size_t len, const char *secret, batch_line_t *out)
{
    batch_line_init(out);
    json_t *root = batch_json_load(line, len);
    if (!root) {
        batch_line_not_json(out, line, len, secret);
        return;
    }
    batch_line_set_id(out, str_of(root, "custom_id"), secret);
    json_t *result = json_object_get(root, "result");
    const char *type = str_of(result, "type");
    if (!out->custom_id[0])
        batch_line_garbled(out, secret, "a result line without a custom_id visionbatch wrote");
    else if (!type)
        batch_line_garbled(out, secret, "a result line without result.type");
    else if (strcmp(type, "succeeded") == 0)
        succeeded(out, line, len, result, secret);
    else if (strcmp(type, "errored") == 0)
        errored(out, line, len, result, secret);
    else if (strcmp(type, "canceled") == 0 || strcmp(type, "cancelled") == 0)
        batch_line_not_run(out, "batch_cancelled", type, NULL, secret);
    else if (strcmp(type, "expired") == 0)
        batch_line_not_run(out, "batch_expired", type, NULL, secret);
    else
        batch_line_garbled(out, secret, "a result line of an unknown result type");
    json_decref(root);
}
