/* dedupe.c - an open-addressing table of result keys. */
#include "admit/dedupe.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
    char *key;          /* NULL: empty */
    char *first_id;
    bool done;
    request_t *waiting; /* copies, linked through next_copy */
} slot_t;

struct dedupe {
    slot_t *slots;
    size_t cap; /* power of two */
    size_t used;
};

dedupe_t *dedupe_new(void)
{
    dedupe_t *d = calloc(1, sizeof *d);
    if (!d || !(d->slots = calloc(1024, sizeof *d->slots))) {
        free(d);
        return NULL;
    }
    d->cap = 1024;
    return d;
}

/* FNV-1a of the hex key (already a SHA-256: any bits would do). */
static size_t key_hash(const char *k)
{
    size_t h = 1469598103934665603u;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211u;
    return h;
}

static slot_t *find(dedupe_t *d, const char *key)
{
    size_t i = key_hash(key) & (d->cap - 1);
    while (d->slots[i].key && strcmp(d->slots[i].key, key) != 0)
        i = (i + 1) & (d->cap - 1);
    return &d->slots[i];
}

/* Doubles the table when it is half full. Returns 0, or -1 when out of memory. */
static int grow(dedupe_t *d)
{
    if (d->used * 2 < d->cap)
        return 0;
    slot_t *old = d->slots;
    size_t old_cap = d->cap;
    if (!(d->slots = calloc(old_cap * 2, sizeof *d->slots))) {
        d->slots = old;
        return -1;
    }
    d->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            *find(d, old[i].key) = old[i];
    free(old);
    return 0;
}

dedupe_verdict_t dedupe_check(dedupe_t *d, request_t *r, const char **first_id)
{
    if (!r->cache_key[0] || grow(d) != 0)
        return DEDUPE_NEW;
    slot_t *s = find(d, r->cache_key);
    if (!s->key) {
        s->key = strdup(r->cache_key);
        s->first_id = strdup(r->item.id ? r->item.id : "");
        if (!s->key || !s->first_id) {
            free(s->key);
            free(s->first_id);
            memset(s, 0, sizeof *s);
            return DEDUPE_NEW;
        }
        d->used++;
        return DEDUPE_NEW;
    }
    *first_id = s->first_id;
    if (s->done)
        return DEDUPE_DONE;
    free(r->body); /* it waits for the first's answer: it will not be sent */
    r->body = NULL;
    r->next_copy = s->waiting;
    s->waiting = r;
    return DEDUPE_WAITING;
}

request_t *dedupe_finish(dedupe_t *d, const char *key, bool ok, const char **first_id)
{
    if (!key || !key[0])
        return NULL;
    slot_t *s = find(d, key);
    if (!s->key)
        return NULL;
    request_t *copies = s->waiting;
    s->waiting = NULL;
    *first_id = s->first_id;
    if (ok) {
        s->done = true;
        return copies;
    }
    /* forget the key (tombstone-free: re-insert the run that follows it) */
    free(s->key);
    s->key = NULL;
    d->used--;
    static char failed_id[1];
    *first_id = failed_id;
    free(s->first_id);
    s->first_id = NULL;
    size_t i = (size_t)(s - d->slots);
    for (size_t j = (i + 1) & (d->cap - 1); d->slots[j].key; j = (j + 1) & (d->cap - 1)) {
        slot_t moved = d->slots[j];
        memset(&d->slots[j], 0, sizeof moved);
        *find(d, moved.key) = moved;
    }
    return copies;
}

void dedupe_free(dedupe_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->cap; i++) {
        slot_t *s = &d->slots[i];
        while (s->waiting) {
            request_t *r = s->waiting;
            s->waiting = r->next_copy;
            request_free(r);
        }
        free(s->key);
        free(s->first_id);
    }
    free(d->slots);
    free(d);
}
