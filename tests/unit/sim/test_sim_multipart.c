/* test_sim_multipart.c - finding a field of a multipart/form-data body as curl and the
 * OpenAI SDKs send it: each test fails if a field were missed, cut or taken from the
 * wrong part (a boundary-like line inside a file must not end it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_multipart.h"

#include <string.h>

static const char ctype[] = "multipart/form-data; boundary=------------------------abc123";
static const char body[] =
    "--------------------------abc123\r\n"
    "Content-Disposition: form-data; name=\"purpose\"\r\n"
    "\r\n"
    "batch\r\n"
    "--------------------------abc123\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"in.jsonl\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "{\"a\":1}\n--------------------------abc12\n{\"b\":2}\n\r\n"
    "--------------------------abc123--\r\n";

static void test_fields(void **state)
{
    (void)state;
    const char *v;
    size_t n;
    char filename[64], why[128];
    assert_int_equal(sim_multipart_field(ctype, body, sizeof body - 1, "purpose", &v, &n, filename,
                                         sizeof filename, why, sizeof why),
                     0);
    assert_int_equal(n, 5);
    assert_memory_equal(v, "batch", 5);
    assert_string_equal(filename, "");
    assert_int_equal(sim_multipart_field(ctype, body, sizeof body - 1, "file", &v, &n, filename,
                                         sizeof filename, why, sizeof why),
                     0);
    static const char content[] = "{\"a\":1}\n--------------------------abc12\n{\"b\":2}\n";
    assert_int_equal(n, sizeof content - 1);
    assert_memory_equal(v, content, n);
    assert_string_equal(filename, "in.jsonl");
}

static void test_refusals(void **state)
{
    (void)state;
    const char *v;
    size_t n;
    char filename[64], why[128];
    assert_int_equal(sim_multipart_field(ctype, body, sizeof body - 1, "name", &v, &n, filename,
                                         sizeof filename, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "'name'"));
    assert_int_equal(sim_multipart_field("application/json", body, sizeof body - 1, "file", &v, &n,
                                         filename, sizeof filename, why, sizeof why),
                     -1);
    assert_int_equal(sim_multipart_field("multipart/form-data; boundary=\"other\"", body,
                                         sizeof body - 1, "file", &v, &n, filename, sizeof filename,
                                         why, sizeof why),
                     -1);
    /* cut before the file's closing delimiter */
    assert_int_equal(sim_multipart_field(ctype, body, 200, "file", &v, &n, filename,
                                         sizeof filename, why, sizeof why),
                     -1);
    assert_int_equal(sim_multipart_field(ctype, "", 0, "file", &v, &n, filename, sizeof filename,
                                         why, sizeof why),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
