/* cli.h - the subcommands of the visionbatch program. */
#ifndef VB_CLI_H
#define VB_CLI_H

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

/* visionbatch status [--json] JOURNAL */
int cli_status(int argc, char **argv);

/* visionbatch export [--format jsonl|csv] [-o FILE] JOURNAL */
int cli_export(int argc, char **argv);

/* visionbatch estimate [options] INPUT... : images, tokens, cost and time, nothing sent */
int cli_estimate(int argc, char **argv);

/* visionbatch report [-o FILE] JOURNAL : a self-contained HTML report of a job */
int cli_report(int argc, char **argv);

#endif
