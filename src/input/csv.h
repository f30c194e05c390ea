/* csv.h - RFC 4180 records read one at a time from a stream.
 *
 * Fields are separated by commas (or the record's delimiter: ';' and tab are common in
 * spreadsheet exports) and records by CRLF or LF. A field may be quoted with double
 * quotes; inside quotes, delimiters and line breaks are data and "" is one quote.
 * A record is read whole before it is split, and never more than max_bytes of it: memory
 * stays bounded whatever the file holds. */
#ifndef VB_CSV_H
#define VB_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct csv_record {
    char **fields; /* count fields, each NUL-terminated; owned by the record */
    size_t count;
    size_t cap;
    char *buf; /* the record's bytes, fields point into it */
    size_t buf_cap;
    long lines; /* physical lines the record took (a quoted field may span several) */
    char delimiter; /* what separates fields, set by the caller; 0 is ',' */
} csv_record_t;

typedef enum {
    CSV_EOF = 0,       /* no record left */
    CSV_OK = 1,        /* *rec holds the next record */
    CSV_TOO_LONG = -1, /* the record passed max_bytes: it was skipped to its end */
    CSV_BAD = -2,      /* a quote in the middle of an unquoted field, text after a closing
                          quote, or a quote never closed */
    CSV_NOMEM = -3,
} csv_status_t;

/* Reads the next record from f into rec (reusing its buffers). Blank lines are records
 * with one empty field. On CSV_BAD and CSV_TOO_LONG the rest of the record is consumed,
 * so the next call reads the next record (an unclosed quote consumes the file). */
csv_status_t csv_read_record(FILE *f, csv_record_t *rec, size_t max_bytes);

/* Which of ',', ';' and tab splits a header line (len bytes; a line break ends it)
 * into the most fields, counting only delimiters outside double quotes; a tie goes to
 * ',' (then ';'). A one-column header gives ','. */
char csv_detect_delimiter(const char *line, size_t len);

/* The delimiter a setting names: "," ";" "tab", "\t" (backslash, t) or a tab character.
 * Returns it, or 0 when the text names none of them. */
char csv_parse_delimiter(const char *text);

/* Frees what the record owns and zeroes it. NULL is a no-op. */
void csv_record_free(csv_record_t *rec);

#endif
