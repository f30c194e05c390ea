/* summary.h - the end-of-run summary: for people on stderr, for machines as JSON
 * (--stats-json). Both say the same things. */
#ifndef VB_SUMMARY_H
#define VB_SUMMARY_H

#include <visionbatch.h>

#include <stdio.h>

/* Summary lines are at most SUMMARY_WIDTH columns (an 80-column terminal never wraps
 * them); a longer one goes on, indented under its value (SUMMARY_INDENT). */
#define SUMMARY_WIDTH 79
#define SUMMARY_INDENT 15

/* Prints the summary of a run as a short aligned block. */
void summary_print(FILE *out, const vb_summary_t *s);

/* Prints text (lines ended by newlines) with each line longer than SUMMARY_WIDTH folded
 * after its last ", " or "; " (else its last space) that fits, the rest indented SUMMARY_INDENT
 * columns: the summary's own lines and those a caller adds under it. */
void summary_print_folded(FILE *out, const char *text);

/* Writes the summary as one JSON object to path (replaced atomically: written to
 * PATH.tmp, then renamed). Returns 0, or -1 with a reason in err. */
int summary_write_json(const char *path, const vb_summary_t *s, char *err, size_t errlen);

#endif
