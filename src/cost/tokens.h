/* tokens.h - what an image (and, roughly, a text) costs in tokens before it is sent.
 *
 * Each model family bills images by its own formula (docs/provider-facts.md §2): OpenAI's
 * 512 px tiles, OpenAI's 32 px patches, Anthropic's 28 px patches (batch-api-facts.md §2),
 * Gemini 2.x's tiles and Gemini 3's fixed count per media resolution.
 * A cost model must use the per-model rule, never one token count for every model.
 * Everything here is pure and thread-safe; nothing is allocated. */
#ifndef VB_TOKENS_H
#define VB_TOKENS_H

#include <stddef.h>

typedef enum { DETAIL_AUTO = 0, DETAIL_LOW, DETAIL_HIGH } detail_t;

/* Parses "auto", "low" or "high" (exact, lowercase) into *out. Returns 0, or -1 for
 * anything else (NULL included), leaving *out untouched. */
int tokens_detail_parse(const char *s, detail_t *out);

/* "auto", "low" or "high"; "?" for a value outside the enum. Static storage. */
const char *tokens_detail_name(detail_t d);

typedef enum {
    TOKENS_FAMILY_UNKNOWN = 0,
    TOKENS_FAMILY_OPENAI_TILE,  /* base + per_tile * 512 px tiles */
    TOKENS_FAMILY_OPENAI_PATCH, /* ceil(32 px patches * patch_multiplier) */
    TOKENS_FAMILY_ANTHROPIC,    /* ceil(w/28) * ceil(h/28) after scaling down to a tier */
    TOKENS_FAMILY_GEMINI,       /* base for small images, else per_tile per crop-unit tile */
    TOKENS_FAMILY_GEMINI_MEDIA, /* Gemini 3 media_resolution: base at detail low, per_tile
                                   otherwise, whatever the size */
} tokens_family_t;

typedef struct {
    tokens_family_t family;
    unsigned base;     /* tile: low-detail/base tokens; gemini: small-image tokens;
                          gemini media: an image at media resolution low;
                          anthropic: the tier's longest side (px) an image is kept at */
    unsigned per_tile; /* tile: tokens per 512 px tile; gemini: per tile; gemini media:
                          an image at the model's default (high); anthropic: the tier's
                          most 28 px patches (tokens) per image */
    double patch_multiplier; /* patch family only */
} tokens_model_t;

/* Finds the image-token rules for a model name ("gpt-4o-mini", "gpt-4o-2024-08-06",
 * "openai/gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash", "o4-mini", "gpt-4.1-nano").
 * Everything up to the last '/' is a vendor prefix and is ignored; then the longest known
 * model prefix that ends at the end of the name or at a '-', ':', '@' or '_' wins, so
 * "gpt-4o-mini" is not taken for "gpt-4o" nor "o1" for "o10". Case-insensitive.
 * Returns 0 and fills *out, or -1 (and *out untouched) for an unknown or NULL name. */
int tokens_model_lookup(const char *model, tokens_model_t *out);

/* Image tokens for a width x height image under the rules m and the detail level.
 * detail matters to the OpenAI tile family (low: base only; auto behaves as high) and to
 * Gemini 3's media resolution (low: base; auto and high: per_tile, the default); the
 * other families ignore it. A zero width or height costs 0; so does an unknown
 * family. */
unsigned long tokens_image(const tokens_model_t *m, unsigned width, unsigned height,
                           detail_t detail);

/* The size Anthropic's pipeline resizes a width x height image to under the rules m (of
 * the Anthropic family): the image itself when its long side is at most m->base and its
 * 28 px patches at most m->per_tile, else the largest aspect-preserving size within
 * both (the long side searched, the short one rounded half to even). Sets *out_w x
 * *out_h (0 x 0 stays 0 x 0). The tokens are the patches of that size. */
void tokens_anthropic_size(const tokens_model_t *m, unsigned width, unsigned height,
                           unsigned *out_w, unsigned *out_h);

/* tokens_model_lookup + tokens_image. Returns -1 for an unknown model, else 0 and *out. */
int tokens_image_for_model(const char *model, unsigned width, unsigned height, detail_t detail,
                           unsigned long *out);

/* Rough text-token estimate for budgeting: ceil(len / 4), about 4 bytes per token of
 * English. text may be NULL; only len is used. */
unsigned long tokens_text_estimate(const char *text, size_t len);

/* Per-message overhead a provider adds to the prompt tokens (the simulator uses the same).
 * Here, with the other token rules, because prepare.c and provider/openai_batch_lines.c
 * both estimate requests with it. */
#define MESSAGE_OVERHEAD_TOKENS 7
/* A URL's image size is unknown before the provider fetches it: assume this square. */
#define URL_ASSUMED_SIDE 1024

#endif
