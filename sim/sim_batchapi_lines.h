/* sim_batchapi_lines.h - the requests inside a batch's input: splitting a JSONL file into
 * lines, reading request i back (its custom id and its online body), and the call that
 * makes a line answerable by the online endpoint's own code (sim_protocol.h).
 *
 * A line's "online body" is what POST /v1/chat/completions, /v1/messages or
 * :generateContent would take: OpenAI's line "body", Gemini's line "request", Anthropic's
 * request "params", as compact JSON text. */
#ifndef VB_SIM_BATCHAPI_LINES_H
#define VB_SIM_BATCHAPI_LINES_H

#include <stddef.h>

#include "sim_batchapi.h"

#define SIM_BLINES_PATH_MAX 192

/* Splits data[0..len) into its non-empty lines (ending in "\n", "\r\n" or the end of the
 * data). Sets *off to a malloc'd array of where each starts (NULL when there is none)
 * and *n to their number. Returns 0, or -1 when out of memory. */
int sim_blines_split(const char *data, size_t len, size_t **off, size_t *n);

/* Line i (< b->total) of b's JSONL input, without its line end. */
void sim_blines_span(const sim_batch_t *b, size_t i, const char **line, size_t *len);

/* Reads request i of b: *cid gets its custom id (OpenAI custom_id, Gemini key, Anthropic
 * custom_id; "" when it has none) and *body its online body as compact JSON (NULL, with
 * a reason in why, when the line is not JSON or has no body object). Both malloc'd;
 * the caller frees. Returns 0, or -1 when out of memory. */
int sim_blines_get(const sim_batch_t *b, size_t i, char **cid, char **body, size_t *body_len,
                   char *why, size_t whylen);

/* Fills *call as a call of proto's online endpoint carrying body[0..len) (Gemini: for
 * model, whose path is written into path_buf): the headers a batch line implies
 * (Anthropic's anthropic-version and content-type) and nothing else. id numbers the
 * answer. */
void sim_blines_online_call(sim_call_t *call, sim_proto_id_t proto, const char *model,
                            const char *body, size_t len, unsigned long id, char *path_buf,
                            size_t path_cap);

/* The prompt tokens proto's online endpoint would bill body[0..len) for (model: the
 * batch's, for Gemini), measuring images from their headers only; 0 when it would refuse
 * the body. What --batch-enqueued-tokens weighs a line by. */
unsigned long sim_blines_estimate(const sim_config_t *cfg, sim_proto_id_t proto, const char *model,
                                  const char *body, size_t len);

#endif
