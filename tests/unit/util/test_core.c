/* test_core.c - the small pieces: base64, histogram, redaction, queue, image probing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/base64.h"
#include "media/hash.h"
#include "record/histogram.h"
#include "media/image.h"
#include "media/jpeg_header.h"
#include "prepare/queue.h"
#include "util/redact.h"

#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

static void test_base64_round_trip_and_strictness(void **state)
{
    (void)state;
    const char *vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                {"foobar", "Zm9vYmFy"}}; /* RFC 4648 §10 */
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char enc[16];
        unsigned char dec[16];
        size_t n = strlen(vectors[i][0]);
        assert_int_equal(base64_encode((const unsigned char *)vectors[i][0], n, enc),
                         base64_encoded_len(n));
        assert_string_equal(enc, vectors[i][1]);
        assert_int_equal(base64_decode(enc, strlen(enc), dec), (long)n);
        assert_memory_equal(dec, vectors[i][0], n);
    }
    unsigned char out[16];
    assert_int_equal(base64_decode("Zm9", 3, out), -1);      /* not a multiple of 4 */
    assert_int_equal(base64_decode("Zm=v", 4, out), -1);     /* padding inside */
    assert_int_equal(base64_decode("Zm9v!!!!", 8, out), -1); /* not the alphabet */
    assert_int_equal(base64_decode("Zm9=Zm9v", 8, out), -1); /* padding before the end */
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[HASH_HEX_LEN + 1];
    hash_sha256_hex("abc", 3, hex); /* FIPS 180-2 example */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_histogram_quantiles(void **state)
{
    (void)state;
    histogram_t *h = calloc(1, sizeof *h);
    assert_true(histogram_quantile(h, 0.5) == 0);
    for (int i = 1; i <= 1000; i++)
        histogram_add(h, i); /* 1..1000 ms */
    double p50 = histogram_quantile(h, 0.50), p99 = histogram_quantile(h, 0.99);
    assert_true(p50 > 500 * 0.98 && p50 < 500 * 1.02);
    assert_true(p99 > 990 * 0.98 && p99 < 990 * 1.02);
    assert_true(histogram_quantile(h, 1.0) == 1000);
    assert_true(histogram_mean(h) > 500.49 && histogram_mean(h) < 500.51);
    histogram_add(h, 1e12); /* beyond the last bucket: clamped, not a crash */
    assert_true(histogram_quantile(h, 1.0) == 1e12);
    free(h);
}

static void test_redact(void **state)
{
    (void)state;
    char msg[64] = "Incorrect API key provided: sk-test-1234 (sk-test-1234).";
    redact_secret(msg, sizeof msg, "sk-test-1234");
    assert_string_equal(msg, "Incorrect API key provided: [redacted] ([redacted]).");
    char small[16] = "xx secretkey yy";
    redact_secret(small, sizeof small, "secretkey");
    assert_null(strstr(small, "secretkey"));
    char loop[32] = "redacted";
    redact_secret(loop, sizeof loop, "redacted"); /* the mask holds the secret: no loop */
    assert_string_equal(loop, "[redacted]");
    char none[8] = "abc";
    redact_secret(none, sizeof none, NULL);
    assert_string_equal(none, "abc");
}

/* libcurl quotes a proxy setting whole: its user:password part is masked wherever a URL
 * authority has one, scheme-relative too; a URL without one is left alone. */
static void test_redact_userinfo(void **state)
{
    (void)state;
    char msg[128] = "Unsupported proxy scheme for 'foo://user:s3cretpw@127.0.0.1:9'";
    redact_userinfo(msg);
    assert_string_equal(msg, "Unsupported proxy scheme for 'foo://*************@127.0.0.1:9'");
    char rel[64] = "to //a@h/x and http://h:80/p@q and //b:c@d";
    redact_userinfo(rel);
    assert_string_equal(rel, "to //*@h/x and http://h:80/p@q and //***@d");
    char plain[32] = "no url here // at all";
    redact_userinfo(plain);
    assert_string_equal(plain, "no url here // at all");
}

/* A server that echoes the key upper- or lower-cased (or in mixed case) still has it
 * masked. */
static void test_redact_any_case(void **state)
{
    (void)state;
    char upper[96] = "Invalid key SK-TEST-ABCD1234 (sk-test-abcd1234, Sk-Test-AbCd1234).";
    redact_secret(upper, sizeof upper, "sk-Test-aBcd1234");
    assert_string_equal(upper, "Invalid key [redacted] ([redacted], [redacted]).");
    char tail[16] = "k=SECRETKEY";
    redact_secret(tail, sizeof tail, "secretkey");
    assert_string_equal(tail, "k=[redacted]");
}

static int notified;
static void count_notify(void *arg)
{
    (void)arg;
    notified++;
}

static void test_queue_bounded_fifo(void **state)
{
    (void)state;
    int a = 1, b = 2;
    queue_t *q = queue_new(2, count_notify, NULL);
    queue_set_producers(q, 1);
    assert_int_equal(queue_push(q, &a), 0);
    assert_int_equal(queue_push(q, &b), 0);
    assert_int_equal(notified, 2);
    assert_false(queue_drained(q));
    assert_ptr_equal(queue_try_pop(q), &a);
    assert_ptr_equal(queue_try_pop(q), &b);
    assert_null(queue_try_pop(q));
    assert_false(queue_drained(q)); /* the producer may still push */
    queue_producer_done(q);
    assert_true(queue_drained(q));
    queue_cancel(q);
    assert_int_equal(queue_push(q, &a), -1);
    queue_free(q);
}

/* Writes a w x h image in the given libvips format suffix (".png", ".jpg", ...). */
static void *make_image(const char *suffix, int w, int h, size_t *len)
{
    VipsImage *im = NULL;
    void *buf = NULL;
    assert_int_equal(vips_black(&im, w, h, "bands", 3, NULL), 0);
    assert_int_equal(vips_image_write_to_buffer(im, suffix, &buf, len, NULL), 0);
    g_object_unref(im);
    return buf;
}

static void test_image_probe(void **state)
{
    (void)state;
    char err[256];
    image_info_t info;
    const struct {
        const char *suffix;
        image_format_t format;
    } ok[] = {{".jpg", IMAGE_JPEG}, {".png", IMAGE_PNG}, {".webp", IMAGE_WEBP}, {".gif", IMAGE_GIF}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len;
        unsigned char *buf = make_image(ok[i].suffix, 640, 480, &len);
        assert_int_equal(image_probe(buf, len, &info, err, sizeof err), IMAGE_OK);
        assert_int_equal(info.format, ok[i].format);
        assert_int_equal(info.width, 640);
        assert_int_equal(info.height, 480);
        assert_int_equal(image_decode_check(buf, len, err, sizeof err), 0);
        /* cut short: refused by the probe and by a full decode */
        assert_int_equal(image_probe(buf, len / 2, &info, err, sizeof err), IMAGE_ERR_CORRUPT);
        g_free(buf);
    }
    size_t len;
    unsigned char *tif = make_image(".tif", 8, 8, &len);
    assert_int_equal(image_probe(tif, len, &info, err, sizeof err), IMAGE_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "tiff"));
    g_free(tif);
    assert_int_equal(image_probe((const unsigned char *)"", 0, &info, err, sizeof err),
                     IMAGE_ERR_EMPTY);
    const char *html = "<html><body>404</body></html>";
    assert_int_equal(image_probe((const unsigned char *)html, strlen(html), &info, err,
                                 sizeof err),
                     IMAGE_ERR_NOT_IMAGE);
    assert_string_equal(image_mime(IMAGE_WEBP), "image/webp");
    assert_int_equal(image_format_from_mime("image/png", 9), IMAGE_PNG);
    assert_int_equal(image_format_from_mime("image/bmp", 9), IMAGE_UNKNOWN);
}

/* The JPEG fast path reads the same size libvips reads, baseline and progressive, and
 * leaves what it does not know to libvips. */
static void test_jpeg_header_fast_path(void **state)
{
    (void)state;
    char err[256];
    image_info_t info;
    for (int progressive = 0; progressive < 2; progressive++) {
        VipsImage *im = NULL;
        void *buf = NULL;
        size_t len;
        assert_int_equal(vips_black(&im, 333, 77, "bands", progressive ? 1 : 3, NULL), 0);
        /* with metadata: EXIF saying orientation 1 is upright; 6 is libvips' to read */
        unsigned w = 0, h = 0;
        for (int orientation = 1; orientation <= 6; orientation += 5) {
            VipsImage *copy = NULL;
            assert_int_equal(vips_copy(im, &copy, NULL), 0);
            vips_image_set_int(copy, "orientation", orientation);
            assert_int_equal(vips_image_write_to_buffer(copy, ".jpg", &buf, &len, "interlace",
                                                        progressive, NULL),
                             0);
            g_object_unref(copy);
            assert_int_equal(jpeg_header_size(buf, len, &w, &h), orientation == 1);
            assert_int_equal(image_probe(buf, len, &info, err, sizeof err), IMAGE_OK);
            assert_int_equal(info.orientation, orientation);
            g_free(buf);
        }
        assert_int_equal(vips_image_write_to_buffer(im, ".jpg", &buf, &len, "interlace",
                                                    progressive, "strip", TRUE, NULL),
                         0);
        g_object_unref(im);
        assert_true(jpeg_header_size(buf, len, &w, &h));
        assert_int_equal(w, 333);
        assert_int_equal(h, 77);
        assert_int_equal(image_probe(buf, len, &info, err, sizeof err), IMAGE_OK);
        assert_int_equal(info.width, 333);
        assert_int_equal(info.orientation, 1); /* upright: sent as it is */
        /* cut inside the header: not the fast path's call; libvips refuses it */
        assert_false(jpeg_header_size(buf, 40, &w, &h));
        assert_int_equal(image_probe(buf, 40, &info, err, sizeof err), IMAGE_ERR_CORRUPT);
        g_free(buf);
    }
    /* SOI, then a frame header of height 0: left to libvips, which finds it corrupt */
    static const unsigned char zero_h[] = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00,
                                           0x00, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00, 0xFF,
                                           0xD9};
    unsigned w, h;
    assert_false(jpeg_header_size(zero_h, sizeof zero_h, &w, &h));
    assert_int_not_equal(image_probe(zero_h, sizeof zero_h, &info, err, sizeof err), IMAGE_OK);
    /* a segment length running past the end */
    static const unsigned char overrun[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0x00, 0x00};
    assert_false(jpeg_header_size(overrun, sizeof overrun, &w, &h));
}

static int vips_up(void **state)
{
    (void)state;
    char err[256];
    return image_global_init("test_core", err, sizeof err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_round_trip_and_strictness),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_histogram_quantiles),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_redact_any_case),
        cmocka_unit_test(test_redact_userinfo),
        cmocka_unit_test(test_queue_bounded_fifo),
        cmocka_unit_test(test_image_probe),
        cmocka_unit_test(test_jpeg_header_fast_path),
    };
    return cmocka_run_group_tests(tests, vips_up, NULL);
}
