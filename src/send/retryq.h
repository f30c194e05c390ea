/* retryq.h - requests waiting to be retried, ordered by when they are due.
 *
 * A request waiting here holds no concurrency slot. The capacity is fixed at creation
 * (the engine sizes it to twice the concurrency and stops taking new work while it is
 * full), so a storm of failures cannot grow memory. */
#ifndef VB_RETRYQ_H
#define VB_RETRYQ_H

#include "prepare/request.h"

#include <stddef.h>
#include <stdint.h>

typedef struct retryq retryq_t;

/* Creates an empty queue of the given capacity (> 0). NULL when out of memory. */
retryq_t *retryq_new(size_t capacity);

/* Adds r, due at due_ns. Returns 0, or -1 when full (r stays the caller's). */
int retryq_push(retryq_t *q, request_t *r, uint64_t due_ns);

/* Removes and returns the earliest request if it is due at now_ns, else NULL. */
request_t *retryq_pop_due(retryq_t *q, uint64_t now_ns);

/* The earliest due time, or UINT64_MAX when empty. */
uint64_t retryq_next_due(const retryq_t *q);

size_t retryq_count(const retryq_t *q);
size_t retryq_capacity(const retryq_t *q);

/* Frees the queue and the requests still in it. NULL is a no-op. */
void retryq_free(retryq_t *q);

#endif
