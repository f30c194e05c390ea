/* prepare.c - the preparing threads: read, validate, hash and encode each image. */
#include "prepare/prepare.h"

#include "provider/openai_batch_lines.h"
#include "media/convert.h"
#include "record/output.h"
#include "prepare/prompt_fill.h"
#include "prepare/request.h"
#include "media/resize.h"
#include "cost/tokens.h"
#include "util/file_stamp.h"

#include <jansson.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One preparing thread: its pool, and its own journal connection (or NULL). */
typedef struct worker {
    struct prepare *pool;
    journal_reader_t *reader;
    pthread_t thread;
} worker_t;

struct prepare {
    input_t *input;
    pthread_mutex_t input_lock;
    queue_t *ready;
    const prepare_settings_t *settings;
    worker_t *workers;
    int nworkers; /* allocated */
    int nthreads; /* started */
};

void prepare_cache_key(const prepare_settings_t *s, const char *prompt, const char *hash,
                       char out[HASH_HEX_LEN + 1])
{
    json_t *k = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "image", hash, "model", s->model,
                          "prompt", prompt, "detail", s->detail, "max_tokens",
                          (json_int_t)s->max_tokens, "max_side", (json_int_t)s->max_side);
    /* only when set, so the keys of answers cached before these options stay valid */
    if (k && s->structured && s->structured->response_format)
        json_object_set_new(k, "response_format",
                            json_string(s->structured->response_format));
    if (k && s->key_extra)
        json_object_set_new(k, "extra", json_string(s->key_extra));
    char *text = k ? json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(k);
    if (text)
        hash_sha256_hex(text, strlen(text), out);
    else
        out[0] = '\0';
    free(text);
}

/* A cached output line rewritten as this item's ("cached": true), or NULL. */
static char *cached_for(const request_t *r, const char *line)
{
    return output_line_for(line, r->item.id, r->item.source, r->item.meta_json, 1, NULL, 1);
}

/* The job's system prompt (--system), "" when none: billed as prompt tokens too. */
static const char *system_text(const prepare_settings_t *s)
{
    return s->sampling && s->sampling->system ? s->sampling->system : "";
}

/* Tokens a provider counts against TPM for the request: image tokens by the model's own
 * formula (gpt-4o's for an unknown model), the prompt and system text, the message
 * overhead and the completion limit (provider-facts.md §4). */
static double estimate_tokens(const prepare_settings_t *s, const char *prompt, unsigned width,
                              unsigned height)
{
    const char *system = system_text(s);
    detail_t detail = DETAIL_AUTO;
    tokens_detail_parse(s->detail, &detail);
    unsigned long image = 0;
    if (s->provider->image_tokens(s->model, width, height, detail, &image) != 0)
        tokens_image_for_model("gpt-4o", width, height, detail, &image);
    return (double)image + (double)tokens_text_estimate(prompt, strlen(prompt)) +
           (double)tokens_text_estimate(system, strlen(system)) + MESSAGE_OVERHEAD_TOKENS + (double)(s->max_tokens > 0 ? s->max_tokens : 0);
}

/* The most prompt tokens the request can be billed, for the budget: the image by its
 * formula, and no more than one token per byte of text (prompt and system prompt), plus
 * a margin for the message wrapping. */
static double worst_input_tokens(const request_t *r, const prepare_settings_t *s,
                                 const char *prompt)
{
    const char *system = system_text(s);
    double image_and_text = r->token_estimate -
                            (double)tokens_text_estimate(prompt, strlen(prompt)) -
                            (double)tokens_text_estimate(system, strlen(system)) -
                            (double)(s->max_tokens > 0 ? s->max_tokens : 0);
    return image_and_text + (double)strlen(prompt) + (double)strlen(system) + 16;
}

/* Whether the image is re-encoded before sending (resize.c): downscaled (--resize auto,
 * --max-side) or normalised because convert.c says it must be (a converted format,
 * CMYK, 16 bits, EXIF rotation). Sets *tw x *th to the size it is sent at. */
static bool reencoded(const request_t *r, const prepare_settings_t *s, bool *smaller,
                      unsigned *tw, unsigned *th)
{
    *tw = r->image.width;
    *th = r->image.height;
    *smaller = (s->resize_auto || s->max_side > 0) &&
               resize_target(s->model, s->detail, r->image.width, r->image.height,
                             (unsigned)s->max_side, s->resize_auto, tw, th) == 1;
    return *smaller || convert_needed(&r->image);
}

/* Whether check_image runs the decode check: unless --no-decode-check, for a JPEG (its
 * check is cheap) and for any image sent as it is. Another image that is re-encoded is
 * decoded strictly by the re-encode instead (send_image): decoding it twice would double
 * the CPU it costs. */
static bool decode_check_now(const request_t *r, const prepare_settings_t *s)
{
    unsigned tw, th;
    bool smaller;
    return s->decode_check &&
           (r->image.format == IMAGE_JPEG || !reencoded(r, s, &smaller, &tw, &th));
}

/* The longest side, in px, the provider takes for an image of a request carrying as many
 * images as s says; 0: no limit. */
static long side_limit(const prepare_settings_t *s)
{
    const provider_image_limits_t *l = &s->provider->limits;
    if (l->many_images_max_side > 0 && s->images_per_request > l->many_images)
        return l->max_side > 0 && l->max_side < l->many_images_max_side ? l->max_side
                                                                        : l->many_images_max_side;
    return l->max_side;
}

/* Fails r when the image as it will be sent (w x h px, n bytes) is over a limit of the
 * provider's, with what to do about it; returns true when it did. */
static bool over_provider_limits(request_t *r, const prepare_settings_t *s, unsigned w,
                                 unsigned h, size_t n)
{
    const provider_image_limits_t *l = &s->provider->limits;
    long side = side_limit(s);
    unsigned longer = w > h ? w : h;
    if (side > 0 && longer > (unsigned long)side) {
        char many[96] = "";
        if (side != l->max_side)
            snprintf(many, sizeof many, " in a request of more than %ld images (--batch-size)",
                     l->many_images);
        request_fail(r, "too_large",
                     "the image is %ux%u px; %s takes at most %ld px on a side%s (--resize auto "
                     "or --max-side %ld sends it smaller)",
                     w, h, s->provider->name, side, many, side);
        return true;
    }
    if (l->max_image_bytes > 0 && n > l->max_image_bytes) {
        request_fail(r, "too_large",
                     "the image to send is %zu bytes; %s takes at most %zu per image "
                     "(--resize auto or --max-side sends it smaller)",
                     n, s->provider->name, l->max_image_bytes);
        return true;
    }
    return false;
}

/* Builds the body from the image as it will be sent: re-encoded when reencoded() says so,
 * else the file's own bytes. The content hash and cache key stay those of the file. When
 * check_image left the decode check to the re-encode, it decodes strictly: if it fails,
 * image_decode_check tells a corrupt image (the item fails) from a resize libvips cannot
 * do. A failed downscale or normalisation of a sound image sends the original (it is
 * valid and costs the same tokens); a failed conversion fails the item, as does a result
 * over the byte limit. */
static void send_image(request_t *r, const prepare_settings_t *s, const char *prompt,
                       const body_template_t *t, const unsigned char *data, size_t len,
                       const char *format_name)
{
    unsigned tw, th;
    bool smaller;
    unsigned char *encoded = NULL;
    size_t encoded_len = 0;
    image_format_t format = r->image.format;
    bool must = r->image.format == IMAGE_UNKNOWN || r->image.pages > 1;
    bool normalise = convert_needed(&r->image); /* includes must */
    if (reencoded(r, s, &smaller, &tw, &th)) {
        char why[256];
        image_format_t out_format;
        bool strict = s->decode_check && !decode_check_now(r, s); /* it is the check */
        if (resize_encode_to(data, len, convert_target(&r->image, format_name), tw, th, strict,
                             &encoded, &encoded_len, &out_format, why, sizeof why) == 0 &&
            (normalise || !smaller || s->max_side > 0 || encoded_len < len)) {
            format = out_format;
            if (smaller) {
                double before = r->token_estimate;
                r->token_estimate = estimate_tokens(s, prompt, tw, th);
                r->input_tokens_worst = worst_input_tokens(r, s, prompt);
                r->image_tokens_saved = before - r->token_estimate;
            }
        } else {
            free(encoded);
            encoded = NULL;
            char corrupt[256];
            if (strict && image_decode_check(data, len, corrupt, sizeof corrupt) != 0) {
                request_fail(r, image_status_kind(IMAGE_ERR_CORRUPT), "%s", corrupt);
                return;
            }
            if (must) {
                request_fail(r, "convert_failed", "cannot convert %s: %s", format_name, why);
                return;
            }
        }
    }
    const unsigned char *bytes = encoded ? encoded : data;
    size_t n = encoded ? encoded_len : len;
    unsigned sent_w = encoded ? tw : r->image.width, sent_h = encoded ? th : r->image.height;
    if (n > s->max_image_bytes)
        request_fail(r, "too_large", "the image to send is %zu bytes, over the limit of %zu",
                     n, s->max_image_bytes);
    else if (over_provider_limits(r, s, sent_w, sent_h, n))
        ;
    else if (!(s->provider->limits.formats & 1u << format))
        request_fail(r, "unsupported_format", "%s does not take %s images", s->provider->name,
                     image_mime(format));
    else if (!(r->body = s->provider->body_image(t, image_mime(format), bytes, n, &r->body_len)))
        request_fail(r, "internal", "out of memory encoding %zu bytes", n);
    free(encoded);
}

/* Probes the file's bytes (image.c) and, with --convert, lets convert.c take formats
 * and animations the APIs refuse; then (see decode_check_now) decodes every pixel, as
 * the provider would, so a corrupt image fails here instead of being sent and billed.
 * Returns IMAGE_OK with r->image set and the format's name in name, or fails r. */
static image_status_t check_image(request_t *r, const prepare_settings_t *s,
                                  const unsigned char *data, size_t len, char *name,
                                  size_t namelen)
{
    char why[256];
    snprintf(name, namelen, "%s", "image");
    image_status_t st = image_probe(data, len, &r->image, why, sizeof why);
    if (st == IMAGE_ERR_UNSUPPORTED && s->convert)
        st = convert_probe(data, len, &r->image, name, namelen, why, sizeof why);
    if (st == IMAGE_ERR_ANIMATED && s->convert)
        st = IMAGE_OK; /* its first frame is sent */
    if (st == IMAGE_OK && decode_check_now(r, s) &&
        image_decode_check(data, len, why, sizeof why) != 0)
        st = IMAGE_ERR_CORRUPT;
    if (st != IMAGE_OK)
        request_fail(r, image_status_kind(st), "%s", why);
    return st;
}

/* The item's prompt template filled from its manifest fields, with its "id" and "image"
 * as fields too (a manifest field of that name wins). Returns a malloc'd prompt, or NULL
 * with the reason in why. */
static char *fill_prompt(const input_item_t *item, const char *tmpl, char *why, size_t whylen)
{
    json_t *fields = item->meta_json ? json_loads(item->meta_json, 0, NULL) : json_object();
    if (!json_is_object(fields)) {
        json_decref(fields);
        snprintf(why, whylen, "the item's fields cannot be read");
        return NULL;
    }
    if (!json_object_get(fields, "id") && item->id)
        json_object_set_new(fields, "id", json_string(item->id));
    if (!json_object_get(fields, "image") && item->source)
        json_object_set_new(fields, "image", json_string(item->source));
    char *text = prompt_fill(tmpl, fields, why, whylen);
    json_decref(fields);
    return text;
}

/* The prompt an item with its own prompt, or under a job prompt with {field}s, is sent
 * with: filled from its fields, with the --json hint when it needs one. Returns a
 * malloc'd prompt, or NULL with the reason in why. */
static char *item_prompt(const prepare_settings_t *s, const input_item_t *item, char *why,
                         size_t whylen)
{
    const char *base = item->prompt ? item->prompt : s->prompt_template;
    why[0] = '\0';
    char *text = prompt_is_template(base) ? fill_prompt(item, base, why, whylen) : strdup(base);
    char *hinted = NULL;
    int rc = text && s->structured ? structured_prompt(s->structured, text, &hinted) : 0;
    if (!text || rc < 0) {
        if (text || !why[0])
            snprintf(why, whylen, "out of memory");
        free(text);
        return NULL;
    }
    if (rc == 1) {
        free(text);
        text = hinted;
    }
    return text;
}

const char *prepare_item_prompt(const prepare_settings_t *s, const input_item_t *item,
                                char **filled, char *why, size_t whylen)
{
    *filled = NULL;
    if (!item->prompt && !s->prompt_template)
        return s->prompt; /* the job's, as sent */
    return *filled = item_prompt(s, item, why, whylen);
}

request_t *prepare_one(const prepare_settings_t *s, input_item_t *item, unsigned char **scratch,
                       size_t *scratch_cap, journal_reader_t *reader)
{
    request_t *r = calloc(1, sizeof *r);
    if (!r) {
        input_item_clear(item);
        return NULL;
    }
    r->item = *item;
    memset(item, 0, sizeof *item);

    if (r->item.error_kind) {
        request_fail(r, r->item.error_kind, "%s", r->item.error_message);
        return r;
    }
    if (r->item.batch_body) { /* an OpenAI batch line: its own body */
        openai_batch_prepare(r, s->max_image_bytes, scratch, scratch_cap);
        return r;
    }
    char *filled = NULL, why[300];
    const char *prompt = prepare_item_prompt(s, &r->item, &filled, why, sizeof why);
    if (!prompt) {
        request_fail(r, "template", "%s", why);
        return r;
    }
    body_template_t own = {0};
    const body_template_t *t = s->template;
    if (prompt != s->prompt) {
        char err[256];
        body_settings_t bs = {.model = s->model,
                              .prompt = prompt,
                              .detail = s->detail,
                              .max_tokens = s->max_tokens,
                              .response_format =
                                  s->structured ? s->structured->response_format : NULL};
        if (s->sampling)
            body_settings_sampling(&bs, s->sampling->system, s->sampling->temperature,
                                   s->sampling->seed_set ? s->sampling->seed : -1);
        if (s->provider->template_build(&own, &bs, err, sizeof err) != 0) {
            request_fail(r, "invalid_request", "%s", err);
            free(filled);
            return r;
        }
        t = &own;
    }
    if (r->item.is_url) {
        /* the budget reserves the largest the unseen image can be billed */
        double worst_image = 0;
        static const unsigned sides[][2] = {{768, 2048}, {2048, 2048}, {1568, 1568},
                                            {4096, 4096}, {8192, 8192}};
        for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
            double tokens = estimate_tokens(s, prompt, sides[i][0], sides[i][1]);
            worst_image = tokens > worst_image ? tokens : worst_image;
        }
        r->token_estimate = worst_image;
        r->input_tokens_worst = worst_input_tokens(r, s, prompt);
        r->token_estimate = estimate_tokens(s, prompt, URL_ASSUMED_SIDE, URL_ASSUMED_SIDE);
        r->body = s->provider->body_image_url(t, r->item.source, &r->body_len);
        if (!r->body)
            request_fail(r, "invalid_request", "the URL is not valid UTF-8 text");
        body_template_clear(&own);
        free(filled);
        return r;
    }

    long len = request_read_file(r, r->item.path, s->max_image_bytes, scratch, scratch_cap);
    if (r->item.path_is_temp) { /* a downloaded copy (fetch.h): read, so no longer needed */
        unlink(r->item.path);
        r->item.path_is_temp = 0;
        r->file_stamped = 0; /* the copy's size and mtime say nothing of the URL's next */
    }
    if (len >= 0) {
        char format_name[32];
        r->image_bytes = (size_t)len;
        if (check_image(r, s, *scratch, (size_t)len, format_name, sizeof format_name) ==
            IMAGE_OK) {
            r->token_estimate = estimate_tokens(s, prompt, r->image.width, r->image.height);
            r->input_tokens_worst = worst_input_tokens(r, s, prompt);
            memcpy(r->content_hash, "sha256:", 7);
            hash_sha256_hex(*scratch, (size_t)len, r->content_hash + 7);
            prepare_cache_key(s, prompt, r->content_hash, r->cache_key); /* dedupe, cache */
            {
                char *line = reader && s->use_cache && r->cache_key[0]
                                 ? journal_reader_cached(reader, r->cache_key)
                                 : NULL;
                if (!line && s->shared_cache && r->cache_key[0])
                    line = s->shared_cache->lookup(s->shared_cache->ctx, r->cache_key);
                r->cached_line = line ? cached_for(r, line) : NULL;
                free(line);
                if (r->cached_line) {
                    body_template_clear(&own);
                    free(filled);
                    return r;
                }
            }
            send_image(r, s, prompt, t, *scratch, (size_t)len, format_name);
        }
    }
    body_template_clear(&own);
    free(filled);
    return r;
}

/* What the journal says of an item of a resumed job. */
typedef enum {
    VERDICT_SEND,      /* not finished before: prepared and sent */
    VERDICT_DONE,      /* finished for good: passed over, its line is replayed */
    VERDICT_UNCHANGED, /* answered, and its file was touched without a change */
    VERDICT_CHANGED,   /* answered, but its file's bytes are not those answered */
    VERDICT_UNKNOWN    /* the journal cannot tell: the run must stop */
} verdict_t;

/* Whether the file at path still holds the bytes row's answer is of. The same size and
 * mtime as journaled: yes, without reading it; another size: no. Otherwise (the same
 * size, another mtime; or no stamp) its bytes are hashed (read into the thread's scratch
 * buffer) and compared with row's content_hash, which is of the file's bytes as read,
 * before any resize or conversion (prepare_one), so like is compared with like. A row of
 * a journal older than schema 4 has no stamp: its file is hashed each run until a run
 * journals one (results_record_unchanged). Sets *touched to a request carrying the
 * item's new stamp when the bytes are the same but the stamp is not. A file that cannot
 * be read counts as unchanged (as before: the item was done). */
static bool same_bytes(const prepare_settings_t *s, const input_item_t *item,
                       const journal_item_row_t *row, unsigned char **scratch,
                       size_t *scratch_cap, request_t **touched)
{
    struct stat st;
    if (stat(item->path, &st) != 0)
        return true;
    long long mtime_ns = file_mtime_ns(&st);
    if (row->stamped && row->file_size == (long long)st.st_size && row->file_mtime_ns == mtime_ns)
        return true;
    if (row->stamped && row->file_size != (long long)st.st_size)
        return false; /* other bytes for sure (and maybe too large to read now) */
    request_t *r = calloc(1, sizeof *r);
    if (!r)
        return true;
    long len =
        request_read_file(r, item->path, s->max_image_bytes, scratch, scratch_cap);
    char hash[sizeof r->content_hash] = "sha256:";
    if (len >= 0)
        hash_sha256_hex(*scratch, (size_t)len, hash + 7);
    bool same = len < 0 || strcmp(hash, row->content_hash) == 0;
    if (same && len >= 0 && r->file_stamped)
        *touched = r;
    else
        request_free(r);
    return same;
}

/* Whether an earlier run of the job finished the item for good: its line is replayed
 * from the journal, so it is neither read nor sent again. An item in a provider batch
 * (batched) is passed over too: its answer comes from that batch, collected by a
 * batch_api run, and sending it again would pay for it twice. An answered item from a
 * local file is sent again when its bytes changed (same_bytes); a failed one follows
 * --retry-failed alone, and a URL has no bytes to compare. Fills *row from the journal;
 * *touched as same_bytes does. */
static verdict_t journal_verdict(const prepare_settings_t *s, journal_reader_t *reader,
                                 const input_item_t *item, journal_item_row_t *row,
                                 unsigned char **scratch, size_t *scratch_cap,
                                 request_t **touched)
{
    *touched = NULL;
    if (!reader || !s->resuming || !item->id)
        return VERDICT_SEND;
    if (journal_reader_item(reader, item->id, row) != 0)
        return VERDICT_UNKNOWN;
    /* a job begun by a version that gave a walked file another id knows it by that one */
    if (row->state == JOURNAL_NONE && item->legacy_id) {
        if (journal_reader_item(reader, item->legacy_id, row) != 0)
            return VERDICT_UNKNOWN;
        row->by_legacy_id = row->state != JOURNAL_NONE;
    }
    if (row->state == JOURNAL_OK && item->path && !item->is_url && !item->batch_body &&
        !item->error_kind && row->content_hash[0] &&
        !same_bytes(s, item, row, scratch, scratch_cap, touched))
        return VERDICT_CHANGED;
    if (*touched)
        return VERDICT_UNCHANGED;
    return row->state == JOURNAL_OK || row->state == JOURNAL_BATCHED ||
                   (row->state == JOURNAL_FAILED && !s->retry_failed)
               ? VERDICT_DONE
               : VERDICT_SEND;
}

int prepare_item_done(const prepare_settings_t *s, journal_reader_t *reader,
                      const input_item_t *item)
{
    journal_item_row_t row;
    request_t *touched;
    unsigned char *scratch = NULL;
    size_t scratch_cap = 0;
    verdict_t v = journal_verdict(s, reader, item, &row, &scratch, &scratch_cap, &touched);
    request_free(touched);
    free(scratch);
    return v == VERDICT_UNKNOWN ? -1 : v == VERDICT_DONE || v == VERDICT_UNCHANGED;
}

/* Whether resume.c held item's earlier line back from the replay for this thread's
 * change check (prepare_settings_t.replay_held). */
static bool replay_was_held(const prepare_settings_t *s, const input_item_t *item)
{
    return s->replay_held && item->id && idset_has(s->replay_held, item->id, strlen(item->id));
}

/* A request that stops the run: the journal could not say whether item id is done. */
static request_t *journal_failure(const char *id)
{
    request_t *r = calloc(1, sizeof *r);
    if (r) {
        r->fatal = 1;
        r->error_kind = "journal";
        snprintf(r->error_message, sizeof r->error_message,
                 "the journal cannot say whether %.300s is done", id);
    }
    return r;
}

static void *prepare_thread(void *arg)
{
    worker_t *w = arg;
    prepare_t *p = w->pool;
    unsigned char *scratch = NULL;
    size_t scratch_cap = 0;
    for (;;) {
        input_item_t item;
        pthread_mutex_lock(&p->input_lock);
        int got = input_next(p->input, &item);
        pthread_mutex_unlock(&p->input_lock);
        if (!got)
            break;
        journal_item_row_t row = {0};
        request_t *r = NULL;
        verdict_t verdict =
            journal_verdict(p->settings, w->reader, &item, &row, &scratch, &scratch_cap, &r);
        if (row.by_legacy_id) { /* the job goes on under the id it knows the item by */
            free(item.id);
            item.id = item.legacy_id;
            item.legacy_id = NULL;
        }
        if (verdict == VERDICT_UNKNOWN) {
            request_t *f = journal_failure(item.id);
            input_item_clear(&item);
            if (f && queue_push(p->ready, f) != 0)
                request_free(f);
            break;
        }
        bool held = verdict != VERDICT_SEND && replay_was_held(p->settings, &item);
        if (verdict == VERDICT_DONE && !held) {
            input_item_clear(&item);
            continue;
        }
        if (verdict == VERDICT_DONE && !(r = calloc(1, sizeof *r))) {
            input_item_clear(&item);
            continue;
        }
        if (verdict == VERDICT_UNCHANGED || verdict == VERDICT_DONE) {
            /* the loop thread journals its new stamp, replays its line if held back */
            r->item = item;
            r->unchanged = 1;
        } else if (p->settings->skip_all && atomic_load(p->settings->skip_all)) {
            /* the budget is used up: the item is only reported, its file not read */
            if ((r = calloc(1, sizeof *r))) {
                r->item = item;
                r->skipped = 1;
            } else {
                input_item_clear(&item);
            }
        } else {
            r = prepare_one(p->settings, &item, &scratch, &scratch_cap, w->reader);
        }
        if (!r)
            continue; /* out of memory: the item cannot even be reported */
        if (verdict == VERDICT_CHANGED) { /* a new image under a known id */
            r->changed = 1;
            r->superseded_usd = row.cost_usd;
        }
        r->replay_held = held;
        if (queue_push(p->ready, r) != 0) {
            request_free(r);
            break;
        }
        /* Large images leave a large scratch buffer behind: give it back. */
        if (scratch_cap > 4 * 1024 * 1024) {
            free(scratch);
            scratch = NULL;
            scratch_cap = 0;
        }
    }
    free(scratch);
    queue_producer_done(p->ready);
    return NULL;
}

static void prepare_free(prepare_t *p)
{
    for (int i = 0; i < p->nworkers; i++)
        journal_reader_close(p->workers[i].reader);
    pthread_mutex_destroy(&p->input_lock);
    free(p->workers);
    free(p);
}

prepare_t *prepare_start(input_t *in, queue_t *ready, const prepare_settings_t *s, int threads,
                         char *err, size_t errlen)
{
    prepare_t *p = calloc(1, sizeof *p);
    if (!p || threads < 1 || !(p->workers = calloc((size_t)threads, sizeof *p->workers))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->input = in;
    p->ready = ready;
    p->settings = s;
    p->nworkers = threads;
    pthread_mutex_init(&p->input_lock, NULL);
    /* A journal connection per thread, only when there is something to look up: a fresh
     * job with an empty cache has no finished item and no cached answer. Opened here so
     * that a journal that cannot be read stops the run before anything is sent. */
    bool lookups = s->journal_path && (s->resuming || s->use_cache);
    for (int i = 0; i < threads; i++) {
        p->workers[i].pool = p;
        if (lookups && !(p->workers[i].reader = journal_reader_open(s->journal_path, err, errlen))) {
            prepare_free(p);
            return NULL;
        }
    }
    queue_set_producers(ready, threads);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->workers[i].thread, NULL, prepare_thread, &p->workers[i]) != 0) {
            /* the threads not started count as done */
            for (int j = i; j < threads; j++)
                queue_producer_done(ready);
            break;
        }
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        snprintf(err, errlen, "cannot start preparing threads");
        prepare_free(p);
        return NULL;
    }
    return p;
}

void prepare_join(prepare_t *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->workers[i].thread, NULL);
    prepare_free(p);
}
