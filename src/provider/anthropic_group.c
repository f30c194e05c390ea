/* anthropic_group.c - one Messages body carrying several images (--batch-size): one user
 * message with an image block per image, then the text block (images before text, as
 * the vision docs advise), each image's source object copied as it was encoded into
 * the image's own single-image body, so no image is encoded twice. */
#include "provider/anthropic_internal.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of one image block around its source: {"type":"image","source":}, and the comma. */
#define IMAGE_BLOCK_BYTES 32

size_t anthropic_group_part_overhead(const body_settings_t *s)
{
    (void)s;
    return IMAGE_BLOCK_BYTES;
}

char *anthropic_group_body(const body_settings_t *s, const char *text, const body_part_t *parts,
                           size_t n, size_t *body_len)
{
    char *skel = anthropic_body_skeleton(s, text, n, false);
    if (!skel)
        return NULL;
    /* Each "source": key is followed by its mark; the key cannot occur inside a string
     * (its quotes would be escaped), so the n occurrences are exactly the n sources. */
    static const char needle[] = "\"source\":" ANTHROPIC_IMAGE_MARK_ESCAPED;
    size_t key_len = strlen("\"source\":"), mark_len = strlen(ANTHROPIC_IMAGE_MARK_ESCAPED);
    size_t total = strlen(skel) - n * mark_len;
    for (size_t i = 0; i < n; i++)
        total += parts[i].len;
    char *out = malloc(total + 1);
    const char *from = skel;
    char *w = out;
    for (size_t i = 0; out && i < n; i++) {
        const char *at = strstr(from, needle);
        if (!at) { /* cannot happen: the skeleton has n image blocks */
            free(out);
            out = NULL;
            break;
        }
        at += key_len;
        memcpy(w, from, (size_t)(at - from));
        w += at - from;
        memcpy(w, parts[i].bytes, parts[i].len);
        w += parts[i].len;
        from = at + mark_len;
    }
    if (out) {
        size_t rest = strlen(from);
        memcpy(w, from, rest + 1);
        *body_len = total;
    }
    free(skel);
    return out;
}
