/* image.c - image recognition and validation through libvips.
 *
 * libvips' loaders sniff the bytes and read headers lazily, so probing touches no
 * pixels. Completeness is checked separately by looking for the format's end marker:
 * libvips would only notice a truncated file while decoding it. */
#include "image.h"

#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

/* libvips reports decoder complaints through GLib's log as well as through its error
 * buffer; the error buffer is what becomes the item's error, so the log copy is dropped
 * instead of interleaving with the progress output. */
static void drop_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                     gpointer data)
{
    (void)domain, (void)level, (void)message, (void)data;
}

int image_global_init(const char *argv0, char *err, size_t errlen)
{
    if (VIPS_INIT(argv0 ? argv0 : "visionbatch")) {
        snprintf(err, errlen, "cannot start libvips: %s", vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    /* Probing must not keep images alive: every buffer is seen once. */
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_concurrency_set(1);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, drop_log, NULL);
    return 0;
}

void image_global_cleanup(void)
{
    vips_shutdown();
}

const char *image_mime(image_format_t format)
{
    switch (format) {
    case IMAGE_JPEG:
        return "image/jpeg";
    case IMAGE_PNG:
        return "image/png";
    case IMAGE_WEBP:
        return "image/webp";
    case IMAGE_GIF:
        return "image/gif";
    default:
        return NULL;
    }
}

image_format_t image_format_from_mime(const char *mime, size_t len)
{
    static const image_format_t all[] = {IMAGE_JPEG, IMAGE_PNG, IMAGE_WEBP, IMAGE_GIF};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *m = image_mime(all[i]);
        if (strlen(m) == len && strncmp(m, mime, len) == 0)
            return all[i];
    }
    return IMAGE_UNKNOWN;
}

const char *image_status_kind(image_status_t status)
{
    switch (status) {
    case IMAGE_OK:
        return "ok";
    case IMAGE_ERR_EMPTY:
        return "empty_file";
    case IMAGE_ERR_NOT_IMAGE:
        return "not_an_image";
    case IMAGE_ERR_UNSUPPORTED:
        return "unsupported_format";
    case IMAGE_ERR_CORRUPT:
        return "corrupt_image";
    case IMAGE_ERR_ANIMATED:
        return "animated_image";
    }
    return "invalid_image";
}

/* Maps a libvips loader nickname ("jpegload_buffer") to a format; writes the format's
 * short name ("tiff") into name for messages. */
static image_format_t format_from_loader(const char *loader, char *name, size_t namelen)
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

/* True when the bytes end the way a complete file of this format ends. Trailing padding
 * after the end marker is tolerated, as decoders do. */
static bool image_is_complete(image_format_t format, const unsigned char *d, size_t len)
{
    size_t tail = len < 1024 ? len : 1024;
    const unsigned char *p = d + len - tail;

    switch (format) {
    case IMAGE_JPEG: /* EOI marker */
        for (size_t i = tail; i >= 2; i--)
            if (p[i - 2] == 0xFF && p[i - 1] == 0xD9)
                return true;
        return false;
    case IMAGE_PNG: /* IEND chunk type */
        for (size_t i = tail; i >= 8; i--)
            if (memcmp(p + i - 8, "IEND", 4) == 0)
                return true;
        return false;
    case IMAGE_GIF: /* trailer byte */
        for (size_t i = tail; i >= 1; i--) {
            if (p[i - 1] == 0x3B)
                return true;
            if (p[i - 1] != 0x00)
                return false;
        }
        return false;
    case IMAGE_WEBP: { /* RIFF length covers the file */
        if (len < 12)
            return false;
        size_t riff = (size_t)d[4] | (size_t)d[5] << 8 | (size_t)d[6] << 16 | (size_t)d[7] << 24;
        return riff + 8 <= len;
    }
    default:
        return false;
    }
}

image_status_t image_probe(const unsigned char *data, size_t len, image_info_t *info, char *err,
                           size_t errlen)
{
    char name[32];
    memset(info, 0, sizeof *info);
    if (len == 0) {
        snprintf(err, errlen, "the file is empty (0 bytes)");
        return IMAGE_ERR_EMPTY;
    }
    const char *loader = vips_foreign_find_load_buffer(data, len);
    if (!loader) {
        vips_error_clear();
        snprintf(err, errlen, "not an image: no known image format in the first bytes");
        return IMAGE_ERR_NOT_IMAGE;
    }
    /* libvips names the loader's type ("VipsForeignLoadJpegBuffer"); its nickname
     * ("jpegload_buffer") carries the format's short name. */
    const char *nick = vips_nickname_find(g_type_from_name(loader));
    image_format_t format = format_from_loader(nick ? nick : loader, name, sizeof name);
    if (format == IMAGE_UNKNOWN) {
        snprintf(err, errlen,
                 "unsupported image format '%s' (vision APIs take JPEG, PNG, WebP, GIF)", name);
        return IMAGE_ERR_UNSUPPORTED;
    }
    VipsImage *im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                               NULL);
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
    g_object_unref(im);

    if (info->width == 0 || info->height == 0) {
        snprintf(err, errlen, "corrupt %s: zero width or height", name);
        return IMAGE_ERR_CORRUPT;
    }
    if (info->pages > 1) {
        snprintf(err, errlen, "animated %s with %u frames (vision APIs take still images only)",
                 name, info->pages);
        return IMAGE_ERR_ANIMATED;
    }
    if (!image_is_complete(format, data, len)) {
        snprintf(err, errlen, "truncated %s: the file ends before its end marker", name);
        return IMAGE_ERR_CORRUPT;
    }
    return IMAGE_OK;
}

int image_decode_check(const unsigned char *data, size_t len, char *err, size_t errlen)
{
    double avg;
    VipsImage *im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                               "fail_on", VIPS_FAIL_ON_WARNING, NULL);
    if (!im || vips_avg(im, &avg, NULL)) {
        const char *why = vips_error_buffer();
        size_t n = strcspn(why, "\n");
        snprintf(err, errlen, "image does not decode: %.*s", (int)(n > 200 ? 200 : n), why);
        vips_error_clear();
        if (im)
            g_object_unref(im);
        return -1;
    }
    g_object_unref(im);
    return 0;
}
