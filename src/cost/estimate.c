/* estimate.c - a job's requests, tokens and errors, counted from image headers.
 *
 * Items come from the input list one at a time under a lock (input_next is not
 * thread-safe); each thread then opens its item's file, reads the header and tail, and
 * adds to its own totals, which are summed at the end. Memory is one item per thread. */
#include "cost/estimate.h"

#include "input/file_kind.h"

#include "media/hash.h"
#include "media/image.h"
#include "media/image_header.h"
#include "media/resize.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define THREADS_MAX 16

typedef struct worker worker_t;

typedef struct shared {
    input_t *in;
    const estimate_settings_t *s;
    tokens_model_t rule;
    estimate_error_fn on_error;
    void *arg;
    pthread_mutex_t lock; /* guards in and on_error */
} shared_t;

struct worker {
    pthread_t thread;
    shared_t *sh;
    estimate_t sum;
    unsigned char *scratch; /* the image's bytes, when they are hashed */
    size_t scratch_cap;
};

/* "sha256:" and the hex digest, as prepare.c names an image's content. */
#define CONTENT_HASH_LEN (7 + HASH_HEX_LEN + 1)

/* Adds count errors of kind to e's per-kind table ("other" once it is full). */
static void kinds_add(estimate_t *e, const char *kind, long count)
{
    size_t i = 0;
    while (i < e->n_kinds && strcmp(e->kinds[i].kind, kind) != 0)
        i++;
    if (i == e->n_kinds) {
        if (e->n_kinds == ESTIMATE_KINDS_MAX) {
            i = ESTIMATE_KINDS_MAX - 1;
            snprintf(e->kinds[i].kind, sizeof e->kinds[i].kind, "other");
        } else {
            snprintf(e->kinds[i].kind, sizeof e->kinds[i].kind, "%s", kind);
            e->kinds[i].count = 0;
            e->n_kinds++;
        }
    }
    e->kinds[i].count += count;
}

/* Counts an error item and reports it. */
static void item_error(worker_t *w, const input_item_t *item, const char *kind, const char *message)
{
    shared_t *sh = w->sh;
    w->sum.errors++;
    kinds_add(&w->sum, kind, 1);
    if (!sh->on_error)
        return;
    pthread_mutex_lock(&sh->lock);
    sh->on_error(item->source ? item->source : item->id ? item->id : "?", kind, message, sh->arg);
    pthread_mutex_unlock(&sh->lock);
}

/* Reads the size bytes of fd from its start into w's scratch and writes their content
 * hash into hash, as prepare.c does for dedupe and the result cache. Returns 0, or -1
 * after reporting the item as an error. */
static int item_hash(worker_t *w, const input_item_t *item, int fd, size_t size,
                     char hash[CONTENT_HASH_LEN])
{
    if (size + 1 > w->scratch_cap) {
        unsigned char *p = realloc(w->scratch, size + 1);
        if (!p) {
            item_error(w, item, "internal", "out of memory reading the image");
            return -1;
        }
        w->scratch = p;
        w->scratch_cap = size + 1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, w->scratch + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char why[300];
            snprintf(why, sizeof why, "cannot read: %s", n < 0 ? strerror(errno) : "file shrank");
            item_error(w, item, "unreadable", why);
            return -1;
        }
        got += (size_t)n;
    }
    memcpy(hash, "sha256:", 7);
    hash_sha256_hex(w->scratch, size, hash + 7);
    return 0;
}

/* Width and height of the local image at path, read from its header, and with hash not
 * NULL its content hash. Returns 0, or -1 after reporting the item as an error (with the
 * kinds a run would give it). */
static int item_measure(worker_t *w, const input_item_t *item, unsigned *width, unsigned *height,
                        char *hash)
{
    char why[300];
    image_info_t info;
    struct stat st;
    /* what is not a regular file is refused unopened, as prepare.c does */
    int fd = stat(item->path, &st) != 0 ? -1
             : S_ISREG(st.st_mode)      ? open(item->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
                                        : -2;
    if (fd == -2) {
        snprintf(why, sizeof why, "%s, not an image file", file_kind_type_name(st.st_mode));
        item_error(w, item, "not_a_file", why);
        return -1;
    }
    if (fd < 0) {
        const char *kind = file_kind_open_error(item->path, errno, why, sizeof why);
        item_error(w, item, kind, why);
        return -1;
    }
    int rc = -1;
    if (fstat(fd, &st) != 0) {
        snprintf(why, sizeof why, "cannot stat: %s", strerror(errno));
        item_error(w, item, "unreadable", why);
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(why, sizeof why, "%s, not an image file", file_kind_type_name(st.st_mode));
        item_error(w, item, "not_a_file", why);
    } else if (w->sh->s->max_image_bytes && (size_t)st.st_size > w->sh->s->max_image_bytes) {
        snprintf(why, sizeof why, "file is %lld bytes, over the limit of %zu bytes",
                 (long long)st.st_size, w->sh->s->max_image_bytes);
        item_error(w, item, "too_large", why);
    } else {
        image_status_t status =
            image_header_probe_fd(fd, (unsigned long long)st.st_size, &info, why, sizeof why);
        if (status != IMAGE_OK) {
            item_error(w, item, image_status_kind(status), why);
        } else if (!hash || item_hash(w, item, fd, (size_t)st.st_size, hash) == 0) {
            *width = info.width;
            *height = info.height;
            rc = 0;
        }
    }
    close(fd);
    return rc;
}

/* Tokens of the text the request carries besides the image: the prompt, the system
 * prompt (one more message, as the providers and the simulator count it) and the
 * per-message overhead. */
static unsigned long text_tokens(const estimate_settings_t *s, const char *prompt)
{
    unsigned long text =
        tokens_text_estimate(prompt, strlen(prompt)) + ESTIMATE_MESSAGE_OVERHEAD_TOKENS;
    if (s->system && s->system[0])
        text += tokens_text_estimate(s->system, strlen(s->system)) +
                ESTIMATE_MESSAGE_OVERHEAD_TOKENS;
    return text;
}

/* Prices a good image of width x height with prompt, at the size a run sends it
 * (resize.c), unless the run would not send it (a cached answer, a copy). */
static void item_price(worker_t *w, const input_item_t *item, const char *prompt,
                       const char *hash, unsigned width, unsigned height)
{
    const estimate_settings_t *s = w->sh->s;
    const estimate_hooks_t *h = s->hooks;
    estimate_verdict_t v = h && h->verdict ? h->verdict(h->ctx, item, prompt, hash) : ESTIMATE_SEND;
    if (v == ESTIMATE_CACHED) {
        w->sum.cached++;
        return;
    }
    if (v == ESTIMATE_COPY) {
        w->sum.copies++;
        return;
    }
    if (!item->is_url && (s->resize_auto || s->max_side > 0))
        resize_target(s->model, s->detail_name ? s->detail_name : "auto", width, height,
                      (unsigned)s->max_side, s->resize_auto, &width, &height);
    w->sum.images++;
    w->sum.image_tokens += tokens_image(&w->sh->rule, width, height, s->detail);
    if (s->group_size > 1 && !item->prompt) { /* the text is counted per group */
        w->sum.grouped++;
        return;
    }
    w->sum.requests++;
    w->sum.text_tokens += text_tokens(s, prompt);
}

/* Adds the requests and text of the grouped images to e, as full groups of
 * s->group_size and one short group (a group of one goes as a single image). Returns 0,
 * or -1 when out of memory. */
static int groups_price(estimate_t *e, const estimate_settings_t *s)
{
    const estimate_hooks_t *h = s->hooks;
    long size = s->group_size, full = e->grouped / size, rest = e->grouped % size;
    for (int pass = 0; pass < 2; pass++) {
        long n = pass ? rest : size, count = pass ? (rest > 0) : full;
        if (count == 0)
            continue;
        char *text = n == 1 ? strdup(s->prompt ? s->prompt : "")
                     : h && h->group_text ? h->group_text(h->ctx, (size_t)n)
                                          : NULL;
        if (!text)
            return -1;
        e->requests += count;
        e->text_tokens += (unsigned long long)count * text_tokens(s, text);
        free(text);
    }
    return 0;
}

/* Adds one item to the worker's totals, deciding as prepare.c does: the journal first,
 * then the item's own error, its prompt, its image. */
static void item_estimate(worker_t *w, const input_item_t *item)
{
    const estimate_settings_t *s = w->sh->s;
    const estimate_hooks_t *h = s->hooks;
    unsigned width = ESTIMATE_URL_SIDE, height = ESTIMATE_URL_SIDE;
    char why[300], hash[CONTENT_HASH_LEN] = "";
    int done = h && h->done ? h->done(h->ctx, item) : 0;
    if (done != 0) {
        if (done > 0)
            w->sum.done++;
        else
            item_error(w, item, "journal", "the journal cannot say whether it is done");
        return;
    }
    if (item->error_kind) {
        item_error(w, item, item->error_kind, item->error_message ? item->error_message : "");
        return;
    }
    if (item->batch_body) { /* its body is its own: not estimated (yet) */
        item_error(w, item, "unsupported", "OpenAI batch request lines are not estimated");
        return;
    }
    char *filled = NULL;
    const char *prompt = item->prompt ? item->prompt : s->prompt ? s->prompt : "";
    if (h && h->prompt) {
        if (!(filled = h->prompt(h->ctx, item, why, sizeof why))) {
            item_error(w, item, "template", why);
            return;
        }
        prompt = filled;
    }
    if (item->is_url)
        w->sum.urls++;
    else if (item_measure(w, item, &width, &height, h && h->hash_images ? hash : NULL) != 0)
        goto out;
    item_price(w, item, prompt, hash, width, height);
out:
    free(filled);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    shared_t *sh = w->sh;
    for (;;) {
        input_item_t item;
        memset(&item, 0, sizeof item);
        pthread_mutex_lock(&sh->lock);
        int more = input_next(sh->in, &item);
        pthread_mutex_unlock(&sh->lock);
        if (!more)
            break;
        item_estimate(w, &item);
        input_item_clear(&item);
    }
    free(w->scratch);
    w->scratch = NULL;
    return NULL;
}

/* Threads to use: the setting, else one per CPU, at least 2 (header reads wait on the
 * disk as much as on the CPU) and at most 4. */
static int threads_pick(int want)
{
    if (want > 0)
        return want > THREADS_MAX ? THREADS_MAX : want;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 2 ? 2 : cpus > 4 ? 4 : (int)cpus;
}

int estimate_run(input_t *in, const estimate_settings_t *s, estimate_error_fn on_error, void *arg,
                 estimate_t *out, char *err, size_t errlen)
{
    shared_t sh = {.in = in, .s = s, .on_error = on_error, .arg = arg};
    worker_t workers[THREADS_MAX];
    int n = threads_pick(s->threads), started = 0, rc = 0;

    memset(out, 0, sizeof *out);
    memset(workers, 0, sizeof workers);
    out->model_known = tokens_model_lookup(s->model, &sh.rule) == 0;
    if (!out->model_known)
        tokens_model_lookup("gpt-4o", &sh.rule);
    if (pthread_mutex_init(&sh.lock, NULL) != 0) {
        snprintf(err, errlen, "cannot create a lock");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        workers[i].sh = &sh;
        int e = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
        if (e != 0) {
            if (started == 0) {
                snprintf(err, errlen, "cannot start a thread: %s", strerror(e));
                rc = -1;
            }
            break; /* the threads that started do the work */
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        const estimate_t *t = &workers[i].sum;
        out->images += t->images;
        out->requests += t->requests;
        out->grouped += t->grouped;
        out->urls += t->urls;
        out->errors += t->errors;
        out->done += t->done;
        out->cached += t->cached;
        out->copies += t->copies;
        out->image_tokens += t->image_tokens;
        out->text_tokens += t->text_tokens;
        for (size_t k = 0; k < t->n_kinds; k++)
            kinds_add(out, t->kinds[k].kind, t->kinds[k].count);
    }
    pthread_mutex_destroy(&sh.lock);
    if (out->grouped > 0 && groups_price(out, s) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    out->input_tokens = out->image_tokens + out->text_tokens;
    if (s->max_tokens > 0)
        out->output_tokens_max =
            (unsigned long long)out->images * (unsigned long long)s->max_tokens;
    else
        out->output_unbounded = out->images > 0;
    return rc;
}

void estimate_cost(const estimate_t *e, const pricing_entry_t *price, int batch, double *low,
                   double *high)
{
    long in = (long)e->input_tokens;
    *low = pricing_cost(price, in, 0, batch);
    *high = e->output_unbounded ? -1.0
                                : pricing_cost(price, in, (long)e->output_tokens_max, batch);
}

double estimate_seconds_at_limits(const estimate_t *e, double rpm, double tpm)
{
    double minutes = -1.0;
    if (rpm > 0)
        minutes = (double)e->requests / rpm;
    if (tpm > 0) {
        double m = (double)(e->input_tokens + e->output_tokens_max) / tpm;
        if (m > minutes)
            minutes = m;
    }
    return minutes < 0 ? -1.0 : minutes * 60.0;
}
