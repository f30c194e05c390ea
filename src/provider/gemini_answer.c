/* gemini_answer.c - what a generateContent answer says: the model's text and usage, a
 * refusal, or the verdict on an error (google.rpc.Status with its details: ErrorInfo,
 * QuotaFailure, RetryInfo).
 *
 * Sources: ai.google.dev/api/generate-content (GenerateContentResponse, FinishReason,
 * BlockReason, UsageMetadata), ai.google.dev/gemini-api/docs/troubleshooting (the status
 * table), batch-api-facts.md §3 (a 429's body; thinking bills as output). Kinds and
 * messages follow openai_answer.c's, so an output line reads the same whoever answered. */
#include "provider/answer_words.h"
#include "provider/gemini.h"
#include "provider/gemini_internal.h"
#include "provider/answer_words.h"

#include "util/redact.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The longest wait a RetryInfo is believed for (a day); admission caps it further. */
#define MAX_RETRY_DELAY_S 86400.0

/* Fills the verdict; the message is one line, with secret (may be NULL) scrubbed once
 * more as a whole, in case the server split it across two of its words. */
static void set_error(answer_t *r, const char *secret, answer_action_t action, const char *kind,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set_error(answer_t *r, const char *secret, answer_action_t action, const char *kind,
                      const char *fmt, ...)
{
    va_list ap;
    r->action = action;
    r->error_kind = kind;
    va_start(ap, fmt);
    vsnprintf(r->error_message, sizeof r->error_message, fmt, ap);
    va_end(ap);
    redact_secret(r->error_message, sizeof r->error_message, secret);
    for (char *p = r->error_message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* What scrubbed() returns when out of memory, so callers need not check. */
static char no_memory[] = "";

/* A copy of a server's word (NULL stays NULL) with secret scrubbed, in a buffer large
 * enough for the masks. Free with release(). */
static char *scrubbed(const char *word, const char *secret)
{
    if (!word)
        return NULL;
    size_t n = strlen(word), cap = n * 3 + 16;
    char *copy = malloc(cap);
    if (!copy)
        return no_memory;
    memcpy(copy, word, n + 1);
    redact_secret(copy, cap, secret);
    return copy;
}

static void release(char *word)
{
    if (word != no_memory)
        free(word);
}

/* The value of key in o when it is a string, else NULL. */
static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A count of usageMetadata: proto3 JSON leaves out zeros, so an absent count is 0; one no
 * request can have sets out->usage_bad. */
static long count_of(const json_t *usage, const char *key, answer_t *out)
{
    long n = answer_usage_count(json_object_get(usage, key), &out->usage_bad);
    return n < 0 ? 0 : n;
}

int gemini_duration_parse(const char *s, double *seconds)
{
    if (!s || !(*s >= '0' && *s <= '9'))
        return -1;
    double v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if (++digits > 12) /* over 30,000 years: not a wait */
            return -1;
        else
            v = v * 10 + (*s - '0');
    if (*s == '.') {
        double scale = 0.1;
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return -1;
        for (int i = 0; *s >= '0' && *s <= '9'; s++, i++)
            if (i < 9) { /* nanoseconds at most, as google.protobuf.Duration */
                v += (*s - '0') * scale;
                scale /= 10;
            }
    }
    if (s[0] != 's' || s[1] != '\0')
        return -1;
    *seconds = v;
    return 0;
}

/* The model's text: every text part of the first candidate, joined, thought summaries
 * ("thought": true) left out. Returns a malloc'd string, or NULL when there is no text
 * part (*found false) or out of memory (*found true). */
static char *candidate_text(const json_t *cand, bool *found)
{
    json_t *parts = json_object_get(json_object_get(cand, "content"), "parts");
    size_t n = 0, i;
    json_t *p;
    *found = false;
    json_array_foreach(parts, i, p)
    {
        const char *t = str_of(p, "text");
        if (t && !json_is_true(json_object_get(p, "thought"))) {
            n += strlen(t);
            *found = true;
        }
    }
    if (!*found)
        return NULL;
    char *text = malloc(n + 1), *w = text;
    if (!text)
        return NULL;
    json_array_foreach(parts, i, p)
    {
        const char *t = str_of(p, "text");
        if (t && !json_is_true(json_object_get(p, "thought"))) {
            size_t k = strlen(t);
            memcpy(w, t, k);
            w += k;
        }
    }
    *w = '\0';
    return text;
}

/* Finish reasons that mean the answer was withheld (FinishReason: the content was
 * flagged for safety, prohibited content, a blocklist term, personal data, or
 * recitation). */
static bool is_refusal(const char *finish)
{
    static const char *const reasons[] = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST",
                                          "SPII",   "RECITATION",         "IMAGE_SAFETY"};
    for (size_t i = 0; finish && i < sizeof reasons / sizeof reasons[0]; i++)
        if (strcmp(finish, reasons[i]) == 0)
            return true;
    return false;
}

/* Usage: prompt = promptTokenCount; completion = candidatesTokenCount +
 * thoughtsTokenCount (thinking is billed as output but not counted in the candidates);
 * total = totalTokenCount, or the sum. All -1 without usageMetadata. */
static void read_usage(const json_t *root, answer_t *out)
{
    json_t *usage = json_object_get(root, "usageMetadata");
    if (!json_is_object(usage))
        return;
    out->prompt_tokens = count_of(usage, "promptTokenCount", out);
    out->completion_tokens =
        count_of(usage, "candidatesTokenCount", out) + count_of(usage, "thoughtsTokenCount", out);
    out->total_tokens = json_is_integer(json_object_get(usage, "totalTokenCount"))
                            ? count_of(usage, "totalTokenCount", out)
                            : out->prompt_tokens + out->completion_tokens;
}

/* A 200 GenerateContentResponse: the text (OK), a refusal (the item fails: asking again
 * gets the same), or a response without text. */
static void parse_success(const json_t *root, const char *secret, answer_t *out)
{
    read_usage(root, out);
    json_t *cand = json_array_get(json_object_get(root, "candidates"), 0);
    const char *finish = str_of(cand, "finishReason");
    const char *block = str_of(json_object_get(root, "promptFeedback"), "blockReason");
    bool found = false;
    char *text = json_is_object(cand) ? candidate_text(cand, &found) : NULL;
    char *word = scrubbed(json_is_object(cand) ? finish : block, secret);

    if (!json_is_object(cand) && block) {
        set_error(out, secret, ANSWER_FAIL_ITEM, "refused",
                  "HTTP 200: the request was blocked (promptFeedback.blockReason %s)", word);
    } else if (!json_is_object(cand)) {
        set_error(out, secret, ANSWER_RETRY, "invalid_response", "HTTP 200 without candidates");
    } else if (is_refusal(finish)) {
        /* a text cut short by a block is not the answer either */
        set_error(out, secret, ANSWER_FAIL_ITEM, "refused",
                  "HTTP 200: the answer was withheld (finishReason %s)%s", word,
                  found ? "; its partial text is dropped" : "");
    } else if (found && text) {
        out->action = ANSWER_OK;
        out->content = text;
        text = NULL;
        const char *model = str_of(root, "modelVersion");
        out->model = model ? strdup(model) : NULL;
    } else if (found) {
        set_error(out, secret, ANSWER_RETRY, "invalid_response",
                  "out of memory reading the answer");
    } else if (finish && strcmp(finish, "MAX_TOKENS") == 0) {
        /* thinking can use the whole budget before a word of answer: the same request
         * stops the same way, so the item fails with what to change */
        char used[64] = "";
        if (out->completion_tokens >= 0)
            snprintf(used, sizeof used, " (%ld tokens, thinking included)", out->completion_tokens);
        set_error(out, secret, ANSWER_FAIL_ITEM, "max_tokens",
                  "HTTP 200 without text: the model reached maxOutputTokens first%s; raise "
                  "--max-tokens",
                  used);
    } else {
        set_error(out, secret, ANSWER_RETRY, "invalid_response",
                  "HTTP 200 without text (finishReason %s)", word ? word : "absent");
    }
    free(text);
    release(word);
}

/* What an error's details say: ErrorInfo's reason, the QuotaFailure violation that ends
 * the run (a per-day quota, or one whose limit is 0), RetryInfo's delay. */
typedef struct error_details {
    const char *reason;      /* ErrorInfo.reason, or NULL */
    const char *quota_id;    /* the violation's quotaId (or quotaMetric), or NULL */
    const char *quota_value; /* its quotaValue, or NULL */
    bool quota_stops;        /* a daily quota, or a limit of 0: waiting minutes cannot help */
    double retry_delay_s;    /* RetryInfo.retryDelay; 0 when absent */
    double limit_requests;   /* a per-minute quota's value, by what it counts; 0: none */
    double limit_tokens;
} error_details_t;

/* True when s contains needle, case-insensitively. */
static bool has_word(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; s && *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

/* A per-minute quota's limit into d (requests or tokens, as its metric or id names). */
static void read_minute_limit(const char *id, const char *metric, const char *value,
                              error_details_t *d)
{
    char *end;
    double limit = value ? strtod(value, &end) : 0;
    if (!value || end == value || *end || !(limit > 0 && limit < 1e15) ||
        !has_word(id, "PerMinute"))
        return;
    if (has_word(metric, "token") || (!metric && has_word(id, "Token")))
        d->limit_tokens = limit;
    else
        d->limit_requests = limit;
}

static void read_violations(const json_t *violations, error_details_t *d)
{
    size_t i;
    json_t *v;
    json_array_foreach(violations, i, v)
    {
        const char *id = str_of(v, "quotaId");
        const char *metric = str_of(v, "quotaMetric");
        const char *value = str_of(v, "quotaValue");
        read_minute_limit(id, metric, value, d);
        bool daily = has_word(id, "PerDay") || has_word(metric, "per_day");
        bool none = value && strcmp(value, "0") == 0;
        if (!d->quota_id || ((daily || none) && !d->quota_stops)) {
            d->quota_id = id ? id : metric;
            d->quota_value = value;
            d->quota_stops = daily || none;
        }
    }
}

static void read_details(const json_t *details, error_details_t *d)
{
    memset(d, 0, sizeof *d);
    size_t i;
    json_t *one;
    json_array_foreach(details, i, one)
    {
        const char *type = str_of(one, "@type");
        if (!type)
            continue;
        if (strstr(type, "google.rpc.ErrorInfo") && !d->reason)
            d->reason = str_of(one, "reason");
        else if (strstr(type, "google.rpc.QuotaFailure"))
            read_violations(json_object_get(one, "violations"), d);
        else if (strstr(type, "google.rpc.RetryInfo")) {
            double s;
            if (gemini_duration_parse(str_of(one, "retryDelay"), &s) == 0 && s > 0)
                d->retry_delay_s = s < MAX_RETRY_DELAY_S ? s : MAX_RETRY_DELAY_S;
        }
    }
}

/* The kind and action of an HTTP error status when the body says nothing more (as
 * openai_answer.c's). */
static void classify_status(long status, answer_t *r, const char *secret, const char *detail)
{
    if (status == 429)
        set_error(r, secret, ANSWER_RETRY, "rate_limited", "HTTP 429: %s", detail);
    else if (status == 401 || status == 403)
        set_error(r, secret, ANSWER_STOP_RUN, "auth", "HTTP %ld: %s", status, detail);
    else if (status == 408)
        set_error(r, secret, ANSWER_RETRY, "timeout", "HTTP 408: %s", detail);
    else if (status == 409 || status >= 500)
        set_error(r, secret, ANSWER_RETRY, "server_error", "HTTP %ld: %s", status, detail);
    else if (status == 413)
        set_error(r, secret, ANSWER_FAIL_ITEM, "too_large", "HTTP 413: %s", detail);
    else if (status >= 400)
        set_error(r, secret, ANSWER_FAIL_ITEM, "invalid_request", "HTTP %ld: %s", status, detail);
    else if (status >= 300 && status < 400)
        answer_set_redirect(r, status, NULL, secret); /* the Location: gemini_answer_parse */
    else
        set_error(r, secret, ANSWER_RETRY, "invalid_response", "unexpected HTTP %ld: %s", status,
                  detail);
}

/* An error body {"error":{"code","message","status","details"}}. */
static void parse_error(long status, const json_t *error, const char *secret, answer_t *out)
{
    error_details_t d;
    read_details(json_object_get(error, "details"), &d);
    const char *raw_status = str_of(error, "status");
    char *msg = scrubbed(str_of(error, "message"), secret);
    char *st = scrubbed(raw_status, secret);
    char *reason = scrubbed(d.reason, secret);
    char *quota = scrubbed(d.quota_id, secret);
    char *value = scrubbed(d.quota_value, secret);
    char detail[400];
    snprintf(detail, sizeof detail, "%s%s%s%s%s", st ? st : "", st ? ": " : "",
             msg ? msg : "no message", reason ? " (" : "", reason ? reason : "");
    if (reason)
        strncat(detail, ")", sizeof detail - strlen(detail) - 1);

    bool key_refused = (d.reason && strncmp(d.reason, "API_KEY_", 8) == 0) ||
                       has_word(str_of(error, "message"), "API key not valid");
    bool exhausted = status == 429 || (raw_status && strcmp(raw_status, "RESOURCE_EXHAUSTED") == 0);
    if (key_refused) {
        set_error(out, secret, ANSWER_STOP_RUN, "auth", "HTTP %ld %s", status, detail);
    } else if (exhausted && d.quota_stops) {
        set_error(out, secret, ANSWER_STOP_RUN, "quota",
                  "HTTP %ld: quota %s (limit %s) is used up; %s: %s", status, quota ? quota : "?",
                  value ? value : "?",
                  has_word(d.quota_id, "PerDay") || has_word(d.quota_id, "per_day")
                      ? "daily quotas reset at midnight Pacific time"
                      : "this model has no quota on this plan",
                  msg ? msg : "no message");
    } else if (exhausted) {
        set_error(out, secret, ANSWER_RETRY, "rate_limited", "HTTP %ld %s", status, detail);
    } else if (raw_status && strcmp(raw_status, "FAILED_PRECONDITION") == 0 && status == 400) {
        /* e.g. the free tier is not offered where the caller is, billing is off: an account
         * setting, so every later request fails the same */
        set_error(out, secret, ANSWER_STOP_RUN, "auth", "HTTP 400 %s", detail);
    } else if (status == 200) {
        set_error(out, secret, ANSWER_RETRY, "server_error", "HTTP 200 with an error: %s", detail);
    } else {
        classify_status(status, out, secret, detail);
    }
    if (out->action == ANSWER_RETRY)
        out->retry_after_s = d.retry_delay_s;
    out->limit_requests = d.limit_requests;
    out->limit_tokens = d.limit_tokens;
    release(msg);
    release(st);
    release(reason);
    release(quota);
    release(value);
}

/* The first bytes of a body that is not JSON, as one line. */
static void body_excerpt(const char *body, size_t len, char *out, size_t outlen)
{
    size_t n = len < 120 ? len : 120, j = 0;
    for (size_t i = 0; i < n && j + 1 < outlen; i++) {
        unsigned char c = (unsigned char)body[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[j] = '\0';
}

void gemini_answer_parse(long status, const char *body, size_t len, header_get_fn get, void *hctx,
                         const char *secret, answer_t *out)
{
    memset(out, 0, sizeof *out);
    out->prompt_tokens = out->completion_tokens = out->total_tokens = -1;
    json_error_t jerr;
    json_t *root = len ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *error = json_object_get(root, "error");

    if (status == 200 && json_is_object(root) && !error) {
        parse_success(root, secret, out);
    } else if (json_is_object(error)) {
        parse_error(status, error, secret, out);
    } else {
        /* not JSON (a proxy's HTML page, a cut body): the excerpt is scrubbed whole by
         * set_error, before and after it is cut to the message */
        char *text = malloc(len + 1);
        char excerpt[128] = "";
        if (text) {
            if (len)
                memcpy(text, body, len);
            text[len] = '\0';
            char *clean = scrubbed(text, secret);
            body_excerpt(clean, strlen(clean), excerpt, sizeof excerpt);
            release(clean);
            free(text);
        }
        if (status == 200)
            set_error(out, secret, ANSWER_RETRY, "invalid_response",
                      "HTTP 200 with a body that is not a GenerateContentResponse: %s", excerpt);
        else
            classify_status(status, out, secret, len ? excerpt : "empty body");
    }
    /* Gemini's 404 NOT_FOUND for a model: "models/NAME is not found for API version ..." */
    const char *emsg = json_is_object(error) ? str_of(error, "message") : NULL;
    answer_mark_not_found(out, status,
                          emsg && strncmp(emsg, "models/", 7) == 0 && strstr(emsg, "not found"));
    json_decref(root);
    if (status >= 300 && status < 400) /* whatever the body says; naming where it points */
        answer_set_redirect(out, status, get ? get(hctx, "location") : NULL, secret);
    answer_vet_usage(out);
}
