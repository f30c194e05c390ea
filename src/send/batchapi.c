/* batchapi.c - the batch sender's loop (see batchapi.h).
 *
 * Each turn: prepared requests go into the chunk being built (a lines file and a line
 * each in the journal, the item marked "batched"); a full chunk, or the last one once
 * the input is used up, is sealed (its upload file framed); then each open chunk takes
 * its next step when due: upload, create, poll, and once final, collect
 * (batchapi_collect.c). Every step is committed to the journal before the network call
 * that follows it, so a rerun after a kill -9 knows what the provider holds:
 *   building -> sealed -> uploaded -> creating -> submitted -> collected
 * A "creating" chunk found at start is looked for among the provider's batches by its
 * tags (OpenAI metadata, Gemini display name) before it is created again. */
#include "send/batchapi_internal.h"

#include "send/batchapi_chunk.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_BACKOFF_MAX_S 600.0

double batchapi_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Adds chunk c to the open ones. Each has an allocation of its own: a step holding one
 * may seal a new chunk (a resubmission) and so grow the array. */
static int add_open(batchapi_t *b, const journal_chunk_t *c, uint64_t due_ns)
{
    if (b->n_open == b->cap_open) {
        size_t cap = b->cap_open ? b->cap_open * 2 : 8;
        open_chunk_t **grown = realloc(b->open, cap * sizeof *grown);
        if (!grown)
            return -1;
        b->open = grown;
        b->cap_open = cap;
    }
    open_chunk_t *oc = calloc(1, sizeof *oc);
    if (!oc)
        return -1;
    oc->c = *c;
    oc->due_ns = due_ns;
    b->open[b->n_open++] = oc;
    return 0;
}

static int load_open(const journal_chunk_t *c, void *ctx)
{
    batchapi_t *b = ctx;
    return add_open(b, c, 0);
}

/* The job's tag in the provider's batches: kept in the journal so every run tags alike. */
static int job_tag(batchapi_t *b)
{
    journal_t *j = b->e->journal;
    char *tag = journal_meta_get(j, "batch_job_tag");
    if (tag) {
        snprintf(b->job_tag, sizeof b->job_tag, "%s", tag);
        free(tag);
        return 0;
    }
    unsigned char raw[8];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(raw, 1, sizeof raw, f) : 0;
    if (f)
        fclose(f);
    if (got != sizeof raw)
        return -1;
    snprintf(b->job_tag, sizeof b->job_tag, "vb%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1],
             raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
    return journal_meta_set(j, "batch_job_tag", b->job_tag) == 0 && journal_tick(j, 1) == 0 ? 0
                                                                                             : -1;
}

batchapi_t *batchapi_new(engine_t *e, char *err, size_t errlen)
{
    const batch_codec_t *codec = batch_codec_for(e->provider);
    if (!codec) {
        snprintf(err, errlen, "%s has no batch API visionbatch can use", e->provider->name);
        return NULL;
    }
    if (!e->journal) {
        snprintf(err, errlen, "--batch-api needs --journal FILE");
        return NULL;
    }
    batchapi_t *b = calloc(1, sizeof *b);
    if (!b || !(b->http = batchapi_http_new(e->provider, e->o))) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->e = e;
    b->codec = codec;
    b->ops = batchapi_http_ops(b->http);
    b->max_lines = codec->max_lines;
    if (e->o->batch_api_max_lines > 0 && e->o->batch_api_max_lines < b->max_lines)
        b->max_lines = e->o->batch_api_max_lines;
    b->max_bytes = codec->max_bytes;
    b->token_cap = e->o->max_enqueued_tokens;
    if (chunk_dir(e->o->journal, b->dir, sizeof b->dir, err, errlen) != 0)
        goto fail;
    if (job_tag(b) != 0) {
        snprintf(err, errlen, "cannot write the journal: %s", journal_errmsg(e->journal));
        goto fail;
    }
    b->next_number = journal_chunk_next_number(e->journal);
    if (b->next_number < 1 || journal_chunk_foreach(e->journal, 1, load_open, b) < 0) {
        snprintf(err, errlen, "cannot read the journal's batches: %s", journal_errmsg(e->journal));
        goto fail;
    }
    batchapi_fallback_resume(b);
    /* the lines earlier runs left open hold their budget until they are in (a batch job
     * has no shared budget: --redis is refused with --batch-api) */
    double open_reserved = journal_batch_open_reserved(e->journal);
    if (open_reserved > 0)
        e->cost.budget.reserved += open_reserved;
    return b;
fail:
    batchapi_free(b);
    return NULL;
}

void batchapi_free(batchapi_t *b)
{
    if (!b)
        return;
    if (b->build_file)
        fclose(b->build_file);
    batchapi_http_free(b->http);
    for (size_t i = 0; i < b->n_open; i++)
        free(b->open[i]);
    free(b->open);
    free(b);
}

long batchapi_open_batches(const batchapi_t *b)
{
    return b ? (long)b->n_open : 0;
}

/* Starts a new chunk to build. Returns 0, or -1. */
static int build_begin(batchapi_t *b)
{
    engine_t *e = b->e;
    journal_chunk_t *c = &b->build;
    memset(c, 0, sizeof *c);
    snprintf(c->key, sizeof c->key, "c%06ld", b->next_number++);
    c->state = CHUNK_BUILDING;
    snprintf(c->provider, sizeof c->provider, "%s", e->provider->name);
    snprintf(c->base_url, sizeof c->base_url, "%s", e->o->base_url);
    snprintf(c->model, sizeof c->model, "%s", e->o->model);
    c->succeeded = c->failed = c->pending = -1;
    c->created_at = batchapi_wall_now();
    c->bytes = (long long)strlen(b->codec->file_head) + (long long)strlen(b->codec->file_tail);
    char lines[PATH_MAX];
    chunk_paths(b->dir, c->key, lines, NULL, sizeof lines);
    if (!(b->build_file = fopen(lines, "wb")) || journal_chunk_add(e->journal, c) != 0)
        return -1;
    b->building = true;
    b->build_line_no = 0;
    return 0;
}

/* What sealing a chunk reads back from the journal about its lines. */
typedef struct seal_ctx {
    batchapi_t *b;
    const char *key;
    double est_tokens, reserved_usd;
} seal_ctx_t;

/* Whether custom_id is an open line of the chunk being sealed (the journal's word; a
 * line written before a crash but never journaled is not), adding up its estimates. */
static int line_is_open(const char *custom_id, void *ctx)
{
    seal_ctx_t *s = ctx;
    journal_batch_line_t l;
    int found = journal_batch_line_get(s->b->e->journal, custom_id, &l);
    int open = found == 1 && !l.done && !l.copy_of && strcmp(l.chunk, s->key) == 0;
    if (open) {
        s->est_tokens += l.est_tokens;
        s->reserved_usd += l.reserved_usd;
    }
    if (found == 1)
        journal_batch_line_clear(&l);
    return open;
}

/* Frames chunk c's upload file from its open lines and marks it sealed. */
static int seal_chunk(batchapi_t *b, journal_chunk_t *c, char *err, size_t errlen)
{
    char lines[PATH_MAX], upload[PATH_MAX];
    chunk_paths(b->dir, c->key, lines, upload, sizeof lines);
    seal_ctx_t s = {.b = b, .key = c->key};
    if (chunk_frame(b->codec, lines, upload, c->model, line_is_open, &s, &c->bytes, &c->lines,
                    err, errlen) != 0)
        return -1;
    if (c->lines > 0 && chunk_sync(b->dir, c->key) != 0) {
        snprintf(err, errlen, "cannot write the batch files of %s (is the disk full?)", c->key);
        return -1;
    }
    c->est_tokens = s.est_tokens;
    c->reserved_usd = s.reserved_usd;
    c->state = c->lines > 0 ? CHUNK_SEALED : CHUNK_COLLECTED;
    c->updated_at = batchapi_wall_now();
    if (c->lines == 0)
        chunk_remove_files(b->dir, c->key);
    if (journal_chunk_update(b->e->journal, c) == 0 && journal_tick(b->e->journal, 1) == 0)
        return 0;
    snprintf(err, errlen, "the journal cannot be written (is the disk full?)");
    return -1;
}

int batchapi_seal(batchapi_t *b)
{
    if (!b->building)
        return 0;
    fclose(b->build_file);
    b->build_file = NULL;
    b->building = false;
    journal_chunk_t c = b->build;
    char err[512];
    if (seal_chunk(b, &c, err, sizeof err) != 0) {
        engine_stop(b->e, err);
        return -1;
    }
    return c.state == CHUNK_SEALED ? add_open(b, &c, 0) : 0;
}

/* The estimated tokens of the batches submitted or being submitted. */
static double enqueued_tokens(const batchapi_t *b)
{
    double sum = 0;
    for (size_t i = 0; i < b->n_open; i++)
        if (b->open[i]->c.state >= CHUNK_UPLOADED) /* on its way: counts from its upload */
            sum += b->open[i]->c.est_tokens;
    return sum;
}

int batchapi_add_line(batchapi_t *b, journal_batch_line_t *line, const char *body, size_t len)
{
    engine_t *e = b->e;
    char cid[BATCH_CUSTOM_ID_MAX + 1];
    long framed = 0;
    for (int tries = 0; tries < 2; tries++) {
        if (!b->building && build_begin(b) != 0) {
            engine_stop(e, "cannot start a batch file next to the journal (is the disk full?)");
            return -1;
        }
        snprintf(cid, sizeof cid, "%s-%06ld", b->build.key, b->build_line_no + 1);
        framed = line->copy_of ? 0 : chunk_framed_bytes(b->codec, cid, len, line->model);
        if (framed < 0) {
            engine_stop(e, "out of memory framing a batch line");
            return -1;
        }
        bool full = b->build.lines > 0 &&
                    (b->build.lines >= b->max_lines ||
                     (size_t)(b->build.bytes + framed) > b->max_bytes ||
                     (b->token_cap > 0 &&
                      b->build.est_tokens + line->est_tokens > b->token_cap));
        if (!full || line->copy_of)
            break;
        if (batchapi_seal(b) != 0)
            return -1;
    }
    snprintf(line->custom_id, sizeof line->custom_id, "%s", cid);
    snprintf(line->chunk, sizeof line->chunk, "%s", b->build.key);
    b->build_line_no++;
    if (!line->copy_of) {
        if (chunk_append(b->build_file, cid, body, len) != 0) {
            engine_stop(e, "cannot write a batch file next to the journal (is the disk full?)");
            return -1;
        }
        b->build.lines++;
        b->build.bytes += framed;
        b->build.est_tokens += line->est_tokens;
        b->build.reserved_usd += line->reserved_usd;
    }
    if (journal_batch_line_add(e->journal, line) != 0) {
        engine_stop(e, "the journal cannot be written; stopping so nothing is paid for twice");
        return -1;
    }
    return 0;
}

/* The request r goes into the chunk being built: journaled as a line, its budget held
 * at the batch price, or, as a copy of an item already in a batch, journaled to share
 * that item's answer. Frees r. */
static void take_request(batchapi_t *b, request_t *r)
{
    engine_t *e = b->e;
    journal_batch_line_t line = {0};
    char first[BATCH_CUSTOM_ID_MAX + 1] = "";
    line.item_id = r->item.id;
    line.source = r->item.source;
    line.hash = r->content_hash[0] ? r->content_hash : NULL;
    line.meta_json = r->item.meta_json;
    line.cache_key = r->cache_key[0] ? r->cache_key : NULL;
    line.model = r->model;
    line.attempt = 1;
    line.est_tokens = r->token_estimate;
    if (!e->o->no_dedupe && r->cache_key[0] &&
        journal_batch_first_by_key(e->journal, r->cache_key, first, sizeof first) == 1) {
        line.copy_of = first; /* the same image and request is in a batch already */
        if (r->changed) /* its result comes back without r's bookkeeping */
            results_count_changed(&e->out, r);
        batchapi_add_line(b, &line, NULL, 0);
        request_free(r);
        return;
    }
    if (e->cost.budget.limit > 0) {
        double worst = job_cost_worst(&e->cost, r->model, r->input_tokens_worst,
                                      r->max_tokens > 0 ? r->max_tokens : e->o->max_tokens);
        if (worst < 0) {
            request_fail(r, "unknown_price",
                         "no price is known for model %.100s, so --budget cannot be kept: "
                         "add it with --pricing FILE",
                         r->model);
            results_record_unsent(&e->out, r);
            request_free(r);
            return;
        }
        if (budget_reserve(&e->cost.budget, worst) != 0) {
            e->cost.budget_out = true; /* not even this one fits: the rest is skipped */
            atomic_store(&e->skip_all, 1);
            results_record_skipped(&e->out, r, e->cost.budget.limit);
            request_free(r);
            return;
        }
        line.reserved_usd = worst;
    }
    if (r->image_tokens_saved > 0)
        e->out.sum->image_tokens_saved += (long)r->image_tokens_saved;
    if (r->changed)
        results_count_changed(&e->out, r);
    batchapi_add_line(b, &line, r->body, r->body_len);
    request_free(r);
}

/* Whether a sealed chunk may wait no longer for room under the enqueued-token cap. */
static bool room_to_submit(const batchapi_t *b, const journal_chunk_t *c)
{
    double open = enqueued_tokens(b);
    if (b->hold_until_empty && open > 0)
        return false;
    return !(b->token_cap > 0) || open == 0 || open + c->est_tokens <= b->token_cap;
}

/* Sealed chunks waiting for room: while one waits, no more are built. */
static bool submission_blocked(const batchapi_t *b)
{
    for (size_t i = 0; i < b->n_open; i++)
        if (b->open[i]->c.state == CHUNK_SEALED && !room_to_submit(b, &b->open[i]->c))
            return true;
    return false;
}

/* Takes prepared requests into chunks while there is room. */
static void fill(batchapi_t *b)
{
    engine_t *e = b->e;
    while (!e->stopping && !submission_blocked(b)) {
        request_t *r = queue_try_pop(e->ready);
        if (!r)
            return;
        if (r->fatal) {
            engine_stop(e, r->error_message);
            request_free(r);
            return;
        }
        if (r->unchanged) {
            results_record_unchanged(&e->out, r);
        } else if (r->cached_line) {
            results_record_cached(&e->out, r);
        } else if (r->error_kind) {
            results_record_unsent(&e->out, r);
        } else if (r->skipped || e->cost.budget_out) {
            results_record_skipped(&e->out, r, e->cost.budget.limit);
        } else if (r->model && strcmp(r->model, e->o->model) != 0) {
            request_fail(r, "invalid_request",
                         "the line names model %.100s, not the job's %.100s: a provider batch "
                         "holds one model (run those lines as a job of their own)",
                         r->model, e->o->model);
            results_record_unsent(&e->out, r);
        } else {
            take_request(b, r);
            continue;
        }
        request_free(r);
    }
}

/* A call failed without an answer that says it never can succeed: try again later,
 * backing off from the poll interval to POLL_BACKOFF_MAX_S. */
static void later(batchapi_t *b, open_chunk_t *oc, uint64_t now, const char *what, const char *err)
{
    oc->errors++;
    double wait = b->e->o->poll_interval_s;
    for (int i = 1; i < oc->errors && wait < POLL_BACKOFF_MAX_S; i++)
        wait *= 2;
    if (wait > POLL_BACKOFF_MAX_S)
        wait = POLL_BACKOFF_MAX_S;
    oc->due_ns = now + (uint64_t)(wait * 1e9);
    log_message(VB_LOG_NOTICE, "batch %s: %s failed (%s); trying again in %.0f s", oc->c.key, what, err,
           wait);
}

/* An answer that means no call of this job can succeed (a bad key, no access). */
static bool fatal_status(long status)
{
    return status == 401 || status == 403;
}

static int save(batchapi_t *b, journal_chunk_t *c)
{
    c->updated_at = batchapi_wall_now();
    if (journal_chunk_update(b->e->journal, c) != 0 || journal_tick(b->e->journal, 1) != 0) {
        engine_stop(b->e, "the journal cannot be written; stopping so nothing is paid for twice "
                          "(is the disk full?)");
        return -1;
    }
    return 0;
}

static void submit_fill(batchapi_t *b, batch_submit_t *s, const journal_chunk_t *c, char *upload,
                        size_t n)
{
    chunk_paths(b->dir, c->key, NULL, upload, n);
    *s = (batch_submit_t){.base_url = c->base_url,
                          .model = c->model,
                          .upload_path = upload,
                          .upload_bytes = (size_t)c->bytes,
                          .lines = c->lines,
                          .job_tag = b->job_tag,
                          .chunk_tag = c->key,
                          .secret = b->e->o->api_key};
}

/* Copies a batch object's state and counts into the chunk. */
static void take_status(journal_chunk_t *c, const batch_status_t *st)
{
    if (st->id[0])
        snprintf(c->batch_id, sizeof c->batch_id, "%s", st->id);
    snprintf(c->remote_state, sizeof c->remote_state, "%s",
             st->state_word[0] ? st->state_word : batch_remote_state_name(st->state));
    c->succeeded = st->succeeded;
    c->failed = st->failed;
    c->pending = st->pending;
}

/* The chunk's lines failed as a whole (a create refused for good): each line's item
 * gets the error. */
static void fail_chunk(batchapi_t *b, open_chunk_t *oc, const char *kind, const char *message);

/* Uploads a sealed chunk. */
static void step_upload(batchapi_t *b, open_chunk_t *oc, uint64_t now)
{
    char upload[PATH_MAX], err[700];
    batch_submit_t s;
    submit_fill(b, &s, &oc->c, upload, sizeof upload);
    if (b->codec->upload) {
        long status = 0;
        if (b->codec->upload(&b->ops, &s, oc->c.file_ref, sizeof oc->c.file_ref, &status, err,
                             sizeof err) != 0) {
            if (fatal_status(status))
                engine_stop(b->e, err);
            else if (status >= 400 && status < 500 && status != 429 && status != 408)
                fail_chunk(b, oc, "invalid_request", err);
            else
                later(b, oc, now, "upload", err);
            return;
        }
    }
    oc->errors = 0;
    oc->c.state = CHUNK_UPLOADED;
    save(b, &oc->c);
}

/* Creates the batch of an uploaded chunk: "creating" is journaled first, so a crash
 * between the call and its answer leaves a trace the next run looks for. */
static void step_create(batchapi_t *b, open_chunk_t *oc, uint64_t now)
{
    char upload[PATH_MAX], err[700];
    batch_submit_t s;
    submit_fill(b, &s, &oc->c, upload, sizeof upload);
    oc->c.state = CHUNK_CREATING;
    if (save(b, &oc->c) != 0)
        return;
    batch_status_t st;
    memset(&st, 0, sizeof st);
    long status = 0;
    if (b->codec->create(&b->ops, &s, oc->c.file_ref, &st, &status, err, sizeof err) != 0) {
        if (status == 0 || status >= 500 || (status >= 200 && status < 300)) {
            /* no answer, a gateway's 5xx or an answer that cannot be read: the batch may
             * exist; it is looked up before it is created again */
            later(b, oc, now, "create", err);
        } else if (fatal_status(status)) {
            oc->c.state = CHUNK_UPLOADED; /* refused: nothing was created */
            engine_stop(b->e, err);
        } else if (status == 429 || status == 408 ||
                   (status == 400 && oc->errors < 3 && strstr(err, "file"))) {
            oc->c.state = CHUNK_UPLOADED; /* "Cannot find file" right after an upload */
            later(b, oc, now, "create", err);
        } else {
            fail_chunk(b, oc, "invalid_request", err);
            return;
        }
        save(b, &oc->c);
        return;
    }
    oc->errors = 0;
    take_status(&oc->c, &st);
    oc->c.state = CHUNK_SUBMITTED;
    oc->c.submitted_at = batchapi_wall_now();
    if (save(b, &oc->c) != 0)
        return;
    oc->polled = true; /* --no-wait: a batch just created needs no look before exiting */
    b->e->out.sum->batch_jobs_submitted++;
    b->e->out.sum->requests += oc->c.lines;
    oc->due_ns = now + (uint64_t)(b->e->o->poll_interval_s * 1e9);
    log_message(VB_LOG_NOTICE, "batch %s: %ld lines submitted as %s", oc->c.key, oc->c.lines,
           oc->c.batch_id);
}

/* A chunk whose create may have happened before a crash: adopts the provider's batch
 * tagged with it, else creates it (Anthropic's batches carry no tag: see the README). */
static void step_find(batchapi_t *b, open_chunk_t *oc, uint64_t now)
{
    char upload[PATH_MAX], err[700];
    batch_submit_t s;
    submit_fill(b, &s, &oc->c, upload, sizeof upload);
    if (!b->codec->find) {
        log_message(VB_LOG_WARNING,
                    "batch %s: the answer to creating it was lost (a stop, a 5xx, a garbled "
                    "answer); %s batches carry no tag to look it up by, so it is created again "
                    "(check the provider's console for a duplicate created at %.0f)",
                    oc->c.key, b->codec->name, oc->c.updated_at);
        oc->c.state = CHUNK_UPLOADED;
        step_create(b, oc, now);
        return;
    }
    batch_status_t st;
    memset(&st, 0, sizeof st);
    int found = b->codec->find(&b->ops, &s, &st, err, sizeof err);
    if (found < 0) {
        later(b, oc, now, "looking up", err);
        return;
    }
    if (found == 0) {
        oc->c.state = CHUNK_UPLOADED;
        step_create(b, oc, now);
        return;
    }
    take_status(&oc->c, &st);
    oc->c.state = CHUNK_SUBMITTED;
    oc->c.submitted_at = batchapi_wall_now();
    log_message(VB_LOG_NOTICE, "batch %s: found at the provider as %s after a stop", oc->c.key,
           oc->c.batch_id);
    save(b, &oc->c);
}

/* Polls a submitted chunk; a final one is collected. */
static void step_poll(batchapi_t *b, open_chunk_t *oc, uint64_t now)
{
    char err[700];
    batch_status_t st;
    memset(&st, 0, sizeof st);
    long status = 0;
    if (b->codec->poll(&b->ops, oc->c.base_url, oc->c.batch_id, b->e->o->api_key, &st, &status,
                       err, sizeof err) != 0) {
        if (fatal_status(status))
            engine_stop(b->e, err);
        else
            later(b, oc, now, "poll", err);
        return;
    }
    oc->errors = 0;
    oc->polled = true;
    const vb_options_t *o = b->e->o;
    if (o->fallback_online && o->fallback_after_s > 0 && !oc->fallback &&
        !batch_remote_final(st.state) &&
        batchapi_wall_now() - oc->c.submitted_at >= o->fallback_after_s) {
        if (b->codec->cancel(&b->ops, oc->c.base_url, oc->c.batch_id, o->api_key, err,
                             sizeof err) == 0) {
            oc->fallback = true;
            log_message(VB_LOG_NOTICE,
                        "batch %s waited %.0f s: cancelled; what did not run goes online",
                        oc->c.key, batchapi_wall_now() - oc->c.submitted_at);
        }
    }
    take_status(&oc->c, &st);
    oc->st = st;
    oc->c.updated_at = batchapi_wall_now();
    journal_chunk_update(b->e->journal, &oc->c);
    if (!batch_remote_final(st.state)) {
        oc->due_ns = now + (uint64_t)(b->e->o->poll_interval_s * 1e9);
        return;
    }
    if (st.state == BATCH_REMOTE_FAILED && strcmp(st.error_code, "token_limit_exceeded") == 0)
        log_message(VB_LOG_WARNING,
               "batch %s: the provider's enqueued-token limit was reached (%s); its lines go "
               "again, in smaller batches, once the open ones end",
               oc->c.key, st.error_message);
    if (batchapi_collect(b, oc, err, sizeof err) != 0)
        later(b, oc, now, "reading the results", err);
}

/* Gives every open chunk whose time has come its next step. Collected chunks leave. */
static void step_open(batchapi_t *b, uint64_t now)
{
    for (size_t i = 0; i < b->n_open && !b->e->stopping; i++) {
        open_chunk_t *oc = b->open[i];
        if (oc->due_ns > now)
            continue;
        switch (oc->c.state) {
        case CHUNK_BUILDING: /* left by a crash: seal what was journaled */
        {
            char err[512];
            if (seal_chunk(b, &oc->c, err, sizeof err) != 0)
                engine_stop(b->e, err);
            break;
        }
        case CHUNK_SEALED:
            if (room_to_submit(b, &oc->c))
                step_upload(b, oc, now);
            break;
        case CHUNK_UPLOADED:
            step_create(b, oc, now);
            break;
        case CHUNK_CREATING:
            step_find(b, oc, now);
            break;
        case CHUNK_SUBMITTED:
            step_poll(b, oc, now);
            break;
        default:
            break;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < b->n_open; i++) {
        if (b->open[i]->c.state != CHUNK_COLLECTED && b->open[i]->c.state != CHUNK_ABANDONED)
            b->open[kept++] = b->open[i];
        else
            free(b->open[i]);
    }
    b->n_open = kept;
    if (b->n_open == 0)
        b->hold_until_empty = false;
}

static void fail_chunk(batchapi_t *b, open_chunk_t *oc, const char *kind, const char *message)
{
    batchapi_fail_lines(b, oc, kind, message);
    oc->c.state = CHUNK_ABANDONED;
    save(b, &oc->c);
    chunk_remove_files(b->dir, oc->c.key);
}

/* Fills the live statistics' batch fields. */
static void batch_stats(batchapi_t *b, uint64_t now)
{
    vb_stats_t *s = &b->e->live;
    s->batch_open = (long)b->n_open;
    s->batch_collected = b->e->out.sum->batch_jobs_collected;
    long lines = 0, done = 0;
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < b->n_open; i++) {
        lines += b->open[i]->c.lines;
        if (b->open[i]->c.succeeded > 0)
            done += b->open[i]->c.succeeded;
        if (b->open[i]->c.failed > 0)
            done += b->open[i]->c.failed;
        if (b->open[i]->due_ns < next)
            next = b->open[i]->due_ns;
    }
    s->batch_lines_open = lines;
    s->batch_provider_done = done;
    s->batch_next_poll_s = next == UINT64_MAX ? -1 : next > now ? (double)(next - now) / 1e9 : 0;
}

/* Whether the loop is done: everything has a result, or (no-wait) everything that can be
 * is submitted and every open batch was looked at once. */
static bool finished(const batchapi_t *b)
{
    engine_t *e = b->e;
    if (e->stopping)
        return true;
    if (!queue_drained(e->ready) || b->building || batchapi_fallback_busy(b))
        return false;
    if (!e->o->batch_no_wait)
        return b->n_open == 0;
    for (size_t i = 0; i < b->n_open; i++)
        if (b->open[i]->c.state != CHUNK_SUBMITTED || !b->open[i]->polled)
            return false;
    return true;
}

static int sleep_ms(const batchapi_t *b, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < b->n_open; i++)
        if (b->open[i]->due_ns < next)
            next = b->open[i]->due_ns;
    int cap = 100; /* new work, a cancel, a redraw */
    if (b->e->wake_ns < next) /* a fallback request's retry falls due */
        next = b->e->wake_ns;
    if (next <= now)
        return 0;
    uint64_t ms = (next - now) / 1000000;
    return ms < (uint64_t)cap ? (int)ms : cap;
}

void batchapi_loop(batchapi_t *b)
{
    engine_t *e = b->e;
    b->uploaded_before = e->out.sum->bytes_uploaded;
    for (;;) {
        if (e->cancel && *e->cancel && !e->grace_deadline) {
            /* detach: the batches go on at the provider; requests --fallback-online has
             * on the wire get the grace period to finish, as online */
            e->grace_deadline = clock_now(&e->clock) + (uint64_t)(e->o->grace_s * 1e9) + 1;
            e->stopping = true;
            queue_cancel(e->ready);
        }
        if (e->grace_deadline) {
            if (e->pool.in_flight == 0 || clock_now(&e->clock) >= e->grace_deadline)
                break;
            engine_take_finished(e);
            curl_multi_poll(e->pool.multi, NULL, 0, 100, NULL);
            continue;
        }
        fill(b);
        if (b->building && queue_drained(e->ready) && !e->stopping)
            batchapi_seal(b);
        uint64_t now = clock_now(&e->clock);
        step_open(b, now);
        if (batchapi_fallback_busy(b)) { /* --fallback-online: the engine sends them */
            batchapi_fallback_feed(b, now);
            engine_dispatch(e);
            while (engine_take_finished(e) > 0)
                engine_dispatch(e);
        }
        batch_stats(b, now);
        engine_save_total(e);
        e->out.sum->bytes_uploaded = b->uploaded_before + batchapi_http_uploaded(b->http);
        engine_publish(e, false);
        if (journal_tick(e->journal, 0) != 0)
            engine_stop(e, "the journal cannot be written; stopping so nothing is paid for twice "
                           "(is the disk full?)");
        if (finished(b))
            break;
        curl_multi_poll(e->pool.multi, NULL, 0, sleep_ms(b, clock_now(&e->clock)), NULL);
    }
    if (b->building) /* its lines are journaled: the next run seals and sends them */
        journal_chunk_update(e->journal, &b->build);
    batch_stats(b, clock_now(&e->clock));
    e->out.sum->bytes_uploaded = b->uploaded_before + batchapi_http_uploaded(b->http);
    journal_tick(e->journal, 1);
    if (b->fallback_copies > 0)
        log_message(VB_LOG_WARNING,
                    "%ld copies of images sent online by --fallback-online have no line yet: "
                    "run the same command again to write them (answered from the result "
                    "cache, nothing is sent)",
                    b->fallback_copies);
}
