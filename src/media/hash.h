/* hash.h - content hashes of image bytes (SHA-256, lowercase hex). */
#ifndef VB_HASH_H
#define VB_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64

/* Writes the SHA-256 of data[0..len) as 64 lowercase hex digits plus NUL into out.
 * data may be NULL when len is 0. */
void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1]);

#endif
