/* sim_request.h - what the simulator knows about a valid request, whichever protocol it
 * came in (OpenAI chat/completions, Anthropic Messages, Gemini generateContent): its
 * model, images, text and output settings, so that billing, limits and answers are
 * shared. Also the image checks every protocol's parser needs: base64 decoding, the
 * format from the bytes against the declared media type, a full decode. */
#ifndef VB_SIM_REQUEST_H
#define VB_SIM_REQUEST_H

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
    int heif;               /* HEIC/HEIF (Gemini only): format is IMAGE_UNKNOWN */
    image_format_t format;  /* from the bytes; IMAGE_UNKNOWN for a URL or HEIF */
    unsigned width, height; /* 0 for a URL */
    detail_t detail;
} sim_image_t;

typedef struct {
    char *model;         /* owned */
    sim_image_t *images; /* n_images, in request order; owned */
    size_t n_images;
    size_t images_cap;
    size_t n_messages;         /* messages (and a system prompt), for the per-message tokens */
    unsigned long text_tokens; /* tokens_text_estimate summed over every text */
    unsigned long max_tokens;  /* the output cap the request set; 0 when absent */
    int asks_json_array;       /* a text part asks for a "JSON array" (a batch of images) */
    char *response_format;     /* a structured answer, in OpenAI's shape whichever protocol
                                  asked: compact JSON of {"type":"json_object"} or
                                  {"type":"json_schema","json_schema":{"schema":...}}
                                  (owned), or NULL: a text answer */
    int mentions_json;         /* some message text says "json" (any case) */
    int thinking_off;          /* Gemini: thinkingConfig.thinkingBudget 0 */
} sim_request_t;

/* Frees what req owns and zeroes it. req may be NULL. */
void sim_request_free(sim_request_t *req);

/* Appends img to req's images. Returns 0, or -1 when out of memory (req unchanged). The
 * protocols check their own image-count limits before. */
int sim_request_add_image(sim_request_t *req, const sim_image_t *img);

/* Names img by the SHA-256 of data[0..len) (the image's bytes, or a URL's text). */
void sim_image_set_hash(sim_image_t *img, const void *data, size_t len);

/* Adds text[0..len) to req's text tokens, and notes whether it asks for a JSON array or
 * mentions JSON. */
void sim_request_add_text(sim_request_t *req, const char *text, size_t len);

/* The outcome of sim_image_check_base64. */
typedef enum {
    SIM_IMAGE_OK = 0,
    SIM_IMAGE_NO_MEMORY,
    SIM_IMAGE_EMPTY,      /* no data */
    SIM_IMAGE_BAD_BASE64, /* not valid padded base64 */
    SIM_IMAGE_TOO_LARGE,  /* decoded bytes over cfg->max_image_bytes */
    SIM_IMAGE_NOT_IMAGE,  /* no image format we know of (or one no API takes) */
    SIM_IMAGE_MISMATCH,   /* an image, but not of the declared type: see found_mime */
    SIM_IMAGE_CORRUPT,    /* the declared type, but truncated or undecodable */
} sim_image_status_t;

/* Decodes the base64 b64[0..len) and checks it is a complete image of the declared MIME
 * type (image/jpeg, image/png, image/webp, image/gif, or image/heic / image/heif, which
 * are measured from their headers but not decoded); the caller has checked that its
 * protocol takes that type. Decodes the pixels fully unless cfg->header_check_only. On
 * SIM_IMAGE_OK fills img's format, size and hash (img's other fields untouched). On
 * SIM_IMAGE_MISMATCH sets *found_mime to the type the bytes are (static). Writes a reason
 * into why for the failures. Thread-safe. */
sim_image_status_t sim_image_check_base64(const sim_config_t *cfg, const char *b64, size_t len,
                                          const char *declared_mime, sim_image_t *img,
                                          const char **found_mime, char *why, size_t whylen);

/* Whether mime[0..len) names HEIC/HEIF ("image/heic", "image/heif"). */
int sim_image_mime_is_heif(const char *mime, size_t len);

/* The short name of img's format for answers: "png", "jpeg", "heif", "unknown". */
const char *sim_image_format_name(const sim_image_t *img);

/* Fills e as an out-of-memory failure (status 500). Returns -1. */
int sim_error_no_memory(sim_error_t *e);

#endif
