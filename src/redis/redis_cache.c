/* redis_cache.c - GET and SET of answers. The preparing threads' GETs share one connection
 * under a lock; the event loop's SETs have a connection of their own, so storing an answer
 * never waits behind the lookups. */
#include "redis/redis_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_TTL_S "2592000"

struct redis_cache {
    redis_conn_t *conn;  /* lookups, under lock */
    redis_conn_t *store; /* stores: the event-loop thread only */
    pthread_mutex_t lock;
};

redis_cache_t *redis_cache_new(const char *url, volatile sig_atomic_t *cancel, char *err,
                               size_t errlen)
{
    redis_cache_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    if (!(c->conn = redis_conn_open(url, cancel, err, errlen)) ||
        !(c->store = redis_conn_open(url, cancel, err, errlen))) {
        redis_cache_free(c);
        return NULL;
    }
    redis_conn_set_quiet(c->conn);
    redis_conn_set_quiet(c->store);
    return c;
}

void redis_cache_free(redis_cache_t *c)
{
    if (!c)
        return;
    redis_conn_free(c->conn);
    redis_conn_free(c->store);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* shared_cache_t.lookup: the line stored under key (malloc'd), or NULL. */
static char *cache_lookup(void *ctx, const char *key)
{
    redis_cache_t *c = ctx;
    char name[128];
    snprintf(name, sizeof name, "vb:cache:%s", key);
    const char *argv[2] = {"GET", name};
    pthread_mutex_lock(&c->lock);
    redisReply *r = redis_conn_command(c->conn, 2, argv, NULL);
    pthread_mutex_unlock(&c->lock);
    char *line = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    return line;
}

/* shared_cache_t.store: keeps line under key. */
static void cache_store(void *ctx, const char *key, const char *line)
{
    redis_cache_t *c = ctx;
    char name[128];
    snprintf(name, sizeof name, "vb:cache:%s", key);
    const char *argv[5] = {"SET", name, line, "EX", CACHE_TTL_S};
    freeReplyObject(redis_conn_command(c->store, 5, argv, NULL));
}

void redis_cache_bind(redis_cache_t *cache, shared_cache_t *c)
{
    c->lookup = cache_lookup;
    c->store = cache_store;
    c->ctx = cache;
}
