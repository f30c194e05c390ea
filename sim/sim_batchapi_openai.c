/* sim_batchapi_openai.c - OpenAI Batches (sim_batchapi_openai.h).
 *
 * A batch's file is checked when the batch is created (sim_batchapi_openai_check.c); a
 * bad file fails the batch after validating, with errors naming the lines. Results: the
 * output file holds the 200s, the error file the rest (4xx and 500 responses; lines not
 * run, as batch_expired or batch_cancelled: the code OpenAI-compatible servers use, the
 * OpenAI docs say only that a cancelled batch's finished lines are in the output file). */
#include "sim_batchapi_openai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_batchapi_openai_check.h"
#include "sim_batchapi_run.h"
#include "sim_rng.h"

#define ENDPOINT       SIM_OPENAI_BATCH_ENDPOINT
#define WINDOW_S       86400LL /* completion_window "24h" */
#define METADATA_PAIRS 16
#define LIST_DEFAULT   20
#define LIST_MAX       100

static const char *const status_words[] = {"validating", "in_progress", "finalizing", "cancelling",
                                           "completed",  "failed",      "expired",    "cancelled"};

int sim_batchapi_openai_serves(const char *path)
{
    return strncmp(path, "/v1/batches", 11) == 0;
}

#define refuse(reply, status, param, ...)                                                          \
    sim_batchapi_refuse(reply, SIM_PROTO_OPENAI, status, param, NULL, __VA_ARGS__)

/* A Unix time when cond holds, else JSON null. */
static json_t *time_if(int cond, const sim_batch_t *b, double at)
{
    return cond ? json_integer((json_int_t)sim_batchapi_batch_wall(b, at)) : json_null();
}

/* b's errors member: null, or the list naming why it failed. */
static json_t *errors_json(const sim_batch_t *b, sim_bphase_t p)
{
    if (p != SIM_BPHASE_FAILED)
        return json_null();
    json_t *data = b->errors ? json_deep_copy(b->errors)
                             : json_pack("[{s:s,s:s,s:n,s:o}]", "code", b->fail_code, "message",
                                         b->fail_message, "param", "line",
                                         b->fail_line ? json_integer(b->fail_line) : json_null());
    return json_pack("{s:s,s:o}", "object", "list", "data", data);
}

/* The batch object of b at now (facts §1). Call with the lock held. */
static json_t *batch_json(const sim_batch_t *b, double now)
{
    const sim_btimeline_t *t = &b->tl;
    sim_bphase_t p = sim_btimeline_phase(t, now);
    double v_end = t->created + 0.1 * t->seconds, r_end = t->created + 0.9 * t->seconds;
    double end = t->created + t->seconds;
    int cancelled = t->cancel_at >= 0, ok = !t->doomed;
    size_t done, failed;
    sim_batchapi_counts(b, now, &done, &failed);
    if (b->ran)
        failed += b->tally.not_run; /* expired or cancelled lines are in the error file */
    int counting = ok && p != SIM_BPHASE_VALIDATING;
    const char *status = status_words[p];
    if (p == SIM_BPHASE_FINALIZING && t->expires)
        status = "in_progress"; /* an expiring batch never finalizes */
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:{s:I,s:I,s:I}}", "id", b->id, "object", "batch",
        "endpoint", ENDPOINT, "model", b->model, "input_file_id", b->input->id, "completion_window",
        "24h", "status", status, "created_at", (json_int_t)b->created_wall, "expires_at",
        (json_int_t)b->created_wall + WINDOW_S, "request_counts", "total",
        (json_int_t)(counting ? b->total : 0), "completed",
        (json_int_t)(counting ? done - (b->ran ? b->tally.refused + b->tally.faults : 0) : 0),
        "failed", (json_int_t)(counting ? failed : 0));
    if (!root)
        return NULL;
    json_object_set_new(root, "errors", errors_json(b, p));
    json_object_set_new(root, "output_file_id",
                        b->output ? json_string(b->output->id) : json_null());
    json_object_set_new(root, "error_file_id",
                        b->errors_file ? json_string(b->errors_file->id) : json_null());
    json_object_set_new(
        root, "in_progress_at",
        time_if(ok && now >= v_end && (!cancelled || t->cancel_at >= v_end), b, v_end));
    json_object_set_new(
        root, "finalizing_at",
        time_if(ok && !t->expires && now >= r_end && (!cancelled || t->cancel_at >= r_end), b,
                r_end));
    json_object_set_new(root, "completed_at", time_if(p == SIM_BPHASE_COMPLETED, b, end));
    json_object_set_new(root, "failed_at", time_if(p == SIM_BPHASE_FAILED, b, v_end));
    json_object_set_new(root, "expired_at", time_if(p == SIM_BPHASE_EXPIRED, b, end));
    json_object_set_new(root, "cancelling_at",
                        time_if(cancelled && now >= t->cancel_at, b, t->cancel_at));
    json_object_set_new(root, "cancelled_at",
                        time_if(p == SIM_BPHASE_CANCELLED, b, t->cancel_at + SIM_BATCH_CANCEL_S));
    json_object_set_new(root, "metadata", b->metadata ? json_incref(b->metadata) : json_null());
    json_object_set_new(
        root, "usage",
        json_pack("{s:I,s:{s:i},s:I,s:{s:i},s:I}", "input_tokens",
                  (json_int_t)b->tally.prompt_tokens, "input_tokens_details", "cached_tokens", 0,
                  "output_tokens", (json_int_t)b->tally.completion_tokens, "output_tokens_details",
                  "reasoning_tokens", 0, "total_tokens",
                  (json_int_t)(b->tally.prompt_tokens + b->tally.completion_tokens)));
    return root;
}

/* 32 hex digits from a line's tag and a salt (one id each). */
static void line_hex(uint64_t tag, uint64_t salt, char out[33])
{
    uint64_t state = tag ^ salt * 0xD6E8FEB86659FD93ULL;
    unsigned long long a = sim_rng_next(&state), b = sim_rng_next(&state);
    snprintf(out, 33, "%016llx%016llx", a, b);
}

/* sim_bline_render_fn: {"id","custom_id","response":{status_code,request_id,body},
 * "error":null}, or "response":null with an error for a line not run. */
static int render(const sim_batch_t *b, const sim_bline_t *l, sim_bbuf_t *out, sim_bbuf_t *err)
{
    static const char fault_body[] =
        "{\"error\":{\"message\":\"The server had an error while processing your request. "
        "Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
    (void)b;
    sim_bbuf_t *dst = l->outcome == SIM_BLINE_OK ? out : err;
    char id[33], req[33];
    line_hex(l->tag, 1, id);
    line_hex(l->tag, 2, req);
    if (sim_bbuf_addf(dst, "{\"id\":\"batch_req_%s\",\"custom_id\":", id) != 0 ||
        sim_bbuf_add_string(dst, l->custom_id) != 0)
        return -1;
    switch (l->outcome) {
    case SIM_BLINE_OK:
    case SIM_BLINE_REFUSED:
    case SIM_BLINE_FAULT: {
        int fault = l->outcome == SIM_BLINE_FAULT;
        if (sim_bbuf_addf(dst,
                          ",\"response\":{\"status_code\":%d,\"request_id\":\"req_%s\","
                          "\"body\":",
                          fault ? 500 : l->status, req) != 0 ||
            sim_bbuf_add(dst, fault ? fault_body : l->body,
                         fault ? sizeof fault_body - 1 : l->body_len) != 0)
            return -1;
        return sim_bbuf_add(dst, "},\"error\":null}\n", 16);
    }
    default: {
        int expired = l->outcome == SIM_BLINE_EXPIRED;
        return sim_bbuf_addf(
            dst, ",\"response\":null,\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
            expired ? "batch_expired" : "batch_cancelled",
            expired ? "This request could not be executed before the completion window "
                      "expired."
                    : "This request was not executed because the batch was cancelled.");
    }
    }
}

/* Why metadata (absent, null, or an object) breaks OpenAI's rules (facts §1: at most 16
 * pairs, keys of 64 characters, string values of 512), or NULL. */
static const char *metadata_problem(const json_t *metadata)
{
    if (!metadata || json_is_null(metadata))
        return NULL;
    if (!json_is_object(metadata) || json_object_size(metadata) > METADATA_PAIRS)
        return "metadata must be an object of at most 16 pairs.";
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)metadata, key, value)
    {
        if (strlen(key) > 64 || !json_is_string(value) || json_string_length(value) > 512)
            return "metadata keys are at most 64 characters, values strings of at most 512.";
    }
    return NULL;
}

/* Sends b's object as of now (read under the lock), running its lines first if it is
 * final then. */
static int reply_batch(sim_batchapi_t *api, sim_batch_t *b, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    sim_batchapi_unlock(api);
    if (sim_batchapi_run(api, b, now, render) != 0)
        return -1;
    sim_batchapi_lock(api);
    json_t *obj = batch_json(b, now);
    sim_batchapi_unlock(api);
    return sim_reply_json(reply, 200, obj);
}

/* POST /v1/batches. */
static int create(sim_batchapi_t *api, const json_t *req, sim_reply_t *reply)
{
    if (!json_is_object(req))
        return refuse(reply, 400, NULL, "%s", "We could not parse the JSON body of your request.");
    const char *file_id = json_string_value(json_object_get(req, "input_file_id"));
    const char *endpoint = json_string_value(json_object_get(req, "endpoint"));
    const char *window = json_string_value(json_object_get(req, "completion_window"));
    json_t *metadata = json_object_get(req, "metadata");
    const char *why = metadata_problem(metadata);
    if (!file_id)
        return refuse(reply, 400, "input_file_id", "Missing required parameter: '%s'.",
                      "input_file_id");
    if (!endpoint || strcmp(endpoint, ENDPOINT) != 0)
        return refuse(reply, 400, "endpoint",
                      "The simulator runs batches for " ENDPOINT " only, not '%s'.",
                      endpoint ? endpoint : "");
    if (!window || strcmp(window, "24h") != 0)
        return refuse(reply, 400, "completion_window",
                      "Invalid completion_window '%s': only '24h' is supported.",
                      window ? window : "");
    if (why)
        return refuse(reply, 400, "metadata", "%s", why);
    sim_batchapi_lock(api);
    sim_bfile_t *f = sim_batchapi_find_file(api, SIM_PROTO_OPENAI, file_id);
    sim_batchapi_unlock(api);
    if (!f || f->is_result)
        return refuse(reply, 404, "input_file_id", "No such File object: %s", file_id);
    sim_bnew_t spec = {
        .proto = SIM_PROTO_OPENAI, .id_prefix = "batch_", .id_hexdigits = 32, .input = f};
    char model[128];
    if (sim_batchapi_openai_check(sim_batchapi_config(api), f, &spec, model, sizeof model) != 0) {
        free(spec.line_off);
        json_decref(spec.errors);
        return -1;
    }
    spec.model = model;
    spec.metadata = json_is_object(metadata) ? json_incref(metadata) : NULL;
    sim_batch_t *b;
    unsigned long long enqueued;
    if (sim_batchapi_create(api, &spec, &b, &enqueued) != SIM_BCREATE_OK)
        return -1; /* OpenAI refuses nothing at create: the batch fails later */
    return reply_batch(api, b, reply);
}

/* GET /v1/batches?limit=N&after=ID: newest first. */
static int list(sim_batchapi_t *api, const sim_call_t *call, sim_reply_t *reply)
{
    const char *limit_arg = sim_call_query(call, "limit"), *after = sim_call_query(call, "after");
    char *end = NULL;
    long limit = limit_arg ? strtol(limit_arg, &end, 10) : LIST_DEFAULT;
    if (limit_arg && (*end || limit < 1 || limit > LIST_MAX))
        return refuse(reply, 400, "limit", "limit must be from 1 to 100, not '%s'.", limit_arg);
    sim_batch_t *page[LIST_MAX + 1];
    size_t n = 0;
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    int skipping = after != NULL;
    for (size_t k = 0; n <= (size_t)limit; k++) {
        sim_batch_t *b = sim_batchapi_nth_newest(api, SIM_PROTO_OPENAI, k);
        if (!b)
            break;
        if (!skipping)
            page[n++] = b;
        else if (strcmp(b->id, after) == 0)
            skipping = 0;
    }
    sim_batchapi_unlock(api);
    int has_more = n > (size_t)limit;
    if (has_more)
        n = (size_t)limit;
    for (size_t i = 0; i < n; i++)
        if (sim_batchapi_run(api, page[i], now, render) != 0)
            return -1;
    json_t *data = json_array();
    sim_batchapi_lock(api);
    for (size_t i = 0; data && i < n; i++)
        json_array_append_new(data, batch_json(page[i], now));
    sim_batchapi_unlock(api);
    return sim_reply_json(reply, 200,
                          json_pack("{s:s,s:o,s:s?,s:s?,s:b}", "object", "list", "data", data,
                                    "first_id", n ? page[0]->id : NULL, "last_id",
                                    n ? page[n - 1]->id : NULL, "has_more", has_more));
}

/* POST /v1/batches/{id}/cancel: cancelling for SIM_BATCH_CANCEL_S, then cancelled. */
static int cancel(sim_batchapi_t *api, const char *id, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    sim_batch_t *b = sim_batchapi_find_batch(api, SIM_PROTO_OPENAI, id);
    double now = sim_batchapi_now(api);
    sim_bphase_t p = b ? sim_btimeline_phase(&b->tl, now) : SIM_BPHASE_VALIDATING;
    int refused = b && p != SIM_BPHASE_CANCELLING && sim_batchapi_cancel(b, now) != 0;
    sim_batchapi_unlock(api);
    if (!b)
        return refuse(reply, 404, NULL, "No batch found with id '%s'.", id);
    if (refused)
        return refuse(reply, 400, NULL, "Cannot cancel a batch with status '%s'.", status_words[p]);
    return reply_batch(api, b, reply);
}

/* GET /v1/batches/{id}. */
static int retrieve(sim_batchapi_t *api, const char *id, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    sim_batch_t *b = sim_batchapi_find_batch(api, SIM_PROTO_OPENAI, id);
    sim_batchapi_unlock(api);
    if (!b)
        return refuse(reply, 404, NULL, "No batch found with id '%s'.", id);
    return reply_batch(api, b, reply);
}

int sim_batchapi_openai_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply)
{
    const char *path = bc->call->path, *tail = NULL;
    int get = strcmp(bc->method, "GET") == 0, post = strcmp(bc->method, "POST") == 0;
    char id[96];
    if (strcmp(path, "/v1/batches") == 0 && (post || get)) {
        if (get)
            return list(api, bc->call, reply);
        json_t *req =
            bc->call->body ? json_loadb(bc->call->body, bc->call->body_len, 0, NULL) : NULL;
        int rc = create(api, req, reply);
        json_decref(req);
        return rc;
    }
    if (strncmp(path, "/v1/batches/", 12) == 0 &&
        sim_batchapi_path_item(path + 11, id, sizeof id, &tail) == 0) {
        if (!*tail && get)
            return retrieve(api, id, reply);
        if (strcmp(tail, "/cancel") == 0 && post)
            return cancel(api, id, reply);
    }
    return refuse(reply, 404, NULL, "Invalid URL (%s)", path);
}
