/* sim_batchapi.h - the simulated batch APIs' store: the files uploaded and produced, the
 * batches with their compressed clock (sim_batchapi_clock.h), the batch faults decided
 * when a batch is created, and the counters GET /sim/stats shows under "batch".
 *
 * Three protocols share it: OpenAI Files + Batches (sim_batchapi_openai.c), Anthropic
 * Message Batches (sim_batchapi_anthropic.c), Gemini batchGenerateContent
 * (sim_batchapi_gemini.c); sim_batchapi_http.c routes the server's calls to them. Files
 * and batches live until the server stops (a test tool: nothing is deleted), so pointers
 * to them stay valid; their mutable fields are read and written under the store's lock
 * (sim_batchapi_lock). File contents never change once stored. */
#ifndef VB_SIM_BATCHAPI_H
#define VB_SIM_BATCHAPI_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "sim_batchapi_clock.h"
#include "sim_batchapi_stats.h"
#include "sim_config.h"
#include "sim_protocol.h"

typedef struct sim_batchapi sim_batchapi_t;

/* A call of a batch endpoint as the server hands it over. */
typedef struct {
    const char *method;
    const sim_call_t *call; /* path, body, headers and query; call->proto is the route's */
    char **body_buf;        /* the malloc'd buffer behind call->body: a handler that keeps
                               the body (an uploaded file) takes it and sets *body_buf NULL */
} sim_bcall_t;

/* A stored file: an upload, or a batch's results. */
typedef struct {
    char id[96]; /* OpenAI "file-<hex>"; Gemini "files/<id>"; Anthropic internal */
    sim_proto_id_t proto;
    char purpose[16]; /* OpenAI: "batch", "batch_output"; "" elsewhere */
    char name[160];   /* filename, or Gemini's display name */
    char mime[64];    /* Gemini's mimeType */
    char *data;       /* NUL-terminated; NULL while a Gemini upload is pending */
    size_t len;
    long long declared_len; /* a pending Gemini upload's announced size; -1: none */
    double created_wall;    /* Unix time, seconds */
    int is_result;          /* made by a batch, not uploaded */
} sim_bfile_t;

/* Why a batch fails at the end of its validation. */
typedef enum {
    SIM_BDOOM_NONE = 0,
    SIM_BDOOM_INVALID, /* its lines are invalid (or --batch-validation-fail picked it) */
    SIM_BDOOM_TOKENS,  /* over --batch-enqueued-tokens (OpenAI) */
} sim_bdoom_t;

typedef struct {
    char id[72]; /* "batch_<hex>", "msgbatch_<hex>", "batches/<hex>" */
    sim_proto_id_t proto;
    unsigned long ordinal; /* 1-based over every create call that got this far */
    char model[128];       /* the lines' model (Anthropic: the first request's) */
    char label[160];       /* Gemini's display name */
    json_t *metadata;      /* OpenAI's metadata object, or NULL (owned) */

    /* The input: one copy, never changed. */
    sim_bfile_t *input;            /* OpenAI, Gemini: the uploaded JSONL file */
    json_t *requests;              /* Anthropic: the create body's "requests" array (owned) */
    size_t *line_off;              /* JSONL: where each non-empty line starts (owned) */
    size_t total;                  /* lines / requests */
    unsigned long long est_tokens; /* estimated prompt tokens (with --batch-enqueued-tokens) */

    /* The clock and the faults. */
    sim_btimeline_t tl;
    double created_wall; /* Unix time, seconds */
    sim_bdoom_t doom;
    json_t *errors;         /* validation errors found in an OpenAI file: the errors' data
                               array (owned), or NULL */
    char fail_code[40];     /* a doomed batch: "invalid_json_line", "token_limit_exceeded" */
    char fail_message[512]; /* ... and why, in words */
    long fail_line;         /* ... and the 1-based line it names, 0: none */
    size_t n_expire;        /* an expiring batch: lines that are not run */

    /* The results: set once, when the batch is final and first looked at. */
    pthread_mutex_t run_lock; /* held while its lines run */
    int ran;
    sim_btally_t tally;
    sim_bfile_t *output;      /* OpenAI output file; Anthropic and Gemini: every line */
    sim_bfile_t *errors_file; /* OpenAI error file */
} sim_batch_t;

/* Creates the store for cfg (which must outlive it). NULL when out of memory. */
sim_batchapi_t *sim_batchapi_new(const sim_config_t *cfg);

/* Frees api, its files and batches; NULL is a no-op. No call may be in progress. */
void sim_batchapi_free(sim_batchapi_t *api);

const sim_config_t *sim_batchapi_config(const sim_batchapi_t *api);

/* The monotonic clock of the batches' timelines, in seconds. Read it with the lock held
 * when the moment decides anything (a view, a cancel, a create): then moments follow the
 * order the lock was taken in. */
double sim_batchapi_now(const sim_batchapi_t *api);

/* The wall clock, Unix seconds with a fraction. */
double sim_batchapi_wall(void);

/* Writes t (Unix seconds) as RFC 3339 UTC with microseconds: "2026-12-03T12:00:00.123456Z". */
void sim_batchapi_rfc3339(double t, char *buf, size_t cap);

/* The wall-clock time of monotonic moment at on b's clock. */
double sim_batchapi_batch_wall(const sim_batch_t *b, double at);

/* Fills reply with proto's error body for status (sim_protocol_t.refuse: OpenAI's
 * {"error":{message,type,param,code}}, Anthropic's and Gemini's own shapes) with a
 * printf-style message; param and code may be NULL. Returns 0, or -1 when out of memory. */
int sim_batchapi_refuse(sim_reply_t *reply, sim_proto_id_t proto, int status, const char *param,
                        const char *code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Splits rest, "/<id>" or "/<id>/<more>", into the id (at most cap - 1 bytes) and *tail
 * (the rest from the next '/', or ""). Returns 0, or -1 when rest is not that. */
int sim_batchapi_path_item(const char *rest, char *id, size_t cap, const char **tail);

/* The Host header of call (for the URLs a reply hands out), or "127.0.0.1". */
const char *sim_batchapi_call_host(const sim_call_t *call);

/* Takes and releases the store's lock. */
void sim_batchapi_lock(sim_batchapi_t *api);
void sim_batchapi_unlock(sim_batchapi_t *api);

/* Writes a fresh id: prefix then hexdigits lowercase hex digits (deterministic from
 * --seed and how many ids were made). Locks by itself. */
void sim_batchapi_make_id(sim_batchapi_t *api, const char *prefix, int hexdigits, char *out,
                          size_t cap);

/* Stores a file of proto with data[0..len) (taken over: malloc'd, one byte longer than len
 * for a NUL; NULL for a pending upload). id is the file's protocol name; is_result marks
 * a batch's results (not counted as an upload). Locks by itself. Returns the file, or
 * NULL when out of memory (data is then freed). */
sim_bfile_t *sim_batchapi_add_file(sim_batchapi_t *api, sim_proto_id_t proto, const char *id,
                                   const char *purpose, const char *name, char *data, size_t len,
                                   int is_result);

/* The file of proto named id, or NULL. Call with the lock held. */
sim_bfile_t *sim_batchapi_find_file(sim_batchapi_t *api, sim_proto_id_t proto, const char *id);

/* The batch of proto named id, or NULL. Call with the lock held. */
sim_batch_t *sim_batchapi_find_batch(sim_batchapi_t *api, sim_proto_id_t proto, const char *id);

/* The n-th batch of proto counted from the newest (0: the newest), or NULL. Call with the
 * lock held. */
sim_batch_t *sim_batchapi_nth_newest(sim_batchapi_t *api, sim_proto_id_t proto, size_t n);

/* What a protocol asks of the store to create a batch. The pointers are taken over
 * (metadata, requests, line_off, errors), whatever the outcome. */
typedef struct {
    sim_proto_id_t proto;
    const char *id_prefix; /* "batch_", "msgbatch_", "batches/" */
    int id_hexdigits;
    const char *model, *label;
    json_t *metadata;
    sim_bfile_t *input;
    json_t *requests;
    size_t *line_off;
    size_t total;
    unsigned long long est_tokens;
    json_t *errors;     /* validation errors found (OpenAI), or NULL */
    int refuse_invalid; /* --batch-validation-fail refuses the create (Anthropic) */
    int refuse_tokens;  /* over --batch-enqueued-tokens refuses the create (Anthropic,
                           Gemini); else the batch fails after validating (OpenAI) */
} sim_bnew_t;

typedef enum {
    SIM_BCREATE_OK = 0,
    SIM_BCREATE_INVALID, /* --batch-validation-fail picked this create (refuse_invalid) */
    SIM_BCREATE_TOKENS,  /* over --batch-enqueued-tokens (refuse_tokens): see *enqueued */
    SIM_BCREATE_NO_MEMORY,
} sim_bcreate_t;

/* Creates a batch from spec, deciding its faults: --batch-validation-fail and
 * --batch-expire by its ordinal, --batch-enqueued-tokens against the estimated tokens of
 * the unfinished batches of the same protocol and model (*enqueued gets their sum).
 * Locks by itself. On SIM_BCREATE_OK sets *out. */
sim_bcreate_t sim_batchapi_create(sim_batchapi_t *api, sim_bnew_t *spec, sim_batch_t **out,
                                  unsigned long long *enqueued);

/* Accepts a cancel of b at now (read under the same hold of the lock). Returns 0, or -1
 * when b is final or cancelling already. Call with the lock held. */
int sim_batchapi_cancel(sim_batch_t *b, double now);

/* Lines of b that are done at now, and of those failed, before b ran (an estimate that
 * rises with the clock) or after (exact). Call with the lock held. */
void sim_batchapi_counts(const sim_batch_t *b, double now, size_t *done, size_t *failed);

/* Books b's results into the counters (after b's lines ran): billed is the line keys
 * of its ok lines (SIM_DIGEST_LEN bytes each, n_billed of them): those billed ok before
 * count in billed_twice. Locks by itself. */
void sim_batchapi_book(sim_batchapi_t *api, const sim_batch_t *b,
                       const unsigned char (*billed)[SIM_DIGEST_LEN], size_t n_billed);

/* The counters as a new JSON object for /sim/stats' "batch" (NULL when out of memory):
 * {"files","file_bytes","batches","by_protocol":{"openai","anthropic","gemini"},"open",
 *  "final":{"completed","failed","expired","cancelled"},"refused","lines":{"ok","failed",
 *  "faults","not_run"},"prompt_tokens","completion_tokens","billed_twice"}: files and
 * batches since the last reset, the batches' states as of now. */
json_t *sim_batchapi_stats_json(sim_batchapi_t *api);

/* Zeroes the counters (POST /sim/reset): files and batches are kept but counted from
 * now on; billed_twice forgets what was billed. */
void sim_batchapi_reset_stats(sim_batchapi_t *api);

#endif
