/* gemini.h - Gemini generateContent (the Gemini API, generativelanguage.googleapis.com):
 * the provider_gemini table (provider.h) and the pieces of it tests and fuzz targets call
 * directly.
 *
 * POST {base}/v1beta/models/{model}:generateContent with "x-goog-api-key: KEY" (never a
 * key in the URL). A body is one user content whose parts are the image(s) as inlineData
 * (or fileData for an http(s) URL), then the text; generationConfig carries
 * maxOutputTokens, the structured-answer fields (responseMimeType, responseSchema) and,
 * for Gemini 3 models, mediaResolution. The template's image place is the whole image
 * part object, so a group body reuses each member's part as it is. */
#ifndef VB_GEMINI_H
#define VB_GEMINI_H

#include "provider/provider.h"

#include <jansson.h>
#include <stddef.h>

/* Parses a google.protobuf.Duration as JSON writes it ("19s", "0.5s", "1.250s": decimal
 * seconds and an 's') into *seconds. Returns 0, or -1 when s is not one (NULL included). */
int gemini_duration_parse(const char *s, double *seconds);

/* Converts a JSON Schema into Gemini's responseSchema (an OpenAPI 3.0 subset: type
 * names in capitals, nullable instead of a "null" type, propertyOrdering). Returns a new
 * reference, or NULL with the JSON path and the rule in why when the schema uses what
 * Gemini cannot take ($ref, oneOf, additionalProperties other than false, ...). */
json_t *gemini_schema_convert(const json_t *schema, char *why, size_t whylen);

#endif
