/* sim_batchapi_stats.h - the batch APIs' counters, shown under "batch" in GET /sim/stats:
 * lines ok / failed / not run, the tokens of the ok lines (the bill), batch creates
 * refused by a fault, and billed_twice, the "never paid twice" check: ok lines whose
 * key (their protocol and image hashes, or body when they have no image) was billed ok
 * before. The store (sim_batchapi.c) owns one and locks around every call. */
#ifndef VB_SIM_BATCHAPI_STATS_H
#define VB_SIM_BATCHAPI_STATS_H

#include <jansson.h>
#include <stddef.h>

#include "sim_digest_set.h"
#include "sim_protocol.h"

/* What a batch's lines came to. */
typedef struct {
    size_t ok;                                           /* answered 200 */
    size_t refused;                                      /* refused as online (4xx) */
    size_t faults;                                       /* failed by --batch-line-fail-rate */
    size_t not_run;                                      /* expired or cancelled */
    unsigned long long prompt_tokens, completion_tokens; /* of the ok lines */
} sim_btally_t;

/* The files and batches as they are when the counters are shown. */
typedef struct {
    unsigned long long files, file_bytes; /* uploads */
    unsigned long long batches, open;
    unsigned long long by_protocol[SIM_PROTO_COUNT];
    unsigned long long final[4]; /* completed, failed, expired, cancelled */
} sim_bcensus_t;

typedef struct {
    size_t files_mark, batches_mark; /* the first file and batch counted since a reset */
    unsigned long long refused;
    sim_btally_t lines;
    unsigned long long billed_twice;
    sim_digest_set_t billed; /* the keys of the ok lines */
} sim_bstats_t;

/* Zeroed counters. */
void sim_bstats_init(sim_bstats_t *s);

/* Frees what s holds. */
void sim_bstats_clear(sim_bstats_t *s);

/* Adds a batch's tally and the keys of its ok lines. */
void sim_bstats_book(sim_bstats_t *s, const sim_btally_t *t,
                     const unsigned char (*keys)[SIM_DIGEST_LEN], size_t n_keys);

/* The counters and census c as a new JSON object (NULL when out of memory): see
 * sim_batchapi_stats_json. */
json_t *sim_bstats_json(const sim_bstats_t *s, const sim_bcensus_t *c);

/* Zeroes the counters and forgets the keys; counts files and batches from the given
 * numbers on. */
void sim_bstats_reset(sim_bstats_t *s, size_t n_files, size_t n_batches);

#endif
