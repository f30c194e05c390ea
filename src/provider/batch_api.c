/* batch_api.c - the batch codecs' common ground (batch_api.h, batch_api_internal.h):
 * which codec a provider has, the state words, custom_id's rule, the server's words with
 * the key scrubbed, URLs under a base URL and whether another URL shares its origin, and
 * the HTTP calls every codec makes through batch_http_t, with one-line errors. */
#include "provider/batch_api.h"
#include "provider/batch_api_internal.h"

#include "provider/answer_words.h"
#include "util/redact.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const batch_codec_t *batch_codec_for(const provider_t *p)
{
    if (!p || !p->name)
        return NULL;
    if (strcmp(p->name, "openai") == 0)
        return &batch_codec_openai;
    if (strcmp(p->name, "anthropic") == 0)
        return &batch_codec_anthropic;
    if (strcmp(p->name, "gemini") == 0)
        return &batch_codec_gemini;
    return NULL;
}

const char *batch_remote_state_name(batch_remote_state_t s)
{
    static const char *const names[] = {"unknown",    "validating", "running",
                                        "finalizing", "cancelling", "ended",
                                        "failed",     "expired",    "cancelled"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

int batch_remote_final(batch_remote_state_t s)
{
    return s == BATCH_REMOTE_ENDED || s == BATCH_REMOTE_FAILED || s == BATCH_REMOTE_EXPIRED ||
           s == BATCH_REMOTE_CANCELLED;
}

static bool id_char(char c, bool dot)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || (dot && c == '.');
}

static bool chars_ok(const char *s, size_t max, bool dot)
{
    if (!s || !s[0])
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !id_char(s[n], dot))
            return false;
    return true;
}

int batch_custom_id_ok(const char *s)
{
    return chars_ok(s, BATCH_CUSTOM_ID_MAX, false);
}

bool batch_id_ok(const char *s, size_t max)
{
    /* "." and ".." would move a URL path */
    return chars_ok(s, max, true) && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

bool batch_resource_ok(const char *s, const char *prefix, size_t max)
{
    size_t k = strlen(prefix);
    return s && max > k && strncmp(s, prefix, k) == 0 && batch_id_ok(s + k, max - k);
}

bool batch_tag_ok(const char *s, size_t max)
{
    return chars_ok(s, max, false);
}

void batch_status_init(batch_status_t *st)
{
    memset(st, 0, sizeof *st);
    st->state = BATCH_REMOTE_UNKNOWN;
    st->total = st->succeeded = st->failed = st->pending = -1;
}

int batch_status_refuse(batch_status_t *st, const char *why)
{
    snprintf(st->error_message, sizeof st->error_message, "%s", why);
    return -1;
}

int batch_word_copy(char *dst, size_t cap, const char *word, const char *secret)
{
    if (cap == 0)
        return -1;
    dst[0] = '\0';
    if (!word)
        return 0;
    char *clean = answer_scrubbed(word, SIZE_MAX, secret);
    if (!clean)
        return -1;
    size_t n = strlen(clean);
    size_t k = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)clean[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    dst[k] = '\0';
    free(clean);
    return k == n ? 0 : -1;
}

long batch_count_of(const json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n >= 0 && n <= BATCH_MAX_COUNT ? (long)n : -1;
    }
    const char *s = json_string_value(v);
    if (!s || !s[0] || strlen(s) > 10)
        return -1;
    long n = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n <= BATCH_MAX_COUNT ? n : -1;
}

/* ---- URLs -------------------------------------------------------------------------------- */

char *batch_url(const char *base_url, const char *const *strip, const char *fmt, ...)
{
    if (!base_url)
        return NULL;
    size_t blen = strlen(base_url);
    while (blen > 0 && base_url[blen - 1] == '/')
        blen--;
    for (size_t i = 0; strip && strip[i]; i++) {
        size_t k = strlen(strip[i]);
        if (blen >= k && memcmp(base_url + blen - k, strip[i], k) == 0) {
            blen -= k;
            break;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int plen = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (plen < 0)
        return NULL;
    char *url = malloc(blen + (size_t)plen + 1);
    if (!url)
        return NULL;
    memcpy(url, base_url, blen);
    va_start(ap, fmt);
    vsnprintf(url + blen, (size_t)plen + 1, fmt, ap);
    va_end(ap);
    return url;
}

typedef struct origin {
    char scheme[8];
    char host[256];
    long port;
} origin_t;

/* url's scheme (http or https), host (lowercased; an IPv6 literal keeps its brackets)
 * and port. Returns -1 for anything else, or user info in the authority. */
static int origin_of(const char *url, origin_t *o)
{
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep || sep - url >= (long)sizeof o->scheme)
        return -1;
    size_t slen = (size_t)(sep - url);
    for (size_t i = 0; i < slen; i++)
        o->scheme[i] = (char)((url[i] >= 'A' && url[i] <= 'Z') ? url[i] + 32 : url[i]);
    o->scheme[slen] = '\0';
    long default_port;
    if (strcmp(o->scheme, "http") == 0)
        default_port = 80;
    else if (strcmp(o->scheme, "https") == 0)
        default_port = 443;
    else
        return -1;
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    if (memchr(auth, '@', alen) || alen == 0)
        return -1;
    const char *host_end = auth + alen, *colon = NULL;
    if (auth[0] == '[') {
        const char *close = memchr(auth, ']', alen);
        if (!close)
            return -1;
        host_end = close + 1;
        if (host_end < auth + alen) {
            if (*host_end != ':')
                return -1;
            colon = host_end;
        }
    } else {
        colon = memchr(auth, ':', alen);
        if (colon)
            host_end = colon;
    }
    size_t hlen = (size_t)(host_end - auth);
    if (hlen == 0 || hlen >= sizeof o->host)
        return -1;
    for (size_t i = 0; i < hlen; i++)
        o->host[i] = (char)((auth[i] >= 'A' && auth[i] <= 'Z') ? auth[i] + 32 : auth[i]);
    o->host[hlen] = '\0';
    o->port = default_port;
    if (colon && colon + 1 < auth + alen) {
        long port = 0;
        for (const char *p = colon + 1; p < auth + alen; p++) {
            if (*p < '0' || *p > '9' || port > 65535)
                return -1;
            port = port * 10 + (*p - '0');
        }
        if (port < 1 || port > 65535)
            return -1;
        o->port = port;
    }
    return 0;
}

/* Whether s holds a space or a control byte (no URL does; a header value might). */
static bool has_blank(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return true;
    return false;
}

bool batch_same_origin(const char *url, const char *base_url)
{
    origin_t a, b;
    return !has_blank(url) && origin_of(url, &a) == 0 && origin_of(base_url, &b) == 0 &&
           strcmp(a.scheme, b.scheme) == 0 && strcmp(a.host, b.host) == 0 && a.port == b.port;
}

char *batch_query_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *w = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (id_char((char)*p, true) || *p == '~') {
            *w++ = (char)*p;
        } else {
            snprintf(w, 4, "%%%02X", *p);
            w += 3;
        }
    }
    *w = '\0';
    return out;
}

/* ---- errors -------------------------------------------------------------------------------- */

void batch_errf(char *err, size_t errlen, const char *secret, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    redact_secret(err, errlen, secret);
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

void batch_server_words(const char *body, size_t len, const char *secret, char *out, size_t outlen)
{
    json_error_t jerr;
    json_t *root = body && len ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *error = json_object_get(root, "error");
    const char *msg = json_string_value(json_object_get(error, "message"));
    if (!json_is_object(error) || !msg) {
        json_decref(root);
        char *text = answer_scrubbed(body && len ? body : "", len, secret);
        answer_body_excerpt(text ? text : "", text ? strlen(text) : 0, out, outlen);
        free(text);
        if (!out[0])
            snprintf(out, outlen, "empty body");
        return;
    }
    /* OpenAI's code, Anthropic's type, Gemini's status: whichever names the error */
    const char *kind = json_string_value(json_object_get(error, "code"));
    if (!kind)
        kind = json_string_value(json_object_get(error, "status"));
    if (!kind)
        kind = json_string_value(json_object_get(error, "type"));
    char *m = answer_scrubbed(msg, 300, secret);
    char *k = answer_scrubbed(kind, 64, secret);
    snprintf(out, outlen, "%s%s%s%s", m ? m : "", k ? " (" : "", k ? k : "", k ? ")" : "");
    free(m);
    free(k);
    json_decref(root);
}

/* ---- calls ---------------------------------------------------------------------------------- */

int batch_call(const batch_http_t *h, const batch_req_t *req, const char *what, const char *secret,
               batch_resp_t *resp, long *http_status, char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    if (http_status)
        *http_status = 0;
    char why[512] = "";
    if (h->call(h->ctx, req, resp, why, sizeof why) != 0) {
        free(resp->body);
        resp->body = NULL;
        batch_errf(err, errlen, secret, "%s: no answer: %s", what, why[0] ? why : "no reason");
        return -1;
    }
    if (http_status)
        *http_status = resp->status;
    if (resp->status >= 200 && resp->status < 300)
        return 0;
    char words[600];
    if (resp->status >= 300 && resp->status < 400) { /* never followed: say where it points */
        answer_t a = {0};
        answer_set_redirect(&a, resp->status, resp->header ? resp->header(resp->hctx, "location")
                                                           : NULL,
                            secret);
        snprintf(words, sizeof words, "%s", a.error_message);
        batch_errf(err, errlen, secret, "%s: %s", what, words);
        free(resp->body);
        resp->body = NULL;
        return -1;
    }
    batch_server_words(resp->body, resp->len, secret, words, sizeof words);
    batch_errf(err, errlen, secret, "%s: HTTP %ld: %s", what, resp->status, words);
    free(resp->body);
    resp->body = NULL;
    return -1;
}

int batch_call_status(const batch_http_t *h, const batch_req_t *req, const char *what,
                      const char *secret, batch_status_parse_fn parse, batch_status_t *out,
                      long *http_status, char *err, size_t errlen)
{
    batch_resp_t resp;
    batch_status_init(out);
    if (batch_call(h, req, what, secret, &resp, http_status, err, errlen) != 0)
        return -1;
    int rc = parse(resp.body ? resp.body : "", resp.body ? resp.len : 0, secret, out);
    if (rc != 0)
        batch_errf(err, errlen, secret, "%s: HTTP %ld but not a batch object: %s", what,
                   resp.status, out->error_message);
    free(resp.body);
    return rc;
}

typedef struct stream_ctx {
    const char *secret;
    batch_line_parse_fn parse;
    void (*sink)(const batch_line_t *line, void *arg);
    void *arg;
} stream_ctx_t;

static int stream_one(const char *line, size_t len, void *arg)
{
    stream_ctx_t *c = arg;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return 0; /* a blank line (the file's last newline, a CRLF) is no result */
    batch_line_t l;
    c->parse(line, len, c->secret, &l);
    c->sink(&l, c->arg);
    answer_clear(&l.answer);
    return 0;
}

int batch_stream_results(const batch_http_t *h, const char *url, const char *what,
                         const char *secret, batch_line_parse_fn parse,
                         void (*sink)(const batch_line_t *line, void *arg), void *arg, char *err,
                         size_t errlen)
{
    stream_ctx_t c = {secret, parse, sink, arg};
    long status = 0;
    char why[8192] = "";
    int rc = h->stream_lines(h->ctx, url, stream_one, &c, &status, why, sizeof why);
    if (status != 0 && (status < 200 || status >= 300)) {
        char words[400];
        batch_server_words(why, strlen(why), secret, words, sizeof words);
        batch_errf(err, errlen, secret, "%s: HTTP %ld: %s", what, status, words);
        return -1;
    }
    if (rc != 0) {
        batch_errf(err, errlen, secret, "%s: %s%s", what,
                   status ? "" : "no answer: ", why[0] ? why : "no reason");
        return -1;
    }
    return 0;
}
