/* dedupe.h - sending the same request once per run.
 *
 * Items whose image bytes and request parameters are the same share one result key
 * (the result-cache key). The first such item is sent; copies that arrive while it is
 * in flight wait here (their bodies freed), copies that arrive after it has finished
 * are answered from the journal's result cache. What is kept per key is its first
 * item's id and, while it is in flight, the waiting copies (counted by the engine
 * against its in-flight gate, so they stay bounded). The table itself holds one entry
 * per distinct image of the run (about 150 bytes each). */
#ifndef VB_DEDUPE_H
#define VB_DEDUPE_H

#include "prepare/request.h"

#include <stdbool.h>

typedef struct dedupe dedupe_t;

typedef enum {
    DEDUPE_NEW = 0,   /* first of its key: send it (the key is now in flight) */
    DEDUPE_WAITING,   /* a copy of an item in flight: taken, handed back by dedupe_finish */
    DEDUPE_DONE,      /* a copy of an item finished earlier: *first_id names it */
} dedupe_verdict_t;

/* Creates an empty table. NULL when out of memory. */
dedupe_t *dedupe_new(void);

/* Classifies r by its cache_key. On DEDUPE_WAITING the table takes r (and frees its
 * body); on DEDUPE_DONE *first_id points at the first item's id (owned by the table).
 * Requests without a key are always DEDUPE_NEW. */
dedupe_verdict_t dedupe_check(dedupe_t *d, request_t *r, const char **first_id);

/* The first item of key finished: ok says whether it succeeded. Returns the copies that
 * waited for it, as a list linked through request_t.next_copy (the caller owns them and
 * records each with the first's result, success or failure). After a success the key
 * is done; after a failure it is forgotten, so later copies are sent on their own. */
request_t *dedupe_finish(dedupe_t *d, const char *key, bool ok, const char **first_id);

/* Frees the table and any copies still waiting. NULL is a no-op. */
void dedupe_free(dedupe_t *d);

#endif
