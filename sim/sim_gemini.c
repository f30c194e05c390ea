/* sim_gemini.c - the Gemini generateContent protocol: POST
 * /v1beta/models/{model}:generateContent (or /v1/...) with "x-goog-api-key", candidates
 * answers with usageMetadata, google.rpc.Status errors {"error":{code,message,status,
 * details}}, and no rate-limit headers at all: a 429 says what it needs in its details
 * (QuotaFailure, RetryInfo) (docs/batch-api-facts.md §3). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_models.h"
#include "sim_gemini_parse.h"
#include "sim_protocol.h"

#define NS_PER_MS 1000000ULL
#define MODEL_MAX 128
#define METHOD    ":generateContent"
/* A thinking model's thoughts: a small number that depends only on the request, so tests
 * can compute it: THOUGHTS_BASE + THOUGHTS_PER_IMAGE per image. */
#define THOUGHTS_BASE      24UL
#define THOUGHTS_PER_IMAGE 8UL
#define QUOTA_HELP         "https://ai.google.dev/gemini-api/docs/rate-limits"
#define METRIC_REQUESTS    "generativelanguage.googleapis.com/generate_content_requests"
#define METRIC_TOKENS      "generativelanguage.googleapis.com/generate_content_input_token_count"

/* Splits path "/v1beta/models/<model>:generateContent" (or "/v1/models/...") into the
 * API version ("v1beta") and model. Returns 0, or -1 when path is not that. */
static int split_path(const char *path, char *version, size_t version_cap, char *model,
                      size_t model_cap)
{
    static const char *const prefixes[] = {"/v1beta/models/", "/v1/models/"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t plen = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], plen) != 0)
            continue;
        const char *name = path + plen;
        const char *colon = strchr(name, ':');
        if (!colon || colon == name || strcmp(colon, METHOD) != 0 ||
            memchr(name, '/', (size_t)(colon - name)) || (size_t)(colon - name) >= model_cap)
            return -1;
        snprintf(model, model_cap, "%.*s", (int)(colon - name), name);
        snprintf(version, version_cap, "%.*s", (int)(plen - strlen("//models/")), path + 1);
        return 0;
    }
    return -1;
}

static int gemini_serves(const char *path)
{
    char version[16], model[MODEL_MAX];
    return split_path(path, version, sizeof version, model, sizeof model) == 0;
}

/* The google.rpc.Code name Gemini sends with an HTTP status. */
static const char *status_name(int status)
{
    switch (status) {
    case 400:
        return "INVALID_ARGUMENT";
    case 401:
        return "UNAUTHENTICATED";
    case 403:
        return "PERMISSION_DENIED";
    case 404:
        return "NOT_FOUND";
    case 429:
        return "RESOURCE_EXHAUSTED";
    case 503:
        return "UNAVAILABLE";
    case 504:
        return "DEADLINE_EXCEEDED";
    default:
        return status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
    }
}

/* Fills reply with status and {"error":{"code","message","status"[,"details"]}};
 * details (taken over, NULL: none) is a JSON array. */
static int error_body(sim_reply_t *reply, int status, const char *message, json_t *details)
{
    char text[512];
    snprintf(text, sizeof text, "%s", message);
    sim_reply_utf8_sanitize(text);
    json_t *err =
        json_pack("{s:i,s:s,s:s}", "code", status, "message", text, "status", status_name(status));
    if (err && details)
        json_object_set_new(err, "details", details);
    else
        json_decref(details);
    return sim_reply_json(reply, status, err ? json_pack("{s:o}", "error", err) : NULL);
}

/* A too-large body is a 400 on Gemini ("Request payload size exceeds the limit"). */
static int gemini_refuse(sim_reply_t *reply, const sim_error_t *err)
{
    int status = err->status ? err->status : 400;
    return error_body(reply, status == 413 ? 400 : status, err->message, NULL);
}

/* "x-goog-api-key: KEY", or ?key=KEY in the URL (accepted, as Google does; the server
 * counts it in the stats' key_in_url, since a key in a URL ends up in logs). */
static int gemini_authorize(const sim_config_t *cfg, const sim_call_t *call, sim_reply_t *reply)
{
    if (!cfg->key)
        return 0;
    const char *key = sim_call_header(call, "x-goog-api-key");
    if (!key)
        key = sim_call_query(call, "key");
    if (key && strcmp(key, cfg->key) == 0)
        return 0;
    int rc;
    if (!key) {
        rc = error_body(reply, 403,
                        "Method doesn't allow unregistered callers (callers without established "
                        "identity). Please use API Key or other form of API consumer identity to "
                        "call this API.",
                        NULL);
    } else {
        static const char invalid[] = "API key not valid. Please pass a valid API key.";
        json_t *details = json_pack("[{s:s,s:s,s:s,s:{s:s}},{s:s,s:s,s:s}]", "@type",
                                    "type.googleapis.com/google.rpc.ErrorInfo", "reason",
                                    "API_KEY_INVALID", "domain", "googleapis.com", "metadata",
                                    "service", "generativelanguage.googleapis.com", "@type",
                                    "type.googleapis.com/google.rpc.LocalizedMessage", "locale",
                                    "en-US", "message", invalid);
        rc = error_body(reply, 400, invalid, details);
    }
    return rc == 0 ? -1 : -2;
}

/* The model comes from the path; one that is not Gemini (or Gemma) is not found. */
static int gemini_parse(const sim_config_t *cfg, const sim_call_t *call, sim_request_t *req,
                        sim_error_t *err)
{
    char version[16], model[MODEL_MAX];
    memset(req, 0, sizeof *req);
    if (split_path(call->path, version, sizeof version, model, sizeof model) != 0)
        return sim_error_set(err, NULL, NULL, "Invalid path.");
    if ((strncasecmp(model, "gemini-", 7) != 0 && strncasecmp(model, "gemma-", 6) != 0) ||
        !sim_models_serves(cfg->models, model)) {
        sim_error_set(err, NULL, NULL,
                      "models/%.100s is not found for API version %s, or is not supported for "
                      "generateContent. Call ListModels to see the list of available models and "
                      "their supported methods.",
                      model, version);
        err->status = 404;
        return -1;
    }
    return sim_gemini_parse(call->body ? call->body : "", call->body_len, model, cfg, req, err);
}

static int gemini_answer(const sim_request_t *req, const sim_answer_t *answer, unsigned long id,
                         sim_reply_t *reply)
{
    sim_billing_t *b = &reply->billing;
    unsigned long candidates = b->completion_tokens, thoughts = 0;
    if (sim_gemini_model_thinks(req->model) && !req->thinking_off)
        thoughts = THOUGHTS_BASE + THOUGHTS_PER_IMAGE * req->n_images;
    b->completion_tokens += thoughts; /* thinking is billed as output */

    json_t *details = json_pack("[{s:s,s:I}]", "modality", "TEXT", "tokenCount",
                                (json_int_t)(b->prompt_tokens - b->image_tokens));
    if (details && req->n_images)
        json_array_append_new(details, json_pack("{s:s,s:I}", "modality", "IMAGE", "tokenCount",
                                                 (json_int_t)b->image_tokens));
    json_t *usage = json_pack("{s:I,s:I,s:I,s:o}", "promptTokenCount", (json_int_t)b->prompt_tokens,
                              "candidatesTokenCount", (json_int_t)candidates, "totalTokenCount",
                              (json_int_t)(b->prompt_tokens + candidates + thoughts),
                              "promptTokensDetails", details);
    if (usage && thoughts)
        json_object_set_new(usage, "thoughtsTokenCount", json_integer((json_int_t)thoughts));
    char response_id[48];
    snprintf(response_id, sizeof response_id, "sim_%lu", id);
    json_t *root =
        usage ? json_pack("{s:[{s:{s:s,s:[{s:s}]},s:s,s:i}],s:o,s:s,s:s}", "candidates", "content",
                          "role", "model", "parts", "text", answer->text, "finishReason",
                          answer->cut ? "MAX_TOKENS" : "STOP", "index", 0, "usageMetadata", usage,
                          "modelVersion", req->model, "responseId", response_id)
              : NULL;
    return sim_reply_json(reply, 200, root);
}

/* No headers: Gemini reports no limits in headers. */
static void gemini_limit_headers(const sim_config_t *cfg, const sim_limit_result_t *res,
                                 sim_reply_t *reply)
{
    (void)cfg;
    (void)res;
    (void)reply;
}

/* The details of a quota 429: QuotaFailure naming quota_id, Help, and RetryInfo when
 * retry_ns is not 0 (per-minute quotas only; a per-day one says none). */
static json_t *quota_details(const char *metric, const char *quota_id, const char *model,
                             unsigned long long value, uint64_t retry_ns)
{
    char value_text[32];
    snprintf(value_text, sizeof value_text, "%llu", value);
    json_t *details =
        json_pack("[{s:s,s:[{s:s,s:s,s:{s:s,s:s},s:s}]},{s:s,s:[{s:s,s:s}]}]", "@type",
                  "type.googleapis.com/google.rpc.QuotaFailure", "violations", "quotaMetric",
                  metric, "quotaId", quota_id, "quotaDimensions", "location", "global", "model",
                  model, "quotaValue", value_text, "@type", "type.googleapis.com/google.rpc.Help",
                  "links", "description", "Learn more about Gemini API quotas", "url", QUOTA_HELP);
    if (details && retry_ns) {
        /* whole seconds, rounded up: a client that waits retryDelay is then admitted */
        char delay[32];
        snprintf(delay, sizeof delay, "%llus",
                 (unsigned long long)((retry_ns + 1000000000ULL - 1) / 1000000000ULL));
        json_array_append_new(details, json_pack("{s:s,s:s}", "@type",
                                                 "type.googleapis.com/google.rpc.RetryInfo",
                                                 "retryDelay", delay));
    }
    return details;
}

/* Over RPM/TPM: 429 RESOURCE_EXHAUSTED with a per-minute QuotaFailure and RetryInfo. A
 * request heavier than the whole TPM can never go: 400 INVALID_ARGUMENT instead, so no
 * client retries it. */
static int gemini_limited(const sim_config_t *cfg, const sim_limit_result_t *res, const char *model,
                          sim_reply_t *reply)
{
    char message[512];
    int rc;
    if (res->verdict == SIM_LIMIT_TOO_LARGE) {
        snprintf(message, sizeof message,
                 "The input token count (%llu) exceeds the maximum number of tokens allowed "
                 "per minute (%llu).",
                 res->requested, cfg->tpm);
        rc = error_body(reply, 400, message, NULL);
    } else {
        int tokens = res->verdict == SIM_LIMIT_TOKENS;
        const char *metric = tokens ? METRIC_TOKENS : METRIC_REQUESTS;
        unsigned long long limit = tokens ? cfg->tpm : cfg->rpm;
        uint64_t ms = res->wait_ns / NS_PER_MS + (res->wait_ns % NS_PER_MS != 0);
        snprintf(message, sizeof message,
                 "You exceeded your current quota, please check your plan and billing details. "
                 "For more information on this error, head to: " QUOTA_HELP ".\n* Quota "
                 "exceeded for metric: %s, limit: %llu, model: %.100s\nPlease retry in "
                 "%llu.%03llus.",
                 metric, limit, model, (unsigned long long)(ms / 1000),
                 (unsigned long long)(ms % 1000));
        rc = error_body(reply, 429, message,
                        quota_details(metric, "GenerateRequestsPerMinutePerProjectPerModel", model,
                                      limit, res->wait_ns ? res->wait_ns : 1));
    }
    if (rc != 0)
        return -1;
    reply->refusal = SIM_REFUSAL_RATE_LIMIT;
    return 0;
}

/* --quota-after spent: 429 RESOURCE_EXHAUSTED with a per-day QuotaFailure and no
 * RetryInfo (a per-day quota comes back at midnight Pacific: stop). */
static int gemini_quota(const sim_config_t *cfg, const char *model, sim_reply_t *reply)
{
    char message[512];
    snprintf(message, sizeof message,
             "You exceeded your current quota, please check your plan and billing details. For "
             "more information on this error, head to: " QUOTA_HELP ".\n* Quota exceeded for "
             "metric: " METRIC_REQUESTS ", limit: %llu, model: %.100s",
             (unsigned long long)cfg->quota_after, model);
    if (error_body(reply, 429, message,
                   quota_details(METRIC_REQUESTS, "GenerateRequestsPerDayPerProjectPerModel", model,
                                 (unsigned long long)cfg->quota_after, 0)) != 0)
        return -1;
    reply->refusal = SIM_REFUSAL_QUOTA;
    return 0;
}

/* In turn: 500 INTERNAL, 503 UNAVAILABLE (overloaded). */
static int gemini_server_error(unsigned long n, sim_reply_t *reply)
{
    sim_protocol_drop_billing(reply);
    reply->fault = SIM_FAULT_HTTP;
    return n % 2 == 0
               ? error_body(reply, 500,
                            "An internal error has occurred. Please retry or report in "
                            "https://developers.generativeai.google/guide/troubleshooting",
                            NULL)
               : error_body(reply, 503, "The model is overloaded. Please try again later.", NULL);
}

static void gemini_response_headers(unsigned long id, long elapsed_ms, sim_reply_t *reply)
{
    (void)id;
    sim_reply_header(reply, "server-timing", "gfet4t7; dur=%ld", elapsed_ms);
}

const sim_protocol_t sim_protocol_gemini = {
    .id = SIM_PROTO_GEMINI,
    .name = "gemini",
    .usage_key = "usageMetadata",
    .max_body_bytes = 0,
    .serves = gemini_serves,
    .authorize = gemini_authorize,
    .parse = gemini_parse,
    .refuse = gemini_refuse,
    .answer = gemini_answer,
    .limited = gemini_limited,
    .limit_headers = gemini_limit_headers,
    .quota = gemini_quota,
    .server_error = gemini_server_error,
    .response_headers = gemini_response_headers,
};
