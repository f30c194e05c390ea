/* tokens.c - per-family image-token formulas (docs/provider-facts.md §2).
 *
 * Scaled sizes are whole pixels rounded down, as a resize to integer dimensions does
 * (OpenAI's published examples truncate), computed in integer arithmetic where the
 * formula allows so that no floating-point error moves a size across a tile boundary. */
#include "cost/tokens.h"

#include "cost/model_name.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Anthropic (batch-api-facts.md §2, "Token formula changed"; platform.claude.com/docs/en/
 * build-with-claude/vision): an image costs one token per 28 x 28 px patch,
 * ceil(w/28) * ceil(h/28), after it is resized to fit its model's tier. */
#define ANTHROPIC_PATCH 28ULL
/* The standard tier: a 28-padded long edge of at most 1568 px and at most 1568 tokens. */
#define ANTHROPIC_STD_EDGE   1568U
#define ANTHROPIC_STD_TOKENS 1568U
/* The high-resolution tier: 2576 px and 4784 tokens. */
#define ANTHROPIC_HIGH_EDGE   2576U
#define ANTHROPIC_HIGH_TOKENS 4784U

#define TILE_FIT_EDGE    2048ULL
#define TILE_SHORT_EDGE  768ULL
#define TILE_EDGE        512ULL
#define PATCH_EDGE       32.0
#define PATCH_MAX        1536.0
/* Gemini 2.x (ai.google.dev/gemini-api/docs/image-understanding, "Token calculation"):
 * 258 tokens when both sides are <= 384 px; else tiles of a crop unit of
 * floor(min(w, h) / 1.5) px, 258 tokens each. */
#define GEMINI_SMALL        384U
#define GEMINI_MIN_CROP     256ULL
/* Gemini 3 (ai.google.dev/gemini-api/docs/gemini-3, media resolution table): an image
 * costs 280 tokens at MEDIA_RESOLUTION_LOW and 1120 at HIGH, which is also the default
 * for images (MEDIA_RESOLUTION_UNSPECIFIED). Whatever its size: these are the maximum the
 * model allocates, so an estimate never falls short. */
#define GEMINI3_LOW_TOKENS  280U
#define GEMINI3_HIGH_TOKENS 1120U

/* Slack for ceil() of values that are whole numbers mathematically but carry
 * floating-point error (e.g. 1800 * r / 32 == 33 exactly in the patch example). */
#define CEIL_EPS 1e-9

struct model_rule {
    const char *prefix;
    tokens_model_t rule;
};

#define CLAUDE_HIGH_TIER {TOKENS_FAMILY_ANTHROPIC, ANTHROPIC_HIGH_EDGE, ANTHROPIC_HIGH_TOKENS, 0.0}

/* docs/provider-facts.md §2; order does not matter, the longest matching prefix wins. */
static const struct model_rule model_rules[] = {
    {"gpt-4o", {TOKENS_FAMILY_OPENAI_TILE, 85, 170, 0.0}},
    {"gpt-4o-mini", {TOKENS_FAMILY_OPENAI_TILE, 2833, 5667, 0.0}},
    {"gpt-4.1", {TOKENS_FAMILY_OPENAI_TILE, 85, 170, 0.0}},
    {"gpt-4.1-mini", {TOKENS_FAMILY_OPENAI_PATCH, 0, 0, 1.62}},
    {"gpt-4.1-nano", {TOKENS_FAMILY_OPENAI_PATCH, 0, 0, 2.46}},
    {"gpt-4.5", {TOKENS_FAMILY_OPENAI_TILE, 85, 170, 0.0}},
    {"o1", {TOKENS_FAMILY_OPENAI_TILE, 75, 150, 0.0}},
    {"o1-pro", {TOKENS_FAMILY_OPENAI_TILE, 75, 150, 0.0}},
    {"o3", {TOKENS_FAMILY_OPENAI_TILE, 75, 150, 0.0}},
    {"o4-mini", {TOKENS_FAMILY_OPENAI_PATCH, 0, 0, 1.72}},
    {"computer-use-preview", {TOKENS_FAMILY_OPENAI_TILE, 65, 129, 0.0}},
    /* Claude: the standard tier, unless a longer prefix below says otherwise (base: the
     * tier's long edge, per_tile: its most tokens). */
    {"claude", {TOKENS_FAMILY_ANTHROPIC, ANTHROPIC_STD_EDGE, ANTHROPIC_STD_TOKENS, 0.0}},
    /* The high-resolution tier is confirmed for Opus 4.7 and later Opus models
     * (batch-api-facts.md §2: "high-res tier (Opus 4.7+)"; the stored docs list Opus 4.8,
     * Opus 5 and Opus 5.5 after it). */
    {"claude-opus-4-7", CLAUDE_HIGH_TIER},
    {"claude-opus-4-8", CLAUDE_HIGH_TIER},
    {"claude-opus-5", CLAUDE_HIGH_TIER},
    /* The models released after Opus 4.7 that are not Opus (Sonnet 5 and 5.5, Haiku 5.5,
     * Fable and Mythos 5.x: the supportedModels of platform.claude.com/docs/id/
     * build-with-claude/vision.md, and the models' overview pages): which tier they read
     * images at is not in the stored docs. The high tier bills at least as much as the
     * standard one for every size, so an estimate never falls short of the bill, and
     * --resize auto never shrinks an image below what the model may read. Unconfirmed. */
    {"claude-sonnet-5", CLAUDE_HIGH_TIER},
    {"claude-haiku-5", CLAUDE_HIGH_TIER},
    {"claude-fable", CLAUDE_HIGH_TIER},
    {"claude-mythos", CLAUDE_HIGH_TIER},
    {"gemini", {TOKENS_FAMILY_GEMINI, 258, 258, 0.0}},
};

/* Gemini 3's rules (media resolution): gemini-3*, whose major version is 3. */
static const tokens_model_t gemini3_rule = {TOKENS_FAMILY_GEMINI_MEDIA, GEMINI3_LOW_TOKENS,
                                            GEMINI3_HIGH_TOKENS, 0.0};

/* Whether name (without vendor prefix) is a Gemini 3 model: "gemini-3" followed by the
 * end, a '.' (gemini-3.5-flash-lite) or a component separator (gemini-3-flash-preview). */
static bool is_gemini3(const char *name)
{
    static const char prefix[] = "gemini-3";
    size_t n = sizeof prefix - 1;
    return strncasecmp(name, prefix, n) == 0 &&
           (name[n] == '.' || model_name_is_boundary(name[n]));
}

int tokens_detail_parse(const char *s, detail_t *out)
{
    if (!s)
        return -1;
    if (strcmp(s, "auto") == 0)
        *out = DETAIL_AUTO;
    else if (strcmp(s, "low") == 0)
        *out = DETAIL_LOW;
    else if (strcmp(s, "high") == 0)
        *out = DETAIL_HIGH;
    else
        return -1;
    return 0;
}

const char *tokens_detail_name(detail_t d)
{
    switch (d) {
    case DETAIL_AUTO:
        return "auto";
    case DETAIL_LOW:
        return "low";
    case DETAIL_HIGH:
        return "high";
    }
    return "?";
}

int tokens_model_lookup(const char *model, tokens_model_t *out)
{
    if (!model)
        return -1;
    const char *name = model_name_strip_vendor(model);
    const struct model_rule *best = NULL;
    size_t best_len = 0;

    for (size_t i = 0; i < sizeof model_rules / sizeof model_rules[0]; i++) {
        size_t n = model_name_prefix_len(name, model_rules[i].prefix);
        if (n > best_len) {
            best = &model_rules[i];
            best_len = n;
        }
    }
    if (!best)
        return -1;
    *out = best->rule.family == TOKENS_FAMILY_GEMINI && is_gemini3(name) ? gemini3_rule
                                                                          : best->rule;
    return 0;
}

static unsigned long long ceil_div(unsigned long long a, unsigned long long b)
{
    return (a + b - 1) / b;
}

static double ceil_eps(double x)
{
    return ceil(x - CEIL_EPS);
}

/* OpenAI tiles: fit in 2048x2048, then shrink the short side to 768 when it is longer. */
static unsigned long tiles_openai(const tokens_model_t *m, unsigned long long w,
                                  unsigned long long h, detail_t detail)
{
    if (detail == DETAIL_LOW)
        return m->base;
    if (w > TILE_FIT_EDGE || h > TILE_FIT_EDGE) {
        if (w >= h) {
            h = h * TILE_FIT_EDGE / w;
            w = TILE_FIT_EDGE;
        } else {
            w = w * TILE_FIT_EDGE / h;
            h = TILE_FIT_EDGE;
        }
    }
    if (w <= h && w > TILE_SHORT_EDGE) {
        h = h * TILE_SHORT_EDGE / w;
        w = TILE_SHORT_EDGE;
    } else if (h < w && h > TILE_SHORT_EDGE) {
        w = w * TILE_SHORT_EDGE / h;
        h = TILE_SHORT_EDGE;
    }
    if (w == 0)
        w = 1;
    if (h == 0)
        h = 1;
    unsigned long long tiles = ceil_div(w, TILE_EDGE) * ceil_div(h, TILE_EDGE);
    return (unsigned long)(m->base + m->per_tile * tiles);
}

/* OpenAI 32 px patches, capped at 1536 by shrinking the image (formula quoted verbatim
 * from the facts file). */
static double patches_openai(unsigned long long w, unsigned long long h)
{
    double raw = (double)ceil_div(w, 32) * (double)ceil_div(h, 32);
    if (raw <= PATCH_MAX)
        return raw;
    double W = (double)w, H = (double)h;
    double r = sqrt(PATCH_EDGE * PATCH_EDGE * PATCH_MAX / (W * H));
    double fw = W * r / PATCH_EDGE, fh = H * r / PATCH_EDGE;
    double sw = floor(fw) / fw, sh = floor(fh) / fh;
    r *= sw < sh ? sw : sh;
    double patches = ceil_eps(r * W / PATCH_EDGE) * ceil_eps(r * H / PATCH_EDGE);
    return patches > PATCH_MAX ? PATCH_MAX : patches;
}

/* Whether a w x h image fits the tier (max_edge, max_tokens) as it is: its long side
 * padded to 28 px within max_edge and its patches within max_tokens. */
static bool anthropic_fits(unsigned long long w, unsigned long long h, unsigned max_edge,
                           unsigned max_tokens)
{
    unsigned long long longer = w > h ? w : h;
    return ceil_div(longer, ANTHROPIC_PATCH) * ANTHROPIC_PATCH <= max_edge &&
           ceil_div(w, ANTHROPIC_PATCH) * ceil_div(h, ANTHROPIC_PATCH) <= max_tokens;
}

/* num / den rounded to the nearest integer, a half to the even one (Python's round(), as
 * the docs' resize computes), in integers so no floating-point error moves a side. */
static unsigned long long div_round_half_even(unsigned long long num, unsigned long long den)
{
    unsigned long long q = num / den, r = num % den;
    if (2 * r > den || (2 * r == den && (q & 1)))
        q++;
    return q;
}

void tokens_anthropic_size(const tokens_model_t *m, unsigned width, unsigned height,
                           unsigned *out_w, unsigned *out_h)
{
    *out_w = width;
    *out_h = height;
    if (width == 0 || height == 0 || anthropic_fits(width, height, m->base, m->per_tile))
        return;
    /* The largest long side L (the short one following it) that fits: whether a size fits
     * only gets worse as L grows, so a binary search finds it. L = 1 always fits. */
    unsigned long long longer = width > height ? width : height;
    unsigned long long shorter = width > height ? height : width;
    unsigned long long lo = 1, hi = longer < m->base ? longer : m->base;
    while (lo < hi) {
        unsigned long long mid = lo + (hi - lo + 1) / 2;
        unsigned long long other = div_round_half_even(mid * shorter, longer);
        if (anthropic_fits(mid, other ? other : 1, m->base, m->per_tile))
            lo = mid;
        else
            hi = mid - 1;
    }
    unsigned long long other = div_round_half_even(lo * shorter, longer);
    if (other == 0)
        other = 1;
    *out_w = (unsigned)(width > height ? lo : other);
    *out_h = (unsigned)(width > height ? other : lo);
}

/* Anthropic: the patches of the size the image is resized to. */
static unsigned long tokens_anthropic(const tokens_model_t *m, unsigned w, unsigned h)
{
    unsigned rw, rh;
    tokens_anthropic_size(m, w, h, &rw, &rh);
    return (unsigned long)(ceil_div(rw, ANTHROPIC_PATCH) * ceil_div(rh, ANTHROPIC_PATCH));
}

/* Gemini 2.x tiles of an image with a side over 384 px: the docs' "rough formula" (crop
 * unit floor(min(w, h) / 1.5); each side divided by it, rounded up as their example
 * shows: 960x540 -> unit 360 -> 3 x 2 = 6 tiles). The unit is kept at 256 px at least,
 * the lower bound the same docs give for Gemini 1.5's tiling (which also caps it at 768
 * px; the 2.x text gives no bound, and its example needs none): without it a thin strip
 * (1000 x 10) would count a tile every few pixels. */
static unsigned long tokens_gemini_tiles(unsigned long long w, unsigned long long h)
{
    unsigned long long unit = (w < h ? w : h) * 2 / 3; /* floor(min / 1.5), exact */
    if (unit < GEMINI_MIN_CROP)
        unit = GEMINI_MIN_CROP;
    return (unsigned long)(ceil_div(w, unit) * ceil_div(h, unit));
}

unsigned long tokens_image(const tokens_model_t *m, unsigned width, unsigned height,
                           detail_t detail)
{
    unsigned long long w = width, h = height;
    if (!m || w == 0 || h == 0)
        return 0;
    switch (m->family) {
    case TOKENS_FAMILY_OPENAI_TILE:
        return tiles_openai(m, w, h, detail);
    case TOKENS_FAMILY_OPENAI_PATCH:
        return (unsigned long)ceil_eps(patches_openai(w, h) * m->patch_multiplier);
    case TOKENS_FAMILY_ANTHROPIC:
        return tokens_anthropic(m, width, height);
    case TOKENS_FAMILY_GEMINI:
        if (width <= GEMINI_SMALL && height <= GEMINI_SMALL)
            return m->base;
        return tokens_gemini_tiles(w, h) * m->per_tile;
    case TOKENS_FAMILY_GEMINI_MEDIA:
        return detail == DETAIL_LOW ? m->base : m->per_tile;
    case TOKENS_FAMILY_UNKNOWN:
        break;
    }
    return 0;
}

int tokens_image_for_model(const char *model, unsigned width, unsigned height, detail_t detail,
                           unsigned long *out)
{
    tokens_model_t m;
    if (tokens_model_lookup(model, &m) != 0)
        return -1;
    *out = tokens_image(&m, width, height, detail);
    return 0;
}

unsigned long tokens_text_estimate(const char *text, size_t len)
{
    (void)text;
    return (unsigned long)(len / 4 + (len % 4 != 0));
}
