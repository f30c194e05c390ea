/* engine.h - runs a job: preparing threads feed one event-loop thread that drives
 * libcurl's multi interface, classifies every answer and records every result. */
#ifndef VB_ENGINE_H
#define VB_ENGINE_H

#include "admit/admit.h"
#include "cost/budget.h"
#include "input/input.h"
#include "prepare/prepare.h"

#include <signal.h>
#include <visionbatch.h>

/* Runs every item of in through the endpoint described by o (already validated),
 * calling fn once per item on this thread. *cancel, set asynchronously, asks for a stop.
 * Fills *summary. Returns a vb_run_status_t with a reason in err for VB_RUN_CONFIG and
 * VB_RUN_STOPPED. */
vb_run_status_t engine_run(const vb_options_t *o, input_t *in, volatile sig_atomic_t *cancel,
                           vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err,
                           size_t errlen);

/* Limits kept with other processes (Redis, see redis_limiter.h and redis_budget.h). */
typedef struct engine_shared {
    const admit_shared_t *limits;  /* request and token pacing; NULL: this process's */
    const budget_shared_t *budget; /* the budget's reservations; NULL: this process's */
    const shared_cache_t *cache;   /* the result cache; NULL: the journal's only */
} engine_shared_t;

/* engine_run with shared limits (shared may be NULL: engine_run). */
vb_run_status_t engine_run_shared(const vb_options_t *o, input_t *in,
                                  volatile sig_atomic_t *cancel, vb_result_fn fn,
                                  void *userdata, vb_summary_t *summary,
                                  const engine_shared_t *shared, char *err, size_t errlen);

#endif
