/* resize.h - downscaling images before upload (`--resize auto`, `--max-side N`).
 *
 * Every provider shrinks a large image before its model sees it and bills the shrunk
 * size (docs/provider-facts.md §2). Sending the size the provider would keep anyway
 * costs the same tokens, gets the same answer and uploads far fewer bytes: a 4000x3000
 * JPEG becomes a 1024x768 one for gpt-4o. resize_target picks that size from the model's
 * formula; resize_encode produces the pixels. */
#ifndef VB_RESIZE_H
#define VB_RESIZE_H

#include "media/image.h"

#include <stddef.h>

/* The size to send a w x h image at, in *out_w x *out_h (the orientation image_probe
 * reports: stored pixels, before any EXIF rotation).
 *
 * automatic (non-zero): the largest size the provider's own pipeline keeps for model and
 * detail ("low", "high", "auto"; NULL or anything else counts as "auto", as the token
 * estimate does), computed with src/tokens.c's rounding, so that
 * tokens_image(target) == tokens_image(w x h) for every size (tests/unit/test_resize.c):
 *   - OpenAI tile family, low: fit within 512 x 512 (low is billed as base tokens at any
 *     size; OpenAI looks at it at 512 px);
 *   - OpenAI tile family, high/auto: fit within 2048 x 2048, then shortest side 768;
 *   - OpenAI patch family: when ceil(w/32)*ceil(h/32) > 1536, the formula's factor r,
 *     each side rounded up (ceil(r*w) x ceil(r*h)), which has exactly the formula's patch
 *     count and is not scaled again;
 *   - Anthropic: the size its own pipeline resizes to (tokens_anthropic_size: the largest
 *     aspect-preserving size within the model's tier of long edge and 28 px patches);
 *   - Gemini: unchanged (its tiling is undocumented: any downscale may change the tiles
 *     and so the tokens and the answer);
 *   - an unknown model: unchanged (its pipeline is unknown).
 * Sides are rounded down when scaling, never below 1 px, never above the original. If a
 * computed size would not bill the same tokens, the image is left unchanged.
 *
 * max_side > 0: the result is additionally fitted within max_side x max_side, aspect
 * kept (this one does change the tokens: that is what the user asked for).
 *
 * Returns 1 when the target is smaller than the image (a resize is needed), 0 when it
 * is the image's own size (also for a zero w or h). Pure and thread-safe. */
int resize_target(const char *model, const char *detail, unsigned w, unsigned h, unsigned max_side,
                  int automatic, unsigned *out_w, unsigned *out_h);

/* Decodes data[0..len) (a supported image of the given format) with shrink-on-load, scales
 * it to exactly w x h (as given by resize_target, in the stored orientation; never larger
 * than the image) and encodes the result:
 *   - JPEG -> JPEG, quality 90, 4:2:0 chroma subsampling;
 *   - PNG, GIF -> PNG (lossless, alpha kept; 16-bit sources written as 8-bit);
 *   - WebP -> WebP, quality 90 (alpha kept).
 * Pixels are turned upright by the EXIF orientation and every metadata item is removed
 * (GPS and camera data never leave the machine; WebP keeps only a minimal EXIF block that
 * libvips 8.14 always writes: orientation 1, resolution), so a 90-degree orientation
 * yields an h x w result (tokens are the same: every formula is symmetric). An embedded ICC profile
 * is applied (the output is sRGB) before it is stripped. libvips must be initialised
 * (image_global_init).
 *
 * Returns 0 with *out a malloc'd buffer of *out_len bytes (the caller frees it with
 * free()) and *out_format set; or -1 with a one-line reason in err and *out NULL.
 * Thread-safe; memory is bounded by the output size, not the input's pixel count. */
int resize_encode(const unsigned char *data, size_t len, image_format_t format, unsigned w,
                  unsigned h, unsigned char **out, size_t *out_len, image_format_t *out_format,
                  char *err, size_t errlen);

/* resize_encode writing fmt (JPEG, PNG or WebP) whatever the source format: any image
 * libvips loads (TIFF, HEIF, BMP... the first page of a multi-page one), as convert.c
 * needs. Same contract otherwise; w x h may be the image's own size (a re-encode).
 * strict (non-zero): any decoder warning fails the call, as in image_decode_check, so a
 * successful call has decoded every compressed byte of the source and can stand in for
 * that check (JPEG shrink-on-load still reads every coefficient). */
int resize_encode_to(const unsigned char *data, size_t len, image_format_t fmt, unsigned w,
                     unsigned h, int strict, unsigned char **out, size_t *out_len,
                     image_format_t *out_format, char *err, size_t errlen);

#endif
