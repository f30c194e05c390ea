/* ratelimit_headers.c - parsing of rate-limit headers and their time formats. */
#define _XOPEN_SOURCE 700 /* strptime */
#include "admit/ratelimit_headers.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a plain non-negative decimal number that fills the whole string. */
static int parse_number(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

int ratelimit_parse_duration(const char *s, double *seconds)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"ms", 1e-3}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ns", 1e-9},
                 {"h", 3600},  {"m", 60},    {"s", 1}};
    if (!s)
        return -1;
    if (parse_number(s, seconds) == 0)
        return 0;
    double total = 0;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return -1;
    while (*p && !isspace((unsigned char)*p)) {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        errno = 0;
        double v = strtod(p, &end);
        if (errno || end == p || !isfinite(v))
            return -1;
        p = end;
        size_t i, n = sizeof units / sizeof units[0];
        for (i = 0; i < n; i++) {
            size_t ulen = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, ulen) == 0) {
                total += v * units[i].scale;
                p += ulen;
                break;
            }
        }
        if (i == n)
            return -1;
    }
    if (!isfinite(total)) /* "1e308h": each part finite, their sum in seconds not */
        return -1;
    *seconds = total;
    return 0;
}

int ratelimit_parse_retry_after(const char *s, time_t now, double *seconds)
{
    if (!s)
        return -1;
    if (parse_number(s, seconds) == 0)
        return 0;
    time_t when = curl_getdate(s, NULL);
    if (when == (time_t)-1)
        return -1;
    *seconds = when > now ? (double)(when - now) : 0;
    return 0;
}

/* Parses an RFC 3339 time ("2026-11-25T03:10:00Z", "...:00.5+01:00") into seconds from
 * now (0 when in the past). Returns 0, or -1. */
static int parse_rfc3339_from_now(const char *s, time_t now, double *seconds)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    double frac = 0, unit = 0.1;
    if (*p == '.') { /* digits only: strtod would take an exponent ("1e3085") */
        if (!isdigit((unsigned char)*++p))
            return -1;
        for (; isdigit((unsigned char)*p); p++, unit /= 10)
            frac += (*p - '0') * unit;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        char sign = *p;
        if (strlen(p) < 6 || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
            p[3] != ':' || !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
            return -1;
        hh = (p[1] - '0') * 10 + (p[2] - '0');
        mm = (p[4] - '0') * 10 + (p[5] - '0');
        offset = (hh * 3600L + mm * 60L) * (sign == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    time_t when = timegm(&tm) - offset;
    double d = (double)(when - now) + frac;
    *seconds = d > 0 ? d : 0;
    return 0;
}

double ratelimit_header_number(header_get_fn get, void *ctx, const char *name)
{
    double v;
    const char *s = get(ctx, name);
    return s && parse_number(s, &v) == 0 ? v : -1;
}

double ratelimit_header_duration(header_get_fn get, void *ctx, const char *name)
{
    double v;
    const char *s = get(ctx, name);
    return s && ratelimit_parse_duration(s, &v) == 0 ? v : -1;
}

double ratelimit_header_rfc3339(header_get_fn get, void *ctx, const char *name, time_t now)
{
    double v;
    const char *s = get(ctx, name);
    return s && parse_rfc3339_from_now(s, now, &v) == 0 ? v : -1;
}
