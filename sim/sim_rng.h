/* sim_rng.h - splitmix64, the simulator's deterministic random numbers for the batch
 * APIs (ids, line faults, shuffled output): the same --seed gives the same sequence. */
#ifndef VB_SIM_RNG_H
#define VB_SIM_RNG_H

#include <stdint.h>

/* The next 64 random bits of splitmix64 state *state. */
static inline uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A uniform double in [0, 1) from the next 64 random bits of *state. */
static inline double sim_rng_unit(uint64_t *state)
{
    return (double)(sim_rng_next(state) >> 11) * 0x1p-53;
}

#endif
