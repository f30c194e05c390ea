/* jpeg_header.h - a baseline or progressive JPEG's size from its markers, without libvips.
 *
 * image_probe's fast path: asking libvips for a header costs a loader lookup, a GObject
 * image, libjpeg's header parse and libexif, several times more than reading the file
 * and encoding it. For the common case, 8-bit baseline/extended/progressive JPEG with
 * well-formed segments up to its frame header, the size is read here; anything else
 * (other frame types, odd component counts, a segment running past the end, no frame
 * header before the scan) is left to libvips, which gives the verdict and the message. */
#ifndef VB_JPEG_HEADER_H
#define VB_JPEG_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* True when data (len bytes) starts with a JPEG whose frame header (SOF0, SOF1 or SOF2,
 * 8-bit, 1 or 3 components, non-zero size within IMAGE_MAX_PIXELS) is reached through
 * well-formed segments, with no EXIF orientation other than 1 among them; then *width and
 * *height hold its size, and the image is upright, not CMYK and 8-bit. False means: ask
 * libvips (which also reads an EXIF orientation, CMYK and the pixel limit's verdict). */
bool jpeg_header_size(const unsigned char *data, size_t len, unsigned *width, unsigned *height);

#endif
