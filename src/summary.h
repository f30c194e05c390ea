/* summary.h - the end-of-run summary people read on stderr. */
#ifndef VB_SUMMARY_H
#define VB_SUMMARY_H

#include <visionbatch.h>

#include <stdio.h>

/* Prints the summary of a run as a short aligned block. */
void summary_print(FILE *out, const vb_summary_t *s);

#endif
