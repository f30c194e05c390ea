/* outage.h - whether the endpoint can be reached at all, and what the run does when it
 * cannot (issue #17 points 4 and 5).
 *
 * The contract:
 * - Before the run's first success, stop_after failures in a row that never reached the
 *   endpoint (no name, no connection, no TLS handshake, a proxy that fails or refuses),
 *   or timeouts on a connection that got not one byte back, stop the run: nothing can
 *   succeed, and grinding through every item's retries would take hours.
 * - After a success, stop_after such failures in a row (silent timeouts are not counted
 *   then: a model may think longer than the timeout) pause the whole run: nothing is sent
 *   but one probe at a time, the first after probe_first_s, each later one after twice
 *   the wait, at most probe_max_s. The first HTTP answer of any kind ends the pause;
 *   give_up_s after the pause began the run stops.
 * - Before the first success, refused_after items in a row refused with the same 4xx
 *   status and kind (each a different item) stop the run: every request is refused.
 * - An HTTP answer resets the count of failures in a row; a failure of another kind (a
 *   connection reset mid-answer) neither counts nor resets.
 * The module holds counts and times only: the engine (send/engine_health.c) feeds it
 * and words the stop. Pure: time is passed in (ns on the engine's clock). */
#ifndef VB_OUTAGE_H
#define VB_OUTAGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct outage_settings {
    int stop_after;       /* failures in a row that stop (before a success) or pause (after) */
    int refused_after;    /* same 4xx on this many items in a row before a success: stop */
    double give_up_s;     /* a pause longer than this stops the run */
    double probe_first_s; /* the wait before the first probe of a pause */
    double probe_max_s;   /* the longest wait between probes */
} outage_settings_t;

/* The defaults: 3 failures, 5 refusals, give_up_s as given, probes 1 s doubling to 30 s. */
outage_settings_t outage_defaults(double give_up_s);

typedef struct outage {
    outage_settings_t s;
    bool any_success;         /* an answer succeeded in this run */
    int in_a_row;             /* unreachable failures since the last HTTP answer */
    bool paused;              /* after a success: the endpoint is gone, probing */
    uint64_t paused_ns;       /* when the pause began */
    uint64_t probe_due_ns;    /* when the next probe may go */
    double probe_wait_s;      /* the wait after the next failed probe */
    bool probing;             /* a probe is on the wire */
    long refused_status;      /* the 4xx of the refusals in a row, 0: none */
    const char *refused_kind; /* their kind (a static string) */
    int refused_in_a_row;
} outage_t;

/* What the run does after a failure or a refusal was taken in. */
typedef enum {
    OUTAGE_CARRY_ON, /* nothing changes (or the pause goes on) */
    OUTAGE_PAUSED,   /* the run has just been paused */
    OUTAGE_STOP,     /* stop the run now */
} outage_verdict_t;

/* Sets o up with settings s. */
void outage_init(outage_t *o, const outage_settings_t *s);

/* Takes in a transfer that ended without an HTTP answer at now: unreachable (see
 * net_failure_unreachable), silent (a timeout with not one byte back), or neither; probe:
 * it was the pause's probe (only its failure sets the wait for the next one; a request
 * sent before the pause may fail while the probe is still out). Returns OUTAGE_STOP
 * before the first success once stop_after counted ones came in a row, and during a
 * pause once it has lasted give_up_s; OUTAGE_PAUSED when this one began a pause. */
outage_verdict_t outage_on_failure(outage_t *o, bool unreachable, bool silent, bool probe,
                                   uint64_t now);

/* Takes in an HTTP answer (ok: a success): the count in a row is reset and a pause ends. */
void outage_on_answer(outage_t *o, bool ok);

/* Takes in an item refused for good with a 4xx status of kind (a static string) at its
 * first answer. Returns OUTAGE_STOP when refused_after items in a row got the same before
 * any success. */
outage_verdict_t outage_on_refusal(outage_t *o, long status, const char *kind);

/* What dispatch may do at now. */
typedef enum {
    OUTAGE_SEND,    /* send as usual (or: this request is the pause's probe) */
    OUTAGE_HOLD,    /* paused: send nothing until *wake (or a transfer ends) */
    OUTAGE_GIVE_UP, /* the pause has lasted give_up_s: stop the run */
} outage_gate_t;

/* Whether a request may go at now. During a pause one probe may go once its wait is
 * over and no other probe is on the wire; *wake gets when to ask again (UINT64_MAX: after
 * a transfer ends). */
outage_gate_t outage_may_send(const outage_t *o, uint64_t now, uint64_t *wake);

/* Takes in that a request went on the wire: during a pause, it is the probe. */
void outage_sent(outage_t *o);

/* Whether the run is paused. */
bool outage_paused(const outage_t *o);

/* Seconds the current pause has lasted at now (0 when not paused). */
double outage_paused_s(const outage_t *o, uint64_t now);

#endif
