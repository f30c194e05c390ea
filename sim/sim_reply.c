/* sim_reply.c - answers and OpenAI-style error bodies. */
#include "sim_reply.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_reply_init(sim_reply_t *r)
{
    memset(r, 0, sizeof *r);
}

void sim_reply_clear(sim_reply_t *r)
{
    if (!r)
        return;
    unsigned long call_id = r->call_id; /* still the same call's reply */
    free(r->body);
    free(r->billing.digests);
    memset(r, 0, sizeof *r);
    r->call_id = call_id;
}

int sim_reply_header(sim_reply_t *r, const char *name, const char *fmt, ...)
{
    if (r->n_headers >= SIM_REPLY_MAX_HEADERS)
        return -1;
    sim_header_t *h = &r->headers[r->n_headers++];
    va_list ap;
    snprintf(h->name, sizeof h->name, "%s", name);
    va_start(ap, fmt);
    vsnprintf(h->value, sizeof h->value, fmt, ap);
    va_end(ap);
    return 0;
}

/* JSON string, or JSON null for NULL/"". New reference. */
static json_t *string_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s does not start one. */
static size_t utf8_seq_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Not a full validator (overlong 3/4-byte forms pass); jansson rejects those and the
 * caller then fails cleanly. */
void sim_reply_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq_len(p);
        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

int sim_reply_json(sim_reply_t *r, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return -1;
    free(r->body);
    r->body = text;
    r->body_len = strlen(text);
    r->status = status;
    return 0;
}

/* Builds the error body from an already formatted message (sanitized in place). */
static int reply_error_text(sim_reply_t *r, int status, const char *type, const char *param,
                            const char *code, char *message)
{
    sim_reply_utf8_sanitize(message);
    json_t *err = json_pack("{s:{s:s,s:s,s:o,s:o}}", "error", "message", message, "type", type,
                            "param", string_or_null(param), "code", string_or_null(code));
    if (!err)
        return -1;
    char *text = json_dumps(err, JSON_COMPACT);
    json_decref(err);
    if (!text)
        return -1;
    free(r->body);
    r->body = text;
    r->body_len = strlen(text);
    r->status = status;
    return 0;
}

int sim_reply_error(sim_reply_t *r, int status, const char *type, const char *param,
                    const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return reply_error_text(r, status, type, param, code, message);
}

int sim_reply_from_error(sim_reply_t *r, const sim_error_t *e)
{
    char message[sizeof e->message];
    char param[sizeof e->param];
    snprintf(message, sizeof message, "%s", e->message);
    snprintf(param, sizeof param, "%s", e->param);
    sim_reply_utf8_sanitize(param);
    return reply_error_text(r, e->status ? e->status : 400, "invalid_request_error", param, e->code,
                            message);
}

int sim_error_set(sim_error_t *e, const char *param, const char *code, const char *fmt, ...)
{
    va_list ap;
    e->status = 400;
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    snprintf(e->code, sizeof e->code, "%s", code ? code : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}
