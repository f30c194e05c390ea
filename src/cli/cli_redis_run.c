/* cli_redis_run.c - distributed jobs on Redis: `visionbatch run --redis URL --job NAME
 * INPUT...` (publish, then work) and `visionbatch worker --redis URL --job NAME` (work).
 *
 * Each process runs the ordinary engine over an input that reads the job's stream
 * (redis_queue.h), paces with the limiter every process of the key shares
 * (redis_limiter.h), holds the budget the job's processes share (redis_budget.h), looks
 * answers up in the shared result cache (redis_cache.h), and stores each result in
 * Redis before acknowledging its item (redis_store.h). */
#include "cli/cli.h"
#include "cli/config.h"
#include "send/engine.h"
#include "record/output.h"
#include "redis/redis_budget.h"
#include "redis/redis_cache.h"
#include "redis/redis_conn.h"
#include "redis/redis_limiter.h"
#include "redis/redis_queue.h"
#include "redis/redis_store.h"
#include "record/summary.h"

#include <jansson.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_VISIBILITY_S 60.0

static volatile sig_atomic_t cancel_flag;
static volatile sig_atomic_t first_signal;

/* First SIGINT/SIGTERM: stop taking items, let in-flight ones finish and be stored
 * (items not finished are not acknowledged: other workers take them). Second: exit. */
static void on_signal(int sig)
{
    if (first_signal)
        _exit(128 + sig);
    first_signal = sig;
    cancel_flag = 1;
}

typedef struct worker_ctx {
    redis_conn_t *conn;
    redis_job_t job;
    redis_source_t *source;
    output_t *out;   /* -o FILE: this process's own results too; NULL: none */
    long stored;     /* results this process stored first */
    long lost;       /* results it could not store (cancelled while Redis was away) */
} worker_ctx_t;

static const char *status_name(vb_status_t s)
{
    return s == VB_STATUS_OK ? "ok" : s == VB_STATUS_SKIPPED ? "skipped" : "failed";
}

/* The engine's result callback: store, then acknowledge (one script), then the local
 * copy. While Redis is away the store waits for it, which pauses this loop and so the
 * dispatch; nothing finished is dropped unless the run is cancelled meanwhile, and then
 * the item stays unacknowledged and goes to another worker. */
static void on_result(const vb_result_t *r, void *arg)
{
    worker_ctx_t *w = arg;
    char entry[64] = "";
    if (!r->id)
        return;
    redis_source_release(w->source, r->id, entry, sizeof entry);
    int rc = redis_store_result(w->conn, &w->job, r->id, r->line, status_name(r->status), entry);
    if (rc == 1)
        w->stored++;
    else if (rc < 0)
        w->lost++;
    if (w->out && output_write_line(w->out, r->line) != 0)
        fprintf(stderr, "visionbatch: cannot write the result of %s\n", r->id);
}

/* The parameters every worker of a job must share, as canonical JSON (sorted keys). */
static char *shared_params(const vb_options_t *o)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:I, s:b, s:I}", "model", o->model,
                          "prompt", o->prompt, "detail", o->detail, "max_tokens",
                          (json_int_t)o->max_tokens, "max_side", (json_int_t)o->max_side,
                          "budget", o->budget_usd, "batch_size", (json_int_t)o->batch_size,
                          "json", o->json_object, "json_retries",
                          (json_int_t)o->json_retries);
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    return text;
}

/* A worker takes the job's parameters; one it was given explicitly that differs (not
 * the default, not the job's) is refused. The strings stay in c (config_set). */
static int adopt_params(config_t *c, const char *stored, char *err, size_t errlen)
{
    json_error_t je;
    json_t *p = json_loads(stored, 0, &je);
    vb_options_t def;
    vb_options_init(&def);
    const char *model, *prompt, *detail;
    json_int_t max_tokens, max_side, batch_size, json_retries;
    double budget;
    int json_object;
    if (!p || json_unpack(p, "{s:s, s:s, s:s, s:I, s:I, s:F, s:I, s:b, s:I}", "model", &model,
                          "prompt", &prompt, "detail", &detail, "max_tokens", &max_tokens,
                          "max_side", &max_side, "budget", &budget, "batch_size", &batch_size,
                          "json", &json_object, "json_retries", &json_retries) != 0) {
        json_decref(p);
        snprintf(err, errlen, "the job's parameters in Redis cannot be read");
        return -1;
    }
    const char *conflict = NULL;
    if (strcmp(c->o.model, def.model) && strcmp(c->o.model, model))
        conflict = "--model";
    else if (strcmp(c->o.prompt, def.prompt) && strcmp(c->o.prompt, prompt))
        conflict = "--prompt";
    else if (strcmp(c->o.detail, def.detail) && strcmp(c->o.detail, detail))
        conflict = "--detail";
    else if (c->o.max_tokens != def.max_tokens && c->o.max_tokens != max_tokens)
        conflict = "--max-tokens";
    else if (c->o.max_side != def.max_side && c->o.max_side != max_side)
        conflict = "--max-side";
    else if (c->o.budget_usd != def.budget_usd && c->o.budget_usd != budget)
        conflict = "--budget";
    else if (c->o.batch_size != def.batch_size && c->o.batch_size != batch_size)
        conflict = "--batch-size";
    else if (c->o.json_object && !json_object)
        conflict = "--json";
    else if (c->o.json_retries != def.json_retries && c->o.json_retries != json_retries)
        conflict = "--json-retries";
    int rc = -1;
    char mt[32], ms[32], bu[64], bs[32], jr[32];
    snprintf(bs, sizeof bs, "%lld", (long long)batch_size);
    snprintf(jr, sizeof jr, "%lld", (long long)json_retries);
    snprintf(mt, sizeof mt, "%lld", (long long)max_tokens);
    snprintf(ms, sizeof ms, "%lld", (long long)max_side);
    snprintf(bu, sizeof bu, "%.12g", budget);
    if (conflict)
        snprintf(err, errlen, "%s differs from the job's (%.300s): a worker uses the job's "
                              "parameters; leave it out",
                 conflict, stored);
    else if (config_set(c, "model", model, "job", err, errlen) == 0 &&
             config_set(c, "prompt", prompt, "job", err, errlen) == 0 &&
             config_set(c, "detail", detail, "job", err, errlen) == 0 &&
             config_set(c, "max-tokens", mt, "job", err, errlen) == 0 &&
             config_set(c, "max-side", ms, "job", err, errlen) == 0 &&
             config_set(c, "budget", bu, "job", err, errlen) == 0 &&
             config_set(c, "batch-size", bs, "job", err, errlen) == 0 &&
             config_set(c, "json", json_object ? "true" : "false", "job", err, errlen) == 0 &&
             config_set(c, "json-retries", jr, "job", err, errlen) == 0)
        rc = 0;
    json_decref(p);
    return rc;
}

/* Checks o as vb_job_new does for a local run (URL policy, ranges, combinations), so a
 * distributed run refuses what a local one refuses. Returns 0, or -1 with err set. */
static int options_valid(const vb_options_t *o, char *err, size_t errlen)
{
    vb_job_t *job = vb_job_new(o, err, errlen);
    if (!job)
        return -1;
    vb_job_free(job);
    return 0;
}

/* host:pid, the worker's consumer name in the group. */
static void consumer_name(char *out, size_t outlen)
{
    char host[128] = "host";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    snprintf(out, outlen, "%s:%ld", host, (long)getpid());
}

/* Publishes the inputs of a run. Returns 0, or -1 after a message. */
static int publish(redis_conn_t *conn, const redis_job_t *job, int ninputs, char **inputs,
                   bool quiet)
{
    char err[512];
    input_t *in = input_new();
    if (!in) {
        fprintf(stderr, "visionbatch: out of memory\n");
        return -1;
    }
    for (int i = 0; i < ninputs; i++) {
        if (input_add(in, inputs[i], err, sizeof err) != 0) {
            fprintf(stderr, "visionbatch: input %s\n", err);
            input_free(in);
            return -1;
        }
    }
    long added = 0;
    int rc = redis_job_publish(conn, job, in, &added, err, sizeof err);
    input_free(in);
    if (rc != 0)
        fprintf(stderr, "visionbatch: %s\n", err);
    else if (!quiet)
        fprintf(stderr, "visionbatch: job %s: %ld new items published\n", job->name, added);
    return rc;
}

/* The exit status of a run's outcome. */
static int exit_status(vb_run_status_t rs, const char *err)
{
    switch (rs) {
    case VB_RUN_ALL_OK:
        return EXIT_ALL_OK;
    case VB_RUN_SOME_FAILED:
        return EXIT_SOME_FAILED;
    case VB_RUN_CONFIG:
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_USAGE;
    case VB_RUN_STOPPED:
        fprintf(stderr, "visionbatch: run stopped: %s\n", err);
        return EXIT_STOPPED;
    case VB_RUN_BUDGET:
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_BUDGET;
    case VB_RUN_CANCELLED:
        fprintf(stderr, "visionbatch: %s; items not finished go to the other workers\n", err);
        return 128 + (first_signal ? first_signal : SIGINT);
    }
    return EXIT_USAGE;
}

int cli_redis_run(config_t *c, int ninputs, char **inputs, bool quiet, bool worker)
{
    char err[512], consumer[200], limit_key[64];
    int status = EXIT_USAGE;
    worker_ctx_t w = {0};
    char *params = NULL, *stored = NULL;
    input_t *in = NULL;
    redis_cache_t *cache = NULL;
    double visibility = DEFAULT_VISIBILITY_S;

    if (!c->redis_url || !c->job_name) {
        fprintf(stderr, "visionbatch: %s needs --redis URL and --job NAME\n",
                worker ? "worker" : "run --redis");
        return EXIT_USAGE;
    }
    if (worker && ninputs > 0) {
        fprintf(stderr, "visionbatch worker: takes no INPUT: the job's items are in Redis\n");
        return EXIT_USAGE;
    }
    if (!worker && ninputs == 0) {
        fprintf(stderr, "visionbatch run: no INPUT given (see visionbatch run --help)\n");
        return EXIT_USAGE;
    }
    if (c->schema_path || strcmp(c->o.output_format, "jsonl") != 0) {
        fprintf(stderr, "visionbatch: --schema and --output-format openai-batch do not work "
                        "with --redis yet: a worker on another machine would not have them\n");
        return EXIT_USAGE;
    }
    if (c->visibility) {
        char *end;
        errno = 0;
        visibility = strtod(c->visibility, &end);
        if (errno || *end || !(visibility >= 1 && visibility <= 86400)) {
            fprintf(stderr, "visionbatch: --visibility-timeout must be 1 to 86400 seconds\n");
            return EXIT_USAGE;
        }
    }
    if ((!worker && options_valid(&c->o, err, sizeof err) != 0) ||
        redis_job_init(&w.job, c->job_name, err, sizeof err) != 0 ||
        !(w.conn = redis_conn_open(c->redis_url, &cancel_flag, err, sizeof err)))
        goto fail;
    if (worker) {
        if (redis_job_bind(w.conn, &w.job, "", false, &stored, err, sizeof err) != 0 ||
            adopt_params(c, stored, err, sizeof err) != 0 ||
            options_valid(&c->o, err, sizeof err) != 0)
            goto fail;
    } else {
        if (!(params = shared_params(&c->o))) {
            snprintf(err, sizeof err, "out of memory");
            goto fail;
        }
        if (redis_job_bind(w.conn, &w.job, params, true, &stored, err, sizeof err) != 0)
            goto fail;
        if (publish(w.conn, &w.job, ninputs, inputs, quiet) != 0)
            goto out;
    }
    consumer_name(consumer, sizeof consumer);
    if (!(w.source = redis_source_new(c->redis_url, &w.job, consumer, (long)(visibility * 1000),
                                      err, sizeof err)) ||
        !(in = input_new_source(&redis_source_ops, w.source))) {
        if (!w.source || !in)
            snprintf(err, sizeof err, "%s", w.source ? "out of memory" : err);
        goto fail;
    }
    if (!(cache = redis_cache_new(c->redis_url, &cancel_flag, err, sizeof err)))
        goto fail;
    if (c->output_path && strcmp(c->output_path, "-") != 0 &&
        !(w.out = output_open(c->output_path, err, sizeof err)))
        goto fail;

    vb_options_t o = c->o;
    o.journal = NULL; /* the job's state is in Redis */
    redis_limiter_key(o.base_url, o.api_key, limit_key, sizeof limit_key);
    redis_limiter_ctx_t lctx = {w.conn, limit_key};
    redis_budget_ctx_t bctx = {w.conn, w.job.budget};
    admit_shared_t limits = {redis_limiter_take, &lctx};
    budget_shared_t budget = {redis_budget_reserve, redis_budget_settle, &bctx};
    shared_cache_t results_cache;
    redis_cache_bind(cache, &results_cache);
    engine_shared_t shared = {&limits, &budget, &results_cache};

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!quiet)
        fprintf(stderr, "visionbatch: worker %s on job %s at Redis %s\n", consumer, w.job.name,
                redis_conn_name(w.conn));
    vb_summary_t summary;
    vb_run_status_t rs =
        engine_run_shared(&o, in, &cancel_flag, on_result, &w, &summary, &shared, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!quiet && rs != VB_RUN_CONFIG) {
        summary_print(stderr, &summary);
        fprintf(stderr, "redis        %ld results stored by this worker, %ld items taken over "
                        "from other workers%s\n",
                w.stored, redis_source_reclaimed(w.source), w.lost ? " (some not stored)" : "");
    }
    status = exit_status(rs, err);
    goto out;
fail:
    fprintf(stderr, "visionbatch: %s\n", err);
    status = EXIT_USAGE;
out:
    if (w.out && output_close(w.out, err, sizeof err) != 0)
        fprintf(stderr, "visionbatch: %s\n", err);
    input_free(in);
    redis_source_free(w.source);
    redis_cache_free(cache);
    redis_conn_free(w.conn);
    free(params);
    free(stored);
    return status;
}
