/* image_header.c - image format, size and completeness from a file's header and tail. */
#include "media/image_header.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

image_format_t image_header_format(const char *loader, char *name, size_t namelen)
{
    size_t n = strcspn(loader, "_");
    if (n > 4 && strncmp(loader + n - 4, "load", 4) == 0)
        n -= 4;
    snprintf(name, namelen, "%.*s", (int)n, loader);
    if (strcmp(name, "jpeg") == 0)
        return IMAGE_JPEG;
    if (strcmp(name, "png") == 0)
        return IMAGE_PNG;
    if (strcmp(name, "webp") == 0)
        return IMAGE_WEBP;
    if (strcmp(name, "gif") == 0)
        return IMAGE_GIF;
    return IMAGE_UNKNOWN;
}

bool image_header_is_complete(image_format_t format, const unsigned char *head, size_t head_len,
                              const unsigned char *tail, size_t tail_len,
                              unsigned long long file_len)
{
    const unsigned char *p = tail;
    switch (format) {
    case IMAGE_JPEG: /* EOI marker */
        for (size_t i = tail_len; i >= 2; i--)
            if (p[i - 2] == 0xFF && p[i - 1] == 0xD9)
                return true;
        return false;
    case IMAGE_PNG: /* IEND chunk type (then its 4-byte CRC) */
        for (size_t i = tail_len; i >= 8; i--)
            if (memcmp(p + i - 8, "IEND", 4) == 0)
                return true;
        return false;
    case IMAGE_GIF: /* trailer byte */
        for (size_t i = tail_len; i >= 1; i--) {
            if (p[i - 1] == 0x3B)
                return true;
            if (p[i - 1] != 0x00)
                return false;
        }
        return false;
    case IMAGE_WEBP: { /* RIFF length covers the file */
        if (head_len < 12 || file_len < 12)
            return false;
        unsigned long long riff = (unsigned long long)head[4] | (unsigned long long)head[5] << 8 |
                                  (unsigned long long)head[6] << 16 |
                                  (unsigned long long)head[7] << 24;
        return riff + 8 <= file_len;
    }
    default:
        return false;
    }
}

/* Reads exactly len bytes at offset off of fd into buf. Returns 0, or -1 (errno set;
 * EIO for a file that ended early). */
static int read_at(int fd, unsigned char *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

image_status_t image_header_identify(const char *loader, image_format_t *format, char *name,
                                     size_t namelen, char *err, size_t errlen)
{
    if (!loader) {
        vips_error_clear();
        snprintf(err, errlen, "not an image: no known image format in the first bytes");
        return IMAGE_ERR_NOT_IMAGE;
    }
    /* libvips names the loader's type ("VipsForeignLoadJpegBuffer"); its nickname
     * ("jpegload_buffer") carries the format's short name. */
    const char *nick = vips_nickname_find(g_type_from_name(loader));
    *format = image_header_format(nick ? nick : loader, name, namelen);
    if (*format == IMAGE_UNKNOWN) {
        snprintf(err, errlen,
                 "unsupported image format '%s' (vision APIs take JPEG, PNG, WebP, GIF)", name);
        return IMAGE_ERR_UNSUPPORTED;
    }
    return IMAGE_OK;
}

image_status_t image_header_read(VipsImage *im, image_format_t format, const char *name,
                                 image_info_t *info, char *err, size_t errlen)
{
    if (!im) {
        snprintf(err, errlen, "corrupt %s: header unreadable", name);
        vips_error_clear();
        return IMAGE_ERR_CORRUPT;
    }
    int pages = 1;
    if (vips_image_get_typeof(im, VIPS_META_N_PAGES))
        vips_image_get_int(im, VIPS_META_N_PAGES, &pages);
    info->format = format;
    info->width = (unsigned)vips_image_get_width(im);
    info->height = (unsigned)vips_image_get_height(im);
    info->pages = pages > 0 ? (unsigned)pages : 1;
    if (info->width == 0 || info->height == 0) {
        snprintf(err, errlen, "corrupt %s: zero width or height", name);
        return IMAGE_ERR_CORRUPT;
    }
    if ((unsigned long long)info->width * info->height > IMAGE_MAX_PIXELS ||
        info->width > IMAGE_MAX_SIDE || info->height > IMAGE_MAX_SIDE) {
        snprintf(err, errlen,
                 "%s declares %u x %u pixels, over the limit of %llu megapixels or %u per "
                 "side (a decompression bomb is refused before decoding)",
                 name, info->width, info->height, IMAGE_MAX_PIXELS / 1000000, IMAGE_MAX_SIDE);
        return IMAGE_ERR_TOO_MANY_PIXELS;
    }
    info->cmyk = vips_image_get_interpretation(im) == VIPS_INTERPRETATION_CMYK ||
                 (vips_image_get_bands(im) == 4 && format == IMAGE_JPEG);
    info->deep = vips_image_get_format(im) != VIPS_FORMAT_UCHAR &&
                 vips_image_get_format(im) != VIPS_FORMAT_CHAR;
    info->alpha = vips_image_hasalpha(im);
    info->orientation = vips_image_get_orientation(im);
    if (info->orientation < 1 || info->orientation > 8)
        info->orientation = 1;
    if (info->pages > 1) {
        snprintf(err, errlen, "animated %s with %u frames (vision APIs take still images only; "
                              "--convert sends the first frame)",
                 name, info->pages);
        return IMAGE_ERR_ANIMATED;
    }
    return IMAGE_OK;
}

image_status_t image_header_probe_fd(int fd, unsigned long long size, image_info_t *info, char *err,
                                     size_t errlen)
{
    unsigned char head[12], tail[IMAGE_HEADER_TAIL];
    char name[32];
    memset(info, 0, sizeof *info);
    if (size == 0) {
        snprintf(err, errlen, "the file is empty (0 bytes)");
        return IMAGE_ERR_EMPTY;
    }
    size_t head_len = size < sizeof head ? (size_t)size : sizeof head;
    size_t tail_len = size < sizeof tail ? (size_t)size : sizeof tail;
    if (read_at(fd, head, head_len, 0) != 0 ||
        read_at(fd, tail, tail_len, (off_t)(size - tail_len)) != 0) {
        snprintf(err, errlen, "corrupt image: read error: %s", strerror(errno));
        return IMAGE_ERR_CORRUPT;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "corrupt image: cannot seek: %s", strerror(errno));
        return IMAGE_ERR_CORRUPT;
    }

    VipsSource *src = vips_source_new_from_descriptor(fd);
    if (!src) {
        snprintf(err, errlen, "corrupt image: cannot read the file");
        vips_error_clear();
        return IMAGE_ERR_CORRUPT;
    }
    image_status_t st = IMAGE_OK;
    VipsImage *im = NULL;
    image_format_t format = IMAGE_UNKNOWN;
    st = image_header_identify(vips_foreign_find_load_source(src), &format, name, sizeof name,
                               err, errlen);
    if (st != IMAGE_OK)
        goto out;
    im = vips_image_new_from_source(src, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    st = image_header_read(im, format, name, info, err, errlen);
    if (st == IMAGE_OK && !image_header_is_complete(format, head, head_len, tail, tail_len, size)) {
        snprintf(err, errlen, "truncated %s: the file ends before its end marker", name);
        st = IMAGE_ERR_CORRUPT;
    }
out:
    if (im)
        g_object_unref(im);
    g_object_unref(src);
    return st;
}
