/* net_failure.c - a failed transfer in words: host:port, the proxy, libcurl's error
 * buffer and the OS error (net_failure.h). */
#include "send/net_failure.h"

#include "util/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* libcurl 7.88 refuses response headers over CURL_MAX_HTTP_HEADER (100 KiB) with
 * CURLE_OUT_OF_MEMORY and an empty error buffer (lib/http.c, dynbuf's cap). */
#define HEADER_CAP_KB (CURL_MAX_HTTP_HEADER / 1024)

void net_failure_host_port(const char *url, char *out, size_t outlen)
{
    out[0] = '\0';
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        snprintf(out, outlen, "%s:%s", host, port);
    else if (host)
        snprintf(out, outlen, "%s", host);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* The host url names (lower case as libcurl compares it) into out; "" when none. */
static void url_host(const char *url, char *out, size_t outlen)
{
    out[0] = '\0';
    CURLU *u = curl_url();
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        snprintf(out, outlen, "%s", host);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    curl_free(host);
    curl_url_cleanup(u);
}

/* Whether host is a loopback name or address: such targets never go through a proxy
 * (issue #17 point 9: the key must not cross a proxy in clear for a local server). */
static bool is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

/* Whether no_proxy (a comma- or space-separated list, "*" for all) names host: equal, or
 * a domain host is under (".example.com" and "example.com" both cover a.example.com), as
 * libcurl's check_noproxy reads it for names (address ranges are not matched here). */
static bool no_proxy_covers(const char *no_proxy, const char *host)
{
    size_t hlen = strlen(host);
    const char *p = no_proxy;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 1 && *start == '*')
            return true;
        if (n && *start == '.')
            start++, n--;
        if (!n)
            continue;
        if (hlen == n && strncasecmp(host, start, n) == 0)
            return true;
        if (hlen > n && host[hlen - n - 1] == '.' && strncasecmp(host + hlen - n, start, n) == 0)
            return true;
    }
    return false;
}

/* The first of names[] set (and not empty) in the environment, or NULL. */
static const char *env_first(const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = names[i] ? getenv(names[i]) : NULL;
        if (v && *v)
            return v;
    }
    return NULL;
}

bool net_failure_proxy_for(const char *url, char *out, size_t outlen)
{
    out[0] = '\0';
    char host[256];
    url_host(url, host, sizeof host);
    if (!host[0] || is_loopback(host))
        return false;
    static const char *const no_names[] = {"no_proxy", "NO_PROXY"};
    const char *no_proxy = env_first(no_names, 2);
    if (no_proxy && no_proxy_covers(no_proxy, host))
        return false;
    /* libcurl reads only the lower-case http_proxy (an upper-case HTTP_PROXY may be set by
     * a CGI environment from a request header) */
    bool https = strncasecmp(url, "https:", 6) == 0;
    const char *const names[] = {https ? "https_proxy" : "http_proxy", https ? "HTTPS_PROXY" : NULL,
                                 "all_proxy", "ALL_PROXY"};
    const char *proxy = env_first(names, 4);
    if (!proxy)
        return false;
    CURLU *u = curl_url();
    char *phost = NULL, *pport = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, proxy, CURLU_GUESS_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &phost, 0) == CURLUE_OK) {
        /* only host and port: a proxy URL's user:password never reaches a message */
        if (curl_url_get(u, CURLUPART_PORT, &pport, 0) != CURLUE_OK)
            pport = NULL; /* libcurl's default proxy port */
        snprintf(out, outlen, "%s:%s", phost, pport ? pport : "1080");
    } else {
        snprintf(out, outlen, "(unparsable proxy setting)");
    }
    curl_free(phost);
    curl_free(pport);
    curl_url_cleanup(u);
    return true;
}

static long info_long(CURL *easy, CURLINFO what)
{
    long v = 0;
    return curl_easy_getinfo(easy, what, &v) == CURLE_OK ? v : 0;
}

/* Whether a connection to the server (or the proxy) was made at all. */
static bool connected(CURL *easy)
{
    curl_off_t us = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &us);
    return us > 0;
}

bool net_failure_unreachable(CURL *easy, CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PROXY:
        return true;
    case CURLE_OPERATION_TIMEDOUT:
        return !connected(easy); /* the connect itself timed out */
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return info_long(easy, CURLINFO_HTTP_CONNECTCODE) >= 300; /* the proxy said no */
    default:
        return false;
    }
}

bool net_failure_silent_timeout(CURL *easy, CURLcode rc)
{
    return rc == CURLE_OPERATION_TIMEDOUT && connected(easy) &&
           info_long(easy, CURLINFO_HEADER_SIZE) == 0 &&
           info_long(easy, CURLINFO_RESPONSE_CODE) == 0;
}

/* libcurl's words for the failure: its error buffer, else the code's name. */
static const char *curl_words(CURLcode rc, const char *errbuf)
{
    return errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
}

/* The OS error of a failed connect ("Connection refused"), else libcurl's words. */
static const char *connect_words(CURL *easy, CURLcode rc, const char *errbuf)
{
    long os = info_long(easy, CURLINFO_OS_ERRNO);
    return os > 0 ? strerror((int)os) : curl_words(rc, errbuf);
}

void net_failure_describe(CURL *easy, CURLcode rc, const char *errbuf, const char *url,
                          double timeout_s, const char *secret, char *out, size_t outlen)
{
    char target[300], proxy[300];
    net_failure_host_port(url, target, sizeof target);
    bool proxied = net_failure_proxy_for(url, proxy, sizeof proxy);
    long connect_code = info_long(easy, CURLINFO_HTTP_CONNECTCODE);
    char host[256];
    url_host(url, host, sizeof host);

    if (proxied && connect_code >= 300)
        snprintf(out, outlen, "proxy %s refused the CONNECT to %s (HTTP %ld%s)", proxy, target,
                 connect_code,
                 connect_code == 407 ? ": it wants credentials, give them in the proxy URL" : "");
    else if (rc == CURLE_COULDNT_RESOLVE_PROXY)
        snprintf(out, outlen, "cannot resolve proxy %s (%s)", proxied ? proxy : "host",
                 curl_words(rc, errbuf));
    else if (rc == CURLE_COULDNT_RESOLVE_HOST)
        snprintf(out, outlen, "cannot resolve host %s (check the base URL and DNS)", host);
    else if (rc == CURLE_COULDNT_CONNECT && proxied)
        snprintf(out, outlen, "cannot connect to proxy %s (%s) to reach %s", proxy,
                 connect_words(easy, rc, errbuf), target);
    else if (rc == CURLE_COULDNT_CONNECT)
        snprintf(out, outlen, "cannot connect to %s (%s)", target, connect_words(easy, rc, errbuf));
    else if (rc == CURLE_PROXY)
        snprintf(out, outlen, "proxy %s failed for %s (%s)", proxied ? proxy : "(from libcurl)",
                 target, curl_words(rc, errbuf));
    else if (rc == CURLE_SSL_CONNECT_ERROR)
        snprintf(out, outlen, "TLS handshake with %s failed (%s)", target, curl_words(rc, errbuf));
    else if (rc == CURLE_OPERATION_TIMEDOUT && !connected(easy))
        snprintf(out, outlen, "cannot connect to %s%s%s: no answer to the connect (%s)", target,
                 proxied ? " through proxy " : "", proxied ? proxy : "", curl_words(rc, errbuf));
    else if (net_failure_silent_timeout(easy, rc))
        snprintf(out, outlen,
                 "no response from %s within %g s: the connection opened, not one "
                 "byte came back",
                 target, timeout_s);
    else if (rc == CURLE_OUT_OF_MEMORY && info_long(easy, CURLINFO_RESPONSE_CODE) > 0 &&
             (!errbuf || !errbuf[0] || strstr(errbuf, "header") || strstr(errbuf, "Header")))
        snprintf(out, outlen,
                 "response header too large from %s (libcurl takes at most %d KB "
                 "of response headers)",
                 target, HEADER_CAP_KB);
    else
        snprintf(out, outlen, "%s (%s%s%s)", curl_words(rc, errbuf), target,
                 proxied ? " through proxy " : "", proxied ? proxy : "");
    redact_secret(out, outlen, secret);
}
