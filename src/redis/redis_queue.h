/* redis_queue.h - a job's items in a Redis Stream, read by workers on any machine.
 *
 * Keys of job NAME (vb:job:NAME:...):
 *   meta     hash: params (the canonical request parameters every worker must use),
 *            published (1 once every input was published)
 *   ids      set of the item ids published: a second publisher adds nothing
 *   items    stream of items (id, source, absolute path or URL, prompt, meta, a broken
 *            item's error), read through the consumer group "workers"
 *   results  hash: item id -> its JSONL line (redis_store.h)
 *   counts   hash: ok / failed / skipped
 *   budget   hash: spent / reserved (redis_budget.h)
 * Items carry paths, not image bytes: every worker must see the same files (a shared
 * file system) or the URLs. */
#ifndef VB_REDIS_QUEUE_H
#define VB_REDIS_QUEUE_H

#include "input/input.h"
#include "redis/redis_conn.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#define REDIS_JOB_KEY_MAX 200
#define REDIS_GROUP "workers"

typedef struct redis_job {
    char name[128];
    char meta[REDIS_JOB_KEY_MAX], ids[REDIS_JOB_KEY_MAX], items[REDIS_JOB_KEY_MAX];
    char results[REDIS_JOB_KEY_MAX], counts[REDIS_JOB_KEY_MAX], budget[REDIS_JOB_KEY_MAX];
} redis_job_t;

/* Sets the key names of job name (letters, digits, and . _ - only, at most 100).
 * Returns 0, or -1 with a reason in err. */
int redis_job_init(redis_job_t *j, const char *name, char *err, size_t errlen);

/* Binds the process to the job's parameters. create: store params if the job is new,
 * and create the stream and group. Either way *stored gets the job's parameters (free
 * it); a job created with other parameters than a creator's is refused, and a worker of
 * a job that does not exist is refused. Returns 0, or -1 with a reason in err. */
int redis_job_bind(redis_conn_t *c, const redis_job_t *j, const char *params, bool create,
                   char **stored, char *err, size_t errlen);

/* Publishes every item of in (ids already published are skipped), then marks the job
 * published. *added counts the new items. Returns 0, or -1 with a reason in err. */
int redis_job_publish(redis_conn_t *c, const redis_job_t *j, input_t *in, long *added,
                      char *err, size_t errlen);

/* A worker's view of the stream: an input_source_t whose items are read through the
 * consumer group, new ones first, then items another worker has held for longer than
 * the visibility timeout (XAUTOCLAIM). It ends when the job is published and every item
 * has a result. It remembers the stream entry of each item it handed out, for the
 * acknowledgement. */
typedef struct redis_source redis_source_t;

/* Opens its own connection to url (the reading thread's). NULL with a reason in err. */
redis_source_t *redis_source_new(const char *url, const redis_job_t *j, const char *consumer,
                                 long visibility_ms, char *err, size_t errlen);

/* The input_source_t functions (ctx: a redis_source_t). */
extern const input_source_t redis_source_ops;

/* Takes back the stream entry id of item id into entry (at least 32 bytes): 0, or -1
 * when this worker does not hold it. Thread-safe. */
int redis_source_release(redis_source_t *s, const char *id, char *entry, size_t entrylen);

/* Items taken from other workers after the visibility timeout. */
long redis_source_reclaimed(const redis_source_t *s);

/* Frees the source and closes its connection. NULL is a no-op. */
void redis_source_free(redis_source_t *s);

#endif
