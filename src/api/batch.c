/* batch.c - the public side of batch-API jobs: cancelling a job's provider batches. */
#include <visionbatch.h>

#include "send/batchapi.h"

#include <stdio.h>

int vb_batch_cancel(const vb_options_t *o, long *cancelled, char *err, size_t errlen)
{
    long n = 0;
    int rc = batchapi_cancel_job(o, &n, err, errlen);
    if (cancelled)
        *cancelled = n;
    return rc;
}
