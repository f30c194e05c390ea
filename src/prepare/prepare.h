/* prepare.h - the threads that turn input items into ready-to-send requests.
 *
 * Each thread takes the next item from the input (under a lock), reads the file, checks
 * it is an image a provider takes (from its bytes), hashes it and writes the request
 * body with the image base64-encoded in place. With a journal, items an earlier run
 * finished are passed over (their lines are replayed from the journal), and images whose
 * answer is in the result cache are answered from it. The finished request, or the item with
 * its error, goes into the ready queue; the queue's capacity bounds the memory. */
#ifndef VB_PREPARE_H
#define VB_PREPARE_H

#include "input/idset.h"
#include "input/input.h"
#include "record/journal.h"
#include "provider/provider.h"
#include "prepare/queue.h"
#include "prepare/request.h"
#include "prepare/structured.h"

#include <stdatomic.h>
#include <stddef.h>

/* A result cache kept elsewhere (redis_cache.h: shared by every process), keyed like the
 * journal's (the request's cache_key). lookup returns the stored output line (malloc'd)
 * or NULL, from any preparing thread; store keeps an ok answer, from the loop thread. */
typedef struct shared_cache {
    char *(*lookup)(void *ctx, const char *key);
    void (*store)(void *ctx, const char *key, const char *line);
    void *ctx;
} shared_cache_t;

typedef struct prepare_settings {
    const char *model;
    const char *prompt;                /* the job's prompt as sent (with the --json hint) */
    const char *prompt_template;       /* the job's prompt when it has {field}s (filled per
                                          item; prompt and template unused), else NULL */
    const char *detail;
    long max_tokens;
    const body_settings_t *sampling;   /* system, temperature, seed of an item's own
                                          body come from here; NULL: none */
    size_t max_image_bytes;
    const provider_t *provider;        /* builds the bodies */
    const body_template_t *template;   /* for items without their own prompt */
    const char *journal_path;          /* NULL: no journal, no cache */
    int resuming;                      /* the journal holds this job: skip finished items */
    const idset_t *replay_held;        /* ids whose earlier line resume.c held back for
                                          the change check; NULL: none */
    int retry_failed;                  /* items that failed in an earlier run go again */
    int use_cache;                     /* look answers up in the (non-empty) result cache */
    atomic_int *skip_all;              /* set: the budget is used up, read no more images */
    int resize_auto;                   /* downscale to what the provider would keep */
    long max_side;                     /* downscale to fit this square; 0 = no */
    long images_per_request;           /* --batch-size: the provider's side limit may
                                          depend on it (provider_image_limits_t) */
    const structured_t *structured;    /* --json / --schema (structured.h); NULL: none */
    const char *key_extra;             /* more that shapes the answer line (output format),
                                          for the cache key; NULL when none */
    const shared_cache_t *shared_cache; /* looked up after the journal's; NULL: none */
    int convert;                       /* --convert: BMP/TIFF/HEIF/AVIF, animations */
    int decode_check;                  /* decode every pixel before sending (default) */
} prepare_settings_t;

typedef struct prepare prepare_t;

/* Starts threads (>= 1) reading from in and pushing request_t pointers into ready.
 * in, ready and s must outlive prepare_join. Returns NULL with a reason in err. */
prepare_t *prepare_start(input_t *in, queue_t *ready, const prepare_settings_t *s, int threads,
                         char *err, size_t errlen);

/* Waits for every thread to finish (they end when the input ends or the queue is
 * cancelled) and frees the pool. NULL is a no-op. */
void prepare_join(prepare_t *p);

/* The prompt item is sent with: the job's (s->prompt, *filled NULL), or the item's own or
 * the job's template filled from its fields (*filled, malloc'd: the caller frees it).
 * NULL with the reason in why when a template cannot be filled (the item fails with
 * error kind "template"). Thread-safe. */
const char *prepare_item_prompt(const prepare_settings_t *s, const input_item_t *item,
                                char **filled, char *why, size_t whylen);

/* Whether an earlier run of the job finished the item for good: its line is replayed
 * from the journal, so it is neither read nor sent again. An item in a provider batch
 * (batched) is passed over too: its answer comes from that batch, collected by a
 * batch_api run, and sending it again would pay for it twice. Failed items count as
 * finished unless s->retry_failed; an answered local file whose bytes changed since does
 * not (its size and mtime, then its hash, as the preparing threads judge it). A walked
 * file is also looked up by its legacy_id. reader NULL or s->resuming unset: never. Returns 1
 * done, 0 not done, -1 when the journal cannot tell (a run must stop rather than pay
 * twice or lose it). Also used by estimate and by the --fetch-urls stage (send/fetch.h),
 * so that it does not download what will be passed over. */
int prepare_item_done(const prepare_settings_t *s, journal_reader_t *reader,
                      const input_item_t *item);

/* The result-cache key of an image (hash: its "sha256:HEX" content hash) sent with
 * prompt: the content with everything else in s that shapes the answer (provider-facts:
 * same pixels + same request = same answer); items with one key are copies (dedupe.h).
 * "" in out when out of memory. */
void prepare_cache_key(const prepare_settings_t *s, const char *prompt, const char *hash,
                       char out[HASH_HEX_LEN + 1]);

/* Builds the request for one item in the calling thread: the unit of work of a thread,
 * exposed for tests. Always returns a request (NULL only when out of memory); on failure
 * its error_kind is set and body is NULL. Takes ownership of *item's strings. scratch is a
 * reusable read buffer of the calling thread (may point to NULL/0 at first). reader (may
 * be NULL) is the thread's journal connection, for result-cache look-ups: on a hit the
 * request carries cached_line and no body. */
request_t *prepare_one(const prepare_settings_t *s, input_item_t *item, unsigned char **scratch,
                       size_t *scratch_cap, journal_reader_t *reader);

#endif
