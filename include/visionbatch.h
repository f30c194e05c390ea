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
 * Besides running jobs: a job's journal read back (vb_journal_*, vb_report_*), what a job
 * would cost before it runs (vb_estimate_*, vb_pricing_*), and distributed jobs whose
 * items wait in Redis for workers on any machine (vb_redis_*, vb_job_set_redis).
 *
 * Ownership: every pointer handed to a callback or returned in a struct is owned by the
 * library and valid only during the callback (or until the object it came from is
 * freed, as each function says). Strings passed in are copied; the caller keeps
 * ownership of its own. Every object has one _free (or _close) function, and passing it
 * NULL does nothing. Functions that can fail write one line saying why into the caller's
 * err buffer of errlen bytes. */
#ifndef VISIONBATCH_H
#define VISIONBATCH_H

#include <stddef.h>
#include <stdio.h>

/* The version of this header. vb_version() gives the version of the library linked at
 * run time. CMake checks these against project(VERSION): change them together. */
#define VB_VERSION_MAJOR 0
#define VB_VERSION_MINOR 1
#define VB_VERSION_PATCH 0
/* One number for #if comparisons: 0x000100 is 0.1.0. */
#define VB_VERSION_NUM ((VB_VERSION_MAJOR << 16) | (VB_VERSION_MINOR << 8) | VB_VERSION_PATCH)

/* Marks what the shared library exports; everything else in it is hidden. */
#if defined(__GNUC__)
#define VB_EXPORT __attribute__((visibility("default")))
#else
#define VB_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct vb_stats;

/* What a job sends and how. Initialise with vb_options_init, then override fields. */
typedef struct vb_options {
    const char *provider;   /* the protocol: "openai" (chat/completions, and every server
                               that speaks it), "anthropic" (Messages) or "gemini"
                               (generateContent); NULL: from base_url's host */
    const char *base_url;   /* API root, e.g. https://api.openai.com/v1; NULL: the
                               provider's own service */
    const char *api_key;    /* the key, sent in the provider's header; NULL: none */
    const char *model;      /* e.g. "gpt-4o-mini"; NULL: the provider's default */
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
    const char *csv_image_column; /* .csv manifests: the column holding the image; NULL:
                                     the one named "image" */
    const char *csv_id_column;    /* ... the column holding the id; NULL: "id" */
    const char *csv_delimiter;    /* ... ",", ";" or "tab"; NULL: detected from each
                                     file's header line */
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
    int fetch_urls;         /* download URL images and send them as files: checked, hashed,
                               deduplicated, cached and resized; a dead URL fails as
                               fetch_failed, never sent (not with vb_job_set_redis) */
    long fetch_concurrency; /* downloads at once (16) */
    long fetch_per_host;    /* connections to one host at once (4) */
    int no_decode_check;    /* check headers and end markers only, not every pixel */
    int insecure;           /* do not verify the server's TLS certificate (loud; tests only) */
    int allow_http;         /* allow plain http:// to a host that is not loopback */
    double body_timeout_s;  /* a response body that has started must end within this */
    /* The provider's batch API (OpenAI Files + Batches, Anthropic Message Batches, Gemini
     * batch mode): the same requests at the batch price (half), answered within 24 h.
     * Needs a journal: it is what knows the batches and lets a later run collect them. */
    int batch_api;              /* send through the batch API instead of one request each */
    int batch_no_wait;          /* submit what is not yet in a batch, then return
                                   VB_RUN_SUBMITTED; a later run of the job collects */
    double poll_interval_s;     /* seconds between polls of open batches (default 30) */
    long batch_api_max_lines;   /* lines per batch at most; 0 = the provider's cap */
    double max_enqueued_tokens; /* estimated prompt tokens of the job's open batches at
                                   most (the providers' per-model queue); 0 = no limit */
    int fallback_online;        /* items of a batch that expires (or has waited
                                   fallback_after_s) are sent online instead */
    double fallback_after_s;    /* with fallback_online: 0 = only when a batch expires */
    /* Networks and endpoints that cannot answer */
    const char *ca_cert;        /* PEM file of CAs to trust instead of the system's; NULL:
                                   CURL_CA_BUNDLE or SSL_CERT_FILE when set, else the system's */
    double unreachable_timeout_s; /* after requests have succeeded, how long the endpoint may
                                     stay unreachable (the run paused, probing) before the run
                                     stops; default 300 */
    int no_preflight;           /* do not ask the provider for its models before the first
                                   upload */
    /* Sampling and instructions, sent with every request when set */
    const char *system;         /* system prompt; NULL = none */
    double temperature;         /* 0..2 (Anthropic 0..1); < 0 = not sent: the model's default */
    long seed;                  /* sampling seed 0..2147483647 (OpenAI, Gemini; Anthropic
                                   takes none); VB_SEED_NONE (-1) = not sent */
} vb_options_t;

/* vb_options_t.seed when no seed is sent. */
#define VB_SEED_NONE (-1L)

typedef enum {
    VB_STATUS_OK = 0, /* the model answered */
    VB_STATUS_ERROR,  /* the item failed; error_kind says why */
    VB_STATUS_SKIPPED,/* not sent: the budget was used up (error_kind "budget") */
} vb_status_t;

/* One image's outcome, handed to the result callback exactly once per image. */
typedef struct vb_result {
    const char *id;            /* the item's id (manifest id; a walked file's directory
                                  name + path below it; else its source) */
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
    int paused;            /* a run-wide pause is on: after a 429, or the endpoint unreachable */
    size_t status_slots;   /* entries used in by_status */
    vb_status_count_t by_status[VB_STATUS_SLOTS];
    unsigned long long latency_buckets[VB_LATENCY_BUCKETS]; /* cumulative: <= bound */
    unsigned long long latency_count;
    double latency_sum_s;
    int final;             /* the last snapshot of the run */
    /* batch_api runs: the job's provider batches */
    long batch_open;        /* submitted and not yet collected */
    long batch_collected;   /* results taken in */
    long batch_lines_open;  /* lines in open batches */
    long batch_provider_done; /* lines the provider reports finished in open batches */
    double batch_next_poll_s; /* seconds until the next poll; -1 none */
    int resuming;           /* the run resumes a job its journal held: replayed results
                               are that job's earlier runs' */
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
    /* batch_api runs */
    double online_cost_usd; /* the same usage at the online price; -1 unknown, 0 online runs */
    long batch_jobs_submitted; /* provider batches this run created */
    long batch_jobs_collected; /* provider batches whose results this run took in */
    long batch_lines_resubmitted; /* lines sent again in a later batch (expired, 5xx, ...) */
    long batch_fallback_online;   /* items sent online after their batch waited too long */
    long usage_missing;     /* billed answers (2xx) without usable usage: cost_usd counts
                               each at its worst case */
    long failed_billed;     /* failed items this run paid for (sent and answered, or
                               billed answers that were not the JSON asked for) */
    int job_resumed;        /* the run resumed a job its journal held */
    double job_cost_usd;    /* the job's spend over all its runs (the journal's), this
                               run's included; -1 without a journal or a price */
    long job_runs;          /* runs of the job, this one included; 0 when the journal
                               does not know (a job begun by an older version) */
    long changed;           /* items of a resumed job answered before whose file's bytes
                               changed since: sent again, their new result replacing the
                               earlier one (counted once, not as replayed) */
} vb_summary_t;

/* vb_job_run's result. */
typedef enum {
    VB_RUN_ALL_OK = 0,     /* every image succeeded */
    VB_RUN_SOME_FAILED = 1,/* the run finished; some images failed */
    VB_RUN_CONFIG = 2,     /* the job could not start (err says why) */
    VB_RUN_STOPPED = 3,    /* a fatal error (bad key, no quota) stopped the run */
    VB_RUN_CANCELLED = 4,  /* vb_job_cancel was called; the journal can resume the job */
    VB_RUN_BUDGET = 5,     /* the budget was used up: the items not sent are skipped */
    VB_RUN_SUBMITTED = 6,  /* batch_no_wait: the batches are submitted; run the job again
                              (same journal) to collect them */
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
VB_EXPORT void vb_set_log(vb_log_fn fn, void *userdata);

typedef struct vb_job vb_job_t;

/* Sets up libcurl and libvips for the process. Call once, before any other thread
 * starts. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_global_init(const char *argv0, char *err, size_t errlen);

/* Releases what vb_global_init set up. Call once at exit. */
VB_EXPORT void vb_global_cleanup(void);

/* Fills o with the defaults: OpenAI's URL, gpt-4o-mini, detail auto, concurrency 10,
 * timeout 120 s, 20 MiB images, limits learned from the server, GCRA pacing, 6 retries
 * from 0.5 s doubling to 30 s, one image per request (batch_size 1), text answers (2 JSON
 * re-asks once asked for JSON), JSONL output lines. */
VB_EXPORT void vb_options_init(vb_options_t *o);

/* Creates a job from validated copies of o. Returns NULL with a reason in err when an
 * option is invalid. Free with vb_job_free. */
VB_EXPORT vb_job_t *vb_job_new(const vb_options_t *o, char *err, size_t errlen);

/* Adds an input: an image file, a directory (walked recursively in name order), a .txt
 * manifest (a path or http(s) URL a line), a .jsonl manifest (objects with "image" and
 * optional "id", "prompt", other fields kept as meta; or OpenAI Batch API request lines
 * {"custom_id","method","url","body"}, whose body is sent as it is) or a .csv manifest
 * (a header row naming the same fields). A prompt with {field}s is filled per item from
 * these fields. Returns 0, or -1 with a reason in
 * err when the path does not exist or cannot be read. Nothing is read beyond that until
 * the job runs: inputs are streamed. */
VB_EXPORT int vb_job_add_input(vb_job_t *job, const char *path, char *err, size_t errlen);

/* Runs the job to the end: calls fn(result, userdata) once per item, on this thread, as
 * each completes (with a journal, first once per item an earlier run finished). When
 * the run is stopped (fatal error or cancel), items not finished get no result: a
 * resume with the journal sends them. Fills *summary (may be NULL). Returns a
 * vb_run_status_t; on VB_RUN_CONFIG, VB_RUN_STOPPED and VB_RUN_CANCELLED, err holds a
 * one-line reason. */
VB_EXPORT vb_run_status_t vb_job_run(vb_job_t *job, vb_result_fn fn, void *userdata,
                                     vb_summary_t *summary, char *err, size_t errlen);

/* Asks a running job to stop: nothing new is sent, in-flight requests get grace_s to
 * finish, results are flushed, and vb_job_run returns VB_RUN_CANCELLED. Items not
 * finished by then get no result (with a journal, a resume sends them; from Redis, other
 * workers take them), and a wait for a lost Redis server ends. Safe to call from a
 * signal handler (it only sets sig_atomic_t flags). */
VB_EXPORT void vb_job_cancel(vb_job_t *job);

/* Frees the job. NULL is a no-op. */
VB_EXPORT void vb_job_free(vb_job_t *job);

/* The library's version at run time, "MAJOR.MINOR.PATCH" (static storage). */
VB_EXPORT const char *vb_version(void);

/* The protocol a job with these options speaks: provider by name ("openai", "anthropic",
 * "gemini"), or when provider is NULL, the one base_url's host implies
 * (api.anthropic.com: "anthropic"; generativelanguage.googleapis.com: "gemini"; any other
 * host, or no base_url: "openai"). NULL for an unknown provider name. Static storage. */
VB_EXPORT const char *vb_provider_resolve(const char *provider, const char *base_url);

/* The API root and model a provider's job uses when the options name none, e.g.
 * "https://api.anthropic.com" and its default model. NULL for an unknown provider.
 * Static storage. */
VB_EXPORT const char *vb_provider_default_base_url(const char *provider);
VB_EXPORT const char *vb_provider_default_model(const char *provider);

/* ---- Summaries ------------------------------------------------------------------ */

/* A short name for each vb_limit_t ("rate_limit", "concurrency", "adaptive_window",
 * "image_preparation", "server_latency"; "unknown" outside the enum), for JSON and
 * metrics. Static storage. */
VB_EXPORT const char *vb_limit_name(vb_limit_t reason);

/* What held the run back longest, as a phrase for people ("the rate limit",
 * "concurrency", "server latency" (the adaptive window included: the server's overload
 * signals keep it down) or "image preparation"); NULL when nothing held it back. Static
 * storage. */
VB_EXPORT const char *vb_summary_limited_by(const vb_summary_t *summary);

/* ---- Reading a job's journal ----------------------------------------------------- */

/* A journal opened for reading (status, export), while its job runs or after. */
typedef struct vb_journal vb_journal_t;

/* A job's progress, as its journal has it. */
typedef struct vb_journal_summary {
    long items_total;  /* items in the job, once counted; -1 until then */
    long pending, in_flight, ok, failed, skipped; /* items by state */
    double cost_usd;   /* what the items cost, every run of the job together */
    double rate_per_s; /* attempts finished over the last minute, per second */
    const char *params; /* the job's request parameters (JSON, never the key), or NULL
                           before a run bound them; owned by the journal: valid until the
                           next vb_journal_summary or vb_journal_close */
    long batched;      /* items in a provider batch not collected yet (batch_api): a run
                          of the job collects them, never sends them again */
} vb_journal_summary_t;

/* Opens the journal at path, which must exist. NULL with a reason in err. Close with
 * vb_journal_close. */
VB_EXPORT vb_journal_t *vb_journal_open(const char *path, char *err, size_t errlen);

/* Fills *out. Returns 0, or -1 with "PATH: reason" in err. */
VB_EXPORT int vb_journal_summary(vb_journal_t *j, vb_journal_summary_t *out, char *err,
                                 size_t errlen);

/* Called once per finished item: line is its JSONL result line (no newline), as `run`
 * wrote it, valid only during the call; status VB_STATUS_OK or VB_STATUS_ERROR. Returns
 * 0 to go on, anything else to stop. */
typedef int (*vb_line_fn)(const char *line, vb_status_t status, void *userdata);

/* Calls fn for the result of every finished item (ok or failed; skipped items were never
 * sent), in the order the items were first seen. Returns the number of lines fn took, or
 * -1 with a reason in err. */
VB_EXPORT long vb_journal_foreach(vb_journal_t *j, vb_line_fn fn, void *userdata, char *err,
                                  size_t errlen);

/* vb_journal_foreach writing each line and a newline to out, then flushing it. Returns
 * the number of lines, or -1 with a reason in err. */
VB_EXPORT long vb_journal_export(vb_journal_t *j, FILE *out, char *err, size_t errlen);

/* Closes the journal. NULL is a no-op. */
VB_EXPORT void vb_journal_close(vb_journal_t *j);

/* One provider batch of a batch_api job, as its journal has it. */
typedef struct vb_batch_info {
    const char *chunk;        /* the journal's key of the chunk ("c000001") */
    const char *batch_id;     /* the provider's id, or "" before it is known */
    const char *state;        /* the journal's: "building", "sealed", "uploaded",
                                 "creating", "submitted", "collected", "abandoned" */
    const char *remote_state; /* the provider's last word ("in_progress", "ended", ...), or "" */
    long lines;               /* requests it carries */
    long succeeded, failed, pending; /* the provider's last counts; -1 unknown */
    double created_at;        /* unix seconds: the chunk was sealed */
    double updated_at;        /* last poll */
} vb_batch_info_t;

/* Calls fn for every provider batch of the journal's job, oldest first (fn returns 0 to
 * go on). Strings are valid during the call only. Returns the number of batches, or -1
 * with err set. */
VB_EXPORT long vb_journal_foreach_batch(vb_journal_t *j,
                                        int (*fn)(const vb_batch_info_t *b, void *userdata),
                                        void *userdata, char *err, size_t errlen);

/* Cancels the open provider batches of the job in o->journal (provider, base URL and
 * key from o, as for a run), then collects what finished: those items' results are
 * journaled (export shows them); the rest stay unsent and a later run sends them.
 * *cancelled gets how many batches were asked to cancel. Returns 0, or -1 with err set. */
VB_EXPORT int vb_batch_cancel(const vb_options_t *o, long *cancelled, char *err, size_t errlen);

/* A job's run as one self-contained HTML page (`visionbatch report`): totals, charts over
 * the run's time, the slowest requests and the failed items, read from its journal. The
 * page loads nothing: styles, data and the script are inline. */
typedef struct vb_report vb_report_t;

/* Reads the journal at path (read-only, its own connection) into a report; memory is
 * fixed whatever the journal's size. NULL with a reason in err when it cannot be opened
 * or is not a visionbatch journal. Free with vb_report_free. */
VB_EXPORT vb_report_t *vb_report_load(const char *journal, char *err, size_t errlen);

/* Writes the page to out (the title names the journal). Returns 0, or -1 when writing
 * failed. */
VB_EXPORT int vb_report_write_html(const vb_report_t *r, FILE *out);

/* Writes the page to path, through PATH.tmp renamed when complete, so a reader never
 * sees half a page. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_report_save_html(const vb_report_t *r, const char *path, char *err,
                                  size_t errlen);

/* Frees the report. NULL is a no-op. */
VB_EXPORT void vb_report_free(vb_report_t *r);

/* ---- Prices and estimates ------------------------------------------------------- */

/* A table of USD prices per model: the built-in one (data/pricing.json), optionally with
 * a user's file laid over it. */
typedef struct vb_pricing vb_pricing_t;

/* One model's prices, USD per 1M tokens. */
typedef struct vb_price {
    const char *model; /* the table's name for it; owned by the table */
    double input;      /* prompt tokens */
    double output;     /* completion tokens */
    int has_batch;     /* the Batch API's prices below are known */
    double batch_input, batch_output;
} vb_price_t;

/* The built-in table (path NULL), or the built-in table with the models of the JSON file
 * at path ({"models": {"NAME": {"input": 2.5, "output": 10}}}) replacing or adding to
 * it. NULL with a reason in err. Free with vb_pricing_free. */
VB_EXPORT vb_pricing_t *vb_pricing_load(const char *path, char *err, size_t errlen);

/* Finds a model's prices: the name as given, without a vendor prefix ("openai/gpt-4o"),
 * or as a dated snapshot of a known name ("gpt-4o-2024-08-06"); case-insensitive.
 * Returns 0 and fills *out, or -1 for a model the table does not know (never a made-up
 * default). */
VB_EXPORT int vb_pricing_lookup(const vb_pricing_t *p, const char *model, vb_price_t *out);

/* Frees the table. NULL is a no-op. */
VB_EXPORT void vb_pricing_free(vb_pricing_t *p);

/* What a job would send and cost, counted from the image headers alone: nothing is sent
 * and no image is decoded. */
typedef struct vb_estimate vb_estimate_t;

/* Tokens a provider adds to each request's prompt tokens. */
#define VB_ESTIMATE_MESSAGE_TOKENS 7
/* A URL's image is not fetched: it is counted as this square. */
#define VB_ESTIMATE_URL_SIDE 1024

typedef struct vb_estimate_summary {
    long images; /* images a run would send: good local images and URLs */
    long requests; /* the requests they go in: fewer with batch_size (full groups) */
    long urls;   /* of which URLs */
    long errors; /* items a run would refuse before sending (not priced) */
    long done;   /* items an earlier run of the job finished (its journal): not priced */
    long cached; /* images the journal's result cache answers: not sent, not priced */
    long duplicates; /* byte-identical copies of an image priced once (dedupe) */
    size_t error_kinds; /* entries used in errors_by_kind, first seen first */
    vb_kind_count_t errors_by_kind[VB_KIND_SLOTS];
    unsigned long long image_tokens;      /* by the model's own image formula */
    unsigned long long text_tokens;       /* prompt text and per-request overhead */
    unsigned long long input_tokens;      /* image_tokens + text_tokens */
    unsigned long long output_tokens_max; /* images * max_tokens */
    int output_unbounded; /* max_tokens is 0: no completion limit, no upper bound */
    int model_known;      /* 0: no image formula known for the model; gpt-4o's was used */
    int priced;           /* the price table knows the model: price and costs are set */
    vb_price_t price;     /* price.model is owned by the prices given to the run (by
                             the estimate when they were NULL) */
    double cost_low_usd;  /* with no completion tokens; -1 when not priced */
    double cost_high_usd; /* with max_tokens for every request; -1 when not priced or
                             unbounded */
    double seconds_at_limits; /* at the options' rpm and tpm; -1 when both are 0 */
    int batch_api;        /* o->batch_api: the costs above are at the Batch API's prices */
    double online_cost_low_usd;  /* the same at the standard (online) prices; -1 when not */
    double online_cost_high_usd; /* priced or unbounded, as above */
} vb_estimate_summary_t;

/* Called once per error item, never concurrently: label is the item's path or URL as
 * given (or FILE:LINE for a broken manifest line), kind its error kind, message one line
 * saying why. The strings are valid only during the call. */
typedef void (*vb_estimate_error_fn)(const char *label, const char *kind, const char *message,
                                     void *userdata);

/* Creates an estimate for the job o describes, priced as vb_job_run with the same
 * options would send it: prompts with {field}s filled per item (an item lacking a field
 * is an error), the system prompt, --json's prompt hint, byte-identical images priced
 * once (unless no_dedupe), images at the size resize and max_side send them. When the
 * job's journal (o->journal) exists it is read, never written or locked: a journal of
 * another job is refused as a run refuses it (unless new_job), the items it has
 * finished are counted as done (failed ones priced again with retry_failed), answers in
 * its result cache as cached (unless no_cache). NULL with a reason in err (a bad
 * detail, a journal of another job, a schema that cannot be read). Free with
 * vb_estimate_free. */
VB_EXPORT vb_estimate_t *vb_estimate_new(const vb_options_t *o, char *err, size_t errlen);

/* Adds an input, as vb_job_add_input does. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_estimate_add_input(vb_estimate_t *e, const char *path, char *err,
                                    size_t errlen);

/* Reads every input's items (header reads on prepare_threads threads) and fills *out,
 * pricing it with prices (NULL: the built-in table). fn (may be NULL) hears of each error
 * item. Runs once: the inputs are read through. Returns 0, or -1 with a reason in err
 * (also, with batch_api, for a model without batch prices, before any input is read). */
VB_EXPORT int vb_estimate_run(vb_estimate_t *e, const vb_pricing_t *prices,
                              vb_estimate_error_fn fn, void *userdata, vb_estimate_summary_t *out,
                              char *err, size_t errlen);

/* Frees the estimate. NULL is a no-op. */
VB_EXPORT void vb_estimate_free(vb_estimate_t *e);

/* ---- Distributed jobs (Redis) --------------------------------------------------- */

/* One job's items in a Redis stream, worked on by any number of processes on any
 * machine that see the same files (or URLs): each takes items, sends them with the
 * limits and the budget every process of the key and the job shares, answers from the
 * shared result cache when it can, and stores each result in Redis. A publisher adds
 * the inputs; workers take the job's parameters from Redis. The URL is
 * redis://[[user]:password@]host[:port][/db] (the password may also come from
 * $VISIONBATCH_REDIS_PASSWORD) and is never printed. While the server is away, commands
 * wait for it. A handle serves one process's part in one job at a time. */
typedef struct vb_redis vb_redis_t;

/* The request parameters every process of a job sends alike, as the job stores them. */
typedef struct vb_redis_params {
    const char *json; /* as stored: canonical JSON (sorted keys) */
    const char *provider; /* "openai", "anthropic" or "gemini" */
    const char *model, *prompt, *detail;
    long max_tokens, max_side, batch_size, json_retries;
    double budget_usd;
    int json_object;
    const char *system;  /* NULL: none */
    double temperature;  /* < 0: not sent */
    long seed;           /* VB_SEED_NONE: not sent */
} vb_redis_params_t;

/* A job's progress in Redis. */
typedef struct vb_redis_status {
    long items;     /* published */
    int published;  /* every input is published */
    long results;   /* items with a stored result */
    long ok, failed, skipped;
    long pending;   /* handed to a worker and not acknowledged yet */
    long workers;   /* workers that have read from the job */
    double spent_usd, reserved_usd; /* the shared budget: spent, and held in flight */
} vb_redis_status_t;

/* This process's share of the work, after a run (vb_job_set_redis). */
typedef struct vb_redis_counts {
    long stored;    /* results this process stored first */
    long reclaimed; /* items taken over from workers that held them too long */
    long lost;      /* results not stored: cancelled while Redis was away (the items go
                       to other workers) */
} vb_redis_counts_t;

/* Connects to the job named job (letters, digits, '.', '_' and '-', at most 100) on the
 * Redis server at url. Connecting is not retried: a wrong URL fails here. NULL with a
 * reason in err (never the password). Free with vb_redis_free. */
VB_EXPORT vb_redis_t *vb_redis_open(const char *url, const char *job, char *err,
                                    size_t errlen);

/* The server as host:port/db, without the password, for messages. Owned by r. */
VB_EXPORT const char *vb_redis_server(const vb_redis_t *r);

/* This process's name among the job's workers, host:pid. Owned by r. */
VB_EXPORT const char *vb_redis_consumer(const vb_redis_t *r);

/* For a publisher: creates the job with o's shared parameters (vb_redis_params_t), or
 * joins it when it exists with the same ones; a job created with others is refused.
 * The inputs added next are read with o's CSV settings (csv_image_column, ...).
 * Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_redis_create(vb_redis_t *r, const vb_options_t *o, char *err, size_t errlen);

/* For a worker: reads the parameters of the job, which must exist, into *out (strings
 * owned by r, valid until the next vb_redis_join or vb_redis_free). A worker sends what the job says: set them in
 * the options of its job. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_redis_join(vb_redis_t *r, vb_redis_params_t *out, char *err, size_t errlen);

/* Adds an input to publish, as vb_job_add_input does (after vb_redis_create). Returns 0,
 * or -1 with a reason in err. */
VB_EXPORT int vb_redis_add_input(vb_redis_t *r, const char *path, char *err, size_t errlen);

/* Publishes every item of the added inputs (items published before, by anyone, are
 * skipped), then marks the job published: workers stop when every item has a result.
 * *added (may be NULL) counts the new items. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_redis_publish(vb_redis_t *r, long *added, char *err, size_t errlen);

/* Makes vb_job_run work on r's job instead of the job's own inputs (add none): items
 * come from Redis, new ones first, then those another worker has held longer than
 * visibility_s seconds (1 to 86400); each result is stored in Redis before the callback
 * sees it; pacing, the budget and the result cache are shared through Redis; the journal
 * option is ignored. The job's options must match the job's parameters (vb_redis_join).
 * Opens two more connections. r must outlive the job. Returns 0, or -1 with a reason in
 * err. */
VB_EXPORT int vb_job_set_redis(vb_job_t *job, vb_redis_t *r, double visibility_s, char *err,
                               size_t errlen);

/* Fills *out with what this process did in its run on the job. */
VB_EXPORT void vb_redis_counts(const vb_redis_t *r, vb_redis_counts_t *out);

/* Reads the job's progress. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_redis_status(vb_redis_t *r, vb_redis_status_t *out, char *err, size_t errlen);

/* Writes every stored result, one line each, in the order the items were published, to
 * out. *written (may be NULL) counts them. Returns 0, or -1 with a reason in err. */
VB_EXPORT int vb_redis_export(vb_redis_t *r, FILE *out, long *written, char *err,
                              size_t errlen);

/* Disconnects and frees. NULL is a no-op. */
VB_EXPORT void vb_redis_free(vb_redis_t *r);

#ifdef __cplusplus
}
#endif

#endif
