/* prompt_fill.h - a prompt template filled per item from its manifest fields.
 *
 * A placeholder is {name}: a name of letters, digits, '_', '-', '.' and inner spaces
 * (a CSV header such as "Product Title"). {{ and }} stand for a literal { and }. Any other
 * brace is text, so a prompt that quotes JSON ({"color": "..."}) needs no escaping. A
 * prompt without a placeholder is not a template and is sent exactly as written. */
#ifndef VB_PROMPT_FILL_H
#define VB_PROMPT_FILL_H

#include <jansson.h>
#include <stddef.h>

/* True when text holds at least one {name} placeholder (outside {{ }} escapes). */
int prompt_is_template(const char *text);

/* Fills the template text from fields (a JSON object; NULL is an empty one). A string
 * value goes in as it is; a number, boolean, array or object as its compact JSON text.
 * Returns a malloc'd string (the caller frees it), or NULL with a reason naming the
 * field in why: a field missing or null, or out of memory. */
char *prompt_fill(const char *text, const json_t *fields, char *why, size_t whylen);

#endif
