/* sim_batchapi_run.h - running a batch's lines once it is final: each line the batch ran
 * is answered by the online endpoint's own code (sim_protocol.h: the same validation,
 * answer text and usage as POST /v1/chat/completions, /v1/messages, :generateContent),
 * without limits, quota, latency or the online faults; --batch-line-fail-rate fails a
 * random fraction of them retryably. The lines come out in an order shuffled by --seed,
 * rendered by the protocol into its result files, and are booked into the counters.
 *
 * Lines run lazily: on the first look at a final batch (a poll, a list, the results), in
 * the thread that looks; others looking at the same batch wait for it. */
#ifndef VB_SIM_BATCHAPI_RUN_H
#define VB_SIM_BATCHAPI_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "sim_batchapi.h"

typedef enum {
    SIM_BLINE_OK = 0,    /* the online 200 */
    SIM_BLINE_REFUSED,   /* what the online endpoint refuses (400, 404): failed for good */
    SIM_BLINE_FAULT,     /* --batch-line-fail-rate: failed, retryable */
    SIM_BLINE_EXPIRED,   /* not run: the batch expired */
    SIM_BLINE_CANCELLED, /* not run: the batch was cancelled */
} sim_bline_outcome_t;

/* One line's result, handed to the protocol's renderer. */
typedef struct {
    const char *custom_id; /* "" when the line had none */
    unsigned long id;      /* the line's number (its answer's and error's ids) */
    uint64_t tag;          /* 64 bits for the protocol's own line ids (batch_req_...) */
    sim_bline_outcome_t outcome;
    int status;       /* OK, REFUSED: the online answer's HTTP status */
    const char *body; /* OK, REFUSED: the online answer's JSON body */
    size_t body_len;
} sim_bline_t;

/* A growable text buffer (results files), at most SIM_BBUF_MAX bytes. */
#define SIM_BBUF_MAX ((size_t)1 << 31)
typedef struct {
    char *data; /* NUL-terminated when not NULL */
    size_t len, cap;
} sim_bbuf_t;

/* Appends s[0..n). Returns 0, or -1 when out of memory or past SIM_BBUF_MAX. */
int sim_bbuf_add(sim_bbuf_t *b, const char *s, size_t n);

/* Appends the printf-style text. Returns 0, or -1. */
int sim_bbuf_addf(sim_bbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string (quoted, escaped). Returns 0, or -1. */
int sim_bbuf_add_string(sim_bbuf_t *b, const char *s);

/* Renders one line's result into out (results) or err (OpenAI's error file); appends
 * nothing for a line a protocol leaves out. Returns 0, or -1 when out of memory. */
typedef int (*sim_bline_render_fn)(const sim_batch_t *b, const sim_bline_t *line, sim_bbuf_t *out,
                                   sim_bbuf_t *err);

/* Runs b's lines if b is final at now (taken under the store's lock: every moment that
 * decides a batch's fate is, so a later cancel cannot change a fate seen final) and they
 * have not run yet (else does nothing): the lines
 * a completed batch ran (all), an expired one (all but b->n_expire; none on Gemini), a
 * cancelled one (those processed by the cancel); a failed batch runs none and gets no
 * files. Stores the results in b->output and b->errors_file (each NULL when empty) and
 * the counts in b. Returns 0, or -1 when out of memory (b is then left unrun). */
int sim_batchapi_run(sim_batchapi_t *api, sim_batch_t *b, double now, sim_bline_render_fn render);

#endif
