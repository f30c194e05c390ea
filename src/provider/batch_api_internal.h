/* batch_api_internal.h - what the three batch codecs (openai_batch_*.c,
 * anthropic_batch_*.c, gemini_batch_*.c) share: the server's words copied with the key
 * scrubbed, URLs under a base URL, the HTTP calls with one-line errors, result lines
 * streamed through a parser, and the JSON pieces (spans of a line, strings out). Only
 * src/provider/ includes it. Pure and thread-safe, like batch_api.h. */
#ifndef VB_BATCH_API_INTERNAL_H
#define VB_BATCH_API_INTERNAL_H

#include "provider/batch_api.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* No batch has more lines and no answer more tokens than this: a larger number from a
 * server is not believed (a count becomes -1, a line's usage makes it invalid). Sums of
 * a few such numbers fit in a long everywhere. */
#define BATCH_MAX_COUNT 1000000000L

/* ---- batch_api.c: objects, words, URLs, calls -------------------------------------- */

/* A status with every string "" and every count -1, state UNKNOWN. */
void batch_status_init(batch_status_t *st);

/* Sets st->error_message to why an object was refused; returns -1 (status_parse's). */
int batch_status_refuse(batch_status_t *st, const char *why);

/* Copies word (NULL: "") into dst[cap] with secret scrubbed (before the copy is cut)
 * and control bytes as spaces. Returns 0 when it fit whole, -1 when it was cut. */
int batch_word_copy(char *dst, size_t cap, const char *word, const char *secret);

/* Whether s is 1..max characters of [A-Za-z0-9._-]: an id the codecs put in a URL path
 * or a query as it is (OpenAI's file-… and batch_…, Anthropic's msgbatch_…, the part
 * after Gemini's "batches/" and "files/"). */
bool batch_id_ok(const char *s, size_t max);

/* Whether s is "<prefix><id>" (Gemini's "batches/…", "files/…"), at most max characters
 * in all, its id batch_id_ok. */
bool batch_resource_ok(const char *s, const char *prefix, size_t max);

/* Whether s is a tag submit can carry: 1..max characters of [A-Za-z0-9_-]. */
bool batch_tag_ok(const char *s, size_t max);

/* A count the server gave as a JSON integer or a decimal string (Gemini's int64):
 * 0..BATCH_MAX_COUNT, else -1. */
long batch_count_of(const json_t *v);

/* base_url with its trailing slashes and then one of the version suffixes (NULL-
 * terminated list, may be NULL: e.g. "/v1beta", "/v1") taken off, followed by the
 * formatted path. Returns a malloc'd string, NULL when out of memory. */
char *batch_url(const char *base_url, const char *const *strip, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether url has base_url's scheme, host and port (the port the scheme implies when
 * absent), with no user info in either: where the key may go. */
bool batch_same_origin(const char *url, const char *base_url);

/* s percent-encoded for a query value (all but [A-Za-z0-9._~-]). Malloc'd, or NULL. */
char *batch_query_escape(const char *s);

/* Formats a one-line error into err: secret scrubbed, control bytes as spaces. */
void batch_errf(char *err, size_t errlen, const char *secret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What a server's error body says, as one short scrubbed line: error.message with its
 * code, type or status, or the body's first bytes. */
void batch_server_words(const char *body, size_t len, const char *secret, char *out, size_t outlen);

/* Performs req through h. Returns 0 when a 2xx answer came (*resp filled: free
 * resp->body). Otherwise -1 with err "<what>: HTTP n: <server words>" or "<what>: no
 * answer: <why>", resp->body freed; *http_status (may be NULL) gets the status or 0. */
int batch_call(const batch_http_t *h, const batch_req_t *req, const char *what, const char *secret,
               batch_resp_t *resp, long *http_status, char *err, size_t errlen);

typedef int (*batch_status_parse_fn)(const char *json, size_t len, const char *secret,
                                     batch_status_t *out);

/* batch_call, then parse's reading of the answer into *out. Returns 0, or -1 with err
 * (an answer that is not a batch object says so, *http_status its 2xx status). */
int batch_call_status(const batch_http_t *h, const batch_req_t *req, const char *what,
                      const char *secret, batch_status_parse_fn parse, batch_status_t *out,
                      long *http_status, char *err, size_t errlen);

typedef void (*batch_line_parse_fn)(const char *line, size_t len, const char *secret,
                                    batch_line_t *out);

/* Streams the result file at url through h: each non-blank line parsed by parse and
 * handed to sink (its answer freed after). Returns 0, or -1 with err naming what. */
int batch_stream_results(const batch_http_t *h, const char *url, const char *what,
                         const char *secret, batch_line_parse_fn parse,
                         void (*sink)(const batch_line_t *line, void *arg), void *arg, char *err,
                         size_t errlen);

/* ---- batch_line.c: result lines ------------------------------------------------------- */

/* An empty line: custom_id "", status 0, usage -1. */
void batch_line_init(batch_line_t *l);

/* Copies the line's custom_id when it is one visionbatch writes (batch_custom_id_ok, and
 * not holding secret); else sets "". */
void batch_line_set_id(batch_line_t *l, const char *custom_id, const char *secret);

/* The line is not what the provider writes: FAIL_ITEM / invalid_response, usage
 * unknown, the message formatted (its parts already scrubbed) and scrubbed whole. */
void batch_line_garbled(batch_line_t *l, const char *secret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line that is not a JSON object: garbled, with its first bytes (scrubbed) said. */
void batch_line_not_json(batch_line_t *l, const char *line, size_t len, const char *secret);

/* The batch never ran the line (expired, cancelled): RETRY with kind, status 0. The
 * server's code and message (may be NULL) are scrubbed into the message. */
void batch_line_not_run(batch_line_t *l, const char *kind, const char *code, const char *message,
                        const char *secret);

/* The line's answer: p's online answer parser on status and body[0..len), then the
 * usage check (a count over BATCH_MAX_COUNT makes the line invalid). */
void batch_line_answer(batch_line_t *l, const provider_t *p, long status, const char *body,
                       size_t len, const char *secret);

/* The value at path in line (value: the same, parsed; dumped when its bytes cannot be
 * found) between head and tail, classified by batch_line_answer with status; the line's
 * response body is the value's bytes in line. */
void batch_line_answer_at(batch_line_t *l, const provider_t *p, long status, const char *line,
                          size_t len, const char *const *path, size_t n, const json_t *value,
                          const char *head, const char *tail, const char *secret);

/* A line as a JSON object (duplicate keys refused, so a span found by
 * batch_json_span is the value jansson read), or NULL. */
json_t *batch_json_load(const char *text, size_t len);

/* The bytes of the value at path (object keys, n of them) inside the valid JSON text
 * json[0..len), or NULL when a key is absent or written with escapes. *out_len gets its
 * length. */
const char *batch_json_span(const char *json, size_t len, const char *const *path, size_t n,
                            size_t *out_len);

/* head + value + tail as one malloc'd NUL-terminated text (*out_len its length): the
 * value's bytes from the line (span, span_len) when found, else value serialised.
 * NULL when out of memory. */
char *batch_json_wrap(const char *head, const char *span, size_t span_len, const json_t *value,
                      const char *tail, size_t *out_len);

/* One framed request line: head, custom_id as a JSON string, mid, body[0..len) as it is
 * (already compact JSON: never parsed, it may be megabytes of base64), tail. Returns the
 * bytes written, or -1 (custom_id not batch_custom_id_ok, no body, a write failed). */
long batch_line_write(FILE *out, const char *head, const char *custom_id, const char *mid,
                      const char *body, size_t len, const char *tail);

/* Writes s as a JSON string (quotes, escapes) to out. Returns the bytes written, or -1. */
long batch_json_string_write(FILE *out, const char *s);

/* ---- each provider's parsers, on a parsed object (for find's listings) ---------------- */

int openai_batch_status_json(const json_t *o, const char *secret, batch_status_t *out);
int openai_batch_status_parse(const char *json, size_t len, const char *secret,
                              batch_status_t *out);
void openai_batch_line_parse(const char *line, size_t len, const char *secret, batch_line_t *out);

int anthropic_batch_status_parse(const char *json, size_t len, const char *secret,
                                 batch_status_t *out);
void anthropic_batch_line_parse(const char *line, size_t len, const char *secret,
                                batch_line_t *out);

int gemini_batch_status_json(const json_t *o, const char *secret, batch_status_t *out);
int gemini_batch_status_parse(const char *json, size_t len, const char *secret,
                              batch_status_t *out);
void gemini_batch_line_parse(const char *line, size_t len, const char *secret, batch_line_t *out);

/* Gemini's displayName of a batch (and its file): "vb-<job_tag>-<chunk_tag>". */
#define GEMINI_BATCH_NAME_PREFIX "vb-"

#endif
