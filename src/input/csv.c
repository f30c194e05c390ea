/* csv.c - an RFC 4180 reader over a FILE*, one bounded record at a time. */
#include "input/csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Appends c to the record's byte buffer, growing it up to max bytes. Returns 0, 1 when
 * the record is over max (the byte is dropped), -1 when out of memory. */
static int buf_put(csv_record_t *rec, size_t *len, char c, size_t max)
{
    if (*len >= max)
        return 1;
    if (*len + 1 >= rec->buf_cap) {
        size_t cap = rec->buf_cap ? rec->buf_cap * 2 : 256;
        if (cap > max + 1)
            cap = max + 1;
        char *p = realloc(rec->buf, cap);
        if (!p)
            return -1;
        rec->buf = p;
        rec->buf_cap = cap;
    }
    rec->buf[(*len)++] = c;
    return 0;
}

/* Ends the current field at buf[len] (writes its NUL) and records its start. */
static int field_end(csv_record_t *rec, size_t *len, size_t start, size_t max, size_t **starts,
                     size_t *nstarts, size_t *cap_starts)
{
    int put = buf_put(rec, len, '\0', max + 1);
    if (put)
        return put;
    if (*nstarts == *cap_starts) {
        size_t cap = *cap_starts ? *cap_starts * 2 : 16;
        size_t *p = realloc(*starts, cap * sizeof *p);
        if (!p)
            return -1;
        *starts = p;
        *cap_starts = cap;
    }
    (*starts)[(*nstarts)++] = start;
    return 0;
}

/* Skips to the end of the current physical record (outside quotes: the next LF). */
static void skip_record(FILE *f, bool in_quotes, csv_record_t *rec)
{
    int c;
    while ((c = getc(f)) != EOF) {
        if (c == '"')
            in_quotes = !in_quotes;
        else if (c == '\n') {
            rec->lines++;
            if (!in_quotes)
                return;
        }
    }
}

csv_status_t csv_read_record(FILE *f, csv_record_t *rec, size_t max_bytes)
{
    size_t len = 0, start = 0, nstarts = 0, cap_starts = 0;
    size_t *starts = NULL;
    bool quoted = false;     /* inside a quoted field */
    bool was_quoted = false; /* the current field was quoted and its quote closed */
    bool any = false;
    csv_status_t st = CSV_OK;
    int c, put = 0;
    rec->count = 0;
    rec->lines = 0;
    for (;;) {
        c = getc(f);
        if (c == EOF) {
            if (!any) {
                free(starts);
                return CSV_EOF;
            }
            if (quoted) {
                st = CSV_BAD;
                goto out;
            }
            break;
        }
        any = true;
        if (quoted) {
            if (c == '"') {
                int next = getc(f);
                if (next == '"') {
                    put = buf_put(rec, &len, '"', max_bytes);
                } else {
                    if (next != EOF)
                        ungetc(next, f);
                    quoted = false;
                    was_quoted = true;
                    continue;
                }
            } else {
                if (c == '\n')
                    rec->lines++;
                put = buf_put(rec, &len, (char)c, max_bytes);
            }
        } else if (c == (rec->delimiter ? rec->delimiter : ',')) {
            put = field_end(rec, &len, start, max_bytes, &starts, &nstarts, &cap_starts);
            start = len;
            was_quoted = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r') {
                int next = getc(f);
                if (next != '\n' && next != EOF)
                    ungetc(next, f);
            }
            rec->lines++;
            break;
        } else if (c == '"') {
            if (len != start || was_quoted) { /* a quote inside an unquoted field */
                st = CSV_BAD;
                skip_record(f, false, rec);
                goto out;
            }
            quoted = true;
        } else if (was_quoted) { /* text after the closing quote */
            st = CSV_BAD;
            skip_record(f, false, rec);
            goto out;
        } else {
            put = buf_put(rec, &len, (char)c, max_bytes);
        }
        if (put < 0) {
            st = CSV_NOMEM;
            goto out;
        }
        if (put > 0) {
            st = CSV_TOO_LONG;
            skip_record(f, quoted, rec);
            goto out;
        }
    }
    put = field_end(rec, &len, start, max_bytes, &starts, &nstarts, &cap_starts);
    if (put) {
        st = put < 0 ? CSV_NOMEM : CSV_TOO_LONG;
        goto out;
    }
    if (nstarts > rec->cap) {
        char **p = realloc(rec->fields, nstarts * sizeof *p);
        if (!p) {
            st = CSV_NOMEM;
            goto out;
        }
        rec->fields = p;
        rec->cap = nstarts;
    }
    for (size_t i = 0; i < nstarts; i++)
        rec->fields[i] = rec->buf + starts[i];
    rec->count = nstarts;
out:
    free(starts);
    return st;
}

char csv_detect_delimiter(const char *line, size_t len)
{
    static const char candidates[] = {',', ';', '\t'}; /* in the order ties are won */
    size_t counts[3] = {0, 0, 0};
    bool quoted = false;
    for (size_t i = 0; i < len && (quoted || (line[i] != '\n' && line[i] != '\r')); i++) {
        if (line[i] == '"')
            quoted = !quoted; /* "" inside quotes toggles twice: no change */
        else if (!quoted)
            for (size_t k = 0; k < sizeof candidates; k++)
                counts[k] += line[i] == candidates[k];
    }
    size_t best = 0;
    for (size_t k = 1; k < sizeof candidates; k++)
        if (counts[k] > counts[best])
            best = k;
    return candidates[best];
}

char csv_parse_delimiter(const char *text)
{
    if (!text)
        return 0;
    if (strcmp(text, ",") == 0 || strcmp(text, ";") == 0 || strcmp(text, "\t") == 0)
        return text[0];
    if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0)
        return '\t';
    return 0;
}

void csv_record_free(csv_record_t *rec)
{
    if (!rec)
        return;
    free(rec->fields);
    free(rec->buf);
    memset(rec, 0, sizeof *rec);
}
