/* anthropic_batch_api.c - Anthropic's Message Batches API as a batch codec (batch_api.h;
 * batch-api-facts.md §2): the upload file is the create call's body itself
 * ({"requests":[{"custom_id","params"},…]}), so there is no upload step; polling,
 * results read under the base URL, cancelling. Message Batches carry no metadata, so a
 * batch whose create answer was lost cannot be found (find is NULL: the one residual
 * risk the journal documents). URLs follow the online requests' rule: {base}/v1/…, or
 * {base}/… when the base URL already ends with /v1. The parsers are in
 * anthropic_batch_parse.c. */
#include "provider/batch_api_internal.h"

#include <stdlib.h>
#include <string.h>

#define WHO "anthropic"

/* A base URL ending in /v1 names the version already (anthropic.c's request_url). */
static const char *const version_suffix[] = {"/v1", NULL};

/* Facts §2: a request is {"custom_id","params":{…Messages body…}}. */
static long anthropic_line_write(FILE *out, const char *custom_id, const char *body, size_t len,
                                 const char *model)
{
    (void)model; /* the body names it */
    return batch_line_write(out, "{\"custom_id\":", custom_id, ",\"params\":", body, len, "}");
}

/* POST {base}/v1/messages/batches with the upload file as the body. A problem with the
 * body as a whole is an HTTP error: 400 naming "requests.<i>…", 413 over 256 MB, 429 when
 * the queue is full (facts §2). */
static int anthropic_create(const batch_http_t *h, const batch_submit_t *s, const char *file_ref,
                            batch_status_t *out, long *http_status, char *err, size_t errlen)
{
    (void)file_ref; /* "": the requests go in this call */
    const char *what = WHO " create";
    batch_status_init(out);
    if (http_status)
        *http_status = 0;
    if (!s->upload_path || !s->upload_path[0]) {
        batch_errf(err, errlen, s->secret, "%s: no requests file", what);
        return -1;
    }
    char *url = batch_url(s->base_url, version_suffix, "/v1/messages/batches");
    if (!url) {
        batch_errf(err, errlen, s->secret, "%s: out of memory", what);
        return -1;
    }
    batch_req_t req = {
        .method = "POST", .url = url, .body_type = "application/json", .body_path = s->upload_path};
    int rc = batch_call_status(h, &req, what, s->secret, anthropic_batch_status_parse, out,
                               http_status, err, errlen);
    free(url);
    return rc;
}

/* The URL of {base}/v1/messages/batches/{id}{tail}, or NULL with err set. */
static char *batch_url_of(const char *base_url, const char *batch_id, const char *tail,
                          const char *what, const char *secret, char *err, size_t errlen)
{
    if (!batch_id_ok(batch_id, 159)) {
        batch_errf(err, errlen, secret, "%s: \"%s\" is not a batch id", what,
                   batch_id ? batch_id : "");
        return NULL;
    }
    char *url = batch_url(base_url, version_suffix, "/v1/messages/batches/%s%s", batch_id, tail);
    if (!url)
        batch_errf(err, errlen, secret, "%s: out of memory", what);
    return url;
}

static int anthropic_request(const batch_http_t *h, const char *base_url, const char *batch_id,
                             const char *secret, const char *method, const char *tail,
                             const char *what, batch_status_t *out, long *http_status, char *err,
                             size_t errlen)
{
    batch_status_init(out);
    if (http_status)
        *http_status = 0;
    char *url = batch_url_of(base_url, batch_id, tail, what, secret, err, errlen);
    if (!url)
        return -1;
    batch_req_t req = {.method = method, .url = url};
    int rc = batch_call_status(h, &req, what, secret, anthropic_batch_status_parse, out,
                               http_status, err, errlen);
    free(url);
    return rc;
}

static int anthropic_poll(const batch_http_t *h, const char *base_url, const char *batch_id,
                          const char *secret, batch_status_t *out, long *http_status, char *err,
                          size_t errlen)
{
    return anthropic_request(h, base_url, batch_id, secret, "GET", "", WHO " poll", out,
                             http_status, err, errlen);
}

/* POST …/{id}/cancel -> the batch, "canceling" (in-flight lines may still finish). */
static int anthropic_cancel(const batch_http_t *h, const char *base_url, const char *batch_id,
                            const char *secret, char *err, size_t errlen)
{
    batch_status_t st;
    return anthropic_request(h, base_url, batch_id, secret, "POST", "/cancel", WHO " cancel", &st,
                             NULL, err, errlen);
}

/* GET {base}/v1/messages/batches/{id}/results: the same path results_url names on
 * Anthropic's own host, built here so the key never goes to a host the answer names. */
static int anthropic_results(const batch_http_t *h, const char *base_url, const batch_status_t *st,
                             const char *secret, void (*sink)(const batch_line_t *line, void *arg),
                             void *arg, char *err, size_t errlen)
{
    const char *what = WHO " results";
    const char *id = st->output_ref[0] ? st->output_ref : st->id;
    char *url = batch_url_of(base_url, id, "/results", what, secret, err, errlen);
    if (!url)
        return -1;
    int rc = batch_stream_results(h, url, what, secret, anthropic_batch_line_parse, sink, arg, err,
                                  errlen);
    free(url);
    return rc;
}

/* Limits (facts §2 "Limits"): 100,000 requests or 256 MB per batch (decimal megabytes:
 * the smaller reading). */
const batch_codec_t batch_codec_anthropic = {
    .name = "anthropic",
    .max_lines = 100000,
    .max_bytes = (size_t)256 * 1000 * 1000,
    .file_head = "{\"requests\":[",
    .line_sep = ",",
    .file_tail = "]}",
    .line_write = anthropic_line_write,
    .upload = NULL,
    .create = anthropic_create,
    .poll = anthropic_poll,
    .results = anthropic_results,
    .cancel = anthropic_cancel,
    .find = NULL,
    .status_parse = anthropic_batch_status_parse,
    .line_parse = anthropic_batch_line_parse,
};
