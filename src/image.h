/* image.h - recognising, validating and measuring images from their bytes.
 *
 * The format always comes from the bytes (libvips' loaders sniff them), never from a
 * file name, so a PNG named .jpg is a PNG. Only what vision APIs accept is "supported":
 * JPEG, PNG, WebP and non-animated GIF. */
#ifndef VB_IMAGE_H
#define VB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    IMAGE_UNKNOWN = 0,
    IMAGE_JPEG,
    IMAGE_PNG,
    IMAGE_WEBP,
    IMAGE_GIF,
} image_format_t;

typedef struct {
    image_format_t format;
    unsigned width;
    unsigned height;
    unsigned pages; /* frames of an animation; 1 for a still image */
} image_info_t;

/* Why an image was refused; the error kind written to the output record. */
typedef enum {
    IMAGE_OK = 0,
    IMAGE_ERR_EMPTY,       /* zero bytes */
    IMAGE_ERR_NOT_IMAGE,   /* no image format recognised in the bytes */
    IMAGE_ERR_UNSUPPORTED, /* an image, but a format the APIs do not take */
    IMAGE_ERR_CORRUPT,     /* header unreadable, truncated, or zero-sized */
    IMAGE_ERR_ANIMATED,    /* animated GIF/WebP */
} image_status_t;

/* Sets up libvips for probing: call once from main before any thread probes. Returns 0,
 * or -1 with a message in err. */
int image_global_init(const char *argv0, char *err, size_t errlen);

/* Ends libvips; call once at exit after every thread is done. */
void image_global_cleanup(void);

/* Identifies data[0..len) and reads its header (width, height, frames) without decoding
 * the pixels, then checks that the file is complete (its format's end marker is there).
 * On IMAGE_OK fills *info. Otherwise writes a one-line reason into err. Thread-safe. */
image_status_t image_probe(const unsigned char *data, size_t len, image_info_t *info, char *err,
                           size_t errlen);

/* Decodes every pixel of data[0..len) and fails on any decoder error: what a strict
 * provider does before billing an image. Costly; the simulator uses it. Returns 0, or
 * -1 with a reason in err. Thread-safe. */
int image_decode_check(const unsigned char *data, size_t len, char *err, size_t errlen);

/* "image/jpeg", "image/png", "image/webp", "image/gif", or NULL for IMAGE_UNKNOWN. */
const char *image_mime(image_format_t format);

/* The format of a MIME type as used in data URLs, or IMAGE_UNKNOWN. */
image_format_t image_format_from_mime(const char *mime, size_t len);

/* "invalid_image", "unsupported_format", ... : the error kind for a status. */
const char *image_status_kind(image_status_t status);

#endif
