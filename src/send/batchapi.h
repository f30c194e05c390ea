/* batchapi.h - sending a job through the provider's batch API (--batch-api) instead of
 * one request per item: the same prepared bodies go into chunks (one provider batch
 * each), which are uploaded, created, polled and collected, every step journaled first
 * (record/journal_batch.h). The engine runs this loop in place of its libcurl loop; the
 * preparing threads, the journal, the prices, the budget and the results are the same. */
#ifndef VB_BATCHAPI_H
#define VB_BATCHAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <visionbatch.h>

struct engine;
typedef struct batchapi batchapi_t;

/* Sets the batch sender up for engine e (set up, journal open): the provider's codec,
 * the chunk directory, the job's tag, and the chunks earlier runs left open. Runs before
 * the preparing threads start. NULL with err set when the job cannot go this way. */
batchapi_t *batchapi_new(struct engine *e, char *err, size_t errlen);

/* Runs until every item has a result (or, with batch_no_wait, until everything is
 * submitted), the run stops, or a cancel detaches it. */
void batchapi_loop(batchapi_t *b);

/* Whether the loop ended with batches still open at the provider (a --no-wait run or a
 * detach), and how many. */
long batchapi_open_batches(const batchapi_t *b);

/* Frees the sender. NULL is a no-op. */
void batchapi_free(batchapi_t *b);

/* vb_batch_cancel's work: asks the provider to cancel every open batch of the journal
 * in o, waits (bounded) for them to end, and journals their state. */
int batchapi_cancel_job(const vb_options_t *o, long *cancelled, char *err, size_t errlen);

#endif
