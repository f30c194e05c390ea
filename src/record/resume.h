/* resume.h - opening a run's journal: binding it to the job, and replaying what earlier
 * runs of the job finished.
 *
 * A journal holds one job, named by its canonical request parameters (the prompt template,
 * not the filled prompts; the response_format and output format when set; never the key
 * or the URL). A run of the same job resumes: the finished items' lines go to the caller
 * first, and what earlier runs spent counts against the budget. */
#ifndef VB_RESUME_H
#define VB_RESUME_H

#include "input/idset.h"
#include "record/journal.h"
#include "record/results.h"

#include <jansson.h>
#include <stdbool.h>
#include <visionbatch.h>

/* What the journal says about the job. */
typedef struct resume {
    journal_t *journal; /* open for this job; the caller's: journal_close */
    bool resuming;      /* it already held this job: its results were replayed */
    double spent_usd;   /* what earlier runs of the job spent (0 when new) */
    bool use_cache;     /* its result cache has answers to look up (and o allows it) */
    long runs;          /* runs of the job, this one included (the journal's meta "runs");
                           0 when a job begun before it was counted is resumed */
    idset_t *held;      /* ids of answered items not replayed: their file's size or mtime
                           differs from the journal's (prepare.c checks their bytes); the
                           caller's: idset_free. NULL when none could be kept */
} resume_t;

/* Adds o's sampling options (system prompt, temperature, seed) to the job parameters p
 * (a JSON object; NULL is a no-op), only those set: jobs made before they existed still
 * match. Shared by the journal's job and a Redis job's parameters. */
void resume_params_sampling(json_t *p, const vb_options_t *o);

/* The job's canonical parameters as the journal holds them (o with its provider and
 * model resolved; response_format NULL when none): a malloc'd JSON text, NULL when out
 * of memory. What resume_open binds the journal to, and what a dry run compares. */
char *resume_job_params(const vb_options_t *o, const char *response_format);

/* Opens o->journal into rs (zeroed) for the job o describes with response_format (NULL:
 * none), and when it already holds the job replays each finished result (o->retry_failed:
 * the ok ones only) to out's callback, counted into out->sum as replayed, but for those
 * held back into rs->held. Returns 0, or -1 with err set; either way the caller closes
 * rs->journal and frees rs->held. */
int resume_open(resume_t *rs, const vb_options_t *o, const char *response_format, results_t *out,
                char *err, size_t errlen);

#endif
