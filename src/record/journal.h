/* journal.h - the durable job journal: a SQLite file (WAL) holding the job's request
 * parameters, every item with its state, every attempt, each final result (the exact
 * output line) and a result cache keyed by (image content, model, prompt, parameters).
 *
 * One writer: the event-loop thread. Writes are grouped into transactions: the engine
 * commits the results of each loop turn together (so a crash can only cost what was in
 * flight), and other writes (sent marks) at the latest every JOURNAL_BATCH_MS or
 * JOURNAL_BATCH_WRITES writes (journal_tick). WAL with synchronous=NORMAL makes a commit
 * a write to the log, not a disk flush: it survives the process being killed, and the
 * journal stays consistent after a power loss (it may lose the last commits). Readers (the preparing threads) open their own
 * connections with journal_reader_open; WAL lets them read while the writer writes. */
#ifndef VB_JOURNAL_H
#define VB_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JOURNAL_BATCH_MS 200
#define JOURNAL_BATCH_WRITES 512

typedef enum {
    JOURNAL_NONE = 0, /* the item is not in the journal */
    JOURNAL_PENDING,
    JOURNAL_IN_FLIGHT,
    JOURNAL_OK,
    JOURNAL_FAILED,
    JOURNAL_SKIPPED,
    JOURNAL_BATCHED, /* in a provider batch (journal_batch.h): a run collects, never resends */
    JOURNAL_STATE_COUNT
} journal_state_t;

typedef struct journal journal_t;
typedef struct journal_reader journal_reader_t;

/* "pending", "in_flight", "ok", "failed", "skipped", "batched"; "none" for JOURNAL_NONE. */
const char *journal_state_name(journal_state_t s);

/* Opens (creating if needed) the journal at path for writing, holding PATH.lock so no
 * other run writes it at the same time. Returns NULL with a reason in err. */
journal_t *journal_open(const char *path, char *err, size_t errlen);

/* Opens an existing journal for reading and reporting only (status, export); NULL with
 * a reason in err when it does not exist. Read-only (no lock, no write: a snapshot of a
 * running job's journal, or one its reader may not write), except that a journal of an
 * older schema is upgraded first. Its write functions fail. */
journal_t *journal_open_existing(const char *path, char *err, size_t errlen);

/* Opens the SQLite file of a journal read-only for another reader (the report): a
 * snapshot of a running job's journal, or a closed one in a folder its reader may not
 * write. NULL with a reason in err. */
struct sqlite3 *journal_snapshot_open(const char *path, char *err, size_t errlen);

/* Ties the journal to a job's request parameters (a canonical JSON text: model, prompt,
 * detail, ...; never the API key). A new journal takes them. A journal of another job
 * is refused with a message naming what differs. With new_job set, the journal's items
 * are forgotten whatever job it held (the result cache is kept) and it takes the new
 * parameters. Returns 0,
 * 1 when the journal already held this job (a resume), or -1 with err set. */
int journal_bind_job(journal_t *j, const char *params_json, int new_job, char *err,
                     size_t errlen);

/* Marks an item as sent (attempt number attempt), adding it if new. */
int journal_item_sent(journal_t *j, const char *id, const char *source, const char *hash,
                      int attempt);

/* Records one finished attempt. */
int journal_attempt(journal_t *j, const char *id, int attempt, double latency_ms,
                    long http_status, long prompt_tokens, long completion_tokens, double cost_usd,
                    const char *error_kind, const char *error_message);

/* Records an item's final state and its output line (without newline); when cache_key is
 * not NULL and the state is ok, also stores the line in the result cache. */
int journal_item_done(journal_t *j, const char *id, const char *source, const char *hash,
                      journal_state_t state, int attempts, double cost_usd, const char *line,
                      const char *cache_key);

/* Records the size and modification time (ns since the epoch) of the file an item's
 * content_hash was taken of, read when it was: a later run that finds the same at the
 * item's path passes over it without reading it (schema 4's file_size, file_mtime_ns). */
int journal_item_stamp(journal_t *j, const char *id, long long size, long long mtime_ns);

/* Records a sample of the limits now (wall-clock time), for `visionbatch report`:
 * requests in flight, the adaptive window, the configured concurrency, the request and
 * token rates paced to (0: none), and whether a 429 pause is on. */
int journal_sample(journal_t *j, long in_flight, long window, long concurrency, double rpm,
                   double tpm, int paused);

/* Commits the open transaction if it is older than JOURNAL_BATCH_MS or holds
 * JOURNAL_BATCH_WRITES writes (force: commit now). Returns 0, or -1 on a write error. */
int journal_tick(journal_t *j, int force);

/* Calls fn(line, state, ctx) for the output line of every item in a final state (ok or
 * failed; skipped items were never sent and are not final), in the order items were
 * first seen. Failed items are left out when skip_failed is set (they are about to be
 * retried). fn returns 0 to go on. Returns the number of lines, or -1. */
long journal_foreach_result(journal_t *j, int skip_failed,
                            int (*fn)(const char *line, journal_state_t state, void *ctx),
                            void *ctx);

/* One item in a final state, as journal_foreach_final hands it over (the strings are
 * valid during the call only). */
typedef struct journal_final {
    const char *line;     /* its output line */
    journal_state_t state; /* JOURNAL_OK or JOURNAL_FAILED */
    const char *id;
    const char *source;   /* the path or URL as the input named it */
    int stamped;          /* file_size and file_mtime_ns are known (journal_item_stamp) */
    long long file_size;
    long long file_mtime_ns;
} journal_final_t;

/* journal_foreach_result with each item's id, source and file stamp too. */
long journal_foreach_final(journal_t *j, int skip_failed,
                           int (*fn)(const journal_final_t *item, void *ctx), void *ctx);

/* The output line and state of item id (a malloc'd line; NULL, *state JOURNAL_NONE, when
 * it has none), on the writer's connection. */
char *journal_item_result(journal_t *j, const char *id, journal_state_t *state);

/* journal_foreach_result writing each line to out. */
long journal_export(journal_t *j, FILE *out, int skip_failed);

/* Stores a job-level fact (e.g. "input_items") in the journal's meta table. */
int journal_meta_set(journal_t *j, const char *key, const char *value);

/* Reads a job-level fact; returns a malloc'd string or NULL. */
char *journal_meta_get(journal_t *j, const char *key);

/* Attempts finished in the last `seconds` seconds (for a rate). */
long journal_recent_attempts(journal_t *j, double seconds);

/* The writer's look-up of the result cache: a malloc'd output line, or NULL. */
char *journal_cached(journal_t *j, const char *cache_key);

/* Answers the result cache holds. */
long journal_cache_size(journal_t *j);

/* Counts by state: counts[JOURNAL_PENDING..JOURNAL_BATCHED]; *cost the sum of item
 * costs. Returns 0, or -1. */
int journal_counts(journal_t *j, long counts[JOURNAL_STATE_COUNT], double *cost);

/* Adds usd to what the job paid for answers of items a run left unfinished (billed, not
 * used: a stop or a cancel came before the item's result). journal_counts' cost includes
 * it, so a later run's budget counts it. Returns 0, or -1. */
int journal_spent_unfinished_add(journal_t *j, double usd);

/* The last error message of the journal's database. */
const char *journal_errmsg(journal_t *j);

/* Commits and closes. NULL is a no-op. */
void journal_close(journal_t *j);

/* Opens a read-only connection for a preparing thread. NULL with err on failure. */
journal_reader_t *journal_reader_open(const char *path, char *err, size_t errlen);

/* What the journal holds of one item, for deciding whether to send it again. */
typedef struct journal_item_row {
    journal_state_t state;  /* JOURNAL_NONE when the journal does not know the item */
    char content_hash[80];  /* "sha256:<hex>" of the file's bytes as read; "" when none */
    int stamped;            /* file_size and file_mtime_ns are known (schema 4 rows) */
    long long file_size;
    long long file_mtime_ns;
    double cost_usd;        /* what its recorded answer cost (0 when none) */
    bool by_legacy_id;      /* found under the item's legacy_id (prepare.c sets it) */
} journal_item_row_t;

/* Looks up item id into *row (row->state JOURNAL_NONE when the journal does not know
 * it). Returns 0, or -1 when the database could not answer. */
int journal_reader_item(journal_reader_t *r, const char *id, journal_item_row_t *row);

/* Looks up an item's state into *state (JOURNAL_NONE when the journal does not know
 * it). Returns 0, or -1 when the database could not answer. */
int journal_reader_state(journal_reader_t *r, const char *id, journal_state_t *state);

/* Looks up the result cache: returns a malloc'd output line, or NULL. */
char *journal_reader_cached(journal_reader_t *r, const char *cache_key);

/* Which job the journal holds, read without writing or locking (a run may be writing
 * it): 1 the job of params_json (journal_bind_job would resume it), 0 none yet, -1
 * another job, with journal_bind_job's refusal in err. */
int journal_reader_job(journal_reader_t *r, const char *params_json, char *err, size_t errlen);

/* Closes the reader. NULL is a no-op. */
void journal_reader_close(journal_reader_t *r);

#endif
