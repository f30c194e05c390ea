/* adaptive.c - AIMD concurrency window. */
#include "admit/adaptive.h"

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void adaptive_init(adaptive_t *a, double initial, double min, double max, double decrease)
{
    a->min = min < 1 ? 1 : min;
    a->max = max < a->min ? a->min : max;
    a->limit = clamp(initial, a->min, a->max);
    a->decrease = decrease > 0 && decrease < 1 ? decrease : 0.7;
    a->slow_start = true;
}

void adaptive_on_success(adaptive_t *a, long in_flight)
{
    if ((double)in_flight < a->limit / 2)
        return; /* the window is not the bottleneck: no evidence it could be larger */
    a->limit = clamp(a->limit + (a->slow_start ? 1.0 : 1.0 / a->limit), a->min, a->max);
}

void adaptive_on_drop(adaptive_t *a)
{
    a->slow_start = false;
    a->limit = clamp(a->limit * a->decrease, a->min, a->max);
}

long adaptive_window(const adaptive_t *a)
{
    long w = (long)a->limit;
    return w < (long)a->min ? (long)a->min : w;
}
