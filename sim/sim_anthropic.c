/* sim_anthropic.c - the Anthropic Messages protocol: POST /v1/messages with "x-api-key"
 * and "anthropic-version: 2023-06-01", message answers, {"type":"error","error":{type,
 * message},"request_id"} errors, anthropic-ratelimit-* headers with RFC 3339 resets
 * (docs/batch-api-facts.md §2 and §4; docs/provider-facts.md §4). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sim_models.h"
#include "sim_anthropic_parse.h"
#include "sim_protocol.h"

/* Messages requests are capped at 32 MB (facts §4, "Caps"); a MB counted as 1048576
 * bytes, as the API's own image-size messages count it. */
#define ANTHROPIC_MAX_BODY ((size_t)32 * 1024 * 1024)
#define NS_PER_MS          1000000ULL
#define MORE_ON_LIMITS                                                                             \
    "For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the "          \
    "response headers for current usage. Please reduce the prompt length or the maximum "          \
    "tokens requested, or try again later."

static int anthropic_serves(const char *path)
{
    return strcmp(path, "/v1/messages") == 0;
}

/* The error type Anthropic sends with status (docs/batch-api-facts.md §4, "Errors"). */
static const char *error_type(int status)
{
    switch (status) {
    case 400:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 402:
        return "billing_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 529:
        return "overloaded_error";
    default:
        return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

/* Fills reply with status and {"type":"error","error":{"type","message"},"request_id"}. */
static int error_body(sim_reply_t *reply, int status, const char *message)
{
    char text[512], request_id[48];
    snprintf(text, sizeof text, "%s", message);
    sim_reply_utf8_sanitize(text);
    snprintf(request_id, sizeof request_id, "req_sim_%lu", reply->call_id);
    return sim_reply_json(reply, status,
                          json_pack("{s:s,s:{s:s,s:s},s:s}", "type", "error", "error", "type",
                                    error_type(status), "message", text, "request_id", request_id));
}

static int anthropic_refuse(sim_reply_t *reply, const sim_error_t *err)
{
    return error_body(reply, err->status ? err->status : 400, err->message);
}

/* "x-api-key: KEY" (the Authorization header is not Anthropic's). */
static int anthropic_authorize(const sim_config_t *cfg, const sim_call_t *call, sim_reply_t *reply)
{
    if (!cfg->key)
        return 0;
    const char *key = sim_call_header(call, "x-api-key");
    if (key && strcmp(key, cfg->key) == 0)
        return 0;
    return error_body(reply, 401, "invalid x-api-key") == 0 ? -1 : -2;
}

/* The headers first (anthropic-version, content-type), then the body; a model that is
 * not Claude is not found, as on the API. */
static int anthropic_parse(const sim_config_t *cfg, const sim_call_t *call, sim_request_t *req,
                           sim_error_t *err)
{
    memset(req, 0, sizeof *req);
    const char *version = sim_call_header(call, "anthropic-version");
    if (!version)
        return sim_error_set(err, NULL, NULL, "anthropic-version: header is required");
    if (strcmp(version, "2023-06-01") != 0 && strcmp(version, "2023-01-01") != 0)
        return sim_error_set(err, NULL, NULL, "anthropic-version: \"%.40s\" is not a valid version",
                             version);
    const char *ctype = sim_call_header(call, "content-type");
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0)
        return sim_error_set(err, NULL, NULL, "content-type: must be application/json");
    if (sim_anthropic_parse(call->body ? call->body : "", call->body_len, cfg, req, err) != 0)
        return -1;
    if (strncasecmp(req->model, "claude-", 7) != 0 || !sim_models_serves(cfg->models, req->model)) {
        sim_error_set(err, NULL, NULL, "model: %.100s", req->model);
        err->status = 404;
        sim_request_free(req);
        return -1;
    }
    return 0;
}

static int anthropic_answer(const sim_request_t *req, const sim_answer_t *answer, unsigned long id,
                            sim_reply_t *reply)
{
    const sim_billing_t *b = &reply->billing;
    char msg_id[48];
    snprintf(msg_id, sizeof msg_id, "msg_sim_%lu", id);
    json_t *root =
        json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:s,s:n,s:{s:I,s:I,s:i,s:i}}", "id", msg_id,
                  "type", "message", "role", "assistant", "model", req->model, "content", "type",
                  "text", "text", answer->text, "stop_reason",
                  answer->cut ? "max_tokens" : "end_turn", "stop_sequence", "usage", "input_tokens",
                  (json_int_t)b->prompt_tokens, "output_tokens", (json_int_t)b->completion_tokens,
                  "cache_creation_input_tokens", 0, "cache_read_input_tokens", 0);
    return sim_reply_json(reply, 200, root);
}

/* Writes the wall-clock time ns from now as RFC 3339 UTC: "2026-12-03T12:00:00Z", with
 * milliseconds when the instant is not a whole second ("...:00.250Z"). */
static void format_reset(uint64_t ns, char *buf, size_t len)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms = ((uint64_t)now.tv_nsec + ns + NS_PER_MS - 1) / NS_PER_MS; /* rounded up */
    time_t secs = now.tv_sec + (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char whole[32];
    strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        snprintf(buf, len, "%s.%03uZ", whole, (unsigned)(ms % 1000));
    else
        snprintf(buf, len, "%sZ", whole);
}

/* anthropic-ratelimit-requests-* with --rpm; with --tpm the one token limit is reported as
 * tokens-* and as input-tokens-* and output-tokens-* alike (the simulator keeps a single
 * TPM limit where Anthropic keeps ITPM and OTPM; tokens-* is the most restrictive). */
static void anthropic_limit_headers(const sim_config_t *cfg, const sim_limit_result_t *res,
                                    sim_reply_t *reply)
{
    char reset[48];
    if (cfg->rpm) {
        format_reset(res->reset_requests_ns, reset, sizeof reset);
        sim_reply_header(reply, "anthropic-ratelimit-requests-limit", "%llu", cfg->rpm);
        sim_reply_header(reply, "anthropic-ratelimit-requests-remaining", "%.0f",
                         floor(res->remaining_requests));
        sim_reply_header(reply, "anthropic-ratelimit-requests-reset", "%s", reset);
    }
    if (cfg->tpm) {
        static const char *const kinds[] = {"tokens", "input-tokens", "output-tokens"};
        format_reset(res->reset_tokens_ns, reset, sizeof reset);
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            char name[48];
            snprintf(name, sizeof name, "anthropic-ratelimit-%s-limit", kinds[i]);
            sim_reply_header(reply, name, "%llu", cfg->tpm);
            snprintf(name, sizeof name, "anthropic-ratelimit-%s-remaining", kinds[i]);
            sim_reply_header(reply, name, "%.0f", floor(res->remaining_tokens));
            snprintf(name, sizeof name, "anthropic-ratelimit-%s-reset", kinds[i]);
            sim_reply_header(reply, name, "%s", reset);
        }
    }
}

/* 429 rate_limit_error with retry-after in whole seconds (rounded up); a request heavier
 * than the whole token limit gets x-should-retry: false instead (the SDKs obey it). */
static int anthropic_limited(const sim_config_t *cfg, const sim_limit_result_t *res,
                             const char *model, sim_reply_t *reply)
{
    char message[512];
    (void)model;
    if (res->verdict == SIM_LIMIT_TOO_LARGE) {
        snprintf(message, sizeof message,
                 "This request would exceed the rate limit for your organization (org-sim) of "
                 "%llu tokens per minute on its own: %llu tokens requested. " MORE_ON_LIMITS,
                 cfg->tpm, res->requested);
        if (error_body(reply, 429, message) != 0)
            return -1;
        sim_reply_header(reply, "x-should-retry", "false");
    } else {
        int tokens = res->verdict == SIM_LIMIT_TOKENS;
        snprintf(message, sizeof message,
                 "This request would exceed the rate limit for your organization (org-sim) of "
                 "%llu %s per minute. " MORE_ON_LIMITS,
                 tokens ? cfg->tpm : cfg->rpm, tokens ? "tokens" : "requests");
        if (error_body(reply, 429, message) != 0)
            return -1;
        uint64_t ms = res->wait_ns / NS_PER_MS + (res->wait_ns % NS_PER_MS != 0);
        sim_reply_header(reply, "retry-after", "%llu", (unsigned long long)((ms + 999) / 1000));
    }
    reply->refusal = SIM_REFUSAL_RATE_LIMIT;
    return 0;
}

/* Out of credit is a 400 on Anthropic, not a 429 (facts §2, curator#296). */
static int anthropic_quota(const sim_config_t *cfg, const char *model, sim_reply_t *reply)
{
    (void)cfg;
    (void)model;
    if (error_body(reply, 400,
                   "Your credit balance is too low to access the Anthropic API. Please go to "
                   "Plans & Billing to upgrade or purchase credits.") != 0)
        return -1;
    reply->refusal = SIM_REFUSAL_QUOTA;
    return 0;
}

/* In turn: 500 api_error, 529 overloaded_error (Anthropic's overload status). */
static int anthropic_server_error(unsigned long n, sim_reply_t *reply)
{
    sim_protocol_drop_billing(reply);
    reply->fault = SIM_FAULT_HTTP;
    return n % 2 == 0 ? error_body(reply, 500, "Internal server error")
                      : error_body(reply, 529, "Overloaded");
}

static void anthropic_response_headers(unsigned long id, long elapsed_ms, sim_reply_t *reply)
{
    (void)elapsed_ms;
    sim_reply_header(reply, "request-id", "req_sim_%lu", id);
}

const sim_protocol_t sim_protocol_anthropic = {
    .id = SIM_PROTO_ANTHROPIC,
    .name = "anthropic",
    .usage_key = "usage",
    .max_body_bytes = ANTHROPIC_MAX_BODY,
    .serves = anthropic_serves,
    .authorize = anthropic_authorize,
    .parse = anthropic_parse,
    .refuse = anthropic_refuse,
    .answer = anthropic_answer,
    .limited = anthropic_limited,
    .limit_headers = anthropic_limit_headers,
    .quota = anthropic_quota,
    .server_error = anthropic_server_error,
    .response_headers = anthropic_response_headers,
};
