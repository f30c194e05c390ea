/* sim_batchapi.c - the batch APIs' store: files, batches and their faults (sim_batchapi.h);
 * the counters are sim_batchapi_stats.c's. Everything is under one mutex; a batch's lines
 * run under the batch's own run_lock (sim_batchapi_run.c), so a long run blocks no other
 * call. */
#include "sim_batchapi.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_rng.h"
#include "util/clock.h"

struct sim_batchapi {
    const sim_config_t *cfg;
    vbclock_t clock;
    pthread_mutex_t lock; /* guards everything below and the batches' mutable fields */
    uint64_t id_state;    /* splitmix64 state for ids, seeded by --seed */
    sim_bfile_t **files;
    size_t n_files, cap_files;
    sim_batch_t **batches;
    size_t n_batches, cap_batches;
    unsigned long creates; /* create calls that got as far as the batch faults */
    sim_bstats_t stats;
};

sim_batchapi_t *sim_batchapi_new(const sim_config_t *cfg)
{
    sim_batchapi_t *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    if (pthread_mutex_init(&api->lock, NULL) != 0) {
        free(api);
        return NULL;
    }
    api->cfg = cfg;
    api->clock = clock_system();
    api->id_state = cfg->seed ^ 0x6261746368617069ULL; /* ids apart from other draws */
    sim_bstats_init(&api->stats);
    return api;
}

static void file_free(sim_bfile_t *f)
{
    if (!f)
        return;
    free(f->data);
    free(f);
}

static void batch_free(sim_batch_t *b)
{
    if (!b)
        return;
    json_decref(b->metadata);
    json_decref(b->requests);
    json_decref(b->errors);
    free(b->line_off);
    pthread_mutex_destroy(&b->run_lock);
    free(b);
}

void sim_batchapi_free(sim_batchapi_t *api)
{
    if (!api)
        return;
    for (size_t i = 0; i < api->n_files; i++)
        file_free(api->files[i]);
    for (size_t i = 0; i < api->n_batches; i++)
        batch_free(api->batches[i]);
    free(api->files);
    free(api->batches);
    sim_bstats_clear(&api->stats);
    pthread_mutex_destroy(&api->lock);
    free(api);
}

const sim_config_t *sim_batchapi_config(const sim_batchapi_t *api)
{
    return api->cfg;
}

double sim_batchapi_now(const sim_batchapi_t *api)
{
    return (double)clock_now(&api->clock) / 1e9;
}

double sim_batchapi_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sim_batchapi_rfc3339(double t, char *buf, size_t cap)
{
    time_t secs = (time_t)floor(t);
    long micros = (long)((t - (double)secs) * 1e6);
    if (micros > 999999)
        micros = 999999;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char whole[32];
    strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%06ldZ", whole, micros);
}

double sim_batchapi_batch_wall(const sim_batch_t *b, double at)
{
    return b->created_wall + (at - b->tl.created);
}

int sim_batchapi_refuse(sim_reply_t *reply, sim_proto_id_t proto, int status, const char *param,
                        const char *code, const char *fmt, ...)
{
    sim_error_t err;
    va_list ap;
    sim_error_set(&err, param, code, "%s", "");
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    err.status = status;
    return sim_protocol_get(proto)->refuse(reply, &err);
}

int sim_batchapi_path_item(const char *rest, char *id, size_t cap, const char **tail)
{
    if (rest[0] != '/' || rest[1] == '\0' || rest[1] == '/')
        return -1;
    const char *end = strchr(rest + 1, '/');
    size_t n = end ? (size_t)(end - rest - 1) : strlen(rest + 1);
    if (n >= cap)
        return -1;
    memcpy(id, rest + 1, n);
    id[n] = '\0';
    *tail = rest + 1 + n;
    return 0;
}

const char *sim_batchapi_call_host(const sim_call_t *call)
{
    const char *host = sim_call_header(call, "Host");
    return host && *host && strlen(host) < 128 ? host : "127.0.0.1";
}

void sim_batchapi_lock(sim_batchapi_t *api)
{
    pthread_mutex_lock(&api->lock);
}

void sim_batchapi_unlock(sim_batchapi_t *api)
{
    pthread_mutex_unlock(&api->lock);
}

/* sim_batchapi_make_id with the lock held. */
static void make_id_locked(sim_batchapi_t *api, const char *prefix, int hexdigits, char *out,
                           size_t cap)
{
    char hex[65];
    int n = 0;
    while (n < hexdigits && n < 64)
        n += snprintf(hex + n, sizeof hex - (size_t)n, "%016llx",
                      (unsigned long long)sim_rng_next(&api->id_state));
    hex[hexdigits < 64 ? hexdigits : 64] = '\0';
    snprintf(out, cap, "%s%s", prefix, hex);
}

void sim_batchapi_make_id(sim_batchapi_t *api, const char *prefix, int hexdigits, char *out,
                          size_t cap)
{
    sim_batchapi_lock(api);
    make_id_locked(api, prefix, hexdigits, out, cap);
    sim_batchapi_unlock(api);
}

/* Appends item to the growable pointer array *arr (n, cap). Returns 0, or -1. */
static int push(void ***arr, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        void **grown = realloc(*arr, grown_cap * sizeof *grown);
        if (!grown)
            return -1;
        *arr = grown;
        *cap = grown_cap;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

sim_bfile_t *sim_batchapi_add_file(sim_batchapi_t *api, sim_proto_id_t proto, const char *id,
                                   const char *purpose, const char *name, char *data, size_t len,
                                   int is_result)
{
    sim_bfile_t *f = calloc(1, sizeof *f);
    if (!f) {
        free(data);
        return NULL;
    }
    snprintf(f->id, sizeof f->id, "%s", id);
    f->proto = proto;
    snprintf(f->purpose, sizeof f->purpose, "%s", purpose ? purpose : "");
    snprintf(f->name, sizeof f->name, "%s", name ? name : "");
    f->data = data;
    f->len = len;
    f->declared_len = -1;
    f->created_wall = sim_batchapi_wall();
    f->is_result = is_result;
    sim_batchapi_lock(api);
    int rc = push((void ***)&api->files, &api->n_files, &api->cap_files, f);
    sim_batchapi_unlock(api);
    if (rc != 0) {
        file_free(f);
        return NULL;
    }
    return f;
}

sim_bfile_t *sim_batchapi_find_file(sim_batchapi_t *api, sim_proto_id_t proto, const char *id)
{
    for (size_t i = api->n_files; i-- > 0;)
        if (api->files[i]->proto == proto && strcmp(api->files[i]->id, id) == 0)
            return api->files[i];
    return NULL;
}

sim_batch_t *sim_batchapi_find_batch(sim_batchapi_t *api, sim_proto_id_t proto, const char *id)
{
    for (size_t i = api->n_batches; i-- > 0;)
        if (api->batches[i]->proto == proto && strcmp(api->batches[i]->id, id) == 0)
            return api->batches[i];
    return NULL;
}

sim_batch_t *sim_batchapi_nth_newest(sim_batchapi_t *api, sim_proto_id_t proto, size_t n)
{
    for (size_t i = api->n_batches; i-- > 0;)
        if (api->batches[i]->proto == proto && n-- == 0)
            return api->batches[i];
    return NULL;
}

/* The estimated tokens of the unfinished batches of proto and model at now. */
static unsigned long long enqueued_tokens(const sim_batchapi_t *api, sim_proto_id_t proto,
                                          const char *model, double now)
{
    unsigned long long sum = 0;
    for (size_t i = 0; i < api->n_batches; i++) {
        const sim_batch_t *b = api->batches[i];
        if (b->proto == proto && b->doom == SIM_BDOOM_NONE && strcmp(b->model, model) == 0 &&
            !sim_bphase_final(sim_btimeline_phase(&b->tl, now)))
            sum += b->est_tokens;
    }
    return sum;
}

/* Decides b's faults as the ordinal-th create; returns a refusal, or SIM_BCREATE_OK. */
static sim_bcreate_t decide_faults(sim_batchapi_t *api, sim_batch_t *b, const sim_bnew_t *spec,
                                   double now, unsigned long long *enqueued)
{
    const sim_config_t *cfg = api->cfg;
    if (cfg->batch_validation_fail_nth == b->ordinal) {
        if (spec->refuse_invalid)
            return SIM_BCREATE_INVALID;
        b->doom = SIM_BDOOM_INVALID;
        snprintf(b->fail_code, sizeof b->fail_code, "invalid_json_line");
        snprintf(b->fail_message, sizeof b->fail_message,
                 "This line is not parseable as valid JSON.");
        b->fail_line = 2; /* as observed (docs/batch-api-facts.md §1) */
        json_decref(b->errors);
        b->errors = NULL;
    } else if (b->errors && json_array_size(b->errors) > 0) {
        json_t *first = json_array_get(b->errors, 0);
        b->doom = SIM_BDOOM_INVALID;
        snprintf(b->fail_code, sizeof b->fail_code, "%s",
                 json_string_value(json_object_get(first, "code")));
        snprintf(b->fail_message, sizeof b->fail_message, "%s",
                 json_string_value(json_object_get(first, "message")));
        b->fail_line = (long)json_integer_value(json_object_get(first, "line"));
    }
    if (b->doom == SIM_BDOOM_NONE && cfg->batch_enqueued_tokens) {
        *enqueued = enqueued_tokens(api, b->proto, b->model, now);
        if (*enqueued + b->est_tokens > cfg->batch_enqueued_tokens) {
            if (spec->refuse_tokens)
                return SIM_BCREATE_TOKENS;
            b->doom = SIM_BDOOM_TOKENS;
            snprintf(b->fail_code, sizeof b->fail_code, "token_limit_exceeded");
            /* the wording of openai-python#2084 (docs/batch-api-facts.md §1) */
            snprintf(b->fail_message, sizeof b->fail_message,
                     "Enqueued token limit reached for %s in organization org-sim. Limit: %llu "
                     "enqueued tokens. Please try again once some in_progress batches have "
                     "been completed.",
                     b->model, cfg->batch_enqueued_tokens);
        }
    }
    b->tl.doomed = b->doom != SIM_BDOOM_NONE;
    if (cfg->batch_expire_nth == b->ordinal && !b->tl.doomed) {
        b->tl.expires = 1;
        long long n = llround(cfg->batch_expire_fraction * (double)b->total);
        b->n_expire = n < 0 ? 0 : (size_t)n > b->total ? b->total : (size_t)n;
    }
    return SIM_BCREATE_OK;
}

sim_bcreate_t sim_batchapi_create(sim_batchapi_t *api, sim_bnew_t *spec, sim_batch_t **out,
                                  unsigned long long *enqueued)
{
    *out = NULL;
    *enqueued = 0;
    sim_batch_t *b = calloc(1, sizeof *b);
    if (!b || pthread_mutex_init(&b->run_lock, NULL) != 0) {
        free(b);
        json_decref(spec->metadata);
        json_decref(spec->requests);
        json_decref(spec->errors);
        free(spec->line_off);
        return SIM_BCREATE_NO_MEMORY;
    }
    b->proto = spec->proto;
    snprintf(b->model, sizeof b->model, "%s", spec->model ? spec->model : "");
    snprintf(b->label, sizeof b->label, "%s", spec->label ? spec->label : "");
    b->metadata = spec->metadata;
    b->input = spec->input;
    b->requests = spec->requests;
    b->line_off = spec->line_off;
    b->total = spec->total;
    b->est_tokens = spec->est_tokens;
    b->errors = spec->errors;
    b->tl.seconds = api->cfg->batch_seconds;
    b->tl.cancel_at = -1.0;

    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    b->tl.created = now;
    b->created_wall = sim_batchapi_wall();
    b->ordinal = ++api->creates;
    sim_bcreate_t rc = decide_faults(api, b, spec, now, enqueued);
    if (rc == SIM_BCREATE_OK) {
        make_id_locked(api, spec->id_prefix, spec->id_hexdigits, b->id, sizeof b->id);
        if (push((void ***)&api->batches, &api->n_batches, &api->cap_batches, b) != 0)
            rc = SIM_BCREATE_NO_MEMORY;
    } else {
        api->stats.refused++;
    }
    sim_batchapi_unlock(api);
    if (rc != SIM_BCREATE_OK)
        batch_free(b);
    else
        *out = b;
    return rc;
}

int sim_batchapi_cancel(sim_batch_t *b, double now)
{
    if (!sim_btimeline_can_cancel(&b->tl, now))
        return -1;
    b->tl.cancel_at = now;
    return 0;
}

void sim_batchapi_counts(const sim_batch_t *b, double now, size_t *done, size_t *failed)
{
    if (b->ran) {
        *done = b->tally.ok + b->tally.refused + b->tally.faults;
        *failed = b->tally.refused + b->tally.faults;
        return;
    }
    size_t runnable = b->total - (b->tl.expires ? b->n_expire : 0);
    *done = (size_t)floor(sim_btimeline_progress(&b->tl, now) * (double)runnable);
    *failed = 0;
}

void sim_batchapi_book(sim_batchapi_t *api, const sim_batch_t *b,
                       const unsigned char (*billed)[SIM_DIGEST_LEN], size_t n_billed)
{
    sim_batchapi_lock(api);
    sim_bstats_book(&api->stats, &b->tally, billed, n_billed);
    sim_batchapi_unlock(api);
}

json_t *sim_batchapi_stats_json(sim_batchapi_t *api)
{
    sim_bcensus_t c;
    memset(&c, 0, sizeof c);
    sim_batchapi_lock(api);
    double now = sim_batchapi_now(api);
    for (size_t i = api->stats.files_mark; i < api->n_files; i++) {
        if (!api->files[i]->is_result && api->files[i]->data) {
            c.files++;
            c.file_bytes += api->files[i]->len;
        }
    }
    for (size_t i = api->stats.batches_mark; i < api->n_batches; i++) {
        sim_bphase_t p = sim_btimeline_phase(&api->batches[i]->tl, now);
        c.batches++;
        c.by_protocol[api->batches[i]->proto]++;
        if (sim_bphase_final(p))
            c.final[p - SIM_BPHASE_COMPLETED]++;
        else
            c.open++;
    }
    json_t *root = sim_bstats_json(&api->stats, &c);
    sim_batchapi_unlock(api);
    return root;
}

void sim_batchapi_reset_stats(sim_batchapi_t *api)
{
    sim_batchapi_lock(api);
    sim_bstats_reset(&api->stats, api->n_files, api->n_batches);
    sim_batchapi_unlock(api);
}
