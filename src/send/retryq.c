/* retryq.c - a binary min-heap of (due time, request). */
#include "send/retryq.h"

#include <stdlib.h>

typedef struct {
    uint64_t due;
    uint64_t seq; /* insertion order: equal due times leave in FIFO order */
    request_t *r;
} entry_t;

struct retryq {
    entry_t *heap;
    size_t count;
    size_t capacity;
    uint64_t seq;
};

retryq_t *retryq_new(size_t capacity)
{
    retryq_t *q = calloc(1, sizeof *q);
    if (!q || capacity == 0 || !(q->heap = calloc(capacity, sizeof *q->heap))) {
        free(q);
        return NULL;
    }
    q->capacity = capacity;
    return q;
}

static int before(const entry_t *a, const entry_t *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

int retryq_push(retryq_t *q, request_t *r, uint64_t due_ns)
{
    if (q->count == q->capacity)
        return -1;
    size_t i = q->count++;
    entry_t e = {due_ns, q->seq++, r};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
    return 0;
}

request_t *retryq_pop_due(retryq_t *q, uint64_t now_ns)
{
    if (q->count == 0 || q->heap[0].due > now_ns)
        return NULL;
    request_t *r = q->heap[0].r;
    entry_t last = q->heap[--q->count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->count)
            break;
        if (child + 1 < q->count && before(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!before(&q->heap[child], &last))
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (q->count > 0)
        q->heap[i] = last;
    return r;
}

uint64_t retryq_next_due(const retryq_t *q)
{
    return q->count ? q->heap[0].due : UINT64_MAX;
}

size_t retryq_count(const retryq_t *q)
{
    return q->count;
}

size_t retryq_capacity(const retryq_t *q)
{
    return q->capacity;
}

void retryq_free(retryq_t *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++)
        request_free(q->heap[i].r);
    free(q->heap);
    free(q);
}
