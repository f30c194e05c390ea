/* batchapi_cancel.c - `visionbatch cancel JOURNAL`: the job's open provider batches are
 * asked to cancel, and their state is journaled once they have ended. What finished in
 * them is taken in by the next run of the job, like any ended batch (and what did not
 * run is sent again then); chunks not yet submitted stay in the journal for that run. */
#include "send/batchapi.h"

#include "provider/batch_api.h"
#include "record/journal_batch.h"
#include "send/batchapi_http.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CANCEL_WAIT_S 120 /* OpenAI: "cancelling" lasts up to 10 minutes; we say so */

typedef struct open_list {
    journal_chunk_t *c;
    size_t n, cap;
} open_list_t;

static int collect_open(const journal_chunk_t *c, void *ctx)
{
    open_list_t *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        journal_chunk_t *grown = realloc(l->c, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->c = grown;
        l->cap = cap;
    }
    l->c[l->n++] = *c;
    return 0;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Cancels the batch of chunk c and waits (bounded) for it to end. Returns 0 when it was
 * asked to cancel, -1 with err set. */
static int cancel_one(const batch_codec_t *codec, const batch_http_t *ops, const vb_options_t *o,
                      journal_t *j, journal_chunk_t *c, char *err, size_t errlen)
{
    if (codec->cancel(ops, c->base_url, c->batch_id, o->api_key, err, errlen) != 0)
        return -1;
    for (int waited = 0; waited <= CANCEL_WAIT_S; waited++) {
        batch_status_t st;
        memset(&st, 0, sizeof st);
        long status = 0;
        char perr[512];
        if (codec->poll(ops, c->base_url, c->batch_id, o->api_key, &st, &status, perr,
                        sizeof perr) == 0) {
            snprintf(c->remote_state, sizeof c->remote_state, "%s", st.state_word);
            c->succeeded = st.succeeded;
            c->failed = st.failed;
            c->pending = st.pending;
            c->updated_at = (double)time(NULL);
            journal_chunk_update(j, c);
            journal_tick(j, 1);
            if (batch_remote_final(st.state))
                return 0;
        }
        sleep_s(o->poll_interval_s < 1 ? o->poll_interval_s : 1);
    }
    log_message(VB_LOG_NOTICE, "batch %s (%s) is still cancelling; the next run collects it",
                c->key, c->batch_id);
    return 0;
}

int batchapi_cancel_job(const vb_options_t *o, long *cancelled, char *err, size_t errlen)
{
    *cancelled = 0;
    if (!o->journal) {
        snprintf(err, errlen, "cancel needs the job's journal");
        return -1;
    }
    journal_t *j = journal_open(o->journal, err, errlen);
    if (!j)
        return -1;
    open_list_t l = {0};
    int rc = 0;
    if (journal_chunk_foreach(j, 1, collect_open, &l) != (long)l.n) { /* an error, or no memory */
        snprintf(err, errlen, "cannot read the journal's batches: %s", journal_errmsg(j));
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        journal_chunk_t *c = &l.c[i];
        if (c->state != CHUNK_SUBMITTED || !c->batch_id[0])
            continue; /* never reached the provider (a "creating" one is looked up by the run) */
        const provider_t *p = provider_find(c->provider);
        const batch_codec_t *codec = p ? batch_codec_for(p) : NULL;
        batchapi_http_t *http = codec ? batchapi_http_new(p, o) : NULL;
        if (!http) {
            snprintf(err, errlen, "batch %s: unknown provider %s", c->key, c->provider);
            rc = -1;
            continue;
        }
        batch_http_t ops = batchapi_http_ops(http);
        char one[600];
        if (cancel_one(codec, &ops, o, j, c, one, sizeof one) == 0) {
            (*cancelled)++;
        } else {
            snprintf(err, errlen, "batch %s (%s): %s", c->key, c->batch_id, one);
            rc = -1;
        }
        batchapi_http_free(http);
    }
out:
    free(l.c);
    journal_close(j);
    return rc;
}
