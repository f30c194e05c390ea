/* sim_openai.c - the OpenAI chat/completions protocol: POST /v1/chat/completions with
 * "Authorization: Bearer KEY", chat.completion answers, {"error":{message,type,param,
 * code}} errors, x-ratelimit-* headers with Go durations (docs/provider-facts.md §1, §4). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_models.h"
#include "sim_openai_parse.h"
#include "sim_protocol.h"

#define NS_PER_MS 1000000ULL

/* What a proxy in front of a provider sends when the provider did not answer it. */
static const char bad_gateway_html[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n";

static int openai_serves(const char *path)
{
    return strcmp(path, "/v1/chat/completions") == 0;
}

static int openai_authorize(const sim_config_t *cfg, const sim_call_t *call, sim_reply_t *reply)
{
    static const char bearer[] = "Bearer ";
    const char *key = cfg->key;
    if (!key)
        return 0;
    const char *authorization = sim_call_header(call, "Authorization");
    if (authorization && strncmp(authorization, bearer, strlen(bearer)) == 0 &&
        strcmp(authorization + strlen(bearer), key) == 0)
        return 0;
    int rc = authorization
                 ? sim_reply_error(reply, 401, "invalid_request_error", NULL, "invalid_api_key",
                                   "Incorrect API key provided.")
                 : sim_reply_error(reply, 401, "invalid_request_error", NULL, "invalid_api_key",
                                   "You didn't provide an API key. You need to provide your API "
                                   "key in an Authorization header using Bearer auth.");
    return rc == 0 ? -1 : -2;
}

static int openai_parse(const sim_config_t *cfg, const sim_call_t *call, sim_request_t *req,
                        sim_error_t *err)
{
    if (sim_openai_parse(call->body ? call->body : "", call->body_len, cfg, req, err) != 0)
        return -1;
    if (!sim_models_serves(cfg->models, req->model)) { /* OpenAI's answer to a misspelt model */
        sim_error_set(err, NULL, "model_not_found",
                      "The model `%.100s` does not exist or you do not have access to it.",
                      req->model);
        err->status = 404;
        sim_request_free(req);
        return -1;
    }
    return 0;
}

static int openai_refuse(sim_reply_t *reply, const sim_error_t *err)
{
    if (err->status >= 500)
        return sim_reply_error(reply, err->status, "server_error", NULL, NULL, "%s", err->message);
    return sim_reply_from_error(reply, err);
}

static int openai_answer(const sim_request_t *req, const sim_answer_t *answer, unsigned long id,
                         sim_reply_t *reply)
{
    const sim_billing_t *b = &reply->billing;
    char idbuf[48];
    snprintf(idbuf, sizeof idbuf, "chatcmpl-sim-%lu", id);
    json_t *root = json_pack(
        "{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id", idbuf, "object",
        "chat.completion", "created", (json_int_t)time(NULL), "model", req->model, "choices",
        "index", 0, "message", "role", "assistant", "content", answer->text, "finish_reason",
        answer->cut ? "length" : "stop", "usage", "prompt_tokens", (json_int_t)b->prompt_tokens,
        "completion_tokens", (json_int_t)b->completion_tokens, "total_tokens",
        (json_int_t)(b->prompt_tokens + b->completion_tokens));
    if (!root)
        return -1;
    char *body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!body)
        return -1;
    free(reply->body);
    reply->body = body;
    reply->body_len = strlen(body);
    reply->status = 200;
    return 0;
}

static void openai_limit_headers(const sim_config_t *cfg, const sim_limit_result_t *res,
                                 sim_reply_t *reply)
{
    char reset[64];
    if (cfg->rpm) {
        sim_limits_format_duration(res->reset_requests_ns, reset, sizeof reset);
        sim_reply_header(reply, "x-ratelimit-limit-requests", "%llu", cfg->rpm);
        sim_reply_header(reply, "x-ratelimit-remaining-requests", "%.0f",
                         floor(res->remaining_requests));
        sim_reply_header(reply, "x-ratelimit-reset-requests", "%s", reset);
    }
    if (cfg->tpm) {
        sim_limits_format_duration(res->reset_tokens_ns, reset, sizeof reset);
        sim_reply_header(reply, "x-ratelimit-limit-tokens", "%llu", cfg->tpm);
        sim_reply_header(reply, "x-ratelimit-remaining-tokens", "%.0f",
                         floor(res->remaining_tokens));
        sim_reply_header(reply, "x-ratelimit-reset-tokens", "%s", reset);
    }
}

/* An OpenAI rate_limit_exceeded error, retry-after (whole seconds, rounded up) and
 * retry-after-ms, or x-should-retry: false for a request too large to ever go. */
static int openai_limited(const sim_config_t *cfg, const sim_limit_result_t *res, const char *model,
                          sim_reply_t *reply)
{
    static const char more[] =
        "Visit https://platform.openai.com/account/rate-limits to learn more.";
    int rc;
    if (res->verdict == SIM_LIMIT_TOO_LARGE) {
        rc = sim_reply_error(reply, 429, "tokens", NULL, "rate_limit_exceeded",
                             "Request too large for %.100s in organization org-sim on tokens per "
                             "min (TPM): Limit %llu, Requested %llu. The input or output tokens "
                             "must be reduced in order to run successfully. %s",
                             model, cfg->tpm, res->requested, more);
        if (rc == 0)
            sim_reply_header(reply, "x-should-retry", "false");
    } else {
        int tokens = res->verdict == SIM_LIMIT_TOKENS;
        char wait[64];
        sim_limits_format_duration(res->wait_ns, wait, sizeof wait);
        rc =
            sim_reply_error(reply, 429, tokens ? "tokens" : "requests", NULL, "rate_limit_exceeded",
                            "Rate limit reached for %.100s in organization org-sim on %s per min "
                            "(%s): Limit %llu, Used %llu, Requested %llu. Please try again in "
                            "%s. %s",
                            model, tokens ? "tokens" : "requests", tokens ? "TPM" : "RPM",
                            tokens ? cfg->tpm : cfg->rpm, res->used, res->requested, wait, more);
        if (rc == 0) {
            uint64_t ms = res->wait_ns / NS_PER_MS + (res->wait_ns % NS_PER_MS != 0);
            sim_reply_header(reply, "retry-after", "%llu", (unsigned long long)((ms + 999) / 1000));
            if (!cfg->no_retry_after_ms)
                sim_reply_header(reply, "retry-after-ms", "%llu", (unsigned long long)ms);
        }
    }
    if (rc != 0)
        return -1;
    reply->refusal = SIM_REFUSAL_RATE_LIMIT;
    return 0;
}

static int openai_quota(const sim_config_t *cfg, const char *model, sim_reply_t *reply)
{
    (void)cfg;
    (void)model;
    if (sim_reply_error(reply, 429, "insufficient_quota", NULL, "insufficient_quota",
                        "You exceeded your current quota, please check your plan and billing "
                        "details.") != 0)
        return -1;
    reply->refusal = SIM_REFUSAL_QUOTA;
    return 0;
}

/* In turn: a 500 server_error, a proxy's HTML 502 Bad Gateway, a 503 "engine overloaded". */
static int openai_server_error(unsigned long n, sim_reply_t *reply)
{
    sim_protocol_drop_billing(reply);
    reply->fault = SIM_FAULT_HTTP;
    switch (n % 3) {
    case 0:
        return sim_reply_error(reply, 500, "server_error", NULL, NULL,
                               "The server had an error while processing your request. Sorry "
                               "about that!");
    case 1: {
        char *body = strdup(bad_gateway_html);
        if (!body)
            return -1;
        free(reply->body);
        reply->body = body;
        reply->body_len = strlen(body);
        reply->status = 502;
        reply->content_type = "text/html";
        return 0;
    }
    default:
        return sim_reply_error(reply, 503, "server_error", NULL, NULL,
                               "The engine is currently overloaded, please try again later");
    }
}

static void openai_response_headers(unsigned long id, long elapsed_ms, sim_reply_t *reply)
{
    sim_reply_header(reply, "x-request-id", "req_sim_%lu", id);
    sim_reply_header(reply, "openai-processing-ms", "%ld", elapsed_ms);
}

const sim_protocol_t sim_protocol_openai = {
    .id = SIM_PROTO_OPENAI,
    .name = "openai",
    .usage_key = "usage",
    .max_body_bytes = 0,
    .serves = openai_serves,
    .authorize = openai_authorize,
    .parse = openai_parse,
    .refuse = openai_refuse,
    .answer = openai_answer,
    .limited = openai_limited,
    .limit_headers = openai_limit_headers,
    .quota = openai_quota,
    .server_error = openai_server_error,
    .response_headers = openai_response_headers,
};
