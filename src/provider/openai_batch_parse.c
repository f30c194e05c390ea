/* openai_batch_parse.c - what OpenAI's Batch API says (batch-api-facts.md §1): a batch
 * object, and one line of an output or error file, its embedded chat.completion answer
 * classified by the online parser (openai_answer.c) exactly as an online answer is.
 * Every input is untrusted bytes (fuzz/fuzz_batch_openai.c). */
#include "provider/batch_api_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The batch statuses (facts §1 "Statuses"; the API reference's Batch.status enum). */
static const struct {
    const char *word;
    batch_remote_state_t state;
} states[] = {
    {"validating", BATCH_REMOTE_VALIDATING}, {"in_progress", BATCH_REMOTE_RUNNING},
    {"finalizing", BATCH_REMOTE_FINALIZING}, {"completed", BATCH_REMOTE_ENDED},
    {"failed", BATCH_REMOTE_FAILED},         {"expired", BATCH_REMOTE_EXPIRED},
    {"cancelling", BATCH_REMOTE_CANCELLING}, {"cancelled", BATCH_REMOTE_CANCELLED},
};

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A file id (output_file_id, error_file_id): null or absent is "", anything else must be
 * an id visionbatch can put in a URL. Returns 0, or -1. */
static int file_ref(const json_t *o, const char *key, char *dst, size_t cap, const char *secret)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || batch_word_copy(dst, cap, json_string_value(v), secret) != 0 ||
        !batch_id_ok(dst, cap - 1)) {
        dst[0] = '\0';
        return -1;
    }
    return 0;
}

/* errors: {"object":"list","data":[{code,message,param,line}]}: the first's code and
 * message, and every line number named (validation failures name several). */
static void read_errors(const json_t *errors, const char *secret, batch_status_t *out)
{
    json_t *data = json_object_get(errors, "data");
    size_t i;
    json_t *e;
    json_array_foreach(data, i, e)
    {
        if (!out->error_code[0] && !out->error_message[0]) {
            batch_word_copy(out->error_code, sizeof out->error_code, str_of(e, "code"), secret);
            batch_word_copy(out->error_message, sizeof out->error_message, str_of(e, "message"),
                            secret);
        }
        json_t *line = json_object_get(e, "line");
        if (json_is_integer(line) && json_integer_value(line) >= 1 &&
            json_integer_value(line) <= BATCH_MAX_COUNT &&
            out->n_error_lines < BATCH_MAX_ERROR_LINES)
            out->error_lines[out->n_error_lines++] = (long)json_integer_value(line);
    }
}

/* A tag of metadata: kept only when it is one submit could have written. */
static void read_tag(const json_t *metadata, const char *key, char *dst, size_t cap,
                     const char *secret)
{
    if (batch_word_copy(dst, cap, str_of(metadata, key), secret) != 0 ||
        !batch_tag_ok(dst, cap - 1))
        dst[0] = '\0';
}

int openai_batch_status_json(const json_t *o, const char *secret, batch_status_t *out)
{
    batch_status_init(out);
    if (!json_is_object(o))
        return batch_status_refuse(out, "not a JSON object");
    const char *object = str_of(o, "object");
    if (object && strcmp(object, "batch") != 0)
        return batch_status_refuse(out, "its object is not \"batch\"");
    if (batch_word_copy(out->id, sizeof out->id, str_of(o, "id"), secret) != 0 ||
        !batch_id_ok(out->id, sizeof out->id - 1))
        return batch_status_refuse(out, "no usable batch id");
    const char *status = str_of(o, "status");
    if (!status)
        return batch_status_refuse(out, "no status");
    batch_word_copy(out->state_word, sizeof out->state_word, status, secret);
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(status, states[i].word) == 0)
            out->state = states[i].state;

    json_t *counts = json_object_get(o, "request_counts");
    out->total = batch_count_of(json_object_get(counts, "total"));
    out->succeeded = batch_count_of(json_object_get(counts, "completed"));
    out->failed = batch_count_of(json_object_get(counts, "failed"));
    if (out->total >= 0 && out->succeeded >= 0 && out->failed >= 0 &&
        out->succeeded + out->failed <= out->total)
        out->pending = out->total - out->succeeded - out->failed;

    if (file_ref(o, "output_file_id", out->output_ref, sizeof out->output_ref, secret) != 0 ||
        file_ref(o, "error_file_id", out->error_ref, sizeof out->error_ref, secret) != 0)
        return batch_status_refuse(out, "a result file id that is not a file id");
    read_errors(json_object_get(o, "errors"), secret, out);
    json_t *metadata = json_object_get(o, "metadata");
    read_tag(metadata, "visionbatch_job", out->job_tag, sizeof out->job_tag, secret);
    read_tag(metadata, "visionbatch_chunk", out->chunk_tag, sizeof out->chunk_tag, secret);
    return 0;
}

int openai_batch_status_parse(const char *json, size_t len, const char *secret, batch_status_t *out)
{
    json_t *root = batch_json_load(json, len);
    int rc = root ? openai_batch_status_json(root, secret, out)
                  : (batch_status_init(out), batch_status_refuse(out, "not a JSON object"));
    json_decref(root);
    return rc;
}

/* "response":null with "error":{code,message}: a request the batch never ran. Expired
 * ones say batch_expired (facts §1); cancelled ones batch_cancelled (not in OpenAI's
 * docs: OpenAI-compatible servers write it, and both spellings are taken). Another code
 * is retried too (bounded by --retries): the line got no answer to judge. */
static void not_run(batch_line_t *l, const json_t *error, const char *secret)
{
    const char *code = str_of(error, "code");
    const char *msg = str_of(error, "message");
    if (code && strcmp(code, "batch_expired") == 0)
        batch_line_not_run(l, "batch_expired", code, msg, secret);
    else if (code && (strcmp(code, "batch_cancelled") == 0 || strcmp(code, "batch_canceled") == 0))
        batch_line_not_run(l, "batch_cancelled", code, msg, secret);
    else
        batch_line_not_run(l, "server_error", code ? code : "error", msg, secret);
}

void openai_batch_line_parse(const char *line, size_t len, const char *secret, batch_line_t *out)
{
    batch_line_init(out);
    json_t *root = batch_json_load(line, len);
    if (!root) {
        batch_line_not_json(out, line, len, secret);
        return;
    }
    batch_line_set_id(out, str_of(root, "custom_id"), secret);
    json_t *response = json_object_get(root, "response");
    json_t *error = json_object_get(root, "error");
    if (!out->custom_id[0]) {
        batch_line_garbled(out, secret, "a result line without a custom_id visionbatch wrote");
    } else if (json_is_object(response)) {
        json_t *code = json_object_get(response, "status_code");
        json_t *body = json_object_get(response, "body");
        if (!json_is_integer(code) || json_integer_value(code) < 100 ||
            json_integer_value(code) > 599 || !body) {
            batch_line_garbled(out, secret, "a result line without status_code and body");
        } else {
            static const char *const path[] = {"response", "body"};
            batch_line_answer_at(out, &provider_openai, (long)json_integer_value(code), line, len,
                                 path, 2, body, "", "", secret);
        }
    } else if (json_is_object(error)) {
        not_run(out, error, secret);
    } else {
        batch_line_garbled(out, secret, "a result line with neither a response nor an error");
    }
    json_decref(root);
}
