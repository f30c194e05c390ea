/* sim_limits.h - the simulator's requests-per-minute and tokens-per-minute limits, shared
 * by every protocol; each protocol reports them its own way (sim_protocol.h: OpenAI's
 * x-ratelimit-* headers, Anthropic's anthropic-ratelimit-*, Gemini's 429 details).
 *
 * Both limits are enforced the way --enforce says (sim_enforce.h; by default GCRA
 * limiters of N units a minute whose burst is --burst-s seconds of quota, at least 1
 * unit). A request weighs 1 against RPM and its billed prompt tokens + max_tokens against
 * TPM. Time is passed in (monotonic ns). */
#ifndef VB_SIM_LIMITS_H
#define VB_SIM_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "sim_config.h"
#include "sim_reply.h"

typedef struct sim_limits sim_limits_t;

typedef enum {
    SIM_LIMIT_OK = 0,    /* admitted: the units were taken */
    SIM_LIMIT_REQUESTS,  /* over RPM: nothing taken */
    SIM_LIMIT_TOKENS,    /* over TPM: nothing taken */
    SIM_LIMIT_TOO_LARGE, /* heavier than the whole TPM limit: can never go */
} sim_limit_verdict_t;

/* One admission's outcome and the limiters' state right after it, for the headers. */
typedef struct {
    sim_limit_verdict_t verdict;
    uint64_t wait_ns;             /* REQUESTS/TOKENS: until the same request would go */
    unsigned long long requested; /* the refused limit's weight */
    unsigned long long used;      /* the refused limit's units not yet drained */
    double remaining_requests, remaining_tokens; /* the limit less the trailing minute's
                                                    units (gcra: what could go at once) */
    uint64_t reset_requests_ns, reset_tokens_ns; /* until the mode's state is restored */
} sim_limit_result_t;

/* Creates the limits cfg asks for, enforced as cfg->enforce says (cfg must outlive them).
 * wall_phase_ns: where the wall clock's second boundaries fall on the time line of the
 * now_ns passed later, (wall time - now_ns) modulo 1 s (--enforce fixed-1s counts per
 * wall-clock second). Returns NULL when out of memory; with neither --rpm nor --tpm it
 * returns an object that admits everything. */
sim_limits_t *sim_limits_new(const sim_config_t *cfg, uint64_t wall_phase_ns);

/* Frees l; NULL is a no-op. */
void sim_limits_free(sim_limits_t *l);

/* Nonzero when --rpm or --tpm is set (and so the headers are sent). */
int sim_limits_active(const sim_limits_t *l);

/* Admits a valid request weighing tokens against TPM and 1 against RPM at now_ns: both
 * or neither are taken (checked under one lock). Fills *out. Thread-safe. */
void sim_limits_admit(sim_limits_t *l, unsigned long long tokens, uint64_t now_ns,
                      sim_limit_result_t *out);

/* Counts a refused request (400, 401, 413) against RPM only, as providers do: takes one
 * unit if there is one, never refuses. Fills *out (verdict SIM_LIMIT_OK). Thread-safe. */
void sim_limits_count_refused(sim_limits_t *l, uint64_t now_ns, sim_limit_result_t *out);

/* Writes ns as a Go duration at millisecond precision, rounded up: "0s", "20ms", "1s",
 * "1.5s", "6m0s", "1h2m3.5s". Returns the length (as snprintf does). */
int sim_limits_format_duration(uint64_t ns, char *buf, size_t len);

#endif
