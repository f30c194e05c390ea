/* batch.h - several images in one chat/completions request (--batch-size N).
 *
 * Grouping: the engine offers each prepared request; a group grows until it holds N
 * images or the next image would take the body past the byte limit (provider-facts.md
 * §1: 500 images and 50 MB per request at OpenAI, 32 MB at Anthropic, 20 MB at Gemini).
 * Building: one user message whose text is the job's prompt followed by an instruction to
 * answer with a JSON array of one {"image": i, "answer": ...} per image in order, then
 * the images; max_tokens is N x the job's. The members' own single-image bodies are kept:
 * the images' data URLs are copied out of them, and a member sent alone again needs it.
 * Splitting: the answer must hold exactly N entries numbered 1..N in order; anything
 * else (wrong count, not JSON, numbers out of place) cannot be assigned with certainty,
 * and the engine sends those images again one by one. */
#ifndef VB_BATCH_H
#define VB_BATCH_H

#include "openai.h"
#include "pricing.h"
#include "request.h"

#include <stdbool.h>
#include <stddef.h>

/* Most images per request: OpenAI's documented cap (and the simulator's). */
#define BATCH_MAX_IMAGES 500

typedef struct batch_settings {
    long size;             /* images per request at most, 2..BATCH_MAX_IMAGES */
    size_t max_body_bytes; /* a batch body never grows past this */
    const char *model;     /* the job's: the batch body is built from these */
    const char *prompt;
    const char *detail;
    long max_tokens;                   /* per image; 0: not sent */
    const openai_template_t *template; /* the job's single-image template */
} batch_settings_t;

typedef struct batch batch_t;

/* Creates the grouping state; s (and the strings and template it points to) must outlive
 * it. NULL when out of memory. Free with batch_free. */
batch_t *batch_new(const batch_settings_t *s);

/* Frees the state with every request it still holds (a pending group, images waiting
 * to go alone). NULL is a no-op. */
void batch_free(batch_t *b);

/* Whether r may join a group: a prepared first attempt whose body was built from the
 * job's template (an item with its own prompt goes alone), not marked to go alone, not
 * a batch itself, and small enough to share a body with another image. */
bool batch_can_join(const batch_t *b, const request_t *r);

typedef enum {
    BATCH_ADDED,   /* r joined; the group has room for more */
    BATCH_FULL,    /* r joined and the group is full: take it */
    BATCH_NO_ROOM, /* r would take the group past a limit: r is not taken */
} batch_add_t;

/* Offers r (batch_can_join(b, r) must hold) to the group. On BATCH_ADDED and BATCH_FULL
 * the group owns r. */
batch_add_t batch_add(batch_t *b, request_t *r);

/* Images in the group being formed. */
size_t batch_pending(const batch_t *b);

/* Hands the group over as one request, caller-owned: a batch request (n_members > 1,
 * owning its members) or, for a group of one, that member itself, marked to go alone
 * (its single-image body is sent byte for byte). NULL when the group is empty. When the
 * batch body cannot be built (out of memory) the members go alone and NULL is returned:
 * batch_pop_solo yields them. */
request_t *batch_take(batch_t *b);

/* Breaks the batch request r up: every member is marked to go alone and waits in b
 * (batch_pop_solo), r's shell is freed. */
void batch_dissolve(batch_t *b, request_t *r);

/* The next image waiting to go alone (caller-owned), or NULL. */
request_t *batch_pop_solo(batch_t *b);

/* No group pending and no image waiting to go alone. */
bool batch_idle(const batch_t *b);

/* The answer to a batch request, split per member. Arrays of n_members. */
typedef struct batch_split {
    bool ok;       /* every entry assigned with certainty */
    char why[200]; /* when !ok: what was wrong, one line */
    size_t n;
    char **answers; /* malloc'd texts (ok only) */
    long *prompt_tokens;
    long *completion_tokens;
    double *cost_usd; /* -1 each when the cost is unknown */
} batch_split_t;

/* Splits content, the answer to the batch request r, and shares the request's usage out
 * over its members: prompt_tokens in proportion to each image's estimated image tokens
 * plus an even share of the text (prompt, instruction, message framing);
 * completion_tokens in proportion to each answer's length (evenly when unsplit);
 * cost_usd from each share at price (NULL: unknown, -1 each), the last member taking
 * what rounding left so the shares sum to cost exactly. Shares are filled even when the
 * answer cannot be split (what the failed request cost is carried by its images).
 * Returns 0, or -1 when out of memory. Clear with batch_split_clear. */
int batch_split_answer(const request_t *r, const char *content, long prompt_tokens,
                       long completion_tokens, const pricing_entry_t *price, double cost,
                       batch_split_t *out);

/* Frees what batch_split_answer allocated. NULL is a no-op. */
void batch_split_clear(batch_split_t *s);

/* Parses an answer that must be a JSON array of exactly n entries
 * {"image": i, "answer": X} with i = 1..n in order (X a string, or any JSON, kept as
 * compact JSON text). A ``` code fence around it and an object whose only member is the
 * array are accepted. Fills answers[0..n) with malloc'd texts and returns 0; on any
 * doubt returns -1 with why set and answers untouched. */
int batch_parse_answer(const char *content, size_t n, char **answers, char *why, size_t whylen);

/* Shares total out over n weights (>= 0) by largest remainder: out[] are integers >= 0
 * summing to total (0 each when total < 0), proportional to the weights (even when they
 * are all 0). */
void batch_share(long total, const double *weights, size_t n, long *out);

#endif
