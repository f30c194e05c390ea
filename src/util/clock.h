/* clock.h - the one source of time. Code that paces or waits takes a vbclock_t so tests
 * can hand it a manual clock instead of sleeping. */
#ifndef VB_CLOCK_H
#define VB_CLOCK_H

#include <stdint.h>

typedef struct vbclock {
    uint64_t (*now_ns)(void *ctx); /* monotonic nanoseconds */
    void *ctx;
} vbclock_t;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_monotonic_ns(void);

/* A vbclock_t reading CLOCK_MONOTONIC. */
vbclock_t clock_system(void);

/* Reads a clock. */
static inline uint64_t clock_now(const vbclock_t *c)
{
    return c->now_ns(c->ctx);
}

#endif
