/* sim_batchapi_openai_check.h - the checks OpenAI makes of a batch's input file while the
 * batch validates (docs/batch-api-facts.md §1): every line a JSON object (else
 * invalid_json_line, as observed), custom_id present and unique (duplicate_custom_id),
 * method POST, url the batch's endpoint (url_mismatch), one model in every body
 * (model_mismatch), not empty (empty_file), at most 50,000 lines (too_many_tasks). The
 * codes other than invalid_json_line are cited but unconfirmed; the messages other than
 * its are the simulator's words. */
#ifndef VB_SIM_BATCHAPI_OPENAI_CHECK_H
#define VB_SIM_BATCHAPI_OPENAI_CHECK_H

#include <stddef.h>

#include "sim_batchapi.h"

#define SIM_OPENAI_BATCH_ENDPOINT "/v1/chat/completions" /* the only one the simulator runs */

/* Checks the lines of f into spec: spec->line_off and spec->total (every non-empty line),
 * spec->errors (the errors data array naming the first problems, NULL when there is
 * none), spec->est_tokens (with --batch-enqueued-tokens); model gets the first line's
 * model. Returns 0, or -1 when out of memory (spec's arrays are then the caller's to
 * free). */
int sim_batchapi_openai_check(const sim_config_t *cfg, const sim_bfile_t *f, sim_bnew_t *spec,
                              char *model, size_t mcap);

#endif
