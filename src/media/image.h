/* image.h - recognising, validating and measuring images from their bytes.
 *
 * The format always comes from the bytes (libvips' loaders sniff them), never from a
 * file name, so a PNG named .jpg is a PNG. Only what vision APIs accept is "supported":
 * JPEG, PNG, WebP and non-animated GIF. */
#ifndef VB_IMAGE_H
#define VB_IMAGE_H

#include "media/image_types.h"

#include <stdbool.h>
#include <stddef.h>

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
