/* redact.c - secret scrubbing for messages that quote a server's words. */
#include "util/redact.h"

#include <string.h>

void redact_secret(char *text, size_t cap, const char *secret)
{
    static const char mask[] = "[redacted]";
    size_t slen = secret ? strlen(secret) : 0;
    if (slen < 4 || cap == 0)
        return;
    char *p, *from = text;
    while ((p = strstr(from, secret))) {
        size_t tail = strlen(p + slen);
        size_t at = (size_t)(p - text);
        size_t mlen = sizeof mask - 1;
        if (at + mlen >= cap)
            mlen = cap - 1 - at;
        size_t keep = at + mlen + tail < cap ? tail : cap - 1 - at - mlen;
        memmove(p + mlen, p + slen, keep);
        memcpy(p, mask, mlen);
        p[mlen + keep] = '\0';
        from = p + mlen; /* the mask itself may contain the secret's letters */
    }
}
