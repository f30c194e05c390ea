/* outage.c - counting failures that never reached the endpoint, the run-wide pause and
 * its probes (outage.h). */
#include "send/outage.h"

#include <string.h>

#define NS 1000000000.0

outage_settings_t outage_defaults(double give_up_s)
{
    return (outage_settings_t){.stop_after = 3,
                               .refused_after = 5,
                               .give_up_s = give_up_s,
                               .probe_first_s = 1,
                               .probe_max_s = 30};
}

void outage_init(outage_t *o, const outage_settings_t *s)
{
    memset(o, 0, sizeof *o);
    o->s = *s;
}

static uint64_t after(uint64_t now, double s)
{
    return now + (uint64_t)(s * NS);
}

static bool pause_over(const outage_t *o, uint64_t now)
{
    return o->paused && now >= after(o->paused_ns, o->s.give_up_s);
}

outage_verdict_t outage_on_failure(outage_t *o, bool unreachable, bool silent, bool probe,
                                   uint64_t now)
{
    if (o->paused) {
        if (o->probing && probe) { /* the probe failed: wait longer for the next */
            o->probing = false;
            o->probe_due_ns = after(now, o->probe_wait_s);
            o->probe_wait_s *= 2;
            if (o->probe_wait_s > o->s.probe_max_s)
                o->probe_wait_s = o->s.probe_max_s;
        }
        return pause_over(o, now) ? OUTAGE_STOP : OUTAGE_CARRY_ON;
    }
    /* a model may take longer than the timeout: only before a success is a silent
     * server taken for a dead one */
    if (!(unreachable || (silent && !o->any_success)))
        return OUTAGE_CARRY_ON;
    if (++o->in_a_row < o->s.stop_after)
        return OUTAGE_CARRY_ON;
    if (!o->any_success)
        return OUTAGE_STOP;
    o->paused = true;
    o->paused_ns = now;
    o->probing = false;
    o->probe_due_ns = after(now, o->s.probe_first_s);
    o->probe_wait_s = o->s.probe_first_s * 2;
    if (o->probe_wait_s > o->s.probe_max_s)
        o->probe_wait_s = o->s.probe_max_s;
    return OUTAGE_PAUSED;
}

void outage_on_answer(outage_t *o, bool ok)
{
    o->in_a_row = 0;
    o->paused = false;
    o->probing = false;
    if (ok) {
        o->any_success = true;
        o->refused_in_a_row = 0;
    }
}

outage_verdict_t outage_on_refusal(outage_t *o, long status, const char *kind)
{
    if (o->any_success || status < 400 || status > 499 || !kind)
        return OUTAGE_CARRY_ON;
    if (o->refused_in_a_row && o->refused_status == status && strcmp(o->refused_kind, kind) == 0) {
        o->refused_in_a_row++;
    } else {
        o->refused_status = status;
        o->refused_kind = kind;
        o->refused_in_a_row = 1;
    }
    return o->refused_in_a_row >= o->s.refused_after ? OUTAGE_STOP : OUTAGE_CARRY_ON;
}

outage_gate_t outage_may_send(const outage_t *o, uint64_t now, uint64_t *wake)
{
    *wake = UINT64_MAX;
    if (!o->paused)
        return OUTAGE_SEND;
    uint64_t give_up = after(o->paused_ns, o->s.give_up_s);
    if (now >= give_up)
        return OUTAGE_GIVE_UP;
    if (o->probing) {
        *wake = give_up;
        return OUTAGE_HOLD;
    }
    if (now < o->probe_due_ns) {
        *wake = o->probe_due_ns < give_up ? o->probe_due_ns : give_up;
        return OUTAGE_HOLD;
    }
    return OUTAGE_SEND;
}

void outage_sent(outage_t *o)
{
    if (o->paused)
        o->probing = true;
}

bool outage_paused(const outage_t *o)
{
    return o->paused;
}

double outage_paused_s(const outage_t *o, uint64_t now)
{
    return o->paused && now > o->paused_ns ? (double)(now - o->paused_ns) / NS : 0;
}
