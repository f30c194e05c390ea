/* sample_images.c - vb-sample-images: deterministic product-like sample images.
 *
 *   vb-sample-images [options] DIR COUNT
 *
 * Writes COUNT catalog-style pictures (a light plain or graded background, a centred
 * "product" built from a few filled shapes in a saturated colour, a soft floor shadow)
 * into DIR as <prefix><index, zero-padded to 6>.<jpg|png>. The demo, the tests and the
 * benchmarks use them.
 *
 * Every image is a pure function of (seed, index): its own random stream is derived from
 * both, so image 42 is the same whether it is written alone or among thousands, and a run
 * can be extended with --start. Each product carries a barcode of its index on its label,
 * so no two images of a run have the same pixels (and hence the same content hash).
 *
 * Exit status: 0 on success, 2 on a usage error, 1 on an I/O or libvips error. */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <vips/vips.h>

#define SIDE_LIMIT_MIN 16
#define SIDE_LIMIT_MAX 8192
#define COUNT_LIMIT    10000000UL
#define INDEX_LIMIT    999999999
#define VB_STR_(x)     #x
#define VB_STR(x)      VB_STR_(x) /* a macro's value as a string literal */
#define ERR_LEN        512

typedef enum { FORMAT_JPEG, FORMAT_PNG, FORMAT_MIXED } sample_format_t;

typedef struct {
    uint64_t seed;
    int min_side;
    int max_side;
    int width; /* --size: every image exactly width x height; 0 = random sides */
    int height;
    sample_format_t format;
    int quality;
    const char *prefix;
    unsigned long start;
    const char *dir;
    unsigned long count;
} sample_opts_t;

/* One image's private random stream (splitmix64). */
typedef struct {
    uint64_t state;
} rng_t;

typedef struct {
    double v[3];
} rgb_t;

/* ---- random numbers ---------------------------------------------------------------- */

/* Next 64 random bits of r (splitmix64: tiny, fast, well mixed for any seed). */
static uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The stream for image `index` of a run seeded with `seed`: independent of every other
 * index, so images do not depend on COUNT or --start. */
static rng_t rng_for_image(uint64_t seed, unsigned long index)
{
    rng_t r = {seed ^ 0x5851F42D4C957F2DULL};
    r.state = rng_next(&r) ^ ((uint64_t)index * 0xD1342543DE82EF95ULL);
    (void)rng_next(&r);
    return r;
}

/* A uniform double in [0, 1). */
static double rng_unit(rng_t *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* A uniform double in [lo, hi). */
static double rng_real(rng_t *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(r);
}

/* A uniform int in [lo, hi] (inclusive); needs lo <= hi. */
static int rng_int(rng_t *r, int lo, int hi)
{
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    return (int)((int64_t)lo + (int64_t)(rng_next(r) % span));
}

/* ---- colours ----------------------------------------------------------------------- */

/* The RGB (0..255) colour of hue h in [0, 1), saturation s and value v in [0, 1]. */
static rgb_t color_from_hsv(double h, double s, double v)
{
    double hh = fmod(h, 1.0) * 6.0;
    int sector = (int)hh;
    double f = hh - sector;
    double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double c[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    rgb_t out;
    for (int i = 0; i < 3; i++)
        out.v[i] = 255.0 * c[sector % 6][i];
    return out;
}

/* c scaled towards black (k < 1) or towards white (k > 1, e.g. 1.4 is 40% of the way). */
static rgb_t color_shade(rgb_t c, double k)
{
    rgb_t out;
    for (int i = 0; i < 3; i++)
        out.v[i] = k <= 1 ? c.v[i] * k : c.v[i] + (255.0 - c.v[i]) * (k - 1);
    return out;
}

/* A saturated "product" colour. */
static rgb_t color_product(rng_t *r)
{
    return color_from_hsv(rng_unit(r), rng_real(r, 0.6, 0.95), rng_real(r, 0.5, 0.9));
}

/* ---- drawing ----------------------------------------------------------------------- */

/* The picture being drawn: w x h packed RGB bytes, rows top to bottom. Drawing is done
 * here rather than with vips_draw_*(): each of those runs a small libvips pipeline just to
 * convert its ink (vips__vector_to_ink), about 0.25 ms a call, which made a 256-pixel
 * image cost 20 ms. libvips then encodes the finished pixels. */
typedef struct {
    unsigned char *px;
    int w, h;
} canvas_t;

/* One channel value, rounded and clamped to a byte. */
static unsigned char byte_clamp(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)(v + 0.5);
}

/* Fills the whole canvas with a vertical gradient from `top` to `bottom`. */
static void canvas_fill_gradient(canvas_t *cv, rgb_t top, rgb_t bottom)
{
    for (int y = 0; y < cv->h; y++) {
        double t = cv->h > 1 ? (double)y / (cv->h - 1) : 0;
        unsigned char c[3], *row = cv->px + (size_t)y * cv->w * 3;
        for (int i = 0; i < 3; i++)
            c[i] = byte_clamp(top.v[i] + (bottom.v[i] - top.v[i]) * t);
        for (int x = 0; x < cv->w; x++)
            memcpy(row + (size_t)x * 3, c, 3);
    }
}

/* Fills the rectangle at (x, y) of size w x h with colour c, clipped to the canvas. */
static void canvas_fill_rect(canvas_t *cv, rgb_t c, int x, int y, int w, int h)
{
    unsigned char ink[3];
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > cv->w ? cv->w : x + w, y1 = y + h > cv->h ? cv->h : y + h;

    for (int i = 0; i < 3; i++)
        ink[i] = byte_clamp(c.v[i]);
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++)
            memcpy(cv->px + ((size_t)yy * cv->w + xx) * 3, ink, 3);
}

/* Blends colour c at opacity alpha (0..1] into the ellipse centred on (cx, cy) with radii
 * rx, ry (>= 0.5). soft is the half-width in pixels of the edge's fade: about 0.5 gives
 * a crisp anti-aliased edge, a few pixels a blurred one (soft shadows, highlights). */
static void canvas_fill_ellipse(canvas_t *cv, rgb_t c, double cx, double cy, double rx, double ry,
                                double soft, double alpha)
{
    if (rx < 0.5)
        rx = 0.5;
    if (ry < 0.5)
        ry = 0.5;
    if (soft < 0.5)
        soft = 0.5;
    int x0 = (int)floor(cx - rx - soft), x1 = (int)ceil(cx + rx + soft);
    int y0 = (int)floor(cy - ry - soft), y1 = (int)ceil(cy + ry + soft);
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > cv->w)
        x1 = cv->w;
    if (y1 > cv->h)
        y1 = cv->h;
    for (int y = y0; y < y1; y++) {
        double ny = (y + 0.5 - cy) / ry;
        for (int x = x0; x < x1; x++) {
            double nx = (x + 0.5 - cx) / rx, d = sqrt(nx * nx + ny * ny), dist, t;
            /* First-order distance to the edge in pixels (negative inside): the implicit
             * function's value over its gradient. */
            if (d > 1e-9) {
                double gx = nx / rx, gy = ny / ry;
                dist = (d - 1) * d / sqrt(gx * gx + gy * gy);
            } else {
                dist = -(rx < ry ? rx : ry);
            }
            if (dist >= soft)
                continue;
            t = dist <= -soft ? 1 : (soft - dist) / (2 * soft);
            t = t * t * (3 - 2 * t) * alpha;
            unsigned char *p = cv->px + ((size_t)y * cv->w + x) * 3;
            for (int i = 0; i < 3; i++)
                p[i] = byte_clamp(p[i] + (c.v[i] - p[i]) * t);
        }
    }
}

/* A label: a light panel at (x, y, w, h) with an accent stripe on top and, below it, a
 * barcode of the 32 bits of code, lowest first (wide bar = 1, narrow bar = 0, between
 * guard bars). The barcode is what makes every image of a run distinct; where the image is
 * too small for all of it, the canvas clips the high bits, which rarely differ. */
static void draw_label(canvas_t *cv, rgb_t paper, rgb_t accent, int x, int y, int w, int h,
                       uint32_t code)
{
    const rgb_t ink = {{25, 25, 30}};
    int stripe = h / 4, bar_y, bar_h, unit, bx;

    canvas_fill_rect(cv, paper, x, y, w, h);
    canvas_fill_rect(cv, accent, x, y, w, stripe);
    /* Bars and gaps of 32 bits take at most 32 * 3 units, the guards 4 more. */
    unit = w / (32 * 3 + 8);
    if (unit < 1)
        unit = 1;
    bar_y = y + stripe + (h - stripe) / 5;
    bar_h = (h - stripe) * 3 / 5;
    if (bar_h < 1)
        bar_h = 1;
    bx = x + (w - unit * (32 * 3 + 4)) / 2;
    if (bx < x)
        bx = x;
    canvas_fill_rect(cv, ink, bx, bar_y, unit, bar_h);
    bx += 2 * unit;
    for (int bit = 0; bit < 32; bit++) {
        int bw = (code >> bit) & 1 ? 2 * unit : unit;
        canvas_fill_rect(cv, ink, bx, bar_y, bw, bar_h);
        bx += bw + unit;
    }
    canvas_fill_rect(cv, ink, bx, bar_y, unit, bar_h);
}

/* A soft floor shadow under a product of half-width hw whose base is at (cx, base). */
static void draw_shadow(canvas_t *cv, rng_t *r, int cx, int base, int hw)
{
    const rgb_t shade = {{40, 40, 48}};
    double rx = hw * rng_real(r, 1.0, 1.25), ry = rx / 6 + 1;
    canvas_fill_ellipse(cv, shade, cx, base, rx, ry, ry * 0.8 + 1, rng_real(r, 0.3, 0.55));
}

/* A box: front face, darker side strip and lid, and a label. s is the product scale. */
static void product_box(canvas_t *cv, rng_t *r, int cx, int cy, int s, uint32_t code)
{
    rgb_t c = color_product(r), accent = color_product(r);
    int w = (int)(s * rng_real(r, 0.55, 0.85)), h = (int)(s * rng_real(r, 0.6, 1.0));
    int x = cx - w / 2, y = cy - h / 2, lid = h / 8 + 1, side = w / 6;

    draw_shadow(cv, r, cx, y + h, w / 2);
    canvas_fill_rect(cv, c, x, y, w, h);
    canvas_fill_rect(cv, color_shade(c, 0.72), x + w - side, y, side, h);
    canvas_fill_rect(cv, color_shade(c, 0.85), x - w / 40, y, w + w / 20, lid);
    draw_label(cv, color_shade(c, 1.85), accent, x + w / 8, y + h * 2 / 5, w * 3 / 5, h * 2 / 5,
               code);
}

/* A bottle: body, round shoulder, neck, cap, highlight and a label band. */
static void product_bottle(canvas_t *cv, rng_t *r, int cx, int cy, int s, uint32_t code)
{
    rgb_t c = color_product(r), cap = color_product(r);
    int total = (int)(s * rng_real(r, 0.95, 1.15)), w = (int)(s * rng_real(r, 0.3, 0.45));
    int top = cy - total / 2, body_h = total * 3 / 5, body_y = top + total - body_h;
    int shoulder = w * 2 / 5 + 1, neck_w = (int)(w * rng_real(r, 0.3, 0.45)) + 1;
    int neck_y = top + total / 10, cap_h = total / 10 + 1;

    draw_shadow(cv, r, cx, top + total, w / 2);
    canvas_fill_rect(cv, c, cx - w / 2, body_y, w, body_h);
    canvas_fill_ellipse(cv, c, cx, body_y, w / 2.0, shoulder, 0.5, 1);
    canvas_fill_rect(cv, c, cx - neck_w / 2, neck_y, neck_w, body_y - neck_y);
    canvas_fill_rect(cv, cap, cx - neck_w * 3 / 5, top, neck_w * 6 / 5, cap_h);
    canvas_fill_rect(cv, color_shade(c, 1.45), cx - w / 3, body_y - shoulder / 2, w / 12 + 1,
                     body_h * 4 / 5);
    draw_label(cv, color_shade(c, 1.85), cap, cx - w / 2, body_y + body_h / 4, w, body_h * 2 / 5,
               code);
}

/* A jar or can: body between a bottom and a lighter lid ellipse, and a label band. */
static void product_jar(canvas_t *cv, rng_t *r, int cx, int cy, int s, uint32_t code)
{
    rgb_t c = color_product(r), lid = color_product(r);
    int w = (int)(s * rng_real(r, 0.5, 0.75)), h = (int)(s * rng_real(r, 0.55, 0.85));
    int ry = w / 7 + 1, top = cy - h / 2 + ry, bottom = cy + h / 2 - ry;

    draw_shadow(cv, r, cx, bottom + ry, w / 2);
    canvas_fill_ellipse(cv, color_shade(c, 0.8), cx, bottom, w / 2.0, ry, 0.5, 1);
    canvas_fill_rect(cv, c, cx - w / 2, top, w, bottom - top);
    canvas_fill_ellipse(cv, lid, cx, top, w / 2.0, ry, 0.5, 1);
    canvas_fill_ellipse(cv, color_shade(lid, 1.3), cx, top, w * 0.4, ry * 0.8, 0.5, 1);
    draw_label(cv, color_shade(c, 1.8), lid, cx - w / 2, top + (bottom - top) / 4, w,
               (bottom - top) / 2, code);
}

/* A ball: a disc with a soft highlight and a small sticker. */
static void product_ball(canvas_t *cv, rng_t *r, int cx, int cy, int s, uint32_t code)
{
    rgb_t c = color_product(r), accent = color_product(r);
    int rad = (int)(s * rng_real(r, 0.35, 0.5)) + 1;
    double hr = rad / 3.0 + 1;

    draw_shadow(cv, r, cx, cy + rad, rad * 4 / 5);
    canvas_fill_ellipse(cv, c, cx, cy, rad, rad, 0.5, 1);
    canvas_fill_ellipse(cv, color_shade(c, 1.6), cx - rad * 0.4, cy - rad * 0.4, hr, hr, hr / 2,
                        0.8);
    draw_label(cv, color_shade(c, 1.9), accent, cx - rad / 2, cy + rad / 4, rad, rad / 3 + 1, code);
}

/* Draws image `index` of the run into a new canvas (*cv; the caller frees cv->px) and
 * says in *is_png which format it is to be saved in. -1 when out of memory, else 0. */
static int sample_render(const sample_opts_t *o, unsigned long index, canvas_t *cv, int *is_png)
{
    rng_t r = rng_for_image(o->seed, index);
    int w = rng_int(&r, o->min_side, o->max_side), h = rng_int(&r, o->min_side, o->max_side);
    if (o->width) { /* the random sides are still drawn: the rest of the stream is the same */
        w = o->width;
        h = o->height;
    }
    int kind = rng_int(&r, 0, 3), side = w < h ? w : h;
    int s = (int)(side * rng_real(&r, 0.6, 0.8));
    int cx = w / 2 + (int)(side * rng_real(&r, -0.03, 0.03));
    int cy = h / 2 + (int)(side * rng_real(&r, -0.02, 0.04));
    double hue = rng_unit(&r), sat = rng_real(&r, 0.0, 0.12);
    rgb_t top = color_from_hsv(hue, sat, rng_real(&r, 0.93, 1.0));
    rgb_t bottom = rng_unit(&r) < 0.3 ? top : color_shade(top, rng_real(&r, 0.8, 0.95));
    uint32_t code = (uint32_t)index;

    *is_png = o->format == FORMAT_PNG || (o->format == FORMAT_MIXED && rng_unit(&r) < 0.2);
    cv->w = w;
    cv->h = h;
    if (!(cv->px = malloc((size_t)w * h * 3)))
        return -1;
    canvas_fill_gradient(cv, top, bottom);
    switch (kind) {
    case 0:
        product_box(cv, &r, cx, cy, s, code);
        break;
    case 1:
        product_bottle(cv, &r, cx, cy, s, code);
        break;
    case 2:
        product_jar(cv, &r, cx, cy, s, code);
        break;
    default:
        product_ball(cv, &r, cx, cy, s, code);
        break;
    }
    return 0;
}

/* ---- files ------------------------------------------------------------------------- */

/* Creates directory path and its missing parents (mkdir -p). 0, or -1 with a reason in
 * err (also when path is longer than 4095 bytes or names something else). */
static int dir_make_p(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    struct stat st;
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof buf) {
        snprintf(err, errlen, "bad directory name '%.400s'", path);
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        /* An existing directory may answer EACCES or EROFS rather than EEXIST. */
        if (mkdir(buf, 0777) != 0 && errno != EEXIST &&
            !(stat(buf, &st) == 0 && S_ISDIR(st.st_mode))) {
            snprintf(err, errlen, "cannot create directory '%.400s': %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = saved;
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%.400s' is not a directory", path);
        return -1;
    }
    return 0;
}

/* Writes data[0..len) to path, replacing it. 0, or -1 with a reason in err. */
static int file_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot create '%.400s': %s", path, strerror(errno));
        return -1;
    }
    if (fwrite(data, 1, len, f) != len) {
        snprintf(err, errlen, "cannot write '%.400s': %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write '%.400s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Renders, encodes and writes image `index`; adds its size to *bytes. 0, or -1 with a
 * reason in err (out of memory, a libvips failure or an I/O error). */
static int sample_write_one(const sample_opts_t *o, unsigned long index, uint64_t *bytes, char *err,
                            size_t errlen)
{
    int is_png = 0, rc = -1;
    void *buf = NULL;
    size_t len = 0;
    char path[4096];
    canvas_t cv = {NULL, 0, 0};
    VipsImage *im = NULL;

    if (sample_render(o, index, &cv, &is_png)) {
        snprintf(err, errlen, "out of memory for image %lu (%dx%d)", index, cv.w, cv.h);
        return -1;
    }
    /* im borrows cv.px, so it is unreffed before cv.px is freed. */
    im = vips_image_new_from_memory(cv.px, (size_t)cv.w * cv.h * 3, cv.w, cv.h, 3,
                                    VIPS_FORMAT_UCHAR);
    if (!im || (is_png ? vips_pngsave_buffer(im, &buf, &len, "compression", 6, NULL)
                       : vips_jpegsave_buffer(im, &buf, &len, "Q", o->quality, NULL))) {
        snprintf(err, errlen, "cannot encode image %lu: %s", index, vips_error_buffer());
        vips_error_clear();
        goto done;
    }
    if (snprintf(path, sizeof path, "%s/%s%06lu.%s", o->dir, o->prefix, index,
                 is_png ? "png" : "jpg") >= (int)sizeof path) {
        snprintf(err, errlen, "file name too long in '%.400s'", o->dir);
        goto done;
    }
    if (file_write(path, buf, len, err, errlen) == 0) {
        *bytes += len;
        rc = 0;
    }
done:
    g_free(buf);
    VIPS_UNREF(im);
    free(cv.px);
    return rc;
}

/* ---- command line ------------------------------------------------------------------ */

/* Writes the help text to f. */
static void usage_print(FILE *f)
{
    fputs("usage: vb-sample-images [options] DIR COUNT\n"
          "Writes COUNT deterministic product-like images into DIR (created if missing),\n"
          "named <prefix><index, 6 digits>.jpg|.png.\n"
          "  --seed N        random seed (default 1)\n"
          "  --min-side N    smallest width/height in pixels, 16..8192 (default 320, or\n"
          "                  half of a smaller --max-side)\n"
          "  --max-side N    largest width/height in pixels (default 1600, or --min-side\n"
          "                  if that is larger)\n"
          "  --size WxH      every image exactly W x H pixels (each side 16..8192);\n"
          "                  overrides --min-side/--max-side\n"
          "  --format F      jpeg, png or mixed (~80% JPEG; default mixed)\n"
          "  --quality N     JPEG quality 1..100 (default 85)\n"
          "  --prefix STR    file name prefix (default \"product-\")\n"
          "  --start N       index of the first image (default 1)\n"
          "  -h, --help      this help\n",
          f);
}

/* Parses s as a whole decimal number in [lo, hi] into *out. 0, or -1 when s is not one
 * (sign, garbage, overflow or out of range). */
static int parse_number(const char *s, unsigned long long lo, unsigned long long hi,
                        unsigned long long *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Parses "WxH" (each side from SIDE_LIMIT_MIN to SIDE_LIMIT_MAX) into *w and *h. 0, or
 * -1 when s is not such a size. */
static int parse_size(const char *s, int *w, int *h)
{
    unsigned long long vw, vh;
    char buf[32];
    const char *x = strchr(s, 'x');
    size_t n = x ? (size_t)(x - s) : 0;
    if (!x || n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (parse_number(buf, SIDE_LIMIT_MIN, SIDE_LIMIT_MAX, &vw) ||
        parse_number(x + 1, SIDE_LIMIT_MIN, SIDE_LIMIT_MAX, &vh))
        return -1;
    *w = (int)vw;
    *h = (int)vh;
    return 0;
}

/* Fills *o from the command line. Returns 0 to go on, 1 when help was asked for, or -1
 * with a message in err on a usage error. Options may come before or after DIR COUNT. */
static int opts_parse(int argc, char **argv, sample_opts_t *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},
        {"min-side", required_argument, NULL, 'm'},
        {"max-side", required_argument, NULL, 'M'},
        {"size", required_argument, NULL, 'z'},
        {"format", required_argument, NULL, 'f'},
        {"quality", required_argument, NULL, 'q'},
        {"prefix", required_argument, NULL, 'p'},
        {"start", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long v;
    int c, li, min_given = 0, max_given = 0;
    const char *hint = "";

    *o = (sample_opts_t){.seed = 1,
                         .min_side = 320,
                         .max_side = 1600,
                         .format = FORMAT_MIXED,
                         .quality = 85,
                         .prefix = "product-",
                         .start = 1};
    opterr = 0;
    while ((li = -1, c = getopt_long(argc, argv, ":h", longopts, &li)) != -1) {
        switch (c) {
        case 's':
            hint = "a whole number from 0 to 2^64-1";
            if (parse_number(optarg, 0, UINT64_MAX, &v))
                goto bad_value;
            o->seed = v;
            break;
        case 'm':
        case 'M':
            hint = "pixels from " VB_STR(SIDE_LIMIT_MIN) " to " VB_STR(SIDE_LIMIT_MAX);
            if (parse_number(optarg, SIDE_LIMIT_MIN, SIDE_LIMIT_MAX, &v))
                goto bad_value;
            *(c == 'm' ? &o->min_side : &o->max_side) = (int)v;
            *(c == 'm' ? &min_given : &max_given) = 1;
            break;
        case 'z':
            hint = "WIDTHxHEIGHT, each from " VB_STR(SIDE_LIMIT_MIN) " to " VB_STR(
                SIDE_LIMIT_MAX) " pixels, e.g. 1024x1024";
            if (parse_size(optarg, &o->width, &o->height))
                goto bad_value;
            break;
        case 'f':
            hint = "jpeg, png or mixed";
            if (strcmp(optarg, "jpeg") == 0 || strcmp(optarg, "jpg") == 0)
                o->format = FORMAT_JPEG;
            else if (strcmp(optarg, "png") == 0)
                o->format = FORMAT_PNG;
            else if (strcmp(optarg, "mixed") == 0)
                o->format = FORMAT_MIXED;
            else
                goto bad_value;
            break;
        case 'q':
            hint = "from 1 to 100";
            if (parse_number(optarg, 1, 100, &v))
                goto bad_value;
            o->quality = (int)v;
            break;
        case 'p':
            if (strchr(optarg, '/')) {
                snprintf(err, errlen, "--prefix must not contain '/'");
                return -1;
            }
            o->prefix = optarg;
            break;
        case 'S':
            hint = "from 0 to " VB_STR(INDEX_LIMIT);
            if (parse_number(optarg, 0, INDEX_LIMIT, &v))
                goto bad_value;
            o->start = (unsigned long)v;
            break;
        case 'h':
            return 1;
        case ':':
            snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
            return -1;
        default:
            snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    if (argc - optind != 2) {
        snprintf(err, errlen, "expected DIR and COUNT, got %d argument%s", argc - optind,
                 argc - optind == 1 ? "" : "s");
        return -1;
    }
    o->dir = argv[optind];
    if (parse_number(argv[optind + 1], 0, COUNT_LIMIT, &v)) {
        snprintf(err, errlen, "COUNT must be a number from 0 to %lu, not '%s'", COUNT_LIMIT,
                 argv[optind + 1]);
        return -1;
    }
    o->count = (unsigned long)v;
    /* A lone --max-side below the default minimum (or --min-side above the default
     * maximum) moves the other bound instead of being an error. */
    if (!min_given && o->max_side < o->min_side)
        o->min_side = o->max_side / 2 < SIDE_LIMIT_MIN ? SIDE_LIMIT_MIN : o->max_side / 2;
    if (!max_given && o->min_side > o->max_side)
        o->max_side = o->min_side;
    if (o->min_side > o->max_side) {
        snprintf(err, errlen, "--min-side (%d) is larger than --max-side (%d)", o->min_side,
                 o->max_side);
        return -1;
    }
    if (o->count > 0 && o->start + o->count - 1 > INDEX_LIMIT) {
        snprintf(err, errlen, "indexes would go past %d", INDEX_LIMIT);
        return -1;
    }
    return 0;
bad_value:
    snprintf(err, errlen, "bad value '%s' for --%s: expected %s", optarg,
             li >= 0 ? longopts[li].name : "?", hint);
    return -1;
}

int main(int argc, char **argv)
{
    sample_opts_t o;
    char err[ERR_LEN];
    uint64_t bytes = 0;
    int rc;

    rc = opts_parse(argc, argv, &o, err, sizeof err);
    if (rc == 1) {
        usage_print(stdout);
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "vb-sample-images: %s\n(vb-sample-images --help shows the usage)\n", err);
        return 2;
    }
    if (VIPS_INIT(argv[0])) {
        fprintf(stderr, "vb-sample-images: cannot start libvips: %s\n", vips_error_buffer());
        return 1;
    }
    /* Every image is new: the operation cache would only hold memory. */
    vips_cache_set_max(0);
    rc = dir_make_p(o.dir, err, sizeof err);
    for (unsigned long i = 0; rc == 0 && i < o.count; i++)
        rc = sample_write_one(&o, o.start + i, &bytes, err, sizeof err);
    vips_shutdown();
    if (rc) {
        fprintf(stderr, "vb-sample-images: %s\n", err);
        return 1;
    }
    printf("wrote %lu images to %s (%.1f MB)\n", o.count, o.dir, (double)bytes / 1e6);
    return 0;
}
