/* redis.c - distributed jobs: publish a job's items to Redis, work on them from any
 * number of processes, read a job's progress and results back.
 *
 * Each worker runs the ordinary engine over an input that reads the job's stream
 * (redis_queue.h), paces with the limiter every process of the key shares
 * (redis_limiter.h), holds the budget the job's processes share (redis_budget.h), looks
 * answers up in the shared result cache (redis_cache.h), and stores each result in Redis
 * before acknowledging its item (redis_store.h). */
#include <visionbatch.h>

#include "api/api_internal.h"
#include "record/resume.h"
#include "redis/redis_budget.h"
#include "redis/redis_cache.h"
#include "redis/redis_conn.h"
#include "redis/redis_limiter.h"
#include "redis/redis_queue.h"
#include "redis/redis_store.h"
#include "send/engine.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vb_redis {
    char *url; /* may hold the password: wiped on free */
    redis_conn_t *conn;
    redis_job_t job;
    volatile sig_atomic_t cancel;
    char consumer[200];
    int bound;              /* vb_redis_create or vb_redis_join succeeded */
    json_t *params;         /* the job's parameters (vb_redis_join's strings point into it) */
    char *params_text;      /* ... as stored */
    input_t *publish;       /* inputs to publish */
    redis_source_t *source; /* a worker's reading of the stream, its own connection */
    input_t *items;         /* ... as the engine's input */
    redis_cache_t *cache;   /* the shared result cache, its own connection */
    long stored, lost;
};

/* host:pid, the worker's consumer name in the group. */
static void consumer_name(char *out, size_t outlen)
{
    char host[128] = "host";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    snprintf(out, outlen, "%s:%ld", host, (long)getpid());
}

vb_redis_t *vb_redis_open(const char *url, const char *job, char *err, size_t errlen)
{
    vb_redis_t *r = calloc(1, sizeof *r);
    if (!r || !(r->url = strdup(url))) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (redis_job_init(&r->job, job, err, errlen) != 0 ||
        !(r->conn = redis_conn_open(url, &r->cancel, err, errlen))) {
        vb_redis_free(r);
        return NULL;
    }
    consumer_name(r->consumer, sizeof r->consumer);
    return r;
}

const char *vb_redis_server(const vb_redis_t *r)
{
    return redis_conn_name(r->conn);
}

const char *vb_redis_consumer(const vb_redis_t *r)
{
    return r->consumer;
}

/* The parameters every worker of a job must share, as canonical JSON (sorted keys). */
static char *shared_params(const vb_options_t *o, const api_choice_t *c)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:I, s:b, s:I}", "model", c->model,
                          "prompt", o->prompt, "detail", o->detail, "max_tokens",
                          (json_int_t)o->max_tokens, "max_side", (json_int_t)o->max_side, "budget",
                          o->budget_usd, "batch_size", (json_int_t)o->batch_size, "json",
                          o->json_object, "json_retries", (json_int_t)o->json_retries);
    /* only for another protocol than OpenAI's, so jobs created before it still match */
    if (p && strcmp(c->provider, "openai") != 0)
        json_object_set_new(p, "provider", json_string(c->provider));
    resume_params_sampling(p, o); /* only when set, for the same reason */
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    return text;
}

int vb_redis_create(vb_redis_t *r, const vb_options_t *o, char *err, size_t errlen)
{
    api_choice_t choice;
    if (api_options_resolve(o, &choice, err, errlen) != 0)
        return -1;
    char *params = shared_params(o, &choice), *stored = NULL;
    if (!params) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* the inputs published next are read with the job's CSV settings */
    if (!r->publish && !(r->publish = input_new())) {
        free(params);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (input_set_csv_columns(r->publish, o->csv_image_column, o->csv_id_column,
                              o->csv_delimiter, err, errlen) != 0) {
        free(params);
        return -1;
    }
    int rc = redis_job_bind(r->conn, &r->job, params, true, &stored, err, errlen);
    free(params);
    free(stored);
    if (rc == 0)
        r->bound = 1;
    return rc;
}

int vb_redis_join(vb_redis_t *r, vb_redis_params_t *out, char *err, size_t errlen)
{
    char *stored = NULL;
    memset(out, 0, sizeof *out);
    if (redis_job_bind(r->conn, &r->job, "", false, &stored, err, errlen) != 0)
        return -1;
    json_decref(r->params);
    free(r->params_text);
    r->params_text = stored;
    r->params = json_loads(stored, 0, NULL);
    json_int_t max_tokens, max_side, batch_size, json_retries;
    if (!r->params ||
        json_unpack(r->params, "{s:s, s:s, s:s, s:I, s:I, s:F, s:I, s:b, s:I}", "model",
                    &out->model, "prompt", &out->prompt, "detail", &out->detail, "max_tokens",
                    &max_tokens, "max_side", &max_side, "budget", &out->budget_usd, "batch_size",
                    &batch_size, "json", &out->json_object, "json_retries", &json_retries) != 0) {
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "the job's parameters in Redis cannot be read");
        return -1;
    }
    out->json = r->params_text;
    const char *provider = json_string_value(json_object_get(r->params, "provider"));
    out->provider = provider ? provider : "openai";
    out->system = json_string_value(json_object_get(r->params, "system"));
    json_t *temperature = json_object_get(r->params, "temperature");
    out->temperature = json_is_number(temperature) ? json_number_value(temperature) : -1;
    json_t *seed = json_object_get(r->params, "seed");
    out->seed = json_is_integer(seed) ? (long)json_integer_value(seed) : VB_SEED_NONE;
    out->max_tokens = (long)max_tokens;
    out->max_side = (long)max_side;
    out->batch_size = (long)batch_size;
    out->json_retries = (long)json_retries;
    r->bound = 1;
    return 0;
}

int vb_redis_add_input(vb_redis_t *r, const char *path, char *err, size_t errlen)
{
    if (!r->publish && !(r->publish = input_new())) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return input_add(r->publish, path, err, errlen);
}

int vb_redis_publish(vb_redis_t *r, long *added, char *err, size_t errlen)
{
    long n = 0;
    if (!r->bound) {
        snprintf(err, errlen, "the job must be created (vb_redis_create) before publishing");
        return -1;
    }
    if (!r->publish && !(r->publish = input_new())) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = redis_job_publish(r->conn, &r->job, r->publish, &n, err, errlen);
    input_free(r->publish);
    r->publish = NULL;
    if (added)
        *added = n;
    return rc;
}

int api_redis_prepare(vb_redis_t *r, const vb_options_t *o, double visibility_s, char *err,
                      size_t errlen)
{
    if (!(visibility_s >= 1 && visibility_s <= 86400)) {
        snprintf(err, errlen, "the visibility timeout must be 1 to 86400 seconds");
        return -1;
    }
    if (o->schema || strcmp(o->output_format, "jsonl") != 0) {
        snprintf(err, errlen,
                 "a schema and the openai-batch output format do not work with "
                 "Redis yet: a worker on another machine would not have them");
        return -1;
    }
    if (!r->bound) {
        snprintf(err, errlen, "create or join the job (vb_redis_create, vb_redis_join) first");
        return -1;
    }
    if (r->source) {
        snprintf(err, errlen, "the job is already being worked on through this handle");
        return -1;
    }
    if (!(r->source = redis_source_new(r->url, &r->job, r->consumer, (long)(visibility_s * 1000),
                                       err, errlen)))
        goto fail;
    if (!(r->items = input_new_source(&redis_source_ops, r->source))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(r->cache = redis_cache_new(r->url, &r->cancel, err, errlen)))
        goto fail;
    return 0;
fail: /* as it was: the caller may try again */
    input_free(r->items);
    redis_source_free(r->source);
    r->items = NULL;
    r->source = NULL;
    return -1;
}

volatile sig_atomic_t *api_redis_cancel_flag(vb_redis_t *r)
{
    return &r->cancel;
}

typedef struct worker_ctx {
    vb_redis_t *r;
    vb_result_fn fn;
    void *userdata;
} worker_ctx_t;

static const char *status_name(vb_status_t s)
{
    return s == VB_STATUS_OK ? "ok" : s == VB_STATUS_SKIPPED ? "skipped" : "failed";
}

/* The engine's result callback: store, then acknowledge (one script), then the caller's.
 * While Redis is away the store waits for it, which pauses this loop and so the
 * dispatch; nothing finished is dropped unless the run is cancelled meanwhile, and then
 * the item stays unacknowledged and goes to another worker. */
static void on_result(const vb_result_t *res, void *arg)
{
    worker_ctx_t *w = arg;
    vb_redis_t *r = w->r;
    char entry[64] = "";
    if (!res->id)
        return;
    redis_source_release(r->source, res->id, entry, sizeof entry);
    int rc =
        redis_store_result(r->conn, &r->job, res->id, res->line, status_name(res->status), entry);
    if (rc == 1)
        r->stored++;
    else if (rc < 0)
        r->lost++;
    if (w->fn)
        w->fn(res, w->userdata);
}

vb_run_status_t api_redis_run(vb_redis_t *r, const vb_options_t *job_options,
                              volatile sig_atomic_t *cancel, vb_result_fn fn, void *userdata,
                              vb_summary_t *summary, char *err, size_t errlen)
{
    char limit_key[64];
    vb_options_t o = *job_options;
    o.journal = NULL; /* the job's state is in Redis */
    redis_limiter_key(o.base_url, o.api_key, limit_key, sizeof limit_key);
    redis_limiter_ctx_t lctx = {r->conn, limit_key};
    redis_budget_ctx_t bctx = {r->conn, r->job.budget};
    admit_shared_t limits = {redis_limiter_take, &lctx};
    budget_shared_t budget = {redis_budget_reserve, redis_budget_settle, &bctx};
    shared_cache_t results_cache;
    redis_cache_bind(r->cache, &results_cache);
    engine_shared_t shared = {&limits, &budget, &results_cache};
    worker_ctx_t w = {r, fn, userdata};
    return engine_run_shared(&o, r->items, cancel, on_result, &w, summary, &shared, err, errlen);
}

void vb_redis_counts(const vb_redis_t *r, vb_redis_counts_t *out)
{
    out->stored = r->stored;
    out->lost = r->lost;
    out->reclaimed = r->source ? redis_source_reclaimed(r->source) : 0;
}

int vb_redis_status(vb_redis_t *r, vb_redis_status_t *out, char *err, size_t errlen)
{
    redis_job_status_t st;
    memset(out, 0, sizeof *out);
    if (redis_store_status(r->conn, &r->job, &st, err, errlen) != 0)
        return -1;
    *out = (vb_redis_status_t){.items = st.items,
                               .published = st.published,
                               .results = st.results,
                               .ok = st.ok,
                               .failed = st.failed,
                               .skipped = st.skipped,
                               .pending = st.pending,
                               .workers = st.consumers,
                               .spent_usd = st.spent,
                               .reserved_usd = st.reserved};
    return 0;
}

int vb_redis_export(vb_redis_t *r, FILE *out, long *written, char *err, size_t errlen)
{
    long n = 0;
    int rc = redis_store_export(r->conn, &r->job, out, &n, err, errlen);
    if (written)
        *written = n;
    return rc;
}

void vb_redis_free(vb_redis_t *r)
{
    if (!r)
        return;
    input_free(r->items);
    redis_source_free(r->source);
    redis_cache_free(r->cache);
    input_free(r->publish);
    redis_conn_free(r->conn);
    json_decref(r->params);
    free(r->params_text);
    if (r->url)
        explicit_bzero(r->url, strlen(r->url));
    free(r->url);
    free(r);
}
