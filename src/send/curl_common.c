/* curl_common.c - the libcurl options every handle shares (curl_common.h). */
#include "send/curl_common.h"

#include "util/url_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* getenv, an empty value taken as unset. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

curl_common_ca_t curl_common_ca(const vb_options_t *o)
{
    /* curl(1)'s order (src/tool_operate.c): CURL_CA_BUNDLE, then SSL_CERT_DIR and
     * SSL_CERT_FILE; libcurl itself reads none of them. */
    curl_common_ca_t ca = {0};
    if (o->ca_cert && o->ca_cert[0]) {
        ca.file = o->ca_cert;
        ca.file_from = "--ca-cert";
    } else if ((ca.file = env_value("CURL_CA_BUNDLE"))) {
        ca.file_from = "CURL_CA_BUNDLE";
    } else if ((ca.file = env_value("SSL_CERT_FILE"))) {
        ca.file_from = "SSL_CERT_FILE";
    }
    ca.dir = env_value("SSL_CERT_DIR");
    return ca;
}

int curl_common_check_ca(const vb_options_t *o, char *err, size_t errlen)
{
    if (o->insecure)
        return 0;
    curl_common_ca_t ca = curl_common_ca(o);
    struct stat st;
    if (ca.file &&
        (access(ca.file, R_OK) != 0 || stat(ca.file, &st) != 0 || !S_ISREG(st.st_mode))) {
        snprintf(err, errlen, "cannot read the CA file %.300s (from %s): give a readable PEM file",
                 ca.file, ca.file_from);
        return -1;
    }
    if (ca.dir && (stat(ca.dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "SSL_CERT_DIR %.300s is not a readable directory", ca.dir);
        return -1;
    }
    return 0;
}

int curl_common_url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int loopback = 0;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        loopback = url_policy_is_loopback(host);
    curl_free(host);
    curl_url_cleanup(u);
    return loopback;
}

void curl_common_setopts(CURL *c, const vb_options_t *o, const char *url)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* Redirects are never followed: a custom Authorization header would go along to
     * whatever host the Location names (libcurl 7.88 keeps custom headers across hosts).
     * A 3xx stops the run, naming the Location (answer_words.h). */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "visionbatch/" VB_VERSION);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    curl_common_ca_t ca = curl_common_ca(o);
    if (ca.file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca.file);
    if (ca.dir)
        curl_easy_setopt(c, CURLOPT_CAPATH, ca.dir);
    /* A loopback endpoint is on this machine: a proxy from http_proxy or all_proxy would
     * carry a plain-http request (and its key) off it, in clear (url_policy.h). */
    if (curl_common_url_is_loopback(url))
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
}
