/* provider.h - the one seam between visionbatch and a provider's protocol.
 *
 * A provider_t is a table of functions (the way wrk swaps its backends) that owns
 * everything protocol-specific: where a request goes and the headers that carry the key;
 * the request body built from a prepared image and the prompt (with the structured-answer
 * option, and for a multi-image group); what an answer says (text, usage, the verdict on
 * an error: retry, fail the item, stop the run); what its rate-limit headers say; what an
 * image costs in tokens; and which images the provider takes. Nothing outside
 * src/provider/ knows a provider's JSON field names or header names.
 *
 * Shaped for the three protocols visionbatch speaks or will speak (OpenAI
 * chat/completions, Anthropic Messages, Gemini generateContent):
 * - a body is a template split around the one place the image goes (an OpenAI image_url's
 *   URL, an Anthropic image block, a Gemini inline_data part), so the preparing threads
 *   base64-encode each image straight into its final buffer, and a group body can reuse
 *   each member's encoded image (the bytes between the template's prefix and suffix);
 * - the key goes in headers the provider names (Authorization, x-api-key,
 *   x-goog-api-key), never in the URL;
 * - the URL may depend on the model (Gemini's /models/{model}:generateContent);
 * - and for a second way of sending, a batch API taking many request bodies in one file:
 *   the bodies are the same, only the sending differs.
 *
 * Every function is pure or thread-safe: the preparing threads build bodies, the event
 * loop parses answers. Strings a function returns are malloc'd and the caller frees them. */
#ifndef VB_PROVIDER_H
#define VB_PROVIDER_H

#include "admit/ratelimit_headers.h"
#include "cost/tokens.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What to do with an answer. */
typedef enum {
    ANSWER_OK = 0,    /* success: content and usage are set */
    ANSWER_RETRY,     /* transient: the same request may succeed later */
    ANSWER_FAIL_ITEM, /* this item can never succeed */
    ANSWER_STOP_RUN,  /* no later request can succeed either (bad key, no quota) */
} answer_action_t;

/* A classified answer. */
typedef struct answer {
    answer_action_t action;
    char *content;      /* the model's text (malloc'd), or NULL */
    char *model;        /* model named by the server (malloc'd), or NULL */
    long prompt_tokens; /* -1 when absent */
    long completion_tokens;
    long total_tokens;
    const char *error_kind; /* static string: "rate_limited", "auth", ...; NULL on success */
    char error_message[512];
    double retry_after_s; /* > 0: the wait the body asks for (Gemini's RetryInfo); 0: none.
                             The engine takes the longer of it and the headers' retry-after */
    double limit_requests; /* > 0: a per-minute limit the body names (Gemini's 429 says
                              its quota in QuotaFailure, and no header ever does); 0: none.
                              The engine takes it where the headers name none */
    double limit_tokens;
    bool usage_bad; /* a usage count no request can have (negative, not an integer, over
                       ANSWER_USAGE_MAX): the counts are -1 and the answer is not used */
} answer_t;

/* Frees what a parse allocated in a (not a itself). NULL is a no-op. */
void answer_clear(answer_t *a);

/* A request body split around where its one image goes. Built once per job (or per item
 * with a prompt of its own) by provider_t.template_build. */
typedef struct body_template {
    char *prefix; /* everything before the image */
    size_t prefix_len;
    char *suffix; /* everything after it */
    size_t suffix_len;
} body_template_t;

/* Frees the template's strings and zeroes it. NULL is a no-op. */
void body_template_clear(body_template_t *t);

/* One body in one malloc'd, NUL-terminated buffer: t's prefix, head, mid[0..mid_len)
 * (base64-encoded straight into the buffer when encode, else as it is), close, t's
 * suffix; *body_len gets its length. What every provider's body_image and
 * body_image_url write around the image. NULL when out of memory. */
char *body_template_join(const body_template_t *t, const char *head, const unsigned char *mid,
                         size_t mid_len, bool encode, const char *close, size_t *body_len);

/* What every request of a job (or an item with its own prompt) shares. */
typedef struct body_settings {
    const char *model;
    const char *prompt;          /* the text sent with the image(s), as sent */
    const char *detail;          /* "auto", "low" or "high"; a provider without it ignores it */
    long max_tokens;             /* completion limit; 0: not sent */
    const char *response_format; /* from provider_t.structured_option, or NULL for text */
    const char *system;          /* system prompt, or NULL: none sent */
    bool temperature_set;        /* temperature is sent (its range checked before: api/job.c) */
    double temperature;
    bool seed_set;               /* seed is sent; never for a provider without one
                                    (Anthropic: refused before, api/job.c) */
    long seed;
} body_settings_t;

/* The sampling fields of s (system, temperature, seed) from a job's options: a temperature
 * or a seed below 0 (VB_SEED_NONE) is not sent. */
static inline void body_settings_sampling(body_settings_t *s, const char *system,
                                          double temperature, long seed)
{
    s->system = system;
    s->temperature_set = temperature >= 0;
    s->temperature = temperature;
    s->seed_set = seed >= 0;
    s->seed = seed;
}

/* One image's part cut out of a single-image body: the bytes between the template's
 * prefix and suffix (not NUL-terminated). */
typedef struct body_part {
    const char *bytes;
    size_t len;
} body_part_t;

/* Called once per header line ("Name: value") a request must carry. Returns 0, or -1 when
 * out of memory. */
typedef int (*header_add_fn)(void *ctx, const char *line);

/* What images the provider takes (checked before sending; one error per item). */
typedef struct provider_image_limits {
    unsigned formats;         /* bit (1u << image_format_t) per format it accepts */
    size_t max_image_bytes;   /* one image as sent; 0: no limit of its own */
    long max_side;            /* px on the longer side; 0: no limit of its own */
    size_t max_request_bytes; /* a request body, images included */
    long max_images;          /* images in one request */
    long many_images;         /* a request with more images than this ... */
    long many_images_max_side; /* ... takes each at most this many px on the longer side
                                  (Anthropic: 20, 2000); 0: no such rule */
} provider_image_limits_t;

/* What a provider's model listing says of the job's model (the preflight, before the
 * first upload: send/preflight.h). */
typedef enum {
    MODELS_CANNOT_TELL = 0, /* no listing here (a 404 from a reseller), or it is cut short */
    MODELS_PRESENT,
    MODELS_ABSENT,
} models_verdict_t;

typedef struct provider {
    const char *name;             /* "openai", "anthropic", "gemini" */
    const char *default_base_url; /* the real service's API root, as its SDK names it */
    const char *default_model;    /* used when the job names none */

    /* The URL a request for model goes to under base_url (trailing slashes ignored).
     * Returns a malloc'd string, NULL when out of memory or when the provider refuses the
     * model's name (Gemini puts it in the path: only letters, digits, '.', '_', '-'). */
    char *(*request_url)(const char *base_url, const char *model);

    /* Adds the headers every request carries besides Content-Type: the key (api_key may
     * be NULL or "": no key header) and any version header. Returns 0, or -1 when add
     * failed. The key's copies in temporary buffers are wiped. */
    int (*add_headers)(const char *api_key, header_add_fn add, void *ctx);

    /* Builds the single-image template. Returns 0, or -1 with a reason in err. Free with
     * body_template_clear. */
    int (*template_build)(body_template_t *t, const body_settings_t *s, char *err, size_t errlen);

    /* A body carrying the image bytes img[0..len) of type mime, base64-encoded straight
     * into the buffer; *body_len gets its length. NULL when out of memory. */
    char *(*body_image)(const body_template_t *t, const char *mime, const unsigned char *img,
                        size_t len, size_t *body_len);

    /* A body carrying an http(s) image URL for the provider to fetch, or NULL (out of
     * memory, not UTF-8). */
    char *(*body_image_url)(const body_template_t *t, const char *url, size_t *body_len);

    /* One body carrying n images: text (the prompt and the answer-format instruction),
     * then each image part as it was cut from its single-image body, with max_tokens of
     * s (already scaled for n images). NULL when out of memory. */
    char *(*group_body)(const body_settings_t *s, const char *text, const body_part_t *parts,
                        size_t n, size_t *body_len);

    /* Bytes a group body spends on one image besides its part, at most (for the byte
     * limit of a group, before building it). */
    size_t (*group_part_overhead)(const body_settings_t *s);

    /* The body's structured-answer option (compact JSON text, malloc'd into *out): for a
     * JSON Schema (schema, named name) or, with schema NULL, any JSON object. A provider
     * without an option for the latter (Anthropic) sets *out NULL and returns 0: the
     * prompt's instruction alone asks for the object. Refuses a schema the provider would
     * refuse, with the JSON path and the rule in err. Returns 0, or -1. */
    int (*structured_option)(const json_t *schema, const char *name, char **out, char *err,
                             size_t errlen);

    /* Parses and classifies an HTTP answer: status, body[0..len), and the response's
     * headers through get (may be NULL). secret (may be NULL) is scrubbed from every
     * server word that reaches error_message. Fills *out; free with answer_clear. */
    void (*answer_parse)(long status, const char *body, size_t len, header_get_fn get, void *hctx,
                         const char *secret, answer_t *out);

    /* Reads the limits an answer's headers announce (now: wall-clock time, for dates). */
    void (*limits_parse)(header_get_fn get, void *hctx, time_t now, ratelimit_info_t *out);

    /* The header naming the provider's id of a request (for output lines), or NULL. */
    const char *request_id_header;

    /* Image tokens model bills for a width x height image at detail. Returns 0 with *out,
     * or -1 when the model's formula is unknown. */
    int (*image_tokens)(const char *model, unsigned width, unsigned height, detail_t detail,
                        unsigned long *out);

    provider_image_limits_t limits;

    /* The URL of a cheap GET that lists (or describes) the models the key may use, for
     * the preflight (malloc'd), or NULL when the provider has none or memory ran out. */
    char *(*models_url)(const char *base_url, const char *model);
    /* What the answer (status, body[0..len)) to models_url says of model; a few names it
     * lists (comma-separated, for the hint) into listed (may be "" after). Pure. */
    models_verdict_t (*models_parse)(long status, const char *body, size_t len, const char *model,
                                     char *listed, size_t listed_len);
    /* A limit learned from this provider's headers is approached over this many seconds
     * (admit_settings_t.ramp_s): Anthropic answers sharp ramps with "acceleration" 429s.
     * 0: paced to at once. */
    double limit_ramp_s;

    /* The provider states its limits only in 429 answers, never in headers (Gemini):
     * admission probes from a small window (admit_settings_t.no_limit_headers). */
    int no_limit_headers;
} provider_t;

/* OpenAI chat/completions, and every server that speaks it (openai.c). */
extern const provider_t provider_openai;

/* Anthropic Messages (anthropic.c). */
extern const provider_t provider_anthropic;

/* Gemini generateContent (gemini.c). */
extern const provider_t provider_gemini;

/* The provider named name ("openai"), or NULL when there is none by that name. */
const provider_t *provider_find(const char *name);

/* The provider a base URL's host implies: api.anthropic.com is Anthropic's,
 * generativelanguage.googleapis.com Gemini's, any other host (and NULL) OpenAI's protocol.
 * Never NULL. */
const provider_t *provider_for_url(const char *base_url);

#endif
