/* test_csv.c - the RFC 4180 reader: quoting, embedded line breaks, CRLF, bad quoting and
 * the record size cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/csv.h"

#include <stdio.h>
#include <string.h>

/* A stream over text (fmemopen, read-only). */
static FILE *stream(const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    return f;
}

static void expect_record(FILE *f, csv_record_t *rec, size_t n, const char *const *fields)
{
    assert_int_equal(csv_read_record(f, rec, 1024), CSV_OK);
    assert_int_equal(rec->count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rec->fields[i], fields[i]);
}

static void test_plain_and_quoted_fields(void **state)
{
    (void)state;
    FILE *f = stream("image,id,title\r\n"
                     "a.jpg,1,\"Red \"\"runner\"\", size 9\"\r\n"
                     "b.jpg,,\"two\nlines\"\n"
                     "c.jpg,3,\"\"\n"
                     "\n"
                     "last,row,no newline");
    csv_record_t rec = {0};
    expect_record(f, &rec, 3, (const char *[]){"image", "id", "title"});
    expect_record(f, &rec, 3, (const char *[]){"a.jpg", "1", "Red \"runner\", size 9"});
    expect_record(f, &rec, 3, (const char *[]){"b.jpg", "", "two\nlines"});
    assert_int_equal(rec.lines, 2); /* the quoted line break is data */
    expect_record(f, &rec, 3, (const char *[]){"c.jpg", "3", ""});
    expect_record(f, &rec, 1, (const char *[]){""}); /* a blank line */
    expect_record(f, &rec, 3, (const char *[]){"last", "row", "no newline"});
    assert_int_equal(csv_read_record(f, &rec, 1024), CSV_EOF);
    csv_record_free(&rec);
    fclose(f);
}

static void test_bad_quoting_skips_to_next_record(void **state)
{
    (void)state;
    FILE *f = stream("ab\"c,d\n"  /* a quote inside an unquoted field */
                     "\"x\"y,z\n" /* text after a closing quote */
                     "ok,1\n"
                     "\"never closed,2\n"); /* consumes the rest */
    csv_record_t rec = {0};
    assert_int_equal(csv_read_record(f, &rec, 1024), CSV_BAD);
    assert_int_equal(csv_read_record(f, &rec, 1024), CSV_BAD);
    expect_record(f, &rec, 2, (const char *[]){"ok", "1"});
    assert_int_equal(csv_read_record(f, &rec, 1024), CSV_BAD);
    assert_int_equal(csv_read_record(f, &rec, 1024), CSV_EOF);
    csv_record_free(&rec);
    fclose(f);
}

static void test_record_cap(void **state)
{
    (void)state;
    char text[4096];
    memset(text, 'x', 3000);
    snprintf(text + 3000, sizeof text - 3000, ",\"%s\"\nnext,1\n", "y\nz");
    FILE *f = stream(text);
    csv_record_t rec = {0};
    assert_int_equal(csv_read_record(f, &rec, 1000), CSV_TOO_LONG);
    assert_true(rec.buf_cap <= 1001); /* never grown past the cap */
    expect_record(f, &rec, 2, (const char *[]){"next", "1"});
    csv_record_free(&rec);
    csv_record_free(NULL);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_quoted_fields),
        cmocka_unit_test(test_bad_quoting_skips_to_next_record),
        cmocka_unit_test(test_record_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
