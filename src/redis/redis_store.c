/* redis_store.c - results stored once, acknowledgements, status and export. */
#include "redis/redis_store.h"

#include "redis/redis_budget.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT_BATCH 500

/* KEYS results, items, counts; ARGV id, line, group, entry, status. */
static const char STORE_SCRIPT[] =
    "local n = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])\n"
    "if n == 1 then redis.call('HINCRBY', KEYS[3], ARGV[5], 1) end\n"
    "if ARGV[4] ~= '' then redis.call('XACK', KEYS[2], ARGV[3], ARGV[4]) end\n"
    "return n\n";

int redis_store_result(redis_conn_t *c, const redis_job_t *j, const char *id, const char *line,
                       const char *status, const char *entry)
{
    const char *argv[8] = {j->results, j->items, j->counts, id, line, REDIS_GROUP, entry, status};
    redisReply *r = redis_conn_eval(c, STORE_SCRIPT, 3, 8, argv, NULL);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        rc = r->integer == 1;
    else if (r)
        log_message(VB_LOG_NOTICE, "Redis storing the result of %s: %s", id,
                r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject(r);
    return rc;
}

/* An integer reply's value, or a number in a string reply; 0 otherwise. */
static long reply_long(const redisReply *r)
{
    if (!r)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return (long)r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return strtol(r->str, NULL, 10);
    return 0;
}

int redis_store_status(redis_conn_t *c, const redis_job_t *j, redis_job_status_t *st, char *err,
                       size_t errlen)
{
    memset(st, 0, sizeof *st);
    const char *meta[4] = {"HMGET", j->meta, "params", "published"};
    redisReply *r = redis_conn_command(c, 4, meta, NULL);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        snprintf(err, errlen, "Redis at %s holds no job %s", redis_conn_name(c), j->name);
        freeReplyObject(r);
        return -1;
    }
    st->published = r->element[1]->type == REDIS_REPLY_STRING;
    freeReplyObject(r);

    const char *card[2] = {"SCARD", j->ids};
    const char *hlen[2] = {"HLEN", j->results};
    const char *counts[5] = {"HMGET", j->counts, "ok", "failed", "skipped"};
    const char *pend[3] = {"XPENDING", j->items, REDIS_GROUP};
    const char *info[4] = {"XINFO", "CONSUMERS", j->items, REDIS_GROUP};
    r = redis_conn_command(c, 2, card, NULL);
    st->items = reply_long(r);
    freeReplyObject(r);
    r = redis_conn_command(c, 2, hlen, NULL);
    st->results = reply_long(r);
    freeReplyObject(r);
    r = redis_conn_command(c, 5, counts, NULL);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        st->ok = reply_long(r->element[0]);
        st->failed = reply_long(r->element[1]);
        st->skipped = reply_long(r->element[2]);
    }
    freeReplyObject(r);
    r = redis_conn_command(c, 3, pend, NULL);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1)
        st->pending = reply_long(r->element[0]);
    freeReplyObject(r);
    r = redis_conn_command(c, 4, info, NULL);
    if (r && r->type == REDIS_REPLY_ARRAY)
        st->consumers = (long)r->elements;
    freeReplyObject(r);
    if (redis_budget_read(c, j->budget, &st->spent, &st->reserved) != 0) {
        snprintf(err, errlen, "Redis at %s is unreachable", redis_conn_name(c));
        return -1;
    }
    return 0;
}

/* Writes the results of one batch of stream entries; the last entry id goes to last. */
static int export_batch(redis_conn_t *c, const redis_job_t *j, const redisReply *entries,
                        FILE *out, long *written)
{
    const char *argv[EXPORT_BATCH + 2];
    int n = 0;
    argv[n++] = "HMGET";
    argv[n++] = j->results;
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        const redisReply *f = e->type == REDIS_REPLY_ARRAY && e->elements == 2 ? e->element[1]
                                                                                : NULL;
        if (f && f->type == REDIS_REPLY_ARRAY && f->elements >= 2 &&
            f->element[1]->type == REDIS_REPLY_STRING)
            argv[n++] = f->element[1]->str; /* the first field is the id */
    }
    if (n == 2)
        return 0;
    redisReply *r = redis_conn_command(c, n, argv, NULL);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return -1;
    }
    for (size_t i = 0; i < r->elements; i++) {
        if (r->element[i]->type == REDIS_REPLY_STRING) {
            fputs(r->element[i]->str, out);
            fputc('\n', out);
            (*written)++;
        }
    }
    freeReplyObject(r);
    return 0;
}

int redis_store_export(redis_conn_t *c, const redis_job_t *j, FILE *out, long *written,
                       char *err, size_t errlen)
{
    char start[64] = "-";
    char count[16];
    snprintf(count, sizeof count, "%d", EXPORT_BATCH);
    *written = 0;
    for (;;) {
        const char *argv[6] = {"XRANGE", j->items, start, "+", "COUNT", count};
        redisReply *r = redis_conn_command(c, 6, argv, NULL);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            snprintf(err, errlen, "Redis XRANGE: %s",
                     r && r->type == REDIS_REPLY_ERROR ? r->str : "unreachable");
            freeReplyObject(r);
            return -1;
        }
        size_t n = r->elements;
        int rc = n ? export_batch(c, j, r, out, written) : 0;
        if (n) {
            const redisReply *last = r->element[n - 1];
            if (last->type == REDIS_REPLY_ARRAY && last->elements == 2 &&
                last->element[0]->type == REDIS_REPLY_STRING)
                snprintf(start, sizeof start, "(%s", last->element[0]->str);
        }
        freeReplyObject(r);
        if (rc != 0) {
            snprintf(err, errlen, "Redis HMGET failed");
            return -1;
        }
        if (n < EXPORT_BATCH)
            return 0;
    }
}
