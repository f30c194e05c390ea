/* estimate.c - what a job would send and cost, before anything is sent (cost/estimate.c
 * counts; this gives it the public shape). */
#include <visionbatch.h>

#include "api/api_internal.h"
#include "cost/estimate.h"
#include "input/idset.h"
#include "input/input.h"
#include "prepare/prepare.h"
#include "prepare/prompt_fill.h"
#include "prepare/structured.h"
#include "record/journal.h"
#include "record/resume.h"
#include "send/fetch.h"
#include "send/group.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(VB_ESTIMATE_MESSAGE_TOKENS == ESTIMATE_MESSAGE_OVERHEAD_TOKENS,
               "visionbatch.h and estimate.h disagree on the per-request tokens");
_Static_assert(VB_ESTIMATE_URL_SIDE == ESTIMATE_URL_SIDE,
               "visionbatch.h and estimate.h disagree on a URL's assumed size");
_Static_assert(VB_KIND_SLOTS == ESTIMATE_KINDS_MAX, "error kinds would not fit");

struct vb_estimate {
    estimate_settings_t s; /* model, prompt, system, detail point at the copies below */
    estimate_hooks_t hooks;
    char *model, *prompt, *system, *detail, *output_format;
    double rpm, tpm;
    int batch_api;
    input_t *in;
    vb_options_t fetch; /* --fetch-urls: what the downloads need (ca_cert: the copy below) */
    char *ca_cert;
    vb_pricing_t *builtin; /* the built-in prices, when the run was given none */
    int ran;
    /* What a run decides besides the image, as the run decides it (prepare.c): */
    prepare_settings_t ps;    /* the prompt (template) and cache key settings */
    structured_t structured;  /* --json / --schema: the prompt's hint, the job's key */
    char *hinted;             /* the prompt with the --json hint; NULL when none */
    journal_reader_t *reader; /* the job's journal, read only; NULL when there is none */
    int dedupe;               /* copies of an image are priced once */
    idset_t *keys;            /* the cache keys priced so far (dedupe) */
    pthread_mutex_t lock;     /* guards reader and keys */
    int locked_init;
};

static int hook_done(void *ctx, const input_item_t *item)
{
    vb_estimate_t *e = ctx;
    if (!e->reader)
        return 0;
    pthread_mutex_lock(&e->lock);
    int done = prepare_item_done(&e->ps, e->reader, item);
    pthread_mutex_unlock(&e->lock);
    return done;
}

static char *hook_prompt(void *ctx, const input_item_t *item, char *why, size_t whylen)
{
    vb_estimate_t *e = ctx;
    char *filled;
    const char *prompt = prepare_item_prompt(&e->ps, item, &filled, why, whylen);
    if (prompt && !filled && !(filled = strdup(prompt)))
        snprintf(why, whylen, "out of memory");
    return filled;
}

/* The result cache first (prepare.c looks it up before sending), then dedupe (the
 * engine's): a key seen before is a copy. */
static estimate_verdict_t hook_verdict(void *ctx, const input_item_t *item, const char *prompt,
                                       const char *hash)
{
    vb_estimate_t *e = ctx;
    char key[HASH_HEX_LEN + 1];
    (void)item;
    if (!hash[0])
        return ESTIMATE_SEND;
    prepare_cache_key(&e->ps, prompt, hash, key);
    if (!key[0])
        return ESTIMATE_SEND;
    estimate_verdict_t v = ESTIMATE_SEND;
    pthread_mutex_lock(&e->lock);
    char *line = e->ps.use_cache ? journal_reader_cached(e->reader, key) : NULL;
    if (line)
        v = ESTIMATE_CACHED;
    else if (e->dedupe && idset_add(e->keys, key, strlen(key)) == 0)
        v = ESTIMATE_COPY;
    pthread_mutex_unlock(&e->lock);
    free(line);
    return v;
}

static char *hook_group_text(void *ctx, size_t n)
{
    vb_estimate_t *e = ctx;
    return group_text(e->prompt, n);
}

/* Opens the job's journal read-only when it exists (a run may be writing it: nothing is
 * written, no lock is taken) and decides as resume_open would: a journal of another job
 * is refused unless o->new_job; this job's finished items are passed over. o has its
 * provider and model resolved. Returns 0, or -1 with err set. */
static int journal_look(vb_estimate_t *e, const vb_options_t *o, char *err, size_t errlen)
{
    struct stat st;
    if (!o->journal || stat(o->journal, &st) != 0)
        return 0; /* a run would create it: nothing is done yet */
    if (!(e->reader = journal_reader_open(o->journal, err, errlen)))
        return -1;
    char *params = resume_job_params(o, e->structured.response_format);
    if (!params) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int job = journal_reader_job(e->reader, params, err, errlen);
    free(params);
    if (job < 0 && !o->new_job)
        return -1;
    e->ps.resuming = job == 1 && !o->new_job;
    e->ps.journal_path = o->journal; /* for the --fetch-urls stage's own reader */
    e->ps.retry_failed = o->retry_failed;
    /* as engine_run: openai-batch lines are not the lines the cache holds */
    e->ps.use_cache = !o->no_cache && !e->ps.key_extra;
    return 0;
}

/* Sets up the decisions a run makes besides the image (prepare.c, engine.c): the prompt
 * as sent and its template, the cache key's settings, the journal, dedupe. */
static int run_decisions(vb_estimate_t *e, const vb_options_t *o, char *err, size_t errlen)
{
    const provider_t *p = provider_find(o->provider);
    if (!p) {
        snprintf(err, errlen, "unknown provider '%s'", o->provider);
        return -1;
    }
    if (structured_init(&e->structured, p, o->json_object, o->schema, err, errlen) != 0)
        return -1;
    if (structured_prompt(&e->structured, e->prompt, &e->hinted) < 0)
        goto oom;
    int batch_output = strcmp(e->output_format, "jsonl") != 0;
    e->ps = (prepare_settings_t){
        .model = e->model,
        .prompt = e->hinted ? e->hinted : e->prompt,
        .prompt_template = prompt_is_template(e->prompt) ? e->prompt : NULL,
        .structured = &e->structured,
        .detail = e->detail,
        .max_tokens = o->max_tokens,
        .max_side = o->max_side,
        .key_extra = batch_output ? e->output_format : NULL,
    };
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        snprintf(err, errlen, "cannot create a lock");
        return -1;
    }
    e->locked_init = 1;
    if (journal_look(e, o, err, errlen) != 0)
        return -1;
    /* as engine_setup: the batch API dedupes through the journal, across runs */
    e->dedupe = !o->no_dedupe && !batch_output;
    if (e->dedupe && !(e->keys = idset_new()))
        goto oom;
    e->hooks = (estimate_hooks_t){.ctx = e,
                                  .hash_images = e->dedupe || e->ps.use_cache,
                                  .done = hook_done,
                                  .prompt = hook_prompt,
                                  .verdict = hook_verdict,
                                  .group_text = hook_group_text};
    e->s.hooks = &e->hooks;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

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
    vb_options_t resolved = *o; /* as vb_job_new resolves them */
    resolved.provider = choice.provider;
    resolved.base_url = choice.base_url;
    resolved.model = choice.model;
    vb_estimate_t *e = calloc(1, sizeof *e);
    if (!e)
        goto oom;
    e->model = strdup(choice.model);
    e->prompt = strdup(o->prompt ? o->prompt : "");
    e->system = o->system ? strdup(o->system) : NULL;
    e->detail = strdup(o->detail);
    e->output_format = strdup(o->output_format ? o->output_format : "jsonl");
    e->in = input_new();
    if (!e->model || !e->prompt || (o->system && !e->system) || !e->detail ||
        !e->output_format || !e->in)
        goto oom;
    if (input_set_csv_columns(e->in, o->csv_image_column, o->csv_id_column, o->csv_delimiter,
                              err, errlen) != 0) {
        vb_estimate_free(e);
        return NULL;
    }
    resolved.output_format = e->output_format;
    e->s = (estimate_settings_t){.model = e->model,
                                 .prompt = e->prompt,
                                 .detail = detail,
                                 .max_tokens = o->max_tokens,
                                 .max_image_bytes = o->max_image_bytes,
                                 .threads = (int)o->prepare_threads,
                                 .system = e->system,
                                 .detail_name = e->detail,
                                 .resize_auto = o->resize && strcmp(o->resize, "auto") == 0,
                                 .max_side = o->max_side,
                                 /* as engine_setup: a templated prompt's bodies are the
                                    items' own, which never join a group (group.c) */
                                 .group_size = prompt_is_template(e->prompt) ? 1
                                                                            : o->batch_size};
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
    if (run_decisions(e, &resolved, err, errlen) != 0) {
        vb_estimate_free(e);
        return NULL;
    }
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
    if (e->fetch.fetch_urls && !(fetch = fetch_start(e->in, &e->fetch, &e->ps, err, errlen)))
        return -1;
    int rc = estimate_run(fetch ? fetch_input(fetch) : e->in, &e->s, fn, userdata, &t, err,
                          errlen);
    fetch_free(fetch);
    if (rc != 0)
        return -1;
    out->images = t.images;
    out->requests = t.requests;
    out->urls = t.urls;
    out->errors = t.errors;
    out->done = t.done;
    out->cached = t.cached;
    out->duplicates = t.copies;
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
    journal_reader_close(e->reader);
    idset_free(e->keys);
    structured_clear(&e->structured);
    if (e->locked_init)
        pthread_mutex_destroy(&e->lock);
    free(e->hinted);
    free(e->model);
    free(e->prompt);
    free(e->system);
    free(e->detail);
    free(e->output_format);
    free(e);
}
