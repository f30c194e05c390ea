/* openai_batch_lines.h - OpenAI Batch API files (provider-facts.md §6), run at real-time speed.
 *
 * Input: a .jsonl line {"custom_id","method","url","body"} is one request. Its body is
 * sent as it is, except that an image_url whose url is a local path (not http(s), not
 * data:) is read, checked like any input image and inlined as a data URL; the model is
 * the body's. custom_id is the item's id. The line itself is checked when it is read, by
 * input/openai_batch_request.h.
 *
 * Output (--output-format openai-batch): one line per item in OpenAI's batch output
 * format, {"id","custom_id","response":{"status_code","request_id","body"},"error"}; an
 * item that got no HTTP answer has "response":null and "error":{"code","message"}. */
#ifndef VB_OPENAI_BATCH_LINES_H
#define VB_OPENAI_BATCH_LINES_H

#include "prepare/request.h"

#include <jansson.h>
#include <stddef.h>
#include <visionbatch.h>

/* Prepares the request of a batch line item (r->item.batch_body set): inlines its local
 * images (read from r->item.batch_dir, at most max_image_bytes each, through the
 * caller's scratch buffer), sets r->body, r->model (the body's "model"), the token
 * estimate and worst-case prompt tokens, and the content hash and size of the first
 * local image. On failure sets r->error_kind and r->error_message and leaves r->body
 * NULL. */
void openai_batch_prepare(request_t *r, size_t max_image_bytes, unsigned char **scratch,
                   size_t *scratch_cap);

/* The output line of res in OpenAI's batch output format (compact, no newline).
 * Returns a malloc'd string the caller frees, or NULL when out of memory. */
char *openai_batch_output_line(const vb_result_t *res);

#endif
