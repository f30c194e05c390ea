/* redis_conn.c - a hiredis connection that reconnects with backoff. */
#include "redis/redis_conn.h"
#include "util/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 2000
#define COMMAND_TIMEOUT_MS 5000 /* longer than any BLOCK the callers use */
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

struct redis_conn {
    redisContext *ctx;
    redis_url_t url;
    char name[300];
    volatile sig_atomic_t *cancel;
    bool lost_said; /* the loss has been reported: report the return */
    bool quiet;     /* another connection reports */
};

void redis_url_clear(redis_url_t *u)
{
    if (u->password)
        explicit_bzero(u->password, strlen(u->password));
    free(u->password);
    free(u->user);
    free(u->host);
    memset(u, 0, sizeof *u);
}

/* A number in [lo, hi] from text[0..n). Returns 0, or -1. */
static int parse_int(const char *text, size_t n, long lo, long hi, int *out)
{
    char buf[16];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int redis_url_parse(const char *url, redis_url_t *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "the Redis URL must start with redis:// (for TLS, run a local "
                              "stunnel and point redis:// at it)");
        return -1;
    }
    const char *p = url + 8;
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q; /* the last @: a password may hold one */
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *uend = colon ? colon : at;
        if (uend > p && !(u->user = strndup(p, (size_t)(uend - p))))
            goto oom;
        if (colon && !(u->password = strndup(colon + 1, (size_t)(at - colon - 1))))
            goto oom;
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *hend = colon ? colon : end;
    if (hend == p) {
        snprintf(err, errlen, "the Redis URL names no host");
        goto bad;
    }
    if (!(u->host = strndup(p, (size_t)(hend - p))))
        goto oom;
    if (colon && parse_int(colon + 1, (size_t)(end - colon - 1), 1, 65535, &u->port) != 0) {
        snprintf(err, errlen, "the Redis URL's port is not a number from 1 to 65535");
        goto bad;
    }
    if (slash && slash[1] && parse_int(slash + 1, strlen(slash + 1), 0, 1000000, &u->db) != 0) {
        snprintf(err, errlen, "the Redis URL's database is not a number");
        goto bad;
    }
    const char *env = getenv("VISIONBATCH_REDIS_PASSWORD");
    if (!u->password && env && env[0] && !(u->password = strdup(env)))
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
bad:
    redis_url_clear(u);
    return -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Runs one command on the raw context; NULL when the connection failed. */
static redisReply *raw_command(redisContext *ctx, int argc, const char **argv,
                               const size_t *lens)
{
    return redisCommandArgv(ctx, argc, argv, lens);
}

/* Connects, authenticates and selects the database. Returns 0, or -1 with a reason
 * (never the password) in err. */
static int conn_connect(redis_conn_t *c, char *err, size_t errlen)
{
    if (c->ctx) {
        redisFree(c->ctx);
        c->ctx = NULL;
    }
    struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
    c->ctx = redisConnectWithTimeout(c->url.host, c->url.port, tv);
    if (!c->ctx || c->ctx->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s: %s", c->name,
                 c->ctx ? c->ctx->errstr : "out of memory");
        return -1;
    }
    struct timeval ct = {COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000};
    redisSetTimeout(c->ctx, ct);
    redisReply *r = NULL;
    if (c->url.password) {
        const char *argv[3] = {"AUTH", c->url.user ? c->url.user : c->url.password,
                               c->url.password};
        r = raw_command(c->ctx, c->url.user ? 3 : 2, argv, NULL);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            /* the server's own text: it names no password */
            snprintf(err, errlen, "Redis at %s refused the login: %s", c->name,
                     r ? r->str : c->ctx->errstr);
            goto fail;
        }
        freeReplyObject(r);
    }
    char db[16];
    snprintf(db, sizeof db, "%d", c->url.db);
    const char *sel[2] = {"SELECT", db};
    r = raw_command(c->ctx, 2, sel, NULL);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "Redis at %s: SELECT %d: %s", c->name, c->url.db,
                 r ? r->str : c->ctx->errstr);
        goto fail;
    }
    freeReplyObject(r);
    return 0;
fail:
    freeReplyObject(r);
    redisFree(c->ctx);
    c->ctx = NULL;
    return -1;
}

redis_conn_t *redis_conn_open(const char *url, volatile sig_atomic_t *cancel, char *err,
                              size_t errlen)
{
    redis_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (redis_url_parse(url, &c->url, err, errlen) != 0) {
        free(c);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s:%d/%d", c->url.host, c->url.port, c->url.db);
    c->cancel = cancel;
    if (conn_connect(c, err, errlen) != 0) {
        redis_conn_free(c);
        return NULL;
    }
    return c;
}

/* True when a reply says the server cannot answer yet and the command should be tried
 * again (a restarted server loading its data, a lost login after a restart). */
static bool reply_transient(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR &&
           (strncmp(r->str, "LOADING", 7) == 0 || strncmp(r->str, "NOAUTH", 6) == 0 ||
            strncmp(r->str, "MASTERDOWN", 10) == 0 || strncmp(r->str, "TRYAGAIN", 8) == 0);
}

redisReply *redis_conn_command(redis_conn_t *c, int argc, const char **argv, const size_t *lens)
{
    long backoff = BACKOFF_MIN_MS;
    char why[256] = "";
    for (;;) {
        if (c->ctx && !c->ctx->err) {
            redisReply *r = raw_command(c->ctx, argc, argv, lens);
            if (r && !reply_transient(r)) {
                if (c->lost_said && !c->quiet) {
                    log_message(VB_LOG_NOTICE, "Redis at %s is back: resuming", c->name);
                    c->lost_said = false;
                }
                return r;
            }
            if (r) {
                snprintf(why, sizeof why, "%s", r->str);
                freeReplyObject(r);
            } else {
                snprintf(why, sizeof why, "%s", c->ctx->errstr);
            }
            redisFree(c->ctx);
            c->ctx = NULL;
        }
        if (!c->lost_said && !c->quiet)
            log_message(VB_LOG_NOTICE,
                        "lost Redis at %s (%s): dispatch paused, finished results "
                        "kept until it is back; reconnecting",
                        c->name, why[0] ? why : "not connected");
        c->lost_said = true;
        if (c->cancel && *c->cancel)
            return NULL;
        sleep_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        conn_connect(c, why, sizeof why);
    }
}

redisReply *redis_conn_eval(redis_conn_t *c, const char *script, int nkeys, int argc,
                            const char **argv, const size_t *lens)
{
    if (argc < 0 || argc > REDIS_EVAL_MAX_ARGS)
        return NULL;
    const char **all = malloc(((size_t)argc + 3) * sizeof *all);
    size_t *all_lens = malloc(((size_t)argc + 3) * sizeof *all_lens);
    redisReply *r = NULL;
    char n[16];
    if (all && all_lens) {
        snprintf(n, sizeof n, "%d", nkeys);
        all[0] = "EVAL";
        all[1] = script;
        all[2] = n;
        for (int i = 0; i < 3; i++)
            all_lens[i] = strlen(all[i]);
        for (int i = 0; i < argc; i++) {
            all[3 + i] = argv[i];
            all_lens[3 + i] = lens ? lens[i] : strlen(argv[i]);
        }
        r = redis_conn_command(c, argc + 3, all, all_lens);
    }
    free(all);
    free(all_lens);
    return r;
}

void redis_conn_set_quiet(redis_conn_t *c)
{
    c->quiet = true;
}

const char *redis_conn_name(const redis_conn_t *c)
{
    return c->name;
}

void redis_conn_free(redis_conn_t *c)
{
    if (!c)
        return;
    if (c->ctx)
        redisFree(c->ctx);
    redis_url_clear(&c->url);
    free(c);
}
