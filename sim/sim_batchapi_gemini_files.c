/* sim_batchapi_gemini_files.c - Gemini's Files API for batches (sim_batchapi_gemini_files.h). */
#include "sim_batchapi_gemini_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FILES       "/v1beta/files/"
#define UPLOAD      "/upload/v1beta/files"
#define DOWNLOAD    "/download/v1beta/files/"
#define DOWNLOAD_AS ":download"
#define FILE_KEEP_S (48.0 * 3600) /* files are kept 48 h (facts §3) */

#define refuse(reply, status, ...)                                                                 \
    sim_batchapi_refuse(reply, SIM_PROTO_GEMINI, status, NULL, NULL, __VA_ARGS__)

int sim_batchapi_gemini_files_serves(const char *path)
{
    return strncmp(path, FILES, strlen(FILES)) == 0 || strcmp(path, UPLOAD) == 0 ||
           strncmp(path, DOWNLOAD, strlen(DOWNLOAD)) == 0;
}

/* The File resource of f. Call with the lock held (a pending upload completes under it). */
static json_t *file_json(const sim_bfile_t *f, const char *host)
{
    char created[48], expires[48], size[32], uri[256];
    sim_batchapi_rfc3339(f->created_wall, created, sizeof created);
    sim_batchapi_rfc3339(f->created_wall + FILE_KEEP_S, expires, sizeof expires);
    snprintf(size, sizeof size, "%zu", f->len);
    snprintf(uri, sizeof uri, "http://%s/v1beta/%s", host, f->id);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", f->id, "displayName",
                     f->name, "mimeType", f->mime[0] ? f->mime : "application/jsonl", "sizeBytes",
                     size, "createTime", created, "updateTime", created, "expirationTime", expires,
                     "uri", uri, "state", f->data ? "ACTIVE" : "PROCESSING", "source",
                     f->is_result ? "GENERATED" : "UPLOADED");
}

json_t *sim_batchapi_gemini_member(const json_t *obj, const char *camel, const char *snake)
{
    json_t *v = json_object_get(obj, camel);
    return v ? v : json_object_get(obj, snake);
}

/* POST /upload/v1beta/files, X-Goog-Upload-Command: start. */
static int upload_start(sim_batchapi_t *api, const sim_call_t *call, sim_reply_t *reply)
{
    const char *protocol = sim_call_header(call, "X-Goog-Upload-Protocol");
    const char *length = sim_call_header(call, "X-Goog-Upload-Header-Content-Length");
    const char *mime = sim_call_header(call, "X-Goog-Upload-Header-Content-Type");
    if (!protocol || strcasecmp(protocol, "resumable") != 0)
        return refuse(reply, 400,
                      "The simulator takes resumable uploads only "
                      "(X-Goog-Upload-Protocol: resumable).");
    char *end = NULL;
    long long declared = length ? strtoll(length, &end, 10) : -1;
    if (length && (*end || declared < 0))
        return refuse(reply, 400, "X-Goog-Upload-Header-Content-Length: '%s' is not a size.",
                      length);
    json_t *body = call->body ? json_loadb(call->body, call->body_len, 0, NULL) : NULL;
    const char *display = json_string_value(
        sim_batchapi_gemini_member(json_object_get(body, "file"), "displayName", "display_name"));
    char id[72], name[160];
    snprintf(name, sizeof name, "%s", display ? display : "");
    json_decref(body);
    sim_batchapi_make_id(api, "files/", 12, id, sizeof id);
    sim_bfile_t *f = sim_batchapi_add_file(api, SIM_PROTO_GEMINI, id, "", name, NULL, 0, 0);
    if (!f)
        return -1;
    sim_batchapi_lock(api);
    f->declared_len = declared;
    snprintf(f->mime, sizeof f->mime, "%s", mime ? mime : "application/jsonl");
    sim_batchapi_unlock(api);
    char *empty = strdup("");
    if (!empty)
        return -1;
    free(reply->body);
    reply->body = empty;
    reply->body_len = 0;
    reply->status = 200;
    reply->content_type = "text/plain";
    sim_reply_header(reply, "X-Goog-Upload-URL", "http://%s" UPLOAD "?upload_id=%s",
                     sim_batchapi_call_host(call), id + strlen("files/"));
    sim_reply_header(reply, "X-Goog-Upload-Status", "active");
    return 0;
}

/* POST <upload URL>, X-Goog-Upload-Command: upload, finalize; offset 0, the whole file.
 * The request's buffer becomes the file: one copy. */
static int upload_finish(sim_batchapi_t *api, const sim_bcall_t *bc, const char *upload_id,
                         sim_reply_t *reply)
{
    const sim_call_t *call = bc->call;
    const char *command = sim_call_header(call, "X-Goog-Upload-Command");
    const char *offset = sim_call_header(call, "X-Goog-Upload-Offset");
    char id[96];
    snprintf(id, sizeof id, "files/%s", upload_id);
    if (!command || !strstr(command, "upload") || !strstr(command, "finalize") || !offset ||
        strcmp(offset, "0") != 0)
        return refuse(reply, 400,
                      "The simulator takes the whole file in one 'upload, finalize' "
                      "call at X-Goog-Upload-Offset 0.");
    char *buf = *bc->body_buf ? *bc->body_buf : malloc(1);
    if (!buf)
        return -1;
    size_t len = *bc->body_buf ? call->body_len : 0;
    char *kept = realloc(buf, len + 1);
    if (kept)
        buf = kept;
    buf[len] = '\0';
    *bc->body_buf = NULL; /* ours now, kept or freed below */
    sim_batchapi_lock(api);
    sim_bfile_t *f = sim_batchapi_find_file(api, SIM_PROTO_GEMINI, id);
    int status = !f || f->is_result                                       ? 404
                 : f->data                                                ? 400
                 : f->declared_len >= 0 && (size_t)f->declared_len != len ? 400
                                                                          : 200;
    if (status == 200) {
        f->data = buf;
        f->len = len;
    }
    json_t *obj = status == 200
                      ? json_pack("{s:o}", "file", file_json(f, sim_batchapi_call_host(call)))
                      : NULL;
    sim_batchapi_unlock(api);
    if (status != 200) {
        free(buf);
        return refuse(reply, status,
                      status == 404 ? "No upload with id '%s'."
                                    : "Upload '%s' is finished already, or its size is not "
                                      "the one its start announced.",
                      upload_id);
    }
    sim_reply_header(reply, "X-Goog-Upload-Status", "final");
    return sim_reply_json(reply, 200, obj);
}

/* GET /v1beta/files/{id} (download 0) and /download/v1beta/files/{id}:download (1). */
static int file_get(sim_batchapi_t *api, const sim_call_t *call, const char *name, int download,
                    sim_reply_t *reply)
{
    char id[96];
    snprintf(id, sizeof id, "files/%s", name);
    sim_batchapi_lock(api);
    sim_bfile_t *f = sim_batchapi_find_file(api, SIM_PROTO_GEMINI, id);
    json_t *obj = f && !download ? file_json(f, sim_batchapi_call_host(call)) : NULL;
    int ready = f && f->data;
    sim_batchapi_unlock(api);
    if (!f || (download && !ready))
        return refuse(reply, 404, "File %s does not exist.", id);
    if (!download)
        return sim_reply_json(reply, 200, obj);
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

int sim_batchapi_gemini_files_handle(sim_batchapi_t *api, const sim_bcall_t *bc, sim_reply_t *reply)
{
    const sim_call_t *call = bc->call;
    const char *path = call->path;
    int get = strcmp(bc->method, "GET") == 0;
    char name[96];
    if (strcmp(path, UPLOAD) == 0 && strcmp(bc->method, "POST") == 0) {
        const char *upload_id = sim_call_query(call, "upload_id");
        return upload_id ? upload_finish(api, bc, upload_id, reply)
                         : upload_start(api, call, reply);
    }
    if (get && strncmp(path, FILES, strlen(FILES)) == 0 && !strchr(path + strlen(FILES), '/')) {
        snprintf(name, sizeof name, "%s", path + strlen(FILES));
        return file_get(api, call, name, 0, reply);
    }
    size_t n = strlen(path), d = strlen(DOWNLOAD_AS);
    if (get && strncmp(path, DOWNLOAD, strlen(DOWNLOAD)) == 0 && n > strlen(DOWNLOAD) + d &&
        strcmp(path + n - d, DOWNLOAD_AS) == 0 && n - d - strlen(DOWNLOAD) < sizeof name) {
        snprintf(name, sizeof name, "%.*s", (int)(n - d - strlen(DOWNLOAD)),
                 path + strlen(DOWNLOAD));
        return file_get(api, call, name, 1, reply);
    }
    return refuse(reply, 404, "Method not found: %s %s", bc->method, path);
}
