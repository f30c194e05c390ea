/* job.c - the public job object: validated options, inputs, and the run. */
#include <visionbatch.h>

#include "api/api_internal.h"
#include "send/engine.h"
#include "send/curl_common.h"
#include "media/image.h"
#include "input/input.h"
#include "send/fetch.h" /* its defaults */
#include "util/url_policy.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CONCURRENCY 10000

struct vb_job {
    vb_options_t o; /* string fields point into the owned copies below */
    char *provider, *base_url, *api_key, *model, *prompt, *detail, *limiter, *journal, *resize,
        *pricing, *system;
    char *schema, *output_format;
    volatile sig_atomic_t cancel;
    input_t *input;
    long ninputs;
    vb_redis_t *redis;                      /* vb_job_set_redis: items from there */
    volatile sig_atomic_t *redis_cancel;    /* ... and its waits to end on a cancel */
};

int vb_global_init(const char *argv0, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }
    return image_global_init(argv0, err, errlen);
}

void vb_global_cleanup(void)
{
    image_global_cleanup();
    curl_global_cleanup();
}

void vb_options_init(vb_options_t *o)
{
    memset(o, 0, sizeof *o);
    /* provider, base_url and model NULL: OpenAI's protocol, service and default model,
     * or another provider's when one is named (api_options_resolve) */
    o->prompt = "Describe this product image for an online catalog.";
    o->detail = "auto";
    o->max_tokens = 300;
    o->batch_size = 1;
    o->batch_max_bytes = (size_t)20 * 1000 * 1000; /* Gemini's cap, the lowest (provider-facts §1) */
    o->concurrency = 10;
    o->timeout_s = 120;
    o->max_image_bytes = 20u * 1024 * 1024;
    o->limiter = "gcra";
    o->retries = 6;
    o->retry_base_s = 0.5;
    o->retry_max_s = 30;
    o->grace_s = 30;
    o->resize = "off";
    o->json_retries = 2;
    o->output_format = "jsonl";
    o->stats_interval_s = 0.1;
    o->body_timeout_s = 30;
    o->unreachable_timeout_s = 300;
    o->temperature = -1;
    o->seed = VB_SEED_NONE;
    o->poll_interval_s = 30;  /* batch_api: results take minutes to hours */
    o->fallback_after_s = 0;  /* with fallback_online: only once a batch expires */
    o->fetch_concurrency = FETCH_DEFAULT_CONCURRENCY;
    o->fetch_per_host = FETCH_DEFAULT_PER_HOST;
}

void vb_job_free(vb_job_t *job)
{
    if (!job)
        return;
    if (job->api_key)
        explicit_bzero(job->api_key, strlen(job->api_key));
    free(job->provider);
    free(job->base_url);
    free(job->api_key);
    free(job->model);
    free(job->prompt);
    free(job->detail);
    free(job->limiter);
    free(job->journal);
    free(job->resize);
    free(job->pricing);
    free(job->schema);
    free(job->output_format);
    free(job->system);
    input_free(job->input);
    free(job);
}

/* Checks the batch_api options (and that the ones that only mean something with it are
 * not set without it); writes the first problem into err. */
static int batch_options_check(const vb_options_t *o, char *err, size_t errlen)
{
    if (!o->batch_api) {
        const char *flag = o->batch_no_wait      ? "--no-wait"
                           : o->fallback_online  ? "--fallback-online"
                           : o->fallback_after_s ? "--fallback-after"
                                                 : NULL;
        if (flag) {
            snprintf(err, errlen, "%s only applies to --batch-api runs", flag);
            return -1;
        }
        return 0;
    }
    if (!o->journal) {
        snprintf(err, errlen, "--batch-api needs --journal FILE: the journal is what knows the "
                              "batches, so the same command can collect them");
        return -1;
    }
    if (o->batch_size > 1) {
        snprintf(err, errlen, "--batch-api cannot be combined with --batch-size above 1: each "
                              "line of a provider batch is one image's request, so the "
                              "batch already groups them (at half the price)");
        return -1;
    }
    if (o->output_format && strcmp(o->output_format, "openai-batch") == 0) {
        snprintf(err, errlen, "--batch-api cannot be combined with --output-format "
                              "openai-batch: those lines are each request's own HTTP answer "
                              "(status code, request id, body), which a batch's result lines "
                              "do not carry alike for every provider (Anthropic and Gemini "
                              "give no status code or request id per line); use jsonl");
        return -1;
    }
    if (!(o->poll_interval_s >= 0.05 && o->poll_interval_s <= 3600)) {
        snprintf(err, errlen, "--poll-interval must be from 0.05 to 3600 seconds");
        return -1;
    }
    if (o->batch_api_max_lines < 0) {
        snprintf(err, errlen, "--batch-api-max-lines must be 0 (the provider's cap) or more");
        return -1;
    }
    if (!(o->max_enqueued_tokens >= 0)) {
        snprintf(err, errlen, "--max-enqueued-tokens must be 0 (no limit) or more");
        return -1;
    }
    if (!(o->fallback_after_s >= 0)) {
        snprintf(err, errlen, "--fallback-after must be 0 (only on expiry) seconds or more");
        return -1;
    }
    if (o->fallback_after_s > 0 && !o->fallback_online) {
        snprintf(err, errlen, "--fallback-after needs --fallback-online");
        return -1;
    }
    return 0;
}

/* Checks an options struct; writes the first problem into err. */
/* The sampling options against what o's provider (resolved) takes: temperature 0..2
 * (OpenAI chat/completions and Gemini's generationConfig), 0..1 on Anthropic Messages,
 * which has no seed parameter at all (docs/provider-facts.md; sim/sim_*_parse.c enforce
 * the same). Returns 0, or -1 with a usage error in err. */
static int sampling_options_check(const vb_options_t *o, char *err, size_t errlen)
{
    bool anthropic = o->provider && strcmp(o->provider, "anthropic") == 0;
    if (o->temperature > (anthropic ? 1.0 : 2.0)) {
        snprintf(err, errlen, "--temperature must be from 0 to %s%s", anthropic ? "1" : "2",
                 anthropic ? " for --provider anthropic" : "");
        return -1;
    }
    if (o->seed < VB_SEED_NONE || o->seed > 2147483647L) {
        snprintf(err, errlen, "--seed must be from 0 to 2147483647");
        return -1;
    }
    if (anthropic && o->seed != VB_SEED_NONE) {
        snprintf(err, errlen, "--seed cannot be used with --provider anthropic: the Messages "
                              "API takes no seed");
        return -1;
    }
    if (o->system && !o->system[0]) {
        snprintf(err, errlen, "--system must not be empty");
        return -1;
    }
    return 0;
}

static int options_check(const vb_options_t *o, char *err, size_t errlen)
{
    if (!o->base_url || (strncasecmp(o->base_url, "http://", 7) != 0 &&
                         strncasecmp(o->base_url, "https://", 8) != 0)) {
        snprintf(err, errlen, "base URL must start with http:// or https://");
        return -1;
    }
    if (url_policy_check(o->base_url, o->allow_http, err, errlen) != 0)
        return -1;
    if (curl_common_check_ca(o, err, errlen) != 0) /* --ca-cert, CURL_CA_BUNDLE... */
        return -1;
    if (!o->model || !o->model[0]) {
        snprintf(err, errlen, "a model is required");
        return -1;
    }
    if (!o->prompt || !o->prompt[0]) {
        snprintf(err, errlen, "a prompt is required");
        return -1;
    }
    if (!o->detail || (strcmp(o->detail, "auto") && strcmp(o->detail, "low") &&
                       strcmp(o->detail, "high"))) {
        snprintf(err, errlen, "detail must be auto, low or high");
        return -1;
    }
    if (o->concurrency < 1 || o->concurrency > MAX_CONCURRENCY) {
        snprintf(err, errlen, "concurrency must be between 1 and %d", MAX_CONCURRENCY);
        return -1;
    }
    if (!(o->timeout_s > 0)) {
        snprintf(err, errlen, "timeout must be more than 0 seconds");
        return -1;
    }
    if (o->max_tokens < 0) {
        snprintf(err, errlen, "max tokens must be 0 (not sent) or more");
        return -1;
    }
    if (o->max_image_bytes == 0) {
        snprintf(err, errlen, "the image size limit must be more than 0");
        return -1;
    }
    if (!(o->rpm >= 0) || !(o->tpm >= 0) || !(o->burst >= 0)) {
        snprintf(err, errlen, "rpm, tpm and burst must be 0 or more");
        return -1;
    }
    if (!o->limiter || (strcmp(o->limiter, "gcra") && strcmp(o->limiter, "window"))) {
        snprintf(err, errlen, "limiter must be gcra or window");
        return -1;
    }
    if (o->retries < 0 || o->retries > 1000) {
        snprintf(err, errlen, "retries must be between 0 and 1000");
        return -1;
    }
    if (!(o->retry_base_s >= 0) || !(o->retry_max_s >= o->retry_base_s)) {
        snprintf(err, errlen, "retry delays must satisfy 0 <= retry-base <= retry-max");
        return -1;
    }
    if (!o->resize || (strcmp(o->resize, "auto") && strcmp(o->resize, "off"))) {
        snprintf(err, errlen, "resize must be auto or off");
        return -1;
    }
    if (o->max_side < 0 || o->max_side > 100000) {
        snprintf(err, errlen, "max-side must be between 0 (none) and 100000");
        return -1;
    }
    if (!(o->grace_s >= 0)) {
        snprintf(err, errlen, "the grace period must be 0 seconds or more");
        return -1;
    }
    if (o->batch_size < 1 || o->batch_size > 500) {
        snprintf(err, errlen, "batch size must be between 1 and 500 images per request");
        return -1;
    }
    if (o->batch_max_bytes < 1024) {
        snprintf(err, errlen, "batch-max-bytes must be at least 1024");
        return -1;
    }
    if (o->batch_size > 1 && o->output_format && strcmp(o->output_format, "openai-batch") == 0) {
        snprintf(err, errlen, "--batch-size above 1 cannot be combined with --output-format "
                              "openai-batch: each output line is one request's own response");
        return -1;
    }
    if (o->batch_size > 1 && (o->json_object || o->schema)) {
        snprintf(err, errlen, "--batch-size above 1 cannot be combined with --json or --schema: "
                              "a batch is answered with one JSON array for all its images");
        return -1;
    }
    if (!o->output_format ||
        (strcmp(o->output_format, "jsonl") && strcmp(o->output_format, "openai-batch"))) {
        snprintf(err, errlen, "output format must be jsonl or openai-batch");
        return -1;
    }
    if (o->json_retries < 0 || o->json_retries > 100) {
        snprintf(err, errlen, "json retries must be between 0 and 100");
        return -1;
    }
    if (o->on_stats && !(o->stats_interval_s >= 0.01 && o->stats_interval_s <= 3600)) {
        snprintf(err, errlen, "the statistics interval must be from 0.01 to 3600 seconds");
        return -1;
    }
    if (o->prepare_threads < 0 || o->prepare_threads > 64) {
        snprintf(err, errlen, "prepare threads must be between 0 (automatic) and 64");
        return -1;
    }
    if (sampling_options_check(o, err, errlen) != 0)
        return -1;
    if (api_fetch_options_check(o, err, errlen) != 0)
        return -1;
    return batch_options_check(o, err, errlen);
}

vb_job_t *vb_job_new(const vb_options_t *given, char *err, size_t errlen)
{
    api_choice_t choice;
    if (api_options_resolve(given, &choice, err, errlen) != 0)
        return NULL;
    vb_options_t resolved = *given;
    resolved.provider = choice.provider;
    resolved.base_url = choice.base_url;
    resolved.model = choice.model;
    const vb_options_t *o = &resolved;
    if (options_check(o, err, errlen) != 0)
        return NULL;
    vb_job_t *job = calloc(1, sizeof *job);
    if (!job)
        goto oom;
    job->o = *o;
    job->provider = strdup(o->provider);
    job->base_url = strdup(o->base_url);
    job->model = strdup(o->model);
    job->prompt = strdup(o->prompt);
    job->detail = strdup(o->detail);
    job->limiter = strdup(o->limiter);
    job->journal = o->journal ? strdup(o->journal) : NULL;
    job->resize = strdup(o->resize);
    job->pricing = o->pricing ? strdup(o->pricing) : NULL;
    job->api_key = o->api_key ? strdup(o->api_key) : NULL;
    job->schema = o->schema ? strdup(o->schema) : NULL;
    job->output_format = strdup(o->output_format);
    job->system = o->system ? strdup(o->system) : NULL;
    job->input = input_new();
    if (!job->provider || !job->base_url || !job->model || !job->prompt || !job->detail || !job->limiter ||
        !job->input ||
        (o->api_key && !job->api_key) || (o->journal && !job->journal) || !job->resize ||
        (o->pricing && !job->pricing) || (o->schema && !job->schema) || !job->output_format ||
        (o->system && !job->system))
        goto oom;
    job->o.provider = job->provider;
    job->o.base_url = job->base_url;
    job->o.model = job->model;
    job->o.prompt = job->prompt;
    job->o.detail = job->detail;
    job->o.limiter = job->limiter;
    job->o.journal = job->journal;
    job->o.resize = job->resize;
    job->o.pricing = job->pricing;
    job->o.api_key = job->api_key;
    job->o.schema = job->schema;
    job->o.output_format = job->output_format;
    job->o.system = job->system;
    if (input_set_csv_columns(job->input, o->csv_image_column, o->csv_id_column,
                              o->csv_delimiter, err, errlen) != 0) {
        vb_job_free(job);
        return NULL;
    }
    /* the input holds its own copies: none of the caller's strings is kept */
    job->o.csv_image_column = job->o.csv_id_column = job->o.csv_delimiter = NULL;
    return job;
oom:
    vb_job_free(job);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

int vb_job_add_input(vb_job_t *job, const char *path, char *err, size_t errlen)
{
    if (job->redis) {
        snprintf(err, errlen, "the job takes its items from Redis: publish inputs there");
        return -1;
    }
    if (input_add(job->input, path, err, errlen) != 0)
        return -1;
    job->ninputs++;
    return 0;
}

int vb_job_set_redis(vb_job_t *job, vb_redis_t *r, double visibility_s, char *err, size_t errlen)
{
    if (job->ninputs > 0) {
        snprintf(err, errlen, "the job has inputs of its own: a job run from Redis takes its "
                              "items from there (publish inputs with vb_redis_publish)");
        return -1;
    }
    if (job->redis) {
        snprintf(err, errlen, "the job already works on a Redis job");
        return -1;
    }
    if (job->o.fetch_urls) { /* its items come from a blocking queue: not fetched yet */
        snprintf(err, errlen, "--fetch-urls cannot run a distributed (Redis) job yet: "
                              "publish local files, or run without --redis");
        return -1;
    }
    if (job->o.batch_api) { /* its batches are known to one journal, which Redis jobs lack */
        snprintf(err, errlen, "--batch-api cannot run a distributed (Redis) job: the "
                              "journal that knows its batches is one process's");
        return -1;
    }
    if (api_redis_prepare(r, &job->o, visibility_s, err, errlen) != 0)
        return -1;
    job->redis_cancel = api_redis_cancel_flag(r);
    job->redis = r;
    return 0;
}

vb_run_status_t vb_job_run(vb_job_t *job, vb_result_fn fn, void *userdata, vb_summary_t *summary,
                           char *err, size_t errlen)
{
    if (job->redis)
        return api_redis_run(job->redis, &job->o, &job->cancel, fn, userdata, summary, err,
                             errlen);
    return engine_run(&job->o, job->input, &job->cancel, fn, userdata, summary, err, errlen);
}

void vb_job_cancel(vb_job_t *job)
{
    job->cancel = 1;
    if (job->redis_cancel)
        *job->redis_cancel = 1;
}
