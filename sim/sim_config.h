/* sim_config.h - the simulator's settings, filled once by main from the command line and
 * read-only afterwards (every thread may read them without a lock). */
#ifndef VB_SIM_CONFIG_H
#define VB_SIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define SIM_DEFAULT_MAX_IMAGE_BYTES ((size_t)20 * 1024 * 1024)
#define SIM_DEFAULT_MAX_BODY_BYTES  ((size_t)50 * 1024 * 1024)

typedef struct {
    const char *host;        /* listen address, numeric IPv4 or IPv6 */
    unsigned port;           /* 0: the kernel picks */
    unsigned latency_ms;     /* added before every valid answer */
    unsigned jitter_ms;      /* latency varies uniformly by +- this */
    uint64_t seed;           /* seeds the simulator's PRNG */
    const char *key;         /* required bearer key, or NULL to accept any */
    size_t max_image_bytes;  /* decoded bytes per image */
    size_t max_body_bytes;   /* request body; larger gets 413 */
    const char *record_path; /* append each chat/completions body here, or NULL */
} sim_config_t;

#endif
