/* cli_redis_run.c - distributed jobs on Redis: `visionbatch run --redis URL --job NAME
 * INPUT...` (publish, then work) and `visionbatch worker --redis URL --job NAME` (work),
 * through the library's vb_redis_* calls. */
#include "cli.h"
#include "cli_monitor.h"
#include "config.h"
#include "results_file.h"
#include "summary.h"

#include <visionbatch.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_VISIBILITY_S 60.0

/* The running job, for the signal handler; and the first signal received. */
static vb_job_t *volatile running_job;
static volatile sig_atomic_t first_signal;

/* First SIGINT/SIGTERM: stop taking items, let in-flight ones finish and be stored
 * (items not finished are not acknowledged: other workers take them). Second: exit. */
static void on_signal(int sig)
{
    if (first_signal)
        _exit(128 + sig);
    first_signal = sig;
    if (running_job)
        vb_job_cancel(running_job);
}

/* The library stored the result in Redis first; this keeps the local copy (-o FILE). */
static void on_result(const vb_result_t *r, void *arg)
{
    results_file_t *out = arg;
    if (out && results_file_write(out, r->line) != 0)
        fprintf(stderr, "visionbatch: cannot write the result of %s\n", r->id);
}

/* A worker takes the job's parameters; one it was given explicitly that differs (not
 * the default, not the job's) is refused. The strings stay in c (config_set). */
static int adopt_params(config_t *c, const vb_redis_params_t *p, char *err, size_t errlen)
{
    vb_options_t def;
    vb_options_init(&def);
    const char *conflict = NULL;
    if (config_named_provider(c) && strcmp(config_named_provider(c), p->provider))
        conflict = "--provider";
    else if (c->o.model && strcmp(c->o.model, p->model))
        conflict = "--model";
    else if (strcmp(c->o.prompt, def.prompt) && strcmp(c->o.prompt, p->prompt))
        conflict = "--prompt";
    else if (strcmp(c->o.detail, def.detail) && strcmp(c->o.detail, p->detail))
        conflict = "--detail";
    else if (c->o.max_tokens != def.max_tokens && c->o.max_tokens != p->max_tokens)
        conflict = "--max-tokens";
    else if (c->o.max_side != def.max_side && c->o.max_side != p->max_side)
        conflict = "--max-side";
    else if (c->o.budget_usd != def.budget_usd && c->o.budget_usd != p->budget_usd)
        conflict = "--budget";
    else if (c->o.batch_size != def.batch_size && c->o.batch_size != p->batch_size)
        conflict = "--batch-size";
    else if (c->o.json_object && !p->json_object)
        conflict = "--json";
    else if (c->o.json_retries != def.json_retries && c->o.json_retries != p->json_retries)
        conflict = "--json-retries";
    else if (c->o.system && (!p->system || strcmp(c->o.system, p->system)))
        conflict = "--system";
    else if (c->o.temperature >= 0 && c->o.temperature != p->temperature)
        conflict = "--temperature";
    else if (c->o.seed != VB_SEED_NONE && c->o.seed != p->seed)
        conflict = "--seed";
    char mt[32], ms[32], bu[64], bs[32], jr[32];
    snprintf(bs, sizeof bs, "%ld", p->batch_size);
    snprintf(jr, sizeof jr, "%ld", p->json_retries);
    snprintf(mt, sizeof mt, "%ld", p->max_tokens);
    snprintf(ms, sizeof ms, "%ld", p->max_side);
    snprintf(bu, sizeof bu, "%.12g", p->budget_usd);
    if (conflict) {
        snprintf(err, errlen,
                 "%s differs from the job's (%.300s): a worker uses the job's "
                 "parameters; leave it out",
                 conflict, p->json);
        return -1;
    }
    if (config_set(c, "provider", p->provider, "job", err, errlen) == 0 &&
        config_set(c, "model", p->model, "job", err, errlen) == 0 &&
        config_set(c, "prompt", p->prompt, "job", err, errlen) == 0 &&
        config_set(c, "detail", p->detail, "job", err, errlen) == 0 &&
        config_set(c, "max-tokens", mt, "job", err, errlen) == 0 &&
        config_set(c, "max-side", ms, "job", err, errlen) == 0 &&
        config_set(c, "budget", bu, "job", err, errlen) == 0 &&
        config_set(c, "batch-size", bs, "job", err, errlen) == 0 &&
        config_set(c, "json", p->json_object ? "true" : "false", "job", err, errlen) == 0 &&
        config_set(c, "json-retries", jr, "job", err, errlen) == 0 &&
        (!p->system || config_set(c, "system", p->system, "job", err, errlen) == 0)) {
        c->o.temperature = p->temperature; /* the job's, checked when it was created */
        c->o.seed = p->seed;
        return config_choose_provider(c, err, errlen); /* its base URL and key */
    }
    return -1;
}

/* Publishes the inputs of a run. Returns 0, or -1 after a message. */
static int publish(vb_redis_t *r, const char *name, int ninputs, char **inputs, bool quiet)
{
    char err[512];
    long added = 0;
    for (int i = 0; i < ninputs; i++) {
        if (vb_redis_add_input(r, inputs[i], err, sizeof err) != 0) {
            fprintf(stderr, "visionbatch: input %s\n", err);
            return -1;
        }
    }
    if (vb_redis_publish(r, &added, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
        return -1;
    }
    if (!quiet)
        fprintf(stderr, "visionbatch: job %s: %ld new items published\n", name, added);
    return 0;
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
    case VB_RUN_SUBMITTED: /* workers never use the batch API */
        return EXIT_ALL_OK;
    }
    return EXIT_USAGE;
}

int cli_redis_run(config_t *c, int ninputs, char **inputs, cli_monitor_t *mon, bool worker)
{
    bool quiet = mon->quiet;
    char err[512];
    int status = EXIT_USAGE;
    vb_redis_t *r = NULL;
    vb_job_t *job = NULL;
    results_file_t *out = NULL;
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
    /* the display hooks the options before the job is made of them; Ctrl-C is then
     * acknowledged as in a plain run */
    mon->stop_signal = &first_signal;
    mon->grace_s = c->o.grace_s;
    if (cli_monitor_start(mon, &c->o) != 0)
        return EXIT_USAGE;
    /* a run checks its options as a local run does before anything reaches Redis; a
     * worker once it has taken the job's */
    if ((!worker && !(job = vb_job_new(&c->o, err, sizeof err))) ||
        !(r = vb_redis_open(c->redis_url, c->job_name, err, sizeof err)))
        goto fail;
    if (worker) {
        vb_redis_params_t params;
        if (vb_redis_join(r, &params, err, sizeof err) != 0 ||
            adopt_params(c, &params, err, sizeof err) != 0 ||
            !(job = vb_job_new(&c->o, err, sizeof err)))
            goto fail;
    } else {
        if (vb_redis_create(r, &c->o, err, sizeof err) != 0)
            goto fail;
        if (publish(r, c->job_name, ninputs, inputs, quiet) != 0)
            goto out;
    }
    if (vb_job_set_redis(job, r, visibility, err, sizeof err) != 0)
        goto fail;
    if (c->output_path && strcmp(c->output_path, "-") != 0 &&
        !(out = results_file_open(c->output_path, err, sizeof err)))
        goto fail;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    running_job = job;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!quiet)
        fprintf(stderr, "visionbatch: worker %s on job %s at Redis %s\n", vb_redis_consumer(r),
                c->job_name, vb_redis_server(r));
    vb_summary_t summary;
    vb_run_status_t rs = vb_job_run(job, on_result, out, &summary, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    running_job = NULL;
    int monitored = 0;
    if (rs != VB_RUN_CONFIG) {
        cli_monitor_end(mon, cli_monitor_end_word(rs));
        monitored = cli_monitor_finish(mon, &summary);
    }
    if (!quiet && rs != VB_RUN_CONFIG) {
        vb_redis_counts_t n;
        vb_redis_counts(r, &n);
        char line[256];
        snprintf(line, sizeof line,
                 "redis        %ld results stored by this worker, %ld items taken over "
                 "from other workers%s\n",
                 n.stored, n.reclaimed, n.lost ? " (some not stored)" : "");
        summary_print_folded(stderr, line);
    }
    status = exit_status(rs, err);
    if (monitored != 0 && status == EXIT_ALL_OK) /* --stats-json not written */
        status = EXIT_SOME_FAILED;
    goto out;
fail:
    fprintf(stderr, "visionbatch: %s\n", err);
    status = EXIT_USAGE;
out:
    if (out && results_file_close(out, err, sizeof err) != 0)
        fprintf(stderr, "visionbatch: %s\n", err);
    vb_job_free(job);
    vb_redis_free(r);
    return status;
}
