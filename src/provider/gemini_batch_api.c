/* gemini_batch_api.c - the Gemini API's batch mode as a batch codec (batch_api.h;
 * batch-api-facts.md §3): a JSONL file of {"key","request"} lines uploaded through the
 * resumable Files API, a batch created from it with models/{model}:batchGenerateContent
 * and named "vb-<job>-<chunk>" (the name find looks for), polling, the responses file
 * downloaded, cancelling. Upload and download live at the host root, the rest under
 * /v1beta; a base URL ending in /v1beta or /v1 names the root before it (as gemini.c's
 * request_url reads it). The parsers are in gemini_batch_parse.c. */
#include "provider/batch_api_internal.h"
#include "provider/gemini_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define WHO "gemini"

static const char *const version_suffix[] = {"/v1beta", "/v1", NULL};

/* Facts §3: a file line is {"key","request":{…GenerateContentRequest…}}. */
static long gemini_line_write(FILE *out, const char *custom_id, const char *body, size_t len,
                              const char *model)
{
    (void)model; /* in the create call's URL */
    return batch_line_write(out, "{\"key\":", custom_id, ",\"request\":", body, len, "}");
}

/* "vb-<job_tag>-<chunk_tag>" into name, or -1 with err when a tag is not one. */
static int display_name(const batch_submit_t *s, const char *what, char *name, size_t cap,
                        char *err, size_t errlen)
{
    if (!batch_tag_ok(s->job_tag, 40) || !batch_tag_ok(s->chunk_tag, 24)) {
        batch_errf(err, errlen, s->secret, "%s: the job and chunk tags must be [A-Za-z0-9_-]",
                   what);
        return -1;
    }
    snprintf(name, cap, GEMINI_BATCH_NAME_PREFIX "%s-%s", s->job_tag, s->chunk_tag);
    return 0;
}

/* The resumable upload's first step: POST {root}/upload/v1beta/files announcing the
 * file; the answer's X-Goog-Upload-URL header says where its bytes go. Returns that URL
 * (malloc'd) once it is known to be on the base URL's scheme, host and port (the key goes
 * with it), or NULL with err. */
static char *upload_start(const batch_http_t *h, const batch_submit_t *s, const char *name,
                          long *status, char *err, size_t errlen)
{
    const char *what = WHO " upload (start)";
    char length[80];
    snprintf(length, sizeof length, "X-Goog-Upload-Header-Content-Length: %zu", s->upload_bytes);
    const char *headers[] = {"X-Goog-Upload-Protocol: resumable", "X-Goog-Upload-Command: start",
                             length, "X-Goog-Upload-Header-Content-Type: application/jsonl", NULL};
    json_t *body = json_pack("{s:{s:s}}", "file", "display_name", name);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *url = batch_url(s->base_url, version_suffix, "/upload/v1beta/files");
    char *upload_url = NULL;
    batch_resp_t resp;
    if (!text || !url) {
        batch_errf(err, errlen, s->secret, "%s: out of memory", what);
    } else {
        batch_req_t req = {.method = "POST",
                           .url = url,
                           .headers = headers,
                           .body_type = "application/json",
                           .body = text,
                           .body_len = strlen(text)};
        if (batch_call(h, &req, what, s->secret, &resp, status, err, errlen) == 0) {
            const char *u = resp.header ? resp.header(resp.hctx, "X-Goog-Upload-URL") : NULL;
            if (!u || !u[0])
                batch_errf(err, errlen, s->secret, "%s: HTTP %ld without an X-Goog-Upload-URL",
                           what, resp.status);
            else if (!batch_same_origin(u, s->base_url))
                batch_errf(err, errlen, s->secret,
                           "%s: the upload URL the server gave is not on the base URL's scheme, "
                           "host and port; the key is not sent there",
                           what);
            else if (!(upload_url = strdup(u)))
                batch_errf(err, errlen, s->secret, "%s: out of memory", what);
            free(resp.body);
        }
    }
    json_decref(body);
    free(text);
    free(url);
    return upload_url;
}

/* Uploads the file: the start step, then POST <upload url> with "upload, finalize" and
 * the file as the body -> {"file":{"name":"files/…",…}}. */
static int gemini_upload(const batch_http_t *h, const batch_submit_t *s, char *file_ref,
                         size_t ref_len, long *http_status, char *err, size_t errlen)
{
    const char *what = WHO " upload";
    long status = 0;
    int rc = -1;
    char name[80];
    file_ref[0] = '\0';
    char *upload_url = NULL;
    if (display_name(s, what, name, sizeof name, err, errlen) != 0 ||
        !(upload_url = upload_start(h, s, name, &status, err, errlen)))
        goto out;
    static const char *const headers[] = {"X-Goog-Upload-Command: upload, finalize",
                                          "X-Goog-Upload-Offset: 0", NULL};
    batch_req_t req = {
        .method = "POST", .url = upload_url, .headers = headers, .body_path = s->upload_path};
    batch_resp_t resp;
    if (batch_call(h, &req, what, s->secret, &resp, &status, err, errlen) != 0)
        goto out;
    json_t *root = batch_json_load(resp.body, resp.body ? resp.len : 0);
    /* {"file":{File}} (the wire page, Google's answer); a bare File is taken too */
    json_t *obj = json_object_get(root, "file");
    const char *file = json_string_value(json_object_get(json_is_object(obj) ? obj : root, "name"));
    if (batch_word_copy(file_ref, ref_len, file, s->secret) == 0 &&
        batch_resource_ok(file_ref, "files/", ref_len - 1)) {
        rc = 0;
    } else {
        file_ref[0] = '\0';
        char words[200];
        batch_server_words(resp.body, resp.len, s->secret, words, sizeof words);
        batch_errf(err, errlen, s->secret, "%s: HTTP %ld without a usable file name: %s", what,
                   status, words);
    }
    json_decref(root);
    free(resp.body);
out:
    if (http_status)
        *http_status = status;
    free(upload_url);
    return rc;
}

/* POST {root}/v1beta/models/{model}:batchGenerateContent
 * {"batch":{"display_name","input_config":{"file_name"}}} -> an Operation. Over the
 * enqueued-token limit the answer is 429 RESOURCE_EXHAUSTED (facts §3). */
static int gemini_create(const batch_http_t *h, const batch_submit_t *s, const char *file_ref,
                         batch_status_t *out, long *http_status, char *err, size_t errlen)
{
    const char *what = WHO " create";
    batch_status_init(out);
    if (http_status)
        *http_status = 0;
    char name[80];
    if (display_name(s, what, name, sizeof name, err, errlen) != 0)
        return -1;
    if (!gemini_model_name_ok(s->model)) {
        batch_errf(err, errlen, s->secret, "%s: \"%s\" is not a model name the URL can carry", what,
                   s->model ? s->model : "");
        return -1;
    }
    if (!batch_resource_ok(file_ref, "files/", 159)) {
        batch_errf(err, errlen, s->secret, "%s: no uploaded file to create the batch from", what);
        return -1;
    }
    const char *model = strncmp(s->model, "models/", 7) == 0 ? s->model + 7 : s->model;
    json_t *body = json_pack("{s:{s:s, s:{s:s}}}", "batch", "display_name", name, "input_config",
                             "file_name", file_ref);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *url =
        batch_url(s->base_url, version_suffix, "/v1beta/models/%s:batchGenerateContent", model);
    int rc = -1;
    if (!text || !url) {
        batch_errf(err, errlen, s->secret, "%s: out of memory", what);
    } else {
        batch_req_t req = {.method = "POST",
                           .url = url,
                           .body_type = "application/json",
                           .body = text,
                           .body_len = strlen(text)};
        rc = batch_call_status(h, &req, what, s->secret, gemini_batch_status_parse, out,
                               http_status, err, errlen);
    }
    json_decref(body);
    free(text);
    free(url);
    return rc;
}

/* {root}/v1beta/batches/{id}{tail} for batch_id "batches/{id}" (or the bare id), or NULL
 * with err. */
static char *batch_url_of(const char *base_url, const char *batch_id, const char *tail,
                          const char *what, const char *secret, char *err, size_t errlen)
{
    const char *id = batch_id && strncmp(batch_id, "batches/", 8) == 0 ? batch_id + 8 : batch_id;
    if (!batch_id_ok(id, 150)) {
        batch_errf(err, errlen, secret, "%s: \"%s\" is not a batch name", what,
                   batch_id ? batch_id : "");
        return NULL;
    }
    char *url = batch_url(base_url, version_suffix, "/v1beta/batches/%s%s", id, tail);
    if (!url)
        batch_errf(err, errlen, secret, "%s: out of memory", what);
    return url;
}

static int gemini_poll(const batch_http_t *h, const char *base_url, const char *batch_id,
                       const char *secret, batch_status_t *out, long *http_status, char *err,
                       size_t errlen)
{
    batch_status_init(out);
    if (http_status)
        *http_status = 0;
    char *url = batch_url_of(base_url, batch_id, "", WHO " poll", secret, err, errlen);
    if (!url)
        return -1;
    batch_req_t req = {.method = "GET", .url = url};
    int rc = batch_call_status(h, &req, WHO " poll", secret, gemini_batch_status_parse, out,
                               http_status, err, errlen);
    free(url);
    return rc;
}

/* POST {root}/v1beta/batches/{id}:cancel -> {}. */
static int gemini_cancel(const batch_http_t *h, const char *base_url, const char *batch_id,
                         const char *secret, char *err, size_t errlen)
{
    char *url = batch_url_of(base_url, batch_id, ":cancel", WHO " cancel", secret, err, errlen);
    if (!url)
        return -1;
    batch_req_t req = {.method = "POST", .url = url};
    batch_resp_t resp;
    int rc = batch_call(h, &req, WHO " cancel", secret, &resp, NULL, err, errlen);
    if (rc == 0)
        free(resp.body);
    free(url);
    return rc;
}

/* GET {root}/download/v1beta/{responsesFile}:download?alt=media. An expired, cancelled
 * or failed batch may have no responses file: nothing to read; a succeeded one must. */
static int gemini_results(const batch_http_t *h, const char *base_url, const batch_status_t *st,
                          const char *secret, void (*sink)(const batch_line_t *line, void *arg),
                          void *arg, char *err, size_t errlen)
{
    const char *what = WHO " results";
    if (!st->output_ref[0]) {
        if (st->state != BATCH_REMOTE_ENDED)
            return 0;
        batch_errf(err, errlen, secret, "%s: batch %s succeeded but names no responsesFile", what,
                   st->id);
        return -1;
    }
    if (!batch_resource_ok(st->output_ref, "files/", 159)) {
        batch_errf(err, errlen, secret, "%s: \"%s\" is not a file name", what, st->output_ref);
        return -1;
    }
    char *url = batch_url(base_url, version_suffix, "/download/v1beta/%s:download?alt=media",
                          st->output_ref);
    if (!url) {
        batch_errf(err, errlen, secret, "%s: out of memory", what);
        return -1;
    }
    int rc =
        batch_stream_results(h, url, what, secret, gemini_batch_line_parse, sink, arg, err, errlen);
    free(url);
    return rc;
}

/* Pages of GET {root}/v1beta/batches?pageSize=100[&pageToken=…] -> {"operations":[…],
 * "nextPageToken"}, at most this many. */
#define FIND_PAGES 10

/* The batch whose displayName is this submission's name, among one page's operations:
 * 1 with *out, else 0. */
static int find_in(const json_t *ops, const char *name, const char *secret, batch_status_t *out)
{
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        json_t *meta = json_object_get(op, "metadata");
        const json_t *b = json_is_object(meta) ? meta : op;
        const char *dn = json_string_value(json_object_get(b, "displayName"));
        if (dn && strcmp(dn, name) == 0 && gemini_batch_status_json(op, secret, out) == 0)
            return 1;
    }
    return 0;
}

static int gemini_find(const batch_http_t *h, const batch_submit_t *s, batch_status_t *out,
                       char *err, size_t errlen)
{
    const char *what = WHO " find";
    batch_status_init(out);
    char name[80];
    if (display_name(s, what, name, sizeof name, err, errlen) != 0)
        return -1;
    char *token = NULL;
    int found = 0;
    for (int page = 0; page < FIND_PAGES && !found; page++) {
        char *url = token ? batch_url(s->base_url, version_suffix,
                                      "/v1beta/batches?pageSize=100&pageToken=%s", token)
                          : batch_url(s->base_url, version_suffix, "/v1beta/batches?pageSize=100");
        free(token);
        token = NULL;
        if (!url) {
            batch_errf(err, errlen, s->secret, "%s: out of memory", what);
            return -1;
        }
        batch_req_t req = {.method = "GET", .url = url};
        batch_resp_t resp;
        int rc = batch_call(h, &req, what, s->secret, &resp, NULL, err, errlen);
        free(url);
        if (rc != 0)
            return -1;
        json_t *root = batch_json_load(resp.body, resp.body ? resp.len : 0);
        json_t *ops = json_object_get(root, "operations");
        if (!root || (ops && !json_is_array(ops))) {
            batch_errf(err, errlen, s->secret, "%s: HTTP %ld but not a list of batches", what,
                       resp.status);
            json_decref(root);
            free(resp.body);
            return -1;
        }
        found = find_in(ops, name, s->secret, out);
        const char *next = json_string_value(json_object_get(root, "nextPageToken"));
        bool more = !found && next && next[0] && strlen(next) < 4096;
        if (more)
            token = batch_query_escape(next);
        json_decref(root);
        free(resp.body);
        if (more && !token) {
            batch_errf(err, errlen, s->secret, "%s: out of memory", what);
            return -1;
        }
        if (!token)
            break;
    }
    free(token);
    return found;
}

/* Limits (facts §3): an input file of up to 2 GB. No cap on the number of requests per
 * batch is documented; visionbatch's own is Anthropic's 100,000, so that a chunk's
 * resubmission stays bounded. */
const batch_codec_t batch_codec_gemini = {
    .name = "gemini",
    .max_lines = 100000,
    .max_bytes = (size_t)2000 * 1000 * 1000,
    .file_head = "",
    .line_sep = "\n",
    .file_tail = "\n",
    .line_write = gemini_line_write,
    .upload = gemini_upload,
    .create = gemini_create,
    .poll = gemini_poll,
    .results = gemini_results,
    .cancel = gemini_cancel,
    .find = gemini_find,
    .status_parse = gemini_batch_status_parse,
    .line_parse = gemini_batch_line_parse,
};
