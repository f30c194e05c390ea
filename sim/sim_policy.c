/* sim_policy.c - what to answer, and when.
 *
 * A call of any protocol is decided in this order, as a provider would: authentication
 * (401/403), body size (413), validation (400/404), the RPM/TPM limits (429; the refusals
 * above count against RPM too), the quota (429, or Anthropic's 400), then the latency and
 * an injected fault (timeout, reset, the protocol's server errors), else the 200. The
 * protocol (sim_protocol.h) only shapes each answer. */
#include "sim_policy.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "sim_answer.h"
#include "sim_batch.h"
#include "sim_faults.h"
#include "sim_limits.h"

/* z of the normal distribution's 99th percentile: p99 = median * exp(sigma * Z_P99). */
#define Z_P99  2.3263
#define TWO_PI 6.283185307179586

struct sim_policy {
    const sim_config_t *cfg;
    vbclock_t clock;
    sim_limits_t *limits;
    pthread_mutex_t lock;        /* guards the fields below */
    uint64_t rng;                /* splitmix64 state, seeded by --seed */
    uint64_t answered;           /* 200s promised so far, for --quota-after */
    unsigned long server_errors; /* injected so far: picks the next kind */
    unsigned long garbled;       /* batch answers spoiled so far: picks the next kind */
};

/* Where the wall clock's second boundaries fall on the time line of clock c: (wall time -
 * c's time) modulo 1 s. Measured once: the two clocks are slewed alike, and a wall clock
 * stepped later leaves --enforce fixed-1s counting the seconds of the old one. */
static uint64_t policy_wall_phase(const vbclock_t *c)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t now = clock_now(c) % 1000000000ULL;
    uint64_t w = (uint64_t)wall.tv_nsec; /* whole seconds do not matter modulo 1 s */
    return (w + 1000000000ULL - now) % 1000000000ULL;
}

sim_policy_t *sim_policy_new(const sim_config_t *cfg)
{
    sim_policy_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->clock = clock_system();
    p->rng = cfg->seed;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    p->limits = sim_limits_new(cfg, policy_wall_phase(&p->clock));
    if (!p->limits) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

void sim_policy_free(sim_policy_t *p)
{
    if (!p)
        return;
    sim_limits_free(p->limits);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* The next 64 random bits of splitmix64 state *state. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The next 64 random bits: the same seed gives the same sequence, though which request
 * gets which number depends on the order requests arrive in. */
static uint64_t policy_random(sim_policy_t *p)
{
    pthread_mutex_lock(&p->lock);
    uint64_t z = rng_next(&p->rng);
    pthread_mutex_unlock(&p->lock);
    return z;
}

/* A uniform double in [0, 1) from 64 random bits. */
static double unit_interval(uint64_t bits)
{
    return (double)(bits >> 11) * 0x1p-53;
}

/* A standard normal number (Box-Muller); both draws are taken together, so concurrent
 * callers still share out the same pairs. */
static double policy_normal(sim_policy_t *p)
{
    pthread_mutex_lock(&p->lock);
    uint64_t a = rng_next(&p->rng), b = rng_next(&p->rng);
    pthread_mutex_unlock(&p->lock);
    double u1 = 1.0 - unit_interval(a); /* (0, 1]: log(u1) is finite */
    return sqrt(-2.0 * log(u1)) * cos(TWO_PI * unit_interval(b));
}

/* The latency of a valid answer: lognormal with median --latency-ms and 99th percentile
 * --latency-p99-ms when that is set, else --latency-ms +- a uniform --jitter-ms; never
 * below 0 nor above SIM_MAX_LATENCY_MS. */
static unsigned policy_delay_ms(sim_policy_t *p)
{
    const sim_config_t *cfg = p->cfg;
    if (cfg->latency_p99_ms > cfg->latency_ms && cfg->latency_ms > 0) {
        double sigma = log((double)cfg->latency_p99_ms / cfg->latency_ms) / Z_P99;
        double d = cfg->latency_ms * exp(sigma * policy_normal(p));
        return d < SIM_MAX_LATENCY_MS ? (unsigned)llround(d) : SIM_MAX_LATENCY_MS;
    }
    long long d = cfg->latency_ms;
    if (cfg->jitter_ms) {
        uint64_t span = 2 * (uint64_t)cfg->jitter_ms + 1;
        d += (long long)(policy_random(p) % span) - (long long)cfg->jitter_ms;
    }
    return d > 0 ? (unsigned)d : 0;
}

int sim_policy_authorize(const sim_policy_t *p, const sim_call_t *call, sim_reply_t *reply)
{
    return call->proto->authorize(p->cfg, call, reply);
}

/* A call refused before the limits (401, 413, 400) still counts against RPM and reports
 * the limits as proto does. Returns 0. */
static int policy_refused(sim_policy_t *p, const sim_protocol_t *proto, sim_reply_t *reply)
{
    if (sim_limits_active(p->limits)) {
        sim_limit_result_t lim;
        sim_limits_count_refused(p->limits, clock_now(&p->clock), &lim);
        proto->limit_headers(p->cfg, &lim, reply);
    }
    return 0;
}

/* Whether to spoil the answer to req (--garble-rate, batch requests only), and how: the
 * kinds take turns so every kind occurs. */
static sim_garble_t policy_garble(sim_policy_t *p, const sim_request_t *req)
{
    if (!(p->cfg->garble_rate > 0) || !sim_batch_applies(req) ||
        unit_interval(policy_random(p)) >= p->cfg->garble_rate)
        return SIM_GARBLE_NONE;
    pthread_mutex_lock(&p->lock);
    unsigned long nth = p->garbled++;
    pthread_mutex_unlock(&p->lock);
    return (sim_garble_t)(SIM_GARBLE_NONE + 1 + nth % (SIM_GARBLE_KINDS - 1));
}

/* Builds the 200 for req into reply, as call->proto shapes it. Returns 0, or -1 when out
 * of memory. */
static int policy_build_answer(sim_policy_t *p, const sim_call_t *call, const sim_request_t *req,
                               sim_reply_t *reply)
{
    sim_garble_t garble = policy_garble(p, req);
    double json_draw = req->response_format ? unit_interval(policy_random(p)) : 0.0;
    sim_answer_t answer;
    if (sim_answer_compose(req, garble, p->cfg->bad_json_rate, json_draw, &answer,
                           &reply->billing) != 0)
        return -1;
    int rc = call->proto->answer(req, &answer, call->id, reply);
    sim_answer_clear(&answer);
    return rc;
}

/* Decides the answer to the valid request req of call: limits, quota, latency, fault,
 * 200. Returns 0, or -1 when out of memory. */
static int policy_answer(sim_policy_t *p, const sim_call_t *call, const sim_request_t *req,
                         sim_reply_t *reply)
{
    const sim_config_t *cfg = p->cfg;
    const sim_protocol_t *proto = call->proto;
    sim_limit_result_t lim;
    int limited = sim_limits_active(p->limits);
    if (limited) {
        unsigned long long weight =
            (unsigned long long)sim_answer_prompt_tokens(req) + req->max_tokens;
        sim_limits_admit(p->limits, weight, clock_now(&p->clock), &lim);
        if (lim.verdict != SIM_LIMIT_OK) {
            if (proto->limited(cfg, &lim, req->model, reply) != 0)
                return -1;
            proto->limit_headers(cfg, &lim, reply);
            return 0;
        }
    }

    /* Drawn before the quota is looked at, so that the check and the count of promised
     * 200s are one step under the lock. */
    unsigned delay = policy_delay_ms(p);
    sim_fault_t fault = sim_faults_enabled(cfg)
                            ? sim_faults_draw(cfg, unit_interval(policy_random(p)))
                            : SIM_FAULT_NONE;

    int over_quota = 0;
    unsigned long nth_error = 0;
    pthread_mutex_lock(&p->lock);
    if (cfg->quota_enabled && p->answered >= cfg->quota_after)
        over_quota = 1;
    else if (fault == SIM_FAULT_NONE)
        p->answered++;
    else if (fault == SIM_FAULT_HTTP)
        nth_error = p->server_errors++;
    pthread_mutex_unlock(&p->lock);

    if (over_quota) {
        if (proto->quota(cfg, req->model, reply) != 0)
            return -1;
    } else {
        if (policy_build_answer(p, call, req, reply) != 0)
            return -1;
        reply->delay_ms = delay;
        reply->fault = fault;
        if (fault == SIM_FAULT_TIMEOUT)
            reply->hang_ms = cfg->hang_ms;
        else if (fault == SIM_FAULT_HTTP && proto->server_error(nth_error, reply) != 0)
            return -1;
        else if (fault >= SIM_FAULT_HTML &&
                 sim_faults_bad_body(fault, proto, call->path, cfg->redirect_to, reply) != 0)
            return -1;
    }
    if (limited)
        proto->limit_headers(cfg, &lim, reply);
    return 0;
}

int sim_policy_decide(sim_policy_t *p, const sim_call_t *call, sim_reply_t *reply)
{
    const sim_protocol_t *proto = call->proto;
    reply->call_id = call->id;
    int auth = proto->authorize(p->cfg, call, reply);
    if (auth != 0)
        return auth == -1 ? policy_refused(p, proto, reply) : -1;

    sim_error_t err;
    if (call->body_too_large) {
        sim_error_set(&err, NULL, "request_too_large",
                      "The request body is larger than the limit of %zu bytes.",
                      sim_protocol_body_limit(proto, p->cfg));
        err.status = 413;
        if (proto->refuse(reply, &err) != 0)
            return -1;
        return policy_refused(p, proto, reply);
    }

    sim_request_t req;
    if (proto->parse(p->cfg, call, &req, &err) != 0) {
        if (proto->refuse(reply, &err) != 0)
            return -1;
        if (strncmp(err.code, "invalid_image", 13) == 0)
            reply->refusal = SIM_REFUSAL_INVALID_IMAGE;
        return policy_refused(p, proto, reply);
    }

    int rc = policy_answer(p, call, &req, reply);
    sim_request_free(&req);
    return rc;
}
