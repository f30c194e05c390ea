/* group.h - several images in one request (--batch-size N).
 *
 * Grouping: the engine offers each prepared request; a group grows until it holds N
 * images or the next image would take the body past the byte limit (provider-facts.md
 * §1: 500 images and 50 MB per request at OpenAI, 32 MB at Anthropic, 20 MB at Gemini).
 * Building: the provider's group body (provider.h) whose text is the job's prompt followed
 * by an instruction to answer with a JSON array of one {"image": i, "answer": ...} per
 * image in order, then the images; max_tokens is N x the job's. The members' own
 * single-image bodies are kept: each image's part (what lies between the job template's
 * prefix and suffix, e.g. OpenAI's data URL) is copied out of them, and a member sent
 * alone again needs it.
 * Splitting: the answer must hold exactly N entries numbered 1..N in order; anything
 * else (wrong count, not JSON, numbers out of place) cannot be assigned with certainty,
 * and the engine sends those images again one by one. */
#ifndef VB_GROUP_H
#define VB_GROUP_H

#include "provider/provider.h"
#include "cost/pricing.h"
#include "prepare/request.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct group_settings {
    long size;             /* images per request at most, 2..the provider's max_images */
    size_t max_body_bytes; /* a batch body never grows past this */
    const provider_t *provider;      /* builds the batch body */
    const body_settings_t *body;     /* the job's (max_tokens per image; 0: not sent) */
    const body_template_t *template; /* the job's single-image template */
} group_settings_t;

typedef struct group group_t;

/* The message text of a request of n images under the job's prompt: the prompt, then
 * the answer format (malloc'd; NULL when out of memory). */
char *group_text(const char *prompt, size_t n);

/* Creates the grouping state; s (and the strings and template it points to) must outlive
 * it. NULL when out of memory. Free with group_free. */
group_t *group_new(const group_settings_t *s);

/* Frees the state with every request it still holds (a pending group, images waiting
 * to go alone). NULL is a no-op. */
void group_free(group_t *b);

/* Whether r may join a group: a prepared first attempt whose body was built from the
 * job's template (an item with its own prompt goes alone), not marked to go alone, not
 * a batch itself, and small enough to share a body with another image. */
bool group_can_join(const group_t *b, const request_t *r);

typedef enum {
    GROUP_ADDED,   /* r joined; the group has room for more */
    GROUP_FULL,    /* r joined and the group is full: take it */
    GROUP_NO_ROOM, /* r would take the group past a limit: r is not taken */
} group_add_t;

/* Offers r (group_can_join(b, r) must hold) to the group. On GROUP_ADDED and GROUP_FULL
 * the group owns r. */
group_add_t group_add(group_t *b, request_t *r);

/* Images in the group being formed. */
size_t group_pending(const group_t *b);

/* Hands the group over as one request, caller-owned: a batch request (n_members > 1,
 * owning its members) or, for a group of one, that member itself, marked to go alone
 * (its single-image body is sent byte for byte). NULL when the group is empty. When the
 * batch body cannot be built (out of memory) the members go alone and NULL is returned:
 * group_pop_solo yields them. */
request_t *group_take(group_t *b);

/* Breaks the batch request r up: every member is marked to go alone and waits in b
 * (group_pop_solo), r's shell is freed. */
void group_dissolve(group_t *b, request_t *r);

/* The next image waiting to go alone (caller-owned), or NULL. */
request_t *group_pop_solo(group_t *b);

/* No group pending and no image waiting to go alone. */
bool group_idle(const group_t *b);

/* The answer to a batch request, split per member. Arrays of n_members. */
typedef struct group_split {
    bool ok;       /* every entry assigned with certainty */
    char why[200]; /* when !ok: what was wrong, one line */
    size_t n;
    char **answers; /* malloc'd texts (ok only) */
    long *prompt_tokens;
    long *completion_tokens;
    double *cost_usd; /* -1 each when the cost is unknown */
} group_split_t;

/* Splits content, the answer to the batch request r, and shares the request's usage out
 * over its members: prompt_tokens in proportion to each image's estimated image tokens
 * plus an even share of the text (prompt, instruction, message framing);
 * completion_tokens in proportion to each answer's length (evenly when unsplit);
 * cost_usd from each share at price (NULL: unknown, -1 each), the last member taking
 * what rounding left so the shares sum to cost exactly. Shares are filled even when the
 * answer cannot be split (what the failed request cost is carried by its images).
 * Returns 0, or -1 when out of memory. Clear with group_split_clear. */
int group_split_answer(const request_t *r, const char *content, long prompt_tokens,
                       long completion_tokens, const pricing_entry_t *price, double cost,
                       group_split_t *out);

/* Frees what group_split_answer allocated. NULL is a no-op. */
void group_split_clear(group_split_t *s);

/* Parses an answer that must be a JSON array of exactly n entries
 * {"image": i, "answer": X} with i = 1..n in order (X a string, or any JSON, kept as
 * compact JSON text). A ``` code fence around it and an object whose only member is the
 * array are accepted. Fills answers[0..n) with malloc'd texts and returns 0; on any
 * doubt returns -1 with why set and answers untouched. */
int group_parse_answer(const char *content, size_t n, char **answers, char *why, size_t whylen);

/* Shares total out over n weights (>= 0) by largest remainder: out[] are integers >= 0
 * summing to total (0 each when total < 0), proportional to the weights (even when they
 * are all 0). */
void group_share(long total, const double *weights, size_t n, long *out);

#endif
