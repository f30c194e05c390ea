/* sim_stats.c - counters under one mutex, and a set of the image hashes billed
 * (sim_digest_set.h): past SET_MAX_SLOTS distinct_images_billed stops growing (it is a
 * test aid; a run of millions of distinct images does not need it exact). */
#include "sim_stats.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "sim_batch.h"
#include "sim_digest_set.h"

#define STATUS_MIN        100
#define STATUS_MAX        599
#define SET_MAX_SLOTS     ((size_t)1 << 22) /* 128 MiB of digests at most */
#define NS_PER_MS         1000000ULL

/* The slots of the faults counter, in the JSON's order. */
enum { FAULT_500, FAULT_502, FAULT_503, FAULT_529, FAULT_TIMEOUT, FAULT_RESET, FAULT_BAD_BODY,
       FAULT_KINDS = FAULT_BAD_BODY + SIM_BAD_BODY_KINDS };
static const char *const fault_names[FAULT_KINDS] = {
    "500",  "502",      "503",      "529",      "timeout",   "reset", "html",
    "truncate", "no-usage", "error200", "huge-body", "drip",  "redirect"};

struct sim_stats {
    pthread_mutex_t lock;
    unsigned long long requests;
    unsigned long long requests_by_protocol[SIM_PROTO_COUNT];
    unsigned long long key_in_url;
    unsigned long long responses[STATUS_MAX - STATUS_MIN + 1];
    unsigned long long in_flight, max_in_flight;
    unsigned long long images_billed;
    unsigned long long prompt_tokens, completion_tokens, image_tokens;
    unsigned long long rate_limited, quota_rejected, invalid_images;
    unsigned long long faults[FAULT_KINDS];
    unsigned long long batch_answers;
    unsigned long long garbled[SIM_GARBLE_KINDS];
    uint64_t origin_ns;        /* when the counters were created */
    uint64_t first_request_ns; /* since origin_ns; valid when have_first */
    uint64_t last_response_ns; /* since origin_ns; valid when have_last */
    int have_first, have_last;
    sim_digest_set_t images; /* the distinct image hashes billed */
};

sim_stats_t *sim_stats_new(void)
{
    sim_stats_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->origin_ns = clock_monotonic_ns();
    sim_digest_set_init(&s->images, SET_MAX_SLOTS);
    return s;
}

void sim_stats_free(sim_stats_t *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    sim_digest_set_clear(&s->images);
    free(s);
}

void sim_stats_call_begin(sim_stats_t *s, sim_proto_id_t proto)
{
    uint64_t now = clock_monotonic_ns() - s->origin_ns;
    pthread_mutex_lock(&s->lock);
    if (!s->have_first) {
        s->first_request_ns = now;
        s->have_first = 1;
    }
    s->requests++;
    s->requests_by_protocol[proto]++;
    if (++s->in_flight > s->max_in_flight)
        s->max_in_flight = s->in_flight;
    pthread_mutex_unlock(&s->lock);
}

void sim_stats_call_end(sim_stats_t *s, const sim_reply_t *reply)
{
    const sim_billing_t *b = &reply->billing;
    uint64_t now = clock_monotonic_ns() - s->origin_ns;
    pthread_mutex_lock(&s->lock);
    if (s->in_flight)
        s->in_flight--;
    if (reply->fault != SIM_FAULT_TIMEOUT) {
        s->last_response_ns = now;
        s->have_last = 1;
    }
    switch (reply->fault) {
    case SIM_FAULT_TIMEOUT:
        s->faults[FAULT_TIMEOUT]++;
        break;
    case SIM_FAULT_RESET:
        s->faults[FAULT_RESET]++;
        break;
    case SIM_FAULT_HTTP:
        if (reply->status == 500)
            s->faults[FAULT_500]++;
        else if (reply->status == 502)
            s->faults[FAULT_502]++;
        else if (reply->status == 503)
            s->faults[FAULT_503]++;
        else if (reply->status == 529)
            s->faults[FAULT_529]++;
        break;
    case SIM_FAULT_NONE:
        break;
    default: /* a bad body */
        s->faults[FAULT_BAD_BODY + (reply->fault - SIM_FAULT_HTML)]++;
        break;
    }
    if (reply->refusal == SIM_REFUSAL_RATE_LIMIT)
        s->rate_limited++;
    else if (reply->refusal == SIM_REFUSAL_QUOTA)
        s->quota_rejected++;
    else if (reply->refusal == SIM_REFUSAL_INVALID_IMAGE)
        s->invalid_images++;
    int complete = reply->fault != SIM_FAULT_TIMEOUT && reply->fault != SIM_FAULT_RESET;
    if (complete && reply->status >= STATUS_MIN && reply->status <= STATUS_MAX)
        s->responses[reply->status - STATUS_MIN]++;
    if (reply->status == 200 &&
        (reply->fault == SIM_FAULT_NONE || reply->fault == SIM_FAULT_NO_USAGE ||
         reply->fault == SIM_FAULT_TRUNCATED || reply->fault == SIM_FAULT_REFUSAL)) {
        s->images_billed += b->n_images;
        s->prompt_tokens += b->prompt_tokens;
        s->completion_tokens += b->completion_tokens;
        s->image_tokens += b->image_tokens;
        s->batch_answers += b->batch ? 1 : 0;
        s->garbled[b->garbled]++;
        for (size_t i = 0; i < b->n_images; i++)
            sim_digest_set_add(&s->images, b->digests[i]);
    }
    pthread_mutex_unlock(&s->lock);
}

void sim_stats_key_in_url(sim_stats_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->key_in_url++;
    pthread_mutex_unlock(&s->lock);
}

void sim_stats_call_abort(sim_stats_t *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->in_flight)
        s->in_flight--;
    pthread_mutex_unlock(&s->lock);
}

void sim_stats_reset(sim_stats_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->requests = s->key_in_url = 0;
    memset(s->requests_by_protocol, 0, sizeof s->requests_by_protocol);
    memset(s->responses, 0, sizeof s->responses);
    s->max_in_flight = s->in_flight;
    s->images_billed = s->prompt_tokens = s->completion_tokens = s->image_tokens = 0;
    s->rate_limited = s->quota_rejected = s->invalid_images = 0;
    memset(s->faults, 0, sizeof s->faults);
    s->batch_answers = 0;
    memset(s->garbled, 0, sizeof s->garbled);
    s->have_first = s->have_last = 0;
    s->first_request_ns = s->last_response_ns = 0;
    sim_digest_set_clear(&s->images);
    pthread_mutex_unlock(&s->lock);
}

char *sim_stats_json(sim_stats_t *s)
{
    return sim_stats_json_with(s, NULL, NULL);
}

char *sim_stats_json_with(sim_stats_t *s, const char *extra_key, json_t *extra)
{
    json_t *responses = json_object();
    json_t *faults = json_object();
    json_t *garbled = json_object();
    json_t *by_protocol = json_object();
    json_t *root = NULL;
    char *text = NULL;
    if (!responses || !faults || !garbled || !by_protocol) {
        json_decref(extra);
        json_decref(responses);
        json_decref(faults);
        json_decref(garbled);
        json_decref(by_protocol);
        return NULL;
    }

    pthread_mutex_lock(&s->lock);
    for (int st = STATUS_MIN; st <= STATUS_MAX; st++) {
        unsigned long long n = s->responses[st - STATUS_MIN];
        char key[8];
        if (!n)
            continue;
        snprintf(key, sizeof key, "%d", st);
        json_object_set_new(responses, key, json_integer((json_int_t)n));
    }
    for (int k = 0; k < FAULT_KINDS; k++)
        json_object_set_new(faults, fault_names[k], json_integer((json_int_t)s->faults[k]));
    for (int k = SIM_GARBLE_NONE + 1; k < SIM_GARBLE_KINDS; k++)
        json_object_set_new(garbled, sim_batch_garble_name((sim_garble_t)k),
                            json_integer((json_int_t)s->garbled[k]));
    for (int k = 0; k < SIM_PROTO_COUNT; k++)
        json_object_set_new(by_protocol, sim_protocol_get((sim_proto_id_t)k)->name,
                            json_integer((json_int_t)s->requests_by_protocol[k]));
    root = json_pack(
        "{s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I}", "requests",
        (json_int_t)s->requests, "responses", responses, "in_flight", (json_int_t)s->in_flight,
        "max_in_flight", (json_int_t)s->max_in_flight, "images_billed",
        (json_int_t)s->images_billed, "distinct_images_billed", (json_int_t)s->images.count,
        "prompt_tokens", (json_int_t)s->prompt_tokens, "completion_tokens",
        (json_int_t)s->completion_tokens, "image_tokens", (json_int_t)s->image_tokens,
        "rate_limited", (json_int_t)s->rate_limited, "quota_rejected",
        (json_int_t)s->quota_rejected, "invalid_images", (json_int_t)s->invalid_images,
        "faults", faults, "first_request_ms",
        (json_int_t)(s->have_first ? s->first_request_ns / NS_PER_MS : 0), "last_response_ms",
        (json_int_t)(s->have_last ? s->last_response_ns / NS_PER_MS : 0));
    if (root) {
        json_object_set_new(root, "batch_answers", json_integer((json_int_t)s->batch_answers));
        json_object_set_new(root, "garbled", garbled);
        json_object_set_new(root, "requests_by_protocol", by_protocol);
        json_object_set_new(root, "key_in_url", json_integer((json_int_t)s->key_in_url));
        if (extra_key && extra)
            json_object_set_new(root, extra_key, extra);
        else
            json_decref(extra);
    } else {
        json_decref(garbled);
        json_decref(by_protocol);
        json_decref(extra);
    }
    pthread_mutex_unlock(&s->lock);
    if (root) {
        text = json_dumps(root, JSON_COMPACT);
        json_decref(root);
    }
    return text;
}
