/* test_jpeg_check.c - the JPEG decode check (jpeg_check.c) against libvips' full decode.
 *
 * Sound JPEGs of every common kind pass; damaged ones fail. The property that matters:
 * over a few hundred randomly damaged files (runs of random bytes, bit flips, cut and
 * inserted chunks inside the compressed data), every file that libvips' full decode with
 * fail_on=warning refuses, jpeg_check refuses too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "media/image.h"
#include "media/jpeg_check.h"

static int setup(void **state)
{
    (void)state;
    char err[256];
    return image_global_init("test_jpeg_check", err, sizeof err);
}

/* A w x h photo-like image (gradients plus noise, so the scan is not trivially short),
 * with bands bands. Caller unrefs. */
static VipsImage *make_photo(int w, int h, int bands)
{
    VipsImage *t[6] = {NULL};
    int ok = !vips_xyz(&t[0], w, h, NULL) && !vips_bandmean(t[0], &t[1], NULL) &&
             !vips_gaussnoise(&t[2], w, h, "sigma", 20.0, "mean", 0.0, "seed", 42, NULL) &&
             !vips_add(t[1], t[2], &t[3], NULL);
    if (ok && bands > 1) {
        VipsImage *copies[4] = {t[3], t[3], t[3], t[3]};
        ok = !vips_bandjoin(copies, &t[4], bands, NULL);
    } else if (ok) {
        ok = !vips_copy(t[3], &t[4], NULL);
    }
    ok = ok && !vips_cast(t[4], &t[5], VIPS_FORMAT_UCHAR, NULL);
    for (int i = 0; i < 5; i++)
        if (t[i])
            g_object_unref(t[i]);
    if (!ok)
        fail_msg("cannot make a test image: %s", vips_error_buffer());
    return t[5];
}

typedef struct {
    const char *what;
    int bands;
    const char *options; /* jpegsave options, as a filename suffix */
} jpeg_kind_t;

static const jpeg_kind_t kinds[] = {
    {"baseline 4:2:0", 3, ".jpg[Q=85]"},
    {"progressive", 3, ".jpg[Q=85,interlace]"},
    {"4:4:4", 3, ".jpg[Q=95,subsample_mode=off]"},
    {"optimised Huffman tables", 3, ".jpg[Q=75,optimize_coding]"},
    {"restart markers", 3, ".jpg[Q=85,restart_interval=4]"},
    {"grey", 1, ".jpg[Q=85]"},
    {"CMYK", 4, ".jpg[Q=85]"},
};

/* One JPEG of kind k, w x h. Returns a g_malloc'd buffer. */
static unsigned char *make_jpeg(const jpeg_kind_t *k, int w, int h, size_t *len)
{
    VipsImage *im = make_photo(w, h, k->bands), *typed = NULL;
    void *buf = NULL;
    assert_int_equal(vips_copy(im, &typed, "interpretation",
                               k->bands == 4   ? VIPS_INTERPRETATION_CMYK
                               : k->bands == 3 ? VIPS_INTERPRETATION_sRGB
                                               : VIPS_INTERPRETATION_B_W,
                               NULL),
                     0);
    if (vips_image_write_to_buffer(typed, k->options, &buf, len, NULL))
        fail_msg("%s: %s", k->what, vips_error_buffer());
    g_object_unref(typed);
    g_object_unref(im);
    return buf;
}

/* libvips' full decode with fail_on=warning, rows pulled to the end: the check
 * image_decode_check used for JPEGs before jpeg_check. 1 when it refuses data. */
static int libvips_refuses(const unsigned char *data, size_t len)
{
    VipsImage *im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                               "fail_on", VIPS_FAIL_ON_WARNING, NULL);
    int refused = !im;
    if (im) {
        VipsRegion *reg = vips_region_new(im);
        int w = vips_image_get_width(im), h = vips_image_get_height(im);
        for (int y = 0; y < h && !refused; y += 64) {
            VipsRect strip = {0, y, w, h - y < 64 ? h - y : 64};
            refused = vips_region_prepare(reg, &strip) != 0;
        }
        g_object_unref(reg);
        g_object_unref(im);
    }
    vips_error_clear();
    return refused;
}

static void test_sound_kinds_pass(void **state)
{
    (void)state;
    char err[256];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t len;
        unsigned char *jpg = make_jpeg(&kinds[i], 333, 201, &len);
        if (jpeg_check(jpg, len, err, sizeof err) != 0)
            fail_msg("%s: refused: %s", kinds[i].what, err);
        assert_int_equal(image_decode_check(jpg, len, err, sizeof err), 0);
        g_free(jpg);
    }
}

/* Where the compressed data starts: after the first start-of-scan segment. */
static size_t scan_start(const unsigned char *d, size_t len)
{
    size_t i = 2;
    while (i + 4 < len && d[i + 1] != 0xDA)
        i += 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
    assert_true(i + 4 < len);
    return i + 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
}

/* Cut short anywhere in the scan, and stray bytes before the end marker: a few are a
 * camera's quirk, many are not. */
static void test_truncated_and_stray(void **state)
{
    (void)state;
    char err[256];
    size_t len;
    unsigned char *jpg = make_jpeg(&kinds[0], 300, 200, &len);
    size_t s = scan_start(jpg, len);
    for (size_t cut = s + 1; cut < len - 2; cut += (len - s) / 7) {
        assert_int_equal(jpeg_check(jpg, cut, err, sizeof err), -1);
        assert_non_null(strstr(err, "does not decode"));
    }
    unsigned char *stray = malloc(len + 100);
    assert_non_null(stray);
    for (size_t extra = 1; extra <= 100; extra += 99) {
        memcpy(stray, jpg, len - 2);
        memset(stray + len - 2, 0, extra);
        memcpy(stray + len - 2 + extra, jpg + len - 2, 2);
        int want = extra <= JPEG_CHECK_STRAY_BYTES ? 0 : -1;
        if (jpeg_check(stray, len + extra, err, sizeof err) != want)
            fail_msg("%zu stray bytes before the end marker: expected %d", extra, want);
    }
    free(stray);
    g_free(jpg);
}

/* Deterministic damage to data's compressed part (kind by seed): a run of random bytes,
 * bit flips, a chunk cut out or random bytes inserted. Returns the new length. */
static size_t damage(unsigned char *d, size_t len, size_t cap, unsigned seed)
{
    srand(seed);
    size_t s = scan_start(d, len), end = len - 2, span = end - s;
    size_t at = s + (size_t)rand() % span;
    switch (seed % 4) {
    case 0:
        for (size_t k = at, n = 1 + (size_t)rand() % 300; k < end && n > 0; k++, n--)
            d[k] = (unsigned char)rand();
        return len;
    case 1:
        for (int n = 1 + rand() % 8; n > 0; n--)
            d[s + (size_t)rand() % span] ^= (unsigned char)(1u << (rand() % 8));
        return len;
    case 2: {
        size_t n = 1 + (size_t)rand() % (end - at);
        memmove(d + at, d + at + n, len - at - n);
        return len - n;
    }
    default: {
        size_t n = 1 + (size_t)rand() % 64;
        if (len + n > cap)
            n = cap - len;
        memmove(d + at + n, d + at, len - at);
        for (size_t k = 0; k < n; k++)
            d[at + k] = (unsigned char)rand();
        return len + n;
    }
    }
}

static void test_damage_refused_as_libvips_does(void **state)
{
    (void)state;
    char err[256];
    int refused_by_libvips = 0, refused_by_check = 0, tried = 0;
    for (size_t kind = 0; kind < 2; kind++) { /* baseline and progressive */
        size_t len;
        unsigned char *jpg = make_jpeg(&kinds[kind], 640, 480, &len);
        size_t cap = len + 64;
        unsigned char *d = malloc(cap);
        assert_non_null(d);
        for (unsigned seed = 1; seed <= 400; seed++) {
            memcpy(d, jpg, len);
            size_t n = damage(d, len, cap, seed * 7919 + (unsigned)kind);
            int by_libvips = libvips_refuses(d, n);
            int by_check = jpeg_check(d, n, err, sizeof err) != 0;
            if (by_libvips && !by_check)
                fail_msg("%s, seed %u: libvips refuses it, jpeg_check lets it through",
                         kinds[kind].what, seed);
            refused_by_libvips += by_libvips;
            refused_by_check += by_check;
            tried++;
        }
        free(d);
        g_free(jpg);
    }
    printf("damaged JPEGs: %d tried, libvips refuses %d, jpeg_check refuses %d\n", tried,
           refused_by_libvips, refused_by_check);
    assert_true(refused_by_libvips > tried / 10); /* the damage is real */
}

/* tests/data/damaged-huffman.jpg: a product photo with a run of bytes damaged in its
 * scan, where one Huffman code is invalid. With the whole file in one buffer libjpeg-turbo
 * decodes that code on its fast path, which makes it a zero without a warning; fed in
 * chunks, the code goes through the path that reports it. */
static void test_bad_huffman_code_found(void **state)
{
    (void)state;
    char path[1024], err[256];
    const char *dir = getenv("VB_TEST_DATA");
    snprintf(path, sizeof path, "%s/damaged-huffman.jpg", dir ? dir : "tests/data");
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL))
        fail_msg("cannot read %s", path);
    assert_true(libvips_refuses((unsigned char *)data, len));
    assert_int_equal(jpeg_check((unsigned char *)data, len, err, sizeof err), -1);
    assert_non_null(strstr(err, "Huffman"));
    g_free(data);
}

static void test_not_a_jpeg(void **state)
{
    (void)state;
    char err[256];
    const unsigned char text[] = "not a jpeg at all";
    assert_int_equal(jpeg_check(text, sizeof text, err, sizeof err), -1);
    assert_int_equal(jpeg_check(text, 0, err, sizeof err), -1);
    const unsigned char soi_only[] = {0xFF, 0xD8, 0xFF, 0xD9};
    assert_int_equal(jpeg_check(soi_only, sizeof soi_only, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sound_kinds_pass),
        cmocka_unit_test(test_truncated_and_stray),
        cmocka_unit_test(test_damage_refused_as_libvips_does),
        cmocka_unit_test(test_bad_huffman_code_found),
        cmocka_unit_test(test_not_a_jpeg),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
