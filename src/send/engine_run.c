/* engine_run.c - a job from start to end: the engine set up, the preparing threads
 * started, the libcurl loop (engine.c) or the batch API's (batchapi.c) run until the
 * input is used up, and the outcome and totals handed back. */
#include "send/engine_internal.h"

#include "prepare/prepare.h"
#include "prepare/prompt_fill.h"
#include "record/journal_batch.h"
#include "send/batchapi.h"
#include "send/fetch.h"
#include "send/preflight.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int prepare_thread_count(const vb_options_t *o)
{
    if (o->prepare_threads > 0)
        return (int)o->prepare_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

/* Fills the summary's timing and latency, and hands out the last snapshot (the summary's,
 * and the hook's final call) when the engine got that far. */
static void engine_finish(engine_t *e)
{
    vb_summary_t *sum = e->out.sum;
    results_replay_rest(&e->out); /* earlier answers a stop kept from being checked */
    /* requests left waiting (a stop, a cancel) may carry what billed answers cost */
    request_t *r;
    while (e->retries && (r = retryq_pop_due(e->retries, UINT64_MAX))) {
        engine_count_unfinished(e, r, 0, NULL);
        request_free(r);
    }
    if (e->next) {
        engine_count_unfinished(e, e->next, 0, NULL);
        request_free(e->next);
        e->next = NULL;
    }
    /* the job's spend over its runs: its items' costs and what unfinished ones spent */
    long counts[JOURNAL_STATE_COUNT];
    double job_cost = 0;
    sum->job_cost_usd = sum->cost_usd >= 0 && e->journal &&
                                journal_counts(e->journal, counts, &job_cost) == 0
                            ? job_cost
                            : -1;
    sum->wall_s = (double)(clock_now(&e->clock) - e->started_ns) / 1e9;
    sum->images_per_s = sum->wall_s > 0 ? (double)sum->images / sum->wall_s : 0;
    if (e->latency) {
        sum->latency_avg_ms = histogram_mean(e->latency);
        sum->latency_p50_ms = histogram_quantile(e->latency, 0.50);
        sum->latency_p95_ms = histogram_quantile(e->latency, 0.95);
        sum->latency_p99_ms = histogram_quantile(e->latency, 0.99);
        sum->latency_p90_ms = histogram_quantile(e->latency, 0.90);
        sum->latency_max_ms = e->latency->max_ms;
    }
    if (e->admit && e->retries) {
        engine_publish(e, true);
        sum->stats = e->live;
    }
}

vb_run_status_t engine_run(const vb_options_t *o, input_t *in, volatile sig_atomic_t *cancel,
                           vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err,
                           size_t errlen)
{
    return engine_run_shared(o, in, cancel, fn, userdata, summary, NULL, err, errlen);
}

vb_run_status_t engine_run_shared(const vb_options_t *o, input_t *in, volatile sig_atomic_t *cancel,
                                  vb_result_fn fn, void *userdata, vb_summary_t *summary,
                                  const engine_shared_t *shared, char *err, size_t errlen)
{
    vb_summary_t local;
    engine_t e;
    prepare_t *prep = NULL;
    batchapi_t *bapi = NULL;
    fetch_t *fetch = NULL; /* --fetch-urls: the download stage before prepare */
    input_t *items = in;   /* what prepare reads: in, or the stage's output */
    vb_run_status_t status = VB_RUN_CONFIG;

    if (engine_setup(&e, o, shared, clock_system(), fn, userdata, summary ? summary : &local, err,
                     errlen) != 0)
        goto out;
    e.cancel = cancel;
    /* a batch job with batches at the provider collects them whatever the preflight would
     * say (a model retired since they were submitted must not strand what is paid for) */
    bool collecting =
        o->batch_api && e.journal && journal_chunk_foreach(e.journal, 1, NULL, NULL) > 0;
    if (!collecting && preflight_run(e.provider, o, err, errlen) != 0) { /* no such model, ... */
        engine_stop(&e, err);
        status = VB_RUN_STOPPED;
        goto out;
    }
    prepare_settings_t ps = {.model = o->model,
                             .prompt = e.hinted ? e.hinted : o->prompt,
                             .prompt_template = prompt_is_template(o->prompt) ? o->prompt : NULL,
                             .structured = &e.structured,
                             .detail = o->detail,
                             .max_tokens = o->max_tokens,
                             .sampling = &e.group_body,
                             .max_image_bytes = o->max_image_bytes,
                             .provider = e.provider,
                             .template = &e.tmpl,
                             .journal_path = o->journal,
                             .resuming = e.resuming,
                             .replay_held = e.replay_held,
                             .skip_all = &e.skip_all,
                             .resize_auto = strcmp(o->resize, "auto") == 0,
                             .max_side = o->max_side,
                             .images_per_request = o->batch_size,
                             .convert = o->convert,
                             .decode_check = !o->no_decode_check,
                             .retry_failed = o->retry_failed,
                             .use_cache = e.use_cache && !e.out.batch_output,
                             .key_extra = e.out.batch_output ? o->output_format : NULL,
                             .shared_cache = e.out.cache};
    /* a total for the journal and for progress; a source's (a Redis job's) is not known */
    if ((o->journal || o->on_stats) && !input_is_source(in))
        e.counter = input_counter_start(in);
    if (o->batch_api && !(bapi = batchapi_new(&e, err, errlen)))
        goto out;
    if (o->fetch_urls) {
        if (!(fetch = fetch_start(in, o, &ps, err, errlen)))
            goto out;
        items = fetch_input(fetch);
    }
    if (!(prep = prepare_start(items, e.ready, &ps, prepare_thread_count(o), err, errlen)))
        goto out;

    if (bapi)
        batchapi_loop(bapi);
    else
        engine_loop(&e);
    stats_limits_enter(&e.limits, e.out.sum->limited_s, e.held, clock_now(&e.clock));

    input_stop(items);     /* a source waiting for shared work stops waiting */
    queue_cancel(e.ready); /* unblocks threads still waiting to push after a stop */
    prepare_join(prep);
    prep = NULL;
    request_t *left;
    while ((left = queue_try_pop(e.ready)))
        request_free(left);

    if (e.out.sum->stopped) {
        snprintf(err, errlen, "%s", e.out.sum->stop_reason);
        status = VB_RUN_STOPPED;
    } else if (bapi && e.grace_deadline) {
        snprintf(err, errlen, "detached: %ld batches go on at the provider (visionbatch "
                 "cancel JOURNAL cancels them)", batchapi_open_batches(bapi));
        status = VB_RUN_CANCELLED;
    } else if (e.grace_deadline) {
        snprintf(err, errlen, "cancelled; %ld requests were still in flight", e.pool.in_flight);
        status = VB_RUN_CANCELLED;
    } else if (e.cost.budget_out) {
        snprintf(err, errlen, "the budget of $%.4f is used up ($%.4f spent): %ld items skipped",
                 o->budget_usd, e.cost.budget.spent, e.out.sum->skipped);
        status = VB_RUN_BUDGET;
    } else if (bapi && batchapi_open_batches(bapi) > 0) {
        snprintf(err, errlen, "%ld batches are at the provider (%ld submitted by this run); run "
                 "the same command again to collect them", batchapi_open_batches(bapi),
                 e.out.sum->batch_jobs_submitted);
        status = VB_RUN_SUBMITTED;
    } else {
        status = e.out.sum->failed ? VB_RUN_SOME_FAILED : VB_RUN_ALL_OK;
    }
out:
    batchapi_free(bapi);
    if (prep) {
        input_stop(items);
        queue_cancel(e.ready);
        prepare_join(prep);
        request_t *r;
        while ((r = queue_try_pop(e.ready)))
            request_free(r);
    }
    fetch_free(fetch); /* after prepare: its threads read the stage */
    engine_finish(&e);
    engine_teardown(&e);
    return status;
}
