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
    int cmyk;        /* CMYK pixels (JPEG): sent converted to sRGB */
    int deep;        /* more than 8 bits per sample (16-bit PNG): sent as 8-bit */
    int orientation; /* EXIF orientation 1..8 (1: upright); others are sent rotated */
    int alpha;       /* has an alpha channel */
} image_info_t;

/* Images whose header declares more pixels than this (or a side longer than
 * IMAGE_MAX_SIDE) are refused before any pixel is decoded: a few KB of PNG can declare
 * gigapixels (a decompression bomb). No provider keeps more than ~8000 x 8000 either. */
#define IMAGE_MAX_PIXELS (100ULL * 1000 * 1000)
#define IMAGE_MAX_SIDE   32767U

/* Why an image was refused; the error kind written to the output record. */
typedef enum {
    IMAGE_OK = 0,
    IMAGE_ERR_EMPTY,       /* zero bytes */
    IMAGE_ERR_NOT_IMAGE,   /* no image format recognised in the bytes */
    IMAGE_ERR_UNSUPPORTED, /* an image, but a format the APIs do not take */
    IMAGE_ERR_CORRUPT,     /* header unreadable, truncated, or zero-sized */
    IMAGE_ERR_ANIMATED,    /* animated GIF/WebP */
    IMAGE_ERR_TOO_MANY_PIXELS, /* declared dimensions over IMAGE_MAX_PIXELS / _SIDE */
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

/* Decodes every pixel of data[0..len) and fails on any decoder error or warning: what a
 * strict provider does before billing an image. The simulator uses it, and so does
 * prepare.c before sending: a scan with corrupt data is only found by decoding it whole
 * (libvips' shrink-on-load stops before what it would complain about). A JPEG goes to
 * jpeg_check (every compressed byte decoded, pixels at 1/8 scale, a few harmless
 * warnings tolerated); any other format is decoded by libvips with fail_on=warning.
 * Costs one sequential decode (memory: a few lines of pixels). Returns 0, or -1 with a
 * reason in err. Thread-safe. */
int image_decode_check(const unsigned char *data, size_t len, char *err, size_t errlen);

/* "image/jpeg", "image/png", "image/webp", "image/gif", or NULL for IMAGE_UNKNOWN. */
const char *image_mime(image_format_t format);

/* The format of a MIME type as used in data URLs, or IMAGE_UNKNOWN. */
image_format_t image_format_from_mime(const char *mime, size_t len);

/* "invalid_image", "unsupported_format", ... : the error kind for a status. */
const char *image_status_kind(image_status_t status);

#endif
