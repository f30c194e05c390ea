/* url_policy.h - which base URLs the API key may be sent to.
 *
 * https:// always. Plain http:// only to a loopback host (localhost, 127.0.0.0/8, ::1:
 * a local proxy or the simulator) unless allow_http is set: on any other network the
 * bearer key would travel in clear. */
#ifndef VB_URL_POLICY_H
#define VB_URL_POLICY_H

#include <stddef.h>

/* True (1) when host (as in a URL; IPv6 with or without brackets) is loopback. */
int url_policy_is_loopback(const char *host);

/* Checks base_url: an http(s) URL with a host, and plain http only to loopback unless
 * allow_http. Returns 0, or -1 with a reason in err (naming the host, and the proxy a
 * plain-http request would cross (proxy_env.h), never a user:password part). A loopback
 * host never goes through a proxy (curl_common.h), so its plain http stays on the machine. */
int url_policy_check(const char *base_url, int allow_http, char *err, size_t errlen);

#endif
