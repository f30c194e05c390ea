/* openai.h - the OpenAI chat/completions wire format: request bodies, response parsing
 * and the classification of every answer into what the engine does next.
 *
 * Request bodies follow CreateChatCompletionRequest of OpenAI's OpenAPI document: one
 * user message whose content is a text part and an image_url part. */
#ifndef VB_OPENAI_H
#define VB_OPENAI_H

#include <stddef.h>

/* A request body split around the image URL, built once per job (or per item when the
 * item has its own prompt), so the image is written straight into the final buffer. */
typedef struct openai_template {
    char *prefix; /* ... "image_url":{"url":" */
    size_t prefix_len;
    char *suffix; /* ","detail":"auto"}}]}],"max_tokens":300} */
    size_t suffix_len;
} openai_template_t;

/* Builds the template. detail is "auto", "low" or "high"; max_tokens 0 leaves it out.
 * Returns 0, or -1 with a reason in err. Free with openai_template_clear. */
int openai_template_build(openai_template_t *t, const char *model, const char *prompt,
                          const char *detail, long max_tokens, char *err, size_t errlen);

/* openai_template_build with a "response_format" (compact JSON object text, e.g. from
 * structured.h; NULL for none) added after max_tokens. */
int openai_template_build_rf(openai_template_t *t, const char *model, const char *prompt,
                             const char *detail, long max_tokens, const char *response_format,
                             char *err, size_t errlen);

/* Frees the template's strings. NULL is a no-op. */
void openai_template_clear(openai_template_t *t);

/* Returns a malloc'd body whose image is a data URL of mime and the bytes img[0..len),
 * base64-encoded in place; *body_len gets its length. NULL when out of memory. */
char *openai_body_data_url(const openai_template_t *t, const char *mime,
                           const unsigned char *img, size_t len, size_t *body_len);

/* Returns a malloc'd body whose image is the http(s) URL url (JSON-escaped). */
char *openai_body_url(const openai_template_t *t, const char *url, size_t *body_len);

/* What to do with an answer (provider-facts.md §4, "Which responses to retry"). */
typedef enum {
    OPENAI_OK = 0,        /* success: content and usage are set */
    OPENAI_RETRY,         /* transient: the same request may succeed later */
    OPENAI_FAIL_ITEM,     /* this item can never succeed */
    OPENAI_STOP_RUN,      /* no later request can succeed either (bad key, no quota) */
} openai_action_t;

typedef struct openai_response {
    openai_action_t action;
    char *content;          /* the model's text (malloc'd), or NULL */
    char *model;            /* model named by the server (malloc'd), or NULL */
    long prompt_tokens;     /* -1 when absent */
    long completion_tokens;
    long total_tokens;
    const char *error_kind; /* static string: "rate_limited", "auth", ...; NULL on success */
    char error_message[512];
} openai_response_t;

/* Parses and classifies an HTTP answer: status, body[0..len) and the value of an
 * x-should-retry header (NULL when absent), which overrides the table. secret (may be
 * NULL) is scrubbed from the server's words before they are cut to fit the message, so
 * no part of it survives. Fills *out; the caller frees it with openai_response_clear. */
void openai_response_parse(long status, const char *body, size_t len, const char *should_retry,
                           const char *secret, openai_response_t *out);

/* Frees what openai_response_parse allocated. NULL is a no-op. */
void openai_response_clear(openai_response_t *r);

#endif
