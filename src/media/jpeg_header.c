/* jpeg_header.c - a JPEG's frame size from its markers (see jpeg_header.h). */
#include "media/jpeg_header.h"

#include "media/image_types.h"

#include <string.h>

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* A 16- or 32-bit value of a TIFF structure, in its byte order (big when be). */
static unsigned tiff16(const unsigned char *p, bool be)
{
    return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static unsigned long tiff32(const unsigned char *p, bool be)
{
    return be ? (unsigned long)tiff16(p, be) << 16 | tiff16(p + 2, be)
              : (unsigned long)tiff16(p + 2, be) << 16 | tiff16(p, be);
}

/* Whether an APP1 payload (seg bytes after the length) leaves the image upright: not
 * EXIF at all, or EXIF whose first IFD has no orientation tag (0x0112) or says 1. False
 * for any other orientation and for EXIF that cannot be read to the end of that IFD. */
static bool app1_upright(const unsigned char *p, size_t seg)
{
    if (seg < 6 || memcmp(p, "Exif\0\0", 6) != 0)
        return true; /* XMP or another APP1: no orientation here */
    const unsigned char *t = p + 6;
    size_t n = seg - 6;
    if (n < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M')))
        return false;
    bool be = t[0] == 'M';
    unsigned long ifd = tiff32(t + 4, be);
    if (ifd > n - 2)
        return false;
    unsigned count = tiff16(t + ifd, be);
    if ((n - ifd - 2) / 12 < count)
        return false;
    for (unsigned i = 0; i < count; i++) {
        const unsigned char *e = t + ifd + 2 + 12 * (size_t)i;
        if (tiff16(e, be) == 0x0112) /* SHORT: the value sits in the entry's first bytes */
            return tiff16(e + 2, be) == 3 && tiff16(e + 8, be) == 1;
    }
    return true;
}

bool jpeg_header_size(const unsigned char *data, size_t len, unsigned *width, unsigned *height)
{
    if (len < 4 || data[0] != 0xFF || data[1] != 0xD8)
        return false;
    size_t pos = 2;
    while (pos + 4 <= len) {
        if (data[pos] != 0xFF)
            return false;
        unsigned char m = data[pos + 1];
        if (m == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) { /* markers without a segment */
            pos += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* end of image or start of scan before any frame */
            return false;
        size_t seg = be16(data + pos + 2);
        if (seg < 2 || seg > len - pos - 2)
            return false;
        if (m == 0xE1 && !app1_upright(data + pos + 4, seg - 2))
            return false; /* an EXIF orientation to honour (or unreadable): libvips reads it */
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            /* a frame header: only the kinds libjpeg-turbo always decodes take this path */
            if (m > 0xC2 || seg < 8)
                return false;
            const unsigned char *f = data + pos + 4;
            unsigned ncomp = f[5];
            /* 4 components is CMYK (or YCCK), converted to sRGB: libvips reads it */
            if (f[0] != 8 || (ncomp != 1 && ncomp != 3) || seg != 8 + 3 * ncomp)
                return false;
            *height = be16(f + 1);
            *width = be16(f + 3);
            return *width > 0 && *height > 0 && *width <= IMAGE_MAX_SIDE &&
                   *height <= IMAGE_MAX_SIDE &&
                   (unsigned long long)*width * *height <= IMAGE_MAX_PIXELS;
        }
        pos += 2 + seg;
    }
    return false;
}
