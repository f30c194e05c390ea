/* output.h - the JSONL results file: one object per image per line, flushed as each
 * result arrives, so a crash loses no finished line.
 *
 * A line: {"id","image","status":"ok"|"error","response","model","usage":{prompt_tokens,
 * completion_tokens,total_tokens}|null,"latency_ms","attempts","error":null|{kind,
 * http_status,message},"content_hash","cost_usd","cached","meta"}; status is "ok",
 * "error" or "skipped". Text that is not valid UTF-8 (a file name
 * in another encoding) has its bad bytes replaced by U+FFFD so every line is valid JSON. */
#ifndef VB_OUTPUT_H
#define VB_OUTPUT_H

#include <visionbatch.h>

#include <stddef.h>
#include <stdio.h>

typedef struct output output_t;

/* Formats a result as its output line (compact JSON, no newline). Returns a malloc'd
 * string the caller frees, or NULL when out of memory. */
char *output_format(const vb_result_t *r);

/* Rewrites another item's output line (from the result cache or the first of a set of
 * copies) as this item's: its id, image and meta, no attempts, no latency, no cost,
 * "cached" as given, and "duplicate_of" when not NULL. Returns a malloc'd line, or NULL
 * when line is not a JSON object (or, with require_ok, not an "ok" result). */
char *output_line_for(const char *line, const char *id, const char *image,
                      const char *meta_json, int cached, const char *duplicate_of,
                      int require_ok);

/* Opens (truncating) path for results; NULL or "-" means standard output. Returns NULL
 * with a reason in err. */
/* The "kind" and "message" of a results line's "error" object, each malloc'd (the caller
 * frees them), or NULL when the line has none or is not JSON. */
void output_line_error(const char *line, char **kind, char **message);

output_t *output_open(const char *path, char *err, size_t errlen);

/* The stream behind out (for writing a journal's lines straight into it). */
FILE *output_stream(output_t *out);

/* Writes one line (a newline is added) and flushes it. Returns 0, or -1 on a write
 * error. */
int output_write_line(output_t *out, const char *line);

/* Flushes and closes (standard output is flushed, not closed). Returns 0, or -1 with a
 * reason in err when anything written was lost. NULL is a no-op returning 0. */
int output_close(output_t *out, char *err, size_t errlen);

#endif
