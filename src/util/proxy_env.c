/* proxy_env.c - the proxy libcurl takes from the environment (proxy_env.h). */
#include "util/proxy_env.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* getenv, with an empty value taken as unset (as libcurl does). */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

int proxy_env_noproxy_matches(const char *no_proxy, const char *host)
{
    if (!no_proxy || !host)
        return 0;
    size_t hlen = strlen(host);
    if (hlen > 0 && host[hlen - 1] == '.') /* "example.com." is example.com */
        hlen--;
    const char *p = no_proxy;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p && *p != ',' && !isspace((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - start);
        if (len == 1 && *start == '*')
            return 1;
        if (len > 0 && *start == '.') {
            start++;
            len--;
        }
        if (len > 0 && start[len - 1] == '.')
            len--;
        if (len == 0 || len > hlen)
            continue;
        /* the host itself, or a name ending in ".entry" */
        if (strncasecmp(host + hlen - len, start, len) == 0 &&
            (len == hlen || host[hlen - len - 1] == '.'))
            return 1;
    }
    return 0;
}

/* "host:port" of proxy URL text (a bare "host:port" is http://), without its
 * user:password, into out. Returns 0, or -1 when it does not parse. */
static int proxy_host_port(const char *proxy, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    int rc = -1;
    if (u &&
        curl_url_set(u, CURLUPART_URL, proxy, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        /* libcurl's default proxy port is 1080 (CURLOPT_PROXYPORT) */
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
            port = NULL;
        snprintf(out, outlen, "%s:%s", host, port ? port : "1080");
        rc = 0;
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

int proxy_env_for(const char *scheme, const char *host, char *out, size_t outlen)
{
    const char *no_proxy = env_value("no_proxy");
    if (!no_proxy)
        no_proxy = env_value("NO_PROXY");
    if (proxy_env_noproxy_matches(no_proxy, host))
        return 0;

    char var[32];
    snprintf(var, sizeof var, "%s_proxy", scheme);
    for (char *c = var; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *proxy = env_value(var);
    if (!proxy && strcmp(var, "http_proxy") != 0) {
        for (char *c = var; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        proxy = env_value(var);
    }
    if (!proxy) {
        snprintf(var, sizeof var, "all_proxy");
        proxy = env_value(var);
    }
    if (!proxy) {
        snprintf(var, sizeof var, "ALL_PROXY");
        proxy = env_value(var);
    }
    if (!proxy)
        return 0;
    char where[300];
    if (proxy_host_port(proxy, where, sizeof where) != 0)
        snprintf(where, sizeof where, "an unparsable address");
    snprintf(out, outlen, "%s (from %s)", where, var);
    return 1;
}
