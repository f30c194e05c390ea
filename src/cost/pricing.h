/* pricing.h - what tokens cost: a table of USD prices per model.
 *
 * Prices are USD per 1M tokens, input and output, and optionally the Batch API's. The
 * default table is data/pricing.json, compiled in; a user's file in the same format
 * ({"models": {"NAME": {"input": N, "output": N, "batch_input": N, "batch_output": N}}})
 * replaces or extends it model by model. A model the table does not know has no price:
 * callers report "cost unknown", never a made-up default (docs/provider-facts.md §3). */
#ifndef VB_PRICING_H
#define VB_PRICING_H

#include <stddef.h>

/* data/pricing.json, NUL-terminated (generated at build time by cmake/embed.cmake). */
extern const char vb_default_pricing_json[];

typedef struct pricing pricing_t;

typedef struct pricing_entry {
    const char *model;  /* the table's name for the model; owned by the table */
    double input;       /* USD per 1M prompt tokens */
    double output;      /* USD per 1M completion tokens */
    double batch_input; /* Batch API prices, when has_batch */
    double batch_output;
    int has_batch;
} pricing_entry_t;

/* Parses a price table from JSON text, or the built-in default when json_text is NULL.
 * Every entry needs "input" and "output" (numbers >= 0); "batch_input" and
 * "batch_output" come together or not at all; keys starting with '$' are comments.
 * Returns a new table (free it with pricing_free), or NULL with the reason (line and
 * column for broken JSON) in err. */
pricing_t *pricing_load(const char *json_text, char *err, size_t errlen);

/* The default table with the models of the file at path (same format, at most 1 MiB)
 * laid over it: an entry of the file replaces the default of the same name
 * (case-insensitive) and a new name is added. Returns a new table, or NULL with the file
 * name and the reason in err. */
pricing_t *pricing_load_file(const char *path, char *err, size_t errlen);

/* Finds the prices of a model: first the name as given, then without its vendor prefix
 * ("openai/gpt-4o"), exactly or as a dated snapshot of a known name ("gpt-4o-2024-08-06"
 * is gpt-4o; the longest known name wins). Case-insensitive. A variant with another
 * name is not a snapshot: "gpt-4.1-nano" does not take gpt-4.1's price, nor
 * "gpt-4o-mini" gpt-4o's. Returns 0 and fills *out (out->model points into p), or -1
 * for an unknown model (or a NULL p or model). */
int pricing_lookup(const pricing_t *p, const char *model, pricing_entry_t *out);

/* USD for the tokens at e's prices, batch (nonzero) at the Batch API's. Negative token
 * counts count as 0. Returns -1.0 when batch prices are asked for and e has none. */
double pricing_cost(const pricing_entry_t *e, long prompt_tokens, long completion_tokens,
                    int batch);

/* Frees the table. NULL is a no-op. */
void pricing_free(pricing_t *p);

#endif
