/* sim_batchapi_openai_files.c - OpenAI's Files API (sim_batchapi_openai_files.h). */
#include "sim_batchapi_openai_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_multipart.h"

#define FILE_KEEP_S (30LL * 86400) /* files expire after 30 days (facts §1) */

#define refuse(reply, status, param, ...)                                                          \
    sim_batchapi_refuse(reply, SIM_PROTO_OPENAI, status, param, NULL, __VA_ARGS__)

int sim_batchapi_openai_files_serves(const char *path)
{
    return strncmp(path, "/v1/files", 9) == 0;
}

static json_t *file_json(const sim_bfile_t *f)
{
    long long created = (long long)f->created_wall;
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:n}", "id", f->id, "object", "file",
                     "bytes", (json_int_t)f->len, "created_at", (json_int_t)created, "expires_at",
                     (json_int_t)(created + FILE_KEEP_S), "filename", f->name, "purpose",
                     f->purpose, "status", "processed", "status_details");
}

/* POST /v1/files: multipart purpose=batch and file. The file's bytes are moved to the
 * start of the request's buffer, which the store keeps: one copy. */
static int upload(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply)
{
    const sim_call_t *call = bc->call;
    const char *ctype = sim_call_header(call, "Content-Type");
    const char *value;
    size_t vlen;
    char filename[160], why[160], purpose[32];
    if (sim_multipart_field(ctype, call->body ? call->body : "", call->body_len, "purpose", &value,
                            &vlen, filename, sizeof filename, why, sizeof why) != 0)
        return refuse(reply, 400, "purpose", "%s", why);
    snprintf(purpose, sizeof purpose, "%.*s", (int)(vlen < 31 ? vlen : 31), value);
    if (strcmp(purpose, "batch") != 0)
        return refuse(reply, 400, "purpose",
                      "The simulator takes files of purpose 'batch' only, not '%s'.", purpose);
    if (sim_multipart_field(ctype, call->body, call->body_len, "file", &value, &vlen, filename,
                            sizeof filename, why, sizeof why) != 0)
        return refuse(reply, 400, "file", "%s", why);
    char *buf = *bc->body_buf;
    memmove(buf, value, vlen);
    char *kept = realloc(buf, vlen + 1);
    if (kept)
        buf = kept;
    buf[vlen] = '\0';
    *bc->body_buf = NULL;
    char id[72];
    sim_batchapi_make_id(api, "file-", 24, id, sizeof id);
    sim_bfile_t *f = sim_batchapi_add_file(api, SIM_PROTO_OPENAI, id, "batch",
                                           filename[0] ? filename : "upload.jsonl", buf, vlen, 0);
    return f ? sim_reply_json(reply, 200, file_json(f)) : -1;
}

/* GET /v1/files/{id} (content: 0) and /v1/files/{id}/content (1). */
static int file_get(sim_batchapi_t *api, const char *id, int content, sim_reply_t *reply)
{
    sim_batchapi_lock(api);
    sim_bfile_t *f = sim_batchapi_find_file(api, SIM_PROTO_OPENAI, id);
    sim_batchapi_unlock(api);
    if (!f)
        return refuse(reply, 404, "id", "No such File object: %s", id);
    if (!content)
        return sim_reply_json(reply, 200, file_json(f));
    char *copy = malloc(f->len + 1);
    if (!copy)
        return -1;
    memcpy(copy, f->data, f->len + 1);
    free(reply->body);
    reply->body = copy;
    reply->body_len = f->len;
    reply->status = 200;
    reply->content_type = "application/jsonl";
    return 0;
}

int sim_batchapi_openai_files_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply)
{
    const char *path = bc->call->path, *tail = NULL;
    int get = strcmp(bc->method, "GET") == 0;
    char id[96];
    if (strcmp(path, "/v1/files") == 0 && strcmp(bc->method, "POST") == 0)
        return upload(api, bc, reply);
    if (strncmp(path, "/v1/files/", 10) == 0 &&
        sim_batchapi_path_item(path + 9, id, sizeof id, &tail) == 0 && get &&
        (!*tail || strcmp(tail, "/content") == 0))
        return file_get(api, id, *tail != '\0', reply);
    return refuse(reply, 404, NULL, "Invalid URL (%s %s)", bc->method, path);
}
