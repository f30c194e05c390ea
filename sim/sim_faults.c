/* sim_faults.c - injected failures: which one, and the bad bodies. */
#include "sim_faults.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int sim_faults_enabled(const sim_config_t *cfg)
{
    double bad = 0;
    for (int i = 0; i < SIM_BAD_BODY_KINDS; i++)
        bad += cfg->bad_body_rate[i];
    return cfg->fail_rate > 0 || cfg->timeout_rate > 0 || cfg->reset_rate > 0 || bad > 0;
}

sim_fault_t sim_faults_draw(const sim_config_t *cfg, double u)
{
    if (u < cfg->timeout_rate)
        return SIM_FAULT_TIMEOUT;
    u -= cfg->timeout_rate;
    if (u < cfg->reset_rate)
        return SIM_FAULT_RESET;
    u -= cfg->reset_rate;
    if (u < cfg->fail_rate)
        return SIM_FAULT_HTTP;
    u -= cfg->fail_rate;
    for (int i = 0; i < SIM_BAD_BODY_KINDS; i++) {
        if (u < cfg->bad_body_rate[i])
            return (sim_fault_t)(SIM_FAULT_HTML + i);
        u -= cfg->bad_body_rate[i];
    }
    return SIM_FAULT_NONE;
}

/* Replaces reply's body with a copy of text (content type ctype). */
static int set_body(sim_reply_t *reply, const char *text, size_t len, const char *ctype)
{
    char *body = malloc(len + 1);
    if (!body)
        return -1;
    memcpy(body, text, len);
    body[len] = '\0';
    free(reply->body);
    reply->body = body;
    reply->body_len = len;
    reply->content_type = ctype;
    return 0;
}

/* Rewrites the 200 answer in reply into proto's refusal of the same request, its usage
 * (the bill) kept: OpenAI's message.refusal with a null content, Anthropic's stop_reason
 * "refusal", Gemini's finishReason "SAFETY" without content. */
static int refusal_body(const sim_protocol_t *proto, sim_reply_t *reply)
{
    static const char said[] = "I'm sorry, but I can't help with that image.";
    json_t *root = json_loadb(reply->body, reply->body_len, 0, NULL);
    int rc = -1;
    if (proto->id == SIM_PROTO_OPENAI) {
        json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
        json_t *message = json_object_get(choice, "message");
        rc = json_object_set_new(message, "content", json_null()) |
             json_object_set_new(message, "refusal", json_string(said)) |
             json_object_set_new(choice, "finish_reason", json_string("stop"));
    } else if (proto->id == SIM_PROTO_ANTHROPIC) {
        rc = json_object_set_new(root, "content",
                                 json_pack("[{s:s, s:s}]", "type", "text", "text", said)) |
             json_object_set_new(root, "stop_reason", json_string("refusal"));
    } else {
        json_t *cand = json_array_get(json_object_get(root, "candidates"), 0);
        rc = json_object_del(cand, "content") |
             json_object_set_new(cand, "finishReason", json_string("SAFETY"));
    }
    char *text = rc == 0 ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    rc = text ? set_body(reply, text, strlen(text), NULL) : -1;
    free(text);
    return rc;
}

static const char portal_html[] =
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
    "<body><h1>We'll be right back</h1><p>The site is down for maintenance.</p></body></html>\n";

int sim_faults_bad_body(sim_fault_t f, const sim_protocol_t *proto, const char *self_path,
                        const char *redirect_to, sim_reply_t *reply)
{
    reply->fault = f;
    if (f != SIM_FAULT_NO_USAGE && f != SIM_FAULT_TRUNCATED && f != SIM_FAULT_REFUSAL)
        sim_protocol_drop_billing(reply);
    switch (f) {
    case SIM_FAULT_HTML:
        return set_body(reply, portal_html, sizeof portal_html - 1, "text/html");
    case SIM_FAULT_TRUNCATED:
        reply->body_len /= 2;
        reply->body[reply->body_len] = '\0';
        return 0;
    case SIM_FAULT_NO_USAGE: {
        json_t *root = json_loadb(reply->body, reply->body_len, 0, NULL);
        char *text = NULL;
        if (root) {
            json_object_del(root, proto->usage_key);
            text = json_dumps(root, JSON_COMPACT);
            json_decref(root);
        }
        int rc = text ? set_body(reply, text, strlen(text), NULL) : -1;
        free(text);
        return rc;
    }
    case SIM_FAULT_ERROR200: {
        sim_error_t e;
        sim_error_set(&e, NULL, NULL, "The server had an error processing your request.");
        e.status = 500;
        if (proto->refuse(reply, &e) != 0)
            return -1;
        reply->status = 200;
        return 0;
    }
    case SIM_FAULT_REFUSAL:
        return refusal_body(proto, reply);
    case SIM_FAULT_REDIRECT:
        reply->status = 307;
        sim_reply_header(reply, "Location", "%s", redirect_to ? redirect_to : self_path);
        return set_body(reply, "", 0, "text/plain");
    case SIM_FAULT_HUGE: /* the transport makes the body */
    case SIM_FAULT_DRIP: /* the transport sends the body slowly */
    default:
        return 0;
    }
}
