/* test_resize.c - target sizes for --resize auto / --max-side, and the downscale itself.
 *
 * The key promise: in automatic mode the billed image tokens (src/tokens.c) of the target
 * equal those of the original, for every family and many sizes, while the target is as
 * small as the provider's own pipeline allows (docs/provider-facts.md §2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "media/image.h"
#include "media/resize.h"
#include "cost/tokens.h"

static const char *const models[] = {
    "gpt-4o",       "gpt-4o-mini",   "o1",          "computer-use-preview", "gpt-4.1",
    "gpt-4.1-mini", "gpt-4.1-nano",  "o4-mini",     "claude-sonnet-4-5",    "gemini-2.5-flash",
    "llava:13b",    "openai/gpt-4o", "qwen2-vl-7b", "claude-opus-4-7",      "claude-sonnet-5-5",
};
static const char *const details[] = {"low", "high", "auto", NULL};

/* ---- helpers ----------------------------------------------------------------------- */

/* splitmix64: a fixed stream, so a failing size is reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A side from 1 to 16384, spread evenly over the orders of magnitude. */
static unsigned random_side(uint64_t *s)
{
    unsigned bits = (unsigned)(rng_next(s) % 15); /* 0..14 */
    unsigned lo = 1u << bits;
    return lo + (unsigned)(rng_next(s) % lo);
}

static unsigned long tokens_of(const char *model, const char *detail, unsigned w, unsigned h)
{
    tokens_model_t m;
    detail_t d = DETAIL_AUTO;
    tokens_detail_parse(detail, &d);
    if (tokens_model_lookup(model, &m) != 0)
        return 0;
    return tokens_image(&m, w, h, d);
}

/* Whether the provider's own pipeline shrinks a w x h image (provider-facts.md §2):
 * exactly the images automatic mode must resize. */
static int provider_shrinks(const char *model, const char *detail, unsigned w, unsigned h)
{
    tokens_model_t m;
    unsigned long long W = w, H = h;
    if (tokens_model_lookup(model, &m) != 0)
        return 0;
    switch (m.family) {
    case TOKENS_FAMILY_OPENAI_TILE:
        if (detail && strcmp(detail, "low") == 0)
            return w > 512 || h > 512;
        return w > 2048 || h > 2048 || (w < h ? w : h) > 768;
    case TOKENS_FAMILY_OPENAI_PATCH:
        return ((W + 31) / 32) * ((H + 31) / 32) > 1536;
    case TOKENS_FAMILY_ANTHROPIC: /* its tier: long side (base) and 28 px patches (per_tile) */
        return (w > h ? w : h) > m.base || ((W + 27) / 28) * ((H + 27) / 28) > m.per_tile;
    default:
        return 0;
    }
}

/* Every property of one automatic-mode answer. */
static void check_automatic(const char *model, const char *detail, unsigned w, unsigned h)
{
    unsigned tw = 0, th = 0, tw2 = 0, th2 = 0;
    int rc = resize_target(model, detail, w, h, 0, 1, &tw, &th);
    unsigned long before = tokens_of(model, detail, w, h);
    unsigned long after = tokens_of(model, detail, tw, th);
    if (before != after || tw < 1 || th < 1 || tw > w || th > h || rc != (tw < w || th < h) ||
        rc != provider_shrinks(model, detail, w, h))
        fail_msg("%s/%s %ux%u -> %ux%u (rc %d): tokens %lu -> %lu, provider shrinks: %d", model,
                 detail ? detail : "NULL", w, h, tw, th, rc, before, after,
                 provider_shrinks(model, detail, w, h));
    /* The target is a size the provider keeps as it is. */
    assert_int_equal(resize_target(model, detail, tw, th, 0, 1, &tw2, &th2), 0);
    assert_int_equal(tw2, tw);
    assert_int_equal(th2, th);
}

static void expect_target(const char *model, const char *detail, unsigned w, unsigned h,
                          unsigned max_side, int automatic, unsigned ew, unsigned eh)
{
    unsigned tw = 0, th = 0;
    int rc = resize_target(model, detail, w, h, max_side, automatic, &tw, &th);
    if (tw != ew || th != eh || rc != (ew < w || eh < h))
        fail_msg("%s/%s %ux%u max %u auto %d: got %ux%u rc %d, expected %ux%u", model,
                 detail ? detail : "NULL", w, h, max_side, automatic, tw, th, rc, ew, eh);
}

/* ---- resize_target ----------------------------------------------------------------- */

/* The sizes of provider-facts.md §2, and what each family keeps of them. */
static void test_facts_sizes(void **state)
{
    (void)state;
    /* OpenAI tiles, high: 2048 fit then short side 768. */
    expect_target("gpt-4o", "high", 1024, 1024, 0, 1, 768, 768);
    expect_target("gpt-4o", "high", 2048, 4096, 0, 1, 768, 1536);
    expect_target("gpt-4o", "auto", 4000, 3000, 0, 1, 1024, 768);
    expect_target("gpt-4o-mini", NULL, 4000, 3000, 0, 1, 1024, 768); /* NULL: auto */
    expect_target("gpt-4o", "high", 768, 768, 0, 1, 768, 768);
    expect_target("gpt-4o", "high", 100, 100, 0, 1, 100, 100); /* never enlarged */
    expect_target("gpt-4o", "high", 10000, 100, 0, 1, 2048, 20);
    expect_target("gpt-4o", "high", 100000, 10, 0, 1, 2048, 1);
    /* OpenAI tiles, low: 512 x 512. */
    expect_target("gpt-4o", "low", 4096, 8192, 0, 1, 256, 512);
    expect_target("gpt-4o", "low", 512, 300, 0, 1, 512, 300);
    /* OpenAI patches: the facts' example 1800x2400 -> 1056x1408; 1024x1024 kept. */
    expect_target("gpt-4.1-mini", "auto", 1800, 2400, 0, 1, 1056, 1408);
    expect_target("gpt-4.1-mini", "auto", 1024, 1024, 0, 1, 1024, 1024);
    assert_int_equal(tokens_of("gpt-4.1-mini", "auto", 1056, 1408),
                     tokens_of("gpt-4.1-mini", "auto", 1800, 2400));
    /* Anthropic: the older docs' five largest unscaled sizes are kept (each within 1568
     * patches of 28 px), the examples too; batch-api-facts.md §2's resize vectors. */
    static const unsigned keep[][2] = {{1092, 1092}, {951, 1268},  {896, 1344}, {819, 1456},
                                       {784, 1568},  {1000, 1000}, {200, 200}};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect_target("claude-sonnet-4-5", NULL, keep[i][0], keep[i][1], 0, 1, keep[i][0],
                      keep[i][1]);
    expect_target("claude-sonnet-4-5", NULL, 4000, 3000, 0, 1, 1270, 952);
    expect_target("claude-sonnet-4-5", NULL, 1568, 3136, 0, 1, 784, 1568);
    expect_target("claude-sonnet-4-5", NULL, 1920, 1080, 0, 1, 1456, 819);
    expect_target("claude-sonnet-4-5", NULL, 3840, 2160, 0, 1, 1456, 819);
    expect_target("claude-sonnet-4-5", NULL, 1075, 1520, 0, 1, 924, 1307);
    expect_target("claude-opus-4-7", NULL, 3840, 2160, 0, 1, 2576, 1449);
    expect_target("claude-opus-4-7", NULL, 1920, 1080, 0, 1, 1920, 1080);
    assert_int_equal(tokens_of("claude-opus-4-7", NULL, 2576, 1449), 4784);
    assert_int_equal(tokens_of("claude-sonnet-4-5", NULL, 1270, 952),
                     tokens_of("claude-sonnet-4-5", NULL, 4000, 3000));
    /* Gemini and unknown models: unchanged. */
    expect_target("gemini-2.5-flash", NULL, 4000, 3000, 0, 1, 4000, 3000);
    expect_target("llava", NULL, 4000, 3000, 0, 1, 4000, 3000);
    expect_target(NULL, NULL, 4000, 3000, 0, 1, 4000, 3000);
    /* Nothing asked: unchanged. A zero side: nothing to do. */
    expect_target("gpt-4o", "high", 4000, 3000, 0, 0, 4000, 3000);
    expect_target("gpt-4o", "high", 0, 3000, 512, 1, 0, 3000);
    /* --max-side, alone and on top of automatic. */
    expect_target("gpt-4o", "high", 4000, 3000, 512, 0, 512, 384);
    expect_target("gpt-4o", "high", 4000, 3000, 512, 1, 512, 384);
    expect_target("gemini-2.5-flash", NULL, 3000, 4000, 1000, 1, 750, 1000);
    expect_target("llava", NULL, 300, 200, 1000, 0, 300, 200);
    expect_target("gpt-4o", "high", 5000, 3, 100, 0, 100, 1);
    assert_int_equal(tokens_of("gpt-4o", "high", 512, 384), 85 + 170);
}

/* The key promise over many sizes: same tokens, smaller or equal, a fixed point, and
 * resized exactly when the provider would shrink the image. */
static void test_automatic_random(void **state)
{
    (void)state;
    uint64_t s = 7;
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++)
        for (size_t di = 0; di < sizeof details / sizeof details[0]; di++)
            for (int i = 0; i < 20000; i++)
                check_automatic(models[mi], details[di], random_side(&s), random_side(&s));
    /* Camera and phone sizes, both orientations. */
    static const unsigned cams[][2] = {{4000, 3000}, {6000, 4000}, {4032, 3024}, {8192, 5464},
                                       {3264, 2448}, {7728, 5152}, {1920, 1080}, {2560, 1440}};
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++)
        for (size_t di = 0; di < sizeof details / sizeof details[0]; di++)
            for (size_t c = 0; c < sizeof cams / sizeof cams[0]; c++) {
                check_automatic(models[mi], details[di], cams[c][0], cams[c][1]);
                check_automatic(models[mi], details[di], cams[c][1], cams[c][0]);
            }
}

/* Every size on a grid through the tile, patch and Anthropic boundaries. */
static void test_automatic_grid(void **state)
{
    (void)state;
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++)
        for (size_t di = 0; di < sizeof details / sizeof details[0]; di++)
            for (unsigned w = 1; w <= 5000; w += 37)
                for (unsigned h = 1; h <= 5000; h += 41)
                    check_automatic(models[mi], details[di], w, h);
    /* Around each edge of the rules, pixel by pixel. */
    static const unsigned edges[] = {384, 512, 768, 1092, 1536, 1568, 2048, 2576, 3072};
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++)
        for (size_t di = 0; di < sizeof details / sizeof details[0]; di++)
            for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++)
                for (unsigned w = edges[e] - 3; w <= edges[e] + 3; w++)
                    for (unsigned h = 1; h <= 9000; h += 7)
                        check_automatic(models[mi], details[di], w, h);
}

/* --max-side: within the box, never larger than automatic alone, aspect kept. */
static void test_max_side(void **state)
{
    (void)state;
    uint64_t s = 42;
    for (int i = 0; i < 200000; i++) {
        const char *model = models[rng_next(&s) % (sizeof models / sizeof models[0])];
        const char *detail = details[rng_next(&s) % (sizeof details / sizeof details[0])];
        unsigned w = random_side(&s), h = random_side(&s), max = random_side(&s);
        int automatic = (int)(rng_next(&s) % 2);
        unsigned aw, ah, tw, th;
        resize_target(model, detail, w, h, 0, automatic, &aw, &ah);
        int rc = resize_target(model, detail, w, h, max, automatic, &tw, &th);
        if (tw > max || th > max || tw > aw || th > ah || tw < 1 || th < 1 ||
            rc != (tw < w || th < h))
            fail_msg("%s %ux%u max %u auto %d -> %ux%u (rc %d, auto alone %ux%u)", model, w, h, max,
                     automatic, tw, th, rc, aw, ah);
        /* The box's long side is used in full unless the image is already inside it;
         * the short side is within a pixel of the aspect. */
        unsigned long long la = aw >= ah ? aw : ah, lt = tw >= th ? tw : th;
        assert_true(lt == (la <= max ? la : max));
        double want = (double)(aw >= ah ? ah : aw) * (double)lt / (double)la;
        double got = (double)(aw >= ah ? th : tw);
        if (!(got <= (want < 1.0 ? 1.0 : want) + 1e-9 && got > want - 1.0))
            fail_msg("%s %ux%u max %u auto %d -> %ux%u (auto alone %ux%u): short side %g, "
                     "aspect wants %g",
                     model, w, h, max, automatic, tw, th, aw, ah, got, want);
    }
}

/* ---- resize_encode ----------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (image_global_init("test_resize", err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

/* A photo-like w x h RGB image: smooth gradients in each band plus sensor-like noise
 * (real photos are not flat, and their noise is what downscaling averages away). Every
 * step is a streamed libvips operation, so no full frame is held. Caller unrefs. */
static VipsImage *make_photo(int w, int h)
{
    VipsImage *t[8] = {NULL};
    double scale[] = {200.0 / w, 200.0 / h}, offset[] = {20, 20};
    int ok = !vips_xyz(&t[0], w, h, NULL) &&                      /* 2 bands: x, y */
             !vips_linear(t[0], &t[1], scale, offset, 2, NULL) && /* 20..220 each */
             !vips_bandmean(t[1], &t[2], NULL) &&                 /* diagonal third band */
             !vips_bandjoin2(t[1], t[2], &t[3], NULL) &&
             !vips_gaussnoise(&t[4], w, h, "sigma", 6.0, "mean", 0.0, NULL) &&
             !vips_add(t[3], t[4], &t[5], NULL) &&
             !vips_cast(t[5], &t[6], VIPS_FORMAT_UCHAR, NULL) &&
             !vips_copy(t[6], &t[7], "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    for (int i = 0; i < 7; i++)
        if (t[i])
            g_object_unref(t[i]);
    if (!ok)
        fail_msg("cannot make a test image: %s", vips_error_buffer());
    return t[7];
}

/* Planted in the test images' metadata (XMP, EXIF); never in a resized output. */
#define SECRET     "vb-secret-marker"
#define SECRET_XMP "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">" SECRET "</x:xmpmeta>"

/* An EXIF block whose IFD0 holds one entry, ImageDescription = SECRET. */
static const unsigned char secret_exif[] = {
    'E',  'x',  'i',  'f', 0,   0,           /* APP1 identifier */
    'I',  'I',  0x2A, 0,   8,   0,   0,   0, /* TIFF header, little-endian, IFD0 at 8 */
    1,    0,                                 /* one entry */
    0x0E, 0x01, 2,    0,   17,  0,   0,   0,   26,  0,   0,   0, /* 0x010E ASCII, 17 bytes at 26 */
    0,    0,    0,    0,                                         /* no next IFD */
    'v',  'b',  '-',  's', 'e', 'c', 'r', 'e', 't', '-', 'm', 'a', 'r', 'k', 'e', 'r', 0,
};

/* Whether the bytes contain SECRET. */
static int has_secret(const unsigned char *d, size_t len)
{
    size_t n = strlen(SECRET);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(d + i, SECRET, n) == 0)
            return 1;
    return 0;
}

/* Encodes a photo-like w x h image as fmt (with an EXIF orientation when orientation > 1,
 * an alpha channel when alpha). Returns a g_malloc'd buffer. */
static unsigned char *make_encoded(int w, int h, image_format_t fmt, int orientation, int alpha,
                                   size_t *len)
{
    VipsImage *im = make_photo(w, h), *t = NULL;
    void *buf = NULL;
    int rc;
    if (alpha) {
        assert_int_equal(vips_bandjoin_const1(im, &t, 128, NULL), 0);
        g_object_unref(im);
        im = t;
    }
    assert_int_equal(vips_copy(im, &t, NULL), 0);
    g_object_unref(im);
    im = t;
    if (orientation > 1)
        vips_image_set_int(im, VIPS_META_ORIENTATION, orientation);
    /* metadata the output must not carry on */
    vips_image_set_blob_copy(im, VIPS_META_XMP_NAME, SECRET_XMP, strlen(SECRET_XMP));
    vips_image_set_blob_copy(im, VIPS_META_EXIF_NAME, secret_exif, sizeof secret_exif);
    switch (fmt) {
    case IMAGE_JPEG:
        rc = vips_jpegsave_buffer(im, &buf, len, "Q", 90, NULL);
        break;
    case IMAGE_PNG:
        rc = vips_pngsave_buffer(im, &buf, len, NULL);
        break;
    case IMAGE_WEBP:
        rc = vips_webpsave_buffer(im, &buf, len, "Q", 90, NULL);
        break;
    case IMAGE_GIF:
        rc = vips_gifsave_buffer(im, &buf, len, NULL);
        break;
    default:
        rc = -1;
    }
    g_object_unref(im);
    if (rc)
        fail_msg("cannot encode a test image: %s", vips_error_buffer());
    return buf;
}

/* Probes out and checks format and size; decodes every pixel. Returns the band count. */
static int check_output(const unsigned char *out, size_t len, image_format_t fmt, unsigned w,
                        unsigned h)
{
    image_info_t info;
    char err[256];
    if (image_probe(out, len, &info, err, sizeof err) != IMAGE_OK)
        fail_msg("output does not probe: %s", err);
    assert_int_equal(info.format, fmt);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    if (image_decode_check(out, len, err, sizeof err) != 0)
        fail_msg("output does not decode: %s", err);
    VipsImage *im = vips_image_new_from_buffer(out, len, "", NULL);
    assert_non_null(im);
    int bands = vips_image_get_bands(im);
    /* metadata stripped: no orientation left to apply */
    /* Metadata stripped: nothing of the source's, no rotation left to apply. (libvips
     * 8.14's webpsave writes a fresh EXIF block of its own: orientation 1, resolution.) */
    if (has_secret(out, len) || vips_image_get_typeof(im, VIPS_META_XMP_NAME))
        fail_msg("format %d %ux%u: the source's metadata is in the output", (int)fmt, w, h);
    if (fmt != IMAGE_WEBP && vips_image_get_typeof(im, VIPS_META_EXIF_NAME))
        fail_msg("format %d %ux%u: EXIF left in the output", (int)fmt, w, h);
    assert_int_equal(vips_image_get_orientation(im), 1);
    g_object_unref(im);
    return bands;
}

/* The brief's case: a 4000x3000 JPEG for gpt-4o becomes a 1024x768 JPEG, same tokens,
 * a fraction of the bytes, without decoding 12 megapixels into memory. */
static void test_encode_large_jpeg(void **state)
{
    (void)state;
    size_t len = 0, out_len = 0;
    unsigned char *in = make_encoded(4000, 3000, IMAGE_JPEG, 1, 0, &len);
    assert_true(has_secret(in, len));
    unsigned tw, th;
    assert_int_equal(resize_target("gpt-4o", "high", 4000, 3000, 0, 1, &tw, &th), 1);
    assert_int_equal(tw, 1024);
    assert_int_equal(th, 768);

    unsigned char *out = NULL;
    image_format_t fmt = IMAGE_UNKNOWN;
    char err[256] = "";
    if (resize_encode(in, len, IMAGE_JPEG, tw, th, &out, &out_len, &fmt, err, sizeof err) != 0)
        fail_msg("resize_encode: %s", err);
    assert_int_equal(fmt, IMAGE_JPEG);
    assert_int_equal(check_output(out, out_len, IMAGE_JPEG, 1024, 768), 3);
    print_message("4000x3000 JPEG %zu bytes -> 1024x768 %zu bytes (%.1fx)\n", len, out_len,
                  (double)len / (double)out_len);
    assert_true(out_len * 5 < len);
    assert_int_equal(tokens_of("gpt-4o", "high", 1024, 768),
                     tokens_of("gpt-4o", "high", 4000, 3000));
    free(out);
    g_free(in);
}

/* A 48-megapixel JPEG (144 MB of decoded pixels) is shrunk through a streamed pipeline:
 * libvips' pixel buffers stay at a fraction of a full decode. The high-water mark is
 * process-wide, so it also covers making the test image (itself streamed). */
static void test_encode_memory(void **state)
{
    (void)state;
    size_t len = 0, out_len = 0;
    unsigned char *in = make_encoded(8000, 6000, IMAGE_JPEG, 1, 0, &len);
    unsigned tw, th;
    assert_int_equal(resize_target("claude-sonnet-4-5", NULL, 8000, 6000, 0, 1, &tw, &th), 1);
    unsigned char *out = NULL;
    image_format_t fmt;
    char err[256] = "";
    if (resize_encode(in, len, IMAGE_JPEG, tw, th, &out, &out_len, &fmt, err, sizeof err))
        fail_msg("%s", err);
    check_output(out, out_len, IMAGE_JPEG, tw, th);
    size_t high = vips_tracked_get_mem_highwater();
    print_message("8000x6000 JPEG -> %ux%u: libvips pixel memory high-water %.1f MB\n", tw, th,
                  (double)high / 1048576.0);
    assert_true(high < 48u * 1024 * 1024);
    free(out);
    g_free(in);
}

/* libvips must produce exactly the target: one pixel off can change a tile count. */
static void test_encode_exact_sizes(void **state)
{
    (void)state;
    size_t len = 0;
    unsigned char *in = make_encoded(997, 631, IMAGE_JPEG, 1, 0, &len);
    for (unsigned max = 1; max <= 997; max = max * 3 / 2 + 1) {
        unsigned tw, th;
        resize_target("llava", NULL, 997, 631, max, 0, &tw, &th);
        unsigned char *out = NULL;
        size_t out_len = 0;
        image_format_t fmt;
        char err[256] = "";
        if (resize_encode(in, len, IMAGE_JPEG, tw, th, &out, &out_len, &fmt, err, sizeof err))
            fail_msg("%ux%u: %s", tw, th, err);
        check_output(out, out_len, IMAGE_JPEG, tw, th);
        free(out);
    }
    g_free(in);
}

/* EXIF orientation 6 (stored landscape, shown portrait): the pixels come out upright and
 * the sides swapped, which every formula bills the same. */
static void test_encode_orientation(void **state)
{
    (void)state;
    size_t len = 0, out_len = 0;
    unsigned char *in = make_encoded(400, 300, IMAGE_JPEG, 6, 0, &len);
    image_info_t info;
    char err[256] = "";
    assert_int_equal(image_probe(in, len, &info, err, sizeof err), IMAGE_OK);
    assert_int_equal(info.width, 400); /* probe reports stored pixels */
    unsigned char *out = NULL;
    image_format_t fmt;
    if (resize_encode(in, len, IMAGE_JPEG, 200, 150, &out, &out_len, &fmt, err, sizeof err))
        fail_msg("%s", err);
    check_output(out, out_len, IMAGE_JPEG, 150, 200);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        assert_int_equal(tokens_of(models[i], NULL, 150, 200),
                         tokens_of(models[i], NULL, 200, 150));
    free(out);
    g_free(in);
}

/* PNG and GIF stay lossless as PNG (alpha kept), WebP stays WebP. */
static void test_encode_formats(void **state)
{
    (void)state;
    static const struct {
        image_format_t in;
        int alpha;
        image_format_t out;
        int bands;
    } cases[] = {
        {IMAGE_PNG, 1, IMAGE_PNG, 4},   {IMAGE_PNG, 0, IMAGE_PNG, 3},
        {IMAGE_GIF, 0, IMAGE_PNG, 3},   {IMAGE_WEBP, 1, IMAGE_WEBP, 4},
        {IMAGE_WEBP, 0, IMAGE_WEBP, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0, out_len = 0;
        unsigned char *in = make_encoded(600, 400, cases[i].in, 1, cases[i].alpha, &len);
        if (cases[i].in != IMAGE_GIF) /* GIF has no metadata to carry it */
            if (!has_secret(in, len))
                fail_msg("case %zu: the source carries no metadata marker", i);
        unsigned char *out = NULL;
        image_format_t fmt = IMAGE_UNKNOWN;
        char err[256] = "";
        if (resize_encode(in, len, cases[i].in, 300, 200, &out, &out_len, &fmt, err, sizeof err))
            fail_msg("case %zu: %s", i, err);
        assert_int_equal(fmt, cases[i].out);
        int bands = check_output(out, out_len, cases[i].out, 300, 200);
        /* a GIF may come back with an alpha channel from its palette */
        if (cases[i].in != IMAGE_GIF)
            assert_int_equal(bands, cases[i].bands);
        free(out);
        g_free(in);
    }
}

/* A 16-bit PNG is written with 8 bits per sample. */
static void test_encode_16bit_png(void **state)
{
    (void)state;
    VipsImage *im = make_photo(300, 200), *t = NULL;
    assert_int_equal(vips_colourspace(im, &t, VIPS_INTERPRETATION_RGB16, NULL), 0);
    void *buf = NULL;
    size_t len = 0, out_len = 0;
    assert_int_equal(vips_pngsave_buffer(t, &buf, &len, NULL), 0);
    unsigned char *out = NULL;
    image_format_t fmt;
    char err[256] = "";
    if (resize_encode(buf, len, IMAGE_PNG, 150, 100, &out, &out_len, &fmt, err, sizeof err))
        fail_msg("%s", err);
    check_output(out, out_len, IMAGE_PNG, 150, 100);
    VipsImage *o = vips_image_new_from_buffer(out, out_len, "", NULL);
    assert_non_null(o);
    assert_int_equal(vips_image_get_format(o), VIPS_FORMAT_UCHAR);
    g_object_unref(o);
    g_object_unref(t);
    g_object_unref(im);
    g_free(buf);
    free(out);
}

/* A flat w x h 8-bit sRGB PNG of colour rgb, carrying the ICC profile named profile
 * (libvips' built-in ones) unless NULL. Returns a g_malloc'd buffer. */
static void *make_flat_png(int w, int h, const double rgb[3], const char *profile, size_t *len)
{
    VipsImage *black = NULL, *flat = NULL, *im = NULL;
    void *buf = NULL;
    assert_int_equal(vips_black(&black, w, h, "bands", 3, NULL), 0);
    double zero[3] = {0, 0, 0};
    assert_int_equal(vips_linear(black, &flat, zero, (double *)rgb, 3, "uchar", TRUE, NULL), 0);
    assert_int_equal(vips_copy(flat, &im, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    if (profile) {
        VipsBlob *icc = NULL;
        assert_int_equal(vips_profile_load(profile, &icc, NULL), 0);
        size_t n = 0;
        const void *data = vips_area_get_data((VipsArea *)icc, &n, NULL, NULL, NULL);
        vips_image_set_blob_copy(im, VIPS_META_ICC_NAME, data, n);
        vips_area_unref((VipsArea *)icc);
    }
    assert_int_equal(vips_pngsave_buffer(im, &buf, len, NULL), 0);
    g_object_unref(im);
    g_object_unref(flat);
    g_object_unref(black);
    return buf;
}

/* The resized PNG's colour: each band's min and max over all pixels. */
static void band_range(const unsigned char *png, size_t len, double lo[3], double hi[3])
{
    VipsImage *im = vips_image_new_from_buffer(png, len, "", NULL);
    assert_non_null(im);
    assert_int_equal(vips_image_get_bands(im), 3);
    assert_int_equal(vips_image_get_typeof(im, VIPS_META_ICC_NAME), 0); /* stripped */
    for (int b = 0; b < 3; b++) {
        VipsImage *band = NULL;
        assert_int_equal(vips_extract_band(im, &band, b, NULL), 0);
        assert_int_equal(vips_min(band, &lo[b], NULL), 0);
        assert_int_equal(vips_max(band, &hi[b], NULL), 0);
        g_object_unref(band);
    }
    g_object_unref(im);
}

/* Colour: a photo with a wide-gamut profile (Display P3, as phones write) is turned into
 * sRGB before its profile is stripped; a photo without one is sRGB already and keeps its
 * values exactly (no transform is run for it). */
static void test_encode_colour(void **state)
{
    (void)state;
    const double rgb[3] = {200, 60, 40};
    const char *profiles[] = {NULL, "p3"};
    for (int i = 0; i < 2; i++) {
        size_t len = 0, out_len = 0;
        void *in = make_flat_png(300, 200, rgb, profiles[i], &len);
        unsigned char *out = NULL;
        image_format_t fmt;
        char err[256] = "";
        if (resize_encode(in, len, IMAGE_PNG, 150, 100, &out, &out_len, &fmt, err, sizeof err))
            fail_msg("%s", err);
        double lo[3], hi[3], moved = 0;
        band_range(out, out_len, lo, hi);
        for (int b = 0; b < 3; b++) {
            assert_true(lo[b] == hi[b]); /* still flat */
            moved = fmax(moved, fabs(lo[b] - rgb[b]));
        }
        if (profiles[i] && moved < 5)
            fail_msg("a P3 image was sent with its values unchanged: no transform to sRGB");
        if (!profiles[i] && moved != 0)
            fail_msg("an sRGB image without a profile changed colour by %.0f", moved);
        free(out);
        g_free(in);
    }
}

/* Refusals: enlarging, garbage, an unsupported format, a zero size. */
static void test_encode_errors(void **state)
{
    (void)state;
    size_t len = 0, out_len = 7;
    unsigned char *in = make_encoded(200, 100, IMAGE_JPEG, 1, 0, &len);
    unsigned char *out = (unsigned char *)"x";
    image_format_t fmt;
    char err[256] = "";
    assert_int_equal(
        resize_encode(in, len, IMAGE_JPEG, 201, 100, &out, &out_len, &fmt, err, sizeof err), -1);
    assert_null(out);
    assert_int_equal(out_len, 0);
    assert_non_null(strstr(err, "never enlarged"));
    err[0] = '\0';
    static const unsigned char junk[] = "this is not an image at all, not even close";
    assert_int_equal(
        resize_encode(junk, sizeof junk, IMAGE_JPEG, 10, 10, &out, &out_len, &fmt, err, sizeof err),
        -1);
    assert_null(out);
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_int_equal(
        resize_encode(in, len, IMAGE_UNKNOWN, 10, 10, &out, &out_len, &fmt, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_int_equal(
        resize_encode(in, len, IMAGE_JPEG, 0, 10, &out, &out_len, &fmt, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    /* a truncated file: the header reads, the pixels do not */
    err[0] = '\0';
    size_t half = len / 2;
    int rc = resize_encode(in, half, IMAGE_JPEG, 100, 50, &out, &out_len, &fmt, err, sizeof err);
    if (rc == 0) /* libvips may pad a truncated JPEG with grey; then the output is valid */
        check_output(out, out_len, IMAGE_JPEG, 100, 50);
    else
        assert_true(err[0] != '\0');
    free(rc == 0 ? out : NULL);
    g_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facts_sizes),        cmocka_unit_test(test_automatic_random),
        cmocka_unit_test(test_automatic_grid),     cmocka_unit_test(test_max_side),
        cmocka_unit_test(test_encode_large_jpeg),  cmocka_unit_test(test_encode_memory),
        cmocka_unit_test(test_encode_exact_sizes), cmocka_unit_test(test_encode_orientation),
        cmocka_unit_test(test_encode_formats),     cmocka_unit_test(test_encode_16bit_png),
        cmocka_unit_test(test_encode_errors),      cmocka_unit_test(test_encode_colour),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
