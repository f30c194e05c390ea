/* preflight.c - the model listing asked once before the first upload (preflight.h). */
#include "send/preflight.h"

#include "send/batchapi_http.h"
#include "util/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the listing's answer says: 0 go on, -1 stop with err. */
static int judge(const provider_t *pv, const vb_options_t *o, const batch_resp_t *resp, char *err,
                 size_t errlen)
{
    if (resp->status == 401 || resp->status == 403) { /* the key: as a request's answer says */
        answer_t a;
        pv->answer_parse(resp->status, resp->body, resp->len, resp->header, resp->hctx, o->api_key,
                         &a);
        snprintf(err, errlen, "%s (asked before the first upload)", a.error_message);
        answer_clear(&a);
        return -1;
    }
    char listed[300];
    models_verdict_t v =
        pv->models_parse(resp->status, resp->body, resp->len, o->model, listed, sizeof listed);
    if (v != MODELS_ABSENT)
        return 0;
    snprintf(err, errlen, "model %.100s not found%s%s: check --model (nothing was uploaded)",
             o->model, listed[0] ? "; the server lists: " : " on this server", listed);
    return -1;
}

int preflight_run(const provider_t *pv, const vb_options_t *o, char *err, size_t errlen)
{
    if (o->no_preflight || !pv->models_url || !pv->models_parse || !o->model)
        return 0;
    char *url = pv->models_url(o->base_url ? o->base_url : pv->default_base_url, o->model);
    if (!url)
        return 0;            /* a model name the URL cannot carry: the run's own check says so */
    vb_options_t quick = *o; /* a listing is small: no need to wait --timeout for it */
    if (!(quick.timeout_s > 0) || quick.timeout_s > PREFLIGHT_TIMEOUT_S)
        quick.timeout_s = PREFLIGHT_TIMEOUT_S;
    batchapi_http_t *h = batchapi_http_new(pv, &quick);
    int rc = 0;
    if (h) {
        batch_http_t http = batchapi_http_ops(h);
        batch_req_t req = {.method = "GET", .url = url};
        batch_resp_t resp;
        char why[700];
        if (http.call(http.ctx, &req, &resp, why, sizeof why) == 0) {
            rc = judge(pv, o, &resp, err, errlen);
        } else if (batchapi_http_unreachable(h)) { /* no request could get through either */
            snprintf(err, errlen, "%s; stopping before the first upload", why);
            rc = -1;
        } else if (batchapi_http_silent(h)) { /* nor would a request be answered */
            snprintf(err, errlen,
                     "%s; check the server (it takes connections and answers nothing): stopping "
                     "before the first upload",
                     why);
            rc = -1;
        }
        free(resp.body);
    }
    batchapi_http_free(h);
    free(url);
    if (rc != 0) /* err holds a message only then */
        redact_secret(err, errlen, o->api_key);
    return rc;
}
