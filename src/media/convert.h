/* convert.h - images a provider would refuse or misread, turned into ones it takes.
 *
 * Decisions (README "Bad input"):
 *   - always, without a flag: a CMYK JPEG is sent as an sRGB JPEG (decoders disagree on
 *     CMYK and inverted Adobe CMYK), a 16-bit PNG as an 8-bit PNG (models see 8 bits;
 *     some decoders refuse 16-bit RGB), an image with an EXIF orientation other than 1
 *     with its pixels turned upright (providers differ on honouring EXIF). Metadata is
 *     dropped in each case. A failed re-encode sends the original: it is still valid.
 *   - with --convert only: BMP, TIFF, HEIC/HEIF and AVIF are sent as PNG (JPEG for
 *     HEIF/AVIF photos without alpha), an animated GIF/WebP as its first frame. Without
 *     --convert they are unsupported_format / animated_image errors.
 * Every loader goes through the same pixel limit (IMAGE_MAX_PIXELS) before decoding. */
#ifndef VB_CONVERT_H
#define VB_CONVERT_H

#include "media/image.h"

#include <stdbool.h>
#include <stddef.h>

/* For --convert: identifies data[0..len) as one of the convertible formats (BMP, TIFF,
 * HEIF/AVIF) and reads its first page's header without decoding it. On IMAGE_OK *info is
 * filled with format IMAGE_UNKNOWN (its format's short name in name); otherwise the same
 * errors as image_probe (unsupported_format for the formats it does not convert,
 * too_many_pixels for a bomb). Thread-safe. */
image_status_t convert_probe(const unsigned char *data, size_t len, image_info_t *info, char *name,
                             size_t namelen, char *err, size_t errlen);

/* True when the image must be re-encoded before it is sent (see above). */
bool convert_needed(const image_info_t *info);

/* The format a re-encoded image is sent in: JPEG stays JPEG (CMYK included), PNG and
 * GIF become PNG, WebP stays WebP; a converted format (IMAGE_UNKNOWN, named by name)
 * becomes JPEG for an opaque HEIF/AVIF photo, else PNG. */
image_format_t convert_target(const image_info_t *info, const char *name);

#endif
