/* estimate.h - what a job would cost before anything is sent.
 *
 * Goes through a job's inputs the way a run would (input.h), reads each local image's
 * header (image_header.h: no pixel decoded; the file is read whole only when the hooks
 * need its content hash), and adds up the tokens a provider would count: the model's
 * image-token formula (tokens.h) at the size resize.c sends, the prompt, the system
 * prompt and the per-message overhead. The run's other decisions (journal, templates,
 * result cache, dedupe) come through estimate_hooks_t. Items a run would refuse before sending (broken
 * manifest lines, unreadable, empty, corrupt, truncated, animated or too large files)
 * are counted as errors and not priced. No network: a URL's image is not fetched, so its
 * size is assumed (ESTIMATE_URL_SIDE square, as the run's token budgeting assumes).
 *
 * Prices come from pricing.h; this module only counts tokens and time. */
#ifndef VB_ESTIMATE_H
#define VB_ESTIMATE_H

#include "input/input.h"
#include "cost/pricing.h"
#include "cost/tokens.h"

#include <stddef.h>

/* Tokens a provider adds per message to the prompt tokens: what prepare.c budgets
 * (MESSAGE_OVERHEAD_TOKENS) and the simulator bills (SIM_TOKENS_PER_MESSAGE). */
#define ESTIMATE_MESSAGE_OVERHEAD_TOKENS 7
/* A URL's image is assumed to be this square (prepare.c's URL_ASSUMED_SIDE). */
#define ESTIMATE_URL_SIDE 1024
/* Distinct error kinds counted one by one; more are counted under "other". */
#define ESTIMATE_KINDS_MAX 16

/* What a run does with a good item besides pricing it. */
typedef enum {
    ESTIMATE_SEND = 0, /* sent: priced */
    ESTIMATE_CACHED,   /* answered from the journal's result cache: not sent, $0 */
    ESTIMATE_COPY,     /* byte-identical to an item priced already (dedupe): $0 */
} estimate_verdict_t;

/* The decisions of a run that live outside cost/ (api/estimate.c: the journal, prompt
 * templates, dedupe and the result cache), made as the run makes them. Each is called
 * from several threads at once. */
typedef struct estimate_hooks {
    void *ctx;
    int hash_images; /* verdict needs each image's content hash: read the files whole */
    /* Before anything else: 1 when an earlier run of the job finished the item (it is
     * counted as done, not read), 0 to go on, -1 when the journal cannot tell. */
    int (*done)(void *ctx, const input_item_t *item);
    /* The prompt the item is sent with (malloc'd, the caller frees), or NULL with the
     * reason in why: the item fails with error kind "template". */
    char *(*prompt)(void *ctx, const input_item_t *item, char *why, size_t whylen);
    /* For a good image (hash: "sha256:HEX" of its bytes, "" for a URL or when not
     * hashed): whether the run would send it. */
    estimate_verdict_t (*verdict)(void *ctx, const input_item_t *item, const char *prompt,
                                  const char *hash);
    /* With group_size > 1: the text of a request of n images (malloc'd, the caller
     * frees; NULL when out of memory). */
    char *(*group_text)(void *ctx, size_t n);
} estimate_hooks_t;

typedef struct estimate_settings {
    const char *model;  /* the model whose image-token rules apply */
    const char *prompt; /* the job's prompt; an item's own prompt wins */
    detail_t detail;
    long max_tokens;        /* completion limit per request; 0 = none sent (no bound) */
    size_t max_image_bytes; /* larger files are errors (too_large); 0 = no limit */
    int threads;            /* threads reading headers; 0 = automatic (CPUs, 2 to 4) */
    const char *system;     /* the system prompt sent with each request; NULL: none */
    const char *detail_name; /* detail as given ("auto", ...), for resize_target */
    int resize_auto;        /* --resize auto: priced at the size resize.c sends */
    long max_side;          /* --max-side: likewise; 0 = none */
    long group_size;        /* --batch-size: images sent with the job's prompt (no item
                               prompt, no template) go this many to a request, priced as
                               full groups (hooks->group_text); <= 1: one each */
    const estimate_hooks_t *hooks; /* NULL: every good item is sent with its prompt */
} estimate_settings_t;

typedef struct estimate_kind_count {
    char kind[32]; /* "corrupt_image", "unreadable", ... */
    long count;
} estimate_kind_count_t;

typedef struct estimate {
    long images;   /* images a run would send: good local images + URLs */
    long requests; /* the requests they go in (fewer with group_size) */
    long grouped;  /* of the images, those that go in groups */
    long urls;   /* of which URLs (size assumed) */
    long errors; /* items a run would fail before sending; not priced */
    long done;   /* items an earlier run of the job finished (journal): not priced */
    long cached; /* items the result cache answers: not priced */
    long copies; /* byte-identical copies of an item priced once: not priced */
    unsigned long long image_tokens;
    unsigned long long text_tokens;       /* prompt text + per-message overhead, all requests */
    unsigned long long input_tokens;      /* image_tokens + text_tokens */
    unsigned long long output_tokens_max; /* images * max_tokens */
    int output_unbounded;                 /* max_tokens 0: no completion limit is sent */
    int model_known;                      /* 0: unknown model, gpt-4o's image rules were assumed */
    estimate_kind_count_t kinds[ESTIMATE_KINDS_MAX]; /* errors by kind, first seen first */
    size_t n_kinds;
} estimate_t;

/* Called once per error item, never concurrently: label is the item's path or URL as
 * given (or FILE:LINE for a broken manifest line), kind its error kind, message a
 * one-line reason. The strings live only for the call. */
typedef void (*estimate_error_fn)(const char *label, const char *kind, const char *message,
                                  void *arg);

/* Reads every item of in (from where it stands) and fills *out. Header reads run on
 * s->threads threads; on_error (may be NULL) is called for each error item. Needs
 * image_global_init. Returns 0, or -1 with a reason in err (threads could not start;
 * *out then holds nothing useful). */
int estimate_run(input_t *in, const estimate_settings_t *s, estimate_error_fn on_error, void *arg,
                 estimate_t *out, char *err, size_t errlen);

/* The cost of e at the prices of price in USD: *low with no completion tokens, *high
 * with max_tokens of completion for every request, or -1.0 when there is no bound
 * (e->output_unbounded). At the Batch API's prices when batch is set (both -1.0 when
 * price has none), else at the standard ones. */
void estimate_cost(const estimate_t *e, const pricing_entry_t *price, int batch, double *low,
                   double *high);

/* Seconds the job needs at most rpm requests and tpm tokens per minute (a provider
 * counts input + max_tokens against TPM): max(images / rpm, tokens / tpm) minutes, a
 * limit of 0 left out; requests, not images, against rpm. -1.0 when both are 0. */
double estimate_seconds_at_limits(const estimate_t *e, double rpm, double tpm);

#endif
