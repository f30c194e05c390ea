/* sim_describe.c - one image's line in a simulated answer (sim_describe.h). */
#include "sim_describe.h"

#include <stdio.h>

/* What the "model" says about an image, picked by the image's hash. */
static const char *const descriptions[] = {
    "A product photo on a plain background.",
    "A close-up of a household item on a white table.",
    "A garment laid flat, photographed from above.",
    "A pair of shoes on a light grey surface.",
    "A kitchen appliance in front of a neutral wall.",
    "A toy in bright colours with soft shadows.",
    "A piece of furniture in a sparsely decorated room.",
    "An electronic gadget with its packaging beside it.",
};

int sim_describe_image(const sim_image_t *img, char *buf, size_t cap)
{
    const char *what =
        descriptions[img->digest[0] % (sizeof descriptions / sizeof descriptions[0])];
    if (img->is_url)
        return snprintf(buf, cap, "sha256:%s (url). %s", img->hash_hex, what);
    return snprintf(buf, cap, "sha256:%s (%s %ux%u). %s", img->hash_hex,
                    sim_image_format_name(img), img->width, img->height, what);
}
