/* csv_header.c - a .csv manifest's header row: delimiter detection and column mapping. */
#include "input/csv_header.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the first line looked at to detect the delimiter: a header is a few names. */
#define DETECT_BYTES 65536

/* The delimiter f's first line holds most of; f is put back at its start. */
static char detect_in_file(FILE *f)
{
    char *buf = malloc(DETECT_BYTES);
    char delimiter = ',';
    if (buf) {
        size_t n = fread(buf, 1, DETECT_BYTES, f);
        delimiter = csv_detect_delimiter(buf, n);
        free(buf);
    }
    rewind(f);
    return delimiter;
}

/* The name of column i as written, without the byte-order mark spreadsheets put first. */
static const char *column_name(const csv_record_t *rec, size_t i)
{
    const char *col = rec->fields[i];
    if (i == 0 && strncmp(col, "\xEF\xBB\xBF", 3) == 0)
        col += 3;
    return col;
}

/* Writes the header's column names into out as "a, b, c" (cut short with "..." when
 * they do not fit). */
static void list_columns(const csv_record_t *rec, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < rec->count; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", column_name(rec, i));
        if (n < 0 || (size_t)n >= outlen - used) {
            if (outlen >= 4)
                memcpy(out + outlen - 4, "...", 4);
            return;
        }
        used += (size_t)n;
    }
}

/* Checks that the mapped fields are there and that no two columns feed the same field
 * (a column named "image" besides the one --image-column names). */
static csv_header_status_t check_mapping(const csv_record_t *rec, const json_t *fields,
                                         const csv_columns_t *cols, const char *name, char *err,
                                         size_t errlen)
{
    char columns[300];
    bool image = false, id = false;
    for (size_t i = 0; i < rec->count; i++) {
        const char *field = json_string_value(json_array_get(fields, i));
        image = image || strcmp(field, "image") == 0;
        id = id || strcmp(field, "id") == 0;
    }
    list_columns(rec, columns, sizeof columns);
    if (!image && !cols->image) {
        snprintf(err, errlen,
                 "%s has no image column (columns: %s); name it with --image-column NAME", name,
                 columns);
        return CSV_HEADER_MISMATCH;
    }
    if (!image || (!id && cols->id)) {
        bool which = !image;
        snprintf(err, errlen, "%s has no column %s for --%s-column (columns: %s)", name,
                 which ? cols->image : cols->id, which ? "image" : "id", columns);
        return CSV_HEADER_MISMATCH;
    }
    for (size_t i = 0; i < rec->count; i++) {
        for (size_t j = i + 1; j < rec->count; j++) {
            const char *field = json_string_value(json_array_get(fields, i));
            if (strcmp(field, json_string_value(json_array_get(fields, j))) != 0)
                continue;
            snprintf(err, errlen,
                     "%s: columns %s and %s would both be the %s: rename one, or name "
                     "another with --%s-column",
                     name, column_name(rec, i), column_name(rec, j), field, field);
            return CSV_HEADER_MISMATCH;
        }
    }
    return CSV_HEADER_OK;
}

csv_header_status_t csv_header_read(FILE *f, csv_record_t *rec, size_t max_bytes, char delimiter,
                                    const csv_columns_t *cols, const char *name, json_t **fields,
                                    long *lines, char *err, size_t errlen)
{
    static const csv_columns_t defaults = {NULL, NULL};
    if (!cols)
        cols = &defaults;
    *fields = NULL;
    rec->delimiter = delimiter ? delimiter : detect_in_file(f);
    csv_status_t st = csv_read_record(f, rec, max_bytes);
    *lines = rec->lines;
    if (st != CSV_OK) {
        snprintf(err, errlen, "%s: %s", name,
                 st == CSV_EOF ? "empty CSV file: a header row is needed"
                               : "the CSV header row cannot be read");
        return CSV_HEADER_BROKEN;
    }
    const char *image = cols->image ? cols->image : "image";
    const char *id = cols->id ? cols->id : "id";
    json_t *names = json_array();
    for (size_t i = 0; names && i < rec->count; i++) {
        const char *col = column_name(rec, i);
        bool repeated = false;
        for (size_t j = 0; j < i; j++)
            repeated = repeated || strcmp(col, column_name(rec, j)) == 0;
        const char *field = strcmp(col, image) == 0 ? "image" : strcmp(col, id) == 0 ? "id" : col;
        if (!col[0] || repeated || json_array_append_new(names, json_string(field)) != 0) {
            json_decref(names);
            snprintf(err, errlen, "%s: CSV column %zu has an empty, repeated or non-UTF-8 name",
                     name, i + 1);
            return CSV_HEADER_BROKEN;
        }
    }
    if (!names) {
        snprintf(err, errlen, "out of memory");
        return CSV_HEADER_BROKEN;
    }
    csv_header_status_t hs = check_mapping(rec, names, cols, name, err, errlen);
    if (hs != CSV_HEADER_OK) {
        json_decref(names);
        return hs;
    }
    *fields = names;
    return CSV_HEADER_OK;
}
