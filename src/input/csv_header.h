/* csv_header.h - a .csv manifest's header row: its delimiter, and which column feeds
 * which manifest field.
 *
 * A manifest's columns are the fields of a .jsonl line ("image", "id", "prompt", the rest
 * meta), but spreadsheets name them otherwise ("url", "sku") and separate them with ';'
 * or tabs. The header is read the same way when an input is added (so a file without an
 * image column is a usage error before anything is sent) and when its rows are read. */
#ifndef VB_CSV_HEADER_H
#define VB_CSV_HEADER_H

#include "input/csv.h"

#include <jansson.h>
#include <stdio.h>

/* Which columns hold the image and the id; NULL: the columns named "image" and "id". */
typedef struct csv_columns {
    const char *image;
    const char *id;
} csv_columns_t;

typedef enum {
    CSV_HEADER_OK = 0,
    CSV_HEADER_BROKEN,   /* the header cannot be read (empty file, bad quoting, an empty or
                            repeated name): the rows cannot be read either */
    CSV_HEADER_MISMATCH, /* read, but the columns do not fit cols (no image column, say):
                            a usage error naming the columns there are */
} csv_header_status_t;

/* Reads the header row of the manifest f (positioned at its start) named name: sets
 * rec->delimiter (delimiter, or when 0 the one the first line holds most of:
 * csv_detect_delimiter), reads the header record (at most max_bytes) into rec, and maps each column
 * to the field it feeds: the image column to "image", the id column to "id", any other column to
 * its own name (a leading byte-order mark dropped). *lines gets the physical lines the header took.
 * On CSV_HEADER_OK *fields is a new JSON array of the field names, one per column, owned by the
 * caller; otherwise *fields is NULL and err holds one line naming the file. */
csv_header_status_t csv_header_read(FILE *f, csv_record_t *rec, size_t max_bytes, char delimiter,
                                    const csv_columns_t *cols, const char *name, json_t **fields,
                                    long *lines, char *err, size_t errlen);

#endif
