/* batch_api.h - a provider's asynchronous batch API (OpenAI Files + Batches, Anthropic
 * Message Batches, Gemini batchGenerateContent) as one table of functions, the way
 * provider.h is one for a single request.
 *
 * The codec knows the provider's URLs, JSON and states; it does no I/O of its own: every
 * HTTP call goes through the batch_http_t the caller hands it (send/batchapi_http.c
 * implements it on libcurl; tests may point it at the simulator). A job's requests go
 * in chunks: a local file of lines, each a request body with its custom_id, framed the
 * provider's way on upload (a JSONL file, or Anthropic's one JSON object). */
#ifndef VB_BATCH_API_H
#define VB_BATCH_API_H

#include "admit/ratelimit_headers.h" /* header_get_fn */
#include "provider/provider.h"

#include <stddef.h>
#include <stdio.h>

/* custom_id: at most 64 characters of [A-Za-z0-9_-] (Anthropic's rule, the strictest). */
#define BATCH_CUSTOM_ID_MAX 64

/* Where a batch is, in words common to the three providers. */
typedef enum {
    BATCH_REMOTE_UNKNOWN = 0, /* a state word the codec does not know: keep polling */
    BATCH_REMOTE_VALIDATING,  /* OpenAI validating; Gemini PENDING */
    BATCH_REMOTE_RUNNING,     /* in_progress; Gemini RUNNING */
    BATCH_REMOTE_FINALIZING,  /* OpenAI finalizing */
    BATCH_REMOTE_CANCELLING,  /* OpenAI cancelling, Anthropic canceling */
    BATCH_REMOTE_ENDED,       /* completed / ended / SUCCEEDED: results can be read */
    BATCH_REMOTE_FAILED,      /* the batch as a whole failed (validation, enqueued-token
                                 limit): error_code and error_message say why */
    BATCH_REMOTE_EXPIRED,     /* not finished in time: finished lines may be readable */
    BATCH_REMOTE_CANCELLED,   /* cancelled: finished lines may be readable */
} batch_remote_state_t;

/* "validating", "running", ... (the enum's words, for status and logs). */
const char *batch_remote_state_name(batch_remote_state_t s);

/* True for ENDED, FAILED, EXPIRED and CANCELLED: the batch will not change again. */
int batch_remote_final(batch_remote_state_t s);

#define BATCH_MAX_ERROR_LINES 32

/* A batch object as the provider describes it. Strings are NUL-terminated, "" when
 * absent; counts are -1 when absent. */
typedef struct batch_status {
    char id[160];                 /* OpenAI "batch_…", Anthropic "msgbatch_…", Gemini "batches/…" */
    batch_remote_state_t state;
    char state_word[40];          /* the provider's own word ("in_progress", "BATCH_STATE_RUNNING") */
    long total, succeeded, failed, pending; /* the provider's counts */
    char output_ref[320];         /* where results are read: OpenAI output_file_id, Anthropic
                                     the batch id (results read under base_url, never from
                                     an absolute results_url), Gemini responsesFile */
    char error_ref[160];          /* OpenAI error_file_id; "" elsewhere */
    char error_code[64];          /* first batch-level error: "token_limit_exceeded",
                                     "invalid_json_line", "RESOURCE_EXHAUSTED", ... */
    char error_message[512];      /* its message, the key scrubbed */
    long error_lines[BATCH_MAX_ERROR_LINES]; /* 1-based input lines a validation error names */
    size_t n_error_lines;
    char job_tag[72];             /* what submit tagged the batch with (OpenAI metadata
                                     "visionbatch_job", Gemini display name's job part), or "" */
    char chunk_tag[72];           /* ... and the chunk ("visionbatch_chunk"), or "" */
} batch_status_t;

/* One output (or error) line: which request, and its answer classified exactly as the
 * online answer would be (answer.action OK / RETRY / FAIL_ITEM / STOP_RUN, usage, text,
 * error kind). A line that did not run (expired, cancelled, OpenAI batch_expired) is
 * RETRY with error_kind "batch_expired" or "batch_cancelled". An unparseable line has
 * custom_id "" and answer FAIL_ITEM, error_kind "invalid_response". */
typedef struct batch_line {
    char custom_id[BATCH_CUSTOM_ID_MAX + 1];
    long http_status; /* the line's status: 200 ok, 4xx/5xx as the provider gives it
                         (Anthropic errored: mapped from error.type as online), 0 did not run */
    answer_t answer;  /* free with answer_clear */
    const char *response_body; /* the line's response body JSON within the line (OpenAI:
                                  response.body) for output formats that keep it; may be NULL */
    size_t response_len;
} batch_line_t;

/* One HTTP call the codec asks for. The caller adds the provider's key headers
 * (provider_t.add_headers) and Content-Type where body_type is set. Exactly one body
 * source, or none: body/body_len, body_path (a file streamed as the body), or form_path
 * (multipart/form-data: form_fields' "name=value" pairs then the file as field "file",
 * file name form_filename). */
typedef struct batch_req {
    const char *method;          /* "GET", "POST", "DELETE" */
    const char *url;             /* absolute */
    const char *const *headers;  /* extra "Name: value" lines, NULL-terminated; may be NULL */
    const char *body_type;       /* Content-Type of body or body_path; NULL: none */
    const char *body;
    size_t body_len;
    const char *body_path;
    const char *form_path;
    const char *form_filename;
    const char *const *form_fields; /* NULL-terminated "name=value" */
} batch_req_t;

typedef struct batch_resp {
    long status;   /* HTTP status; 0 when no answer came (err says why) */
    char *body;    /* malloc'd, NUL-terminated, capped at 8 MiB (more: status kept, body cut) */
    size_t len;
    header_get_fn header; /* the response's headers, valid until the next call */
    void *hctx;
} batch_resp_t;

/* Called for each line of a streamed body (without its newline); returns 0 to go on. */
typedef int (*batch_line_sink_fn)(const char *line, size_t len, void *arg);

typedef struct batch_http {
    /* Performs req; fills *resp (free resp->body with free). Returns 0 when an HTTP
     * answer came (any status), -1 with err set when none did (network, TLS, timeout). */
    int (*call)(void *ctx, const batch_req_t *req, batch_resp_t *resp, char *err, size_t errlen);
    /* GETs url (with the key headers) and hands each line of a 2xx body to sink as it
     * arrives: memory is one line, whatever the file's size. *status gets the HTTP status
     * (a non-2xx body is not streamed: its first 8 KiB go to err). Returns 0, or -1 with
     * err set. */
    int (*stream_lines)(void *ctx, const char *url, batch_line_sink_fn sink, void *arg,
                        long *status, char *err, size_t errlen);
    void *ctx;
} batch_http_t;

/* What a submission is about. */
typedef struct batch_submit {
    const char *base_url;    /* the job's (as for online requests) */
    const char *model;
    const char *upload_path; /* the framed file (batch_codec_t framing), upload_bytes long */
    size_t upload_bytes;
    long lines;
    const char *job_tag;     /* [A-Za-z0-9_-], <= 40: the job's fingerprint */
    const char *chunk_tag;   /* [A-Za-z0-9_-], <= 24: the chunk's key in the journal */
    const char *secret;      /* the API key, scrubbed from every error text */
} batch_submit_t;

typedef struct batch_codec {
    const char *name; /* the provider's */

    /* Per batch: at most this many lines and upload bytes (the provider's caps). */
    long max_lines;
    size_t max_bytes;

    /* The upload file: file_head, then each line (line_write) separated by line_sep,
     * then file_tail. JSONL: "", "\n", "\n". Anthropic: "{\"requests\":[", ",", "]}". */
    const char *file_head, *line_sep, *file_tail;

    /* Writes one framed request line (no separator) for custom_id around body[0..len),
     * the online request body, to out. Returns the bytes written, or -1. */
    long (*line_write)(FILE *out, const char *custom_id, const char *body, size_t len,
                       const char *model);

    /* Uploads the file (OpenAI: POST {base}/files multipart purpose=batch; Gemini: the
     * resumable Files API). Writes the provider's file reference into file_ref. NULL for
     * a provider that sends the requests with the create call (Anthropic). Returns 0, or
     * -1 with err set (*http_status the status, 0 when none came). */
    int (*upload)(const batch_http_t *h, const batch_submit_t *s, char *file_ref,
                  size_t ref_len, long *http_status, char *err, size_t errlen);

    /* Creates the batch from file_ref ("" for Anthropic: the upload file is the body),
     * tagged with s->job_tag and s->chunk_tag where the API can carry them. Fills *out.
     * Returns 0, or -1 with err set and *http_status (a 429 or 5xx may be tried again
     * later; a 4xx other than 429 means this chunk can never go as it is). */
    int (*create)(const batch_http_t *h, const batch_submit_t *s, const char *file_ref,
                  batch_status_t *out, long *http_status, char *err, size_t errlen);

    /* Reads the batch's state into *out. Returns 0, or -1 with err and *http_status. */
    int (*poll)(const batch_http_t *h, const char *base_url, const char *batch_id,
                const char *secret, batch_status_t *out, long *http_status, char *err,
                size_t errlen);

    /* Streams every result line of the final batch st (OpenAI: the output file, then the
     * error file; Gemini: the responses file) to sink, each parsed by line_parse first.
     * Returns 0, or -1 with err set. */
    int (*results)(const batch_http_t *h, const char *base_url, const batch_status_t *st,
                   const char *secret, void (*sink)(const batch_line_t *line, void *arg),
                   void *arg, char *err, size_t errlen);

    /* Asks the provider to cancel the batch. Returns 0, or -1 with err set. */
    int (*cancel)(const batch_http_t *h, const char *base_url, const char *batch_id,
                  const char *secret, char *err, size_t errlen);

    /* Looks among the provider's recent batches for one tagged s->job_tag and
     * s->chunk_tag (a create whose answer was lost in a crash). Returns 1 with *out, 0
     * when there is none, -1 with err set. NULL where batches carry no tag (Anthropic). */
    int (*find)(const batch_http_t *h, const batch_submit_t *s, batch_status_t *out,
                char *err, size_t errlen);

    /* Parsers of untrusted bytes, for the functions above and the fuzz targets. */
    /* A batch object (or Gemini's Operation) into *out. Returns 0, or -1 when it is not
     * one (out->error_message says why). secret is scrubbed from every server word. */
    int (*status_parse)(const char *json, size_t len, const char *secret, batch_status_t *out);
    /* One result line into *out (free out->answer with answer_clear). Never fails: a
     * garbled line is FAIL_ITEM / invalid_response with custom_id "" or the one it named. */
    void (*line_parse)(const char *line, size_t len, const char *secret, batch_line_t *out);
} batch_codec_t;

/* The codec of provider p, or NULL when it has no batch API. */
const batch_codec_t *batch_codec_for(const provider_t *p);

extern const batch_codec_t batch_codec_openai;
extern const batch_codec_t batch_codec_anthropic;
extern const batch_codec_t batch_codec_gemini;

/* Whether s is a valid custom_id: 1..64 characters of [A-Za-z0-9_-]. */
int batch_custom_id_ok(const char *s);

#endif
