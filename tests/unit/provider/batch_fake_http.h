/* batch_fake_http.h - a batch_http_t for the codecs' protocol tests: it records every
 * request the codec asks for (method, URL, headers, body or body file, form) and answers
 * each with the next canned answer (status, body, headers), or with no answer at all.
 * Streamed bodies are cut into lines as a real transport would. Header-only: each test
 * program includes it once. The real HTTP tests run against the simulator. */
#ifndef VB_BATCH_FAKE_HTTP_H
#define VB_BATCH_FAKE_HTTP_H

#include "provider/batch_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FAKE_MAX 16

typedef struct fake_answer {
    long status;                            /* 0 with no_answer: the transport failed */
    const char *body;                       /* NULL: empty */
    const char *header_name, *header_value; /* one response header, or NULL */
    int no_answer;
} fake_answer_t;

typedef struct fake_req {
    char method[8];
    char url[1024];
    char headers[8][160];
    size_t n_headers;
    char body_type[64];
    char *body; /* a copy of body, or NULL */
    char body_path[256];
    char form_path[256];
    char form_filename[128];
    char form_fields[4][64];
    size_t n_form_fields;
    int streamed; /* through stream_lines */
} fake_req_t;

typedef struct fake_http {
    fake_answer_t answers[FAKE_MAX];
    size_t n_answers, next;
    fake_req_t reqs[FAKE_MAX];
    size_t n_reqs;
} fake_http_t;

static const char *fake_header(void *ctx, const char *name)
{
    const fake_answer_t *a = ctx;
    return a->header_name && strcasecmp(a->header_name, name) == 0 ? a->header_value : NULL;
}

static fake_req_t *fake_record(fake_http_t *f)
{
    if (f->n_reqs >= FAKE_MAX)
        abort();
    fake_req_t *r = &f->reqs[f->n_reqs++];
    memset(r, 0, sizeof *r);
    return r;
}

static const fake_answer_t *fake_pop(fake_http_t *f)
{
    static const fake_answer_t none = {.status = 0, .no_answer = 1};
    return f->next < f->n_answers ? &f->answers[f->next++] : &none;
}

static int fake_call(void *ctx, const batch_req_t *req, batch_resp_t *resp, char *err,
                     size_t errlen)
{
    fake_http_t *f = ctx;
    fake_req_t *r = fake_record(f);
    snprintf(r->method, sizeof r->method, "%s", req->method);
    snprintf(r->url, sizeof r->url, "%s", req->url);
    for (size_t i = 0; req->headers && req->headers[i] && i < 8; i++)
        snprintf(r->headers[r->n_headers++], sizeof r->headers[0], "%s", req->headers[i]);
    snprintf(r->body_type, sizeof r->body_type, "%s", req->body_type ? req->body_type : "");
    if (req->body) {
        r->body = malloc(req->body_len + 1);
        memcpy(r->body, req->body, req->body_len);
        r->body[req->body_len] = '\0';
    }
    snprintf(r->body_path, sizeof r->body_path, "%s", req->body_path ? req->body_path : "");
    snprintf(r->form_path, sizeof r->form_path, "%s", req->form_path ? req->form_path : "");
    snprintf(r->form_filename, sizeof r->form_filename, "%s",
             req->form_filename ? req->form_filename : "");
    for (size_t i = 0; req->form_fields && req->form_fields[i] && i < 4; i++)
        snprintf(r->form_fields[r->n_form_fields++], sizeof r->form_fields[0], "%s",
                 req->form_fields[i]);

    const fake_answer_t *a = fake_pop(f);
    memset(resp, 0, sizeof *resp);
    if (a->no_answer) {
        snprintf(err, errlen, "connection refused");
        return -1;
    }
    resp->status = a->status;
    const char *body = a->body ? a->body : "";
    resp->body = strdup(body);
    resp->len = strlen(body);
    resp->header = fake_header;
    resp->hctx = (void *)a;
    return 0;
}

static int fake_stream(void *ctx, const char *url, batch_line_sink_fn sink, void *arg, long *status,
                       char *err, size_t errlen)
{
    fake_http_t *f = ctx;
    fake_req_t *r = fake_record(f);
    snprintf(r->method, sizeof r->method, "GET");
    snprintf(r->url, sizeof r->url, "%s", url);
    r->streamed = 1;
    const fake_answer_t *a = fake_pop(f);
    *status = a->status;
    if (a->no_answer) {
        snprintf(err, errlen, "connection reset");
        return -1;
    }
    const char *body = a->body ? a->body : "";
    if (a->status < 200 || a->status > 299) {
        snprintf(err, errlen, "%s", body);
        return -1;
    }
    while (*body) {
        const char *nl = strchr(body, '\n');
        size_t n = nl ? (size_t)(nl - body) : strlen(body);
        if (sink(body, n, arg) != 0)
            break;
        body += n + (nl ? 1 : 0);
    }
    return 0;
}

static void fake_init(fake_http_t *f, batch_http_t *h)
{
    memset(f, 0, sizeof *f);
    h->call = fake_call;
    h->stream_lines = fake_stream;
    h->ctx = f;
}

/* Queues an answer. */
static void fake_answer(fake_http_t *f, long status, const char *body)
{
    fake_answer_t *a = &f->answers[f->n_answers++];
    memset(a, 0, sizeof *a);
    a->status = status;
    a->body = body;
}

static void fake_free(fake_http_t *f)
{
    for (size_t i = 0; i < f->n_reqs; i++)
        free(f->reqs[i].body);
}

/* What the tests' sinks collect: copies of each line's verdict. */
typedef struct collected {
    size_t n;
    char ids[16][BATCH_CUSTOM_ID_MAX + 1];
    answer_action_t actions[16];
    const char *kinds[16];
    long statuses[16];
    long prompt[16];
    char content[16][64];
    char message[16][512];
} collected_t;

static void collect(const batch_line_t *l, void *arg)
{
    collected_t *c = arg;
    if (c->n >= 16)
        abort();
    size_t i = c->n++;
    snprintf(c->ids[i], sizeof c->ids[i], "%s", l->custom_id);
    c->actions[i] = l->answer.action;
    c->kinds[i] = l->answer.error_kind;
    c->statuses[i] = l->http_status;
    c->prompt[i] = l->answer.prompt_tokens;
    snprintf(c->content[i], sizeof c->content[i], "%s", l->answer.content ? l->answer.content : "");
    snprintf(c->message[i], sizeof c->message[i], "%s", l->answer.error_message);
}

#endif
