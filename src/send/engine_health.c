/* engine_health.c - the engine's side of send/outage.h: what came back fed to the outage
 * module, and its verdicts turned into a stop with words that say what to fix, or a
 * run-wide pause (dispatch.c's gate_outage holds sends during it). */
#include "send/engine_internal.h"

#include "send/net_failure.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

/* The most attempts of one item the endpoint's failures may take without counting
 * against --retries: a bound should the endpoint flap forever between failing to connect
 * and answering errors (neither a stop nor a pause would then come). */
#define OUTAGE_RETRIES_MAX 50

/* Turns resp into a stop of the run with message msg (already scrubbed). */
static void stop_with(answer_t *resp, const char *kind, const char *msg)
{
    resp->action = ANSWER_STOP_RUN;
    resp->error_kind = kind;
    size_t n = strnlen(msg, sizeof resp->error_message - 1); /* msg is a copy: cut to fit */
    memcpy(resp->error_message, msg, n);
    resp->error_message[n] = '\0';
}

/* The base URL's path lacks /v1 (or /v1beta): "did you mean <base>/v1?" for a 404 that
 * says the path is unknown. Empty when the path has it. */
static void v1_hint(const char *base, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!base || strstr(base, "/v1"))
        return;
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    snprintf(out, outlen, "; did you mean %.*s/v1?", (int)(n < 300 ? n : 300), base);
}

/* A failure without an HTTP answer. */
static void note_failure(engine_t *e, const transfer_t *t, CURLcode rc, request_t *r,
                         answer_t *resp, uint64_t now)
{
    bool was_paused = outage_paused(&e->outage);
    bool unreachable = net_failure_unreachable(t->easy, rc);
    bool silent = net_failure_silent_timeout(t->easy, rc);
    outage_verdict_t v = outage_on_failure(&e->outage, unreachable, silent, r->outage_probe, now);
    char msg[1200];
    if (v == OUTAGE_STOP && was_paused) {
        engine_health_give_up(e, now);
        snprintf(msg, sizeof msg, "%s", e->out.sum->stop_reason);
        stop_with(resp, "unreachable", msg);
        return;
    }
    if (v == OUTAGE_STOP) {
        snprintf(
            msg, sizeof msg,
            "%s; %d requests in a row failed this way before any succeeded%s: stopping (nothing "
            "unsent is marked failed; run again once it answers)",
            resp->error_message, e->outage.s.stop_after,
            silent ? ": check the server (it takes connections and answers nothing)" : "");
        stop_with(resp, "unreachable", msg);
        return;
    }
    if (v == OUTAGE_PAUSED)
        log_message(VB_LOG_WARNING,
                    "the endpoint cannot be reached (%s): the run is paused, probing with one "
                    "request at a time; it stops after %g s without an answer",
                    resp->error_message, e->outage.s.give_up_s);
    /* the endpoint's failure, not the item's: during a pause, and before any success
     * (where 3 in a row stop the run: an item out of retries must stay unsent, not fail) */
    if (resp->action == ANSWER_RETRY && r->outage_retries < OUTAGE_RETRIES_MAX &&
        (outage_paused(&e->outage) || (!e->outage.any_success && (unreachable || silent))))
        r->outage_retries++;
}

/* An HTTP answer. */
static void note_answer(engine_t *e, long status, request_t *r, answer_t *resp, uint64_t now)
{
    if (outage_paused(&e->outage))
        log_message(VB_LOG_WARNING, "the endpoint answers again (HTTP %ld) after %.1f s: resuming",
                    status, outage_paused_s(&e->outage, now));
    outage_on_answer(&e->outage, resp->action == ANSWER_OK);
    char msg[1200];
    if (resp->action == ANSWER_STOP_RUN && resp->error_kind &&
        strcmp(resp->error_kind, "not_found") == 0) {
        char hint[360];
        if (e->provider == &provider_openai) /* the others add their version themselves */
            v1_hint(e->o->base_url, hint, sizeof hint);
        else
            hint[0] = '\0';
        snprintf(msg, sizeof msg, "%s%s", resp->error_message, hint);
        stop_with(resp, "not_found", msg);
        return;
    }
    /* a refusal of an item alone (a batch's breaks up and its images are asked alone) */
    if (resp->action != ANSWER_FAIL_ITEM || r->n_members || !resp->error_kind ||
        strcmp(resp->error_kind, "too_large") == 0)
        return;
    if (outage_on_refusal(&e->outage, status, resp->error_kind) != OUTAGE_STOP)
        return;
    snprintf(msg, sizeof msg,
             "every request is refused: the first %d items all got HTTP %ld %s, the last: %s; "
             "stopping (nothing unsent is marked failed)",
             e->outage.s.refused_after, status, resp->error_kind, resp->error_message);
    stop_with(resp, "every_request_refused", msg);
}

void engine_health_note(engine_t *e, const transfer_t *t, CURLcode rc, long status, request_t *r,
                        answer_t *resp, uint64_t now)
{
    if (rc != CURLE_OK)
        note_failure(e, t, rc, r, resp, now);
    else
        note_answer(e, status, r, resp, now);
}

void engine_health_give_up(engine_t *e, uint64_t now)
{
    char target[300], proxy[300], why[1000];
    net_failure_host_port(e->pool.url, target, sizeof target);
    bool proxied = net_failure_proxy_for(e->pool.url, proxy, sizeof proxy);
    snprintf(why, sizeof why,
             "%s%s%s has not answered for %.0f s (--unreachable-timeout): stopping; nothing "
             "unsent is marked failed, run again once it answers",
             target, proxied ? " through proxy " : "", proxied ? proxy : "",
             outage_paused_s(&e->outage, now));
    engine_stop(e, why);
}
