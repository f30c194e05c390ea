/* answer_words.c - the server's words in an answer: verdicts, scrubbed messages,
 * excerpts, x-should-retry (answer_words.h). */
#include "provider/answer_words.h"

#include "util/redact.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void answer_set_error(answer_t *r, answer_action_t action, const char *kind, const char *fmt, ...)
{
    va_list ap;
    r->action = action;
    r->error_kind = kind;
    va_start(ap, fmt);
    vsnprintf(r->error_message, sizeof r->error_message, fmt, ap);
    va_end(ap);
    for (char *p = r->error_message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* location without its user:password part, query and fragment (either may hold a
 * token), cut to fit out. */
static void location_shown(const char *location, char *out, size_t outlen)
{
    const char *rest = location;
    size_t n = 0;
    const char *scheme_end = strstr(location, "//"); /* "scheme://" or scheme-relative "//" */
    if (scheme_end && (size_t)(scheme_end - location) < 16) {
        const char *host = scheme_end + 2;
        const char *auth_end = host + strcspn(host, "/?#");
        const char *at = NULL; /* the last '@' of the authority ends the userinfo */
        for (const char *a = host; a < auth_end; a++)
            if (*a == '@')
                at = a;
        n = (size_t)(host - location);
        if (n >= outlen)
            n = outlen - 1;
        memcpy(out, location, n);
        rest = at ? at + 1 : host;
    }
    size_t keep = strcspn(rest, "?#");
    if (n + keep >= outlen)
        keep = outlen - 1 - n;
    memcpy(out + n, rest, keep);
    out[n + keep] = '\0';
}

void answer_set_redirect(answer_t *r, long status, const char *location, const char *secret)
{
    char shown[300] = "";
    if (location && location[0]) {
        location_shown(location, shown, sizeof shown);
        redact_secret(shown, sizeof shown, secret);
    }
    if (shown[0])
        answer_set_error(r, ANSWER_STOP_RUN, "redirect",
                         "HTTP %ld: the server redirects to %s; visionbatch never follows "
                         "redirects (the API key must not go to another host): set --base-url "
                         "to the final address",
                         status, shown);
    else
        answer_set_error(r, ANSWER_STOP_RUN, "redirect",
                         "HTTP %ld: the server redirects; visionbatch never follows redirects "
                         "(the API key must not go to another host): set --base-url to the "
                         "final address",
                         status);
}

void answer_mark_not_found(answer_t *r, long status, bool model_missing)
{
    if ((status != 404 && status != 405) || r->action == ANSWER_OK)
        return;
    char was[sizeof r->error_message];
    memcpy(was, r->error_message, sizeof was);
    if (model_missing)
        answer_set_error(r, ANSWER_STOP_RUN, "model_not_found",
                         "%.400s; the server does not have this model: check --model", was);
    else
        answer_set_error(r, ANSWER_STOP_RUN, "not_found",
                         "%.400s; the server has no such endpoint: check --base-url", was);
}

char *answer_scrubbed(const char *msg, size_t max, const char *secret)
{
    if (!msg)
        return NULL;
    size_t n = strnlen(msg, max);
    size_t cap = n * 3 + 16;
    char *copy = malloc(cap);
    if (copy) {
        memcpy(copy, msg, n);
        copy[n] = '\0';
        redact_secret(copy, cap, secret);
    }
    return copy;
}

void answer_body_excerpt(const char *body, size_t len, char *out, size_t outlen)
{
    size_t n = len < 120 ? len : 120;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < outlen; i++) {
        unsigned char c = (unsigned char)body[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[j] = '\0';
}

void answer_obey_should_retry(answer_t *r, const char *should_retry)
{
    if (r->action == ANSWER_OK || r->action == ANSWER_STOP_RUN || !should_retry)
        return;
    if (strcmp(should_retry, "true") == 0)
        r->action = ANSWER_RETRY;
    else if (strcmp(should_retry, "false") == 0)
        r->action = ANSWER_FAIL_ITEM;
}

long answer_usage_count(const json_t *v, bool *bad)
{
    if (!v || json_is_null(v))
        return -1;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > ANSWER_USAGE_MAX) {
        *bad = true;
        return -1;
    }
    return (long)json_integer_value(v);
}

void answer_vet_usage(answer_t *a)
{
    if (!a->usage_bad)
        return;
    a->prompt_tokens = a->completion_tokens = a->total_tokens = -1;
    if (a->action != ANSWER_OK)
        return;
    free(a->content);
    a->content = NULL;
    answer_set_error(a, ANSWER_FAIL_ITEM, "invalid_response",
                     "HTTP 200 whose usage no request can have (a token count that is negative, "
                     "not a whole number or over %ld): the answer is not used; the budget counts "
                     "the request's worst case",
                     ANSWER_USAGE_MAX);
}
