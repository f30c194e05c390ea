/* resize.c - target sizes from the providers' own scaling rules, and the downscale itself.
 *
 * The size arithmetic mirrors src/tokens.c step by step (same order, same integer
 * floors, same floating-point patch formula): the promise of `--resize auto` is that the
 * billed tokens do not change, and the only way to keep it for every size is to round
 * exactly as the formula does. tests/unit/test_resize.c holds the two files together. */
#include "media/resize.h"

#include "cost/tokens.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#define TILE_FIT_EDGE   2048ULL
#define TILE_SHORT_EDGE 768ULL
#define TILE_LOW_EDGE   512ULL /* OpenAI looks at a low-detail image at 512 x 512 */
#define PATCH_EDGE      32.0
#define PATCH_MAX       1536.0
#define CEIL_EPS        1e-9               /* tokens.c's slack for ceil() */

#define JPEG_QUALITY 90
#define WEBP_QUALITY 90

typedef struct {
    unsigned long long w, h;
} size2_t;

/* Shrinks s, aspect kept and the scaled side rounded down, until it fits in edge x edge
 * (tokens.c's first tile step; also --max-side and low detail). A side may reach 0:
 * callers clamp at the end, as tokens.c does. */
static void fit_within(size2_t *s, unsigned long long edge)
{
    if (s->w <= edge && s->h <= edge)
        return;
    if (s->w >= s->h) {
        s->h = s->h * edge / s->w;
        s->w = edge;
    } else {
        s->w = s->w * edge / s->h;
        s->h = edge;
    }
}

static void clamp_min1(size2_t *s)
{
    if (s->w == 0)
        s->w = 1;
    if (s->h == 0)
        s->h = 1;
}

/* OpenAI tiles, high/auto: the size tiles_openai() in tokens.c counts tiles of. */
static size2_t target_tile_high(size2_t s)
{
    fit_within(&s, TILE_FIT_EDGE);
    if (s.w <= s.h && s.w > TILE_SHORT_EDGE) {
        s.h = s.h * TILE_SHORT_EDGE / s.w;
        s.w = TILE_SHORT_EDGE;
    } else if (s.h < s.w && s.h > TILE_SHORT_EDGE) {
        s.w = s.w * TILE_SHORT_EDGE / s.h;
        s.h = TILE_SHORT_EDGE;
    }
    clamp_min1(&s);
    return s;
}

static double ceil_eps(double x)
{
    return ceil(x - CEIL_EPS);
}

/* One side for the patch family: close to r*side, but always with exactly `patches`
 * 32 px patches (ceil(side/32) == patches), so the target's raw patch count is the
 * formula's count even where floating-point error sits near a patch boundary. */
static unsigned long long patch_side(double scaled, double patches, unsigned long long orig)
{
    unsigned long long p = (unsigned long long)patches;
    unsigned long long lo = p > 0 ? 32 * (p - 1) + 1 : 1;
    unsigned long long hi = 32 * p < orig ? 32 * p : orig;
    unsigned long long v = (unsigned long long)ceil_eps(scaled);
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return v;
}

/* OpenAI patches: above 1536 raw patches, the formula's scale factor r (patches_openai()
 * in tokens.c, verbatim) with each side rounded up. */
static size2_t target_patch(size2_t s)
{
    double raw = (double)((s.w + 31) / 32) * (double)((s.h + 31) / 32);
    if (raw <= PATCH_MAX)
        return s;
    double W = (double)s.w, H = (double)s.h;
    double r = sqrt(PATCH_EDGE * PATCH_EDGE * PATCH_MAX / (W * H));
    double fw = W * r / PATCH_EDGE, fh = H * r / PATCH_EDGE;
    double sw = floor(fw) / fw, sh = floor(fh) / fh;
    r *= sw < sh ? sw : sh;
    double pw = ceil_eps(r * W / PATCH_EDGE), ph = ceil_eps(r * H / PATCH_EDGE);
    size2_t t = {patch_side(r * W, pw, s.w), patch_side(r * H, ph, s.h)};
    clamp_min1(&t);
    return t;
}

/* Anthropic: exactly the size its pipeline resizes to (tokens_anthropic_size, the one
 * tokens.c bills the patches of), so the model sees the same pixels and the bill is the
 * same; the 28 px padding is the provider's, not sent. */
static size2_t target_anthropic(const tokens_model_t *m, size2_t s)
{
    unsigned w, h;
    tokens_anthropic_size(m, (unsigned)s.w, (unsigned)s.h, &w, &h);
    size2_t t = {w, h};
    clamp_min1(&t);
    return t;
}

/* The size the provider keeps for model m at detail d; s itself when unknown. */
static size2_t target_automatic(const tokens_model_t *m, detail_t d, size2_t s)
{
    size2_t t = s;
    switch (m->family) {
    case TOKENS_FAMILY_OPENAI_TILE:
        if (d == DETAIL_LOW) {
            fit_within(&t, TILE_LOW_EDGE);
            clamp_min1(&t);
        } else {
            t = target_tile_high(s);
        }
        break;
    case TOKENS_FAMILY_OPENAI_PATCH:
        t = target_patch(s);
        break;
    case TOKENS_FAMILY_ANTHROPIC:
        t = target_anthropic(m, s);
        break;
    case TOKENS_FAMILY_GEMINI: /* tiling undocumented: any change may change the bill */
    case TOKENS_FAMILY_GEMINI_MEDIA: /* a fixed count whatever the size: nothing to save */
    case TOKENS_FAMILY_UNKNOWN:
        break;
    }
    /* Never larger than the image, and never a size that bills differently. */
    if (t.w > s.w || t.h > s.h ||
        tokens_image(m, (unsigned)t.w, (unsigned)t.h, d) !=
            tokens_image(m, (unsigned)s.w, (unsigned)s.h, d))
        return s;
    return t;
}

int resize_target(const char *model, const char *detail, unsigned w, unsigned h, unsigned max_side,
                  int automatic, unsigned *out_w, unsigned *out_h)
{
    size2_t s = {w, h}, t = s;
    if (w == 0 || h == 0) {
        *out_w = w;
        *out_h = h;
        return 0;
    }
    if (automatic) {
        tokens_model_t m;
        detail_t d = DETAIL_AUTO;
        tokens_detail_parse(detail, &d); /* leaves auto for NULL or an unknown word */
        if (tokens_model_lookup(model, &m) == 0)
            t = target_automatic(&m, d, s);
    }
    if (max_side > 0) {
        fit_within(&t, max_side);
        clamp_min1(&t);
    }
    *out_w = (unsigned)t.w;
    *out_h = (unsigned)t.h;
    return t.w < s.w || t.h < s.h;
}

/* Copies the first line of libvips' error buffer into err after prefix, and clears it. */
static void vips_fail(char *err, size_t errlen, const char *prefix)
{
    const char *why = vips_error_buffer();
    size_t n = strcspn(why, "\n");
    if (n == 0)
        snprintf(err, errlen, "%s", prefix);
    else
        snprintf(err, errlen, "%s: %.*s", prefix, (int)(n > 200 ? 200 : n), why);
    vips_error_clear();
}

/* The format a resized image of `format` is written in (see resize.h), or IMAGE_UNKNOWN. */
static image_format_t output_format(image_format_t format)
{
    switch (format) {
    case IMAGE_JPEG:
        return IMAGE_JPEG;
    case IMAGE_PNG:
    case IMAGE_GIF:
        return IMAGE_PNG;
    case IMAGE_WEBP:
        return IMAGE_WEBP;
    case IMAGE_UNKNOWN:
        break;
    }
    return IMAGE_UNKNOWN;
}

/* A copy of in without its metadata (EXIF, XMP, IPTC, ICC, comments, orientation...),
 * keeping libvips' own "vips-" flags. The savers' "strip" alone is not enough with
 * libvips 8.14: webpsave still writes an EXIF block, rebuilt from whatever the image
 * carries, so the image must carry nothing (what is left is orientation 1 and the
 * resolution). Returns 0, or -1 with libvips' error set. */
static int strip_metadata(VipsImage *in, VipsImage **out)
{
    if (vips_copy(in, out, NULL))
        return -1;
    gchar **fields = vips_image_get_fields(*out);
    for (gchar **f = fields; f && *f; f++)
        if (strncmp(*f, "vips-", 5) != 0)
            vips_image_remove(*out, *f); /* a no-op for width, height and the like */
    g_strfreev(fields);
    return 0;
}

/* Encodes im as fmt into a g_malloc'd buffer, without metadata. Returns 0, or -1 with
 * libvips' error set. */
static int encode(VipsImage *in, image_format_t fmt, void **buf, size_t *len)
{
    VipsImage *im = NULL;
    int rc = -1;
    if (strip_metadata(in, &im))
        return -1;
    switch (fmt) {
    case IMAGE_JPEG:
        rc = vips_jpegsave_buffer(im, buf, len, "Q", JPEG_QUALITY, "strip", TRUE, "subsample_mode",
                                  VIPS_FOREIGN_SUBSAMPLE_ON, NULL);
        break;
    case IMAGE_PNG:
        rc = vips_pngsave_buffer(im, buf, len, "strip", TRUE, "bitdepth", 8, NULL);
        break;
    case IMAGE_WEBP:
        rc = vips_webpsave_buffer(im, buf, len, "Q", WEBP_QUALITY, "strip", TRUE, NULL);
        break;
    default:
        vips_error("resize", "no encoder for this format");
        break;
    }
    g_object_unref(im);
    return rc;
}

/* Whether im (a header just read) must go through a colour transform to come out as
 * 8-bit sRGB: it carries an ICC profile (a camera's Display P3 or Adobe RGB, a printer's
 * CMYK), has more than 8 bits, or is neither RGB nor grey. The common catalog photo, 8-bit
 * RGB without a profile, is sRGB already, as the APIs read it: an sRGB-to-sRGB transform
 * would leave its pixels as they are and cost more than the resize itself (lcms builds
 * the transform anew for each image). */
static bool needs_colour_transform(VipsImage *im)
{
    VipsInterpretation kind = vips_image_guess_interpretation(im);
    return vips_image_get_typeof(im, VIPS_META_ICC_NAME) != 0 ||
           vips_image_get_format(im) != VIPS_FORMAT_UCHAR ||
           (kind != VIPS_INTERPRETATION_sRGB && kind != VIPS_INTERPRETATION_B_W);
}

int resize_encode(const unsigned char *data, size_t len, image_format_t format, unsigned w,
                  unsigned h, unsigned char **out, size_t *out_len, image_format_t *out_format,
                  char *err, size_t errlen)
{
    return resize_encode_to(data, len, output_format(format), w, h, 0, out, out_len, out_format,
                            err, errlen);
}

int resize_encode_to(const unsigned char *data, size_t len, image_format_t fmt, unsigned w,
                     unsigned h, int strict, unsigned char **out, size_t *out_len,
                     image_format_t *out_format, char *err, size_t errlen)
{
    VipsImage *im = NULL;
    void *buf = NULL;
    size_t n = 0;
    int rc = -1;

    *out = NULL;
    *out_len = 0;
    if (fmt == IMAGE_UNKNOWN || fmt == IMAGE_GIF) {
        snprintf(err, errlen, "cannot resize: unsupported image format");
        return -1;
    }
    if (!data || len == 0 || w == 0 || h == 0 || w > INT32_MAX || h > INT32_MAX) {
        snprintf(err, errlen, "cannot resize: empty image or target size");
        return -1;
    }

    /* The header alone: the stored size (to refuse enlarging) and the orientation. */
    im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!im) {
        vips_fail(err, errlen, "cannot resize: header unreadable");
        return -1;
    }
    unsigned iw = (unsigned)vips_image_get_width(im), ih = (unsigned)vips_image_get_height(im);
    int swap = vips_image_get_orientation_swap(im);
    bool to_srgb = needs_colour_transform(im);
    g_object_unref(im);
    im = NULL;
    if (w > iw || h > ih) {
        snprintf(err, errlen, "cannot resize %ux%u to %ux%u: images are never enlarged", iw, ih, w,
                 h);
        return -1;
    }

    /* thumbnail's width and height are those of its upright output. FORCE gives exactly
     * that size (the target keeps the aspect to within a pixel's rounding); DOWN would let
     * libvips round the sides itself, and one pixel can change a tile count. Shrink-on-load
     * (JPEG, WebP) and a sequential pipeline keep memory to a few lines of pixels. */
    int ow = (int)(swap ? h : w), oh = (int)(swap ? w : h);
    /* the loader's options: thumbnail_buffer's own "fail_on" is not passed on (8.14) */
    const char *load = strict ? "fail_on=warning" : "";
    int failed = to_srgb ? vips_thumbnail_buffer((void *)data, len, &im, ow, "height", oh, "size",
                                                 VIPS_SIZE_FORCE, "option_string", load,
                                                 "export_profile", "srgb", NULL)
                         : vips_thumbnail_buffer((void *)data, len, &im, ow, "height", oh, "size",
                                                 VIPS_SIZE_FORCE, "option_string", load, NULL);
    if (failed) {
        vips_fail(err, errlen, "cannot resize");
        goto out;
    }
    if (vips_image_get_width(im) != ow || vips_image_get_height(im) != oh) {
        snprintf(err, errlen, "cannot resize to %dx%d: libvips made %dx%d", ow, oh,
                 vips_image_get_width(im), vips_image_get_height(im));
        goto out;
    }
    if (encode(im, fmt, &buf, &n)) {
        vips_fail(err, errlen, "cannot encode the resized image");
        goto out;
    }
    /* Handed back as malloc memory, like every other buffer of the project. */
    *out = malloc(n > 0 ? n : 1);
    if (!*out) {
        snprintf(err, errlen, "out of memory copying %zu bytes", n);
        goto out;
    }
    memcpy(*out, buf, n);
    *out_len = n;
    *out_format = fmt;
    rc = 0;
out:
    g_free(buf);
    if (im)
        g_object_unref(im);
    return rc;
}
