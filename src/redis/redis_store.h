/* redis_store.h - a job's results in Redis: stored once per item, then acknowledged;
 * read back by status and export from any machine. */
#ifndef VB_REDIS_STORE_H
#define VB_REDIS_STORE_H

#include "redis/redis_conn.h"
#include "redis/redis_queue.h"

#include <stdio.h>

/* Stores line as item id's result unless it has one already (a reclaimed item finished
 * twice keeps the first), counts it under status ("ok", "failed", "skipped") when new,
 * and acknowledges the stream entry (may be "" when unknown) in the same script.
 * Returns 1 stored, 0 it had a result already, -1 when Redis could not be reached
 * before a cancel (nothing acknowledged: another worker will finish the item). */
int redis_store_result(redis_conn_t *c, const redis_job_t *j, const char *id, const char *line,
                       const char *status, const char *entry);

/* A job's progress. */
typedef struct redis_job_status {
    long items;     /* published */
    int published;  /* every input is published */
    long results;   /* items with a result */
    long ok, failed, skipped;
    long pending;   /* handed to a worker and not acknowledged */
    long consumers; /* workers that have read from the job */
    double spent, reserved; /* the shared budget, USD */
} redis_job_status_t;

/* Reads the job's progress. Returns 0, or -1 with a reason in err. */
int redis_store_status(redis_conn_t *c, const redis_job_t *j, redis_job_status_t *st, char *err,
                       size_t errlen);

/* Writes every stored result, one line each, in the order the items were published.
 * *written counts them. Returns 0, or -1 with a reason in err. */
int redis_store_export(redis_conn_t *c, const redis_job_t *j, FILE *out, long *written,
                       char *err, size_t errlen);

#endif
