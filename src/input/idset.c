/* idset.c - a set of 64-bit id digests (open addressing, linear probing). */
#include "input/idset.h"

#include <openssl/sha.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IDSET_INITIAL 1024

struct idset {
    uint64_t *slots; /* 0 is an empty slot; a digest of 0 is stored as 1 */
    size_t cap;      /* a power of two */
    size_t count;
};

idset_t *idset_new(void)
{
    idset_t *s = calloc(1, sizeof *s);
    if (s && !(s->slots = calloc(IDSET_INITIAL, sizeof *s->slots))) {
        free(s);
        return NULL;
    }
    if (s)
        s->cap = IDSET_INITIAL;
    return s;
}

static uint64_t digest_of(const char *id, size_t len)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)id, len, md);
    uint64_t d = 0;
    for (int i = 0; i < 8; i++)
        d = d << 8 | md[i];
    return d ? d : 1;
}

/* Puts d into slots[cap]; returns 1 when new, 0 when present. */
static int put(uint64_t *slots, size_t cap, uint64_t d)
{
    size_t i = (size_t)d & (cap - 1);
    while (slots[i]) {
        if (slots[i] == d)
            return 0;
        i = (i + 1) & (cap - 1);
    }
    slots[i] = d;
    return 1;
}

int idset_add(idset_t *s, const char *id, size_t len)
{
    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap * 2;
        uint64_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                put(slots, cap, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    int fresh = put(s->slots, s->cap, digest_of(id, len));
    s->count += (size_t)fresh;
    return fresh;
}

int idset_has(const idset_t *s, const char *id, size_t len)
{
    uint64_t d = digest_of(id, len);
    for (size_t i = (size_t)d & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == d)
            return 1;
    return 0;
}

void idset_free(idset_t *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s);
}
