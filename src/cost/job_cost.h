/* job_cost.h - what a job's requests cost: the price of its model, the budget they are
 * held to, and the --cost-warn notice.
 *
 * Prices come from the built-in table with the user's --pricing file over it. An unknown
 * model's cost is reported as unknown (-1), never guessed; a budget needs a price, the
 * model's image-token formula and a --max-tokens, or the job does not start. A batch_api
 * job is priced at the model's Batch API prices (what it is billed, half the online ones
 * for the providers in data/pricing.json), costs and budget reservations alike, and does
 * not start for a model without them: the batch price is what the user is promised. The
 * event loop owns the state and is its only user. */
#ifndef VB_JOB_COST_H
#define VB_JOB_COST_H

#include "cost/budget.h"
#include "cost/pricing.h"

#include <stdbool.h>
#include <visionbatch.h>

typedef struct job_cost {
    const char *model;     /* the job's (the options'); a batch line may name its own */
    pricing_t *pricing;    /* the table (owned) */
    pricing_entry_t price; /* of the job's model, when price_known */
    bool price_known;
    bool batch;            /* batch_api: priced at the Batch API's prices */
    budget_t budget;
    bool budget_out; /* used up: what is left is skipped, not sent */
    double warn_usd; /* --cost-warn; 0: never */
    bool warned;
} job_cost_t;

/* Loads the prices for the job o describes (c zeroed), finds its model's and sets the
 * budget's limit. A model without a price marks sum's cost unknown (-1) and is warned
 * about through the log handler. Returns 0, or -1 with err set when the prices cannot be
 * loaded or --budget cannot be kept. Either way job_cost_clear frees c. */
int job_cost_open(job_cost_t *c, const vb_options_t *o, vb_summary_t *sum, char *err,
                  size_t errlen);

/* Frees the table. A zeroed c is a no-op. */
void job_cost_clear(job_cost_t *c);

/* The price of model (NULL: the job's) into *p; false when it is unknown. */
bool job_cost_price(const job_cost_t *c, const char *model, pricing_entry_t *p);

/* The cost in USD of prompt_tokens + completion_tokens (negative: none) at model's price
 * (NULL: the job's; the batch price in a batch job), or -1 when the model has no such
 * price or prompt_tokens is unknown (< 0). */
double job_cost_usage(const job_cost_t *c, const char *model, long prompt_tokens,
                      long completion_tokens);

/* The same usage at model's online price whatever the job (what a batch job's work would
 * have cost online: the summary's online_cost_usd), or -1 as job_cost_usage. */
double job_cost_online(const job_cost_t *c, const char *model, long prompt_tokens,
                       long completion_tokens);

/* The most a request of model (NULL: the job's) can cost, the budget's reservation: its
 * worst-case input tokens and max_tokens of completion, at the job's kind of price (batch
 * in a batch job). -1 when the model has no such price. */
double job_cost_worst(const job_cost_t *c, const char *model, double input_tokens_worst,
                      long max_tokens);

/* job_cost_worst at the online price whatever the job (--fallback-online's requests). */
double job_cost_worst_online(const job_cost_t *c, const char *model, double input_tokens_worst,
                             long max_tokens);

/* Says once, through the log handler, that spent_usd passed --cost-warn. */
void job_cost_warn(job_cost_t *c, double spent_usd);

#endif
