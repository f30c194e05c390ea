/* sim_validate.h - checks a chat/completions body the way a strict provider does and
 * extracts what billing and the answer need. */
#ifndef VB_SIM_VALIDATE_H
#define VB_SIM_VALIDATE_H

#include <stddef.h>

#include "media/hash.h"
#include "media/image.h"
#include "sim_config.h"
#include "sim_reply.h"
#include "cost/tokens.h"

#define SIM_MAX_IMAGES_PER_REQUEST 500

typedef struct {
    unsigned char digest[SIM_DIGEST_LEN]; /* SHA-256 of the decoded bytes, or of the URL */
    char hash_hex[HASH_HEX_LEN + 1];
    int is_url;             /* an http(s) URL, not fetched: no format or size */
    image_format_t format;  /* from the bytes; IMAGE_UNKNOWN for a URL */
    unsigned width, height; /* 0 for a URL */
    detail_t detail;
} sim_image_t;

typedef struct {
    char *model;         /* owned */
    sim_image_t *images; /* n_images, in request order; owned */
    size_t n_images;
    size_t n_messages;
    unsigned long text_tokens; /* tokens_text_estimate summed over every text */
    unsigned long max_tokens;  /* max_completion_tokens or max_tokens; 0 when absent */
    int asks_json_array;       /* a text part asks for a "JSON array" (a batch of images) */
    char *response_format;     /* compact JSON of a json_object / json_schema
                                  response_format (owned), or NULL: a text answer */
    int mentions_json;         /* some message text says "json" (any case) */
} sim_request_t;

/* Parses and validates body[0..len) against cfg's limits. On success returns 0 and fills
 * *req (free with sim_request_free). On failure returns -1, fills *err (status 400) and
 * leaves *req empty. Decodes every image fully, so it is slow for large images; safe to
 * call from many threads at once. */
int sim_request_parse(const char *body, size_t len, const sim_config_t *cfg, sim_request_t *req,
                      sim_error_t *err);

/* Frees what req owns and zeroes it. req may be NULL. */
void sim_request_free(sim_request_t *req);

#endif
