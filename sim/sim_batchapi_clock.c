/* sim_batchapi_clock.c - a batch's phases on the compressed clock (sim_batchapi_clock.h). */
#include "sim_batchapi_clock.h"

#define VALIDATING_SHARE 0.1 /* of --batch-seconds: validating */
#define RUNNING_END      0.9 /* ... running until here; finalizing the rest */

int sim_bphase_final(sim_bphase_t p)
{
    return p >= SIM_BPHASE_COMPLETED;
}

static double validation_end(const sim_btimeline_t *t)
{
    return t->created + VALIDATING_SHARE * t->seconds;
}

double sim_btimeline_natural_end(const sim_btimeline_t *t)
{
    return t->doomed ? validation_end(t) : t->created + t->seconds;
}

/* Whether a cancel was accepted (it came before the natural end). */
static int cancelled(const sim_btimeline_t *t)
{
    return t->cancel_at >= 0 && t->cancel_at < sim_btimeline_natural_end(t);
}

sim_bphase_t sim_btimeline_phase(const sim_btimeline_t *t, double now)
{
    if (cancelled(t) && now >= t->cancel_at)
        return now < t->cancel_at + SIM_BATCH_CANCEL_S ? SIM_BPHASE_CANCELLING
                                                       : SIM_BPHASE_CANCELLED;
    if (now < validation_end(t))
        return SIM_BPHASE_VALIDATING;
    if (t->doomed)
        return SIM_BPHASE_FAILED;
    if (now < t->created + RUNNING_END * t->seconds)
        return SIM_BPHASE_RUNNING;
    if (now < t->created + t->seconds)
        return SIM_BPHASE_FINALIZING;
    return t->expires ? SIM_BPHASE_EXPIRED : SIM_BPHASE_COMPLETED;
}

double sim_btimeline_progress(const sim_btimeline_t *t, double now)
{
    if (t->doomed)
        return 0.0;
    if (cancelled(t) && now > t->cancel_at)
        now = t->cancel_at;
    double start = validation_end(t), end = t->created + RUNNING_END * t->seconds;
    if (now < start)
        return 0.0;
    if (now >= end)
        return 1.0;
    return (now - start) / (end - start);
}

int sim_btimeline_can_cancel(const sim_btimeline_t *t, double now)
{
    return !cancelled(t) && !sim_bphase_final(sim_btimeline_phase(t, now));
}
