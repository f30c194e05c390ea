/* jpeg_header.c - a JPEG's frame size from its markers (see jpeg_header.h). */
#include "jpeg_header.h"

#include "image.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
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
        if (m == 0xE1) /* APP1 (EXIF: an orientation to honour): libvips reads it */
            return false;
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
