/* sim_limits.c - RPM/TPM limiters and how they are reported. */
#include "sim_limits.h"

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
