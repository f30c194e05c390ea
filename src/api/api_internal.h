/* api_internal.h - what the public job (job.c) needs from the distributed jobs
 * (redis.c). Not installed: the public interface is include/visionbatch.h alone. */
#ifndef VB_API_INTERNAL_H
#define VB_API_INTERNAL_H

#include <visionbatch.h>

#include <signal.h>

/* What a job's options leave to the provider, resolved (static or the options' strings). */
typedef struct api_choice {
    const char *provider; /* "openai", "anthropic" or "gemini" */
    const char *base_url; /* o->base_url, else the provider's service */
    const char *model;    /* o->model, else the provider's default */
} api_choice_t;

/* Resolves o's provider (by name, else from the base URL's host), base URL and model.
 * Returns 0, or -1 with a reason in err for an unknown provider name. */
int api_options_resolve(const vb_options_t *o, api_choice_t *out, char *err, size_t errlen);

/* Readies r for a worker's run with options o (already validated): the reading
 * connection and the result cache's. Returns 0, or -1 with a reason in err. */
int api_redis_prepare(vb_redis_t *r, const vb_options_t *o, double visibility_s, char *err,
                      size_t errlen);

/* Checks the --fetch-urls settings (fetch_urls.c), for run and estimate alike: the
 * concurrency and per-host bound from 1 to FETCH_MAX_CONCURRENCY, and the CA settings the
 * downloads verify with. Returns 0, or -1 with a usage error in err. */
int api_fetch_options_check(const vb_options_t *o, char *err, size_t errlen);

/* The flag that ends r's waits for a lost server; vb_job_cancel sets it. */
volatile sig_atomic_t *api_redis_cancel_flag(vb_redis_t *r);

/* vb_job_run on r's job (after api_redis_prepare): the engine over the job's stream with
 * the limits, budget and cache shared through Redis, each result stored before fn sees
 * it. Same contract as vb_job_run. */
vb_run_status_t api_redis_run(vb_redis_t *r, const vb_options_t *o, volatile sig_atomic_t *cancel,
                              vb_result_fn fn, void *userdata, vb_summary_t *summary, char *err,
                              size_t errlen);

#endif
