/* progress.h - how a run is going, on standard error, from the engine's statistics.
 *
 * Four forms: a one-line bar redrawn in place on a terminal (at most 10 times a second,
 * as wide as the terminal is now), a plain log line every few seconds for files and
 * pipes (no control characters), one JSON object a line for machines, or nothing.
 * Everything runs on the thread that calls progress_update (the engine's loop thread):
 * each update is at most one write(2) and never waits for anything else. */
#ifndef VB_PROGRESS_H
#define VB_PROGRESS_H

#include <visionbatch.h>

typedef enum {
    PROGRESS_AUTO = 0, /* bar on a terminal, log otherwise */
    PROGRESS_BAR,
    PROGRESS_LOG,
    PROGRESS_JSON,
    PROGRESS_NONE,
} progress_mode_t;

typedef struct progress progress_t;

/* Parses "auto", "bar", "log", "json" or "none". Returns 0, or -1 for anything else. */
int progress_mode_parse(const char *text, progress_mode_t *mode);

/* Creates a display writing to fd. AUTO becomes BAR when fd is a terminal, LOG otherwise.
 * interval_s is the time between log and JSON lines. NULL when out of memory; free with
 * progress_free. */
progress_t *progress_new(progress_mode_t mode, int fd, double interval_s);

/* Takes a snapshot; draws when it is time to. The final one is kept, not drawn: the
 * run's caller draws it with progress_end once it knows how the run ended. */
void progress_update(progress_t *p, const vb_stats_t *s);

/* Draws the final snapshot (the bar's ends with a newline), its last word saying how the
 * run ended: end is "done" (it finished), "stopped" (a fatal error), "cancelled"
 * (Ctrl-C/SIGTERM), "budget" (the budget ran out) or "submitted". The ETA is shown only
 * when done. A no-op when NULL, already ended or no final snapshot came. */
void progress_end(progress_t *p, const char *end);

/* Someone else is about to write to the terminal the bar is on (results going to the
 * same terminal): clears the bar's line now and draws it again at the next update, so
 * the bar stays below what was written. A no-op for other modes. */
void progress_interrupt(progress_t *p);

/* Formats the line the bar would show for s into buf (at most width columns, no control
 * characters), given the recent rate in images per second (< 0: not known yet). Exposed
 * for tests. */
void progress_format_line(char *buf, size_t len, const vb_stats_t *s, double rate, int width);

/* Frees the display. NULL is a no-op. */
void progress_free(progress_t *p);

#endif
