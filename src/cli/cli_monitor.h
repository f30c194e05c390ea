/* cli_monitor.h - what `visionbatch run` shows while and after it runs: the progress
 * display, the Prometheus endpoint, the summary and --stats-json. One on_stats hook of
 * the job feeds both live views. */
#ifndef VB_CLI_MONITOR_H
#define VB_CLI_MONITOR_H

#include "metrics.h"
#include "progress.h"

#include <visionbatch.h>

#include <signal.h>
#include <stdbool.h>

typedef struct cli_monitor {
    progress_mode_t mode;   /* --progress (auto) */
    double interval_s;      /* --progress-interval (10) */
    long metrics_port;      /* --metrics-port; -1 = no endpoint */
    double metrics_linger_s;/* --metrics-linger: serve the final figures this long */
    const char *stats_json; /* --stats-json FILE, or NULL */
    bool quiet;             /* --quiet: errors only */
    progress_t *progress;
    metrics_t *metrics;
    /* set by the CLI before cli_monitor_start: the first stop signal received (0: none),
     * written by its handler, and the --grace it gives; the hook says "stopping" once */
    volatile sig_atomic_t *stop_signal;
    double grace_s;
    bool stop_told;
    bool resume_told;       /* the "resuming job" line is out */
} cli_monitor_t;

/* Fills m with the defaults. */
void cli_monitor_init(cli_monitor_t *m);

/* Takes one of the monitor's flags (name without "--"). Returns 0, or -1 after printing
 * why the value is bad. */
int cli_monitor_flag(cli_monitor_t *m, const char *name, const char *value);

/* Starts the display and the endpoint and hooks them to o (before vb_job_new). Prints
 * "metrics on http://127.0.0.1:PORT/metrics" on stderr. Returns 0, or -1 after printing
 * why. */
int cli_monitor_start(cli_monitor_t *m, vb_options_t *o);

/* After the run: the summary on stderr (unless quiet) and --stats-json. Returns 0, or -1
 * after printing why the JSON could not be written. */
int cli_monitor_finish(cli_monitor_t *m, const vb_summary_t *s);

/* How a run that got its final snapshot ended, as the progress line's last word:
 * "done", "stopped", "cancelled", "budget" or "submitted". */
const char *cli_monitor_end_word(vb_run_status_t rs);

/* Draws the progress display's last line, its final word end (see progress_end). */
void cli_monitor_end(cli_monitor_t *m, const char *end);

/* Serves the final figures for --metrics-linger seconds (so a scraper's last scrape sees
 * the totals), then stops the endpoint and frees the display. */
void cli_monitor_stop(cli_monitor_t *m);

#endif
