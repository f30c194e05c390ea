/* sim_faults.c - injected failures. */
#include "sim_faults.h"

#include <stdlib.h>
#include <string.h>

/* What a proxy in front of a provider sends when the provider did not answer it. */
static const char bad_gateway_html[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n";

int sim_faults_enabled(const sim_config_t *cfg)
{
    return cfg->fail_rate > 0 || cfg->timeout_rate > 0 || cfg->reset_rate > 0;
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
