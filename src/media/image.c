/* image.c - image recognition and validation through libvips.
 *
 * libvips' loaders sniff the bytes and read headers lazily, so probing touches no
 * pixels. Completeness is checked separately by looking for the format's end marker:
 * libvips would only notice a truncated file while decoding it. */
#include "media/image.h"

#include "media/image_header.h"
#include "media/jpeg_check.h"
#include "media/jpeg_header.h"

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
    case IMAGE_ERR_TOO_MANY_PIXELS:
        return "too_many_pixels";
    }
    return "invalid_image";
}

/* The libvips half of image_probe: format and header of any format libvips reads. */
static image_status_t probe_with_vips(const unsigned char *data, size_t len, image_info_t *info,
                                      image_format_t *format, char *name, size_t namelen,
                                      char *err, size_t errlen)
{
    image_status_t st = image_header_identify(vips_foreign_find_load_buffer(data, len), format,
                                              name, namelen, err, errlen);
    if (st != IMAGE_OK)
        return st;
    VipsImage *im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                               NULL);
    st = image_header_read(im, *format, name, info, err, errlen);
    if (im)
        g_object_unref(im);
    return st;
}

image_status_t image_probe(const unsigned char *data, size_t len, image_info_t *info, char *err,
                           size_t errlen)
{
    char name[32] = "jpeg";
    memset(info, 0, sizeof *info);
    if (len == 0) {
        snprintf(err, errlen, "the file is empty (0 bytes)");
        return IMAGE_ERR_EMPTY;
    }
    image_format_t format = IMAGE_JPEG;
    unsigned w, h;
    if (jpeg_header_size(data, len, &w, &h)) { /* the common case, without libvips */
        *info = (image_info_t){
            .format = IMAGE_JPEG, .width = w, .height = h, .pages = 1, .orientation = 1};
    } else {
        image_status_t st = probe_with_vips(data, len, info, &format, name, sizeof name, err,
                                            errlen);
        if (st != IMAGE_OK)
            return st;
    }
    size_t tail = len < IMAGE_HEADER_TAIL ? len : IMAGE_HEADER_TAIL;
    if (!image_header_is_complete(format, data, len, data + len - tail, tail, len)) {
        snprintf(err, errlen, "truncated %s: the file ends before its end marker", name);
        return IMAGE_ERR_CORRUPT;
    }
    return IMAGE_OK;
}

/* Rows decoded per step of image_decode_check: a strip's pixels are all it holds. */
#define DECODE_STRIP_ROWS 64

/* Pulls every row of im through its loader, strip by strip, in the calling thread. A
 * region prepared directly needs no thread pool; vips_avg() and the other sinks start
 * one per image, which costs more than decoding a catalog-sized JPEG. Returns 0, or -1
 * with libvips' error set. */
static int pull_rows(VipsImage *im)
{
    VipsRegion *reg = vips_region_new(im);
    if (!reg)
        return -1;
    int w = vips_image_get_width(im), h = vips_image_get_height(im), rc = 0;
    for (int y = 0; y < h && rc == 0; y += DECODE_STRIP_ROWS) {
        VipsRect strip = {0, y, w, h - y < DECODE_STRIP_ROWS ? h - y : DECODE_STRIP_ROWS};
        rc = vips_region_prepare(reg, &strip);
    }
    g_object_unref(reg);
    return rc;
}

int image_decode_check(const unsigned char *data, size_t len, char *err, size_t errlen)
{
    if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return jpeg_check(data, len, err, errlen); /* as strict, a quarter of the CPU */
    VipsImage *im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                               "fail_on", VIPS_FAIL_ON_WARNING, NULL);
    if (!im || pull_rows(im) != 0) {
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
