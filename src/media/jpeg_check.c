/* jpeg_check.c - the JPEG decode check through libjpeg (see jpeg_check.h). */
#include "media/jpeg_check.h"

#include "media/image_types.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
/* jpeglib.h needs FILE and size_t declared first */
#include <jerror.h>
#include <jpeglib.h>

/* Bytes handed to libjpeg per fill: below libjpeg-turbo's fast-path threshold (512 bytes
 * per block of an MCU), so that no Huffman code is decoded without its checks. */
#define CHUNK_BYTES 2048

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
    char *err;
    size_t errlen;
} check_errors_t;

typedef struct {
    struct jpeg_source_mgr pub;
    const unsigned char *data;
    size_t len, pos;
} chunk_source_t;

/* Puts libjpeg's message for the current error or warning into the caller's err. */
static void keep_message(j_common_ptr cinfo)
{
    check_errors_t *e = (check_errors_t *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(e->err, e->errlen, "image does not decode: %s", text);
}

static void on_error(j_common_ptr cinfo)
{
    keep_message(cinfo);
    longjmp(((check_errors_t *)cinfo->err)->escape, 1);
}

/* Warnings (level -1) end the check unless harmless; trace messages are ignored. */
static void on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return;
    int code = cinfo->err->msg_code;
    if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC)
        return;
    if (code == JWRN_EXTRANEOUS_DATA && cinfo->err->msg_parm.i[0] <= JPEG_CHECK_STRAY_BYTES)
        return;
    on_error(cinfo);
}

static void source_init(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

/* The next chunk; past the end, a warning (premature end) and an end marker, as
 * libjpeg's own sources do. */
static boolean source_fill(j_decompress_ptr cinfo)
{
    static const JOCTET eoi[2] = {0xFF, JPEG_EOI};
    chunk_source_t *s = (chunk_source_t *)cinfo->src;
    if (s->pos >= s->len) {
        WARNMS(cinfo, JWRN_JPEG_EOF);
        s->pub.next_input_byte = eoi;
        s->pub.bytes_in_buffer = sizeof eoi;
        return TRUE;
    }
    size_t n = s->len - s->pos < CHUNK_BYTES ? s->len - s->pos : CHUNK_BYTES;
    s->pub.next_input_byte = s->data + s->pos;
    s->pub.bytes_in_buffer = n;
    s->pos += n;
    return TRUE;
}

static void source_skip(j_decompress_ptr cinfo, long n)
{
    while (n > (long)cinfo->src->bytes_in_buffer) {
        n -= (long)cinfo->src->bytes_in_buffer;
        source_fill(cinfo);
    }
    if (n > 0) {
        cinfo->src->next_input_byte += n;
        cinfo->src->bytes_in_buffer -= (size_t)n;
    }
}

static void source_term(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

int jpeg_check(const unsigned char *data, size_t len, char *err, size_t errlen)
{
    struct jpeg_decompress_struct cinfo;
    check_errors_t errors = {.err = err, .errlen = errlen};
    chunk_source_t source = {.data = data, .len = len};
    JSAMPROW volatile row = NULL;

    cinfo.err = jpeg_std_error(&errors.pub);
    errors.pub.error_exit = on_error;
    errors.pub.emit_message = on_message;
    if (setjmp(errors.escape)) {
        free(row);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    source.pub.init_source = source_init;
    source.pub.fill_input_buffer = source_fill;
    source.pub.skip_input_data = source_skip;
    source.pub.resync_to_restart = jpeg_resync_to_restart;
    source.pub.term_source = source_term;
    cinfo.src = &source.pub;

    jpeg_read_header(&cinfo, TRUE);
    if ((unsigned long long)cinfo.image_width * cinfo.image_height > IMAGE_MAX_PIXELS) {
        snprintf(err, errlen, "image does not decode: %ux%u is over the pixel limit",
                 cinfo.image_width, cinfo.image_height);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = 8;
    cinfo.dct_method = JDCT_IFAST;
    cinfo.do_fancy_upsampling = FALSE;
    cinfo.do_block_smoothing = FALSE;
    jpeg_start_decompress(&cinfo);
    row = malloc((size_t)cinfo.output_width * (size_t)cinfo.output_components);
    if (!row) {
        snprintf(err, errlen, "out of memory checking a JPEG");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_decompress(&cinfo); /* reads on to the end marker */
    free(row);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
