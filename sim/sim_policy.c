/* sim_policy.c - what to answer, and when. */
#include "sim_policy.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_answer.h"
#include "sim_validate.h"

struct sim_policy {
    const sim_config_t *cfg;
    pthread_mutex_t lock; /* guards rng */
    uint64_t rng;         /* splitmix64 state, seeded by --seed */
};

sim_policy_t *sim_policy_new(const sim_config_t *cfg)
{
    sim_policy_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->rng = cfg->seed;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

void sim_policy_free(sim_policy_t *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* The next 64 random bits (splitmix64): the same seed gives the same sequence, though
 * which request gets which number depends on the order requests arrive in. */
static uint64_t policy_random(sim_policy_t *p)
{
    pthread_mutex_lock(&p->lock);
    uint64_t z = (p->rng += 0x9E3779B97F4A7C15ULL);
    pthread_mutex_unlock(&p->lock);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* --latency-ms +- a uniform --jitter-ms, never below 0. */
static unsigned policy_delay_ms(sim_policy_t *p)
{
    long long d = p->cfg->latency_ms;
    if (p->cfg->jitter_ms) {
        uint64_t span = 2 * (uint64_t)p->cfg->jitter_ms + 1;
        d += (long long)(policy_random(p) % span) - (long long)p->cfg->jitter_ms;
    }
    return d > 0 ? (unsigned)d : 0;
}

int sim_policy_authorize(const sim_policy_t *p, const char *authorization, sim_reply_t *reply)
{
    static const char bearer[] = "Bearer ";
    const char *key = p->cfg->key;
    if (!key)
        return 0;
    if (authorization && strncmp(authorization, bearer, strlen(bearer)) == 0 &&
        strcmp(authorization + strlen(bearer), key) == 0)
        return 0;
    int rc = authorization
                 ? sim_reply_error(reply, 401, "invalid_request_error", NULL, "invalid_api_key",
                                   "Incorrect API key provided.")
                 : sim_reply_error(reply, 401, "invalid_request_error", NULL, "invalid_api_key",
                                   "You didn't provide an API key. You need to provide your API "
                                   "key in an Authorization header using Bearer auth.");
    return rc == 0 ? -1 : -2;
}

int sim_policy_decide(sim_policy_t *p, const sim_call_t *call, sim_reply_t *reply)
{
    int auth = sim_policy_authorize(p, call->authorization, reply);
    if (auth != 0)
        return auth == -1 ? 0 : -1;

    if (call->body_too_large)
        return sim_reply_error(reply, 413, "invalid_request_error", NULL, "request_too_large",
                               "The request body is larger than the limit of %zu bytes.",
                               p->cfg->max_body_bytes);

    sim_request_t req;
    sim_error_t err;
    if (sim_request_parse(call->body ? call->body : "", call->body_len, p->cfg, &req, &err))
        return sim_reply_from_error(reply, &err);

    int rc = sim_answer_build(&req, call->id, (long long)time(NULL), reply);
    sim_request_free(&req);
    if (rc != 0)
        return -1;
    reply->delay_ms = policy_delay_ms(p);
    return 0;
}
