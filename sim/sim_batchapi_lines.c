/* sim_batchapi_lines.c - reading a batch's requests (sim_batchapi_lines.h). */
#include "sim_batchapi_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_answer.h"

int sim_blines_split(const char *data, size_t len, size_t **off, size_t *n)
{
    size_t count = 0, cap = 0;
    size_t *starts = NULL;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t stop = end > pos && data[end - 1] == '\r' ? end - 1 : end;
        int blank = 1;
        for (size_t k = pos; k < stop && blank; k++)
            blank = data[k] == ' ' || data[k] == '\t';
        if (!blank) {
            if (count == cap) {
                cap = cap ? cap * 2 : 256;
                size_t *grown = realloc(starts, cap * sizeof *grown);
                if (!grown) {
                    free(starts);
                    return -1;
                }
                starts = grown;
            }
            starts[count++] = pos;
        }
        pos = end + 1;
    }
    *off = starts;
    *n = count;
    return 0;
}

void sim_blines_span(const sim_batch_t *b, size_t i, const char **line, size_t *len)
{
    const char *data = b->input->data;
    size_t start = b->line_off[i], end = start;
    while (end < b->input->len && data[end] != '\n')
        end++;
    if (end > start && data[end - 1] == '\r')
        end--;
    *line = data + start;
    *len = end - start;
}

/* Copies the custom id of item (member key) into *cid and dumps its body (member body). */
static int item_parts(const json_t *item, const char *key, const char *body_key, char **cid,
                      char **body, size_t *body_len, char *why, size_t whylen)
{
    const char *id = json_string_value(json_object_get(item, key));
    *cid = strdup(id ? id : "");
    if (!*cid)
        return -1;
    json_t *b = json_object_get(item, body_key);
    if (!json_is_object(b)) {
        snprintf(why, whylen, "The line has no '%s' object.", body_key);
        return 0;
    }
    *body = json_dumps(b, JSON_COMPACT);
    if (!*body)
        return -1;
    *body_len = strlen(*body);
    return 0;
}

int sim_blines_get(const sim_batch_t *b, size_t i, char **cid, char **body, size_t *body_len,
                   char *why, size_t whylen)
{
    *cid = NULL;
    *body = NULL;
    *body_len = 0;
    why[0] = '\0';
    if (b->requests) /* Anthropic: one object per request */
        return item_parts(json_array_get(b->requests, i), "custom_id", "params", cid, body,
                          body_len, why, whylen);
    int openai = b->proto == SIM_PROTO_OPENAI;
    const char *line;
    size_t len;
    sim_blines_span(b, i, &line, &len);
    json_error_t jerr;
    json_t *item = json_loadb(line, len, 0, &jerr);
    if (!json_is_object(item)) {
        json_decref(item);
        snprintf(why, whylen, "The line is not a JSON object.");
        *cid = strdup("");
        return *cid ? 0 : -1;
    }
    int rc = item_parts(item, openai ? "custom_id" : "key", openai ? "body" : "request", cid, body,
                        body_len, why, whylen);
    json_decref(item);
    return rc;
}

/* sim_lookup_fn of a batch line: the headers its protocol requires of an online call,
 * which a batch line cannot carry (Anthropic's; the create call had them). */
static const char *line_lookup(void *ctx, int query, const char *name)
{
    (void)ctx;
    if (query)
        return NULL;
    if (strcasecmp(name, "anthropic-version") == 0)
        return "2023-06-01";
    if (strcasecmp(name, "content-type") == 0)
        return "application/json";
    return NULL;
}

void sim_blines_online_call(sim_call_t *call, sim_proto_id_t proto, const char *model,
                            const char *body, size_t len, unsigned long id, char *path_buf,
                            size_t path_cap)
{
    static const char *const paths[SIM_PROTO_COUNT] = {"/v1/chat/completions", "/v1/messages",
                                                       NULL};
    memset(call, 0, sizeof *call);
    call->proto = sim_protocol_get(proto);
    call->id = id;
    if (paths[proto]) {
        call->path = paths[proto];
    } else {
        snprintf(path_buf, path_cap, "/v1beta/models/%s:generateContent", model);
        call->path = path_buf;
    }
    call->body = body;
    call->body_len = len;
    call->lookup = line_lookup;
}

unsigned long sim_blines_estimate(const sim_config_t *cfg, sim_proto_id_t proto, const char *model,
                                  const char *body, size_t len)
{
    sim_config_t headers_only = *cfg;
    headers_only.header_check_only = 1;
    char path[SIM_BLINES_PATH_MAX];
    sim_call_t call;
    sim_blines_online_call(&call, proto, model, body, len, 0, path, sizeof path);
    sim_request_t req;
    sim_error_t err;
    if (call.proto->parse(&headers_only, &call, &req, &err) != 0)
        return 0;
    unsigned long tokens = sim_answer_prompt_tokens(&req);
    sim_request_free(&req);
    return tokens;
}
