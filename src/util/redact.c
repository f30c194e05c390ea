/* redact.c - secret scrubbing for messages that quote a server's words. */
#include "util/redact.h"

#include <string.h>
#include <strings.h>

/* The first place at or after from where secret (slen bytes) occurs, ignoring ASCII case:
 * a server may echo the key upper- or lower-cased. NULL when none. */
static char *find_caseless(char *from, const char *secret, size_t slen)
{
    for (char *p = from; *p; p++)
        if (strncasecmp(p, secret, slen) == 0)
            return p;
    return NULL;
}

void redact_secret(char *text, size_t cap, const char *secret)
{
    static const char mask[] = "[redacted]";
    size_t slen = secret ? strlen(secret) : 0;
    if (slen < 4 || cap == 0)
        return;
    char *p, *from = text;
    while ((p = find_caseless(from, secret, slen))) {
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

void redact_userinfo(char *text)
{
    for (char *p = strstr(text, "//"); p; p = strstr(p, "//")) {
        char *host = p + 2;
        size_t auth = strcspn(host, "/?#'\" \t<>");
        char *at = NULL; /* the last '@' of the authority ends the userinfo */
        for (char *a = host; a < host + auth; a++)
            if (*a == '@')
                at = a;
        for (char *a = host; at && a < at; a++)
            *a = '*'; /* in place: the length is all that shows */
        p = host;
    }
}
