/* journal_batch.h - a batch_api job's chunks and their lines in the journal.
 *
 * A chunk is one provider batch: a local file of request lines, then (once uploaded and
 * created) the provider's file and batch ids. Each line has a custom_id, the journal key
 * of one attempt of one item: the provider hands it back with the line's result. Every
 * step is written before the next one starts (the chunk's lines before its upload, the
 * file id before the create, the batch id before any poll), so a kill -9 at any moment
 * leaves a journal from which a rerun knows what the provider holds.
 *
 * Tables (created on open, with the journal's others): chunks (key, state, provider,
 * base_url, model, file_ref, batch_id, remote_state, counts, lines, bytes, est_tokens,
 * reserved_usd, times) and batch_lines (custom_id, chunk, item id, source, hash, meta,
 * cache_key, attempt, reserved_usd, est_tokens, copy_of, done). Same single writer as
 * journal.h (the loop thread); writes join its open transaction. */
#ifndef VB_JOURNAL_BATCH_H
#define VB_JOURNAL_BATCH_H

#include "record/journal.h"

/* A chunk's own state (the provider's is remote_state). */
typedef enum {
    CHUNK_BUILDING = 0, /* lines being added; the local file is incomplete */
    CHUNK_SEALED,       /* every line journaled, the upload file written */
    CHUNK_UPLOADED,     /* the provider holds the file: file_ref */
    CHUNK_CREATING,     /* the create call went out; its answer not yet journaled */
    CHUNK_SUBMITTED,    /* batch_id known: polled until final */
    CHUNK_COLLECTED,    /* results taken in: done */
    CHUNK_ABANDONED,    /* never reached the provider (or refused): its open lines go
                           back to be sent again */
} chunk_state_t;

/* "building", "sealed", "uploaded", "creating", "submitted", "collected", "abandoned". */
const char *chunk_state_name(chunk_state_t s);

typedef struct journal_chunk {
    char key[24]; /* "c000001": [A-Za-z0-9_-] */
    chunk_state_t state;
    char provider[16];
    char base_url[512];
    char model[128];
    char file_ref[320];   /* the provider's file (OpenAI file id, Gemini files/...) or "" */
    char batch_id[160];   /* the provider's batch, or "" */
    char remote_state[40];
    long lines;
    long long bytes;      /* the upload file's size */
    double est_tokens;    /* estimated prompt tokens of its lines (--max-enqueued-tokens) */
    double reserved_usd;  /* budget held for its open lines (batch price, worst case) */
    long succeeded, failed, pending; /* the provider's last counts; -1 unknown */
    double created_at, submitted_at, updated_at; /* unix seconds; 0 not yet */
} journal_chunk_t;

/* Adds chunk c (its key must be new). Returns 0, or -1. */
int journal_chunk_add(journal_t *j, const journal_chunk_t *c);

/* Writes every field of the chunk with c->key. Returns 0, or -1 (also when no such chunk). */
int journal_chunk_update(journal_t *j, const journal_chunk_t *c);

/* Calls fn for each chunk in key order (only those not COLLECTED or ABANDONED with
 * open_only); fn (NULL: counting only) returns 0 to go on. Returns how many it was
 * called for, or -1. */
long journal_chunk_foreach(journal_t *j, int open_only,
                           int (*fn)(const journal_chunk_t *c, void *ctx), void *ctx);

/* The number the next chunk takes: one more than the highest "cNNNNNN" so far (1 for the
 * first). */
long journal_chunk_next_number(journal_t *j);

/* One line of a chunk: one attempt of one item (or a copy waiting for another line's
 * answer, copy_of set: never sent itself). */
typedef struct journal_batch_line {
    char custom_id[65];
    char chunk[24];
    char *item_id;    /* owned by the caller on add; malloc'd on get */
    char *source;
    char *hash;       /* "sha256:..." or NULL */
    char *meta_json;  /* the item's fields, or NULL */
    char *cache_key;  /* result key, or NULL */
    char *copy_of;    /* the custom_id whose answer this item shares, or NULL */
    char *model;      /* a batch-request line's own model, or NULL */
    int attempt;      /* 1 for the first batch the item went in, 2 for a resubmission... */
    int json_retries; /* re-asks for not being the JSON asked for, so far */
    double reserved_usd;
    double est_tokens;
    double earlier_cost_usd; /* billed answers before this attempt (re-asked JSON) */
    int done;         /* its result was taken in */
} journal_batch_line_t;

/* Adds line l and marks its item (l->item_id) JOURNAL_BATCHED with attempt l->attempt
 * (for a copy: JOURNAL_BATCHED too). Returns 0, or -1. */
int journal_batch_line_add(journal_t *j, const journal_batch_line_t *l);

/* Reads the line custom_id into *out (strings malloc'd: journal_batch_line_clear).
 * Returns 1 when found, 0 when the journal has no such line, -1 on error. */
int journal_batch_line_get(journal_t *j, const char *custom_id, journal_batch_line_t *out);

/* Frees the strings of a line read by journal_batch_line_get / _foreach. */
void journal_batch_line_clear(journal_batch_line_t *l);

/* Marks the line's result taken in. Returns 0, or -1. */
int journal_batch_line_done(journal_t *j, const char *custom_id);

/* Calls fn for each line of chunk that is not done and is not a copy, in custom_id
 * order; the line's strings are valid during the call only. Returns the count, or -1. */
long journal_batch_lines_open(journal_t *j, const char *chunk,
                              int (*fn)(const journal_batch_line_t *l, void *ctx), void *ctx);

/* Calls fn for each line that is a copy of custom_id and not done. Returns the count,
 * or -1. */
long journal_batch_copies(journal_t *j, const char *custom_id,
                          int (*fn)(const journal_batch_line_t *l, void *ctx), void *ctx);

/* The custom_id of the open, non-copy line whose item has result key cache_key (the
 * first of its key in a batch), into out. Returns 1 when there is one, 0 when not, -1. */
int journal_batch_first_by_key(journal_t *j, const char *cache_key, char *out, size_t n);

/* The copies waiting for line from wait for line to instead (from was sent again as
 * to). Returns 0, or -1. */
int journal_batch_copies_move(journal_t *j, const char *from, const char *to);

/* The budget held for every open line (not done, not a copy): what a run must hold again
 * when it starts. -1 on error. */
double journal_batch_open_reserved(journal_t *j);

#endif
