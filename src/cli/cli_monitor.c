/* cli_monitor.c - progress, metrics, summary and --stats-json for `visionbatch run`. */
#include "cli_monitor.h"

#include "summary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_monitor_init(cli_monitor_t *m)
{
    memset(m, 0, sizeof *m);
    m->mode = PROGRESS_AUTO;
    m->interval_s = 10;
    m->metrics_port = -1;
}

/* Parses value as a number from min to max into *out; prints why not and returns -1. */
static int parse_number(const char *name, const char *value, double min, double max,
                        const char *what, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (!errno && end != value && !*end && isfinite(d) && d >= min && d <= max) {
        *out = d;
        return 0;
    }
    fprintf(stderr, "visionbatch run: --%s must be %s, not '%s'\n", name, what, value);
    return -1;
}

int cli_monitor_flag(cli_monitor_t *m, const char *name, const char *value)
{
    double port;
    if (strcmp(name, "progress") == 0) {
        if (progress_mode_parse(value, &m->mode) == 0)
            return 0;
        fprintf(stderr, "visionbatch run: --progress must be auto, bar, log, json or none, "
                        "not '%s'\n",
                value);
        return -1;
    }
    if (strcmp(name, "progress-interval") == 0)
        return parse_number(name, value, 0.1, 86400, "seconds from 0.1 to 86400",
                            &m->interval_s);
    if (strcmp(name, "metrics-linger") == 0)
        return parse_number(name, value, 0, 3600, "seconds from 0 to 3600",
                            &m->metrics_linger_s);
    if (strcmp(name, "metrics-port") == 0) {
        if (parse_number(name, value, 0, 65535, "a port from 0 (any free one) to 65535",
                         &port) != 0)
            return -1;
        if (port != (double)(long)port) {
            fprintf(stderr, "visionbatch run: --metrics-port must be a whole number\n");
            return -1;
        }
        m->metrics_port = (long)port;
        return 0;
    }
    if (strcmp(name, "stats-json") == 0) {
        m->stats_json = value;
        return 0;
    }
    return -1;
}

/* Once after the first Ctrl-C/SIGTERM: one line at once on stderr saying what the run
 * waits for, above the bar. Quiet runs say it too: the user pressed a key and must see
 * that it was heard. On the loop thread, so it can read what is in flight. */
static void tell_stopping(cli_monitor_t *m, const vb_stats_t *s)
{
    char line[256];
    m->stop_told = true;
    progress_interrupt(m->progress);
    if (s->in_flight > 0)
        snprintf(line, sizeof line,
                 "visionbatch: stopping: waiting up to %g s for %ld request%s in flight "
                 "(Ctrl-C again to quit now)\n",
                 m->grace_s, s->in_flight, s->in_flight == 1 ? "" : "s");
    else
        snprintf(line, sizeof line, "visionbatch: stopping (Ctrl-C again to quit now)\n");
    fputs(line, stderr);
    fflush(stderr);
}

/* Once the input is counted, a resumed job says so, on one line above the display:
 * "resuming job: 107 of 250 done, 143 to send" (done: the results of earlier runs it
 * replayed; to send: the rest of the input, some of which copies or the cache may answer). */
static void tell_resume(cli_monitor_t *m, const vb_stats_t *s)
{
    if (m->resume_told || m->quiet || !s->resuming || (s->total < 0 && !s->final))
        return;
    m->resume_told = true;
    progress_interrupt(m->progress);
    if (s->total >= 0)
        fprintf(stderr, "resuming job: %ld of %ld done, %ld to send\n", s->replayed, s->total,
                s->total > s->replayed ? s->total - s->replayed : 0);
    else
        fprintf(stderr, "resuming job: %ld done\n", s->replayed);
}

/* The job's on_stats hook, on the engine's loop thread: the stopping and resume lines,
 * one copy for the endpoint, one line (or none) for the display. */
static void on_stats(const vb_stats_t *s, void *arg)
{
    cli_monitor_t *m = arg;
    if (m->stop_signal && *m->stop_signal && !m->stop_told)
        tell_stopping(m, s);
    tell_resume(m, s);
    if (m->metrics)
        metrics_publish(m->metrics, s);
    if (m->progress)
        progress_update(m->progress, s);
}

int cli_monitor_start(cli_monitor_t *m, vb_options_t *o)
{
    progress_mode_t mode = m->quiet ? PROGRESS_NONE : m->mode;
    if (mode != PROGRESS_NONE && !(m->progress = progress_new(mode, STDERR_FILENO, m->interval_s))) {
        fprintf(stderr, "visionbatch: out of memory\n");
        return -1;
    }
    if (m->metrics_port >= 0) {
        char err[256];
        if (!(m->metrics = metrics_start((unsigned)m->metrics_port, err, sizeof err))) {
            fprintf(stderr, "visionbatch: %s\n", err);
            return -1;
        }
        if (!m->quiet || m->metrics_port == 0) /* a picked port must be told */
            fprintf(stderr, "metrics on http://127.0.0.1:%u/metrics\n", metrics_port(m->metrics));
    }
    if (!m->progress && !m->metrics && !m->stop_signal && m->quiet) /* else the hook speaks */
        return 0;
    /* snapshots 10 times a second whatever the display's interval: it keeps its own
     * time, and a log line is then late by 0.1 s at most */
    o->on_stats = on_stats;
    o->stats_userdata = m;
    o->stats_interval_s = 0.1;
    return 0;
}

int cli_monitor_finish(cli_monitor_t *m, const vb_summary_t *s)
{
    if (!m->quiet)
        summary_print(stderr, s);
    if (m->stats_json) {
        char err[512];
        if (summary_write_json(m->stats_json, s, err, sizeof err) != 0) {
            fprintf(stderr, "visionbatch: %s\n", err);
            return -1;
        }
    }
    return 0;
}

const char *cli_monitor_end_word(vb_run_status_t rs)
{
    switch (rs) {
    case VB_RUN_STOPPED:
        return "stopped";
    case VB_RUN_CANCELLED:
        return "cancelled";
    case VB_RUN_BUDGET:
        return "budget";
    case VB_RUN_SUBMITTED:
        return "submitted";
    default:
        return "done";
    }
}

void cli_monitor_end(cli_monitor_t *m, const char *end)
{
    progress_end(m->progress, end);
}

void cli_monitor_stop(cli_monitor_t *m)
{
    if (m->metrics && m->metrics_linger_s > 0) {
        struct timespec ts = {(time_t)m->metrics_linger_s,
                              (long)((m->metrics_linger_s - (double)(time_t)m->metrics_linger_s) *
                                     1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    metrics_stop(m->metrics);
    m->metrics = NULL;
    progress_free(m->progress);
    m->progress = NULL;
}
