/* sim_faults.c - injected failures. */
#include "sim_faults.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What a proxy in front of a provider sends when the provider did not answer it. */
static const char bad_gateway_html[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n";

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

int sim_faults_server_error(unsigned long n, sim_reply_t *reply)
{
    free(reply->billing.digests);
    memset(&reply->billing, 0, sizeof reply->billing);
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

static const char portal_html[] =
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
    "<body><h1>We'll be right back</h1><p>The site is down for maintenance.</p></body></html>\n";

int sim_faults_bad_body(sim_fault_t f, const char *redirect_to, sim_reply_t *reply)
{
    reply->fault = f;
    if (f != SIM_FAULT_NO_USAGE) {
        free(reply->billing.digests);
        memset(&reply->billing, 0, sizeof reply->billing);
    }
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
            json_object_del(root, "usage");
            text = json_dumps(root, JSON_COMPACT);
            json_decref(root);
        }
        int rc = text ? set_body(reply, text, strlen(text), NULL) : -1;
        free(text);
        return rc;
    }
    case SIM_FAULT_ERROR200:
        if (sim_reply_error(reply, 500, "server_error", NULL, NULL,
                            "The server had an error processing your request.") != 0)
            return -1;
        reply->status = 200;
        return 0;
    case SIM_FAULT_REDIRECT:
        reply->status = 307;
        sim_reply_header(reply, "Location", "%s", redirect_to ? redirect_to : "/v1/chat/completions");
        return set_body(reply, "", 0, "text/plain");
    case SIM_FAULT_HUGE: /* the transport makes the body */
    case SIM_FAULT_DRIP: /* the transport sends the body slowly */
    default:
        return 0;
    }
}
