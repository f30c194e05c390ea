/* sim_limits.c - RPM/TPM limiters and how they are reported. */
#include "sim_limits.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_enforce.h"

#define NS_PER_MS 1000000ULL

struct sim_limits {
    const sim_config_t *cfg;
    pthread_mutex_t lock; /* guards both limits: a request takes from both or neither */
    sim_enforce_t *rpm;   /* NULL without --rpm */
    sim_enforce_t *tpm;   /* NULL without --tpm */
};

sim_limits_t *sim_limits_new(const sim_config_t *cfg, uint64_t wall_phase_ns)
{
    sim_limits_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cfg = cfg;
    if (pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l);
        return NULL;
    }
    if (cfg->rpm) {
        l->rpm = sim_enforce_new(cfg->enforce, (double)cfg->rpm, cfg->burst_s, wall_phase_ns);
        if (!l->rpm)
            goto err;
    }
    if (cfg->tpm) {
        l->tpm = sim_enforce_new(cfg->enforce, (double)cfg->tpm, cfg->burst_s, wall_phase_ns);
        if (!l->tpm)
            goto err;
    }
    return l;
err:
    sim_limits_free(l);
    return NULL;
}

void sim_limits_free(sim_limits_t *l)
{
    if (!l)
        return;
    sim_enforce_free(l->rpm);
    sim_enforce_free(l->tpm);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int sim_limits_active(const sim_limits_t *l)
{
    return l->rpm || l->tpm;
}

/* Fills the header part of out, and the refused limit's "Used"; the lock is held. */
static void limits_snapshot(const sim_limits_t *l, uint64_t now_ns, sim_limit_result_t *out)
{
    sim_enforce_status_t st;
    if (l->rpm) {
        sim_enforce_peek(l->rpm, now_ns, &st);
        out->remaining_requests = st.remaining;
        out->reset_requests_ns = st.reset_ns;
        if (out->verdict == SIM_LIMIT_REQUESTS)
            out->used = st.used;
    }
    if (l->tpm) {
        sim_enforce_peek(l->tpm, now_ns, &st);
        out->remaining_tokens = st.remaining;
        out->reset_tokens_ns = st.reset_ns;
        if (out->verdict == SIM_LIMIT_TOKENS)
            out->used = st.used;
    }
}

void sim_limits_admit(sim_limits_t *l, unsigned long long tokens, uint64_t now_ns,
                      sim_limit_result_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&l->lock);
    /* --rpm of at least 60 in the 1 s modes (sim_main.c) keeps one request from being
     * heavier than a whole window, so a refusal by RPM always comes with a wait */
    uint64_t wait = l->rpm ? sim_enforce_admit(l->rpm, 1, now_ns) : 0;
    if (wait) {
        out->verdict = SIM_LIMIT_REQUESTS;
        out->wait_ns = wait;
        out->requested = 1;
    } else if (l->tpm) {
        wait = sim_enforce_admit(l->tpm, (double)tokens, now_ns);
        if (wait) {
            if (l->rpm)
                sim_enforce_refund(l->rpm, 1, now_ns);
            out->verdict = wait == UINT64_MAX ? SIM_LIMIT_TOO_LARGE : SIM_LIMIT_TOKENS;
            out->wait_ns = wait == UINT64_MAX ? 0 : wait;
            out->requested = tokens;
        }
    }
    limits_snapshot(l, now_ns, out);
    pthread_mutex_unlock(&l->lock);
}

void sim_limits_count_refused(sim_limits_t *l, uint64_t now_ns, sim_limit_result_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&l->lock);
    if (l->rpm)
        (void)sim_enforce_admit(l->rpm, 1, now_ns); /* over the limit: it just takes nothing */
    limits_snapshot(l, now_ns, out);
    pthread_mutex_unlock(&l->lock);
}

int sim_limits_format_duration(uint64_t ns, char *buf, size_t len)
{
    uint64_t ms = ns / NS_PER_MS + (ns % NS_PER_MS != 0);
    if (ms == 0)
        return snprintf(buf, len, "0s");
    if (ms < 1000)
        return snprintf(buf, len, "%llums", (unsigned long long)ms);
    unsigned long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60;
    unsigned frac = (unsigned)(ms % 1000);
    char hm[48] = "", fr[16] = "";
    if (h)
        snprintf(hm, sizeof hm, "%lluh%llum", h, m);
    else if (m)
        snprintf(hm, sizeof hm, "%llum", m);
    if (frac) { /* ".5", ".25", ".125": Go drops the trailing zeros */
        snprintf(fr, sizeof fr, ".%03u", frac);
        for (size_t i = 3; fr[i] == '0'; i--)
            fr[i] = '\0';
    }
    return snprintf(buf, len, "%s%llu%ss", hm, s, fr);
}

void sim_limits_headers(const sim_limits_t *l, const sim_limit_result_t *res, sim_reply_t *reply)
{
    char reset[64];
    if (l->rpm) {
        sim_limits_format_duration(res->reset_requests_ns, reset, sizeof reset);
        sim_reply_header(reply, "x-ratelimit-limit-requests", "%llu", l->cfg->rpm);
        sim_reply_header(reply, "x-ratelimit-remaining-requests", "%.0f",
                         floor(res->remaining_requests));
        sim_reply_header(reply, "x-ratelimit-reset-requests", "%s", reset);
    }
    if (l->tpm) {
        sim_limits_format_duration(res->reset_tokens_ns, reset, sizeof reset);
        sim_reply_header(reply, "x-ratelimit-limit-tokens", "%llu", l->cfg->tpm);
        sim_reply_header(reply, "x-ratelimit-remaining-tokens", "%.0f",
                         floor(res->remaining_tokens));
        sim_reply_header(reply, "x-ratelimit-reset-tokens", "%s", reset);
    }
}

int sim_limits_reply(const sim_limits_t *l, const sim_limit_result_t *res, const char *model,
                     sim_reply_t *reply)
{
    static const char more[] =
        "Visit https://platform.openai.com/account/rate-limits to learn more.";
    int rc;
    if (res->verdict == SIM_LIMIT_TOO_LARGE) {
        rc = sim_reply_error(reply, 429, "tokens", NULL, "rate_limit_exceeded",
                             "Request too large for %.100s in organization org-sim on tokens per "
                             "min (TPM): Limit %llu, Requested %llu. The input or output tokens "
                             "must be reduced in order to run successfully. %s",
                             model, l->cfg->tpm, res->requested, more);
        if (rc == 0)
            sim_reply_header(reply, "x-should-retry", "false");
    } else {
        int tokens = res->verdict == SIM_LIMIT_TOKENS;
        char wait[64];
        sim_limits_format_duration(res->wait_ns, wait, sizeof wait);
        rc = sim_reply_error(
            reply, 429, tokens ? "tokens" : "requests", NULL, "rate_limit_exceeded",
            "Rate limit reached for %.100s in organization org-sim on %s per min "
            "(%s): Limit %llu, Used %llu, Requested %llu. Please try again in "
            "%s. %s",
            model, tokens ? "tokens" : "requests", tokens ? "TPM" : "RPM",
            tokens ? l->cfg->tpm : l->cfg->rpm, res->used, res->requested, wait, more);
        if (rc == 0) {
            uint64_t ms = res->wait_ns / NS_PER_MS + (res->wait_ns % NS_PER_MS != 0);
            sim_reply_header(reply, "retry-after", "%llu", (unsigned long long)((ms + 999) / 1000));
            if (!l->cfg->no_retry_after_ms)
                sim_reply_header(reply, "retry-after-ms", "%llu", (unsigned long long)ms);
        }
    }
    if (rc != 0)
        return -1;
    reply->refusal = SIM_REFUSAL_RATE_LIMIT;
    sim_limits_headers(l, res, reply);
    return 0;
}
