/* sim_batchapi_gemini.c - Gemini batch mode's batches (sim_batchapi_gemini.h); its files
 * are sim_batchapi_gemini_files.c's.
 *
 * A batch is an Operation whose metadata is the GenerateContentBatch: state
 * BATCH_STATE_*, batchStats with int64 counts as strings; once final, "done": true with
 * "response" {responsesFile} (also in metadata.output), or "error" for a failed batch.
 * The responses file holds a {"key","response"} or {"key","error"} line per request; an
 * expired batch has none (facts §3). Over --batch-enqueued-tokens a create is refused
 * 429 RESOURCE_EXHAUSTED; --batch-validation-fail fails the batch when it leaves PENDING.
 * Lines not run when a batch is cancelled are errors with status CANCELLED. */
#include "sim_batchapi_gemini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_batchapi_gemini_files.h"
#include "sim_batchapi_lines.h"
#include "sim_batchapi_run.h"

#define MODELS       "/v1beta/models/"
#define CREATE       ":batchGenerateContent"
#define BATCHES      "/v1beta/batches"
#define TYPE_PREFIX  "type.googleapis.com/google.ai.generativelanguage.v1beta."
#define LIST_DEFAULT 50
#define LIST_MAX     1000

#define refuse(reply, status, ...)                                                                 \
    sim_batchapi_refuse(reply, SIM_PROTO_GEMINI, status, NULL, NULL, __VA_ARGS__)

static const char *const state_words[] = {
    "BATCH_STATE_PENDING",   "BATCH_STATE_RUNNING", "BATCH_STATE_RUNNING", "BATCH_STATE_RUNNING",
    "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED",  "BATCH_STATE_EXPIRED", "BATCH_STATE_CANCELLED"};

int sim_batchapi_gemini_serves(const char *path)
{
    size_t n = strlen(path), c = strlen(CREATE);
    return (strncmp(path, MODELS, strlen(MODELS)) == 0 && n > c &&
            strcmp(path + n - c, CREATE) == 0) ||
           (strncmp(path, BATCHES, strlen(BATCHES)) == 0 &&
            (path[strlen(BATCHES)] == '\0' || path[strlen(BATCHES)] == '/'));
}

/* The counts of b at now as batchStats (int64 as strings). Call with the lock held. */
static json_t *stats_json(const sim_batch_t *b, sim_bphase_t p, double now)
{
    size_t done, failed, ok, pending;
    sim_batchapi_counts(b, now, &done, &failed);
    ok = done - failed;
    pending = b->total - done;
    if (b->ran && p == SIM_BPHASE_EXPIRED) {
        pending = b->total; /* none ran */
    } else if (b->ran) {
        failed += b->tally.not_run; /* cancelled lines are errors in the file */
        pending = 0;
    }
    char total_s[24], ok_s[24], failed_s[24], pending_s[24];
    snprintf(total_s, sizeof total_s, "%zu", b->total);
    snprintf(ok_s, sizeof ok_s, "%zu", ok);
    snprintf(failed_s, sizeof failed_s, "%zu", failed);
    snprintf(pending_s, sizeof pending_s, "%zu", pending);
    return json_pack("{s:s,s:s,s:s,s:s}", "requestCount", total_s, "successfulRequestCount", ok_s,
                     "failedRequestCount", failed_s, "pendingRequestCount", pending_s);
}

/* The Operation of b at now. Call with the lock held. */
static json_t *operation_json(const sim_batch_t *b, double now)
{
    const sim_btimeline_t *t = &b->tl;
    sim_bphase_t p = sim_btimeline_phase(t, now);
    int done = sim_bphase_final(p);
    double end = p == SIM_BPHASE_CANCELLED ? t->cancel_at + SIM_BATCH_CANCEL_S
                 : t->doomed               ? t->created + 0.1 * t->seconds
                                           : t->created + t->seconds;
    char model[160], created[48], updated[48];
    snprintf(model, sizeof model, "models/%s", b->model);
    sim_batchapi_rfc3339(b->created_wall, created, sizeof created);
    sim_batchapi_rfc3339(sim_batchapi_batch_wall(b, done ? end : now), updated, sizeof updated);
    json_t *meta = json_pack("{s:s,s:s,s:s,s:s,s:{s:s},s:s,s:s,s:o,s:s}", "@type",
                             TYPE_PREFIX "GenerateContentBatch", "name", b->id, "displayName",
                             b->label, "model", model, "inputConfig", "fileName", b->input->id,
                             "createTime", created, "updateTime", updated, "batchStats",
                             stats_json(b, p, now), "state", state_words[p]);
    json_t *root = json_pack("{s:s,s:o,s:b}", "name", b->id, "metadata", meta, "done", done);
    if (!root || !done)
        return root;
    json_object_set_new(meta, "endTime", json_string(updated));
    if (p == SIM_BPHASE_FAILED) {
        char message[640];
        if (b->fail_line)
            snprintf(message, sizeof message, "Line %ld of the input file: %s", b->fail_line,
                     b->fail_message);
        else
            snprintf(message, sizeof message, "%s", b->fail_message);
        json_object_set_new(root, "error", json_pack("{s:i,s:s}", "code", 3, "message", message));
    } else if (b->output) {
        json_object_set_new(meta, "output", json_pack("{s:s}", "responsesFile", b->output->id));
        json_object_set_new(root, "response",
                            json_pack("{s:s,s:s}", "@type",
                                      TYPE_PREFIX "GenerateContentBatchOutput", "responsesFile",
                                      b->output->id));
    }
    return root;
}

/* The google.rpc.Status of a line's error: {"code","message","status"}. */
static int add_status(sim_bbuf_t *out, int code, const char *message, const char *status)
{
    return sim_bbuf_addf(out, ",\"error\":{\"code\":%d,\"message\":\"%s\",\"status\":\"%s\"}}\n",
                         code, message, status);
}

/* sim_bline_render_fn: {"key","response":{...}} or {"key","error":{code,message,status}};
 * nothing for an expired batch's lines. */
static int render(const sim_batch_t *b, const sim_bline_t *l, sim_bbuf_t *out, sim_bbuf_t *err)
{
    (void)b;
    (void)err;
    if (l->outcome == SIM_BLINE_EXPIRED)
        return 0;
    if (sim_bbuf_add(out, "{\"key\":", 7) != 0 || sim_bbuf_add_string(out, l->custom_id) != 0)
        return -1;
    switch (l->outcome) {
    case SIM_BLINE_OK:
        if (sim_bbuf_add(out, ",\"response\":", 12) != 0 ||
            sim_bbuf_add(out, l->body, l->body_len) != 0)
            return -1;
        return sim_bbuf_add(out, "}\n", 2);
    case SIM_BLINE_REFUSED: { /* the online body is {"error":{...}}: keep its inside */
        json_t *body = json_loadb(l->body, l->body_len, 0, NULL);
        char *inner = json_dumps(json_object_get(body, "error"), JSON_COMPACT);
        json_decref(body);
        int rc = inner && sim_bbuf_add(out, ",\"error\":", 9) == 0 &&
                         sim_bbuf_add(out, inner, strlen(inner)) == 0
                     ? sim_bbuf_add(out, "}\n", 2)
                     : -1;
        free(inner);
        return rc;
    }
    case SIM_BLINE_FAULT:
        return add_status(out, 503, "The model is overloaded. Please try again later.",
                          "UNAVAILABLE");
    default:
        return add_status(out, 499, "The batch was cancelled before this request ran.",
                          "CANCELLED");
    }
}

/* Sends b's Operation as of now (read under the lock), running its lines first if it is
 * final by then. */
static int reply_operation(sim_batchapi_t *api, sim_batch_t *b, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    sim_batchapi_unlock(api);
    if (sim_batchapi_run(api, b, now, render) != 0)
        return -1;
    sim_batchapi_lock(api);
    json_t *obj = operation_json(b, now);
    sim_batchapi_unlock(api);
    return sim_reply_json(reply, 200, obj);
}

/* The estimated tokens of the lines of view's input (with --batch-enqueued-tokens). */
static unsigned long long estimate(const sim_config_t *cfg, sim_batch_t *view, const char *model)
{
    unsigned long long est = 0;
    for (size_t i = 0; cfg->batch_enqueued_tokens && i < view->total; i++) {
        char *cid = NULL, *body = NULL, why[160];
        size_t len = 0;
        if (sim_blines_get(view, i, &cid, &body, &len, why, sizeof why) == 0 && body)
            est += sim_blines_estimate(cfg, SIM_PROTO_GEMINI, model, body, len);
        free(cid);
        free(body);
    }
    return est;
}

/* POST /v1beta/models/{model}:batchGenerateContent (model: from the path). */
static int create(sim_batchapi_t *api, const sim_call_t *call, const char *model,
                  sim_reply_t *reply)
{
    const sim_config_t *cfg = sim_batchapi_config(api);
    if (strncasecmp(model, "gemini-", 7) != 0 && strncasecmp(model, "gemma-", 6) != 0)
        return refuse(reply, 404,
                      "models/%s is not found for API version v1beta, or is not supported for "
                      "batchGenerateContent.",
                      model);
    json_t *root = call->body ? json_loadb(call->body, call->body_len, 0, NULL) : NULL;
    json_t *batch = json_object_get(root, "batch");
    json_t *input = sim_batchapi_gemini_member(batch, "inputConfig", "input_config");
    const char *label =
        json_string_value(sim_batchapi_gemini_member(batch, "displayName", "display_name"));
    const char *file_name =
        json_string_value(sim_batchapi_gemini_member(input, "fileName", "file_name"));
    char file_id[96], label_buf[160];
    snprintf(file_id, sizeof file_id, "%s", file_name ? file_name : "");
    snprintf(label_buf, sizeof label_buf, "%s", label ? label : "");
    int inline_requests = json_object_get(input, "requests") != NULL;
    int complete = json_is_object(batch) && label && file_name;
    json_decref(root);
    if (!complete)
        return refuse(reply, 400, "%s",
                      inline_requests
                          ? "The simulator takes batch.input_config.file_name only, not inline "
                            "requests."
                          : "batch.display_name and batch.input_config.file_name are required.");
    sim_batchapi_lock(api);
    sim_bfile_t *f = sim_batchapi_find_file(api, SIM_PROTO_GEMINI, file_id);
    int ready = f && f->data && !f->is_result;
    sim_batchapi_unlock(api);
    if (!ready)
        return refuse(reply, 400, "File %s does not exist or is not uploaded yet.", file_id);
    sim_bnew_t spec = {.proto = SIM_PROTO_GEMINI,
                       .id_prefix = "batches/",
                       .id_hexdigits = 20,
                       .model = model,
                       .label = label_buf,
                       .input = f,
                       .refuse_tokens = 1};
    if (sim_blines_split(f->data, f->len, &spec.line_off, &spec.total) != 0)
        return -1;
    if (spec.total == 0) {
        free(spec.line_off);
        return refuse(reply, 400, "File %s holds no requests.", file_id);
    }
    sim_batch_t view = {
        .proto = SIM_PROTO_GEMINI, .input = f, .line_off = spec.line_off, .total = spec.total};
    spec.est_tokens = estimate(cfg, &view, model);
    sim_batch_t *b;
    unsigned long long enqueued;
    switch (sim_batchapi_create(api, &spec, &b, &enqueued)) {
    case SIM_BCREATE_OK:
        return reply_operation(api, b, reply);
    case SIM_BCREATE_TOKENS:
        return refuse(reply, 429,
                      "Resource has been exhausted: enqueued tokens for models/%s would pass "
                      "the limit of %llu (%llu enqueued, %llu more requested).",
                      model, cfg->batch_enqueued_tokens, enqueued, spec.est_tokens);
    default:
        return -1;
    }
}

/* GET /v1beta/batches?pageSize=N&pageToken=T: newest first; the token is where the next
 * page starts. */
static int list(sim_batchapi_t *api, const sim_call_t *call, sim_reply_t *reply)
{
    const char *size_arg = sim_call_query(call, "pageSize");
    const char *token = sim_call_query(call, "pageToken");
    char *end = NULL, *tend = NULL;
    long size = size_arg ? strtol(size_arg, &end, 10) : LIST_DEFAULT;
    unsigned long start = token && *token ? strtoul(token, &tend, 10) : 0;
    if ((size_arg && (*end || size < 1 || size > LIST_MAX)) || (tend && *tend))
        return refuse(reply, 400, "%s", "Invalid pageSize or pageToken.");
    sim_batch_t **page = malloc(((size_t)size + 1) * sizeof *page);
    if (!page)
        return -1;
    size_t n = 0;
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    while (n <= (size_t)size &&
           (page[n] = sim_batchapi_nth_newest(api, SIM_PROTO_GEMINI, start + n)) != NULL)
        n++;
    sim_batchapi_unlock(api);
    int more = n > (size_t)size, rc = 0;
    if (more)
        n = (size_t)size;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = sim_batchapi_run(api, page[i], now, render);
    json_t *ops = rc == 0 ? json_array() : NULL;
    sim_batchapi_lock(api);
    for (size_t i = 0; ops && i < n; i++)
        json_array_append_new(ops, operation_json(page[i], now));
    sim_batchapi_unlock(api);
    free(page);
    if (!ops)
        return -1;
    json_t *root = json_pack("{s:o}", "operations", ops);
    if (root && more) {
        char next[32];
        snprintf(next, sizeof next, "%lu", start + n);
        json_object_set_new(root, "nextPageToken", json_string(next));
    }
    return sim_reply_json(reply, 200, root);
}

/* POST /v1beta/batches/{id}:cancel -> {}. */
static int cancel(sim_batchapi_t *api, sim_batch_t *b, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    int refused = sim_btimeline_phase(&b->tl, now) != SIM_BPHASE_CANCELLING &&
                  sim_batchapi_cancel(b, now) != 0;
    sim_batchapi_unlock(api);
    if (refused)
        return refuse(reply, 400, "Batch %s has finished and cannot be cancelled.", b->id);
    return sim_reply_json(reply, 200, json_object());
}

int sim_batchapi_gemini_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply)
{
    const sim_call_t *call = bc->call;
    const char *path = call->path;
    int get = strcmp(bc->method, "GET") == 0, post = strcmp(bc->method, "POST") == 0;
    size_t n = strlen(path), m = strlen(MODELS), c = strlen(CREATE), bl = strlen(BATCHES);
    char name[160], id[192];
    if (post && strncmp(path, MODELS, m) == 0 && n > m + c && n - m - c < sizeof name) {
        snprintf(name, sizeof name, "%.*s", (int)(n - m - c), path + m);
        return create(api, call, name, reply);
    }
    if (get && strcmp(path, BATCHES) == 0)
        return list(api, call, reply);
    if (strncmp(path, BATCHES, bl) == 0 && path[bl] == '/' && path[bl + 1] &&
        !strchr(path + bl + 1, '/') && n - bl < sizeof name) {
        snprintf(name, sizeof name, "%s", path + bl + 1);
        char *colon = strchr(name, ':');
        int cancelling = colon && strcmp(colon, ":cancel") == 0;
        if (colon)
            *colon = '\0';
        snprintf(id, sizeof id, "batches/%s", name);
        sim_batchapi_lock(api);
        sim_batch_t *b = sim_batchapi_find_batch(api, SIM_PROTO_GEMINI, id);
        sim_batchapi_unlock(api);
        if (!b)
            return refuse(reply, 404, "Batch %s does not exist.", id);
        if (cancelling && post)
            return cancel(api, b, reply);
        if (!colon && get)
            return reply_operation(api, b, reply);
    }
    return refuse(reply, 404, "Method not found: %s %s", bc->method, path);
}
