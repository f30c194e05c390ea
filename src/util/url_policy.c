/* url_policy.c - the base URL's scheme and host, checked before anything is sent. */
#include "util/url_policy.h"

#include "util/proxy_env.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int url_policy_is_loopback(const char *host)
{
    char buf[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* [::1] */
        if (n - 2 >= sizeof buf)
            return 0;
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
        return 1;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
    return 0;
}

int url_policy_check(const char *base_url, int allow_http, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, base_url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        snprintf(err, errlen, "base URL is not a valid http(s) URL with a host");
        goto out;
    }
    if (strcasecmp(scheme, "https") == 0) {
        rc = 0;
    } else if (strcasecmp(scheme, "http") != 0) {
        snprintf(err, errlen, "base URL must start with http:// or https://");
    } else if (allow_http || url_policy_is_loopback(host)) {
        rc = 0;
    } else {
        char proxy[400];
        if (proxy_env_for("http", host, proxy, sizeof proxy))
            snprintf(err, errlen,
                     "refusing plain http:// to %.200s through the proxy %s: the API key would "
                     "travel unencrypted to the proxy and past it. Use https:// (the proxy then "
                     "only tunnels TLS), or --allow-http if the proxy and the network are trusted",
                     host, proxy);
        else
            snprintf(err, errlen,
                     "refusing plain http:// to %.200s: the API key would be sent unencrypted. "
                     "Use https://, or --allow-http if this network is trusted",
                     host);
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}
