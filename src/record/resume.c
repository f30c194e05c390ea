/* resume.c - binding the journal to the job and replaying earlier results (resume.h). */
#include "record/resume.h"

#include "record/output.h"
#include "record/stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The request parameters that make a job's answers what they are: a resumed run must
 * have the same ones. Canonical JSON (sorted keys); never the key or the URL. */
void resume_params_sampling(json_t *p, const vb_options_t *o)
{
    if (p && o->system)
        json_object_set_new(p, "system", json_string(o->system));
    if (p && o->temperature >= 0)
        json_object_set_new(p, "temperature", json_real(o->temperature));
    if (p && o->seed != VB_SEED_NONE)
        json_object_set_new(p, "seed", json_integer((json_int_t)o->seed));
}

char *resume_job_params(const vb_options_t *o, const char *response_format)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I}", "model", o->model, "prompt", o->prompt,
                          "detail", o->detail, "max_tokens", (json_int_t)o->max_tokens, "max_side",
                          (json_int_t)o->max_side);
    /* only when set, so journals of jobs from before these options still resume */
    if (p && response_format)
        json_object_set_new(p, "response_format", json_string(response_format));
    else if (p && o->json_object) /* a provider asking for JSON in the prompt alone */
        json_object_set_new(p, "json", json_true());
    if (p && o->provider && strcmp(o->provider, "openai") != 0) /* OpenAI's jobs as before */
        json_object_set_new(p, "provider", json_string(o->provider));
    resume_params_sampling(p, o);
    if (p && strcmp(o->output_format, "jsonl") != 0)
        json_object_set_new(p, "output_format", json_string(o->output_format));
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    return text;
}

/* Counts this run in the journal's meta "runs" and returns the job's runs so far, this
 * one included: 1 for a new job; 0 (unknown, left so) when a job journaled before runs
 * were counted is resumed. A failed write loses the count, not the run. */
static long job_runs_count(journal_t *j, bool resuming)
{
    char *was = resuming ? journal_meta_get(j, "runs") : NULL;
    char *end = NULL;
    long runs = was ? strtol(was, &end, 10) : 0;
    bool known = !resuming || (was && end != was && *end == '\0' && runs > 0);
    free(was);
    if (!known)
        return 0;
    runs = resuming ? runs + 1 : 1;
    char text[32];
    snprintf(text, sizeof text, "%ld", runs);
    return journal_meta_set(j, "runs", text) == 0 ? runs : 0;
}

/* Hands one result of an earlier run to the caller, counted as replayed. */
static int replay_line(const char *line, journal_state_t state, void *arg)
{
    results_t *out = arg;
    vb_result_t res = {0};
    res.replayed = 1;
    /* a copy journaled by an older version repeats its first's usage: it was billed 0 */
    char *unbilled = output_line_unbilled_copy(line);
    res.line = unbilled ? unbilled : line;
    res.status = state == JOURNAL_OK ? VB_STATUS_OK : VB_STATUS_ERROR;
    out->sum->replayed++;
    out->sum->images++;
    if (state == JOURNAL_OK) {
        out->sum->ok++;
    } else { /* by the kind its line names */
        out->sum->failed++;
        char *kind, *message;
        output_line_error(line, &kind, &message);
        stats_count_kind(out->sum->failed_by_kind, &out->sum->failed_kinds, kind);
        free(kind);
        free(message);
    }
    if (out->fn)
        out->fn(&res, out->userdata);
    free(unbilled);
    return 0;
}

int resume_open(resume_t *rs, const vb_options_t *o, const char *response_format, results_t *out,
                char *err, size_t errlen)
{
    if (!(rs->journal = journal_open(o->journal, err, errlen)))
        return -1;
    char *params = resume_job_params(o, response_format);
    int bound = params ? journal_bind_job(rs->journal, params, o->new_job, err, errlen) : -1;
    free(params);
    if (bound < 0)
        return -1;
    rs->resuming = bound == 1;
    if (rs->resuming) {
        /* the budget is the job's: what earlier runs of it spent counts */
        long counts[JOURNAL_STATE_COUNT];
        double spent = 0;
        if (journal_counts(rs->journal, counts, &spent) == 0 && spent > 0)
            rs->spent_usd = spent;
    }
    rs->runs = job_runs_count(rs->journal, rs->resuming);
    rs->use_cache = !o->no_cache && journal_cache_size(rs->journal) > 0;
    if (bound == 1 && journal_foreach_result(rs->journal, o->retry_failed, replay_line, out) < 0) {
        snprintf(err, errlen, "journal: %s", journal_errmsg(rs->journal));
        return -1;
    }
    return 0;
}
