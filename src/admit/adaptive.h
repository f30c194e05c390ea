/* adaptive.h - the concurrency window, learned from how the server answers.
 *
 * AIMD in the manner of TCP and Netflix's concurrency-limits (provider-facts.md §5):
 * start small and double per round trip (slow start) until the ceiling or the first
 * drop; on a drop (429, timeout) multiply by a factor below 1 and leave slow start; then
 * grow by about one per round trip. Growth needs the window to be in use: a window the
 * input cannot fill does not grow. */
#ifndef VB_ADAPTIVE_H
#define VB_ADAPTIVE_H

#include <stdbool.h>

typedef struct adaptive {
    double limit;      /* current window */
    double min, max;   /* bounds */
    double decrease;   /* multiplicative factor on a drop, e.g. 0.7 */
    bool slow_start;
} adaptive_t;

/* Starts at initial (clamped to [min, max]) in slow start. */
void adaptive_init(adaptive_t *a, double initial, double min, double max, double decrease);

/* A request succeeded while in_flight requests (including it) were out. */
void adaptive_on_success(adaptive_t *a, long in_flight);

/* The server pushed back (429, overload, timeout). */
void adaptive_on_drop(adaptive_t *a);

/* The window as a whole number of requests, at least min. */
long adaptive_window(const adaptive_t *a);

#endif
