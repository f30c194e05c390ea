/* input_count.h - counts a job's items in the background, so progress and `status` can
 * give a total and an ETA while the items themselves are still streaming in. Only names
 * and manifest lines are read, never images. */
#ifndef VB_INPUT_COUNT_H
#define VB_INPUT_COUNT_H

#include "input/input.h"

typedef struct input_counter input_counter_t;

/* Starts counting a copy of in's paths on its own thread. NULL when that cannot start
 * (counting is optional: callers go on without a total). */
input_counter_t *input_counter_start(const input_t *in);

/* The total, or -1 while counting is not finished. Thread-safe. */
long input_counter_total(input_counter_t *c);

/* Stops counting (if still running), joins the thread and frees it. NULL is a no-op. */
void input_counter_free(input_counter_t *c);

#endif
