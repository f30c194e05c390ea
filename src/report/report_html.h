/* report_html.h - `visionbatch report` as one self-contained HTML file: inline CSS, the
 * data as inline JSON, and inline JavaScript drawing SVG charts. Nothing is fetched: no
 * external asset, font or network. Every string from the journal (ids, paths, errors,
 * the prompt) is escaped. */
#ifndef VB_REPORT_HTML_H
#define VB_REPORT_HTML_H

#include "report/report_data.h"

#include <stdio.h>

/* Writes r as HTML to out; title names the journal. Returns 0, or -1 when writing
 * failed. */
int report_write_html(FILE *out, const report_t *r, const char *title);

/* Writes s with &, <, >, " and ' escaped (NULL writes nothing). */
void report_html_escape(FILE *out, const char *s);

#endif
