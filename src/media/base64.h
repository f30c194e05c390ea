/* base64.h - standard base64 (RFC 4648, with padding) for data URLs. */
#ifndef VB_BASE64_H
#define VB_BASE64_H

#include <stddef.h>

/* Characters base64_encode writes for len input bytes (without the NUL). */
size_t base64_encoded_len(size_t len);

/* Encodes in[0..len) into out, which must hold base64_encoded_len(len) + 1 bytes;
 * NUL-terminates. Returns the number of characters written. */
size_t base64_encode(const unsigned char *in, size_t len, char *out);

/* Decodes in[0..len) (no whitespace, padding required) into out, which must hold
 * len / 4 * 3 bytes. Returns the decoded length, or -1 when in is not valid base64. */
long base64_decode(const char *in, size_t len, unsigned char *out);

#endif
