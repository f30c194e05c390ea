/* clock.c - the system clock behind vbclock_t. */
#include "util/clock.h"

#include <time.h>

uint64_t clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t system_now(void *ctx)
{
    (void)ctx;
    return clock_monotonic_ns();
}

vbclock_t clock_system(void)
{
    vbclock_t c = {system_now, 0};
    return c;
}
