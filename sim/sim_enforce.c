/* sim_enforce.c - GCRA, fixed 1 s, sliding 1 s and 60 s logs, and a 60 s token bucket. */
#include "sim_enforce.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "admit/ratelimit.h"

#define NS_PER_S      1000000000ULL
#define NS_PER_MIN    60e9
#define RECENT_SECS   60 /* the trailing window the headers describe, in 1 s buckets */
#define LOG_FIRST_CAP 64

typedef struct {
    uint64_t t; /* when it was admitted, ns */
    double w;   /* its weight */
} log_entry_t;

struct sim_enforce {
    sim_enforce_mode_t mode;
    double limit;   /* units a minute */
    double share;   /* what one window allows: limit / 60 (1 s modes) or limit */
    uint64_t phase; /* FIXED_1S: (wall time - now_ns) mod 1 s */

    ratelimit_t *gcra; /* GCRA, and BUCKET_60S: a GCRA limiter whose burst is the minute */

    /* FIXED_1S: the units taken in wall second number `sec` */
    uint64_t sec;
    double sec_used;

    /* SLIDING_1S, WINDOW_60S: the admitted requests of the last span_ns, oldest at head,
     * in a ring that doubles when full, up to SIM_ENFORCE_LOG_MAX entries */
    uint64_t span_ns;
    log_entry_t *log;
    size_t cap, head, n;
    double log_sum; /* the weights in the log */

    /* all but GCRA and WINDOW_60S (whose log is exact): units admitted in each of the
     * last 60 one-second buckets of the time line, for the headers */
    double recent[RECENT_SECS];
    uint64_t recent_newest; /* index (time / 1 s) of the newest bucket */
};

static const char *const mode_names[] = {
    [SIM_ENFORCE_GCRA] = "gcra",
    [SIM_ENFORCE_FIXED_1S] = "fixed-1s",
    [SIM_ENFORCE_SLIDING_1S] = "sliding-1s",
    [SIM_ENFORCE_WINDOW_60S] = "window-60s",
    [SIM_ENFORCE_BUCKET_60S] = "bucket-60s",
};

int sim_enforce_parse(const char *name, sim_enforce_mode_t *out)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (sim_enforce_mode_t)i;
            return 0;
        }
    }
    return -1;
}

const char *sim_enforce_name(sim_enforce_mode_t mode)
{
    return (size_t)mode < sizeof mode_names / sizeof mode_names[0] ? mode_names[mode] : "?";
}

sim_enforce_t *sim_enforce_new(sim_enforce_mode_t mode, double limit_per_min, double burst_s,
                               uint64_t wall_phase_ns)
{
    if (!(limit_per_min > 0))
        return NULL;
    sim_enforce_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->mode = mode;
    e->limit = limit_per_min;
    e->phase = wall_phase_ns % NS_PER_S;
    int one_second = mode == SIM_ENFORCE_FIXED_1S || mode == SIM_ENFORCE_SLIDING_1S;
    e->share = one_second ? limit_per_min / 60.0 : limit_per_min;
    switch (mode) {
    case SIM_ENFORCE_GCRA: {
        double burst = limit_per_min / 60.0 * burst_s;
        e->gcra = ratelimit_new(RATELIMIT_GCRA, limit_per_min, burst < 1 ? 1 : burst);
        if (!e->gcra)
            goto err;
        break;
    }
    case SIM_ENFORCE_SLIDING_1S:
    case SIM_ENFORCE_WINDOW_60S:
        e->span_ns = mode == SIM_ENFORCE_SLIDING_1S ? NS_PER_S : 60 * NS_PER_S;
        e->log = malloc(LOG_FIRST_CAP * sizeof *e->log);
        if (!e->log)
            goto err;
        e->cap = LOG_FIRST_CAP;
        break;
    case SIM_ENFORCE_BUCKET_60S:
        /* A token bucket of capacity N refilled at N/60 a second is GCRA with a burst of
         * N: the bucket's level is the burst less GCRA's debt, and both start full. */
        e->gcra = ratelimit_new(RATELIMIT_GCRA, limit_per_min, limit_per_min);
        if (!e->gcra)
            goto err;
        break;
    case SIM_ENFORCE_FIXED_1S:
        break;
    }
    return e;
err:
    sim_enforce_free(e);
    return NULL;
}

void sim_enforce_free(sim_enforce_t *e)
{
    if (!e)
        return;
    ratelimit_free(e->gcra);
    free(e->log);
    free(e);
}

/* --- the trailing 60 s, in one-second buckets ------------------------------------------ */

/* Moves the buckets so the newest is the one holding now_ns, clearing those that left the
 * last 60 s. */
static void recent_advance(sim_enforce_t *e, uint64_t now_ns)
{
    uint64_t idx = now_ns / NS_PER_S;
    if (idx <= e->recent_newest)
        return;
    uint64_t gap = idx - e->recent_newest;
    if (gap >= RECENT_SECS)
        memset(e->recent, 0, sizeof e->recent);
    else
        for (uint64_t i = 1; i <= gap; i++)
            e->recent[(e->recent_newest + i) % RECENT_SECS] = 0;
    e->recent_newest = idx;
}

/* Adds w (negative: takes it back) to now_ns's bucket. */
static void recent_add(sim_enforce_t *e, double w, uint64_t now_ns)
{
    recent_advance(e, now_ns);
    double *b = &e->recent[e->recent_newest % RECENT_SECS];
    *b += w;
    if (*b < 0)
        *b = 0;
}

static double recent_sum(sim_enforce_t *e, uint64_t now_ns)
{
    recent_advance(e, now_ns);
    double sum = 0;
    for (int i = 0; i < RECENT_SECS; i++)
        sum += e->recent[i];
    return sum;
}

/* --- FIXED_1S ---------------------------------------------------------------------------- */

/* The number of the wall second holding now_ns, and (out) the ns left until it ends. */
static uint64_t fixed_second(const sim_enforce_t *e, uint64_t now_ns, uint64_t *left_ns)
{
    uint64_t wall = now_ns + e->phase;
    *left_ns = NS_PER_S - wall % NS_PER_S;
    return wall / NS_PER_S;
}

static uint64_t fixed_admit(sim_enforce_t *e, double weight, uint64_t now_ns)
{
    uint64_t left;
    uint64_t sec = fixed_second(e, now_ns, &left);
    if (sec != e->sec) {
        e->sec = sec;
        e->sec_used = 0;
    }
    if (e->sec_used + weight <= e->share) {
        e->sec_used += weight;
        return 0;
    }
    return left; /* the count starts again at the boundary, and weight <= share */
}

/* --- SLIDING_1S, WINDOW_60S: a sliding log ---------------------------------------------- */

static log_entry_t *log_at(const sim_enforce_t *e, size_t i)
{
    return &e->log[(e->head + i) % e->cap];
}

/* Forgets the entries that are span_ns or more older than now_ns. */
static void log_prune(sim_enforce_t *e, uint64_t now_ns)
{
    while (e->n > 0 && now_ns - e->log[e->head].t >= e->span_ns) {
        e->log_sum -= e->log[e->head].w;
        e->head = (e->head + 1) % e->cap;
        e->n--;
    }
    if (e->n == 0)
        e->log_sum = 0; /* no rounding left behind */
}

/* Doubles the ring (up to SIM_ENFORCE_LOG_MAX), oldest entry first. Returns 0, or -1 when
 * it is at the cap or out of memory. */
static int log_grow(sim_enforce_t *e)
{
    if (e->cap >= SIM_ENFORCE_LOG_MAX)
        return -1;
    size_t cap = e->cap * 2 < SIM_ENFORCE_LOG_MAX ? e->cap * 2 : SIM_ENFORCE_LOG_MAX;
    log_entry_t *log = malloc(cap * sizeof *log);
    if (!log)
        return -1;
    for (size_t i = 0; i < e->n; i++)
        log[i] = *log_at(e, i);
    free(e->log);
    e->log = log;
    e->cap = cap;
    e->head = 0;
    return 0;
}

/* The ns from now_ns until entry i leaves the log (>= 1: the log is pruned). */
static uint64_t log_leaves_in(const sim_enforce_t *e, size_t i, uint64_t now_ns)
{
    uint64_t gone = log_at(e, i)->t + e->span_ns;
    return gone > now_ns ? gone - now_ns : 1;
}

static uint64_t log_admit(sim_enforce_t *e, double weight, uint64_t now_ns)
{
    log_prune(e, now_ns);
    if (e->log_sum + weight > e->share) {
        /* wait until enough of the oldest entries have left; weight <= share, so once
         * they all have it goes */
        double need = e->log_sum + weight - e->share;
        size_t i = 0;
        for (; i + 1 < e->n; i++) {
            need -= log_at(e, i)->w;
            if (need <= 0)
                break;
        }
        return log_leaves_in(e, i, now_ns);
    }
    if (e->n == e->cap && log_grow(e) != 0)
        return log_leaves_in(e, 0, now_ns); /* full: refuse rather than grow without end */
    *log_at(e, e->n) = (log_entry_t){.t = now_ns, .w = weight};
    e->n++;
    e->log_sum += weight;
    return 0;
}

static void log_refund(sim_enforce_t *e, double weight, uint64_t now_ns)
{
    if (e->n == 0)
        return;
    log_entry_t *last = log_at(e, e->n - 1);
    if (last->t != now_ns || last->w != weight)
        return; /* not the admission this undoes */
    e->n--;
    e->log_sum -= weight;
    if (e->n == 0)
        e->log_sum = 0;
}

/* --- the interface ------------------------------------------------------------------------ */

uint64_t sim_enforce_admit(sim_enforce_t *e, double weight, uint64_t now_ns)
{
    if (e->mode == SIM_ENFORCE_GCRA)
        return ratelimit_take(e->gcra, weight, now_ns);
    if (weight > e->share)
        return UINT64_MAX; /* more than a whole window allows: it can never go */
    uint64_t wait = 0;
    switch (e->mode) {
    case SIM_ENFORCE_FIXED_1S:
        wait = fixed_admit(e, weight, now_ns);
        break;
    case SIM_ENFORCE_SLIDING_1S:
    case SIM_ENFORCE_WINDOW_60S:
        wait = log_admit(e, weight, now_ns);
        break;
    case SIM_ENFORCE_BUCKET_60S:
        wait = ratelimit_take(e->gcra, weight, now_ns); /* weight <= N: never heavier than
                                                          the burst */
        break;
    case SIM_ENFORCE_GCRA:
        break;
    }
    if (wait == 0 && e->mode != SIM_ENFORCE_WINDOW_60S)
        recent_add(e, weight, now_ns);
    return wait;
}

void sim_enforce_refund(sim_enforce_t *e, double weight, uint64_t now_ns)
{
    switch (e->mode) {
    case SIM_ENFORCE_GCRA:
        ratelimit_refund(e->gcra, weight, now_ns);
        return;
    case SIM_ENFORCE_FIXED_1S: {
        uint64_t left;
        if (fixed_second(e, now_ns, &left) == e->sec)
            e->sec_used = e->sec_used > weight ? e->sec_used - weight : 0;
        break;
    }
    case SIM_ENFORCE_SLIDING_1S:
    case SIM_ENFORCE_WINDOW_60S:
        log_refund(e, weight, now_ns);
        break;
    case SIM_ENFORCE_BUCKET_60S:
        ratelimit_refund(e->gcra, weight, now_ns);
        break;
    }
    if (e->mode != SIM_ENFORCE_WINDOW_60S)
        recent_add(e, -weight, now_ns);
}

void sim_enforce_peek(sim_enforce_t *e, uint64_t now_ns, sim_enforce_status_t *out)
{
    memset(out, 0, sizeof *out);
    if (e->mode == SIM_ENFORCE_GCRA) {
        ratelimit_status(e->gcra, now_ns, &out->remaining, &out->reset_ns);
        out->used = (unsigned long long)ceil((double)out->reset_ns * e->limit / NS_PER_MIN);
        return;
    }
    double trailing;
    switch (e->mode) {
    case SIM_ENFORCE_FIXED_1S: {
        uint64_t left;
        if (fixed_second(e, now_ns, &left) == e->sec && e->sec_used > 0)
            out->reset_ns = left;
        break;
    }
    case SIM_ENFORCE_SLIDING_1S:
    case SIM_ENFORCE_WINDOW_60S:
        log_prune(e, now_ns);
        if (e->n > 0)
            out->reset_ns = log_leaves_in(e, e->n - 1, now_ns);
        break;
    case SIM_ENFORCE_BUCKET_60S: {
        double level; /* the burst's status is the bucket's: reset is until it is full */
        ratelimit_status(e->gcra, now_ns, &level, &out->reset_ns);
        break;
    }
    case SIM_ENFORCE_GCRA:
        break;
    }
    trailing = e->mode == SIM_ENFORCE_WINDOW_60S ? e->log_sum : recent_sum(e, now_ns);
    out->remaining = trailing < e->limit ? e->limit - trailing : 0;
    out->used = (unsigned long long)llround(trailing);
}
