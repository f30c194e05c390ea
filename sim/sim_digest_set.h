/* sim_digest_set.h - a set of 32-byte SHA-256 digests, for the simulator's counters of
 * distinct images billed and of batch lines billed twice.
 *
 * An open-addressing table that doubles at half load, up to a maximum number of slots:
 * past it the set fills up to three quarters and then refuses new digests (the counters
 * are test aids; a run of millions of distinct images does not need them exact). An
 * all-zero digest is never stored: no real content hashes to zero. Not thread-safe: the
 * owner locks. */
#ifndef VB_SIM_DIGEST_SET_H
#define VB_SIM_DIGEST_SET_H

#include <stddef.h>

#include "sim_reply.h"

typedef struct {
    unsigned char (*slots)[SIM_DIGEST_LEN]; /* n_slots slots; NULL until the first digest */
    size_t n_slots, count;
    size_t max_slots; /* a power of two */
} sim_digest_set_t;

/* An empty set of at most max_slots slots (a power of two, at least 1024). */
void sim_digest_set_init(sim_digest_set_t *s, size_t max_slots);

/* Adds digest d. Returns 1 when it was new, 0 when it was there already, -1 when it could
 * not be added (all zero, the set full, or out of memory). */
int sim_digest_set_add(sim_digest_set_t *s, const unsigned char *d);

/* Forgets every digest and frees the table; the set stays usable. */
void sim_digest_set_clear(sim_digest_set_t *s);

#endif
