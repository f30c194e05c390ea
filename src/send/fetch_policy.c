/* fetch_policy.c - redirect rules, URLs in messages and failure reasons of --fetch-urls. */
#include "send/fetch_policy.h"

#include "util/redact.h"

#include <stdio.h>
#include <string.h>

void fetch_url_for_message(const char *url, char *out, size_t outlen)
{
    if (!outlen)
        return;
    out[0] = '\0';
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
        curl_url_get(u, CURLUPART_PATH, &path, 0);
        snprintf(out, outlen, "%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
                 path ? path : "/");
    } else {
        snprintf(out, outlen, "%.*s", (int)strcspn(url, "?#"), url);
        redact_userinfo(out);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
}

int fetch_outcome_ok(const fetch_outcome_t *o)
{
    return o->code == CURLE_OK && !o->over_cap && o->http_status >= 200 && o->http_status < 300;
}

/* Failures said in fixed words (the others in libcurl's, below). */
static const struct {
    CURLcode code;
    const char *reason;
} plain[] = {
    {CURLE_COULDNT_RESOLVE_HOST, "DNS: cannot resolve the host"},
    {CURLE_COULDNT_RESOLVE_PROXY, "DNS: cannot resolve the proxy"},
    {CURLE_COULDNT_CONNECT, "cannot connect to the host"},
    {CURLE_PEER_FAILED_VERIFICATION, "TLS: the server's certificate is not trusted"},
};

void fetch_failure_reason(const fetch_outcome_t *o, char *out, size_t outlen)
{
    if (o->over_cap || o->code == CURLE_FILESIZE_EXCEEDED) {
        snprintf(out, outlen, "larger than --max-image-bytes (%zu bytes)", o->cap);
        return;
    }
    switch (o->code) {
    case CURLE_OK:
        snprintf(out, outlen, "HTTP %ld", o->http_status);
        return;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(out, outlen, "timed out after %g s (--timeout)", o->timeout_s);
        return;
    case CURLE_UNSUPPORTED_PROTOCOL:
        snprintf(out, outlen,
                 o->redirects > 0 || o->http_status / 100 == 3
                     ? "redirect refused: only http and https are followed"
                     : "only http and https URLs are fetched");
        return;
    case CURLE_TOO_MANY_REDIRECTS:
        snprintf(out, outlen, "redirect refused: more than %ld redirects", FETCH_MAX_REDIRECTS);
        return;
    default:
        break;
    }
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (plain[i].code == o->code) {
            snprintf(out, outlen, "%s", plain[i].reason);
            return;
        }
    }
    /* libcurl's own words; they may quote the URL (and a proxy's password) */
    char detail[256];
    snprintf(detail, sizeof detail, "%s",
             o->curl_error && o->curl_error[0] ? o->curl_error : curl_easy_strerror(o->code));
    redact_userinfo(detail);
    char *query = strpbrk(detail, "?#");
    if (query)
        *query = '\0';
    snprintf(out, outlen, "%s", detail);
}
