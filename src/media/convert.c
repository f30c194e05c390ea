/* convert.c - which images are re-encoded before sending, and into what. The re-encode
 * itself is resize_encode_to (resize.c): one pipeline turns pixels upright, applies the
 * colour profile (CMYK -> sRGB), writes 8 bits and strips metadata. */
#include "media/convert.h"

#include "media/image_header.h"

#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

/* The formats --convert takes, by libvips loader short name. BMP comes through
 * ImageMagick's loader ("magick"), which is only trusted with a BMP signature. */
static bool convertible(const char *name, const unsigned char *data, size_t len)
{
    if (strcmp(name, "tiff") == 0 || strcmp(name, "heif") == 0)
        return true;
    return strcmp(name, "magick") == 0 && len >= 2 && data[0] == 'B' && data[1] == 'M';
}

image_status_t convert_probe(const unsigned char *data, size_t len, image_info_t *info, char *name,
                             size_t namelen, char *err, size_t errlen)
{
    image_format_t format = IMAGE_UNKNOWN;
    memset(info, 0, sizeof *info);
    image_status_t st = image_header_identify(vips_foreign_find_load_buffer(data, len), &format,
                                              name, namelen, err, errlen);
    if (st != IMAGE_ERR_UNSUPPORTED)
        return st; /* not an image, or a format image_probe handles itself */
    if (!convertible(name, data, len)) {
        snprintf(err, errlen,
                 "unsupported image format '%s' (vision APIs take JPEG, PNG, WebP, GIF; "
                 "--convert handles BMP, TIFF, HEIC, AVIF)",
                 name);
        return IMAGE_ERR_UNSUPPORTED;
    }
    if (strcmp(name, "magick") == 0)
        snprintf(name, namelen, "bmp");
    VipsImage *im =
        vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    st = image_header_read(im, IMAGE_UNKNOWN, name, info, err, errlen);
    if (im)
        g_object_unref(im);
    if (st == IMAGE_ERR_ANIMATED) /* a multi-page TIFF or HEIF: its first page is sent */
        st = IMAGE_OK;
    return st;
}

bool convert_needed(const image_info_t *info)
{
    return info->format == IMAGE_UNKNOWN || info->pages > 1 || info->cmyk || info->deep ||
           info->orientation != 1;
}

image_format_t convert_target(const image_info_t *info, const char *name)
{
    switch (info->format) {
    case IMAGE_JPEG:
        return IMAGE_JPEG;
    case IMAGE_WEBP:
        return IMAGE_WEBP;
    case IMAGE_PNG:
    case IMAGE_GIF:
        return IMAGE_PNG;
    case IMAGE_UNKNOWN:
        break;
    }
    return name && strcmp(name, "heif") == 0 && !info->alpha ? IMAGE_JPEG : IMAGE_PNG;
}
