/* openai_group.c - one chat/completions body carrying several images (--batch-size): the
 * text part, then one image_url part per image, each URL copied as it was encoded into
 * the image's own single-image body, so no image is encoded twice. */
#include "provider/openai_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of one image part around its URL: {"type":"image_url","image_url":{"url":"",
 * "detail":""}}, and the comma. */
#define IMAGE_PART_BYTES 64

size_t openai_group_part_overhead(const body_settings_t *s)
{
    return IMAGE_PART_BYTES + strlen(s->detail);
}

/* Serialises the body with an image mark per image and returns it (malloc'd), NULL when
 * out of memory. */
static char *body_skeleton(const body_settings_t *s, const char *text, size_t n)
{
    json_t *content = json_array();
    json_t *body = content ? json_pack("{s:s, s:[{s:s, s:o}]}", "model", s->model, "messages",
                                       "role", "user", "content", content)
                           : NULL;
    if (!body)
        return NULL;
    int bad = json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", text));
    for (size_t i = 0; i < n && !bad; i++)
        bad = json_array_append_new(content, json_pack("{s:s, s:{s:s, s:s}}", "type", "image_url",
                                                       "image_url", "url", OPENAI_IMAGE_MARK,
                                                       "detail", s->detail));
    if (!bad && s->max_tokens > 0)
        bad = json_object_set_new(body, "max_tokens", json_integer((json_int_t)s->max_tokens));
    bad = bad || openai_body_sampling(body, s) != 0;
    char *out = bad ? NULL : json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return out;
}

char *openai_group_body(const body_settings_t *s, const char *text, const body_part_t *parts,
                        size_t n, size_t *body_len)
{
    char *skel = body_skeleton(s, text, n);
    if (!skel)
        return NULL;
    /* The marks are the last n occurrences: the prompt before them may hold the mark's
     * text, nothing after the images can. */
    size_t mlen = strlen(OPENAI_IMAGE_MARK_ESCAPED), found = 0;
    const char **marks = calloc(n, sizeof *marks);
    for (const char *p = skel; marks && (p = strstr(p, OPENAI_IMAGE_MARK_ESCAPED)); p += mlen) {
        if (found == n)
            memmove(marks, marks + 1, (n - 1) * sizeof *marks);
        marks[found == n ? n - 1 : found++] = p;
    }
    size_t total = strlen(skel) - n * mlen;
    for (size_t i = 0; i < n; i++)
        total += parts[i].len;
    char *out = marks && found == n ? malloc(total + 1) : NULL;
    if (out) {
        const char *from = skel;
        char *w = out;
        for (size_t i = 0; i < n; i++) {
            memcpy(w, from, (size_t)(marks[i] - from));
            w += marks[i] - from;
            memcpy(w, parts[i].bytes, parts[i].len);
            w += parts[i].len;
            from = marks[i] + mlen;
        }
        size_t rest = strlen(from);
        memcpy(w, from, rest + 1);
        *body_len = total;
    }
    free(marks);
    free(skel);
    return out;
}
