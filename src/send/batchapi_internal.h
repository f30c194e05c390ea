/* batchapi_internal.h - the batch sender's state, shared by its loop (batchapi.c) and
 * the taking in of results (batchapi_collect.c). Loop thread only. */
#ifndef VB_BATCHAPI_INTERNAL_H
#define VB_BATCHAPI_INTERNAL_H

#include "send/batchapi.h"

#include "provider/batch_api.h"
#include "record/journal_batch.h"
#include "send/batchapi_http.h"
#include "send/engine_internal.h"

#include <limits.h>

/* A chunk that is sealed and not yet collected, with when to act on it next. */
typedef struct open_chunk {
    journal_chunk_t c;
    uint64_t due_ns;   /* next upload/create/poll attempt */
    int errors;        /* consecutive failed calls (backoff) */
    bool polled;       /* polled at least once by this run */
    bool fallback;     /* cancelled after --fallback-after: what did not run goes online */
    batch_status_t st; /* the provider's last word on it */
} open_chunk_t;

struct batchapi {
    engine_t *e;
    const batch_codec_t *codec;
    batchapi_http_t *http;
    batch_http_t ops;
    char dir[PATH_MAX];
    char job_tag[41];
    long next_number; /* of the next chunk */
    long max_lines;
    size_t max_bytes;
    double token_cap;       /* open batches' estimated tokens at most; 0: none */
    bool hold_until_empty;  /* after an enqueued-token failure: submit once none are open */

    /* the chunk being built */
    bool building;
    journal_chunk_t build;
    FILE *build_file;
    long build_line_no;

    open_chunk_t **open; /* each its own allocation: steps hold them across a seal */
    size_t n_open, cap_open;

    /* --fallback-online (batchapi_fallback.c) */
    long fallback_pending; /* lines in fallback.lines */
    long fallback_fed;     /* ... of which handed to the engine */
    long fallback_offset;  /* where reading goes on */
    long fallback_copies;  /* copies of fallback lines left to a later run */
    long long uploaded_before; /* the summary's bytes before the loop (fallback requests add) */
};

/* Seals the chunk being built (if any) and adds it to the open ones. Returns 0, or -1
 * when its files cannot be written (the run stops). */
int batchapi_seal(batchapi_t *b);

/* Adds a line for an item to the chunk being built (starting one, or sealing a full one
 * first). line carries the journal fields (custom_id is chosen here); body is the
 * request. Returns 0, or -1 (the run stops). */
int batchapi_add_line(batchapi_t *b, journal_batch_line_t *line, const char *body, size_t len);

/* Takes in the results of the final chunk oc (its remote state in oc->c), records each
 * item or sends it again in a later chunk, and marks the chunk collected. Returns 0, or
 * -1 when the results could not be read (tried again later). */
int batchapi_collect(batchapi_t *b, open_chunk_t *oc, char *err, size_t errlen);

/* Every open line of oc fails with kind and message (a batch refused for good), except
 * that when message names one request ("requests.3..."), that line alone fails and the
 * others go again in a later chunk. */
void batchapi_fail_lines(batchapi_t *b, open_chunk_t *oc, const char *kind, const char *message);

/* Leaves line l's item unfinished (its budget let go, "in flight" in the journal, so a
 * later run prepares it again), with its copies, and marks the line done. */
void batchapi_release_line(batchapi_t *b, const journal_batch_line_t *l);

/* Line l (its body) goes online instead of in another batch: appended to the fallback
 * file as a new line of the "fallback" pseudo-chunk, l done. Returns 0, or -1. */
int batchapi_fallback_add(batchapi_t *b, const journal_batch_line_t *l, const char *body,
                          size_t len);

/* Hands fallback lines to the engine's retry heap while it has room. */
void batchapi_fallback_feed(batchapi_t *b, uint64_t now);

/* Picks up fallback lines an earlier run left. */
void batchapi_fallback_resume(batchapi_t *b);

/* Whether fallback lines are waiting, queued or on the wire. */
bool batchapi_fallback_busy(const batchapi_t *b);

/* Wall-clock seconds. */
double batchapi_wall_now(void);

#endif
