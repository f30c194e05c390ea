/* gemini_batch_parse.c - what the Gemini API's batch mode says (batch-api-facts.md §3):
 * a batch as the Operation that create, get and list answer with, or as a bare
 * GenerateContentBatch; and one line of its responses file, the embedded
 * GenerateContentResponse or google.rpc.Status classified by the online parser
 * (gemini_answer.c). Every input is untrusted bytes (fuzz/fuzz_batch_gemini.c).
 *
 * Where the shapes come from: ai.google.dev/api/batch-api (GenerateContentBatch, its
 * BatchState, batchStats, output.responsesFile); the genai SDKs' readers of the REST
 * answer (batchJobFromMldev: the batch is the Operation's metadata, the state its
 * metadata.state, the file metadata.output.responsesFile; list answers "operations");
 * the wire page's Operation.response.responsesFile is taken too. */
#include "provider/batch_api_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* BatchState without its prefix (REST says BATCH_STATE_*, the SDKs JOB_STATE_*; facts
 * §3). QUEUED and CANCELLING are JobState words of the SDKs. */
static batch_remote_state_t state_of(const char *word)
{
    static const struct {
        const char *word;
        batch_remote_state_t state;
    } states[] = {
        {"PENDING", BATCH_REMOTE_VALIDATING},  {"QUEUED", BATCH_REMOTE_VALIDATING},
        {"RUNNING", BATCH_REMOTE_RUNNING},     {"SUCCEEDED", BATCH_REMOTE_ENDED},
        {"FAILED", BATCH_REMOTE_FAILED},       {"CANCELLING", BATCH_REMOTE_CANCELLING},
        {"CANCELLED", BATCH_REMOTE_CANCELLED}, {"EXPIRED", BATCH_REMOTE_EXPIRED},
    };
    if (strncmp(word, "BATCH_STATE_", 12) == 0)
        word += 12;
    else if (strncmp(word, "JOB_STATE_", 10) == 0)
        word += 10;
    else
        return BATCH_REMOTE_UNKNOWN;
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(word, states[i].word) == 0)
            return states[i].state;
    return BATCH_REMOTE_UNKNOWN;
}

/* A count of batchStats: proto3 JSON leaves out zeros, so absent is 0 there. */
static long stat_of(const json_t *stats, const char *key)
{
    json_t *v = json_object_get(stats, key);
    return v ? batch_count_of(v) : 0;
}

/* displayName "vb-<job>-<chunk>" split at its last '-' (chunk tags hold none); both
 * stay "" for a name visionbatch did not write. */
static void read_tags(const char *name, const char *secret, batch_status_t *out)
{
    char copy[160];
    size_t k = strlen(GEMINI_BATCH_NAME_PREFIX);
    if (!name || batch_word_copy(copy, sizeof copy, name, secret) != 0 ||
        strncmp(copy, GEMINI_BATCH_NAME_PREFIX, k) != 0)
        return;
    char *dash = strrchr(copy + k, '-');
    if (!dash)
        return;
    *dash = '\0';
    if (batch_tag_ok(copy + k, sizeof out->job_tag - 1) &&
        batch_tag_ok(dash + 1, sizeof out->chunk_tag - 1)) {
        snprintf(out->job_tag, sizeof out->job_tag, "%.*s", (int)sizeof out->job_tag - 1, copy + k);
        snprintf(out->chunk_tag, sizeof out->chunk_tag, "%.*s", (int)sizeof out->chunk_tag - 1,
                 dash + 1);
    }
}

/* The google.rpc.Status of a failed batch: its status word (or numeric code) and message. */
static void read_error(const json_t *error, const char *secret, batch_status_t *out)
{
    if (!json_is_object(error))
        return;
    const char *status = str_of(error, "status");
    json_t *code = json_object_get(error, "code");
    if (status)
        batch_word_copy(out->error_code, sizeof out->error_code, status, secret);
    else if (json_is_integer(code))
        snprintf(out->error_code, sizeof out->error_code, "%lld",
                 (long long)json_integer_value(code));
    batch_word_copy(out->error_message, sizeof out->error_message, str_of(error, "message"),
                    secret);
}

int gemini_batch_status_json(const json_t *o, const char *secret, batch_status_t *out)
{
    batch_status_init(out);
    if (!json_is_object(o))
        return batch_status_refuse(out, "not a JSON object");
    json_t *meta = json_object_get(o, "metadata");
    const json_t *batch = json_is_object(meta) ? meta : o; /* Operation, or a bare batch */
    const char *name = str_of(o, "name");
    if (!name)
        name = str_of(batch, "name");
    if (batch_word_copy(out->id, sizeof out->id, name, secret) != 0 ||
        !batch_resource_ok(out->id, "batches/", sizeof out->id - 1))
        return batch_status_refuse(out, "no usable batch name");

    json_t *error = json_object_get(o, "error");
    if (!json_is_object(error))
        error = json_object_get(batch, "error");
    const char *state = str_of(batch, "state");
    if (state) {
        batch_word_copy(out->state_word, sizeof out->state_word, state, secret);
        out->state = state_of(state);
    } else if (json_is_true(json_object_get(o, "done"))) {
        snprintf(out->state_word, sizeof out->state_word, "done");
        out->state = json_is_object(error) ? BATCH_REMOTE_FAILED : BATCH_REMOTE_ENDED;
    } else {
        return batch_status_refuse(out, "no state");
    }

    json_t *stats = json_object_get(batch, "batchStats");
    if (json_is_object(stats)) {
        out->total = stat_of(stats, "requestCount");
        out->succeeded = stat_of(stats, "successfulRequestCount");
        out->failed = stat_of(stats, "failedRequestCount");
        out->pending = stat_of(stats, "pendingRequestCount");
    }

    const char *file = str_of(json_object_get(o, "response"), "responsesFile");
    if (!file)
        file = str_of(json_object_get(batch, "output"), "responsesFile");
    if (!file)
        file = str_of(json_object_get(o, "output"), "responsesFile");
    if (file && (batch_word_copy(out->output_ref, sizeof out->output_ref, file, secret) != 0 ||
                 !batch_resource_ok(out->output_ref, "files/", sizeof out->output_ref - 1))) {
        out->output_ref[0] = '\0';
        return batch_status_refuse(out, "a responsesFile that is not a file name");
    }
    read_error(error, secret, out);
    read_tags(str_of(batch, "displayName"), secret, out);
    return 0;
}

int gemini_batch_status_parse(const char *json, size_t len, const char *secret, batch_status_t *out)
{
    json_t *root = batch_json_load(json, len);
    int rc = root ? gemini_batch_status_json(root, secret, out)
                  : (batch_status_init(out), batch_status_refuse(out, "not a JSON object"));
    json_decref(root);
    return rc;
}

/* google.rpc.Code: its name, number and the HTTP status it maps to
 * (googleapis google/rpc/code.proto). A line's Status may carry an HTTP code (the REST
 * errors do) or the canonical one. */
static const struct {
    const char *name;
    int code;
    long http;
} rpc_codes[] = {
    {"CANCELLED", 1, 499},           {"UNKNOWN", 2, 500},
    {"INVALID_ARGUMENT", 3, 400},    {"DEADLINE_EXCEEDED", 4, 504},
    {"NOT_FOUND", 5, 404},           {"ALREADY_EXISTS", 6, 409},
    {"PERMISSION_DENIED", 7, 403},   {"RESOURCE_EXHAUSTED", 8, 429},
    {"FAILED_PRECONDITION", 9, 400}, {"ABORTED", 10, 409},
    {"OUT_OF_RANGE", 11, 400},       {"UNIMPLEMENTED", 12, 501},
    {"INTERNAL", 13, 500},           {"UNAVAILABLE", 14, 503},
    {"DATA_LOSS", 15, 500},          {"UNAUTHENTICATED", 16, 401},
};
#define N_RPC_CODES (sizeof rpc_codes / sizeof rpc_codes[0])

/* The HTTP status of a line's Status: its code when that is one, else its status word's
 * or canonical code's; 500 when none says (retried, within --retries). */
static long http_of(const json_t *error)
{
    json_t *code = json_object_get(error, "code");
    json_int_t c = json_is_integer(code) ? json_integer_value(code) : -1;
    if (c >= 100 && c <= 599)
        return (long)c;
    const char *status = str_of(error, "status");
    for (size_t i = 0; i < N_RPC_CODES; i++)
        if ((status && strcmp(status, rpc_codes[i].name) == 0) ||
            (!status && c == rpc_codes[i].code))
            return rpc_codes[i].http;
    return 500;
}

/* {"key","error":{code,message,status}}: the Status as the online error body
 * {"error":{…}} with its HTTP status. CANCELLED is a line the batch did not run. */
static void line_error(batch_line_t *l, const char *line, size_t len, const json_t *error,
                       const char *secret)
{
    long http = http_of(error);
    if (http == 499) {
        batch_line_not_run(l, "batch_cancelled", "CANCELLED", str_of(error, "message"), secret);
        return;
    }
    static const char *const path[] = {"error"};
    batch_line_answer_at(l, &provider_gemini, http, line, len, path, 1, error, "{\"error\":", "}",
                         secret);
}

/* {"key","response":{GenerateContentResponse}}: the response as a 200 answer. */
static void line_response(batch_line_t *l, const char *line, size_t len, const json_t *response,
                          const char *secret)
{
    static const char *const path[] = {"response"};
    batch_line_answer_at(l, &provider_gemini, 200, line, len, path, 1, response, "", "", secret);
}

void gemini_batch_line_parse(const char *line, size_t len, const char *secret, batch_line_t *out)
{
    batch_line_init(out);
    json_t *root = batch_json_load(line, len);
    if (!root) {
        batch_line_not_json(out, line, len, secret);
        return;
    }
    const char *key = str_of(root, "key");
    if (!key) /* inlined responses carry it as metadata.key (facts §3) */
        key = str_of(json_object_get(root, "metadata"), "key");
    batch_line_set_id(out, key, secret);
    json_t *response = json_object_get(root, "response");
    json_t *error = json_object_get(root, "error");
    if (!out->custom_id[0])
        batch_line_garbled(out, secret, "a result line without a key visionbatch wrote");
    else if (json_is_object(response))
        line_response(out, line, len, response, secret);
    else if (json_is_object(error))
        line_error(out, line, len, error, secret);
    else
        batch_line_garbled(out, secret, "a result line with neither a response nor an error");
    json_decref(root);
}
