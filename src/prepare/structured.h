/* structured.h - structured answers: the option a job sends (--json, --schema FILE) and
 * the check an answer must pass before it counts as a result.
 *
 * The provider turns the wish into its body's option (provider_t.structured_option: for
 * OpenAI, response_format json_object, or json_schema named after the file, strict), and
 * refuses a schema it would refuse. The file is a JSON Schema, or a wrapper object
 * {"name","schema",...} (the shape OpenAI's json_schema takes) whose name and schema are
 * then used. An answer passes when it parses as JSON, has the schema's top-level type (an
 * object for --json) and, for an object, every key of the schema's top-level "required". */
#ifndef VB_STRUCTURED_H
#define VB_STRUCTURED_H

#include "provider/provider.h"

#include <jansson.h>
#include <stddef.h>

/* Largest schema file read. */
#define STRUCTURED_MAX_SCHEMA_BYTES (1024 * 1024)

typedef enum {
    STRUCTURED_NONE = 0, /* plain text answers */
    STRUCTURED_OBJECT,   /* --json */
    STRUCTURED_SCHEMA,   /* --schema FILE */
} structured_mode_t;

typedef struct structured {
    structured_mode_t mode;
    char *response_format; /* the provider's option (body_settings_t); NULL: none */
    json_t *schema;        /* STRUCTURED_SCHEMA: the schema (owned reference) */
} structured_t;

/* Sets s up from the options for provider p: schema_path (may be NULL) wins over
 * json_object. Reads and parses the file. Returns 0, or -1 with a reason in err (s is
 * then empty). */
int structured_init(structured_t *s, const provider_t *p, int json_object,
                    const char *schema_path, char *err, size_t errlen);

/* structured_init's work on a schema's text; name is the file name it came from (its
 * base name without extension, cut to 64 letters, digits, '_' and '-', names the
 * schema). For tests and callers that hold the text. */
int structured_init_text(structured_t *s, const provider_t *p, const char *schema_text,
                         const char *name, char *err, size_t errlen);

/* Frees what s owns and zeroes it. NULL is a no-op. */
void structured_clear(structured_t *s);

/* What --json adds to a prompt that does not say "json": OpenAI refuses a json_object
 * request whose messages do not (provider-facts.md §1). */
#define STRUCTURED_JSON_HINT "\n\nAnswer with a JSON object."

/* True when text says "json" in any case (NULL: false). */
int structured_mentions_json(const char *text);

/* The prompt to send for prompt under s: prompt + STRUCTURED_JSON_HINT in json_object
 * mode when prompt does not say "json" (any case). Returns 1 with a malloc'd *out, 0
 * when prompt goes as it is (*out NULL), -1 when out of memory. */
int structured_prompt(const structured_t *s, const char *prompt, char **out);

/* Checks an answer text against the mode (schema may be NULL: an object is wanted).
 * Returns 0 with *data set to the parsed value (a new reference the caller releases
 * with json_decref), or -1 with a one-line reason in why and *data NULL. */
int structured_check(const json_t *schema, const char *text, json_t **data, char *why,
                     size_t whylen);

#endif
