/* redis_limiter.h - request and token pacing shared by every process using one API key.
 *
 * One Redis hash per endpoint and key, vb:limit:<fingerprint>, where the fingerprint is
 * the first 16 hex digits of SHA-256(base URL, newline, key): the key itself never
 * leaves the process. A Lua script runs GCRA (provider-facts.md §5) on both limits at
 * once with the server's clock (TIME), so every process is paced by one theoretical
 * arrival time per limit. Each call also publishes the rates the caller paces to (its
 * user limit, what it learned from x-ratelimit-* headers at 98%, or less after a 429):
 * a process that knows no limit yet paces to the last one published. */
#ifndef VB_REDIS_LIMITER_H
#define VB_REDIS_LIMITER_H

#include "admit/admit.h"
#include "media/hash.h"
#include "redis/redis_conn.h"

/* The limiter's Redis key for base_url and api_key (may be NULL) into out. */
void redis_limiter_key(const char *base_url, const char *api_key, char *out, size_t outlen);

/* What admit_shared_t.ctx points to for redis_limiter_take: conn (used by one thread)
 * and the key, both outliving it. */
typedef struct redis_limiter_ctx {
    redis_conn_t *conn;
    const char *key;
} redis_limiter_ctx_t;

/* admit_shared_t.take over Redis. When Redis is away it waits for it (the connection
 * retries); cancelled meanwhile, it answers "wait 100 ms". */
uint64_t redis_limiter_take(void *ctx, double rpm, double rpm_burst, double tpm,
                            double tpm_burst, double tokens);

#endif
