/* image_header.h - an image file's format and size from its header alone.
 *
 * image_probe (image.h) needs the whole file in memory; estimating a job of 50,000
 * images only needs each one's width and height. These functions read the header
 * through libvips (lazily: no pixel is decoded) plus the file's last bytes for the
 * end-marker check, so a truncated file is refused the way image_probe refuses it.
 * The format and completeness rules are image_probe's; image.c can share them. */
#ifndef VB_IMAGE_HEADER_H
#define VB_IMAGE_HEADER_H

#include "media/image_types.h"

#include <vips/vips.h>

#include <stdbool.h>
#include <stddef.h>

/* Bytes at the end of a file that hold the end marker if it is complete. */
#define IMAGE_HEADER_TAIL 1024

/* The format of a libvips loader nickname ("jpegload_source", "pngload_buffer"), or
 * IMAGE_UNKNOWN for a format vision APIs do not take; the format's short name ("tiff")
 * goes into name for messages. */
image_format_t image_header_format(const char *loader, char *name, size_t namelen);

/* True when a file of the format, file_len bytes long, ends the way a complete one
 * ends. head holds its first head_len bytes (12 are enough: WebP's RIFF length), tail
 * its last tail_len bytes (IMAGE_HEADER_TAIL, or the whole file when shorter). Trailing
 * padding after the end marker is tolerated, as decoders do. */
bool image_header_is_complete(image_format_t format, const unsigned char *head, size_t head_len,
                              const unsigned char *tail, size_t tail_len,
                              unsigned long long file_len);

/* Names the format behind a libvips loader type name (from vips_foreign_find_load_*;
 * NULL when nothing was found): IMAGE_OK with *format and its short name in name, or
 * IMAGE_ERR_NOT_IMAGE / IMAGE_ERR_UNSUPPORTED with a reason in err. The first step of
 * image_probe and image_header_probe_fd. */
image_status_t image_header_identify(const char *loader, image_format_t *format, char *name,
                                     size_t namelen, char *err, size_t errlen);

/* Reads the header of a lazily loaded image (NULL when loading failed) into *info and
 * checks it as providers do: not empty, not animated. Returns IMAGE_OK, or an error with
 * a reason in err naming the format (name). Does not unref im. */
image_status_t image_header_read(VipsImage *im, image_format_t format, const char *name,
                                 image_info_t *info, char *err, size_t errlen);

/* Identifies the open regular file fd, size bytes long, and reads its header (width,
 * height, frames) and its last bytes, without decoding pixels: the same answers as
 * image_probe on the whole file. On IMAGE_OK fills *info; otherwise writes a one-line
 * reason into err. fd stays open and owned by the caller; its offset moves.
 * Thread-safe (after image_global_init). */
image_status_t image_header_probe_fd(int fd, unsigned long long size, image_info_t *info, char *err,
                                     size_t errlen);

#endif
