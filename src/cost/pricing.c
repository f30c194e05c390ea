/* pricing.c - the price table: parsed from JSON (jansson), merged, looked up by name. */
#include "cost/pricing.h"

#include "util/small_file.h"

#include "cost/model_name.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A user's price file larger than this is refused: it is a short list of models. */
#define PRICING_FILE_MAX (1024 * 1024)

struct pricing {
    pricing_entry_t *entries; /* each entry's model is an owned copy */
    size_t n, cap;
};

/* The entry named name (case-insensitive), or NULL. */
static pricing_entry_t *pricing_find(const pricing_t *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcasecmp(p->entries[i].model, name) == 0)
            return &p->entries[i];
    return NULL;
}

/* Reads key of the price object obj into *out: a finite number >= 0. Returns 1 when
 * present, 0 when absent, -1 (reason in err) when not such a number. */
static int price_get(json_t *obj, const char *model, const char *key, double *out, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    double d = json_is_number(v) ? json_number_value(v) : -1.0;
    if (!isfinite(d) || d < 0) {
        snprintf(err, errlen,
                 "model \"%.100s\": \"%s\" must be a number of USD per 1M tokens, "
                 "0 or more",
                 model, key);
        return -1;
    }
    *out = d;
    return 1;
}

/* Checks one model's price object and fills *e from it (e->model untouched). Returns 0,
 * or -1 with the reason in err. */
static int entry_parse(const char *model, json_t *obj, pricing_entry_t *e, char *err, size_t errlen)
{
    static const char *const known[] = {"input", "output", "batch_input", "batch_output"};
    const char *key;
    json_t *v;

    if (model[0] == '\0') {
        snprintf(err, errlen, "a model name is empty");
        return -1;
    }
    if (!json_is_object(obj)) {
        snprintf(err, errlen,
                 "model \"%.100s\": expected an object like "
                 "{\"input\": 2.5, \"output\": 10}",
                 model);
        return -1;
    }
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(key, known[i]) != 0)
            i++;
        if (i == sizeof known / sizeof known[0] && key[0] != '$') {
            snprintf(err, errlen,
                     "model \"%.100s\": unknown key \"%.100s\" (expected input, "
                     "output, batch_input, batch_output)",
                     model, key);
            return -1;
        }
    }
    int in = price_get(obj, model, "input", &e->input, err, errlen);
    int out = in < 0 ? -1 : price_get(obj, model, "output", &e->output, err, errlen);
    int bin = out < 0 ? -1 : price_get(obj, model, "batch_input", &e->batch_input, err, errlen);
    int bout = bin < 0 ? -1 : price_get(obj, model, "batch_output", &e->batch_output, err, errlen);
    if (bout < 0)
        return -1;
    if (!in || !out) {
        snprintf(err, errlen, "model \"%.100s\": \"%s\" is missing", model,
                 in ? "output" : "input");
        return -1;
    }
    if (bin != bout) {
        snprintf(err, errlen,
                 "model \"%.100s\": give both batch_input and batch_output, or "
                 "neither",
                 model);
        return -1;
    }
    e->has_batch = bin;
    if (!bin)
        e->batch_input = e->batch_output = 0;
    return 0;
}

/* Lays the models of the JSON text over p: same name (case-insensitive) replaced, new
 * names added. Nothing of p changes unless the whole text is valid. Returns 0, or -1
 * with the reason in err. */
static int pricing_merge(pricing_t *p, const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *models, *v;
    const char *key;
    int rc = -1;

    if (!root) {
        snprintf(err, errlen, "not valid JSON: line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "expected a JSON object with \"models\"");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "models") != 0 && key[0] != '$') {
            snprintf(err, errlen,
                     "unknown key \"%.100s\" (expected \"models\"; keys starting "
                     "with $ are comments)",
                     key);
            goto out;
        }
    }
    models = json_object_get(root, "models");
    if (!json_is_object(models)) {
        snprintf(err, errlen, "\"models\" is %s: expected an object of model names",
                 models ? "not an object" : "missing");
        goto out;
    }
    /* Check everything and make room first, so a bad entry leaves p as it was. */
    size_t add = json_object_size(models);
    pricing_entry_t scratch;
    json_object_foreach(models, key, v)
    {
        if (entry_parse(key, v, &scratch, err, errlen) != 0)
            goto out;
    }
    if (p->n + add > p->cap) {
        pricing_entry_t *grown = realloc(p->entries, (p->n + add) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        p->entries = grown;
        p->cap = p->n + add;
    }
    json_object_foreach(models, key, v)
    {
        pricing_entry_t e = {0};
        char *name = strdup(key);
        if (!name) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        entry_parse(key, v, &e, err, errlen); /* checked above */
        e.model = name;
        pricing_entry_t *old = pricing_find(p, key);
        if (old) {
            free((char *)old->model);
            *old = e;
        } else {
            p->entries[p->n++] = e;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

pricing_t *pricing_load(const char *json_text, char *err, size_t errlen)
{
    pricing_t *p = calloc(1, sizeof *p);
    char why[400];
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *text = json_text ? json_text : vb_default_pricing_json;
    if (pricing_merge(p, text, strlen(text), why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", json_text ? "price table" : "built-in price table", why);
        pricing_free(p);
        return NULL;
    }
    return p;
}

pricing_t *pricing_load_file(const char *path, char *err, size_t errlen)
{
    char why[400];
    size_t len = 0;
    pricing_t *p = pricing_load(NULL, err, errlen);
    if (!p)
        return NULL;
    char *text = small_file_read(path, PRICING_FILE_MAX, &len, why, sizeof why);
    if (!text || pricing_merge(p, text, len, why, sizeof why) != 0) {
        snprintf(err, errlen, "price file %s: %s", path, why);
        free(text);
        pricing_free(p);
        return NULL;
    }
    free(text);
    return p;
}

int pricing_lookup(const pricing_t *p, const char *model, pricing_entry_t *out)
{
    if (!p || !model)
        return -1;
    /* The full name first, so a file can price "openrouter/openai/gpt-4o" on its own. */
    const char *names[2] = {model, model_name_strip_vendor(model)};
    for (int k = 0; k < 2; k++) {
        if (k == 1 && names[1] == names[0])
            break;
        const pricing_entry_t *best = NULL;
        size_t best_len = 0;
        for (size_t i = 0; i < p->n; i++) {
            size_t n = model_name_prefix_len(names[k], p->entries[i].model);
            if (n > best_len && model_name_is_snapshot_suffix(names[k] + n)) {
                best = &p->entries[i];
                best_len = n;
            }
        }
        if (best) {
            *out = *best;
            return 0;
        }
    }
    return -1;
}

double pricing_cost(const pricing_entry_t *e, long prompt_tokens, long completion_tokens, int batch)
{
    if (batch && !e->has_batch)
        return -1.0;
    double in = (double)(prompt_tokens > 0 ? prompt_tokens : 0);
    double out = (double)(completion_tokens > 0 ? completion_tokens : 0);
    return (in * (batch ? e->batch_input : e->input) +
            out * (batch ? e->batch_output : e->output)) /
           1e6;
}

void pricing_free(pricing_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free((char *)p->entries[i].model);
    free(p->entries);
    free(p);
}
