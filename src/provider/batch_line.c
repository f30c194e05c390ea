/* batch_line.c - what the three codecs' line parsers share (batch_api_internal.h): a
 * result line's verdicts (an answer by the provider's online parser, a line that did
 * not run, a line that is not the provider's), its usage checked, and the JSON pieces a
 * line is read and written with: the bytes of a member inside the line (so an embedded
 * answer is parsed from the line's own bytes, never re-serialised), and strings out. */
#include "provider/batch_api_internal.h"

#include "provider/answer_words.h"
#include "util/redact.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void batch_line_init(batch_line_t *l)
{
    memset(l, 0, sizeof *l);
    l->answer.prompt_tokens = l->answer.completion_tokens = l->answer.total_tokens = -1;
}

void batch_line_set_id(batch_line_t *l, const char *custom_id, const char *secret)
{
    /* scrubbed first: an id holding the key is not one visionbatch wrote */
    if (batch_word_copy(l->custom_id, sizeof l->custom_id, custom_id, secret) != 0 ||
        !batch_custom_id_ok(l->custom_id))
        l->custom_id[0] = '\0';
}

/* Drops what an earlier verdict put in the answer, keeping the line's custom_id. */
static void answer_reset(answer_t *a)
{
    answer_clear(a);
    memset(a, 0, sizeof *a);
    a->prompt_tokens = a->completion_tokens = a->total_tokens = -1;
}

void batch_line_garbled(batch_line_t *l, const char *secret, const char *fmt, ...)
{
    answer_reset(&l->answer);
    l->http_status = 0;
    l->response_body = NULL;
    l->response_len = 0;
    answer_t *a = &l->answer;
    a->action = ANSWER_FAIL_ITEM;
    a->error_kind = "invalid_response";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->error_message, sizeof a->error_message, fmt, ap);
    va_end(ap);
    redact_secret(a->error_message, sizeof a->error_message, secret);
    for (char *p = a->error_message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

void batch_line_not_json(batch_line_t *l, const char *line, size_t len, const char *secret)
{
    char excerpt[128];
    char *clean = answer_scrubbed(len ? line : "", len, secret);
    answer_body_excerpt(clean ? clean : "", clean ? strlen(clean) : 0, excerpt, sizeof excerpt);
    free(clean);
    batch_line_garbled(l, secret, "a result line that is not a JSON object: %s",
                       excerpt[0] ? excerpt : "(empty)");
}

void batch_line_not_run(batch_line_t *l, const char *kind, const char *code, const char *message,
                        const char *secret)
{
    answer_reset(&l->answer);
    l->http_status = 0;
    char *c = answer_scrubbed(code, 64, secret);
    char *m = answer_scrubbed(message, 300, secret);
    answer_set_error(&l->answer, ANSWER_RETRY, kind, "not run by the batch: %s%s%s", c ? c : kind,
                     m ? ": " : "", m ? m : "");
    redact_secret(l->answer.error_message, sizeof l->answer.error_message, secret);
    free(c);
    free(m);
}

void batch_line_answer(batch_line_t *l, const provider_t *p, long status, const char *body,
                       size_t len, const char *secret)
{
    answer_reset(&l->answer);
    l->http_status = status;
    p->answer_parse(status, body, len, NULL, NULL, secret, &l->answer);
    if (l->answer.action == ANSWER_STOP_RUN && l->answer.error_kind &&
        strstr(l->answer.error_kind, "not_found")) /* a line may name its own model: its own */
        l->answer.action = ANSWER_FAIL_ITEM, l->answer.error_kind = "invalid_request";
    const answer_t *a = &l->answer;
    long worst = a->prompt_tokens;
    if (a->completion_tokens > worst)
        worst = a->completion_tokens;
    if (a->total_tokens > worst)
        worst = a->total_tokens;
    if (worst > BATCH_MAX_COUNT) {
        long keep = status;
        batch_line_garbled(l, secret, "absurd usage (%ld tokens) in a %ld line", worst, keep);
        l->http_status = keep;
    }
}

void batch_line_answer_at(batch_line_t *l, const provider_t *p, long status, const char *line,
                          size_t len, const char *const *path, size_t n, const json_t *value,
                          const char *head, const char *tail, const char *secret)
{
    size_t span_len = 0, text_len = 0;
    const char *span = batch_json_span(line, len, path, n, &span_len);
    char *text = batch_json_wrap(head, span, span_len, value, tail, &text_len);
    if (!text) {
        batch_line_garbled(l, secret, "out of memory reading a result line");
        return;
    }
    batch_line_answer(l, p, status, text, text_len, secret);
    l->response_body = span;
    l->response_len = span ? span_len : 0;
    free(text);
}

/* ---- JSON ------------------------------------------------------------------------------ */

json_t *batch_json_load(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *root = len ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* What the skippers return when the text ends inside a string or a compound value. */
#define CUT ((size_t)-1)

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* From the opening quote at s[i]: the index after the closing one, or CUT. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return CUT;
}

/* From a value's first byte at s[i]: the index after it, or CUT when the text ends
 * first. Compound values are skipped by counting brackets outside strings (the text is
 * known to be valid JSON: jansson read it). */
static size_t skip_value(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return CUT;
    if (s[i] == '"')
        return skip_string(s, n, i);
    if (s[i] != '{' && s[i] != '[') {
        size_t start = i;
        while (i < n && !strchr(",}] \t\r\n", s[i]))
            i++;
        return i > start ? i : CUT;
    }
    size_t depth = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            i = skip_string(s, n, i);
            if (i == CUT)
                return CUT;
            i--;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return CUT;
}

/* In the object at s[i]: where the value of key starts, or CUT when absent (or its key
 * is written with escapes). */
static size_t member_at(const char *s, size_t n, size_t i, const char *key)
{
    size_t klen = strlen(key);
    i = skip_ws(s, n, i);
    if (i >= n || s[i] != '{')
        return CUT;
    i++;
    for (;;) {
        i = skip_ws(s, n, i);
        if (i >= n || s[i] != '"')
            return CUT;
        size_t kstart = i + 1, kend = skip_string(s, n, i);
        if (kend == CUT)
            return CUT;
        bool match = kend - 1 - kstart == klen && memcmp(s + kstart, key, klen) == 0;
        i = skip_ws(s, n, kend);
        if (i >= n || s[i] != ':')
            return CUT;
        i = skip_ws(s, n, i + 1);
        if (match)
            return i < n ? i : CUT;
        i = skip_value(s, n, i);
        if (i == CUT)
            return CUT;
        i = skip_ws(s, n, i);
        if (i >= n || s[i] != ',')
            return CUT;
        i++;
    }
}

const char *batch_json_span(const char *json, size_t len, const char *const *path, size_t n,
                            size_t *out_len)
{
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        at = member_at(json, len, at, path[k]);
        if (at == CUT)
            return NULL;
    }
    size_t end = skip_value(json, len, at);
    if (end == CUT || end <= at || end > len)
        return NULL;
    *out_len = end - at;
    return json + at;
}

char *batch_json_wrap(const char *head, const char *span, size_t span_len, const json_t *value,
                      const char *tail, size_t *out_len)
{
    char *dumped = NULL;
    if (!span) {
        dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!dumped)
            return NULL;
        span = dumped;
        span_len = strlen(dumped);
    }
    size_t hlen = strlen(head), tlen = strlen(tail);
    char *out = malloc(hlen + span_len + tlen + 1);
    if (out) {
        memcpy(out, head, hlen);
        memcpy(out + hlen, span, span_len);
        memcpy(out + hlen + span_len, tail, tlen);
        out[hlen + span_len + tlen] = '\0';
        *out_len = hlen + span_len + tlen;
    }
    free(dumped);
    return out;
}

long batch_json_string_write(FILE *out, const char *s)
{
    long n = 0;
    if (fputc('"', out) == EOF)
        return -1;
    n++;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        int k;
        if (*p == '"' || *p == '\\')
            k = snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p < 0x20)
            k = snprintf(esc, sizeof esc, "\\u%04x", *p);
        else
            k = snprintf(esc, sizeof esc, "%c", *p);
        if (fwrite(esc, 1, (size_t)k, out) != (size_t)k)
            return -1;
        n += k;
    }
    if (fputc('"', out) == EOF)
        return -1;
    return n + 1;
}

long batch_line_write(FILE *out, const char *head, const char *custom_id, const char *mid,
                      const char *body, size_t len, const char *tail)
{
    if (!out || !batch_custom_id_ok(custom_id) || !body || len == 0)
        return -1;
    size_t hlen = strlen(head), mlen = strlen(mid), tlen = strlen(tail);
    if (fwrite(head, 1, hlen, out) != hlen)
        return -1;
    long id_len = batch_json_string_write(out, custom_id);
    if (id_len < 0 || fwrite(mid, 1, mlen, out) != mlen || fwrite(body, 1, len, out) != len ||
        fwrite(tail, 1, tlen, out) != tlen)
        return -1;
    return (long)(hlen + mlen + len + tlen) + id_len;
}
