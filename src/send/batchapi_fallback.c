/* batchapi_fallback.c - --fallback-online: the lines of a batch that expired, or that was
 * cancelled after waiting --fallback-after seconds, are sent online, at the usual pacing,
 * by the engine's own dispatch (the retry heap is their queue: in batch mode dispatch
 * takes no other new work).
 *
 * Collecting such a batch appends its lines that did not run to "fallback.lines" in the
 * chunk directory; the loop feeds them from there to the retry heap as it has room, so
 * memory stays bounded by --concurrency whatever the number of lines. A line fed is
 * marked done in the journal and its item goes "in flight" as any online request. */
#include "send/batchapi_internal.h"

#include "send/batchapi_chunk.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fallback_path(const batchapi_t *b, char *out, size_t n)
{
    if ((size_t)snprintf(out, n, "%s/fallback.lines", b->dir) >= n)
        out[0] = '\0'; /* cannot be: dir leaves room (chunk_dir) */
}

int batchapi_fallback_add(batchapi_t *b, const journal_batch_line_t *l, const char *body,
                          size_t len)
{
    char path[PATH_MAX];
    fallback_path(b, path, sizeof path);
    /* the line moves to the "fallback" pseudo-chunk: its own chunk is collected (and its
     * open lines let go) while this one waits to be fed */
    journal_batch_line_t nl = *l;
    nl.done = 0;
    snprintf(nl.custom_id, sizeof nl.custom_id, "fb-%.40s", l->custom_id); /* ours: short */
    snprintf(nl.chunk, sizeof nl.chunk, "fallback");
    FILE *f = fopen(path, "ab");
    if (!f)
        return -1;
    int rc = chunk_append(f, nl.custom_id, body, len);
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0 || journal_batch_line_add(b->e->journal, &nl) != 0)
        return -1;
    journal_batch_copies_move(b->e->journal, l->custom_id, nl.custom_id);
    journal_batch_line_done(b->e->journal, l->custom_id);
    b->fallback_pending++;
    return 0;
}

/* A request for the online engine from journal line l and its body. NULL when out of
 * memory. */
static request_t *fallback_request(const journal_batch_line_t *l, const char *body, size_t len)
{
    request_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->item.id = strdup(l->item_id);
    r->item.source = strdup(l->source);
    r->item.meta_json = l->meta_json ? strdup(l->meta_json) : NULL;
    r->model = l->model ? strdup(l->model) : NULL;
    r->body = malloc(len + 1);
    if (!r->item.id || !r->item.source || (l->meta_json && !r->item.meta_json) ||
        (l->model && !r->model) || !r->body) {
        request_free(r);
        return NULL;
    }
    memcpy(r->body, body, len);
    r->body[len] = '\0';
    r->body_len = len;
    snprintf(r->content_hash, sizeof r->content_hash, "%s", l->hash ? l->hash : "");
    snprintf(r->cache_key, sizeof r->cache_key, "%s", l->cache_key ? l->cache_key : "");
    r->token_estimate = l->est_tokens;
    r->input_tokens_worst = l->est_tokens;
    r->attempts = l->attempt;
    r->json_retries = l->json_retries;
    r->earlier_cost_usd = l->earlier_cost_usd;
    r->online_fallback = 1;
    r->resend = 1; /* not a retry: its batch did not fail it */
    return r;
}

/* A copy waiting for a line that goes online is let go: a later run answers it from the
 * result cache, without sending it. */
static int release_copy(const journal_batch_line_t *l, void *arg)
{
    batchapi_t *b = arg;
    journal_item_sent(b->e->journal, l->item_id, l->source, l->hash, 0);
    journal_batch_line_done(b->e->journal, l->custom_id);
    b->fallback_copies++;
    return 0;
}

/* The budget's hold for a line moves from the batch price to the online one. Returns
 * false when the online worst case does not fit (the item is then skipped). */
static bool hold_online(engine_t *e, const journal_batch_line_t *l, request_t *r)
{
    budget_settle(&e->cost.budget, l->reserved_usd, 0);
    if (!(e->cost.budget.limit > 0))
        return true;
    double worst = job_cost_worst_online(&e->cost, l->model, l->est_tokens, e->o->max_tokens);
    if (worst < 0 || budget_reserve(&e->cost.budget, worst) != 0)
        return false;
    r->reserved_usd = worst;
    return true;
}

typedef struct feed {
    batchapi_t *b;
    uint64_t now;
} feed_t;

/* Feeds one fallback line: returns 1 to stop reading (the heap is full). */
static int feed_line(const char *custom_id, const char *body, size_t len, void *arg)
{
    feed_t *f = arg;
    batchapi_t *b = f->b;
    engine_t *e = b->e;
    journal_batch_line_t l;
    if (journal_batch_line_get(e->journal, custom_id, &l) != 1)
        return 0;
    if (l.done) {
        journal_batch_line_clear(&l);
        return 0;
    }
    request_t *r = fallback_request(&l, body, len);
    if (r && !hold_online(e, &l, r)) {
        results_record_skipped(&e->out, r, e->cost.budget.limit);
        request_free(r);
        r = NULL;
    } else if (r && retryq_push(e->retries, r, f->now) != 0) {
        request_free(r);
        r = NULL;
    } else if (r) {
        e->out.sum->batch_fallback_online++;
    }
    /* in one transaction: the line is done and its item unfinished ("in flight"), so a
     * stop before its answer leaves it to a later run, as online */
    journal_item_sent(e->journal, l.item_id, l.source, l.hash, l.attempt);
    journal_batch_copies(e->journal, custom_id, release_copy, b);
    journal_batch_line_done(e->journal, custom_id);
    journal_batch_line_clear(&l);
    b->fallback_fed++;
    return retryq_count(e->retries) + (size_t)e->pool.in_flight >= retryq_capacity(e->retries);
}

void batchapi_fallback_feed(batchapi_t *b, uint64_t now)
{
    engine_t *e = b->e;
    if (b->fallback_fed >= b->fallback_pending || e->stopping)
        return;
    if (retryq_count(e->retries) + (size_t)e->pool.in_flight >= retryq_capacity(e->retries))
        return;
    char path[PATH_MAX];
    fallback_path(b, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, b->fallback_offset, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        b->fallback_fed = b->fallback_pending; /* gone: the next run sends them */
        return;
    }
    feed_t fd = {.b = b, .now = now};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int full = 0;
    while (!full && (len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n') {
        b->fallback_offset += len;
        line[--len] = '\0';
        char *sp = memchr(line, ' ', (size_t)len);
        if (!sp)
            continue;
        *sp = '\0';
        full = feed_line(line, sp + 1, (size_t)(len - (sp + 1 - line)), &fd);
    }
    free(line);
    fclose(f);
    if (!full && journal_tick(e->journal, 1) == 0) { /* read to the end, and journaled */
        b->fallback_fed = b->fallback_pending = 0;
        b->fallback_offset = 0;
        unlink(path);
    }
}

void batchapi_fallback_resume(batchapi_t *b)
{
    char path[PATH_MAX];
    fallback_path(b, path, sizeof path);
    long n = chunk_foreach_line(path, NULL, NULL);
    if (n > 0) {
        b->fallback_pending = n;
        log_message(VB_LOG_NOTICE, "%ld lines of expired batches are sent online", n);
    }
}

bool batchapi_fallback_busy(const batchapi_t *b)
{
    const engine_t *e = b->e;
    return b->fallback_fed < b->fallback_pending || retryq_count(e->retries) > 0 ||
           e->pool.in_flight > 0;
}
