/* openai_internal.h - the pieces of the OpenAI provider that live in files of their own;
 * only src/provider/openai*.c include it. Each is the provider_t member of the same name
 * (provider.h states their contracts). */
#ifndef VB_OPENAI_INTERNAL_H
#define VB_OPENAI_INTERNAL_H

#include "provider/provider.h"

/* openai_answer.c */
void openai_answer_parse(long status, const char *body, size_t len, header_get_fn get, void *hctx,
                         const char *secret, answer_t *out);

/* openai_schema.c */
int openai_structured_option(const json_t *schema, const char *name, char **out, char *err,
                             size_t errlen);

/* openai.c: adds s's system prompt (a first message of role "system"), temperature and
 * seed to body, a chat/completions body with its "messages" array (single-image and
 * group bodies alike). Returns 0, or -1 when out of memory or the text is not UTF-8. */
int openai_body_sampling(json_t *body, const body_settings_t *s);

/* openai_group.c */
char *openai_group_body(const body_settings_t *s, const char *text, const body_part_t *parts,
                        size_t n, size_t *body_len);
size_t openai_group_part_overhead(const body_settings_t *s);

/* limit_headers.c: OpenAI's x-ratelimit-* (Anthropic's names as a fallback, for
 * compatible servers in front of Claude), retry-after-ms and retry-after. */
void openai_limits_parse(header_get_fn get, void *hctx, time_t now, ratelimit_info_t *out);

/* Stands where the image goes while a template or group body is serialised: found from
 * the end, and nothing after the image (detail, max_tokens) can contain it. jansson
 * writes it escaped. */
#define OPENAI_IMAGE_MARK         "\x01vb-image-url\x01"
#define OPENAI_IMAGE_MARK_ESCAPED "\\u0001vb-image-url\\u0001"

/* The model listing for the preflight (models_list.c; provider_t.models_url and
 * models_parse). */
char *openai_models_url(const char *base_url, const char *model);
models_verdict_t openai_models_parse(long status, const char *body, size_t len,
                                     const char *model, char *listed, size_t listed_len);

#endif
