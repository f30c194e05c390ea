/* fetch_urls.c - the --fetch-urls settings a job and an estimate both check. */
#include "api/api_internal.h"

#include "send/fetch.h"
#include "send/curl_common.h"

#include <stdio.h>

int api_fetch_options_check(const vb_options_t *o, char *err, size_t errlen)
{
    if (!o->fetch_urls)
        return 0;
    if (o->fetch_concurrency < 1 || o->fetch_concurrency > FETCH_MAX_CONCURRENCY ||
        o->fetch_per_host < 1 || o->fetch_per_host > FETCH_MAX_CONCURRENCY) {
        snprintf(err, errlen, "--fetch-concurrency and --fetch-per-host must be from 1 to %d",
                 FETCH_MAX_CONCURRENCY);
        return -1;
    }
    if (!(o->timeout_s > 0)) {
        snprintf(err, errlen, "timeout must be more than 0 seconds");
        return -1;
    }
    return curl_common_check_ca(o, err, errlen); /* the downloads verify TLS as API calls */
}
