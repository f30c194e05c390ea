/* resume.c - binding the journal to the job and replaying earlier results (resume.h). */
#include "record/resume.h"
#include "util/file_stamp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Whether an answered item's file, at the path the journal names, no longer has the
 * size and mtime its answer was journaled with: prepare.c then hashes it to tell a
 * replaced photo from a touched one. Only a file of the stamp's run can say so: a URL,
 * a row journaled before stamps (schema 4), a path that is not there from here (a
 * manifest's relative path) cannot. */
static bool stamp_differs(const journal_final_t *item)
{
    struct stat st;
    if (item->state != JOURNAL_OK || !item->stamped || !item->source ||
        strncmp(item->source, "http://", 7) == 0 || strncmp(item->source, "https://", 8) == 0 ||
        stat(item->source, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    long long mtime_ns = file_mtime_ns(&st);
    return item->file_size != (long long)st.st_size || item->file_mtime_ns != mtime_ns;
}

/* What the replay needs: where results go, and the ids it holds back. */
typedef struct replay {
    results_t *out;
    idset_t *held;
} replay_t;

/* Hands one result of an earlier run to the caller, counted as replayed, unless its file
 * changed stamp: then its id is held back (prepare.c replays it, or sends the item again
 * when its bytes changed, so the output holds one line per id). */
static int replay_item(const journal_final_t *item, void *arg)
{
    replay_t *rp = arg;
    if (rp->held && stamp_differs(item) &&
        idset_add(rp->held, item->id, strlen(item->id)) == 1)
        return 0;
    results_replay(rp->out, item->line, item->state);
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
    replay_t rp = {out, bound == 1 ? (rs->held = idset_new()) : NULL};
    if (bound == 1 && journal_foreach_final(rs->journal, o->retry_failed, replay_item, &rp) < 0) {
        snprintf(err, errlen, "journal: %s", journal_errmsg(rs->journal));
        return -1;
    }
    return 0;
}
