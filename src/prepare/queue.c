/* queue.c - a ring buffer under one mutex; producers wait on a condition variable. */
#include "prepare/queue.h"

#include <pthread.h>
#include <stdlib.h>

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_full;
    void **items;
    size_t capacity;
    size_t head;
    size_t count;
    int producers_left;
    bool cancelled;
    queue_notify_fn notify;
    void *notify_arg;
};

queue_t *queue_new(size_t capacity, queue_notify_fn notify, void *notify_arg)
{
    queue_t *q = calloc(1, sizeof *q);
    if (!q || capacity == 0)
        goto err;
    if (!(q->items = calloc(capacity, sizeof *q->items)))
        goto err;
    q->capacity = capacity;
    q->notify = notify;
    q->notify_arg = notify_arg;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return q;
err:
    if (q)
        free(q->items);
    free(q);
    return NULL;
}

void queue_set_producers(queue_t *q, int producers)
{
    pthread_mutex_lock(&q->lock);
    q->producers_left = producers;
    pthread_mutex_unlock(&q->lock);
}

int queue_push(queue_t *q, void *p)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == q->capacity && !q->cancelled)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->cancelled) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    q->items[(q->head + q->count) % q->capacity] = p;
    q->count++;
    pthread_mutex_unlock(&q->lock);
    if (q->notify)
        q->notify(q->notify_arg);
    return 0;
}

void *queue_try_pop(queue_t *q)
{
    void *p = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->count > 0) {
        p = q->items[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return p;
}

void queue_producer_done(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->producers_left--;
    pthread_mutex_unlock(&q->lock);
    if (q->notify)
        q->notify(q->notify_arg);
}

bool queue_drained(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    bool drained = q->producers_left <= 0 && q->count == 0;
    pthread_mutex_unlock(&q->lock);
    return drained;
}

void queue_cancel(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->cancelled = true;
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

void queue_free(queue_t *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
    free(q);
}
