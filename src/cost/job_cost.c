/* job_cost.c - the job's prices, budget limit and cost warning (see job_cost.h). */
#include "cost/job_cost.h"

#include "cost/tokens.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

int job_cost_open(job_cost_t *c, const vb_options_t *o, vb_summary_t *sum, char *err, size_t errlen)
{
    c->model = o->model;
    c->warn_usd = o->cost_warn_usd;
    c->pricing =
        o->pricing ? pricing_load_file(o->pricing, err, errlen) : pricing_load(NULL, err, errlen);
    if (!c->pricing)
        return -1;
    c->price_known = pricing_lookup(c->pricing, o->model, &c->price) == 0;
    c->batch = o->batch_api != 0;
    c->budget.limit = o->budget_usd;
    if (c->batch && !(c->price_known && c->price.has_batch)) {
        snprintf(err, errlen,
                 "--batch-api: no batch price is known for model %s, so the run cannot say what "
                 "it will be billed: add \"batch_input\" and \"batch_output\" for it with "
                 "--pricing FILE",
                 o->model);
        return -1;
    }
    if (!c->price_known) {
        sum->cost_usd = -1;
        if (o->budget_usd > 0) {
            snprintf(err, errlen,
                     "no price is known for model %s, so --budget cannot be kept: add it "
                     "with --pricing FILE",
                     o->model);
            return -1;
        }
        log_message(VB_LOG_WARNING,
                    "no price is known for model %s: cost unknown (add it with --pricing FILE)",
                    o->model);
    }
    tokens_model_t rules;
    if (o->budget_usd > 0 && tokens_model_lookup(o->model, &rules) != 0) {
        snprintf(err, errlen,
                 "the image-token formula of model %s is unknown, so --budget cannot be kept",
                 o->model);
        return -1;
    }
    if (o->budget_usd > 0 && o->max_tokens <= 0) {
        snprintf(err, errlen,
                 "--budget needs --max-tokens above 0: without it a request's "
                 "cost has no upper bound");
        return -1;
    }
    return 0;
}

void job_cost_clear(job_cost_t *c)
{
    pricing_free(c->pricing);
    c->pricing = NULL;
}

bool job_cost_price(const job_cost_t *c, const char *model, pricing_entry_t *p)
{
    if (model && strcmp(model, c->model) != 0)
        return pricing_lookup(c->pricing, model, p) == 0;
    *p = c->price;
    return c->price_known;
}

/* prompt_tokens + completion_tokens at model's price, batch or online. */
static double cost_at(const job_cost_t *c, const char *model, long prompt_tokens,
                      long completion_tokens, bool batch)
{
    pricing_entry_t p;
    if (!job_cost_price(c, model, &p) || prompt_tokens < 0)
        return -1;
    return pricing_cost(&p, prompt_tokens, completion_tokens > 0 ? completion_tokens : 0, batch);
}

double job_cost_usage(const job_cost_t *c, const char *model, long prompt_tokens,
                      long completion_tokens)
{
    return cost_at(c, model, prompt_tokens, completion_tokens, c->batch);
}

double job_cost_online(const job_cost_t *c, const char *model, long prompt_tokens,
                       long completion_tokens)
{
    return cost_at(c, model, prompt_tokens, completion_tokens, false);
}

double job_cost_worst(const job_cost_t *c, const char *model, double input_tokens_worst,
                      long max_tokens)
{
    return cost_at(c, model, (long)input_tokens_worst, max_tokens, c->batch);
}

double job_cost_worst_online(const job_cost_t *c, const char *model, double input_tokens_worst,
                             long max_tokens)
{
    return cost_at(c, model, (long)input_tokens_worst, max_tokens, false);
}

void job_cost_warn(job_cost_t *c, double spent_usd)
{
    if (c->warned || !(c->warn_usd > 0) || spent_usd < c->warn_usd)
        return;
    c->warned = true;
    log_message(VB_LOG_WARNING, "spent $%.4f so far, past the --cost-warn of $%.4f", spent_usd,
                c->warn_usd);
}
