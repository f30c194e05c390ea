/* image_types.h - what is known about an image, and why one is refused: the types that
 * image.c shares with the format readers it calls (image_header.c, jpeg_header.c,
 * jpeg_check.c). A leaf, so those readers need not include image.h, whose functions are
 * built on them. Everything that includes image.h sees these too. */
#ifndef VB_IMAGE_TYPES_H
#define VB_IMAGE_TYPES_H

typedef enum {
    IMAGE_UNKNOWN = 0,
    IMAGE_JPEG,
    IMAGE_PNG,
    IMAGE_WEBP,
    IMAGE_GIF,
} image_format_t;

typedef struct {
    image_format_t format;
    unsigned width;
    unsigned height;
    unsigned pages;  /* frames of an animation; 1 for a still image */
    int cmyk;        /* CMYK pixels (JPEG): sent converted to sRGB */
    int deep;        /* more than 8 bits per sample (16-bit PNG): sent as 8-bit */
    int orientation; /* EXIF orientation 1..8 (1: upright); others are sent rotated */
    int alpha;       /* has an alpha channel */
} image_info_t;

/* Images whose header declares more pixels than this (or a side longer than
 * IMAGE_MAX_SIDE) are refused before any pixel is decoded: a few KB of PNG can declare
 * gigapixels (a decompression bomb). No provider keeps more than ~8000 x 8000 either. */
#define IMAGE_MAX_PIXELS (100ULL * 1000 * 1000)
#define IMAGE_MAX_SIDE   32767U

/* Why an image was refused; the error kind written to the output record. */
typedef enum {
    IMAGE_OK = 0,
    IMAGE_ERR_EMPTY,           /* zero bytes */
    IMAGE_ERR_NOT_IMAGE,       /* no image format recognised in the bytes */
    IMAGE_ERR_UNSUPPORTED,     /* an image, but a format the APIs do not take */
    IMAGE_ERR_CORRUPT,         /* header unreadable, truncated, or zero-sized */
    IMAGE_ERR_ANIMATED,        /* animated GIF/WebP */
    IMAGE_ERR_TOO_MANY_PIXELS, /* declared dimensions over IMAGE_MAX_PIXELS / _SIDE */
} image_status_t;

#endif
