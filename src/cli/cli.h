/* cli.h - the subcommands of the visionbatch program. */
#ifndef VB_CLI_H
#define VB_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct config;
struct cli_monitor;

/* Exit statuses, shared by every subcommand. */
enum {
    EXIT_ALL_OK = 0,      /* every item succeeded */
    EXIT_SOME_FAILED = 1, /* finished, some items failed */
    EXIT_USAGE = 2,       /* bad usage or configuration */
    EXIT_STOPPED = 3,     /* a fatal error (rejected key, no quota) stopped the run */
    EXIT_BUDGET = 4,      /* the budget was used up: the rest was skipped */
};

/* visionbatch run [options] INPUT... ; argv[0] is "run". Returns an exit status. */
int cli_run(int argc, char **argv);

/* visionbatch cancel [options] JOURNAL: a --batch-api job's open batches (cli_cancel.c) */
int cli_cancel(int argc, char **argv);

/* visionbatch status [--json] JOURNAL */
int cli_status(int argc, char **argv);

/* visionbatch export [--format jsonl|csv] [-o FILE] JOURNAL */
int cli_export(int argc, char **argv);

/* visionbatch estimate [options] INPUT... : images, tokens, cost and time, nothing sent */
int cli_estimate(int argc, char **argv);

/* `visionbatch estimate --help`: what a dry run counts (cli_estimate.c). */
void cli_estimate_usage(FILE *out);

/* A dry run (estimate, run --dry-run) of the job c describes over inputs, after its
 * options were read into c: prints what a run would send and cost as text, and as JSON
 * to json_path when set ("-": on standard output instead of the text); quiet: the error
 * items are not listed. Sends nothing. Returns an exit status. */
int cli_dry_run(const struct config *c, int ninputs, char **inputs, const char *json_path,
                bool quiet);

/* visionbatch worker --redis URL --job NAME [options]: works on a distributed job */
int cli_worker(int argc, char **argv);

/* A run with --redis, or a worker, after its options were read into c (cli_redis_run.c):
 * inputs are published first (run), then the job's items are worked on, shown by mon
 * (progress, Ctrl-C acknowledged, summary) as a plain run is; the caller stops mon. */
int cli_redis_run(struct config *c, int ninputs, char **inputs, struct cli_monitor *mon,
                  bool worker);

/* Whether argv holds --redis (status and export then read a distributed job). */
bool cli_redis_wanted(int argc, char **argv);

/* Overwrites the password of every --redis URL in argv, so ps does not show it. */
void cli_redis_hide_password(int argc, char **argv);

/* visionbatch status|export --redis URL --job NAME (cli_redis.c) */
int cli_redis_status(int argc, char **argv, bool export);
/* visionbatch report [-o FILE] JOURNAL : a self-contained HTML report of a job */
int cli_report(int argc, char **argv);

#endif
