/* engine.h - runs a job: preparing threads feed one event-loop thread that drives
 * libcurl's multi interface, classifies every answer and records every result. */
#ifndef VB_ENGINE_H
#define VB_ENGINE_H

#include "input.h"

#include <signal.h>
#include <visionbatch.h>

/* Runs every item of in through the endpoint described by o (already validated),
 * calling fn once per item on this thread. *cancel, set asynchronously, asks for a stop.
 * Fills *summary. Returns a vb_run_status_t with a reason in err for VB_RUN_CONFIG and
 * VB_RUN_STOPPED. */
vb_run_status_t engine_run(const vb_options_t *o, input_t *in, volatile sig_atomic_t *cancel,
                           vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err,
                           size_t errlen);

#endif
