/* fetch_policy.h - the rules of --fetch-urls that need no network: which redirects are
 * followed, what a URL looks like in a message, and the one-line reason a download
 * failed. fetch.c applies them to its transfers; kept apart so they are unit-tested. */
#ifndef VB_FETCH_POLICY_H
#define VB_FETCH_POLICY_H

#include <curl/curl.h>
#include <stddef.h>

/* Redirects a download follows at most, and the only schemes they may lead to: a
 * Location naming file://, ftp:// or anything else is refused (CURLOPT_REDIR_PROTOCOLS_STR),
 * so a manifest's URL cannot make the client read local files. */
#define FETCH_MAX_REDIRECTS 5L
#define FETCH_PROTOCOLS     "http,https"

/* The URL as a message may show it: scheme://host[:port]/path, without the user:password
 * part, the query string or the fragment (they may carry a signed token). Written into out
 * (always NUL-terminated); a URL libcurl cannot parse is cut at its first '?' or '#' and
 * its userinfo masked. */
void fetch_url_for_message(const char *url, char *out, size_t outlen);

/* How a download ended: libcurl's result, the last HTTP status (0: none), how many
 * redirects were followed, and whether the body passed the size cap (the write callback
 * stopped it: a chunked body has no Content-Length for CURLOPT_MAXFILESIZE to refuse). */
typedef struct fetch_outcome {
    CURLcode code;
    long http_status;
    long redirects;
    int over_cap;
    size_t cap;             /* --max-image-bytes */
    double timeout_s;       /* --timeout */
    const char *curl_error; /* libcurl's error buffer, or NULL / "" */
} fetch_outcome_t;

/* Whether the download gave an image to read: CURLE_OK, a 2xx status, under the cap. */
int fetch_outcome_ok(const fetch_outcome_t *o);

/* The reason a download that is not ok failed, as a short phrase for a fetch_failed
 * line ("HTTP 404", "timed out after 2 s", "redirect refused: ...", "larger than ...",
 * "DNS: cannot resolve the host", ...). Written into out (always NUL-terminated). */
void fetch_failure_reason(const fetch_outcome_t *o, char *out, size_t outlen);

#endif
