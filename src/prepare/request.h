/* request.h - one item on its way through the engine: what was read from the input,
 * the prepared request body, or the reason it could not be prepared. */
#ifndef VB_REQUEST_H
#define VB_REQUEST_H

#include "media/hash.h"
#include "media/image.h"
#include "input/input.h"

#include <stddef.h>
#include <stdint.h>

typedef struct request request_t;

struct request {
    input_item_t item;                       /* id, source, meta (owned) */
    char content_hash[8 + HASH_HEX_LEN + 1]; /* "sha256:<hex>", or "" for URLs */
    image_info_t image;                      /* format and size, for local files */
    size_t image_bytes;                      /* bytes read from the file */
    char *body;                              /* JSON request body (owned); NULL on error */
    size_t body_len;
    const char *error_kind;                  /* static; set when preparation failed */
    int fatal;                               /* the run must stop: error_message says why */
    char error_message[512];
    double token_estimate;                   /* what a provider counts against TPM */
    double input_tokens_worst;               /* most prompt tokens it can be billed */
    double image_tokens_saved;               /* by downscaling (--max-side) */
    double reserved_usd;                     /* budget held for it while in flight */
    int skipped;                             /* not prepared: the budget is used up */
    struct request *next_copy;               /* dedupe: copies waiting for one answer */
    int dedupe_checked;                      /* dedupe has seen it (it may wait for a slot) */
    int dedupe_first;                        /* the first of its key: copies wait for it */
    char cache_key[HASH_HEX_LEN + 1];        /* result cache key, or "" */
    char *cached_line;                       /* the answer from the cache: nothing to send */
    int attempts;                            /* requests sent so far */
    char *model;                             /* a batch line's own model (owned), or NULL */
    long max_tokens;                         /* a batch line's own completion limit, or 0 */
    int json_retries;                        /* answers re-asked for not being the JSON */
    int outage_retries; /* failures while the endpoint was down (send/outage.h): not counted
                           against --retries */
    double earlier_cost_usd;                 /* of those re-asked answers: still billed */
    long earlier_prompt_tokens;
    long earlier_completion_tokens;
    uint64_t sent_ns;                        /* when the last attempt was sent */
    int outage_probe;                        /* its last attempt was a pause's probe */
    int unusable_answers;                    /* billed 2xx answers that could not be used
                                                (garbled, cut, without content) */
    /* --batch-size (group.c) */
    struct request **members;  /* a batch request: its images, owned; NULL otherwise */
    size_t n_members;          /* how many */
    long batch_max_tokens;     /* a batch request: the completion limit it sends */
    double batch_weight;       /* a member: its image tokens + its share of the text */
    double carried_usd;        /* what unsplittable batch answers cost this image */
    int solo;                  /* goes alone: never (again) part of a batch */
    struct request *next_solo; /* group.c's queue of images waiting to go alone */
    int resend;                /* goes alone next because its batch answer was unsplit */
    const char *retry_kind;                  /* static: why the last attempt is retried */
    int online_fallback;                     /* --batch-api: a batch line sent online after
                                                its batch waited too long (online price) */
    /* the file's size and mtime when it was read (request_read_file), journaled with the
       result so a later run can pass over the same file without reading it */
    int file_stamped;
    long long file_size;
    long long file_mtime_ns;
    /* a resumed job's item the journal had an answer for (prepare.c's journal_verdict) */
    int changed;             /* its bytes are not those answered: sent again, as new */
    int unchanged;           /* touched, same bytes: nothing to send, its stamp is renewed */
    int replay_held;         /* its earlier line was held back from the replay for the
                                change check (resume.c): not in the output yet */
    double superseded_usd;   /* changed: what the answer it replaces cost */
};

/* Frees the request and everything it owns (a batch request: its members). NULL is a
 * no-op. */
void request_free(request_t *r);

/* Marks r as failed before sending: kind (static) and a printf-style one-line message. */
void request_fail(request_t *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the whole regular file at path into *buf (grown as needed; the caller owns it
 * and may reuse it across calls), at most max bytes, and stamps r with the file's size
 * and mtime (file_stamped, unless it changed size while being read). Anything but a regular file (FIFO,
 * device, directory) is refused without blocking on it. Returns the size, or -1 with r
 * failed (request_fail) and the reason set. */
long request_read_file(request_t *r, const char *path, size_t max, unsigned char **buf,
                       size_t *cap);

#endif
