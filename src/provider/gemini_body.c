/* gemini_body.c - generateContent request bodies: the single-image template, the image
 * part written straight into its body, and multi-image (group) bodies.
 *
 * Every body is PREFIX, the image part(s) separated by commas, then the tail:
 *   {"contents":[{"role":"user","parts":[ IMAGE-PART ,{"text":PROMPT}]}]
 *    ,"systemInstruction":{"parts":[{"text":SYSTEM}]}
 *    ,"generationConfig":{"maxOutputTokens","responseMimeType","responseSchema",
 *                         "temperature","seed","mediaResolution"}}
 * (systemInstruction, generationConfig and each of its keys only when set). The image part comes first, as
 * Google's image guide advises for a single image. A template's prefix is PREFIX and its
 * suffix the tail: nothing a user wrote precedes the image, and the part itself is the
 * whole {"inlineData":{...}} object, which a group body reuses as it is. */
#include "provider/gemini_internal.h"

#include "media/base64.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX     "{\"contents\":[{\"role\":\"user\",\"parts\":["
#define PREFIX_LEN (sizeof PREFIX - 1)

/* Gemini 3's media resolution for detail ("low", "high"), or NULL: other models, and
 * "auto" (the model's default for images, which bills as high). Field and values:
 * GenerationConfig.mediaResolution, ai.google.dev/api/generate-content. */
static const char *media_resolution(const body_settings_t *s)
{
    tokens_model_t m;
    if (!s->detail || tokens_model_lookup(s->model, &m) != 0 ||
        m.family != TOKENS_FAMILY_GEMINI_MEDIA)
        return NULL;
    if (strcmp(s->detail, "low") == 0)
        return "MEDIA_RESOLUTION_LOW";
    if (strcmp(s->detail, "high") == 0)
        return "MEDIA_RESOLUTION_HIGH";
    return NULL;
}

/* The generationConfig for s, its keys in a fixed order: maxOutputTokens (when > 0), the
 * fields of the structured option (when with_format and s has one: gemini_schema.c makes
 * it a JSON object of generationConfig fields), mediaResolution. Returns a new object
 * (empty when nothing is set), or NULL with a reason in err. */
static json_t *generation_config(const body_settings_t *s, bool with_format, char *err,
                                 size_t errlen)
{
    json_t *gc = json_object();
    if (!gc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (s->max_tokens > 0)
        json_object_set_new(gc, "maxOutputTokens", json_integer((json_int_t)s->max_tokens));
    if (with_format && s->response_format) {
        json_t *fields = json_loads(s->response_format, 0, NULL);
        if (!json_is_object(fields)) {
            json_decref(fields);
            json_decref(gc);
            snprintf(err, errlen, "the structured-answer option is not a JSON object");
            return NULL;
        }
        json_object_update(gc, fields);
        json_decref(fields);
    }
    /* GenerationConfig.temperature (0..2) and .seed (integer), ai.google.dev/api/
     * generate-content#generationconfig */
    if (s->temperature_set)
        json_object_set_new(gc, "temperature", json_real(s->temperature));
    if (s->seed_set)
        json_object_set_new(gc, "seed", json_integer((json_int_t)s->seed));
    const char *res = media_resolution(s);
    if (res)
        json_object_set_new(gc, "mediaResolution", json_string(res));
    return gc;
}

/* ,{"text":TEXT}]}] then ,"systemInstruction":{"parts":[{"text":SYSTEM}]} when system
 * (a Content without a role: ai.google.dev/api/generate-content, systemInstruction), then
 * ,"generationConfig":GC when gc has keys, then } (malloc'd), or NULL when a text is not
 * UTF-8 or out of memory. */
static char *body_tail(const char *text, const char *system, const json_t *gc)
{
    json_t *part = json_pack("{s:s}", "text", text);
    json_t *si = system ? json_pack("{s:[{s:s}]}", "parts", "text", system) : NULL;
    char *p = part ? json_dumps(part, JSON_COMPACT) : NULL;
    char *sys = si ? json_dumps(si, JSON_COMPACT) : NULL;
    char *g = json_object_size(gc) ? json_dumps(gc, JSON_COMPACT) : NULL;
    json_decref(part);
    json_decref(si);
    char *tail = NULL;
    if (p && (g || !json_object_size(gc)) && (sys || !system)) {
        size_t n = strlen(p) + (sys ? strlen(sys) : 0) + (g ? strlen(g) : 0) +
                   sizeof ",]}],\"systemInstruction\":,\"generationConfig\":}";
        if ((tail = malloc(n)))
            snprintf(tail, n, ",%s]}]%s%s%s%s}", p, sys ? ",\"systemInstruction\":" : "",
                     sys ? sys : "", g ? ",\"generationConfig\":" : "", g ? g : "");
    }
    free(p);
    free(sys);
    free(g);
    return tail;
}

int gemini_template_build(body_template_t *t, const body_settings_t *s, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (!gemini_model_name_ok(s->model)) {
        snprintf(err, errlen,
                 "model '%.80s' cannot go in a Gemini URL: a model name takes only letters, "
                 "digits, '.', '_' and '-'",
                 s->model ? s->model : "");
        return -1;
    }
    json_t *gc = generation_config(s, true, err, errlen);
    if (!gc)
        return -1;
    t->suffix = s->prompt ? body_tail(s->prompt, s->system, gc) : NULL;
    json_decref(gc);
    if (!t->suffix) {
        snprintf(err, errlen, "cannot build the request: the prompt must be UTF-8 text");
        return -1;
    }
    t->suffix_len = strlen(t->suffix);
    t->prefix = strdup(PREFIX);
    t->prefix_len = PREFIX_LEN;
    if (!t->prefix) {
        body_template_clear(t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* A MIME type as image_mime() names them: nothing JSON would have to escape. */
static bool mime_ok(const char *mime)
{
    if (!mime || !mime[0] || strlen(mime) > 64)
        return false;
    for (const char *p = mime; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '/' || *p == '.' ||
              *p == '+' || *p == '-'))
            return false;
    return true;
}

/* {"inlineData":{"mimeType":MIME,"data":"<base64>"}} (Blob, ai.google.dev/api/caching). */
char *gemini_body_image(const body_template_t *t, const char *mime, const unsigned char *img,
                        size_t len, size_t *body_len)
{
    if (!mime_ok(mime))
        return NULL;
    char head[128];
    snprintf(head, sizeof head, "{\"inlineData\":{\"mimeType\":\"%s\",\"data\":\"", mime);
    return body_template_join(t, head, img, len, true, "\"}}", body_len);
}

/* {"fileData":{"fileUri":URL}}: the Gemini API fetches public and signed http(s) URLs
 * itself since 2026-01-12 (Google blog "Increased file size limits and expanded inputs
 * support"; ai.google.dev/gemini-api/docs/file-input-methods). FileData.mimeType is
 * optional (ai.google.dev/api/caching#FileData) and unknown before the fetch: left out. */
char *gemini_body_image_url(const body_template_t *t, const char *url, size_t *body_len)
{
    json_t *s = json_string(url);
    char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    if (!quoted)
        return NULL;
    char *b = body_template_join(t, "{\"fileData\":{\"fileUri\":", (const unsigned char *)quoted,
                        strlen(quoted), false, "}}", body_len);
    free(quoted);
    return b;
}

/* Each part is preceded by a comma but the first. */
size_t gemini_group_part_overhead(const body_settings_t *s)
{
    (void)s;
    return 1;
}

/* PREFIX, the parts as they are, comma-separated, then the text part and a
 * generationConfig without the structured option (a group's answer is its own JSON
 * array, asked for in text). */
char *gemini_group_body(const body_settings_t *s, const char *text, const body_part_t *parts,
                        size_t n, size_t *body_len)
{
    char err[128];
    json_t *gc = generation_config(s, false, err, sizeof err);
    char *tail = gc ? body_tail(text, s->system, gc) : NULL;
    json_decref(gc);
    if (!tail)
        return NULL;
    const char *rest = n ? tail : tail + 1; /* no image: no comma before the text */
    size_t rest_len = strlen(rest), total = PREFIX_LEN + rest_len;
    for (size_t i = 0; i < n; i++)
        total += parts[i].len + (i > 0);
    char *b = malloc(total + 1);
    if (b) {
        char *w = b;
        memcpy(w, PREFIX, PREFIX_LEN);
        w += PREFIX_LEN;
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                *w++ = ',';
            memcpy(w, parts[i].bytes, parts[i].len);
            w += parts[i].len;
        }
        memcpy(w, rest, rest_len + 1);
        *body_len = total;
    }
    free(tail);
    return b;
}
