/* anthropic_internal.h - the pieces of the Anthropic provider that live in files of their
 * own; only src/provider/anthropic*.c and limit_headers.c include it. Each is the
 * provider_t member of the same name (provider.h states their contracts). */
#ifndef VB_ANTHROPIC_INTERNAL_H
#define VB_ANTHROPIC_INTERNAL_H

#include "provider/provider.h"

#include <stdbool.h>

/* anthropic.c: the body as compact JSON text, with n image blocks whose "source" is
 * ANTHROPIC_IMAGE_MARK, then the text block; with options, also the structured-answer
 * option (s->response_format, a JSON object) as output_config.format. max_tokens is
 * written as it is. Returns a malloc'd string, NULL when out of memory or text, model or
 * the option is not what JSON can carry. */
char *anthropic_body_skeleton(const body_settings_t *s, const char *text, size_t n, bool options);

/* anthropic_answer.c */
void anthropic_answer_parse(long status, const char *body, size_t len, header_get_fn get,
                            void *hctx, const char *secret, answer_t *out);

/* anthropic_schema.c */
int anthropic_structured_option(const json_t *schema, const char *name, char **out, char *err,
                                size_t errlen);

/* anthropic_group.c */
char *anthropic_group_body(const body_settings_t *s, const char *text, const body_part_t *parts,
                           size_t n, size_t *body_len);
size_t anthropic_group_part_overhead(const body_settings_t *s);

/* limit_headers.c: anthropic-ratelimit-*, retry-after-ms and retry-after. */
void anthropic_limits_parse(header_get_fn get, void *hctx, time_t now, ratelimit_info_t *out);

/* Stands where an image's source object goes while a body is serialised; jansson writes
 * it escaped, with its quotes. It is found as the value of the key "source": that
 * sequence cannot occur inside a string (its quotes would be escaped), so a model name
 * or a prompt holding the mark's characters does not move it. */
#define ANTHROPIC_IMAGE_MARK         "\x01vb-image-source\x01"
#define ANTHROPIC_IMAGE_MARK_ESCAPED "\"\\u0001vb-image-source\\u0001\""

/* The model listing for the preflight (models_list.c; provider_t.models_url and
 * models_parse). */
char *anthropic_models_url(const char *base_url, const char *model);
models_verdict_t anthropic_models_parse(long status, const char *body, size_t len,
                                     const char *model, char *listed, size_t listed_len);

#endif
