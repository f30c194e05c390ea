/* backoff.c - exponential backoff with jitter. */
#include "admit/backoff.h"

#include <math.h>

double backoff_delay(int n, double base, double max, double jitter, double retry_after,
                     double max_retry_after)
{
    if (n < 1)
        n = 1;
    double d = base * pow(2.0, n - 1 < 60 ? n - 1 : 60);
    if (d > max)
        d = max;
    d *= 1.0 - 0.25 * jitter;
    if (retry_after >= 0) {
        double ra = retry_after < max_retry_after ? retry_after : max_retry_after;
        if (ra > d)
            d = ra;
    }
    return d;
}
