/* sim_heif.c - HEIF brand and size, from the boxes alone (sim_heif.h). */
#include "sim_heif.h"

#include <stdint.h>
#include <string.h>

#define BOX_HEADER 8U
#define FULL_BOX   4U /* version and flags after a full box's header */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int heif_brand(const unsigned char *b)
{
    static const char *const brands[] = {"heic", "heix", "heim", "heis", "hevc",
                                         "hevx", "mif1", "msf1", "mif2"};
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        if (memcmp(b, brands[i], 4) == 0)
            return 1;
    return 0;
}

int sim_heif_is_heif(const unsigned char *data, size_t len)
{
    if (len < 16 || memcmp(data + 4, "ftyp", 4) != 0)
        return 0;
    size_t size = be32(data);
    if (size < 16 || size > len)
        return 0;
    if (memcmp(data + 8, "avif", 4) == 0 || memcmp(data + 8, "avis", 4) == 0)
        return 0; /* AV1 images carry mif1 too; Gemini does not list AVIF */
    if (heif_brand(data + 8))
        return 1;
    for (size_t at = 16; at + 4 <= size; at += 4) /* the compatible brands */
        if (heif_brand(data + at))
            return 1;
    return 0;
}

/* Finds the first box of type in data[0..len) (a sequence of boxes); sets *body and
 * *body_len to its contents. Returns 0, or -1 when there is none or a size is broken. */
static int find_box(const unsigned char *data, size_t len, const char *type,
                    const unsigned char **body, size_t *body_len)
{
    size_t at = 0;
    while (len - at >= BOX_HEADER) {
        size_t size = be32(data + at);
        if (size == 0)
            size = len - at; /* to the end */
        if (size < BOX_HEADER || size > len - at)
            return -1; /* 64-bit sizes are not needed for the boxes read here */
        if (memcmp(data + at + 4, type, 4) == 0) {
            *body = data + at + BOX_HEADER;
            *body_len = size - BOX_HEADER;
            return 0;
        }
        at += size;
    }
    return -1;
}

int sim_heif_probe(const unsigned char *data, size_t len, unsigned *width, unsigned *height)
{
    const unsigned char *meta, *iprp, *ipco;
    size_t meta_len, iprp_len, ipco_len;
    if (!sim_heif_is_heif(data, len) || find_box(data, len, "meta", &meta, &meta_len) != 0 ||
        meta_len < FULL_BOX ||
        find_box(meta + FULL_BOX, meta_len - FULL_BOX, "iprp", &iprp, &iprp_len) != 0 ||
        find_box(iprp, iprp_len, "ipco", &ipco, &ipco_len) != 0)
        return -1;
    unsigned long long best = 0;
    size_t at = 0;
    while (ipco_len - at >= BOX_HEADER) { /* every property; keep the largest ispe */
        size_t size = be32(ipco + at);
        if (size < BOX_HEADER || size > ipco_len - at)
            break;
        if (memcmp(ipco + at + 4, "ispe", 4) == 0 && size >= BOX_HEADER + FULL_BOX + 8) {
            uint32_t w = be32(ipco + at + BOX_HEADER + FULL_BOX);
            uint32_t h = be32(ipco + at + BOX_HEADER + FULL_BOX + 4);
            if (w && h && (unsigned long long)w * h > best) {
                best = (unsigned long long)w * h;
                *width = w;
                *height = h;
            }
        }
        at += size;
    }
    return best ? 0 : -1;
}
