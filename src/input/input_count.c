/* input_count.c - the counting thread. */
#include "input/input_count.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct input_counter {
    input_t *in;
    pthread_t thread;
    atomic_long total; /* -1 until done */
    atomic_int stop;
};

static void *count_items(void *arg)
{
    input_counter_t *c = arg;
    input_item_t item;
    long n = 0;
    while (!atomic_load(&c->stop) && input_next(c->in, &item)) {
        input_item_clear(&item);
        n++;
    }
    if (!atomic_load(&c->stop))
        atomic_store(&c->total, n);
    return NULL;
}

input_counter_t *input_counter_start(const input_t *in)
{
    input_counter_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    atomic_init(&c->total, -1);
    atomic_init(&c->stop, 0);
    if (!(c->in = input_copy(in)) || pthread_create(&c->thread, NULL, count_items, c) != 0) {
        input_free(c->in);
        free(c);
        return NULL;
    }
    return c;
}

long input_counter_total(input_counter_t *c)
{
    return c ? atomic_load(&c->total) : -1;
}

void input_counter_free(input_counter_t *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    pthread_join(c->thread, NULL);
    input_free(c->in);
    free(c);
}
