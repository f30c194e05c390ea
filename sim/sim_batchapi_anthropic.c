/* sim_batchapi_anthropic.c - Message Batches (sim_batchapi_anthropic.h).
 *
 * A create's body is checked at once, as the API does: a problem anywhere is a 400
 * naming "requests.<i>..." (custom_id at most 64 characters of [A-Za-z0-9_-], unique;
 * params an object; no stream), and --batch-validation-fail and --batch-enqueued-tokens
 * refuse the create (400, 429 rate_limit_error) rather than failing the batch later: a
 * Message Batch has no failed state. The parsed requests are the batch's one copy of its
 * input. Counts other than processing stay 0 until the batch ends (facts §2). Messages
 * other than the custom_id length's (anthropic-sdk-python#984) are the simulator's. */
#include "sim_batchapi_anthropic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_batchapi_lines.h"
#include "sim_batchapi_run.h"

#define PREFIX       "/v1/messages/batches"
#define MAX_REQUESTS 100000 /* per batch (facts §2) */
#define CUSTOM_ID    "^[a-zA-Z0-9_-]{1,64}$"
#define WINDOW_S     86400.0
#define LIST_DEFAULT 20
#define LIST_MAX     1000

#define refuse(reply, status, ...)                                                                 \
    sim_batchapi_refuse(reply, SIM_PROTO_ANTHROPIC, status, NULL, NULL, __VA_ARGS__)

int sim_batchapi_anthropic_serves(const char *path)
{
    size_t n = strlen(PREFIX);
    return strncmp(path, PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* An RFC 3339 time, or JSON null when cond does not hold. */
static json_t *time_if(int cond, const sim_batch_t *b, double at)
{
    char buf[48];
    if (!cond)
        return json_null();
    sim_batchapi_rfc3339(sim_batchapi_batch_wall(b, at), buf, sizeof buf);
    return json_string(buf);
}

/* The message_batch object of b at now; host names the results_url's server. Call with
 * the lock held. */
static json_t *batch_json(const sim_batch_t *b, double now, const char *host)
{
    const sim_btimeline_t *t = &b->tl;
    sim_bphase_t p = sim_btimeline_phase(t, now);
    int ended = sim_bphase_final(p), cancelled = t->cancel_at >= 0;
    const sim_btally_t *n = &b->tally;
    int ran = b->ran && ended;
    char url[256];
    snprintf(url, sizeof url, "http://%s" PREFIX "/%s/results", host, b->id);
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:{s:I,s:I,s:I,s:I,s:I},s:o,s:o,s:o,s:o,s:n,s:o}", "id", b->id, "type",
        "message_batch", "processing_status",
        ended                        ? "ended"
        : p == SIM_BPHASE_CANCELLING ? "canceling"
                                     : "in_progress",
        "request_counts", "processing", (json_int_t)(ran ? 0 : b->total), "succeeded",
        (json_int_t)(ran ? n->ok : 0), "errored", (json_int_t)(ran ? n->refused + n->faults : 0),
        "canceled", (json_int_t)(ran && p == SIM_BPHASE_CANCELLED ? n->not_run : 0), "expired",
        (json_int_t)(ran && p == SIM_BPHASE_EXPIRED ? n->not_run : 0), "created_at",
        time_if(1, b, t->created), "expires_at", time_if(1, b, t->created + WINDOW_S), "ended_at",
        time_if(ended, b, cancelled ? t->cancel_at + SIM_BATCH_CANCEL_S : t->created + t->seconds),
        "cancel_initiated_at", time_if(cancelled, b, t->cancel_at), "archived_at", "results_url",
        ended ? json_string(url) : json_null());
    return root;
}

/* sim_bline_render_fn: {"custom_id","result":{"type":"succeeded","message":{...}}} and
 * errored / canceled / expired (facts §2). */
static int render(const sim_batch_t *b, const sim_bline_t *l, sim_bbuf_t *out, sim_bbuf_t *err)
{
    (void)b;
    (void)err;
    if (sim_bbuf_add(out, "{\"custom_id\":", 13) != 0 || sim_bbuf_add_string(out, l->custom_id))
        return -1;
    switch (l->outcome) {
    case SIM_BLINE_OK:
    case SIM_BLINE_REFUSED:
        if (sim_bbuf_addf(out, ",\"result\":{\"type\":\"%s\",\"%s\":",
                          l->outcome == SIM_BLINE_OK ? "succeeded" : "errored",
                          l->outcome == SIM_BLINE_OK ? "message" : "error") != 0 ||
            sim_bbuf_add(out, l->body, l->body_len) != 0)
            return -1;
        return sim_bbuf_add(out, "}}\n", 3);
    case SIM_BLINE_FAULT:
        return sim_bbuf_addf(out,
                             ",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\","
                             "\"error\":{\"type\":\"api_error\",\"message\":\"Internal server "
                             "error\"},\"request_id\":\"req_sim_%lu\"}}}\n",
                             l->id);
    case SIM_BLINE_CANCELLED:
        return sim_bbuf_addf(out, ",\"result\":{\"type\":\"canceled\"}}\n");
    default:
        return sim_bbuf_addf(out, ",\"result\":{\"type\":\"expired\"}}\n");
    }
}

/* The first problem of requests (the create body's member) as a 400 message in why, or
 * 0 when there is none. Adds each request's estimated tokens to *est when asked. */
static int requests_problem(const sim_config_t *cfg, const json_t *requests, char *why,
                            size_t whylen, unsigned long long *est)
{
    size_t n = json_array_size(requests);
    if (!json_is_array(requests))
        return snprintf(why, whylen, "requests: %s",
                        requests ? "Input should be a valid list" : "Field required");
    if (n == 0 || n > MAX_REQUESTS)
        return snprintf(why, whylen, "requests: List should have at %s %d item%s, not %zu",
                        n ? "most" : "least", n ? MAX_REQUESTS : 1, n ? "s" : "", n);
    json_t *seen = json_object();
    if (!seen)
        return snprintf(why, whylen, "out of memory");
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *item = json_array_get(requests, i);
        json_t *params = json_object_get(item, "params");
        const char *cid = json_string_value(json_object_get(item, "custom_id"));
        size_t len = cid ? strlen(cid) : 0;
        if (!json_is_object(item))
            bad = snprintf(why, whylen, "requests.%zu: Input should be a valid dictionary", i);
        else if (!cid)
            bad = snprintf(why, whylen, "requests.%zu.custom_id: Field required", i);
        else if (len > 64)
            bad = snprintf(why, whylen,
                           "requests.%zu.custom_id: String should have at most 64 characters", i);
        else if (len == 0 || strspn(cid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-") != len)
            bad =
                snprintf(why, whylen,
                         "requests.%zu.custom_id: String should match pattern '" CUSTOM_ID "'", i);
        else if (json_object_get(seen, cid))
            bad = snprintf(why, whylen,
                           "requests.%zu.custom_id: custom_id '%s' is used by another request; "
                           "each must be unique",
                           i, cid);
        else if (!json_is_object(params))
            bad = snprintf(why, whylen, "requests.%zu.params: %s", i,
                           params ? "Input should be a valid dictionary" : "Field required");
        else if (json_is_true(json_object_get(params, "stream")))
            bad = snprintf(why, whylen,
                           "requests.%zu.params.stream: streaming is not supported in batches", i);
        if (!bad && json_object_set(seen, cid, json_true()) != 0)
            bad = snprintf(why, whylen, "out of memory");
        if (!bad && cfg->batch_enqueued_tokens) {
            char *text = json_dumps(params, JSON_COMPACT);
            if (text)
                *est += sim_blines_estimate(cfg, SIM_PROTO_ANTHROPIC, "", text, strlen(text));
            free(text);
        }
    }
    json_decref(seen);
    return bad;
}

/* Sends b's object as of now (read under the lock), running its lines first if it has
 * ended by then. */
static int reply_batch(sim_batchapi_t *api, sim_batch_t *b, const sim_call_t *call,
                       sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    sim_batchapi_unlock(api);
    if (sim_batchapi_run(api, b, now, render) != 0)
        return -1;
    sim_batchapi_lock(api);
    json_t *obj = batch_json(b, now, sim_batchapi_call_host(call));
    sim_batchapi_unlock(api);
    return sim_reply_json(reply, 200, obj);
}

/* POST /v1/messages/batches. */
static int create(sim_batchapi_t *api, const sim_call_t *call, sim_reply_t *reply)
{
    const sim_config_t *cfg = sim_batchapi_config(api);
    const char *ctype = sim_call_header(call, "content-type");
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0)
        return refuse(reply, 400, "content-type: must be application/json");
    json_t *root = call->body ? json_loadb(call->body, call->body_len, 0, NULL) : NULL;
    json_t *requests = json_object_get(root, "requests");
    char why[512];
    unsigned long long est = 0;
    if (!json_is_object(root) || requests_problem(cfg, requests, why, sizeof why, &est)) {
        int rc = refuse(reply, 400, "%s",
                        json_is_object(root) ? why : "There was an error parsing the body.");
        json_decref(root);
        return rc;
    }
    const char *model = json_string_value(
        json_object_get(json_object_get(json_array_get(requests, 0), "params"), "model"));
    char model_buf[128];
    snprintf(model_buf, sizeof model_buf, "%s", model ? model : "");
    sim_bnew_t spec = {.proto = SIM_PROTO_ANTHROPIC,
                       .id_prefix = "msgbatch_",
                       .id_hexdigits = 24,
                       .model = model_buf,
                       .requests = json_incref(requests),
                       .total = json_array_size(requests),
                       .est_tokens = est,
                       .refuse_invalid = 1,
                       .refuse_tokens = 1};
    json_decref(root); /* the requests live on in the batch */
    sim_batch_t *b;
    unsigned long long enqueued;
    switch (sim_batchapi_create(api, &spec, &b, &enqueued)) {
    case SIM_BCREATE_OK:
        return reply_batch(api, b, call, reply);
    case SIM_BCREATE_INVALID: /* the second request, as OpenAI's fault names line 2 */
        return refuse(reply, 400,
                      "requests.1.params: Input should be a valid dictionary (the simulator's "
                      "--batch-validation-fail)");
    case SIM_BCREATE_TOKENS:
        return refuse(reply, 429,
                      "This batch would exceed your organization's limit of %llu enqueued "
                      "tokens for %s: %llu enqueued, %llu more requested. Try again once some "
                      "batches have ended.",
                      cfg->batch_enqueued_tokens, model_buf, enqueued, est);
    default:
        return -1;
    }
}

/* GET /v1/messages/batches?limit=N&after_id=ID: newest first. */
static int list(sim_batchapi_t *api, const sim_call_t *call, sim_reply_t *reply)
{
    const char *limit_arg = sim_call_query(call, "limit"),
               *after = sim_call_query(call, "after_id");
    char *end = NULL;
    long limit = limit_arg ? strtol(limit_arg, &end, 10) : LIST_DEFAULT;
    if (limit_arg && (*end || limit < 1 || limit > LIST_MAX))
        return refuse(reply, 400, "limit: must be from 1 to 1000, not '%s'", limit_arg);
    sim_batch_t **page = malloc(((size_t)limit + 1) * sizeof *page);
    if (!page)
        return -1;
    size_t n = 0;
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    int skipping = after != NULL;
    for (size_t k = 0; n <= (size_t)limit; k++) {
        sim_batch_t *b = sim_batchapi_nth_newest(api, SIM_PROTO_ANTHROPIC, k);
        if (!b)
            break;
        if (!skipping)
            page[n++] = b;
        else if (strcmp(b->id, after) == 0)
            skipping = 0;
    }
    sim_batchapi_unlock(api);
    int has_more = n > (size_t)limit, rc = 0;
    if (has_more)
        n = (size_t)limit;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = sim_batchapi_run(api, page[i], now, render);
    json_t *data = rc == 0 ? json_array() : NULL;
    sim_batchapi_lock(api);
    for (size_t i = 0; data && i < n; i++)
        json_array_append_new(data, batch_json(page[i], now, sim_batchapi_call_host(call)));
    sim_batchapi_unlock(api);
    if (data)
        rc = sim_reply_json(reply, 200,
                            json_pack("{s:o,s:b,s:s?,s:s?}", "data", data, "has_more", has_more,
                                      "first_id", n ? page[0]->id : NULL, "last_id",
                                      n ? page[n - 1]->id : NULL));
    free(page);
    return data ? rc : -1;
}

/* POST .../{id}/cancel: canceling for SIM_BATCH_CANCEL_S, then ended. */
static int cancel(sim_batchapi_t *api, sim_batch_t *b, const sim_call_t *call, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    sim_bphase_t p = sim_btimeline_phase(&b->tl, now);
    int refused = p != SIM_BPHASE_CANCELLING && sim_batchapi_cancel(b, now) != 0;
    sim_batchapi_unlock(api);
    if (refused)
        return refuse(reply, 400, "Batch %s has ended and cannot be canceled.", b->id);
    return reply_batch(api, b, call, reply);
}

/* GET .../{id}/results: JSONL, in the batch's shuffled order. */
static int results(sim_batchapi_t *api, sim_batch_t *b, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    sim_batchapi_unlock(api);
    if (sim_batchapi_run(api, b, now, render) != 0)
        return -1;
    sim_batchapi_lock(api);
    const sim_bfile_t *f = b->ran ? b->output : NULL;
    int ended = b->ran;
    sim_batchapi_unlock(api);
    if (!ended)
        return refuse(reply, 400,
                      "Batch %s is still processing: its results are available "
                      "once processing has ended.",
                      b->id);
    char *copy = malloc(f ? f->len + 1 : 1);
    if (!copy)
        return -1;
    memcpy(copy, f ? f->data : "", f ? f->len + 1 : 1);
    free(reply->body);
    reply->body = copy;
    reply->body_len = f ? f->len : 0;
    reply->status = 200;
    reply->content_type = "application/jsonl";
    return 0;
}

int sim_batchapi_anthropic_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply)
{
    const sim_call_t *call = bc->call;
    const char *path = call->path, *tail = NULL;
    const char *version = sim_call_header(call, "anthropic-version");
    int get = strcmp(bc->method, "GET") == 0, post = strcmp(bc->method, "POST") == 0;
    char id[96];
    if (!version)
        return refuse(reply, 400, "anthropic-version: header is required");
    if (strcmp(path, PREFIX) == 0 && post)
        return create(api, call, reply);
    if (strcmp(path, PREFIX) == 0 && get)
        return list(api, call, reply);
    if (sim_batchapi_path_item(path + strlen(PREFIX), id, sizeof id, &tail) == 0) {
        sim_batchapi_lock(api);
        sim_batch_t *b = sim_batchapi_find_batch(api, SIM_PROTO_ANTHROPIC, id);
        sim_batchapi_unlock(api);
        if (!b)
            return refuse(reply, 404, "No message batch with id '%s'.", id);
        if (!*tail && get)
            return reply_batch(api, b, call, reply);
        if (strcmp(tail, "/cancel") == 0 && post)
            return cancel(api, b, call, reply);
        if (strcmp(tail, "/results") == 0 && get)
            return results(api, b, reply);
    }
    return refuse(reply, 404, "Not found: %s %s", bc->method, path);
}
