/* sim_digest_set.c - the open-addressing digest table (sim_digest_set.h). */
#include "sim_digest_set.h"

#include <stdlib.h>
#include <string.h>

#define SET_INITIAL_SLOTS 1024

void sim_digest_set_init(sim_digest_set_t *s, size_t max_slots)
{
    memset(s, 0, sizeof *s);
    s->max_slots = max_slots;
}

static size_t digest_slot(const unsigned char *d, size_t slots)
{
    size_t h = 0;
    memcpy(&h, d, sizeof h); /* SHA-256 bytes are already uniformly spread */
    return h & (slots - 1);
}

static int digest_is_empty(const unsigned char *d)
{
    static const unsigned char zero[SIM_DIGEST_LEN];
    return memcmp(d, zero, SIM_DIGEST_LEN) == 0;
}

/* Puts d into the table (which has a free slot); returns 1 when it was new. */
static int table_put(unsigned char (*set)[SIM_DIGEST_LEN], size_t slots, const unsigned char *d)
{
    for (size_t i = digest_slot(d, slots);; i = (i + 1) & (slots - 1)) {
        if (digest_is_empty(set[i])) {
            memcpy(set[i], d, SIM_DIGEST_LEN);
            return 1;
        }
        if (memcmp(set[i], d, SIM_DIGEST_LEN) == 0)
            return 0;
    }
}

/* Makes room for one more digest. Returns -1 when the set may not or cannot grow. */
static int set_reserve(sim_digest_set_t *s)
{
    if (s->slots && (s->count + 1) * 2 <= s->n_slots)
        return 0;
    size_t slots = s->slots ? s->n_slots * 2 : SET_INITIAL_SLOTS;
    /* At the maximum (or out of memory) keep filling up to three quarters. */
    int room = s->slots && (s->count + 1) * 4 <= s->n_slots * 3;
    if (slots > s->max_slots)
        return room ? 0 : -1;
    unsigned char(*grown)[SIM_DIGEST_LEN] = calloc(slots, SIM_DIGEST_LEN);
    if (!grown)
        return room ? 0 : -1;
    for (size_t i = 0; i < s->n_slots; i++)
        if (!digest_is_empty(s->slots[i]))
            table_put(grown, slots, s->slots[i]);
    free(s->slots);
    s->slots = grown;
    s->n_slots = slots;
    return 0;
}

int sim_digest_set_add(sim_digest_set_t *s, const unsigned char *d)
{
    if (digest_is_empty(d))
        return -1;
    if (s->slots) { /* already there: no room needed */
        for (size_t i = digest_slot(d, s->n_slots);; i = (i + 1) & (s->n_slots - 1)) {
            if (digest_is_empty(s->slots[i]))
                break;
            if (memcmp(s->slots[i], d, SIM_DIGEST_LEN) == 0)
                return 0;
        }
    }
    if (set_reserve(s) != 0)
        return -1;
    int added = table_put(s->slots, s->n_slots, d);
    s->count += (size_t)added;
    return added;
}

void sim_digest_set_clear(sim_digest_set_t *s)
{
    free(s->slots);
    s->slots = NULL;
    s->n_slots = s->count = 0;
}
