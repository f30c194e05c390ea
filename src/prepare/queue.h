/* queue.h - a bounded, thread-safe FIFO of pointers between the preparing threads and
 * the event loop. Its capacity is what bounds memory: producers wait while it is full. */
#ifndef VB_QUEUE_H
#define VB_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct queue queue_t;

/* Called (outside the queue's lock) after a push, so a consumer blocked elsewhere, such as
 * in curl_multi_poll, can be woken. */
typedef void (*queue_notify_fn)(void *arg);

/* Creates a queue holding at most capacity (> 0) items. Returns NULL when out of memory. */
queue_t *queue_new(size_t capacity, queue_notify_fn notify, void *notify_arg);

/* Appends p, waiting while the queue is full. Returns 0, or -1 when the queue was
 * cancelled (p is then not taken: the caller still owns it). */
int queue_push(queue_t *q, void *p);

/* Takes the oldest item without waiting; NULL when empty. */
void *queue_try_pop(queue_t *q);

/* Declares that one producer is done. When every producer (see queue_new's caller's
 * count in queue_set_producers) is done and the queue is empty, queue_drained is true. */
void queue_producer_done(queue_t *q);

/* Sets how many producers will call queue_producer_done. */
void queue_set_producers(queue_t *q, int producers);

/* True when all producers are done and nothing is left to pop. */
bool queue_drained(queue_t *q);

/* Wakes every waiting producer and makes further pushes fail: the consumer is stopping. */
void queue_cancel(queue_t *q);

/* Frees the queue; items still in it are not freed (pop them first). NULL is a no-op. */
void queue_free(queue_t *q);

#endif
