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
static char *job_params(const vb_options_t *o, const char *response_format)
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
    if (p && o->system)
        json_object_set_new(p, "system", json_string(o->system));
    if (p && o->temperature >= 0)
        json_object_set_new(p, "temperature", json_real(o->temperature));
    if (p && o->seed != VB_SEED_NONE)
        json_object_set_new(p, "seed", json_integer((json_int_t)o->seed));
    if (p && strcmp(o->output_format, "jsonl") != 0)
        json_object_set_new(p, "output_format", json_string(o->output_format));
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    return text;
}

/* Hands one result of an earlier run to the caller, counted as replayed. */
static int replay_line(const char *line, journal_state_t state, void *arg)
{
    results_t *out = arg;
    vb_result_t res = {0};
    res.replayed = 1;
    res.line = line;
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
    return 0;
}

int resume_open(resume_t *rs, const vb_options_t *o, const char *response_format, results_t *out,
                char *err, size_t errlen)
{
    if (!(rs->journal = journal_open(o->journal, err, errlen)))
        return -1;
    char *params = job_params(o, response_format);
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
    rs->use_cache = !o->no_cache && journal_cache_size(rs->journal) > 0;
    if (bound == 1 && journal_foreach_result(rs->journal, o->retry_failed, replay_line, out) < 0) {
        snprintf(err, errlen, "journal: %s", journal_errmsg(rs->journal));
        return -1;
    }
    return 0;
}
