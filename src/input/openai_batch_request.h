/* openai_batch_request.h - an OpenAI Batch API request line, read as an input item.
 *
 * A .jsonl manifest line holding {"custom_id", "method", "url", "body"} is one request
 * of an OpenAI batch file (provider-facts.md §6). Reading it is the input's job: this
 * checks the line and hands back its id and body; preparing the body for sending, and
 * writing the batch output line, is provider/openai_batch_lines.h's. */
#ifndef VB_OPENAI_BATCH_REQUEST_H
#define VB_OPENAI_BATCH_REQUEST_H

#include <jansson.h>
#include <stddef.h>

/* Checks a batch request line obj: custom_id a non-empty string, method POST (when
 * given), url /v1/chat/completions (or /chat/completions), body an object. Returns 0
 * with *custom_id and *body (compact JSON) malloc'd for the caller, or -1 with a reason
 * in why (both then NULL). */
int openai_batch_request_parse(const json_t *obj, char **custom_id, char **body, char *why,
                               size_t whylen);

#endif
