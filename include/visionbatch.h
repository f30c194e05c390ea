/* visionbatch.h - the public interface of the visionbatch library.
 *
 * Push many images through an OpenAI-compatible /chat/completions endpoint as fast as
 * the server allows, with memory bounded by the concurrency. Configure a job, add its
 * inputs, run it, and get one callback per image, on the calling thread.
 *
 *     vb_global_init(argv[0], err, sizeof err);
 *     vb_options_t o;
 *     vb_options_init(&o);
 *     o.base_url = "http://127.0.0.1:8080/v1";
 *     o.prompt = "Describe this product";
 *     vb_job_t *job = vb_job_new(&o, err, sizeof err);
 *     vb_job_add_input(job, "photos/", err, sizeof err);
 *     vb_job_run(job, on_result, NULL, &summary, err, sizeof err);
 *     vb_job_free(job);
 *     vb_global_cleanup();
 *
 * Ownership: every pointer handed to a callback or returned in a struct is owned by the
 * library and valid only during the callback (or until vb_job_free). Strings passed in
 * are copied; the caller keeps ownership of its own. */
#ifndef VISIONBATCH_H
#define VISIONBATCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vb_stats;

/* What a job sends and how. Initialise with vb_options_init, then override fields. */
typedef struct vb_options {
    const char *base_url;   /* API root ending in /v1, e.g. https://api.openai.com/v1 */
    const char *api_key;    /* bearer token, or NULL to send no Authorization header */
    const char *model;      /* e.g. "gpt-4o-mini" */
    const char *prompt;     /* text sent with each image (an item's own prompt wins) */
    const char *detail;     /* "auto", "low" or "high" */
    long max_tokens;        /* completion limit sent as max_tokens; 0 = not sent */
    long concurrency;       /* requests in flight at most */
    double timeout_s;       /* whole-request timeout in seconds */
    long prepare_threads;   /* threads reading and encoding images; 0 = automatic */
    size_t max_image_bytes; /* larger files are refused before sending */
    double rpm;             /* requests per minute to pace to; 0 = learn from the server */
    double tpm;             /* tokens per minute to pace to; 0 = learn from the server */
    double burst;           /* requests allowed back to back; 0 = automatic (100 ms) */
    const char *limiter;    /* "gcra" (smooth pacing) or "window" (60 s sliding window) */
    long retries;           /* retries per item after the first attempt */
    double retry_base_s;    /* first retry delay, doubling per retry ... */
    double retry_max_s;     /* ... up to this; a server's retry-after wins when longer */
    const char *journal;    /* SQLite journal file making the job resumable; NULL = none */
    int new_job;            /* the journal holds another job: start this one in it */
    int retry_failed;       /* resuming: send items that failed before again */
    int no_cache;           /* do not answer from the result cache */
    double grace_s;         /* after vb_job_cancel, how long in-flight requests may finish */
    const char *pricing;    /* JSON price file overriding the built-in prices; NULL = none */
    double budget_usd;      /* hard limit on what the run may spend; 0 = none */
    double cost_warn_usd;   /* warn once on stderr when the spend passes this; 0 = never */
    int no_dedupe;          /* send byte-identical images with the same request each time */
    const char *resize;     /* "auto": downscale to what the provider keeps; "off" (default) */
    long max_side;          /* downscale images to fit within this square; 0 = no limit */
    long batch_size;        /* images per request (one JSON-array answer); 1 = one each */
    size_t batch_max_bytes; /* a multi-image request body stays below this */
    int json_object;        /* ask for a JSON object answer (response_format json_object) */
    const char *schema;     /* JSON Schema file the answers must follow (json_schema,
                               strict); NULL = none. Wins over json_object */
    long json_retries;      /* re-asks of an answer that is not the JSON asked for (2) */
    const char *output_format; /* "jsonl" (default) or "openai-batch": OpenAI's Batch API
                                  output lines {id, custom_id, response, error} */
    /* Live statistics: called on the running thread at most every stats_interval_s
     * (default 0.1 s) while the job runs, and once more at the end (final = 1). NULL =
     * none. The snapshot is valid only during the call. */
    void (*on_stats)(const struct vb_stats *stats, void *userdata);
    void *stats_userdata;
    double stats_interval_s;
    int convert;            /* send BMP/TIFF/HEIC/AVIF converted, animations' first frame */
    int no_decode_check;    /* check headers and end markers only, not every pixel */
    int insecure;           /* do not verify the server's TLS certificate (loud; tests only) */
    int allow_http;         /* allow plain http:// to a host that is not loopback */
    double body_timeout_s;  /* a response body that has started must end within this */
} vb_options_t;

typedef enum {
    VB_STATUS_OK = 0, /* the model answered */
    VB_STATUS_ERROR,  /* the item failed; error_kind says why */
    VB_STATUS_SKIPPED,/* not sent: the budget was used up (error_kind "budget") */
} vb_status_t;

/* One image's outcome, handed to the result callback exactly once per image. */
typedef struct vb_result {
    const char *id;            /* the item's id (manifest id, else its source) */
    const char *image;         /* path or URL as given */
    const char *content_hash;  /* "sha256:<hex>" of the image bytes, or NULL */
    const char *meta_json;     /* manifest fields carried through, as a JSON object, or NULL */
    vb_status_t status;
    const char *response;      /* the model's text, or NULL */
    const char *model;         /* model named in the response, or NULL */
    long prompt_tokens;        /* usage as billed; -1 when the server sent none */
    long completion_tokens;
    long total_tokens;
    double latency_ms;         /* of the last attempt; 0 when nothing was sent */
    int attempts;              /* requests sent for this item */
    const char *error_kind;    /* NULL when ok; e.g. "corrupt_image", "auth", "network" */
    long http_status;          /* HTTP status of the last response, 0 when none */
    const char *error_message; /* one line, never containing the API key */
    int cached;                /* answered from the result cache: nothing was sent */
    double cost_usd;           /* what this item cost from its real usage; -1 unknown */
    const char *duplicate_of;  /* id of the item whose answer this copy shares, or NULL */
    const char *line;          /* the whole result as its JSONL output line (no newline) */
    int replayed;              /* a result of an earlier run of the job, from the journal:
                                  only line and status are set */
    const char *data_json;     /* --json/--schema: the answer parsed, as compact JSON */
    const char *response_body; /* the provider's last response body as sent, or NULL */
    const char *request_id;    /* its x-request-id header, or NULL */
} vb_result_t;

typedef void (*vb_result_fn)(const vb_result_t *result, void *userdata);

/* Upper bounds (seconds) of the request-duration buckets of vb_stats_t, the Prometheus
 * convention; the last bucket (+Inf) is implicit. */
#define VB_LATENCY_BUCKETS 12
#define VB_LATENCY_BOUNDS {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
#define VB_STATUS_SLOTS 16 /* distinct HTTP statuses counted; more share slot 0 */
#define VB_KIND_SLOTS 16   /* distinct error kinds counted; more share "other" */

/* A count per HTTP status; status 0 is a request without an answer (timeout, network). */
typedef struct vb_status_count {
    long status;
    long n;
} vb_status_count_t;

/* A count per error kind (failures by kind, retries by cause). */
typedef struct vb_kind_count {
    char kind[32];
    long n;
} vb_kind_count_t;

/* A snapshot of a running job, for progress displays and metrics (see on_stats). */
typedef struct vb_stats {
    double elapsed_s;
    long total;            /* items in the job; -1 while still being counted */
    long done;             /* items with a result (replayed ones included) */
    long ok, failed, skipped, cached, duplicates, replayed;
    long in_flight;        /* requests on the wire */
    long retrying;         /* items waiting for a retry */
    long requests;         /* requests sent, retries included */
    long retries;
    long rate_limited;     /* 429 rate-limit answers */
    long prompt_tokens, completion_tokens;
    long long bytes_uploaded;
    double cost_usd;       /* spent by this run; -1 when the model has no price */
    double budget_usd;     /* the --budget; 0 = none */
    double budget_left_usd;/* what the budget still allows (earlier runs of the job count) */
    long concurrency;      /* the configured ceiling */
    long window;           /* the adaptive concurrency window now */
    double rpm_limit;      /* request rate paced to, per minute; 0 = none known */
    double tpm_limit;      /* token rate paced to, per minute; 0 = none known */
    int paused;            /* a run-wide pause after a 429 is on */
    size_t status_slots;   /* entries used in by_status */
    vb_status_count_t by_status[VB_STATUS_SLOTS];
    unsigned long long latency_buckets[VB_LATENCY_BUCKETS]; /* cumulative: <= bound */
    unsigned long long latency_count;
    double latency_sum_s;
    int final;             /* the last snapshot of the run */
} vb_stats_t;

/* Why a run went no faster: seconds the loop spent with each reason holding it back. */
typedef enum {
    VB_LIMIT_RATE = 0,    /* work was ready; the rate limiters or a 429 pause held it */
    VB_LIMIT_CONCURRENCY, /* work was ready; every --concurrency slot was busy */
    VB_LIMIT_WINDOW,      /* work was ready; the adaptive window (cut by overload) was full */
    VB_LIMIT_PREPARE,     /* nothing was ready: images were still being read and encoded */
    VB_LIMIT_LATENCY,     /* nothing left to send: waiting for the server's answers */
    VB_LIMIT_COUNT
} vb_limit_t;

/* Totals of a finished run. */
typedef struct vb_summary {
    long images;
    long ok;
    long failed;
    long requests;
    double wall_s;
    double images_per_s;
    double latency_avg_ms;
    double latency_p50_ms;
    double latency_p95_ms;
    double latency_p99_ms;
    long prompt_tokens;
    long completion_tokens;
    long retries;           /* requests that were retries */
    long replayed;          /* results of earlier runs of the job, from the journal */
    long skipped;           /* items not sent because the budget was used up */
    long duplicates;        /* copies answered with another item's result */
    long long bytes_uploaded; /* request bodies sent, retries included */
    long image_tokens_saved;  /* by --max-side downscaling (--resize auto saves bytes only) */
    double cost_usd;        /* spent by this run, from the real usage; -1 when unknown */
    long cached;            /* results answered from the result cache */
    long rate_limited;      /* 429 rate-limit answers */
    long batches;           /* requests that carried several images (--batch-size) */
    long batch_unsplit;     /* batch answers that could not be split per image */
    long batch_resent;      /* images sent again alone because of those */
    int stopped;            /* 1 when the run was stopped by a fatal error */
    char stop_reason[512];  /* why, one line */
    double latency_p90_ms;
    double latency_max_ms;
    size_t failed_kinds;    /* entries used in failed_by_kind */
    vb_kind_count_t failed_by_kind[VB_KIND_SLOTS];
    size_t retry_kinds;     /* entries used in retries_by_cause */
    vb_kind_count_t retries_by_cause[VB_KIND_SLOTS];
    double limited_s[VB_LIMIT_COUNT]; /* seconds spent held back, per vb_limit_t */
    vb_stats_t stats;       /* the final snapshot (requests by status, latency buckets) */
} vb_summary_t;

/* vb_job_run's result. */
typedef enum {
    VB_RUN_ALL_OK = 0,     /* every image succeeded */
    VB_RUN_SOME_FAILED = 1,/* the run finished; some images failed */
    VB_RUN_CONFIG = 2,     /* the job could not start (err says why) */
    VB_RUN_STOPPED = 3,    /* a fatal error (bad key, no quota) stopped the run */
    VB_RUN_CANCELLED = 4,  /* vb_job_cancel was called; the journal can resume the job */
    VB_RUN_BUDGET = 5,     /* the budget was used up: the items not sent are skipped */
} vb_run_status_t;

/* How much a library message matters. */
typedef enum {
    VB_LOG_NOTICE = 0,  /* worth knowing: a lost Redis connection is back, ... */
    VB_LOG_WARNING = 1, /* the user may want to act: spend past cost_warn_usd, no price known */
} vb_log_level_t;

/* A log handler: message is one line without a newline, valid only during the call. */
typedef void (*vb_log_fn)(vb_log_level_t level, const char *message, void *userdata);

/* Sets where the library's messages go. The library never prints: with no handler (the
 * default) its messages are dropped. fn may be called on any of the library's threads
 * (the running thread, image-preparing threads, a Redis heartbeat thread), so it must be
 * thread-safe. Call it before any job starts; NULL removes the handler. */
void vb_set_log(vb_log_fn fn, void *userdata);

typedef struct vb_job vb_job_t;

/* Sets up libcurl and libvips for the process. Call once, before any other thread
 * starts. Returns 0, or -1 with a reason in err. */
int vb_global_init(const char *argv0, char *err, size_t errlen);

/* Releases what vb_global_init set up. Call once at exit. */
void vb_global_cleanup(void);

/* Fills o with the defaults: OpenAI's URL, gpt-4o-mini, detail auto, concurrency 10,
 * timeout 120 s, 20 MiB images, limits learned from the server, GCRA pacing, 6 retries
 * from 0.5 s doubling to 30 s, one image per request (batch_size 1), text answers (2 JSON
 * re-asks once asked for JSON), JSONL output lines. */
void vb_options_init(vb_options_t *o);

/* Creates a job from validated copies of o. Returns NULL with a reason in err when an
 * option is invalid. Free with vb_job_free. */
vb_job_t *vb_job_new(const vb_options_t *o, char *err, size_t errlen);

/* Adds an input: an image file, a directory (walked recursively in name order), a .txt
 * manifest (a path or http(s) URL a line), a .jsonl manifest (objects with "image" and
 * optional "id", "prompt", other fields kept as meta; or OpenAI Batch API request lines
 * {"custom_id","method","url","body"}, whose body is sent as it is) or a .csv manifest
 * (a header row naming the same fields). A prompt with {field}s is filled per item from
 * these fields. Returns 0, or -1 with a reason in
 * err when the path does not exist or cannot be read. Nothing is read beyond that until
 * the job runs: inputs are streamed. */
int vb_job_add_input(vb_job_t *job, const char *path, char *err, size_t errlen);

/* Runs the job to the end: calls fn(result, userdata) once per item, on this thread, as
 * each completes (with a journal, first once per item an earlier run finished). When
 * the run is stopped (fatal error or cancel), items not finished get no result: a
 * resume with the journal sends them. Fills *summary (may be NULL). Returns a
 * vb_run_status_t; on VB_RUN_CONFIG, VB_RUN_STOPPED and VB_RUN_CANCELLED, err holds a
 * one-line reason. */
vb_run_status_t vb_job_run(vb_job_t *job, vb_result_fn fn, void *userdata,
                           vb_summary_t *summary, char *err, size_t errlen);

/* Asks a running job to stop: nothing new is sent, in-flight requests get grace_s to
 * finish, results are flushed, and vb_job_run returns VB_RUN_CANCELLED. Items not
 * finished by then get no result (with a journal, a resume sends them). Safe to call
 * from a signal handler (it only sets a sig_atomic_t flag). */
void vb_job_cancel(vb_job_t *job);

/* Frees the job. NULL is a no-op. */
void vb_job_free(vb_job_t *job);

#ifdef __cplusplus
}
#endif

#endif
