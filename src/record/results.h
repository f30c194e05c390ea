/* results.h - handing finished items to the caller: the output line, the journal, the
 * shared result cache, the run's counters, then the result callback, exactly once per
 * item.
 *
 * Copies of an item (dedupe.h) that waited for it get its result too, as lines naming
 * the first ("duplicate_of"). Everything here runs on the event loop's thread, the single
 * writer of the journal and the only caller of the callback. */
#ifndef VB_RESULTS_H
#define VB_RESULTS_H

#include "admit/dedupe.h"
#include "input/idset.h"
#include "prepare/prepare.h"
#include "prepare/request.h"
#include "record/journal.h"

#include <stdbool.h>
#include <visionbatch.h>

/* Where results go. The pointers are borrowed: the engine owns what they point to. */
typedef struct results {
    vb_summary_t *sum; /* counted into */
    vb_result_fn fn;   /* the caller's callback, or NULL */
    void *userdata;
    journal_t *journal;          /* NULL without --journal */
    const shared_cache_t *cache; /* ok answers are stored there too; NULL: none */
    dedupe_t *dedupe;            /* copies waiting for a first item; NULL with --no-dedupe */
    long waiting;      /* copies dedupe holds for their first: the engine adds, results take away */
    bool batch_output; /* lines are OpenAI batch output lines (--output-format openai-batch) */
    const idset_t *held; /* ids the replay held back (resume.h), or NULL */
    idset_t *released;   /* ... of which a line was written since (results_release) */
} results_t;

/* Hands one finished item r to the caller and counts it: fills res's item fields (id,
 * image, hash, meta, attempts, the cost r carries from earlier answers), formats the line
 * unless res has one, journals it, stores an ok answer in the shared cache, calls the
 * callback, then answers the copies that waited for r. res's strings need only outlive
 * the call. */
void results_record(results_t *out, const request_t *r, vb_result_t *res);

/* Records a copy with the answer of the item first_id (its output line first_line): the
 * copy's own id, image and meta, no attempts, no cost, "duplicate_of". */
void results_record_duplicate(results_t *out, const request_t *copy, const char *first_id,
                              const char *first_line, vb_status_t status);

/* Records an item that failed before anything was sent (r->error_kind and message). */
void results_record_unsent(results_t *out, const request_t *r);

/* Records an item left unsent because the budget of budget_usd is used up. */
void results_record_skipped(results_t *out, const request_t *r, double budget_usd);

/* Records an item answered from the result cache (r->cached_line). */
void results_record_cached(results_t *out, const request_t *r);

/* Hands one result of an earlier run (its output line and final state) to the caller,
 * counted as replayed. */
void results_replay(results_t *out, const char *line, journal_state_t state);

/* A changed item's new result replaces its earlier answer: counted as changed, and what
 * that answer cost stays in the job's spend (journal_spent_unfinished_add: paid for, no
 * longer used). Its earlier line was mostly held back from the replay (resume.c); when
 * it was not (a journal without the file's stamp, a manifest's path resolved elsewhere)
 * the output holds it before this one, the last line of an id wins, and the counters
 * drop it so the run counts the item once. results_record calls it for r->changed; a
 * batch line's sender calls it when the line is queued (its result comes back without
 * r's bookkeeping). */
void results_count_changed(results_t *out, const request_t *r);

/* At the end of a run: replays the journal's line of each id the replay held back
 * (out->held) that got no line since, because the run stopped before its item was
 * prepared or sent (a changed item sent again got its new line). So a stop never drops
 * an earlier answer from the results. */
void results_replay_rest(results_t *out);

/* Records an item of a resumed job whose file was touched without a change: the file's
 * new stamp is journaled (the next run passes over it without reading it), and its
 * earlier line replayed if the replay held it back (r->replay_held). */
void results_record_unchanged(results_t *out, const request_t *r);

#endif
