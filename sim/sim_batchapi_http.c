/* sim_batchapi_http.c - routing the batch APIs' calls (sim_batchapi_http.h). */
#include "sim_batchapi_http.h"

#include <string.h>

#include "sim_batchapi_anthropic.h"
#include "sim_batchapi_gemini.h"
#include "sim_batchapi_gemini_files.h"
#include "sim_batchapi_openai.h"
#include "sim_batchapi_openai_files.h"

#define MIB ((size_t)1024 * 1024)

typedef int (*handler_fn)(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply);

static const struct {
    int (*serves)(const char *path);
    sim_proto_id_t proto;
    handler_fn handle;
    size_t body_limit; /* of the POST that uploads (facts §1-3); 0: 1 MiB */
} routes[] = {
    {sim_batchapi_openai_files_serves, SIM_PROTO_OPENAI, sim_batchapi_openai_files_handle,
     201 * MIB},
    {sim_batchapi_openai_serves, SIM_PROTO_OPENAI, sim_batchapi_openai_handle, 0},
    {sim_batchapi_anthropic_serves, SIM_PROTO_ANTHROPIC, sim_batchapi_anthropic_handle, 256 * MIB},
    {sim_batchapi_gemini_files_serves, SIM_PROTO_GEMINI, sim_batchapi_gemini_files_handle,
     2048 * MIB},
    {sim_batchapi_gemini_serves, SIM_PROTO_GEMINI, sim_batchapi_gemini_handle, 0},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static int route_of(const char *path)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        if (routes[i].serves(path))
            return (int)i;
    return -1;
}

const sim_protocol_t *sim_batchapi_route(const char *path)
{
    int r = route_of(path);
    return r < 0 ? NULL : sim_protocol_get(routes[r].proto);
}

size_t sim_batchapi_body_limit(const char *path)
{
    int r = route_of(path);
    return r >= 0 && routes[r].body_limit ? routes[r].body_limit : MIB;
}

int sim_batchapi_handle(sim_batchapi_t *api, const char *method, const sim_call_t *call,
                        char **body_buf, sim_reply_t *reply)
{
    int r = route_of(call->path);
    if (r < 0)
        return sim_batchapi_refuse(reply, call->proto->id, 404, NULL, NULL, "Not found: %s",
                                   call->path);
    int auth = call->proto->authorize(sim_batchapi_config(api), call, reply);
    if (auth != 0)
        return auth == -1 ? 0 : -1;
    if (call->body_too_large)
        return sim_batchapi_refuse(reply, call->proto->id, 413, NULL, "request_too_large",
                                   "The request body is larger than the limit of %zu bytes.",
                                   sim_batchapi_body_limit(call->path));
    sim_bcall_t bc = {.method = method, .call = call, .body_buf = body_buf};
    return routes[r].handle(api, &bc, reply);
}
