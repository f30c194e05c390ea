/* test_csv_header.c - a .csv manifest's header: which delimiter it uses, which column
 * feeds which field, and the columns a usage error lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/csv_header.h"

#include <stdio.h>
#include <string.h>

static char detect(const char *line)
{
    return csv_detect_delimiter(line, strlen(line));
}

static void test_detects_the_delimiter_splitting_most(void **state)
{
    (void)state;
    assert_int_equal(detect("image,id,title\n"), ',');
    assert_int_equal(detect("sku;url;title\r\n1;a.jpg;x\n"), ';');
    assert_int_equal(detect("sku\turl\ttitle\n"), '\t');
    assert_int_equal(detect("image\n"), ','); /* one column */
    assert_int_equal(detect(""), ',');
    assert_int_equal(detect("a,b;c\n"), ',');         /* a tie goes to the comma */
    assert_int_equal(detect("a;b\tc\n"), ';');        /* ... then to ';' */
    assert_int_equal(detect("\"a,b,c\";d;e\n"), ';'); /* commas inside quotes do not count */
    assert_int_equal(detect("\"x\"\",\"\"y\";z\n"), ';');
    assert_int_equal(detect("a;b\nc,d,e,f,g\n"), ';');       /* only the first line counts */
    assert_int_equal(detect("\"a\nb,c,d\";e;f;g;h\n"), ';'); /* a quoted line break */
}

static void test_parses_delimiter_settings(void **state)
{
    (void)state;
    assert_int_equal(csv_parse_delimiter(","), ',');
    assert_int_equal(csv_parse_delimiter(";"), ';');
    assert_int_equal(csv_parse_delimiter("tab"), '\t');
    assert_int_equal(csv_parse_delimiter("\\t"), '\t');
    assert_int_equal(csv_parse_delimiter("\t"), '\t');
    assert_int_equal(csv_parse_delimiter("|"), 0);
    assert_int_equal(csv_parse_delimiter(",,"), 0);
    assert_int_equal(csv_parse_delimiter(""), 0);
    assert_int_equal(csv_parse_delimiter(NULL), 0);
}

/* Reads text's header with the settings; returns the status, the fields in *fields. */
static csv_header_status_t read_header(const char *text, char delimiter, const char *image,
                                       const char *id, json_t **fields, char *err, size_t errlen)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    csv_record_t rec = {0};
    csv_columns_t cols = {image, id};
    long lines = -1;
    csv_header_status_t st = csv_header_read(f, &rec, 1024, delimiter, &cols, "products.csv",
                                             fields, &lines, err, errlen);
    if (st != CSV_HEADER_BROKEN)
        assert_int_equal(lines, 1);
    csv_record_free(&rec);
    fclose(f);
    return st;
}

static void expect_fields(json_t *fields, size_t n, const char *const *want)
{
    assert_int_equal(json_array_size(fields), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(fields, i)), want[i]);
    json_decref(fields);
}

static void test_maps_columns_to_fields(void **state)
{
    (void)state;
    char err[512];
    json_t *fields;
    assert_int_equal(
        read_header("\xEF\xBB\xBFimage,id,title\n", 0, NULL, NULL, &fields, err, sizeof err),
        CSV_HEADER_OK);
    expect_fields(fields, 3, (const char *[]){"image", "id", "title"});

    assert_int_equal(
        read_header("sku;url;title\n1;a.jpg;x\n", 0, "url", "sku", &fields, err, sizeof err),
        CSV_HEADER_OK);
    expect_fields(fields, 3, (const char *[]){"id", "image", "title"});

    /* a given delimiter wins over detection */
    assert_int_equal(read_header("url\tti;tle\n", '\t', "url", NULL, &fields, err, sizeof err),
                     CSV_HEADER_OK);
    expect_fields(fields, 2, (const char *[]){"image", "ti;tle"});
}

static void test_columns_that_do_not_fit_are_a_mismatch(void **state)
{
    (void)state;
    char err[512];
    json_t *fields;
    assert_int_equal(read_header("sku,url,title\n", 0, NULL, NULL, &fields, err, sizeof err),
                     CSV_HEADER_MISMATCH);
    assert_null(fields);
    assert_string_equal(err, "products.csv has no image column (columns: sku, url, title); "
                             "name it with --image-column NAME");

    assert_int_equal(read_header("sku;url;title\n", 0, NULL, NULL, &fields, err, sizeof err),
                     CSV_HEADER_MISMATCH);
    assert_non_null(strstr(err, "(columns: sku, url, title)"));

    assert_int_equal(read_header("sku,url\n", 0, "photo", NULL, &fields, err, sizeof err),
                     CSV_HEADER_MISMATCH);
    assert_string_equal(err, "products.csv has no column photo for --image-column (columns: "
                             "sku, url)");

    assert_int_equal(read_header("image,url\n", 0, NULL, "sku", &fields, err, sizeof err),
                     CSV_HEADER_MISMATCH);
    assert_non_null(strstr(err, "no column sku for --id-column"));

    /* a column named image besides the one mapped to the image */
    assert_int_equal(read_header("image,url\n", 0, "url", NULL, &fields, err, sizeof err),
                     CSV_HEADER_MISMATCH);
    assert_non_null(strstr(err, "columns image and url would both be the image"));
}

static void test_unreadable_headers_are_broken(void **state)
{
    (void)state;
    char err[512];
    json_t *fields;
    assert_int_equal(read_header("", 0, NULL, NULL, &fields, err, sizeof err), CSV_HEADER_BROKEN);
    assert_non_null(strstr(err, "a header row is needed"));
    assert_int_equal(read_header("image,,id\n", 0, NULL, NULL, &fields, err, sizeof err),
                     CSV_HEADER_BROKEN);
    assert_non_null(strstr(err, "column 2"));
    assert_int_equal(read_header("image,image\n", 0, NULL, NULL, &fields, err, sizeof err),
                     CSV_HEADER_BROKEN);
    assert_int_equal(read_header("ima\"ge,id\n", 0, NULL, NULL, &fields, err, sizeof err),
                     CSV_HEADER_BROKEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detects_the_delimiter_splitting_most),
        cmocka_unit_test(test_parses_delimiter_settings),
        cmocka_unit_test(test_maps_columns_to_fields),
        cmocka_unit_test(test_columns_that_do_not_fit_are_a_mismatch),
        cmocka_unit_test(test_unreadable_headers_are_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
