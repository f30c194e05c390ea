/* sim_batchapi_openai_check.c - an OpenAI batch file's checks (sim_batchapi_openai_check.h). */
#include "sim_batchapi_openai_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_batchapi_lines.h"
#include "sim_digest_set.h"
#include "sim_request.h"

#define ENDPOINT   SIM_OPENAI_BATCH_ENDPOINT
#define MAX_LINES  50000 /* requests per file (facts §1) */
#define MAX_ERRORS 10    /* validation errors reported per file */

/* Adds a validation error for line (1-based; 0: null) to errors, up to MAX_ERRORS. */
static void add_error(json_t *errors, const char *code, long line, const char *param,
                      const char *message)
{
    if (json_array_size(errors) < MAX_ERRORS)
        json_array_append_new(errors,
                              json_pack("{s:s,s:s,s:o,s:o}", "code", code, "message", message,
                                        "param", param ? json_string(param) : json_null(), "line",
                                        line ? json_integer(line) : json_null()));
}

/* The first problem of line k (1-based), item its parsed JSON, as an error code, or NULL;
 * *param and *message say more. The first model seen goes to model. */
static const char *line_problem(json_t *item, sim_digest_set_t *ids, char *model, size_t mcap,
                                const char **param, const char **message)
{
    const char *cid = json_string_value(json_object_get(item, "custom_id"));
    const char *method = json_string_value(json_object_get(item, "method"));
    const char *url = json_string_value(json_object_get(item, "url"));
    json_t *body = json_object_get(item, "body");
    const char *m = json_string_value(json_object_get(body, "model"));
    sim_image_t h;
    *param = "custom_id";
    if (!cid || !cid[0]) {
        *message = "The line has no custom_id.";
        return "missing_required_parameter";
    }
    sim_image_set_hash(&h, cid, strlen(cid));
    if (sim_digest_set_add(ids, h.digest) == 0) {
        *message = "The custom_id for this request is a duplicate of another request. The "
                   "custom_id parameter must be unique for each request in a batch.";
        return "duplicate_custom_id";
    }
    *param = "method";
    if (!method || strcmp(method, "POST") != 0) {
        *message = "The method must be POST.";
        return "invalid_method";
    }
    *param = "url";
    if (!url || strcmp(url, ENDPOINT) != 0) {
        *message = "The url does not match the batch's endpoint, " ENDPOINT ".";
        return "url_mismatch";
    }
    *param = "body.model";
    if (!json_is_object(body) || !m) {
        *message = "The line has no body object with a model.";
        return "missing_required_parameter";
    }
    if (!model[0])
        snprintf(model, mcap, "%s", m);
    if (strcmp(model, m) != 0) {
        *message = "The model differs from the file's first line: a batch takes one model.";
        return "model_mismatch";
    }
    return NULL;
}

/* Checks line k (1-based), item its parsed JSON, noting a problem in errors or adding its
 * estimated tokens to *est (with --batch-enqueued-tokens). */
static void check_line(const sim_config_t *cfg, json_t *item, long k, sim_digest_set_t *ids,
                       char *model, size_t mcap, json_t *errors, unsigned long long *est)
{
    const char *param = NULL, *message = NULL;
    const char *code = line_problem(item, ids, model, mcap, &param, &message);
    if (code) {
        add_error(errors, code, k, param, message);
    } else if (cfg->batch_enqueued_tokens) {
        char *text = json_dumps(json_object_get(item, "body"), JSON_COMPACT);
        if (text)
            *est += sim_blines_estimate(cfg, SIM_PROTO_OPENAI, model, text, strlen(text));
        free(text);
    }
}

int sim_batchapi_openai_check(const sim_config_t *cfg, const sim_bfile_t *f, sim_bnew_t *spec,
                              char *model, size_t mcap)
{
    if (sim_blines_split(f->data, f->len, &spec->line_off, &spec->total) != 0)
        return -1;
    spec->errors = json_array();
    if (!spec->errors)
        return -1;
    model[0] = '\0';
    if (spec->total == 0)
        add_error(spec->errors, "empty_file", 0, NULL, "The batch input file is empty.");
    if (spec->total > MAX_LINES)
        add_error(spec->errors, "too_many_tasks", 0, NULL,
                  "The batch input file has more than 50,000 requests.");
    sim_digest_set_t ids;
    sim_digest_set_init(&ids, (size_t)1 << 18);
    for (size_t k = 0; k < spec->total && json_array_size(spec->errors) < MAX_ERRORS; k++) {
        sim_batch_t view = {.input = (sim_bfile_t *)f, .line_off = spec->line_off};
        const char *line;
        size_t len;
        sim_blines_span(&view, k, &line, &len);
        json_t *item = json_loadb(line, len, 0, NULL);
        if (!json_is_object(item))
            add_error(spec->errors, "invalid_json_line", (long)k + 1, NULL,
                      "This line is not parseable as valid JSON.");
        else
            check_line(cfg, item, (long)k + 1, &ids, model, mcap, spec->errors, &spec->est_tokens);
        json_decref(item);
    }
    sim_digest_set_clear(&ids);
    if (json_array_size(spec->errors) == 0) {
        json_decref(spec->errors);
        spec->errors = NULL;
    }
    return 0;
}
