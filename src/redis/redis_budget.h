/* redis_budget.h - a job's budget shared by its processes.
 *
 * vb:job:<name>:budget holds "spent" and "reserved" (USD). A Lua script reserves a
 * request's worst case only if spent + reserved + it stays within the limit, so the
 * processes together can never send what the limit does not cover; settling replaces
 * the reservation by the real cost. A process killed with requests in flight leaves
 * their reservations held: the budget then errs on the side of spending less. */
#ifndef VB_REDIS_BUDGET_H
#define VB_REDIS_BUDGET_H

#include "cost/budget.h"
#include "redis/redis_conn.h"

/* What budget_shared_t.ctx points to: conn (one thread) and the hash's key. */
typedef struct redis_budget_ctx {
    redis_conn_t *conn;
    const char *key;
} redis_budget_ctx_t;

/* budget_shared_t.reserve over Redis: 0 when amount was held, -1 when it does not fit
 * (or the run was cancelled while Redis was away). */
int redis_budget_reserve(void *ctx, double limit, double amount);

/* budget_shared_t.settle over Redis. */
void redis_budget_settle(void *ctx, double reserved, double actual);

/* Reads the job's spent and reserved totals. Returns 0, or -1. */
int redis_budget_read(redis_conn_t *conn, const char *key, double *spent, double *reserved);

#endif
