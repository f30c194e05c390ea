/* gemini_internal.h - the pieces of the Gemini provider that live in files of their own;
 * only src/provider/gemini*.c include it. Each is the provider_t member of the same name
 * (provider.h states their contracts). */
#ifndef VB_GEMINI_INTERNAL_H
#define VB_GEMINI_INTERNAL_H

#include "provider/provider.h"

#include <stdbool.h>

/* gemini_body.c */
int gemini_template_build(body_template_t *t, const body_settings_t *s, char *err, size_t errlen);
char *gemini_body_image(const body_template_t *t, const char *mime, const unsigned char *img,
                        size_t len, size_t *body_len);
char *gemini_body_image_url(const body_template_t *t, const char *url, size_t *body_len);
char *gemini_group_body(const body_settings_t *s, const char *text, const body_part_t *parts,
                        size_t n, size_t *body_len);
size_t gemini_group_part_overhead(const body_settings_t *s);

/* gemini_answer.c */
void gemini_answer_parse(long status, const char *body, size_t len, header_get_fn get, void *hctx,
                         const char *secret, answer_t *out);

/* gemini_schema.c */
int gemini_structured_option(const json_t *schema, const char *name, char **out, char *err,
                             size_t errlen);

/* gemini.c: whether model (a "models/" prefix allowed) is a name the URL can carry:
 * non-empty, only letters, digits, '.', '_' and '-'. */
bool gemini_model_name_ok(const char *model);

/* The model listing for the preflight (models_list.c; provider_t.models_url and
 * models_parse). */
char *gemini_models_url(const char *base_url, const char *model);
models_verdict_t gemini_models_parse(long status, const char *body, size_t len,
                                     const char *model, char *listed, size_t listed_len);

#endif
