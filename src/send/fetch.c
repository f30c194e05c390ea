/* fetch.c - the --fetch-urls stage: one thread, one libcurl multi handle (fetch.h). */
#include "send/fetch.h"
#include "send/fetch_tmpdir.h"

#include "send/fetch_policy.h"
#include "send/curl_common.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One download: the item it is for and the file its body goes to. */
typedef struct transfer {
    CURL *easy;
    input_item_t item;
    FILE *file;
    char path[4096];
    size_t got;   /* body bytes written so far */
    size_t cap;   /* ... at most (--max-image-bytes) */
    int over_cap; /* the body passed max_image_bytes: stopped */
    char error[CURL_ERROR_SIZE];
} transfer_t;

struct fetch {
    input_t *inner;
    input_t *output; /* input_new_source over this stage: what prepare reads */
    const vb_options_t *o;
    const prepare_settings_t *ps; /* or NULL */
    journal_reader_t *reader;     /* the thread's, when ps resumes a job */
    size_t cap;                   /* transfers at once */
    char dir[4000];               /* the private temporary directory (< path's size) */
    unsigned long files;          /* names handed out in dir */

    CURLM *multi;
    transfer_t *slots; /* cap of them; easy == NULL: free */
    size_t active;
    bool inner_done;

    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* an item queued or taken, the thread done, a stop */
    input_item_t *queue;    /* ring of 2 x cap items ready to be taken */
    size_t qcap, qhead, qlen;
    bool done, stopping;
};

/* Appends item to the ready ring (the caller made room: see take_more). */
static void queue_put(fetch_t *f, input_item_t *item)
{
    pthread_mutex_lock(&f->lock);
    f->queue[(f->qhead + f->qlen) % f->qcap] = *item;
    f->qlen++;
    memset(item, 0, sizeof *item);
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

/* Turns item into a fetch_failed error item naming url (without query or credentials). */
static void item_fail(input_item_t *item, const char *reason)
{
    char url[1024], msg[1400];
    fetch_url_for_message(item->source ? item->source : "", url, sizeof url);
    snprintf(msg, sizeof msg, "cannot fetch %s: %s", url, reason);
    free(item->error_kind);
    free(item->error_message);
    item->error_kind = strdup("fetch_failed");
    item->error_message = strdup(msg);
    item->is_url = 0;
}

/* Writes a body chunk to the transfer's file. Returning less than asked stops the
 * transfer: a write error, or a body past the cap (a chunked body has no Content-Length
 * for CURLOPT_MAXFILESIZE_LARGE to refuse up front). */
static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    transfer_t *t = arg;
    size_t len = size * n;
    if (len > t->cap - t->got) {
        t->over_cap = 1;
        return 0;
    }
    t->got += len;
    return fwrite(data, 1, len, t->file) == len ? len : 0;
}

/* Starts downloading item's URL in a free slot, or fails the item (no file, no handle).
 * Takes the item. */
static void transfer_start(fetch_t *f, input_item_t *item)
{
    transfer_t *t = NULL;
    for (size_t i = 0; i < f->cap && !t; i++)
        if (!f->slots[i].easy)
            t = &f->slots[i];
    int fd = -1;
    if (t) {
        memset(t, 0, sizeof *t);
        snprintf(t->path, sizeof t->path, "%s/%lu", f->dir, ++f->files);
        fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (!t || fd < 0 || !(t->file = fdopen(fd, "wb")) || !(t->easy = curl_easy_init())) {
        char why[300];
        snprintf(why, sizeof why, "cannot start the download: %s",
                 fd < 0 && t ? strerror(errno) : "out of memory");
        if (t) {
            if (t->file)
                fclose(t->file);
            else if (fd >= 0)
                close(fd);
            if (fd >= 0)
                unlink(t->path);
            memset(t, 0, sizeof *t);
        }
        item_fail(item, why);
        queue_put(f, item);
        return;
    }
    t->item = *item;
    t->cap = f->o->max_image_bytes;
    memset(item, 0, sizeof *item);
    CURL *c = t->easy;
    curl_common_setopts(c, f->o, t->item.source); /* TLS, CAs, proxies, user agent */
    curl_easy_setopt(c, CURLOPT_URL, t->item.source);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->error);
    /* a download carries no API key, so it may follow redirects, but only to http(s) */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRECTS);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, FETCH_PROTOCOLS);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o->max_image_bytes);
    /* libcurl counts a transfer's time from when it is added: a wait for a connection to
     * a host already at --fetch-per-host counts too */
    long timeout_ms = (long)(f->o->timeout_s * 1000);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (curl_multi_add_handle(f->multi, c) != CURLM_OK) {
        curl_easy_cleanup(c);
        fclose(t->file);
        unlink(t->path);
        item_fail(&t->item, "cannot start the download");
        queue_put(f, &t->item);
        memset(t, 0, sizeof *t);
        return;
    }
    f->active++;
}

/* Ends the transfer of easy handle c with result code: its item comes out as the local
 * copy, or as a fetch_failed error item. Frees the slot. */
static void transfer_finish(fetch_t *f, CURL *c, CURLcode code)
{
    transfer_t *t = NULL;
    for (size_t i = 0; i < f->cap && !t; i++)
        if (f->slots[i].easy == c)
            t = &f->slots[i];
    if (!t)
        return;
    fetch_outcome_t out = {.code = code,
                           .over_cap = t->over_cap,
                           .cap = f->o->max_image_bytes,
                           .timeout_s = f->o->timeout_s,
                           .curl_error = t->error};
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.http_status);
    curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &out.redirects);
    curl_multi_remove_handle(f->multi, c);
    curl_easy_cleanup(c);
    bool written = fclose(t->file) == 0;
    if (fetch_outcome_ok(&out) && written) {
        t->item.path = strdup(t->path);
        t->item.path_is_temp = t->item.path != NULL;
        t->item.is_url = 0;
        if (!t->item.path) {
            unlink(t->path);
            item_fail(&t->item, "out of memory");
        }
    } else {
        unlink(t->path);
        char why[300];
        if (fetch_outcome_ok(&out))
            snprintf(why, sizeof why, "cannot write the downloaded copy");
        else
            fetch_failure_reason(&out, why, sizeof why);
        item_fail(&t->item, why);
    }
    queue_put(f, &t->item);
    memset(t, 0, sizeof *t);
    f->active--;
}

/* Takes items from the inner input while a transfer slot and room in the ready ring
 * are free (what is downloading counts against the ring, so a finished download always
 * has room): a URL starts downloading, anything else (a URL item the job has finished
 * too) is queued as it is. */
static void take_more(fetch_t *f)
{
    for (;;) {
        pthread_mutex_lock(&f->lock);
        bool room = !f->stopping && f->qlen + f->active < f->qcap;
        pthread_mutex_unlock(&f->lock);
        if (!room || f->inner_done || f->active >= f->cap)
            return;
        input_item_t item;
        memset(&item, 0, sizeof item);
        if (!input_next(f->inner, &item)) {
            f->inner_done = true;
            return;
        }
        /* -1 (the journal cannot tell) downloads it: prepare asks again and stops */
        if (item.is_url && !item.error_kind &&
            !(f->reader && prepare_item_done(f->ps, f->reader, &item) == 1))
            transfer_start(f, &item);
        else
            queue_put(f, &item);
    }
}

static void *fetch_thread(void *arg)
{
    fetch_t *f = arg;
    for (;;) {
        take_more(f);
        pthread_mutex_lock(&f->lock);
        bool stop = f->stopping;
        if (!stop && f->active == 0 && !f->inner_done && f->qlen >= f->qcap)
            /* the ring is full of items nobody has taken yet: wait for room */
            pthread_cond_wait(&f->changed, &f->lock);
        pthread_mutex_unlock(&f->lock);
        if (stop || (f->active == 0 && f->inner_done))
            break;
        if (f->active == 0)
            continue;
        int running = 0;
        curl_multi_perform(f->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(f->multi, &left)))
            if (m->msg == CURLMSG_DONE)
                transfer_finish(f, m->easy_handle, m->data.result);
        if (f->active > 0)
            curl_multi_poll(f->multi, NULL, 0, 100, NULL);
    }
    pthread_mutex_lock(&f->lock);
    f->done = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* input_source_t.next: the next ready item, waiting for one while downloads go on. */
static int source_next(void *ctx, input_item_t *item)
{
    fetch_t *f = ctx;
    pthread_mutex_lock(&f->lock);
    while (f->qlen == 0 && !f->done && !f->stopping)
        pthread_cond_wait(&f->changed, &f->lock);
    int got = f->qlen > 0 && !f->stopping;
    if (got) {
        *item = f->queue[f->qhead];
        memset(&f->queue[f->qhead], 0, sizeof *item);
        f->qhead = (f->qhead + 1) % f->qcap;
        f->qlen--;
        pthread_cond_broadcast(&f->changed); /* room for the thread */
    }
    pthread_mutex_unlock(&f->lock);
    return got;
}

/* input_source_t.stop: no more items will be taken; the downloads end. */
static void source_stop(void *ctx)
{
    fetch_t *f = ctx;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    if (f->multi)
        curl_multi_wakeup(f->multi);
}

static const input_source_t fetch_source = {.next = source_next, .stop = source_stop};

fetch_t *fetch_start(input_t *inner, const vb_options_t *o, const prepare_settings_t *ps, char *err,
                     size_t errlen)
{
    fetch_t *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    f->inner = inner;
    f->o = o;
    f->ps = ps;
    long want = o->fetch_concurrency > 0 ? o->fetch_concurrency : FETCH_DEFAULT_CONCURRENCY;
    f->cap = (size_t)want;
    f->qcap = 2 * f->cap;
    if (fetch_tmpdir_make(f->dir, sizeof f->dir, err, errlen) != 0) {
        fetch_free(f);
        return NULL;
    }
    if (!(f->slots = calloc(f->cap, sizeof *f->slots)) ||
        !(f->queue = calloc(f->qcap, sizeof *f->queue)) || !(f->multi = curl_multi_init()) ||
        !(f->output = input_new_source(&fetch_source, f))) {
        snprintf(err, errlen, "out of memory");
        fetch_free(f);
        return NULL;
    }
    if (ps && ps->resuming && ps->journal_path &&
        !(f->reader = journal_reader_open(ps->journal_path, err, errlen))) {
        fetch_free(f);
        return NULL;
    }
    long per_host = o->fetch_per_host > 0 ? o->fetch_per_host : FETCH_DEFAULT_PER_HOST;
    curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, want);
    curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
    if (pthread_create(&f->thread, NULL, fetch_thread, f) != 0) {
        snprintf(err, errlen, "--fetch-urls: cannot start the download thread");
        fetch_free(f);
        return NULL;
    }
    f->started = true;
    return f;
}

input_t *fetch_input(fetch_t *f)
{
    return f->output;
}

void fetch_free(fetch_t *f)
{
    if (!f)
        return;
    source_stop(f);
    if (f->started)
        pthread_join(f->thread, NULL);
    for (size_t i = 0; f->slots && i < f->cap; i++) {
        transfer_t *t = &f->slots[i];
        if (!t->easy)
            continue;
        curl_multi_remove_handle(f->multi, t->easy);
        curl_easy_cleanup(t->easy);
        fclose(t->file);
        unlink(t->path);
        input_item_clear(&t->item);
    }
    for (size_t i = 0; f->queue && i < f->qlen; i++) /* removes the copies not taken */
        input_item_clear(&f->queue[(f->qhead + i) % f->qcap]);
    if (f->dir[0])
        rmdir(f->dir); /* empty now: every copy was read, or removed with its item */
    curl_multi_cleanup(f->multi);
    journal_reader_close(f->reader);
    input_free(f->output);
    free(f->slots);
    free(f->queue);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
    free(f);
}
