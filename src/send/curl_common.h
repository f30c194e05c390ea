/* curl_common.h - the libcurl options every handle visionbatch sends through shares
 * (the online pool in transfer.c and the batch API's calls in batchapi_http.c): TLS
 * verification and the CAs trusted, proxies, protocols, redirects, compression and the
 * user agent. One place, so the two paths cannot drift apart. */
#ifndef VB_CURL_COMMON_H
#define VB_CURL_COMMON_H

#include <curl/curl.h>
#include <stddef.h>
#include <visionbatch.h>

/* The CAs a job trusts, as curl(1) picks them: o->ca_cert (--ca-cert), else
 * $CURL_CA_BUNDLE, else $SSL_CERT_FILE; and $SSL_CERT_DIR as a directory of hashed
 * certificates. NULL fields: libcurl's built-in default (the system's bundle). The
 * strings are o's or the environment's (valid while they are). */
typedef struct curl_common_ca {
    const char *file;      /* CURLOPT_CAINFO */
    const char *file_from; /* "--ca-cert", "CURL_CA_BUNDLE" or "SSL_CERT_FILE" */
    const char *dir;       /* CURLOPT_CAPATH */
} curl_common_ca_t;

curl_common_ca_t curl_common_ca(const vb_options_t *o);

/* Checks once, at job setup, that the CA file (and directory) curl_common_ca picks can
 * be read, so a mistyped path is a start-up error and not a TLS failure on every
 * request. Returns 0, or -1 with err naming the path and where it came from. With
 * o->insecure nothing is checked (nothing is verified). */
int curl_common_check_ca(const vb_options_t *o, char *err, size_t errlen);

/* Sets the shared options on easy handle c, which will send to url (the base URL's host):
 * no signals, http/https only, HTTP/2 over TLS, redirects never followed, any
 * compression libcurl decodes, the user agent, TLS verified against curl_common_ca(o)
 * (unless o->insecure), and no proxy at all for a loopback host. Proxies from the
 * environment (https_proxy, no_proxy, ...) otherwise stay libcurl's to apply. */
void curl_common_setopts(CURL *c, const vb_options_t *o, const char *url);

/* Whether url's host is loopback (127.0.0.0/8, ::1, localhost). */
int curl_common_url_is_loopback(const char *url);

#endif
