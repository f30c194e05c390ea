/* redis_cache.h - the result cache shared by every process on one Redis.
 *
 * vb:cache:<key> holds the output line of an ok answer, where key is the request's
 * cache key (SHA-256 of the content hash, model, prompt, detail, max tokens and max
 * side: prepare.c), so any job, on any machine, with the same image and request is
 * answered from it instead of paying again. Entries expire after 30 days. */
#ifndef VB_REDIS_CACHE_H
#define VB_REDIS_CACHE_H

#include "prepare/prepare.h"
#include "redis/redis_conn.h"

typedef struct redis_cache redis_cache_t;

/* Opens its own connection to url (used under a lock by every preparing thread and the
 * loop). cancel ends waits for a lost server. NULL with a reason in err. */
redis_cache_t *redis_cache_new(const char *url, volatile sig_atomic_t *cancel, char *err,
                               size_t errlen);

/* Fills *c with the lookup and store functions over cache (which must outlive it). */
void redis_cache_bind(redis_cache_t *cache, shared_cache_t *c);

/* Frees the cache. NULL is a no-op. */
void redis_cache_free(redis_cache_t *cache);

#endif
