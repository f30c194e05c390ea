/* sim_multipart.c - multipart/form-data, one field at a time (sim_multipart.h).
 *
 * Parts are separated by CRLF "--" boundary; each has headers up to an empty line, of
 * which only Content-Disposition matters here (form-data; name="..."; filename="...").
 * The content is never copied: the caller gets a pointer into the body. */
#include "sim_multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 200 /* RFC 2046 allows 70 characters; be lenient */

/* The first occurrence of needle[0..nlen) in hay[0..hlen), or NULL. */
static const char *find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0 || hlen < nlen)
        return NULL;
    const char *end = hay + (hlen - nlen);
    for (const char *p = hay; p <= end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p, needle, nlen) == 0)
            return p;
    }
    return NULL;
}

/* Copies the value of parameter param (name="value" or name=value) of header value h
 * (h_len bytes) into out. Returns 0, or -1 when h has no such parameter. */
static int header_param(const char *h, size_t h_len, const char *param, char *out, size_t cap)
{
    size_t plen = strlen(param);
    for (size_t i = 0; i + plen + 1 <= h_len; i++) {
        /* a parameter starts after ';' or white space */
        if ((i > 0 && h[i - 1] != ';' && h[i - 1] != ' ' && h[i - 1] != '\t') ||
            strncasecmp(h + i, param, plen) != 0 || h[i + plen] != '=')
            continue;
        const char *v = h + i + plen + 1, *end = h + h_len;
        size_t n = 0;
        if (v < end && *v == '"') {
            v++;
            while (v + n < end && v[n] != '"')
                n++;
        } else {
            while (v + n < end && v[n] != ';' && v[n] != ' ' && v[n] != '\r' && v[n] != '\n')
                n++;
        }
        snprintf(out, cap, "%.*s", (int)n, v);
        return 0;
    }
    return -1;
}

/* Finds header name in the part headers hdr[0..len) and sets *value, *value_len. */
static int part_header(const char *hdr, size_t len, const char *name, const char **value,
                       size_t *value_len)
{
    size_t nlen = strlen(name);
    const char *p = hdr, *end = hdr + len;
    while (p < end) {
        const char *eol = find_bytes(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            *value = p + nlen + 1;
            *value_len = (size_t)(eol - *value);
            return 0;
        }
        p = eol + 2;
    }
    return -1;
}

int sim_multipart_field(const char *content_type, const char *body, size_t len, const char *name,
                        const char **value, size_t *value_len, char *filename, size_t filename_cap,
                        char *why, size_t whylen)
{
    char boundary[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 5];
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0 ||
        header_param(content_type, strlen(content_type), "boundary", boundary, sizeof boundary) !=
            0 ||
        !boundary[0]) {
        snprintf(why, whylen, "The request is not multipart/form-data with a boundary.");
        return -1;
    }
    /* every delimiter but the first follows a CRLF; the first may start the body */
    int dlen = snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    const char *p = NULL;
    if (len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0)
        p = body + dlen - 2;
    else if ((p = find_bytes(body, len, delim, (size_t)dlen)) != NULL)
        p += dlen;
    const char *end = body + len;
    while (p && end - p >= 2 && memcmp(p, "--", 2) != 0) {
        if (memcmp(p, "\r\n", 2) != 0)
            break;
        p += 2;
        const char *hdr_end = find_bytes(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hdr_end)
            break;
        const char *content = hdr_end + 4;
        const char *next = find_bytes(content, (size_t)(end - content), delim, (size_t)dlen);
        if (!next)
            break;
        const char *disp;
        size_t disp_len;
        char part_name[128];
        if (part_header(p, (size_t)(hdr_end - p), "Content-Disposition", &disp, &disp_len) == 0 &&
            header_param(disp, disp_len, "name", part_name, sizeof part_name) == 0 &&
            strcmp(part_name, name) == 0) {
            if (header_param(disp, disp_len, "filename", filename, filename_cap) != 0)
                filename[0] = '\0';
            *value = content;
            *value_len = (size_t)(next - content);
            return 0;
        }
        p = next + dlen;
    }
    snprintf(why, whylen, "The multipart body has no '%s' field.", name);
    return -1;
}
