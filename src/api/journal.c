/* journal.c - a job's journal read back: progress, result lines, and the HTML report. */
#include <visionbatch.h>

#include "record/journal.h"
#include "record/journal_batch.h"
#include "report/report_data.h"
#include "report/report_html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vb_journal {
    journal_t *j;
    char *path;   /* for messages */
    char *params; /* the last summary's parameters */
};

vb_journal_t *vb_journal_open(const char *path, char *err, size_t errlen)
{
    vb_journal_t *vj = calloc(1, sizeof *vj);
    if (!vj || !(vj->path = strdup(path))) {
        free(vj);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(vj->j = journal_open_existing(path, err, errlen))) {
        vb_journal_close(vj);
        return NULL;
    }
    return vj;
}

int vb_journal_summary(vb_journal_t *vj, vb_journal_summary_t *out, char *err, size_t errlen)
{
    long counts[JOURNAL_STATE_COUNT];
    double cost;
    memset(out, 0, sizeof *out);
    if (journal_counts(vj->j, counts, &cost) != 0) {
        snprintf(err, errlen, "%s: %s", vj->path, journal_errmsg(vj->j));
        return -1;
    }
    char *total = journal_meta_get(vj->j, "input_items");
    out->items_total = total ? strtol(total, NULL, 10) : -1;
    free(total);
    free(vj->params);
    vj->params = journal_meta_get(vj->j, "params");
    out->params = vj->params;
    out->pending = counts[JOURNAL_PENDING];
    out->in_flight = counts[JOURNAL_IN_FLIGHT];
    out->ok = counts[JOURNAL_OK];
    out->failed = counts[JOURNAL_FAILED];
    out->skipped = counts[JOURNAL_SKIPPED];
    out->batched = counts[JOURNAL_BATCHED];
    out->cost_usd = cost;
    long recent = journal_recent_attempts(vj->j, 60);
    out->rate_per_s = recent > 0 ? (double)recent / 60.0 : 0;
    return 0;
}

typedef struct line_ctx {
    vb_line_fn fn;
    void *userdata;
} line_ctx_t;

static int line_to_user(const char *line, journal_state_t state, void *arg)
{
    line_ctx_t *c = arg;
    return c->fn(line, state == JOURNAL_OK ? VB_STATUS_OK : VB_STATUS_ERROR, c->userdata);
}

long vb_journal_foreach(vb_journal_t *vj, vb_line_fn fn, void *userdata, char *err, size_t errlen)
{
    line_ctx_t c = {fn, userdata};
    long n = journal_foreach_result(vj->j, 0, line_to_user, &c);
    if (n < 0)
        snprintf(err, errlen, "%s: %s", vj->path, journal_errmsg(vj->j));
    return n;
}

long vb_journal_export(vb_journal_t *vj, FILE *out, char *err, size_t errlen)
{
    long n = journal_export(vj->j, out, 0);
    if (n < 0)
        snprintf(err, errlen, "exporting %s failed", vj->path);
    return n;
}

typedef struct batch_ctx {
    int (*fn)(const vb_batch_info_t *b, void *userdata);
    void *userdata;
} batch_ctx_t;

/* One chunk of the journal as the public vb_batch_info_t. */
static int chunk_to_user(const journal_chunk_t *c, void *arg)
{
    batch_ctx_t *x = arg;
    vb_batch_info_t b = {.chunk = c->key,
                         .batch_id = c->batch_id,
                         .state = chunk_state_name(c->state),
                         .remote_state = c->remote_state,
                         .lines = c->lines,
                         .succeeded = c->succeeded,
                         .failed = c->failed,
                         .pending = c->pending,
                         .created_at = c->created_at,
                         .updated_at = c->updated_at};
    return x->fn(&b, x->userdata);
}

long vb_journal_foreach_batch(vb_journal_t *vj, int (*fn)(const vb_batch_info_t *b, void *userdata),
                              void *userdata, char *err, size_t errlen)
{
    batch_ctx_t x = {fn, userdata};
    long n = journal_chunk_foreach(vj->j, 0, chunk_to_user, &x);
    if (n < 0)
        snprintf(err, errlen, "%s: cannot read its batches: %s", vj->path, journal_errmsg(vj->j));
    return n;
}

void vb_journal_close(vb_journal_t *vj)
{
    if (!vj)
        return;
    journal_close(vj->j);
    free(vj->path);
    free(vj->params);
    free(vj);
}

struct vb_report {
    report_t *r;
    char *journal; /* the page's title */
};

vb_report_t *vb_report_load(const char *journal, char *err, size_t errlen)
{
    vb_report_t *vr = calloc(1, sizeof *vr);
    if (!vr || !(vr->journal = strdup(journal))) {
        free(vr);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(vr->r = report_load(journal, err, errlen))) {
        vb_report_free(vr);
        return NULL;
    }
    return vr;
}

int vb_report_write_html(const vb_report_t *vr, FILE *out)
{
    return report_write_html(out, vr->r, vr->journal);
}

int vb_report_save_html(const vb_report_t *vr, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "output path too long");
        return -1;
    }
    FILE *out = fopen(tmp, "w");
    if (!out) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = report_write_html(out, vr->r, vr->journal);
    if (fclose(out) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
    }
    return rc;
}

void vb_report_free(vb_report_t *vr)
{
    if (!vr)
        return;
    report_free(vr->r);
    free(vr->journal);
    free(vr);
}
