/* progress.c - the progress bar, log lines and JSON lines on standard error. */
#include "progress.h"

#include <jansson.h>
#include <stdarg.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_MIN_GAP_S 0.1 /* at most 10 redraws a second */
#define RATE_WINDOW_S 10.0
#define RATE_STEP_S 0.5
#define RATE_RING 24 /* RATE_WINDOW_S / RATE_STEP_S samples, and a few more */
#define LINE_MAX 512
#define BAR_MIN 10 /* the narrowest bar worth drawing, in columns */
#define BAR_MAX 30

typedef struct rate_sample {
    double t;
    long n;
} rate_sample_t;

struct progress {
    progress_mode_t mode;
    int fd;
    double interval_s;
    double drawn_at; /* elapsed_s of the last line; < 0 before the first */
    bool ended;
    bool has_final;       /* the run's last snapshot is held for progress_end */
    vb_stats_t final;     /* that snapshot */
    double final_rate;
    rate_sample_t ring[RATE_RING];
    size_t head, count;
};

int progress_mode_parse(const char *text, progress_mode_t *mode)
{
    static const char *const names[] = {"auto", "bar", "log", "json", "none"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i]) == 0) {
            *mode = (progress_mode_t)i;
            return 0;
        }
    }
    return -1;
}

progress_t *progress_new(progress_mode_t mode, int fd, double interval_s)
{
    progress_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (mode == PROGRESS_AUTO)
        mode = isatty(fd) ? PROGRESS_BAR : PROGRESS_LOG;
    p->mode = mode;
    p->fd = fd;
    p->interval_s = interval_s > 0 ? interval_s : 10;
    p->drawn_at = -1;
    return p;
}

void progress_free(progress_t *p)
{
    free(p);
}

/* Images finished by this run's requests per second over the last RATE_WINDOW_S; -1
 * until there is half a second to measure over. Replayed results do not count: they
 * arrive all at once at the start. */
static double progress_rate(progress_t *p, const vb_stats_t *s)
{
    long n = s->done - s->replayed;
    const rate_sample_t *last = p->count ? &p->ring[(p->head + RATE_RING - 1) % RATE_RING] : NULL;
    if (!last || s->elapsed_s - last->t >= RATE_STEP_S) {
        p->ring[p->head] = (rate_sample_t){s->elapsed_s, n};
        p->head = (p->head + 1) % RATE_RING;
        if (p->count < RATE_RING)
            p->count++;
    }
    /* the oldest sample still inside the window */
    for (size_t i = p->count; i > 0; i--) {
        const rate_sample_t *o = &p->ring[(p->head + RATE_RING - i) % RATE_RING];
        if (s->elapsed_s - o->t > RATE_WINDOW_S)
            continue;
        double dt = s->elapsed_s - o->t;
        if (dt >= RATE_STEP_S)
            return (double)(n - o->n) / dt;
        break;
    }
    return s->elapsed_s >= RATE_STEP_S ? (double)n / s->elapsed_s : -1;
}

/* Seconds as "45s", "2:03" or "1:02:03". */
static void format_duration(char *buf, size_t len, double s)
{
    if (!(s >= 0) || s > 360000) {
        snprintf(buf, len, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, len, "%lds", t);
    else if (t < 3600)
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* Appends printf-style text to buf at *at, never past len. */
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    if (*at >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, len - *at, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

/* Whether s is a --batch-api run's: batches are out or in. Its line then shows the
 * batches instead of requests in flight, retries and 429s, which a batch does not have. */
static bool batch_mode(const vb_stats_t *s)
{
    return s->batch_open > 0 || s->batch_collected > 0;
}

/* The batch fields of a --batch-api run's line: batches open and collected, lines the
 * provider has finished of those in open batches, and the next poll. */
static void format_batch_fields(char *batches, char *lines, char *poll, size_t len,
                                const vb_stats_t *s, bool compact)
{
    snprintf(batches, len, compact ? "batches %ld open %ld in" : "batches %ld open, %ld collected",
             s->batch_open, s->batch_collected);
    snprintf(lines, len, compact ? "lines %ld/%ld" : "lines %ld/%ld done at the provider",
             s->batch_provider_done, s->batch_lines_open);
    if (s->batch_next_poll_s >= 0) {
        char when[32];
        format_duration(when, sizeof when, s->batch_next_poll_s);
        snprintf(poll, len, "%s %s", compact ? "poll in" : "next poll in", when);
    }
}

/* The figures of a line, without the bar: what both the bar and the log line say.
 * compact: single spaces and shorter words, for narrow terminals; then, while the line is
 * wider than width, whole fields are left out, the least telling first (a field is never
 * cut in the middle: a cut number would be a wrong number). width <= 0: no limit. */
static void format_figures(char *buf, size_t len, const vb_stats_t *s, double rate,
                           bool compact, int width, const char *end)
{
    enum { FLD_COUNT, FLD_RATE, FLD_ETA, FLD_FLY, FLD_OK, FLD_FAIL, FLD_RETRY, FLD_429, FLD_COST, FLD_LEFT, FLD_N };
    /* the order fields are given up in when room is short */
    static const int drop_order[] = {FLD_LEFT, FLD_RETRY, FLD_FLY, FLD_429, FLD_OK,
                                     FLD_COST, FLD_FAIL, FLD_ETA, FLD_RATE};
    char f[FLD_N][64];
    memset(f, 0, sizeof f);
    if (s->total >= 0)
        snprintf(f[FLD_COUNT], sizeof f[FLD_COUNT], "%ld/%ld %3.0f%%", s->done, s->total,
                 s->total ? 100.0 * (double)s->done / (double)s->total : 100.0);
    else
        snprintf(f[FLD_COUNT], sizeof f[FLD_COUNT], "%ld/?", s->done);
    if (rate >= 0)
        snprintf(f[FLD_RATE], sizeof f[FLD_RATE], "%.1f img/s", rate);
    else
        snprintf(f[FLD_RATE], sizeof f[FLD_RATE], "-- img/s");
    char eta[32] = "--";
    if (s->final)
        snprintf(eta, sizeof eta, "0s");
    else if (rate > 0 && s->total >= 0)
        format_duration(eta, sizeof eta, (double)(s->total - s->done) / rate);
    snprintf(f[FLD_ETA], sizeof f[FLD_ETA], "ETA %s", eta);
    if (s->final && end && strcmp(end, "done") != 0)
        f[FLD_ETA][0] = '\0'; /* a run that did not finish has no time left to tell */
    if (s->paused && !s->final) /* a 429's run-wide pause, or the endpoint unreachable */
        snprintf(f[FLD_ETA], sizeof f[FLD_ETA], "PAUSED");
    snprintf(f[FLD_FLY], sizeof f[FLD_FLY], "%s %ld", compact ? "sending" : "in flight",
             s->in_flight);
    snprintf(f[FLD_OK], sizeof f[FLD_OK], "ok %ld", s->ok);
    snprintf(f[FLD_FAIL], sizeof f[FLD_FAIL], "%s %ld", compact ? "fail" : "failed", s->failed);
    snprintf(f[FLD_RETRY], sizeof f[FLD_RETRY], "%s %ld", compact ? "retry" : "retrying",
             s->retrying);
    snprintf(f[FLD_429], sizeof f[FLD_429], "429s %ld", s->rate_limited);
    if (batch_mode(s)) /* in their places: what a batch has instead */
        format_batch_fields(f[FLD_FLY], f[FLD_RETRY], f[FLD_429], sizeof f[FLD_FLY], s,
                            compact);
    if (s->cost_usd >= 0)
        snprintf(f[FLD_COST], sizeof f[FLD_COST], "$%.4f", s->cost_usd);
    if (s->budget_usd > 0)
        snprintf(f[FLD_LEFT], sizeof f[FLD_LEFT], "(left $%.4f)", s->budget_left_usd);
    const char *gap = compact ? " " : "  ";
    for (size_t drop = 0;; drop++) {
        size_t at = 0;
        buf[0] = '\0';
        for (int i = 0; i < FLD_N; i++)
            if (f[i][0])
                append(buf, len, &at, "%s%s", at ? (i == FLD_LEFT ? " " : gap) : "", f[i]);
        if (width <= 0 || (int)strlen(buf) <= width || drop == sizeof drop_order / sizeof *drop_order)
            return;
        f[drop_order[drop]][0] = '\0';
    }
}

/* progress_format_line for the run's last line, ended by end (NULL: not known).
 * The bar itself goes before the figures that tell least: a narrow terminal keeps a bar of
 * BAR_MIN columns and gives up whole fields (format_figures' order) to make room for it;
 * only when the count, the percent and the end word alone fill the line is the bar left
 * out. */
static void format_line(char *buf, size_t len, const vb_stats_t *s, double rate, int width,
                        const char *end)
{
    char figures[LINE_MAX];
    size_t at = 0;
    if (width < 10)
        width = 10;
    int usable = width - 1; /* the last column is never written: no wrap at the edge */
    char word[32] = "";
    if (s->final && end)
        snprintf(word, sizeof word, " (%s)", end);
    int wordlen = (int)strlen(word);
    int reserve = s->total > 0 ? BAR_MIN + 3 : 0; /* "[" bar "] " */
    for (;;) {
        /* the roomy form when it fits, else the compact one */
        format_figures(figures, sizeof figures, s, rate, false, 0, end);
        int room_for_figures = usable - reserve - wordlen;
        if ((int)strlen(figures) > room_for_figures) /* (width 0 would mean no limit) */
            format_figures(figures, sizeof figures, s, rate, true,
                           room_for_figures > 0 ? room_for_figures : 1, end);
        if (reserve == 0 || (int)strlen(figures) + wordlen <= usable - reserve)
            break;
        reserve = 0; /* not even the count fits beside a bar: the count alone */
    }
    size_t figures_at = strlen(figures);
    append(figures, sizeof figures, &figures_at, "%s", word);
    int room = usable - (int)strlen(figures) - 3;
    buf[0] = '\0';
    if (reserve > 0 && room >= BAR_MIN) {
        int bar = room > BAR_MAX ? BAR_MAX : room;
        int full = (int)((double)bar * (double)s->done / (double)s->total + 1e-9);
        full = full > bar ? bar : full;
        append(buf, len, &at, "[");
        for (int i = 0; i < bar; i++)
            append(buf, len, &at, "%c", i < full ? '#' : '-');
        append(buf, len, &at, "] ");
    }
    append(buf, len, &at, "%s", figures);
    size_t cut = (size_t)usable; /* the count alone in a tiny terminal */
    if (cut < len && strlen(buf) > cut)
        buf[cut] = '\0';
}

void progress_format_line(char *buf, size_t len, const vb_stats_t *s, double rate, int width)
{
    format_line(buf, len, s, rate, width, s->final ? "done" : NULL);
}

/* The terminal's width now (read at every redraw, so a resize takes effect at once);
 * where fd is no terminal (--progress bar into a pipe), $COLUMNS as the shell exports it,
 * else 80. */
static int terminal_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *columns = getenv("COLUMNS");
    if (columns) {
        char *endp;
        long n = strtol(columns, &endp, 10);
        if (endp != columns && *endp == '\0' && n > 0 && n <= 1000)
            return (int)n;
    }
    return 80;
}

static void write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w <= 0)
            return; /* a closed or broken stderr is no reason to stop the run */
        buf += w;
        n -= (size_t)w;
    }
}

static void draw_bar(progress_t *p, const vb_stats_t *s, double rate, const char *end)
{
    char line[LINE_MAX], out[LINE_MAX + 16];
    format_line(line, sizeof line, s, rate, terminal_width(p->fd), end);
    /* \r, the line, erase to the end of the line (what was longer before) */
    int n = snprintf(out, sizeof out, "\r%s\x1b[K%s", line, s->final ? "\n" : "");
    write_all(p->fd, out, n > 0 && (size_t)n < sizeof out ? (size_t)n : strlen(out));
}

static void draw_log(progress_t *p, const vb_stats_t *s, double rate, const char *end)
{
    char figures[LINE_MAX], out[LINE_MAX + 64];
    format_figures(figures, sizeof figures, s, rate, false, 0, end);
    int n = snprintf(out, sizeof out, "progress: %s  elapsed %.0fs%s%s%s\n", figures,
                     s->elapsed_s, s->final && end ? "  (" : "", s->final && end ? end : "",
                     s->final && end ? ")" : "");
    write_all(p->fd, out, n > 0 && (size_t)n < sizeof out ? (size_t)n : strlen(out));
}

static void draw_json(progress_t *p, const vb_stats_t *s, double rate, const char *end)
{
    double eta = rate > 0 && s->total >= 0 ? (double)(s->total - s->done) / rate : -1;
    json_t *o = json_pack(
        "{s:f, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:b}",
        "elapsed_s", s->elapsed_s, "done", (json_int_t)s->done, "total", (json_int_t)s->total,
        "percent", s->total > 0 ? 100.0 * (double)s->done / (double)s->total : 0.0,
        "images_per_s", rate > 0 ? rate : 0.0, "eta_s", eta, "in_flight",
        (json_int_t)s->in_flight, "ok", (json_int_t)s->ok, "failed", (json_int_t)s->failed,
        "skipped", (json_int_t)s->skipped, "retrying", (json_int_t)s->retrying, "requests",
        (json_int_t)s->requests, "rate_limited", (json_int_t)s->rate_limited, "cost_usd",
        s->cost_usd, "budget_left_usd", s->budget_left_usd, "final", s->final);
    if (o) {
        json_object_set_new(o, "paused", json_boolean(s->paused));
        if (s->budget_usd <= 0) /* no budget: nothing is left or spent of one */
            json_object_set_new(o, "budget_left_usd", json_null());
        if (s->final) { /* how the run ended; a run that did not finish has no ETA */
            json_object_set_new(o, "end", end ? json_string(end) : json_null());
            json_object_set_new(o, "eta_s", end && strcmp(end, "done") == 0 ? json_real(0)
                                                                              : json_null());
        }
    }
    if (o && batch_mode(s)) {
        json_object_set_new(o, "batches_open", json_integer(s->batch_open));
        json_object_set_new(o, "batches_collected", json_integer(s->batch_collected));
        json_object_set_new(o, "batch_lines_open", json_integer(s->batch_lines_open));
        json_object_set_new(o, "batch_provider_done", json_integer(s->batch_provider_done));
        json_object_set_new(o, "next_poll_s", s->batch_next_poll_s >= 0
                                                  ? json_real(s->batch_next_poll_s)
                                                  : json_null());
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    if (text) {
        size_t n = strlen(text);
        write_all(p->fd, text, n);
        write_all(p->fd, "\n", 1);
    }
    free(text);
    json_decref(o);
}

/* Would a line-sized write(2) to fd go through without waiting? (POLLOUT on a pipe means
 * PIPE_BUF bytes fit, more than a line.) The loop thread must never wait on stderr. */
static bool writable_now(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT);
}

static void draw(progress_t *p, const vb_stats_t *s, double rate, const char *end)
{
    if (p->mode == PROGRESS_BAR)
        draw_bar(p, s, rate, end);
    else if (p->mode == PROGRESS_LOG)
        draw_log(p, s, rate, end);
    else
        draw_json(p, s, rate, end);
}

void progress_interrupt(progress_t *p)
{
    if (!p || p->mode != PROGRESS_BAR || p->ended || p->drawn_at < 0)
        return;
    write_all(p->fd, "\r\x1b[K", 4);
    p->drawn_at = -1; /* drawn again at the next update */
}

void progress_update(progress_t *p, const vb_stats_t *s)
{
    if (p->mode == PROGRESS_NONE || p->ended)
        return;
    double rate = progress_rate(p, s);
    double gap = p->mode == PROGRESS_BAR ? BAR_MIN_GAP_S : p->interval_s;
    if (!s->final && p->drawn_at >= 0 && s->elapsed_s - p->drawn_at < gap)
        return;
    if (!s->final && p->drawn_at < 0 && p->mode != PROGRESS_BAR && s->elapsed_s < gap)
        return; /* the first log line after one interval, not at once */
    if (!s->final && !writable_now(p->fd))
        return; /* a stalled terminal or a full pipe: skip, the next draw is newer anyway */
    if (s->final) { /* drawn by progress_end, once the run says how it ended */
        p->final = *s;
        p->final_rate = s->elapsed_s > 0 ? (double)(s->done - s->replayed) / s->elapsed_s : 0;
        p->has_final = true;
        return;
    }
    p->drawn_at = s->elapsed_s;
    draw(p, s, rate, NULL);
}

void progress_end(progress_t *p, const char *end)
{
    if (!p || p->mode == PROGRESS_NONE || p->ended || !p->has_final)
        return;
    p->ended = true;
    draw(p, &p->final, p->final_rate, end);
}
