/* estimate.c - what a job would send and cost, before anything is sent (cost/estimate.c
 * counts; this gives it the public shape). */
#include <visionbatch.h>

#include "api/api_internal.h"
#include "cost/estimate.h"
#include "input/input.h"
#include "send/fetch.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(VB_ESTIMATE_MESSAGE_TOKENS == ESTIMATE_MESSAGE_OVERHEAD_TOKENS,
               "visionbatch.h and estimate.h disagree on the per-request tokens");
_Static_assert(VB_ESTIMATE_URL_SIDE == ESTIMATE_URL_SIDE,
               "visionbatch.h and estimate.h disagree on a URL's assumed size");
_Static_assert(VB_KIND_SLOTS == ESTIMATE_KINDS_MAX, "error kinds would not fit");

struct vb_estimate {
    estimate_settings_t s; /* model and prompt point at the copies below */
    char *model, *prompt;
    double rpm, tpm;
    int batch_api;
    input_t *in;
    vb_options_t fetch; /* --fetch-urls: what the downloads need (ca_cert: the copy below) */
    char *ca_cert;
    vb_pricing_t *builtin; /* the built-in prices, when the run was given none */
    int ran;
};

vb_estimate_t *vb_estimate_new(const vb_options_t *o, char *err, size_t errlen)
{
    detail_t detail;
    if (tokens_detail_parse(o->detail, &detail) != 0) {
        snprintf(err, errlen, "detail must be auto, low or high, not '%s'",
                 o->detail ? o->detail : "(none)");
        return NULL;
    }
    api_choice_t choice;
    if (api_options_resolve(o, &choice, err, errlen) != 0)
        return NULL;
    vb_estimate_t *e = calloc(1, sizeof *e);
    if (!e)
        goto oom;
    e->model = strdup(choice.model);
    e->prompt = strdup(o->prompt ? o->prompt : "");
    e->in = input_new();
    if (!e->model || !e->prompt || !e->in)
        goto oom;
    e->s = (estimate_settings_t){.model = e->model,
                                 .prompt = e->prompt,
                                 .detail = detail,
                                 .max_tokens = o->max_tokens,
                                 .max_image_bytes = o->max_image_bytes,
                                 .threads = (int)o->prepare_threads};
    if (api_fetch_options_check(o, err, errlen) != 0)
        goto fail;
    vb_options_init(&e->fetch);
    e->fetch.fetch_urls = o->fetch_urls;
    e->fetch.fetch_concurrency = o->fetch_concurrency;
    e->fetch.fetch_per_host = o->fetch_per_host;
    e->fetch.timeout_s = o->timeout_s;
    e->fetch.max_image_bytes = o->max_image_bytes;
    e->fetch.insecure = o->insecure;
    if (o->ca_cert && !(e->ca_cert = strdup(o->ca_cert)))
        goto oom;
    e->fetch.ca_cert = e->ca_cert;
    e->rpm = o->rpm;
    e->tpm = o->tpm;
    e->batch_api = o->batch_api != 0;
    return e;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    vb_estimate_free(e);
    return NULL;
}

int vb_estimate_add_input(vb_estimate_t *e, const char *path, char *err, size_t errlen)
{
    return input_add(e->in, path, err, errlen);
}

int vb_estimate_run(vb_estimate_t *e, const vb_pricing_t *prices, vb_estimate_error_fn fn,
                    void *userdata, vb_estimate_summary_t *out, char *err, size_t errlen)
{
    estimate_t t;
    memset(out, 0, sizeof *out);
    out->cost_low_usd = out->cost_high_usd = out->seconds_at_limits = -1.0;
    out->online_cost_low_usd = out->online_cost_high_usd = -1.0;
    out->batch_api = e->batch_api;
    if (e->ran) {
        snprintf(err, errlen, "the estimate has run already: its inputs are read through");
        return -1;
    }
    e->ran = 1;
    if (!prices && !(prices = e->builtin = vb_pricing_load(NULL, err, errlen)))
        return -1;
    vb_price_t known;
    if (e->batch_api && (vb_pricing_lookup(prices, e->model, &known) != 0 || !known.has_batch)) {
        snprintf(err, errlen,
                 "--batch-api: no batch price is known for model %s: add \"batch_input\" and "
                 "\"batch_output\" for it with --pricing FILE",
                 e->model);
        return -1;
    }
    /* --fetch-urls: the same download stage as a run's, so a URL is counted at the size
     * of what it serves (and a dead one is a fetch_failed error), not as 1024x1024 */
    fetch_t *fetch = NULL;
    if (e->fetch.fetch_urls && !(fetch = fetch_start(e->in, &e->fetch, NULL, err, errlen)))
        return -1;
    int rc = estimate_run(fetch ? fetch_input(fetch) : e->in, &e->s, fn, userdata, &t, err,
                          errlen);
    fetch_free(fetch);
    if (rc != 0)
        return -1;
    out->images = t.images;
    out->urls = t.urls;
    out->errors = t.errors;
    out->error_kinds = t.n_kinds;
    for (size_t i = 0; i < t.n_kinds; i++) {
        memcpy(out->errors_by_kind[i].kind, t.kinds[i].kind, sizeof out->errors_by_kind[i].kind);
        out->errors_by_kind[i].n = t.kinds[i].count;
    }
    out->image_tokens = t.image_tokens;
    out->text_tokens = t.text_tokens;
    out->input_tokens = t.input_tokens;
    out->output_tokens_max = t.output_tokens_max;
    out->output_unbounded = t.output_unbounded;
    out->model_known = t.model_known;
    if (vb_pricing_lookup(prices, e->model, &out->price) == 0) {
        pricing_entry_t price = {.model = out->price.model,
                                 .input = out->price.input,
                                 .output = out->price.output,
                                 .batch_input = out->price.batch_input,
                                 .batch_output = out->price.batch_output,
                                 .has_batch = out->price.has_batch};
        out->priced = 1;
        estimate_cost(&t, &price, e->batch_api, &out->cost_low_usd, &out->cost_high_usd);
        estimate_cost(&t, &price, 0, &out->online_cost_low_usd, &out->online_cost_high_usd);
    }
    out->seconds_at_limits = estimate_seconds_at_limits(&t, e->rpm, e->tpm);
    return 0;
}

void vb_estimate_free(vb_estimate_t *e)
{
    if (!e)
        return;
    input_free(e->in);
    free(e->ca_cert);
    vb_pricing_free(e->builtin);
    free(e->model);
    free(e->prompt);
    free(e);
}
