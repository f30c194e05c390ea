/* test_tokens.c - image-token formulas and model lookup.
 *
 * The worked examples are the test vectors of docs/provider-facts.md §2 ("Worked
 * examples"); the constants are that section's tables. Claude's are those of
 * batch-api-facts.md §2 ("Token formula changed"), which supersede provider-facts'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cost/tokens.h"

static unsigned long for_model(const char *model, unsigned w, unsigned h, detail_t d)
{
    unsigned long out = 0;
    assert_int_equal(tokens_image_for_model(model, w, h, d, &out), 0);
    return out;
}

/* Patch count before the multiplier: the patch rules with a multiplier of 1. */
static unsigned long patches(unsigned w, unsigned h)
{
    tokens_model_t m = {TOKENS_FAMILY_OPENAI_PATCH, 0, 0, 1.0};
    return tokens_image(&m, w, h, DETAIL_AUTO);
}

/* provider-facts.md §2: every worked example. */
static void test_facts_vectors(void **state)
{
    (void)state;
    assert_int_equal(for_model("gpt-4o", 1024, 1024, DETAIL_HIGH), 765);
    assert_int_equal(for_model("gpt-4o", 2048, 4096, DETAIL_HIGH), 1105);
    assert_int_equal(for_model("gpt-4o", 4096, 8192, DETAIL_LOW), 85);
    assert_int_equal(patches(1024, 1024), 1024);
    assert_int_equal(patches(1800, 2400), 1452);
    assert_int_equal(for_model("gpt-4o-mini", 1024, 1024, DETAIL_HIGH), 25501);
    /* batch-api-facts.md §2: 28 px patches, standard tier */
    assert_int_equal(for_model("claude-sonnet-4-5", 1000, 1000, DETAIL_AUTO), 1296);
    assert_int_equal(for_model("claude-sonnet-4-5", 200, 200, DETAIL_AUTO), 64);
    assert_int_equal(for_model("claude-sonnet-4-5", 1920, 1080, DETAIL_AUTO), 1560);
}

/* provider-facts.md §2: auto behaves as high; the tile steps one by one. */
static void test_tile_formula(void **state)
{
    (void)state;
    assert_int_equal(for_model("gpt-4o", 1024, 1024, DETAIL_AUTO), 765);
    assert_int_equal(for_model("gpt-4o", 2048, 4096, DETAIL_AUTO), 1105);
    /* Small images are not scaled up: 1 tile. */
    assert_int_equal(for_model("gpt-4o", 100, 100, DETAIL_HIGH), 85 + 170);
    assert_int_equal(for_model("gpt-4o", 512, 512, DETAIL_HIGH), 85 + 170);
    assert_int_equal(for_model("gpt-4o", 513, 512, DETAIL_HIGH), 85 + 2 * 170);
    /* Short side exactly 768: unscaled, 2x2 tiles. */
    assert_int_equal(for_model("gpt-4o", 768, 768, DETAIL_HIGH), 85 + 4 * 170);
    /* 4096x2048 -> 2048x1024 -> 1536x768: 3x2 tiles, same as the transposed vector. */
    assert_int_equal(for_model("gpt-4o", 4096, 2048, DETAIL_HIGH), 1105);
    /* Extreme aspect: 10000x100 -> 2048x20 -> 4x1 tiles. */
    assert_int_equal(for_model("gpt-4o", 10000, 100, DETAIL_HIGH), 85 + 4 * 170);
    /* Low detail is the base whatever the size. */
    assert_int_equal(for_model("gpt-4o-mini", 10, 10, DETAIL_LOW), 2833);
    assert_int_equal(for_model("o1", 1024, 1024, DETAIL_HIGH), 75 + 4 * 150);
    assert_int_equal(for_model("computer-use-preview", 1024, 1024, DETAIL_HIGH), 65 + 4 * 129);
}

/* provider-facts.md §2: patches capped at 1536, tokens = ceil(patches * multiplier). */
static void test_patch_formula(void **state)
{
    (void)state;
    assert_int_equal(patches(32, 32), 1);
    assert_int_equal(patches(33, 32), 2);
    assert_true(patches(8000, 8000) <= 1536);
    assert_true(patches(100000, 10) <= 1536);
    /* 1024 * 1.62 = 1658.88 -> 1659; 1452 * 1.62 = 2352.24 -> 2353. */
    assert_int_equal(for_model("gpt-4.1-mini", 1024, 1024, DETAIL_AUTO), 1659);
    assert_int_equal(for_model("gpt-4.1-mini", 1800, 2400, DETAIL_HIGH), 2353);
    /* 1024 * 2.46 = 2519.04 -> 2520; 1024 * 1.72 = 1761.28 -> 1762. */
    assert_int_equal(for_model("gpt-4.1-nano", 1024, 1024, DETAIL_AUTO), 2520);
    assert_int_equal(for_model("o4-mini", 1024, 1024, DETAIL_AUTO), 1762);
    /* Detail does not change the patch formula. */
    assert_int_equal(for_model("o4-mini", 1024, 1024, DETAIL_LOW), 1762);
}

static void claude_size(const char *model, unsigned w, unsigned h, unsigned *rw, unsigned *rh)
{
    tokens_model_t m;
    assert_int_equal(tokens_model_lookup(model, &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_ANTHROPIC);
    tokens_anthropic_size(&m, w, h, rw, rh);
}

/* The resize by a linear search from the largest long side down (the first that fits),
 * independent of tokens.c's binary search: a half rounds to even. */
static void naive_size(unsigned w, unsigned h, unsigned edge, unsigned max_tokens, unsigned *rw,
                       unsigned *rh)
{
    unsigned long long lw = w > h ? w : h, sh = w > h ? h : w;
    for (unsigned long long l = lw; l >= 1; l--) {
        unsigned long long o = l * sh / lw, r = l * sh % lw;
        if (2 * r > lw || (2 * r == lw && (o & 1)))
            o++;
        if (o == 0)
            o = 1;
        if (((l + 27) / 28) * 28 <= edge && ((l + 27) / 28) * ((o + 27) / 28) <= max_tokens) {
            *rw = (unsigned)(w > h ? l : o);
            *rh = (unsigned)(w > h ? o : l);
            return;
        }
    }
    *rw = *rh = 0;
}

/* batch-api-facts.md §2's vectors: the size Claude resizes to and its tokens, standard
 * tier (Sonnet 4.5) and high-resolution tier (Opus 4.7). */
static void test_anthropic_vectors(void **state)
{
    (void)state;
    unsigned w, h;
    claude_size("claude-sonnet-4-5", 1920, 1080, &w, &h);
    assert_int_equal(w, 1456);
    assert_int_equal(h, 819);
    assert_int_equal(for_model("claude-sonnet-4-5", 1920, 1080, DETAIL_AUTO), 1560);
    assert_int_equal(for_model("claude-sonnet-4-5", 3840, 2160, DETAIL_AUTO), 1560);
    claude_size("claude-opus-4-7", 3840, 2160, &w, &h);
    assert_int_equal(w, 2576);
    assert_int_equal(h, 1449);
    assert_int_equal(for_model("claude-opus-4-7", 3840, 2160, DETAIL_AUTO), 4784);
    /* 1920x1080 fits the high tier as it is: ceil(1920/28) * ceil(1080/28) = 69 * 39 */
    assert_int_equal(for_model("claude-opus-4-7", 1920, 1080, DETAIL_AUTO), 2691);
    claude_size("claude-sonnet-4-5", 1075, 1520, &w, &h);
    assert_int_equal(w, 924);
    assert_int_equal(h, 1307);
    /* a half rounds to even: 1270 * 1179 / 1572 = 952.5 -> 952 (up: 953, and 1269 x 952) */
    claude_size("claude-sonnet-4-5", 1572, 1179, &w, &h);
    assert_int_equal(w, 1270);
    assert_int_equal(h, 952);
    /* the orientation is kept: a portrait stays a portrait */
    claude_size("claude-sonnet-4-5", 1080, 1920, &w, &h);
    assert_int_equal(w, 819);
    assert_int_equal(h, 1456);
    /* detail does not matter to Claude */
    assert_int_equal(for_model("claude-sonnet-4-5", 1920, 1080, DETAIL_LOW), 1560);
}

/* The older docs' largest unscaled sizes stay unscaled; a thin strip keeps at least a
 * pixel; no size is ever billed above its tier. */
static void test_anthropic_formula(void **state)
{
    (void)state;
    static const unsigned sizes[][2] = {
        {1092, 1092}, {951, 1268}, {896, 1344}, {819, 1456}, {784, 1568}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned long w = sizes[i][0], h = sizes[i][1];
        assert_int_equal(for_model("claude-3-5-sonnet", sizes[i][0], sizes[i][1], DETAIL_AUTO),
                         ((w + 27) / 28) * ((h + 27) / 28));
    }
    /* 4000x100 -> 1568x39 (39.2 rounds to 39): 56 x 2 patches */
    unsigned w, h;
    claude_size("claude-haiku-4-5", 4000, 100, &w, &h);
    assert_int_equal(w, 1568);
    assert_int_equal(h, 39);
    assert_int_equal(for_model("claude-haiku-4-5", 4000, 100, DETAIL_AUTO), 56 * 2);
    claude_size("claude-haiku-4-5", 100000, 3, &w, &h);
    assert_int_equal(w, 1568);
    assert_int_equal(h, 1);
    /* the largest allowed image, 8000x8000 */
    assert_int_equal(for_model("claude-opus-4", 8000, 8000, DETAIL_HIGH), 39 * 39);
    assert_int_equal(for_model("claude-opus-4-7", 8000, 8000, DETAIL_HIGH), 69 * 69);
    /* a sweep: within the tier, as large as it can be, never larger than the image */
    for (unsigned a = 1; a <= 9000; a += 37)
        for (unsigned b = 1; b <= 9000; b += 413) {
            unsigned long std = for_model("claude-sonnet-4-5", a, b, DETAIL_AUTO);
            unsigned long high = for_model("claude-opus-5-5", a, b, DETAIL_AUTO);
            assert_true(std >= 1 && std <= 1568);
            assert_true(high >= std && high <= 4784);
            claude_size("claude-sonnet-4-5", a, b, &w, &h);
            assert_true(w <= a && h <= b && w >= 1 && h >= 1);
            assert_true((w > h ? w : h) <= 1568);
            unsigned nw, nh;
            naive_size(a, b, 1568, 1568, &nw, &nh);
            if (nw != w || nh != h)
                fail_msg("claude %ux%u: %ux%u, the linear search says %ux%u", a, b, w, h, nw, nh);
        }
}

/* Gemini 2.x (ai.google.dev/gemini-api/docs/image-understanding, "Token calculation"):
 * 258 tokens when both sides are <= 384 px, else 258 per tile of a crop unit of
 * floor(min side / 1.5) px (at least 256, Gemini 1.5's documented bound). */
static void test_gemini_tiles(void **state)
{
    (void)state;
    assert_int_equal(for_model("gemini-2.5-flash", 384, 384, DETAIL_AUTO), 258);
    assert_int_equal(for_model("gemini-2.5-flash", 1, 1, DETAIL_AUTO), 258);
    /* the docs' example: 960x540 -> unit 360 -> 3 x 2 tiles */
    assert_int_equal(for_model("gemini-2.5-flash", 960, 540, DETAIL_AUTO), 6 * 258);
    assert_int_equal(for_model("gemini-2.5-flash", 540, 960, DETAIL_HIGH), 6 * 258);
    /* one side over 384: unit floor(384 / 1.5) = 256 -> 2 x 2 */
    assert_int_equal(for_model("gemini-2.5-flash", 385, 384, DETAIL_AUTO), 4 * 258);
    assert_int_equal(for_model("gemini-2.5-flash", 1024, 1024, DETAIL_AUTO), 4 * 258); /* 682 */
    assert_int_equal(for_model("gemini-2.0-flash", 1536, 768, DETAIL_AUTO), 6 * 258);  /* 512 */
    assert_int_equal(for_model("gemini-2.5-pro", 3000, 3000, DETAIL_LOW), 4 * 258);    /* 2000 */
    /* a thin strip: the unit stays 256 px -> 4 x 1, not a tile per 6 px */
    assert_int_equal(for_model("gemini-2.5-flash", 1000, 10, DETAIL_AUTO), 4 * 258);
    /* sides rounded up to whole units: 1536 x 1024 -> unit 682 -> 3 x 2 */
    assert_int_equal(for_model("gemini-2.5-flash", 1536, 1024, DETAIL_AUTO), 6 * 258);
    assert_int_equal(for_model("gemini-2.5-flash", 1023, 1023, DETAIL_AUTO), 4 * 258);
}

/* Gemini 3 (ai.google.dev/gemini-api/docs/gemini-3, media resolution): 280 tokens an
 * image at low, 1120 at high and by default (auto), whatever its size. */
static void test_gemini3_media_resolution(void **state)
{
    (void)state;
    static const char *const models[] = {"gemini-3.5-flash-lite", "gemini-3-flash-preview",
                                         "models/gemini-3.1-pro-preview", "GEMINI-3",
                                         "google/gemini-3.8-flash"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        assert_int_equal(for_model(models[i], 100, 100, DETAIL_LOW), 280);
        assert_int_equal(for_model(models[i], 4000, 3000, DETAIL_LOW), 280);
        assert_int_equal(for_model(models[i], 100, 100, DETAIL_HIGH), 1120);
        assert_int_equal(for_model(models[i], 4000, 3000, DETAIL_AUTO), 1120);
    }
    assert_int_equal(for_model("gemini-3.5-flash-lite", 0, 100, DETAIL_AUTO), 0);
    /* not a Gemini 3: "gemini-30" is another name, 2.x keeps its tiles */
    assert_int_equal(for_model("gemini-30-flash", 960, 540, DETAIL_LOW), 6 * 258);
    assert_int_equal(for_model("gemini-2.5-flash", 960, 540, DETAIL_LOW), 6 * 258);
}

static void test_zero_size(void **state)
{
    (void)state;
    assert_int_equal(for_model("gpt-4o", 0, 100, DETAIL_HIGH), 0);
    assert_int_equal(for_model("claude-sonnet-4-5", 100, 0, DETAIL_HIGH), 0);
}

static void test_lookup(void **state)
{
    (void)state;
    tokens_model_t m;

    assert_int_equal(tokens_model_lookup("gpt-4o-mini", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_OPENAI_TILE);
    assert_int_equal(m.base, 2833);
    assert_int_equal(m.per_tile, 5667);

    assert_int_equal(tokens_model_lookup("gpt-4o-mini-2024-07-18", &m), 0);
    assert_int_equal(m.base, 2833);

    assert_int_equal(tokens_model_lookup("gpt-4o-2024-08-06", &m), 0);
    assert_int_equal(m.base, 85);
    assert_int_equal(m.per_tile, 170);

    assert_int_equal(tokens_model_lookup("openai/gpt-4o", &m), 0);
    assert_int_equal(m.base, 85);
    assert_int_equal(tokens_model_lookup("openai/gpt-4o-mini", &m), 0);
    assert_int_equal(m.base, 2833);
    assert_int_equal(tokens_model_lookup("GPT-4o", &m), 0);
    assert_int_equal(m.base, 85);

    assert_int_equal(tokens_model_lookup("gpt-4.1", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_OPENAI_TILE);
    assert_int_equal(tokens_model_lookup("gpt-4.1-2025-04-14", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_OPENAI_TILE);
    assert_int_equal(tokens_model_lookup("gpt-4.1-mini", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_OPENAI_PATCH);
    assert_true(m.patch_multiplier == 1.62);
    assert_int_equal(tokens_model_lookup("gpt-4.1-nano-2025-04-14", &m), 0);
    assert_true(m.patch_multiplier == 2.46);
    assert_int_equal(tokens_model_lookup("o4-mini", &m), 0);
    assert_true(m.patch_multiplier == 1.72);
    assert_int_equal(tokens_model_lookup("gpt-4.5-preview", &m), 0);
    assert_int_equal(m.base, 85);

    assert_int_equal(tokens_model_lookup("o1", &m), 0);
    assert_int_equal(m.base, 75);
    assert_int_equal(tokens_model_lookup("o1-pro", &m), 0);
    assert_int_equal(m.per_tile, 150);
    assert_int_equal(tokens_model_lookup("o3-2025-04-16", &m), 0);
    assert_int_equal(m.base, 75);
    assert_int_equal(tokens_model_lookup("computer-use-preview", &m), 0);
    assert_int_equal(m.base, 65);
    assert_int_equal(m.per_tile, 129);

    assert_int_equal(tokens_model_lookup("claude-sonnet-4-5", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_ANTHROPIC);
    assert_int_equal(m.base, 1568);
    assert_int_equal(m.per_tile, 1568);
    assert_int_equal(tokens_model_lookup("anthropic/claude-3-5-sonnet@20240620", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_ANTHROPIC);
    /* the high-resolution tier: Opus 4.7 and later (and, unconfirmed, the later models) */
    static const char *const high[] = {"claude-opus-4-7", "claude-opus-4-8-20260528",
                                       "claude-opus-5", "claude-opus-5-5", "claude-sonnet-5",
                                       "claude-sonnet-5-5", "claude-haiku-5-5",
                                       "claude-fable-5-1"};
    for (size_t i = 0; i < sizeof high / sizeof high[0]; i++) {
        assert_int_equal(tokens_model_lookup(high[i], &m), 0);
        assert_int_equal(m.base, 2576);
        assert_int_equal(m.per_tile, 4784);
    }
    static const char *const standard[] = {"claude-opus-4-6", "claude-opus-4-1", "claude-opus-4",
                                           "claude-sonnet-4-6", "claude-haiku-4-5",
                                           "claude-3-7-sonnet-20250219"};
    for (size_t i = 0; i < sizeof standard / sizeof standard[0]; i++) {
        assert_int_equal(tokens_model_lookup(standard[i], &m), 0);
        assert_int_equal(m.base, 1568);
    }
    assert_int_equal(tokens_model_lookup("gemini-2.5-flash", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_GEMINI);
    assert_int_equal(tokens_model_lookup("models/gemini-2.5-pro", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_GEMINI);
    assert_int_equal(tokens_model_lookup("gemini-3.5-flash-lite", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_GEMINI_MEDIA);
    assert_int_equal(m.base, 280);
    assert_int_equal(m.per_tile, 1120);
    assert_int_equal(tokens_model_lookup("gemini-3-pro-image-preview", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_GEMINI_MEDIA);
    assert_int_equal(tokens_model_lookup("gemini-30-flash", &m), 0);
    assert_int_equal(m.family, TOKENS_FAMILY_GEMINI);
}

static void test_lookup_unknown(void **state)
{
    (void)state;
    tokens_model_t m = {TOKENS_FAMILY_GEMINI, 1, 2, 3.0};
    unsigned long out = 42;

    assert_int_equal(tokens_model_lookup("llava-1.6", &m), -1);
    assert_int_equal(m.family, TOKENS_FAMILY_GEMINI); /* untouched */
    assert_int_equal(tokens_model_lookup("", &m), -1);
    assert_int_equal(tokens_model_lookup(NULL, &m), -1);
    assert_int_equal(tokens_model_lookup("openai/", &m), -1);
    /* A known prefix not at a name boundary is a different model. */
    assert_int_equal(tokens_model_lookup("o10", &m), -1);
    assert_int_equal(tokens_model_lookup("gpt-4omni", &m), -1);
    assert_int_equal(tokens_model_lookup("gpt-4", &m), -1);
    assert_int_equal(tokens_image_for_model("mystery-model", 10, 10, DETAIL_AUTO, &out), -1);
    assert_int_equal(out, 42);

    tokens_model_t unknown = {TOKENS_FAMILY_UNKNOWN, 0, 0, 0.0};
    assert_int_equal(tokens_image(&unknown, 100, 100, DETAIL_HIGH), 0);
}

static void test_detail(void **state)
{
    (void)state;
    detail_t d = DETAIL_HIGH;

    assert_int_equal(tokens_detail_parse("auto", &d), 0);
    assert_int_equal(d, DETAIL_AUTO);
    assert_int_equal(tokens_detail_parse("low", &d), 0);
    assert_int_equal(d, DETAIL_LOW);
    assert_int_equal(tokens_detail_parse("high", &d), 0);
    assert_int_equal(d, DETAIL_HIGH);

    assert_int_equal(tokens_detail_parse("HIGH", &d), -1);
    assert_int_equal(tokens_detail_parse("", &d), -1);
    assert_int_equal(tokens_detail_parse("medium", &d), -1);
    assert_int_equal(tokens_detail_parse("low ", &d), -1);
    assert_int_equal(tokens_detail_parse(NULL, &d), -1);
    assert_int_equal(d, DETAIL_HIGH); /* untouched on failure */

    assert_string_equal(tokens_detail_name(DETAIL_AUTO), "auto");
    assert_string_equal(tokens_detail_name(DETAIL_LOW), "low");
    assert_string_equal(tokens_detail_name(DETAIL_HIGH), "high");
    assert_string_equal(tokens_detail_name((detail_t)7), "?");
}

static void test_text_estimate(void **state)
{
    (void)state;
    assert_int_equal(tokens_text_estimate(NULL, 0), 0);
    assert_int_equal(tokens_text_estimate("a", 1), 1);
    assert_int_equal(tokens_text_estimate("abcd", 4), 1);
    assert_int_equal(tokens_text_estimate("abcde", 5), 2);
    assert_int_equal(tokens_text_estimate("Describe this product", 21), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_facts_vectors),  cmocka_unit_test(test_tile_formula),
        cmocka_unit_test(test_patch_formula),  cmocka_unit_test(test_anthropic_formula),
        cmocka_unit_test(test_anthropic_vectors),
        cmocka_unit_test(test_gemini_tiles),
        cmocka_unit_test(test_gemini3_media_resolution), cmocka_unit_test(test_zero_size),
        cmocka_unit_test(test_lookup),         cmocka_unit_test(test_lookup_unknown),
        cmocka_unit_test(test_detail),         cmocka_unit_test(test_text_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
