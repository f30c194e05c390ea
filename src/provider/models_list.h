/* models_list.h - what the providers' model listings share (provider_t.models_parse):
 * reading a {"data":[{"id":...}]} list. Pure. */
#ifndef VB_MODELS_LIST_H
#define VB_MODELS_LIST_H

#include "provider/provider.h"

#include <stdbool.h>
#include <stddef.h>

/* A {"data":[{"id":...}]} listing answered with status: whether model is among the ids
 * (an id with a ":latest" tag names the model without it, and the other way round;
 * MODELS_CANNOT_TELL when status is not 200, the list is missing or empty, or has_more
 * says a later page may hold it), the first few ids comma-separated into listed. */
models_verdict_t models_data_listing(long status, const char *body, size_t len, const char *model,
                                     char *listed, size_t listed_len);

#endif
