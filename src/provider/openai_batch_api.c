/* openai_batch_api.c - OpenAI's Files + Batches API as a batch codec (batch_api.h;
 * batch-api-facts.md §1): the .jsonl file's lines, the upload, the batch created with
 * the job's and chunk's tags in its metadata, polling, the output and error files read
 * line by line, cancelling, and finding a batch whose create answer was lost. URLs are
 * under the base URL as online requests' are ({base}/chat/completions there,
 * {base}/files and {base}/batches here). The parsers are in openai_batch_parse.c. */
#include "provider/batch_api_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define WHO "openai"

/* Facts §1: a line is {"custom_id","method","url","body"}. */
static long openai_line_write(FILE *out, const char *custom_id, const char *body, size_t len,
                              const char *model)
{
    (void)model; /* the body names it */
    return batch_line_write(out, "{\"custom_id\":", custom_id,
                            ",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":", body,
                            len, "}");
}

static bool tags_ok(const batch_submit_t *s, const char *what, char *err, size_t errlen)
{
    if (batch_tag_ok(s->job_tag, 40) && batch_tag_ok(s->chunk_tag, 24))
        return true;
    batch_errf(err, errlen, s->secret, "%s: the job and chunk tags must be [A-Za-z0-9_-]", what);
    return false;
}

/* POST {base}/files, multipart: purpose=batch and the file -> {"id":"file-…",…}. */
static int openai_upload(const batch_http_t *h, const batch_submit_t *s, char *file_ref,
                         size_t ref_len, long *http_status, char *err, size_t errlen)
{
    const char *what = WHO " upload";
    long status = 0;
    file_ref[0] = '\0';
    int rc = -1;
    char *url = NULL;
    if (!tags_ok(s, what, err, errlen))
        goto out;
    url = batch_url(s->base_url, NULL, "/files");
    if (!url) {
        batch_errf(err, errlen, s->secret, "%s: out of memory", what);
        goto out;
    }
    char filename[96];
    snprintf(filename, sizeof filename, "vb-%s-%s.jsonl", s->job_tag, s->chunk_tag);
    static const char *const fields[] = {"purpose=batch", NULL};
    batch_req_t req = {.method = "POST",
                       .url = url,
                       .form_path = s->upload_path,
                       .form_filename = filename,
                       .form_fields = fields};
    batch_resp_t resp;
    if (batch_call(h, &req, what, s->secret, &resp, &status, err, errlen) != 0)
        goto out;
    json_t *root = batch_json_load(resp.body, resp.body ? resp.len : 0);
    const char *id = json_string_value(json_object_get(root, "id"));
    if (batch_word_copy(file_ref, ref_len, id, s->secret) == 0 &&
        batch_id_ok(file_ref, ref_len - 1)) {
        rc = 0;
    } else {
        char words[200];
        batch_server_words(resp.body, resp.len, s->secret, words, sizeof words);
        batch_errf(err, errlen, s->secret, "%s: HTTP %ld without a usable file id: %s", what,
                   status, words);
        file_ref[0] = '\0';
    }
    json_decref(root);
    free(resp.body);
out:
    if (http_status)
        *http_status = status;
    free(url);
    return rc;
}

/* POST {base}/batches {"input_file_id","endpoint","completion_window":"24h" (the only
 * value, facts §1),"metadata":{"visionbatch_job","visionbatch_chunk"}} -> a batch. */
static int openai_create(const batch_http_t *h, const batch_submit_t *s, const char *file_ref,
                         batch_status_t *out, long *http_status, char *err, size_t errlen)
{
    const char *what = WHO " create";
    batch_status_init(out);
    if (http_status)
        *http_status = 0;
    if (!tags_ok(s, what, err, errlen))
        return -1;
    if (!batch_id_ok(file_ref, 160)) {
        batch_errf(err, errlen, s->secret, "%s: no uploaded file to create the batch from", what);
        return -1;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "input_file_id", file_ref, "endpoint",
                             "/v1/chat/completions", "completion_window", "24h", "metadata",
                             "visionbatch_job", s->job_tag, "visionbatch_chunk", s->chunk_tag);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char *url = batch_url(s->base_url, NULL, "/batches");
    int rc = -1;
    if (!text || !url) {
        batch_errf(err, errlen, s->secret, "%s: out of memory", what);
    } else {
        batch_req_t req = {.method = "POST",
                           .url = url,
                           .body_type = "application/json",
                           .body = text,
                           .body_len = strlen(text)};
        rc = batch_call_status(h, &req, what, s->secret, openai_batch_status_parse, out,
                               http_status, err, errlen);
    }
    json_decref(body);
    free(text);
    free(url);
    return rc;
}

/* A request on one batch: method on {base}/batches/{id}{tail}, the answer a batch. */
static int batch_request(const batch_http_t *h, const char *base_url, const char *batch_id,
                         const char *secret, const char *method, const char *tail, const char *what,
                         batch_status_t *out, long *http_status, char *err, size_t errlen)
{
    batch_status_init(out);
    if (http_status)
        *http_status = 0;
    if (!batch_id_ok(batch_id, sizeof out->id - 1)) {
        batch_errf(err, errlen, secret, "%s: \"%s\" is not a batch id", what,
                   batch_id ? batch_id : "");
        return -1;
    }
    char *url = batch_url(base_url, NULL, "/batches/%s%s", batch_id, tail);
    if (!url) {
        batch_errf(err, errlen, secret, "%s: out of memory", what);
        return -1;
    }
    batch_req_t req = {.method = method, .url = url};
    int rc = batch_call_status(h, &req, what, secret, openai_batch_status_parse, out, http_status,
                               err, errlen);
    free(url);
    return rc;
}

static int openai_poll(const batch_http_t *h, const char *base_url, const char *batch_id,
                       const char *secret, batch_status_t *out, long *http_status, char *err,
                       size_t errlen)
{
    return batch_request(h, base_url, batch_id, secret, "GET", "", WHO " poll", out, http_status,
                         err, errlen);
}

/* POST {base}/batches/{id}/cancel -> the batch, "cancelling". */
static int openai_cancel(const batch_http_t *h, const char *base_url, const char *batch_id,
                         const char *secret, char *err, size_t errlen)
{
    batch_status_t st;
    return batch_request(h, base_url, batch_id, secret, "POST", "/cancel", WHO " cancel", &st, NULL,
                         err, errlen);
}

/* The output file, then the error file (GET {base}/files/{id}/content); either may be
 * absent (facts §1: when every line failed there is only an error file). */
static int openai_results(const batch_http_t *h, const char *base_url, const batch_status_t *st,
                          const char *secret, void (*sink)(const batch_line_t *line, void *arg),
                          void *arg, char *err, size_t errlen)
{
    const char *refs[2] = {st->output_ref, st->error_ref};
    const char *names[2] = {"output file", "error file"};
    if (!refs[0][0] && !refs[1][0] && st->state == BATCH_REMOTE_ENDED) {
        batch_errf(err, errlen, secret,
                   WHO " results: batch %s is completed but names no output "
                       "or error file",
                   st->id);
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        if (!refs[i][0])
            continue;
        char what[256];
        snprintf(what, sizeof what, WHO " results (%s %s)", names[i], refs[i]);
        if (!batch_id_ok(refs[i], 160)) {
            batch_errf(err, errlen, secret, "%s: not a file id", what);
            return -1;
        }
        char *url = batch_url(base_url, NULL, "/files/%s/content", refs[i]);
        if (!url) {
            batch_errf(err, errlen, secret, "%s: out of memory", what);
            return -1;
        }
        int rc = batch_stream_results(h, url, what, secret, openai_batch_line_parse, sink, arg, err,
                                      errlen);
        free(url);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Pages of GET {base}/batches?limit=100[&after=<last_id>], newest first, at most this
 * many: a lost create is minutes old, and 1,000 batches reach back well before it. */
#define FIND_PAGES 10

static int openai_find(const batch_http_t *h, const batch_submit_t *s, batch_status_t *out,
                       char *err, size_t errlen)
{
    const char *what = WHO " find";
    batch_status_init(out);
    if (!tags_ok(s, what, err, errlen))
        return -1;
    char after[160] = "";
    for (int page = 0; page < FIND_PAGES; page++) {
        char *url = after[0] ? batch_url(s->base_url, NULL, "/batches?limit=100&after=%s", after)
                             : batch_url(s->base_url, NULL, "/batches?limit=100");
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
        json_t *data = json_object_get(root, "data");
        if (!json_is_array(data)) {
            batch_errf(err, errlen, s->secret, "%s: HTTP %ld but not a list of batches", what,
                       resp.status);
            json_decref(root);
            free(resp.body);
            return -1;
        }
        int found = 0;
        size_t i;
        json_t *b;
        json_array_foreach(data, i, b)
        {
            batch_status_t st;
            if (openai_batch_status_json(b, s->secret, &st) == 0 &&
                strcmp(st.job_tag, s->job_tag) == 0 && strcmp(st.chunk_tag, s->chunk_tag) == 0) {
                *out = st; /* the newest such batch */
                found = 1;
                break;
            }
        }
        const char *last = json_string_value(json_object_get(root, "last_id"));
        bool more = json_is_true(json_object_get(root, "has_more")) && last &&
                    batch_id_ok(last, sizeof after - 1) && strcmp(last, after) != 0;
        if (more)
            snprintf(after, sizeof after, "%s", last);
        json_decref(root);
        free(resp.body);
        if (found)
            return 1;
        if (!more)
            break;
    }
    return 0;
}

/* Limits (facts §1 "Limits"): 50,000 requests and 200 MB per file (decimal megabytes:
 * the smaller reading). */
const batch_codec_t batch_codec_openai = {
    .name = "openai",
    .max_lines = 50000,
    .max_bytes = (size_t)200 * 1000 * 1000,
    .file_head = "",
    .line_sep = "\n",
    .file_tail = "\n",
    .line_write = openai_line_write,
    .upload = openai_upload,
    .create = openai_create,
    .poll = openai_poll,
    .results = openai_results,
    .cancel = openai_cancel,
    .find = openai_find,
    .status_parse = openai_batch_status_parse,
    .line_parse = openai_batch_line_parse,
};
