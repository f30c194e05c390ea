/* sim_config.h - the simulator's settings, filled once by main from the command line and
 * read-only afterwards (every thread may read them without a lock). */
#ifndef VB_SIM_CONFIG_H
#define VB_SIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sim_enforce.h"

#define SIM_DEFAULT_MAX_IMAGE_BYTES ((size_t)20 * 1024 * 1024)
#define SIM_DEFAULT_MAX_BODY_BYTES  ((size_t)50 * 1024 * 1024)
#define SIM_DEFAULT_HANG_MS         120000U
#define SIM_MAX_LATENCY_MS          3600000U
#define SIM_MAX_PER_MINUTE          1000000000000ULL /* --rpm, --tpm */

typedef struct {
    const char *host;        /* listen address, numeric IPv4 or IPv6 */
    unsigned port;           /* 0: the kernel picks */
    unsigned latency_ms;     /* added before every valid answer */
    unsigned jitter_ms;      /* latency varies uniformly by +- this */
    uint64_t seed;           /* seeds the simulator's PRNG */
    const char *key;         /* required API key (in each protocol's header), or NULL: any */
    size_t max_image_bytes;  /* decoded bytes per image */
    size_t max_body_bytes;   /* request body; larger gets 413 */
    const char *record_path; /* append each request body (every protocol) here, or NULL */
    int header_check_only;   /* --no-decode: probe images, do not decode them fully */

    unsigned latency_p99_ms; /* > latency_ms: lognormal latency with this p99; 0: off */

    /* Rate limits (0: none), enforced as `enforce` says; with GCRA the burst is burst_s
     * seconds of quota (at least 1 unit). */
    unsigned long long rpm, tpm;
    double burst_s;
    sim_enforce_mode_t enforce;
    int no_retry_after_ms; /* 429s carry retry-after in whole seconds only (proxies) */

    /* Faults: fractions of the valid requests (their sum is at most 1). */
    double fail_rate;    /* the protocol's server errors, in turn */
    double timeout_rate; /* never answered: held until the client leaves or hang_ms */
    double reset_rate;   /* the connection breaks half way through the body */
    unsigned hang_ms;
    double garble_rate; /* of the batch answers (sim_batch.h): spoiled, in turn by kind */

    double bad_json_rate; /* of JSON answers (response_format): sent as broken JSON */
    double bad_body_rate[8];  /* per sim_fault_t from SIM_FAULT_HTML on (--html-rate ...) */
    const char *redirect_to; /* Location of SIM_FAULT_REDIRECT; NULL: the call's own URL */
    const char *models;      /* --models a,b,c: the only models served and listed; NULL: any
                                model is served (sim_models.h) */

    int quota_enabled;    /* --quota-after was given */
    uint64_t quota_after; /* then: 200s before every call gets insufficient_quota */

    /* The batch APIs (sim_batchapi.h). A batch's "ordinal" counts the create calls that
     * passed the key and body checks, over the three protocols, from 1. */
    double batch_seconds;                    /* how long a batch takes (2.0) */
    double batch_line_fail_rate;             /* lines failing retryably (a draw each) */
    unsigned long batch_expire_nth;          /* this batch expires (0: none) ... */
    double batch_expire_fraction;            /* ... with this fraction of its lines not run */
    unsigned long batch_validation_fail_nth; /* this batch fails validation (0: none) */
    unsigned long long batch_enqueued_tokens; /* per model and protocol: the most estimated
                                                 prompt tokens of unfinished batches (0: no
                                                 limit) */
} sim_config_t;

#endif
