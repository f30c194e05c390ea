/* net_failure.c - a failed transfer in words: host:port, the proxy, libcurl's error
 * buffer and the OS error (net_failure.h). */
#include "send/net_failure.h"

#include "util/proxy_env.h"
#include "util/redact.h"
#include "util/url_policy.h"

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

bool net_failure_proxy_for(const char *url, char *out, size_t outlen)
{
    out[0] = '\0';
    char host[256];
    url_host(url, host, sizeof host);
    if (!host[0] || url_policy_is_loopback(host)) /* loopback never goes through a proxy */
        return false;
    return proxy_env_for(strncasecmp(url, "https:", 6) == 0 ? "https" : "http", host, out,
                         outlen) == 1;
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
    redact_userinfo(out); /* libcurl's words may quote the proxy setting, password and all */
    redact_secret(out, outlen, secret);
}
