/* idset.h - the item ids a run has already seen, to refuse a second item with the same id.
 *
 * Two items with one id would share one journal row (the second's result overwriting the
 * first's) and one line id in the output. The set keeps a 64-bit digest (the first 8
 * bytes of the id's SHA-256) per id in an open-addressing table that doubles at half
 * load: about 16 bytes per item, 16 MB for a million items. Two different ids collide
 * with a probability of about n^2 / 2^65 (3e-8 for a million items). */
#ifndef VB_IDSET_H
#define VB_IDSET_H

#include <stddef.h>

typedef struct idset idset_t;

/* Creates an empty set. NULL when out of memory. */
idset_t *idset_new(void);

/* Adds id (len bytes, any bytes). Returns 1 when it was new, 0 when the set already
 * held it, -1 when out of memory (the id is then treated as new). */
int idset_add(idset_t *s, const char *id, size_t len);

/* Whether the set holds id. Only reads: threads may ask at once while nobody adds. */
int idset_has(const idset_t *s, const char *id, size_t len);

/* Frees the set. NULL is a no-op. */
void idset_free(idset_t *s);

#endif
