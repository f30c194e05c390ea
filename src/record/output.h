/* output.h - the JSONL result line of an image (vb_result_t.line): one object per image,
 * one line each in the results file (which the program writes: see src/cli/results_file.h).
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

/* Formats a result as its output line (compact JSON, no newline). Returns a malloc'd
 * string the caller frees, or NULL when out of memory. */
char *output_format(const vb_result_t *r);

/* Rewrites another item's output line (from the result cache or the first of a set of
 * copies) as this item's: its id, image and meta, no attempts, no latency, no cost,
 * "cached" as given, and "duplicate_of" when not NULL; a copy's usage is 0 tokens like
 * its cost, so the output's tokens add up to what was billed. Returns a malloc'd line,
 * or NULL when line is not a JSON object (or, with require_ok, not an "ok" result). */
/* A line of a copy ("duplicate_of") journaled before copies reported usage 0, with its
 * usage set to 0 tokens (malloc'd); NULL when line is no copy or already says 0 (use it
 * as it is) or out of memory. */
char *output_line_unbilled_copy(const char *line);

char *output_line_for(const char *line, const char *id, const char *image,
                      const char *meta_json, int cached, const char *duplicate_of,
                      int require_ok);

/* The "kind" and "message" of a results line's "error" object, each malloc'd (the caller
 * frees them), or NULL when the line has none or is not JSON. */
void output_line_error(const char *line, char **kind, char **message);

#endif
