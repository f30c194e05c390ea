/* redact.h - keeps a secret (the API key) out of text that will be shown or stored. */
#ifndef VB_REDACT_H
#define VB_REDACT_H

#include <stddef.h>

/* Replaces every occurrence of secret, in any ASCII case (a server may echo the key
 * upper- or lower-cased), in the NUL-terminated text (of capacity cap bytes)
 * with "[redacted]", truncating if needed. secret NULL or shorter than 4 characters is
 * ignored (too short to be a key, and would garble ordinary words). */
void redact_secret(char *text, size_t cap, const char *secret);

/* Masks the user:password part of every URL authority in the NUL-terminated text
 * ("scheme://user:pw@host" and scheme-relative "//user:pw@host": each character of
 * user:pw becomes an asterisk), in place: libcurl's error buffer quotes a proxy setting whole, password and all. */
void redact_userinfo(char *text);

#endif
