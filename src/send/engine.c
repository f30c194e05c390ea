/* engine.c - the event loop: sets a job up, drives libcurl's multi interface until the
 * input is used up, and hands the run's totals back.
 *
 * The loop sleeps in curl_multi_poll; the preparing threads wake it with
 * curl_multi_wakeup when they queue a request. Each turn it sends what the gates let go
 * (dispatch.c), publishes statistics, commits the journal, and takes in the transfers
 * that ended (complete.c). The pool of handles is transfer.c's; results go out through
 * record/results.c. */
#include "send/engine_internal.h"

#include "record/journal_batch.h"
#include "record/resume.h"
#include "record/stats.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The journal gets one sample of the limits a second, for `visionbatch report`. */
#define SAMPLE_NS 1000000000ull

static void wake_loop(void *arg)
{
    curl_multi_wakeup(arg);
}

void engine_stop(engine_t *e, const char *reason)
{
    if (e->stopping)
        return;
    e->stopping = true;
    e->out.sum->stopped = 1;
    snprintf(e->out.sum->stop_reason, sizeof e->out.sum->stop_reason, "%s", reason);
    queue_cancel(e->ready);
}

/* How long the loop may sleep: until dispatch can act again (admission may say yes, or
 * a retry falls due), at most a second; a completion or new work (curl_multi_wakeup)
 * wakes it sooner. A retry due while every slot is busy is no reason to wake. */
static int poll_timeout_ms(const engine_t *e)
{
    uint64_t now = clock_now(&e->clock);
    uint64_t until = e->stopping ? UINT64_MAX : e->wake_ns;
    int cap = e->journal ? JOURNAL_BATCH_MS : 1000; /* commit groups on time */
    if (e->cancel)
        cap = cap < 100 ? cap : 100; /* notice a cancel soon */
    if (e->o->on_stats) {            /* the redraw timer: no other wake-up is added */
        int every = (int)(e->o->stats_interval_s * 1000.0);
        cap = cap < every ? cap : every > 10 ? every : 10;
    }
    if (until == UINT64_MAX)
        return cap;
    if (until <= now)
        return 0;
    uint64_t ms = (until - now + 999999) / 1000000;
    return ms > (uint64_t)cap ? cap : (int)ms;
}

void engine_publish(engine_t *e, bool final)
{
    uint64_t now = clock_now(&e->clock);
    vb_stats_t *s = &e->live;
    bool sample = e->journal && (final || now - e->sampled_ns >= SAMPLE_NS);
    bool publish = e->o->on_stats &&
                   (final || now - e->published_ns >= (uint64_t)(e->o->stats_interval_s * 1e9));
    if (!sample && !publish)
        return;
    const vb_summary_t *sum = e->out.sum;
    s->elapsed_s = (double)(now - e->started_ns) / 1e9;
    s->total = e->counter ? input_counter_total(e->counter) : -1;
    s->done = sum->images;
    s->ok = sum->ok;
    s->failed = sum->failed;
    s->skipped = sum->skipped;
    s->cached = sum->cached;
    s->duplicates = sum->duplicates;
    s->replayed = sum->replayed;
    s->resuming = e->resuming;
    s->in_flight = e->pool.in_flight;
    s->retrying = (long)retryq_count(e->retries);
    s->requests = sum->requests;
    s->retries = sum->retries;
    s->rate_limited = sum->rate_limited;
    s->prompt_tokens = sum->prompt_tokens;
    s->completion_tokens = sum->completion_tokens;
    s->bytes_uploaded = sum->bytes_uploaded;
    s->cost_usd = sum->cost_usd;
    s->budget_usd = e->cost.budget.limit;
    s->budget_left_usd = e->cost.budget.limit > 0 ? e->cost.budget.limit - e->cost.budget.spent : 0;
    if (s->budget_left_usd < 0)
        s->budget_left_usd = 0;
    s->concurrency = e->o->concurrency;
    s->window = admit_window(e->admit);
    s->rpm_limit = admit_rpm(e->admit);
    s->tpm_limit = admit_tpm(e->admit);
    s->paused = admit_paused_until(e->admit) > now || outage_paused(&e->outage);
    s->final = final;
    if (sample) {
        e->sampled_ns = now;
        journal_sample(e->journal, s->in_flight, s->window, s->concurrency, s->rpm_limit,
                       s->tpm_limit, s->paused);
    }
    if (publish) {
        e->published_ns = now;
        e->o->on_stats(s, e->o->stats_userdata);
    }
}

void engine_save_total(engine_t *e)
{
    if (e->journal && !e->total_saved && e->counter && input_counter_total(e->counter) >= 0) {
        char n[32];
        snprintf(n, sizeof n, "%ld", input_counter_total(e->counter));
        journal_meta_set(e->journal, "input_items", n);
        e->total_saved = true;
    }
}

int engine_take_finished(engine_t *e)
{
    int running = 0;
    curl_multi_perform(e->pool.multi, &running);
    CURLMsg *m;
    int left, done = 0;
    while ((m = curl_multi_info_read(e->pool.multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        transfer_t *t = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        engine_complete(e, t, m->data.result);
        done++;
    }
    /* Results are committed as soon as they are in, one transaction per loop turn: a
     * kill -9 can then only cost what was still in flight. */
    if (done && e->journal && journal_tick(e->journal, 1) != 0)
        engine_stop(e, "the journal cannot be written; stopping so nothing is paid for "
                       "twice (is the disk full?)");
    return done;
}

/* Drives transfers until the input is exhausted (or the run is stopped) and nothing is
 * in flight. */
void engine_loop(engine_t *e)
{
    for (;;) {
        if (e->cancel && *e->cancel && !e->grace_deadline) {
            e->grace_deadline = clock_now(&e->clock) + (uint64_t)(e->o->grace_s * 1e9) + 1;
            e->stopping = true; /* no new sends; not a fatal stop */
            queue_cancel(e->ready);
        }
        if (e->grace_deadline && clock_now(&e->clock) >= e->grace_deadline)
            return; /* what is still in flight stays "in flight" in the journal */
        engine_dispatch(e);
        stats_limits_enter(&e->limits, e->out.sum->limited_s, e->held, clock_now(&e->clock));
        engine_publish(e, false);
        engine_save_total(e);
        if (e->journal && journal_tick(e->journal, 0) != 0)
            engine_stop(e, "the journal cannot be written; stopping so nothing is paid for "
                           "twice (is the disk full?)");
        if (e->pool.in_flight == 0 &&
            (e->stopping || (!e->next && retryq_count(e->retries) == 0 && queue_drained(e->ready) &&
                             (!e->group || group_idle(e->group)))))
            return;
        int done = engine_take_finished(e);
        if (done)
            continue; /* refill the window before sleeping */
        curl_multi_poll(e->pool.multi, NULL, 0, poll_timeout_ms(e), NULL);
    }
}


/* Builds e->tmpl, the job's request body around the image in the provider's format, from
 * the options and the prompt as sent (with the --json hint), and the settings of its
 * multi-image bodies (the prompt as written: the group's instruction follows it). Returns
 * 0, or -1 with err set. */
static int template_build(engine_t *e, char *err, size_t errlen)
{
    const vb_options_t *o = e->o;
    body_settings_t single = {.model = o->model,
                              .prompt = e->hinted ? e->hinted : o->prompt,
                              .detail = o->detail,
                              .max_tokens = o->max_tokens,
                              .response_format = e->structured.response_format};
    body_settings_sampling(&single, o->system, o->temperature, o->seed);
    e->group_body = (body_settings_t){
        .model = o->model, .prompt = o->prompt, .detail = o->detail, .max_tokens = o->max_tokens};
    body_settings_sampling(&e->group_body, o->system, o->temperature, o->seed);
    return e->provider->template_build(&e->tmpl, &single, err, errlen);
}

/* Opens the journal (o->journal set): binds it to the job, replays earlier results. */
static int engine_open_journal(engine_t *e, char *err, size_t errlen)
{
    resume_t rs = {0};
    int rc = resume_open(&rs, e->o, e->structured.response_format, &e->out, err, errlen);
    e->journal = e->out.journal = rs.journal;
    if (rc != 0) {
        idset_free(rs.held);
        return -1;
    }
    e->resuming = rs.resuming;
    e->out.sum->job_resumed = rs.resuming;
    e->out.sum->job_runs = rs.runs;
    if (rs.spent_usd > 0) /* the budget is the job's: what earlier runs of it spent counts */
        e->cost.budget.spent = rs.spent_usd;
    e->use_cache = rs.use_cache;
    e->replay_held = rs.held;
    e->out.held = rs.held;
    long open = e->o->batch_api ? 0 : journal_chunk_foreach(e->journal, 1, NULL, NULL);
    if (open > 0) /* an online run passes over batched items: only a batch run collects */
        log_message(VB_LOG_WARNING,
                    "the journal has %ld provider batches open: their items are not sent by "
                    "this run; run with --batch-api to collect them",
                    open);
    return 0;
}

int engine_setup(engine_t *e, const vb_options_t *o, const engine_shared_t *shared, vbclock_t clock,
                 vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->o = o;
    /* the one place a provider is chosen */
    e->provider = o->provider ? provider_find(o->provider) : provider_for_url(o->base_url);
    if (!e->provider) {
        snprintf(err, errlen, "unknown provider '%s' (openai, anthropic or gemini)", o->provider);
        return -1;
    }
    e->clock = clock;
    e->out.fn = fn;
    e->out.userdata = userdata;
    e->out.sum = summary;
    memset(summary, 0, sizeof *summary);
    summary->job_cost_usd = -1;
    atomic_init(&e->skip_all, 0);
    e->started_ns = clock_now(&e->clock);
    e->rng = clock_now(&e->clock) | 1;
    outage_settings_t health = outage_defaults(o->unreachable_timeout_s);
    outage_init(&e->outage, &health);
    admit_settings_t as = {.rpm = o->rpm,
                           .tpm = o->tpm,
                           .burst = o->burst,
                           .kind = strcmp(o->limiter, "window") == 0 ? RATELIMIT_WINDOW
                                                                     : RATELIMIT_GCRA,
                           .concurrency = o->concurrency,
                           .pause_base_s = o->retry_base_s > 0 ? o->retry_base_s : 0.5,
                           .pause_max_s = o->retry_max_s > 0 ? o->retry_max_s : 30,
                           .ramp_s = e->provider->limit_ramp_s,
                           .no_limit_headers = e->provider->no_limit_headers};
    if (!(e->latency = calloc(1, sizeof *e->latency)))
        goto oom;
    if (transfer_pool_init(&e->pool, e->provider, o, e->clock, err, errlen) != 0)
        return -1;
    if (structured_init(&e->structured, e->provider, o->json_object, o->schema, err, errlen) != 0)
        return -1;
    /* batch output lines are not the JSONL lines dedupe and the cache rewrite */
    e->out.batch_output = strcmp(o->output_format, "openai-batch") == 0;
    if (job_cost_open(&e->cost, o, summary, err, errlen) != 0)
        return -1;
    if (o->journal && engine_open_journal(e, err, errlen) != 0)
        return -1;
    /* the batch API dedupes through the journal (journal_batch_first_by_key): a copy
     * waits for its first across runs, for hours */
    if (!o->no_dedupe && !e->out.batch_output && !o->batch_api &&
        !(e->dedupe = e->out.dedupe = dedupe_new()))
        goto oom;
    if (!(e->admit = admit_new(&as)) || !(e->retries = retryq_new((size_t)o->concurrency * 2)))
        goto oom;
    if (shared && shared->limits)
        admit_set_shared(e->admit, shared->limits);
    if (shared) {
        e->cost.budget.shared = shared->budget;
        e->out.cache = o->no_cache || e->out.batch_output ? NULL : shared->cache;
    }
    if (structured_prompt(&e->structured, o->prompt, &e->hinted) < 0)
        goto oom;
    if (template_build(e, err, errlen) != 0)
        return -1;
    const provider_image_limits_t *lim = &e->provider->limits;
    if (lim->max_images > 0 && o->batch_size > lim->max_images) {
        snprintf(err, errlen, "%s takes at most %ld images per request: --batch-size %ld is too many",
                 e->provider->name, lim->max_images, o->batch_size);
        return -1;
    }
    size_t max_body = o->batch_max_bytes;
    if (lim->max_request_bytes > 0 && lim->max_request_bytes < max_body)
        max_body = lim->max_request_bytes; /* the provider's own cap on a request */
    e->group_settings = (group_settings_t){.size = o->batch_size,
                                           .max_body_bytes = max_body,
                                           .provider = e->provider,
                                           .body = &e->group_body,
                                           .template = &e->tmpl};
    if (o->batch_size > 1 && !(e->group = group_new(&e->group_settings)))
        goto oom;
    /* The queue holds as many prepared requests as can be in flight: enough to keep the
     * window full, and what bounds memory. */
    size_t capacity = (size_t)(o->concurrency < 8 ? 8 : o->concurrency);
    if (!(e->ready = queue_new(capacity, wake_loop, e->pool.multi)))
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void engine_teardown(engine_t *e)
{
    request_t *r;
    while (e->ready && (r = queue_try_pop(e->ready)))
        request_free(r);
    request_free(e->next);
    e->next = NULL;
    group_free(e->group);
    retryq_free(e->retries);
    input_counter_free(e->counter);
    journal_close(e->journal);
    idset_free(e->replay_held);
    job_cost_clear(&e->cost);
    dedupe_free(e->dedupe);
    admit_free(e->admit);
    queue_free(e->ready);
    body_template_clear(&e->tmpl);
    structured_clear(&e->structured);
    free(e->hinted);
    transfer_pool_clear(&e->pool);
    free(e->latency);
    memset(e, 0, sizeof *e);
}

