/* redis_budget.c - reserve and settle in Lua, atomically. */
#include "redis/redis_budget.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>

/* KEYS[1] the budget hash; ARGV limit, amount. 1 held, 0 does not fit. Floats are kept
 * as strings (HINCRBYFLOAT): a Lua number returned to Redis would be truncated. */
static const char RESERVE_SCRIPT[] =
    "local s = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')\n"
    "local r = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')\n"
    "if s + r + tonumber(ARGV[2]) > tonumber(ARGV[1]) then return 0 end\n"
    "redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', ARGV[2])\n"
    "return 1\n";

/* KEYS[1] the budget hash; ARGV reserved, actual. */
static const char SETTLE_SCRIPT[] =
    "local r = redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', '-' .. ARGV[1])\n"
    "if tonumber(r) < 0 then redis.call('HSET', KEYS[1], 'reserved', '0') end\n"
    "redis.call('HINCRBYFLOAT', KEYS[1], 'spent', ARGV[2])\n"
    "return 1\n";

/* Runs script on the budget hash with two amounts as its ARGV; a Redis error is printed.
 * Returns the reply (the caller frees it), or NULL when Redis could not be reached. */
static redisReply *eval_amounts(redis_budget_ctx_t *b, const char *script, double x, double y)
{
    char xs[40], ys[40];
    snprintf(xs, sizeof xs, "%.12f", x);
    snprintf(ys, sizeof ys, "%.12f", y);
    const char *argv[3] = {b->key, xs, ys};
    redisReply *r = redis_conn_eval(b->conn, script, 1, 3, argv, NULL);
    if (r && r->type == REDIS_REPLY_ERROR)
        log_message(VB_LOG_NOTICE, "Redis budget: %s", r->str);
    return r;
}

int redis_budget_reserve(void *ctx, double limit, double amount)
{
    redisReply *r = eval_amounts(ctx, RESERVE_SCRIPT, limit, amount);
    int held = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return held ? 0 : -1;
}

void redis_budget_settle(void *ctx, double reserved, double actual)
{
    freeReplyObject(eval_amounts(ctx, SETTLE_SCRIPT, reserved, actual));
}

int redis_budget_read(redis_conn_t *conn, const char *key, double *spent, double *reserved)
{
    const char *argv[4] = {"HMGET", key, "spent", "reserved"};
    redisReply *r = redis_conn_command(conn, 4, argv, NULL);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        *spent = r->element[0]->type == REDIS_REPLY_STRING ? strtod(r->element[0]->str, NULL) : 0;
        *reserved =
            r->element[1]->type == REDIS_REPLY_STRING ? strtod(r->element[1]->str, NULL) : 0;
        rc = 0;
    }
    freeReplyObject(r);
    return rc;
}
