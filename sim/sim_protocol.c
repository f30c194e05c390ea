/* sim_protocol.c - finding a call's protocol, and what the protocols share. */
#include "sim_protocol.h"

#include <stdlib.h>
#include <string.h>

static const sim_protocol_t *const protocols[SIM_PROTO_COUNT] = {
    &sim_protocol_openai,
    &sim_protocol_anthropic,
    &sim_protocol_gemini,
};

const char *sim_call_header(const sim_call_t *call, const char *name)
{
    return call->lookup ? call->lookup(call->lookup_ctx, 0, name) : NULL;
}

const char *sim_call_query(const sim_call_t *call, const char *name)
{
    return call->lookup ? call->lookup(call->lookup_ctx, 1, name) : NULL;
}

const sim_protocol_t *sim_protocol_for_path(const char *path)
{
    for (size_t i = 0; i < SIM_PROTO_COUNT; i++)
        if (protocols[i]->serves(path))
            return protocols[i];
    return NULL;
}

const sim_protocol_t *sim_protocol_get(sim_proto_id_t id)
{
    return protocols[id];
}

void sim_protocol_drop_billing(sim_reply_t *reply)
{
    free(reply->billing.digests);
    memset(&reply->billing, 0, sizeof reply->billing);
}

size_t sim_protocol_body_limit(const sim_protocol_t *p, const sim_config_t *cfg)
{
    if (p->max_body_bytes && p->max_body_bytes < cfg->max_body_bytes)
        return p->max_body_bytes;
    return cfg->max_body_bytes;
}
