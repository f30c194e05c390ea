/* csv.h - RFC 4180 records read one at a time from a stream.
 *
 * Fields are separated by commas and records by CRLF or LF. A field may be quoted with
 * double quotes; inside quotes, commas and line breaks are data and "" is one quote.
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

/* Frees what the record owns and zeroes it. NULL is a no-op. */
void csv_record_free(csv_record_t *rec);

#endif
