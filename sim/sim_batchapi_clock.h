/* sim_batchapi_clock.h - the compressed clock of the simulated batch APIs: where a batch
 * is in its life at a given moment, from when it was created, --batch-seconds, and what
 * happened to it (a cancel, a fault that fails or expires it).
 *
 * A batch of T seconds is validating for the first tenth of T, runs (its lines processed
 * evenly, the counts rising) until nine tenths, finalizes for the last tenth and is
 * final at T: completed, or expired when a fault says so. A batch doomed by a fault or
 * a validation error fails when its validation ends. A cancel before the end makes it
 * cancelling for SIM_BATCH_CANCEL_S, then cancelled; the lines processed by the time of
 * the cancel are the ones that ran. Pure functions: tests pass any times they like. */
#ifndef VB_SIM_BATCHAPI_CLOCK_H
#define VB_SIM_BATCHAPI_CLOCK_H

#define SIM_BATCH_CANCEL_S 0.2 /* how long a batch stays cancelling */

typedef enum {
    SIM_BPHASE_VALIDATING = 0, /* OpenAI validating, Gemini PENDING */
    SIM_BPHASE_RUNNING,        /* in_progress, RUNNING */
    SIM_BPHASE_FINALIZING,     /* OpenAI finalizing: every line processed */
    SIM_BPHASE_CANCELLING,     /* cancelling, Anthropic canceling */
    SIM_BPHASE_COMPLETED,      /* final from here on */
    SIM_BPHASE_FAILED,
    SIM_BPHASE_EXPIRED,
    SIM_BPHASE_CANCELLED,
} sim_bphase_t;

typedef struct {
    double created;   /* seconds on any monotonic clock */
    double seconds;   /* --batch-seconds, >= 0 */
    double cancel_at; /* when a cancel was accepted; < 0: never */
    int doomed;       /* fails at the end of its validation */
    int expires;      /* expires at its end instead of completing */
} sim_btimeline_t;

/* Whether p is final: COMPLETED, FAILED, EXPIRED or CANCELLED. */
int sim_bphase_final(sim_bphase_t p);

/* The moment t becomes final if nobody cancels it (its validation's end when doomed). */
double sim_btimeline_natural_end(const sim_btimeline_t *t);

/* Where t is at now. */
sim_bphase_t sim_btimeline_phase(const sim_btimeline_t *t, double now);

/* The fraction of its runnable lines t has processed by now, in [0, 1]: 0 while it
 * validates, rising evenly while it runs, 1 from finalizing on; frozen at the cancel. */
double sim_btimeline_progress(const sim_btimeline_t *t, double now);

/* Whether a cancel asked at now is accepted: t is not final and not cancelling yet. */
int sim_btimeline_can_cancel(const sim_btimeline_t *t, double now);

#endif
