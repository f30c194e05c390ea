/* fetch.h - --fetch-urls: URL images downloaded by the client before they are prepared.
 *
 * A stage between the input and the preparing threads. One thread of its own drives a
 * libcurl multi handle: it takes the inner input's items in order, passes an item that is
 * not a URL through as it is, and downloads a URL item (at most `concurrency` at once, at
 * most `per_host` to one host) into a private temporary directory (mkdtemp, mode 0700).
 * A downloaded item comes out as a local file item (path = the copy, path_is_temp set; id,
 * source, prompt and meta unchanged), so it is checked, hashed, deduplicated, cached and
 * resized as any file; a download that fails comes out as a fetch_failed error item
 * naming the URL (no query string, no credentials) and the reason. Items may come out in
 * another order than they went in.
 *
 * Transfers follow at most FETCH_MAX_REDIRECTS redirects, to http(s) only; each has
 * --timeout to connect and --timeout in all; a body over --max-image-bytes is cut off;
 * TLS, CAs and proxies are those of API calls (curl_common.h). Memory and disk stay
 * bounded by the concurrency: no more than 2 x concurrency items are downloading or
 * waiting to be taken, and the reader removes each copy once read (input_item_clear
 * removes a copy nobody read). */
#ifndef VB_FETCH_H
#define VB_FETCH_H

#include "input/input.h"
#include "prepare/prepare.h"

#include <stddef.h>
#include <visionbatch.h>

/* Defaults of --fetch-concurrency and --fetch-per-host; a sane upper bound for both. */
#define FETCH_DEFAULT_CONCURRENCY 16
#define FETCH_DEFAULT_PER_HOST    4
#define FETCH_MAX_CONCURRENCY     256

typedef struct fetch fetch_t;

/* Starts the stage over inner (which it reads from its own thread from now on: nobody
 * else may call input_next on it until fetch_free). o gives the TLS/proxy settings,
 * timeout_s, max_image_bytes, fetch_concurrency and fetch_per_host. ps (NULL: none, as
 * for an estimate) is the run's: when it resumes a job, a URL item the journal says is
 * finished (prepare_item_done) passes on undownloaded, as prepare passes it over unread.
 * o, inner and ps must outlive the stage. Returns NULL with a reason in err (no
 * temporary directory, the journal unreadable, out of memory, no thread). */
fetch_t *fetch_start(input_t *inner, const vb_options_t *o, const prepare_settings_t *ps, char *err,
                     size_t errlen);

/* The stage's output, as an input: its items come from the stage (input_next waits for
 * one) and input_stop ends the downloads. input_copy gives an empty list: count inner's
 * items instead (there are as many). Owned by f. */
input_t *fetch_input(fetch_t *f);

/* Stops the downloads, joins the thread, removes the copies not yet taken and the
 * temporary directory, and frees f. NULL is a no-op. */
void fetch_free(fetch_t *f);

#endif
