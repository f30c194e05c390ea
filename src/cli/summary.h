/* summary.h - the end-of-run summary: for people on stderr, for machines as JSON
 * (--stats-json). Both say the same things. */
#ifndef VB_SUMMARY_H
#define VB_SUMMARY_H

#include <visionbatch.h>

#include <stdio.h>

/* Prints the summary of a run as a short aligned block. */
void summary_print(FILE *out, const vb_summary_t *s);

/* Writes the summary as one JSON object to path (replaced atomically: written to
 * PATH.tmp, then renamed). Returns 0, or -1 with a reason in err. */
int summary_write_json(const char *path, const vb_summary_t *s, char *err, size_t errlen);

#endif
