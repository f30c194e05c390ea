/* redis_queue.c - publishing a job's items, and reading them as a worker. */
#include "redis/redis_queue.h"
#include "util/log.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_BLOCK_MS "200"

int redis_job_init(redis_job_t *j, const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n > 100) {
        snprintf(err, errlen, "a job name is 1 to 100 characters");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-') {
            snprintf(err, errlen, "a job name holds letters, digits, '.', '_' and '-' only");
            return -1;
        }
    }
    snprintf(j->name, sizeof j->name, "%s", name);
    snprintf(j->meta, sizeof j->meta, "vb:job:%s:meta", name);
    snprintf(j->ids, sizeof j->ids, "vb:job:%s:ids", name);
    snprintf(j->items, sizeof j->items, "vb:job:%s:items", name);
    snprintf(j->results, sizeof j->results, "vb:job:%s:results", name);
    snprintf(j->counts, sizeof j->counts, "vb:job:%s:counts", name);
    snprintf(j->budget, sizeof j->budget, "vb:job:%s:budget", name);
    return 0;
}

/* Runs a command and checks the reply is not an error; the reply or NULL (err set). */
static redisReply *command(redis_conn_t *c, int argc, const char **argv, char *err,
                           size_t errlen)
{
    redisReply *r = redis_conn_command(c, argc, argv, NULL);
    if (!r) {
        snprintf(err, errlen, "Redis at %s is unreachable", redis_conn_name(c));
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "Redis %s: %s", argv[0], r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int redis_job_bind(redis_conn_t *c, const redis_job_t *j, const char *params, bool create,
                   char **stored, char *err, size_t errlen)
{
    redisReply *r;
    *stored = NULL;
    if (create) {
        const char *set[4] = {"HSETNX", j->meta, "params", params};
        if (!(r = command(c, 4, set, err, errlen)))
            return -1;
        freeReplyObject(r);
        const char *grp[6] = {"XGROUP", "CREATE", j->items, REDIS_GROUP, "0", "MKSTREAM"};
        r = redis_conn_command(c, 6, grp, NULL);
        bool ok = r && (r->type != REDIS_REPLY_ERROR || strncmp(r->str, "BUSYGROUP", 9) == 0);
        if (!ok)
            snprintf(err, errlen, "Redis XGROUP CREATE: %s", r ? r->str : "unreachable");
        freeReplyObject(r);
        if (!ok)
            return -1;
    }
    const char *get[3] = {"HGET", j->meta, "params"};
    if (!(r = command(c, 3, get, err, errlen)))
        return -1;
    if (r->type != REDIS_REPLY_STRING) {
        snprintf(err, errlen, "Redis at %s holds no job %s: start it with visionbatch run "
                              "--redis URL --job %s INPUT...",
                 redis_conn_name(c), j->name, j->name);
        freeReplyObject(r);
        return -1;
    }
    if (create && strcmp(r->str, params) != 0) {
        snprintf(err, errlen, "job %s exists with other parameters (%.300s): use the same "
                              "ones, or another --job name",
                 j->name, r->str);
        freeReplyObject(r);
        return -1;
    }
    *stored = strdup(r->str);
    freeReplyObject(r);
    if (!*stored) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* KEYS ids, items; ARGV one JSON object per item (id and the fields it has). An item id
 * already in the set is passed over. Returns how many were added. */
static const char PUBLISH_SCRIPT[] =
    "local n = 0\n"
    "local names = {'source', 'path', 'prompt', 'meta', 'error_kind', 'error_message', 'url'}\n"
    "for i = 1, #ARGV do\n"
    "  local it = cjson.decode(ARGV[i])\n"
    "  if redis.call('SADD', KEYS[1], it.id) == 1 then\n"
    "    local f = {'id', it.id}\n"
    "    for _, k in ipairs(names) do\n"
    "      if type(it[k]) == 'string' then f[#f + 1] = k; f[#f + 1] = it[k] end\n"
    "    end\n"
    "    redis.call('XADD', KEYS[2], '*', unpack(f))\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

#define PUBLISH_BATCH 100

/* path made absolute against the working directory (other workers run elsewhere);
 * NULL when out of memory. */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

/* An item as the JSON object the script takes, or NULL (out of memory, or text that is
 * not UTF-8: such an item cannot be published and is reported). */
static char *item_json(const input_item_t *it)
{
    json_t *o = json_object();
    char *path = it->path ? absolute(it->path) : NULL;
    const char *names[] = {"source", "path", "prompt", "meta", "error_kind", "error_message"};
    const char *values[] = {it->source, path, it->prompt, it->meta_json, it->error_kind,
                            it->error_message};
    const char *id = it->id ? it->id : it->source ? it->source : "";
    int bad = !o || json_object_set_new(o, "id", json_string(id)) != 0;
    for (size_t i = 0; !bad && i < sizeof names / sizeof names[0]; i++)
        if (values[i])
            bad = json_object_set_new(o, names[i], json_string(values[i])) != 0;
    if (!bad && it->is_url)
        bad = json_object_set_new(o, "url", json_string("1")) != 0;
    char *text = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    free(path);
    return text;
}

/* s with every byte outside printable ASCII as '?' (malloc'd), or NULL. */
static char *ascii_only(const char *s)
{
    char *out = s ? strdup(s) : NULL;
    for (char *p = out; p && *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    return out;
}

/* An item whose text cannot travel as JSON (a file name that is not UTF-8): published as
 * a broken item under a readable id, so it gets its error result like any other. */
static char *broken_item_json(const input_item_t *it)
{
    input_item_t b = {0};
    b.id = ascii_only(it->id ? it->id : it->source);
    b.source = ascii_only(it->source);
    b.error_kind = strdup("unreadable");
    b.error_message = strdup("the file name is not UTF-8 text: rename it to send it");
    char *text = b.id && b.source && b.error_kind && b.error_message ? item_json(&b) : NULL;
    input_item_clear(&b);
    return text;
}

/* Sends a batch of item objects. Returns how many were new, or -1 with err set. */
static long publish_batch(redis_conn_t *c, const redis_job_t *j, char **items, int n, char *err,
                          size_t errlen)
{
    const char *argv[PUBLISH_BATCH + 2];
    argv[0] = j->ids;
    argv[1] = j->items;
    for (int i = 0; i < n; i++)
        argv[2 + i] = items[i];
    redisReply *r = redis_conn_eval(c, PUBLISH_SCRIPT, 2, n + 2, argv, NULL);
    long added = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        added = (long)r->integer;
    else
        snprintf(err, errlen, "publishing items: %s",
                 r && r->type == REDIS_REPLY_ERROR ? r->str : "Redis unreachable");
    freeReplyObject(r);
    return added;
}

int redis_job_publish(redis_conn_t *c, const redis_job_t *j, input_t *in, long *added,
                      char *err, size_t errlen)
{
    char *batch[PUBLISH_BATCH];
    int n = 0, rc = 0;
    input_item_t it;
    *added = 0;
    for (;;) {
        int got = input_next(in, &it);
        if (got) {
            char *text = item_json(&it);
            if (!text)
                text = broken_item_json(&it);
            input_item_clear(&it);
            if (text)
                batch[n++] = text;
        }
        if (n > 0 && (n == PUBLISH_BATCH || !got)) {
            long k = publish_batch(c, j, batch, n, err, errlen);
            for (int i = 0; i < n; i++)
                free(batch[i]);
            n = 0;
            if (k < 0) {
                rc = -1;
                break;
            }
            *added += k;
        }
        if (!got)
            break;
    }
    if (rc != 0)
        return -1;
    const char *mark[4] = {"HSET", j->meta, "published", "1"};
    redisReply *r = command(c, 4, mark, err, errlen);
    freeReplyObject(r);
    return r ? 0 : -1;
}

/* An item handed out and the stream entry it came from. */
typedef struct held {
    char *id;
    char entry[48];
} held_t;

struct redis_source {
    redis_conn_t *conn;
    redis_job_t job;
    char consumer[160];
    char visibility[32];
    char cursor[48]; /* where XAUTOCLAIM goes on */
    volatile sig_atomic_t stop;
    pthread_mutex_t lock; /* guards held: the loop thread releases, a reader adds */
    held_t *held;
    size_t nheld, capheld;
    long reclaimed;
    /* the heartbeat: keeps the items this worker holds from looking abandoned */
    redis_conn_t *hb_conn;
    pthread_t hb_thread;
    bool hb_started;
    pthread_cond_t hb_cond;
    volatile sig_atomic_t hb_stop;
    long hb_interval_ms;
};

static void *heartbeat(void *arg);

redis_source_t *redis_source_new(const char *url, const redis_job_t *j, const char *consumer,
                                 long visibility_ms, char *err, size_t errlen)
{
    redis_source_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->hb_cond, NULL);
    s->hb_interval_ms = visibility_ms / 3 > 0 ? visibility_ms / 3 : 1;
    s->job = *j;
    snprintf(s->consumer, sizeof s->consumer, "%s", consumer);
    snprintf(s->visibility, sizeof s->visibility, "%ld", visibility_ms);
    snprintf(s->cursor, sizeof s->cursor, "0-0");
    if (!(s->conn = redis_conn_open(url, &s->stop, err, errlen)) ||
        !(s->hb_conn = redis_conn_open(url, &s->hb_stop, err, errlen))) {
        redis_source_free(s);
        return NULL;
    }
    redis_conn_set_quiet(s->conn); /* the loop's connection reports */
    redis_conn_set_quiet(s->hb_conn);
    if (pthread_create(&s->hb_thread, NULL, heartbeat, s) != 0) {
        snprintf(err, errlen, "cannot start the heartbeat thread");
        redis_source_free(s);
        return NULL;
    }
    s->hb_started = true;
    return s;
}

void redis_source_free(redis_source_t *s)
{
    if (!s)
        return;
    if (s->hb_started) {
        pthread_mutex_lock(&s->lock);
        s->hb_stop = 1;
        pthread_cond_signal(&s->hb_cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->hb_thread, NULL);
    }
    redis_conn_free(s->hb_conn);
    pthread_cond_destroy(&s->hb_cond);
    for (size_t i = 0; i < s->nheld; i++)
        free(s->held[i].id);
    free(s->held);
    redis_conn_free(s->conn);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

#define CLAIM_BATCH 200

/* Resets the idle time of up to CLAIM_BATCH held entries (XCLAIM ... 0 ... JUSTID), so
 * that an item this live worker holds a long time (queued, waiting for a retry, or slow
 * to answer) is not taken by another after the visibility timeout. */
static void touch(redis_source_t *s, char (*entries)[48], size_t n)
{
    const char *argv[CLAIM_BATCH + 6];
    int k = 0;
    argv[k++] = "XCLAIM";
    argv[k++] = s->job.items;
    argv[k++] = REDIS_GROUP;
    argv[k++] = s->consumer;
    argv[k++] = "0";
    for (size_t i = 0; i < n; i++)
        argv[k++] = entries[i];
    argv[k++] = "JUSTID";
    freeReplyObject(redis_conn_command(s->hb_conn, k, argv, NULL));
}

/* The heartbeat thread: every third of the visibility timeout, touches what is held. */
static void *heartbeat(void *arg)
{
    redis_source_t *s = arg;
    char(*entries)[48] = malloc(CLAIM_BATCH * sizeof *entries);
    pthread_mutex_lock(&s->lock);
    while (!s->hb_stop && entries) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (s->hb_interval_ms % 1000) * 1000000L;
        until.tv_sec += s->hb_interval_ms / 1000 + ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        while (!s->hb_stop && pthread_cond_timedwait(&s->hb_cond, &s->lock, &until) == 0)
            ;
        for (size_t from = 0; !s->hb_stop && from < s->nheld; from += CLAIM_BATCH) {
            size_t n = 0;
            for (size_t i = from; i < s->nheld && n < CLAIM_BATCH; i++)
                memcpy(entries[n++], s->held[i].entry, sizeof entries[0]);
            pthread_mutex_unlock(&s->lock);
            touch(s, entries, n);
            pthread_mutex_lock(&s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
    free(entries);
    return NULL;
}

/* Index of id among the held items, or -1. Called with the lock held. */
static long held_find(const redis_source_t *s, const char *id)
{
    for (size_t i = 0; i < s->nheld; i++)
        if (strcmp(s->held[i].id, id) == 0)
            return (long)i;
    return -1;
}

/* Remembers that id came from entry. Returns 0, 1 when it is held already, -1 OOM. */
static int held_add(redis_source_t *s, const char *id, const char *entry)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (held_find(s, id) >= 0) {
        rc = 1;
    } else if (s->nheld == s->capheld) {
        size_t cap = s->capheld ? s->capheld * 2 : 64;
        held_t *p = realloc(s->held, cap * sizeof *p);
        if (p) {
            s->held = p;
            s->capheld = cap;
        } else {
            rc = -1;
        }
    }
    if (rc == 0) {
        if ((s->held[s->nheld].id = strdup(id))) {
            snprintf(s->held[s->nheld].entry, sizeof s->held[s->nheld].entry, "%s", entry);
            s->nheld++;
        } else {
            rc = -1;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int redis_source_release(redis_source_t *s, const char *id, char *entry, size_t entrylen)
{
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    long i = held_find(s, id);
    if (i >= 0) {
        snprintf(entry, entrylen, "%s", s->held[i].entry);
        free(s->held[i].id);
        s->held[i] = s->held[--s->nheld];
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

long redis_source_reclaimed(const redis_source_t *s)
{
    return s->reclaimed;
}

/* The value of field name in an entry's field list, or NULL. */
static const char *field(const redisReply *fields, const char *name)
{
    if (!fields || fields->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, name) == 0 &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING)
            return fields->element[i + 1]->str;
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Whether item id already has a result (a worker stored it and died before the ack). */
static bool has_result(redis_source_t *s, const char *id)
{
    const char *argv[3] = {"HEXISTS", s->job.results, id};
    redisReply *r = redis_conn_command(s->conn, 3, argv, NULL);
    bool yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return yes;
}

static void ack(redis_source_t *s, const char *entry)
{
    const char *argv[4] = {"XACK", s->job.items, REDIS_GROUP, entry};
    freeReplyObject(redis_conn_command(s->conn, 4, argv, NULL));
}

/* Turns a stream entry ([id, [fields]]) into an item. Returns 1 for an item to work on,
 * 0 when the entry is to be passed over (finished already, or held by this worker). */
static int take_entry(redis_source_t *s, const redisReply *e, input_item_t *item)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    const char *entry = e->element[0]->str;
    const redisReply *f = e->element[1];
    const char *id = field(f, "id");
    if (!id) { /* not an item of ours: drop it */
        ack(s, entry);
        return 0;
    }
    if (has_result(s, id)) {
        ack(s, entry);
        return 0;
    }
    int held = held_add(s, id, entry);
    if (held != 0)
        return 0; /* this worker is on it already (or out of memory) */
    memset(item, 0, sizeof *item);
    item->id = strdup(id);
    item->source = dup_or_null(field(f, "source"));
    item->path = dup_or_null(field(f, "path"));
    item->prompt = dup_or_null(field(f, "prompt"));
    item->meta_json = dup_or_null(field(f, "meta"));
    item->is_url = field(f, "url") != NULL;
    item->error_kind = dup_or_null(field(f, "error_kind"));
    item->error_message = dup_or_null(field(f, "error_message"));
    if (!item->source)
        item->source = strdup(id);
    return 1;
}

/* Reads one new entry for this consumer. 1 item, 0 none. */
static int read_new(redis_source_t *s, input_item_t *item)
{
    const char *argv[] = {"XREADGROUP", "GROUP", REDIS_GROUP,    s->consumer, "COUNT", "1",
                          "BLOCK",      READ_BLOCK_MS, "STREAMS", s->job.items, ">"};
    redisReply *r = redis_conn_command(s->conn, 11, argv, NULL);
    int got = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply *stream = r->element[0];
        if (stream->type == REDIS_REPLY_ARRAY && stream->elements == 2 &&
            stream->element[1]->type == REDIS_REPLY_ARRAY &&
            stream->element[1]->elements == 1)
            got = take_entry(s, stream->element[1]->element[0], item);
    } else if (r && r->type == REDIS_REPLY_ERROR) {
        log_message(VB_LOG_NOTICE, "Redis XREADGROUP: %s", r->str);
        sleep(1);
    }
    freeReplyObject(r);
    return got;
}

/* Claims one entry idle longer than the visibility timeout. 1 item, 0 none. */
static int read_claim(redis_source_t *s, input_item_t *item)
{
    const char *argv[] = {"XAUTOCLAIM", s->job.items, REDIS_GROUP, s->consumer,
                          s->visibility, s->cursor, "COUNT", "1"};
    redisReply *r = redis_conn_command(s->conn, 8, argv, NULL);
    int got = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
        snprintf(s->cursor, sizeof s->cursor, "%s", r->element[0]->str);
        const redisReply *entries = r->element[1];
        if (entries->type == REDIS_REPLY_ARRAY && entries->elements >= 1) {
            got = take_entry(s, entries->element[0], item);
            if (got)
                s->reclaimed++;
        }
    }
    freeReplyObject(r);
    return got;
}

/* Whether the job is over: published, and a result for every item. */
static bool job_done(redis_source_t *s)
{
    const char *pub[3] = {"HGET", s->job.meta, "published"};
    const char *card[2] = {"SCARD", s->job.ids};
    const char *len[2] = {"HLEN", s->job.results};
    redisReply *p = redis_conn_command(s->conn, 3, pub, NULL);
    bool published = p && p->type == REDIS_REPLY_STRING;
    freeReplyObject(p);
    if (!published)
        return false;
    redisReply *a = redis_conn_command(s->conn, 2, card, NULL);
    redisReply *b = redis_conn_command(s->conn, 2, len, NULL);
    bool done = a && b && a->type == REDIS_REPLY_INTEGER && b->type == REDIS_REPLY_INTEGER &&
                b->integer >= a->integer;
    freeReplyObject(a);
    freeReplyObject(b);
    return done;
}

static int source_next(void *ctx, input_item_t *item)
{
    redis_source_t *s = ctx;
    memset(item, 0, sizeof *item);
    while (!s->stop) {
        if (read_new(s, item) || read_claim(s, item))
            return 1;
        if (s->stop || job_done(s))
            break;
    }
    return 0;
}

static void source_stop(void *ctx)
{
    redis_source_t *s = ctx;
    s->stop = 1;
}

const input_source_t redis_source_ops = {source_next, source_stop};
