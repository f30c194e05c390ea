/* net_failure.h - what a failed libcurl transfer says in words a user can act on: which
 * host:port (and which proxy) could not be reached and why, from libcurl's error buffer,
 * the OS error and the connection details, never with a proxy's credentials; and whether
 * the failure means the endpoint cannot be reached at all (send/outage.h counts those).
 * Reads the easy handle after the transfer ended; nothing here keeps state. */
#ifndef VB_NET_FAILURE_H
#define VB_NET_FAILURE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes one line into out (outlen bytes) describing why the transfer on easy to url
 * failed with rc (not CURLE_OK): "cannot connect to 127.0.0.1:9 (Connection refused)",
 * "cannot resolve host api.example.com", "proxy 127.0.0.1:3128 refused the CONNECT to
 * api.example.com:443 (HTTP 407)", "response header too large from 127.0.0.1:8080 (...)".
 * errbuf is the handle's CURLOPT_ERRORBUFFER (may be NULL or ""); timeout_s the request's
 * whole-transfer limit, for the words of a timeout. secret (may be NULL) is scrubbed. */
void net_failure_describe(CURL *easy, CURLcode rc, const char *errbuf, const char *url,
                          double timeout_s, const char *secret, char *out, size_t outlen);

/* Whether a transfer that failed with rc never reached the endpoint: the name did not
 * resolve, no connection could be opened (refused, or no answer to the connect), the TLS
 * handshake failed, or a proxy failed or refused the tunnel. A request that did reach
 * the server (a reset mid-answer, a body cut short) is not one. */
bool net_failure_unreachable(CURL *easy, CURLcode rc);

/* Whether rc is a timeout on a connection that was open yet got not one byte of answer
 * (a server that accepts and never answers, or a model that takes longer than the
 * timeout). */
bool net_failure_silent_timeout(CURL *easy, CURLcode rc);

/* The proxy libcurl takes from the environment for url (https_proxy, HTTPS_PROXY,
 * all_proxy, ... and no_proxy, as libcurl reads them), as "host:port" without any
 * credentials, into out; returns false (out "") when url goes direct. */
bool net_failure_proxy_for(const char *url, char *out, size_t outlen);

/* The host and port url names ("api.example.com:443", "[::1]:8080") into out; "" when
 * url cannot be parsed. */
void net_failure_host_port(const char *url, char *out, size_t outlen);

#endif
