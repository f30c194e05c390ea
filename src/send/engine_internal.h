/* engine_internal.h - the event loop's state, shared by the files that each do one of its
 * jobs: the loop (engine.c), dispatch (dispatch.c), completion (complete.c) and the pool
 * of handles (transfer.c), with what they lean on elsewhere (record/results.c,
 * record/resume.c, cost/job_cost.c). Private to the engine and its tests: the entry point
 * is engine.h. Everything here runs on the loop thread. */
#ifndef VB_ENGINE_INTERNAL_H
#define VB_ENGINE_INTERNAL_H

#include "send/engine.h"

#include "admit/admit.h"
#include "admit/dedupe.h"
#include "cost/job_cost.h"
#include "input/input_count.h"
#include "prepare/queue.h"
#include "prepare/request.h"
#include "prepare/structured.h"
#include "provider/provider.h"
#include "record/histogram.h"
#include "record/journal.h"
#include "record/results.h"
#include "record/stats.h"
#include "send/group.h"
#include "send/outage.h"
#include "send/retryq.h"
#include "send/transfer.h"
#include "util/clock.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <visionbatch.h>

typedef struct engine {
    const vb_options_t *o;
    const provider_t *provider; /* the protocol: URL, headers, bodies, answers, limits */
    vbclock_t clock; /* every time the loop reads (the system clock but in tests) */

    /* the handles (transfer.c) */
    transfer_pool_t pool;

    /* what goes next (dispatch.c) */
    queue_t *ready;    /* prepared requests, from the preparing threads */
    retryq_t *retries; /* requests waiting to be sent again, by due time */
    request_t *next;   /* taken, waiting at a gate (a handle, the budget, admission) */
    admit_t *admit;    /* the window, the rate limiters, the run-wide pause */
    dedupe_t *dedupe;  /* NULL with --no-dedupe */
    group_t *group;    /* --batch-size above 1: groups images into one request */
    group_settings_t group_settings; /* what group reads (it points here) */
    uint64_t group_since_ns;         /* when the group being formed took its first image */
    uint64_t wake_ns;    /* when dispatch may act again (UINT64_MAX: after a completion) */
    vb_limit_t held;     /* what held dispatch back at its last return */
    bool stopping;       /* nothing new is sent (a stop, a cancel) */
    atomic_int skip_all; /* tells the preparing threads to stop reading images */

    /* what it costs (cost/job_cost.c) */
    job_cost_t cost;

    /* where results go (record/results.c) and the journal (record/resume.c) */
    results_t out;
    journal_t *journal;       /* NULL without --journal; out.journal borrows it */
    bool resuming;            /* the journal already held this job */
    bool use_cache;           /* the result cache has answers to look up */
    idset_t *replay_held;     /* ids resume.c did not replay, for prepare.c (owned) */
    input_counter_t *counter; /* the job's total, counted in the background */
    bool total_saved;         /* written to the journal's meta */

    /* classifying answers (complete.c) */
    structured_t structured; /* --json / --schema: what answers must be */
    histogram_t *latency;
    uint64_t rng; /* jitter for backoff */
    outage_t outage; /* the endpoint unreachable or refusing all: stop or pause (health) */

    /* what requests are built from (the preparing threads and group.c read them) */
    body_template_t tmpl;
    body_settings_t group_body; /* what multi-image bodies are built from */
    char *hinted; /* the prompt with the --json hint, or NULL */

    /* stopping (engine.c) */
    volatile sig_atomic_t *cancel;
    uint64_t grace_deadline; /* after a cancel: in-flight requests are abandoned then */

    /* watching (engine.c's engine_publish) */
    vb_stats_t live;       /* answers by status, durations: filled in at each publish */
    stats_limits_t limits; /* time charged to what held the run back */
    uint64_t started_ns, published_ns, sampled_ns;
} engine_t;

/* Sets e up for the job o describes, up to the preparing threads: the handles, the
 * prices and budget, the journal (replaying earlier results to fn), dedupe, admission,
 * the retry queue, the request template, grouping and the hand-off queue (e->ready,
 * which nothing feeds yet: engine_run_shared starts the threads; a test pushes requests
 * itself). Time is read from clock. shared (may be NULL) are limits kept with other
 * processes. Results go to fn (may be NULL) with userdata, totals into *summary (zeroed
 * first). Returns 0, or -1 with err set; either way e is then torn down with
 * engine_teardown. */
int engine_setup(engine_t *e, const vb_options_t *o, const engine_shared_t *shared, vbclock_t clock,
                 vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err, size_t errlen);

/* Frees everything e holds (requests still waiting or in flight too). Safe on an engine
 * whose setup failed part way. */
void engine_teardown(engine_t *e);

/* Stops new dispatches: what is in flight finishes, nothing else is sent. reason (one
 * line) becomes the summary's stop reason; a second stop keeps the first reason. */
void engine_stop(engine_t *e, const char *reason);

/* Starts every request the gates let go now; records the items that cannot be sent.
 * Leaves in e->wake_ns when to try again and in e->held why it stopped (dispatch.c). */
void engine_dispatch(engine_t *e);

/* The most request q can cost (its worst-case prompt tokens and its completion limit at
 * its model's price: batch, or online for a batch line sent online), -1 when the model
 * has no price. What --budget holds while q is in flight, and what a billed answer
 * without usage is counted at (dispatch.c). */
double engine_worst_usd(const engine_t *e, const request_t *q);

/* Request r ends unfinished (the run stops or is cancelled before its result): what its
 * billed answers cost (last_usd and last: its last answer's, 0 and NULL when none; and
 * what it carries from earlier ones) is counted in the run's totals and journaled, so
 * the job's budget keeps counting it on resume (complete.c). */
void engine_count_unfinished(engine_t *e, const request_t *r, double last_usd,
                             const answer_t *last);

/* Takes in a finished transfer t (rc: libcurl's verdict): classifies the answer, settles
 * its cost, hands the handle back, then records the item, retries it, breaks up its group,
 * re-asks for JSON or leaves it unfinished (complete.c). */
void engine_complete(engine_t *e, transfer_t *t, CURLcode rc);

/* Takes what came back for request r into the endpoint's health (send/outage.h) while
 * its transfer t is not yet handed back (rc, status, the classified answer in *resp): a
 * run of failures that never reached the endpoint stops the run (before a success) or
 * pauses it (after), a run of the same refusal stops it, and resp is turned into the stop
 * that says why; a failure during a pause does not count against r's retries; a
 * not_found answer gets the base URL's hint (engine_health.c). */
void engine_health_note(engine_t *e, const transfer_t *t, CURLcode rc, long status,
                        request_t *r, answer_t *resp, uint64_t now);

/* Stops the run: the endpoint has been unreachable for --unreachable-timeout seconds. */
void engine_health_give_up(engine_t *e, uint64_t now);

/* Drives transfers until the input is exhausted (or the run is stopped) and nothing is
 * in flight: the online loop. */
void engine_loop(engine_t *e);

/* Writes the job's item count to the journal once the background count has it. */
void engine_save_total(engine_t *e);

/* Drives the transfers on the wire and takes in those that ended (engine_complete),
 * committing their results. Never sleeps. Returns how many ended. */
int engine_take_finished(engine_t *e);

/* The engine's one statistics hook: at most every stats_interval_s (and at the end,
 * final), fills the live snapshot from the counters and hands it to on_stats; once a
 * second, writes a sample of the limits to the journal for the report. */
void engine_publish(engine_t *e, bool final);

#endif
