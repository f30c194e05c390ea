/* proxy_env.h - the proxy libcurl takes from the environment for a URL.
 *
 * libcurl (7.88, lib/url.c detect_proxy and lib/noproxy.c) reads <scheme>_proxy (for
 * http only the lower-case http_proxy: HTTP_PROXY may be set by a CGI request's
 * "Proxy:" header), then all_proxy and ALL_PROXY, unless no_proxy (or NO_PROXY) names
 * the host. visionbatch lets libcurl apply them; this only tells what libcurl will do, so
 * the URL policy can name the proxy a plain-http request would cross. */
#ifndef VB_PROXY_ENV_H
#define VB_PROXY_ENV_H

#include <stddef.h>

/* Whether a request of scheme ("http", "https") to host would go through a proxy named
 * in the environment. Returns 1 and writes "host:port (from VAR)" into out (the proxy's
 * user:password part never: it may hold a password), or 0 when no proxy applies. A
 * no_proxy entry libcurl matches by CIDR is not matched here (the caller then errs on the
 * side of "through a proxy"). */
int proxy_env_for(const char *scheme, const char *host, char *out, size_t outlen);

/* Whether the no_proxy list (comma- or space-separated; "*" matches everything; ".x" or
 * "x" matches x and its subdomains; case-insensitive) names host. */
int proxy_env_noproxy_matches(const char *no_proxy, const char *host);

#endif
