/* test_input.c - directory walks and manifests, streamed item by item. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void write_file(const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(data, 1, len, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vb-input-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static input_t *open_one(const char *name)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    input_t *in = input_new();
    assert_non_null(in);
    assert_int_equal(input_add(in, path, err, sizeof err), 0);
    return in;
}

static void test_missing_path_is_an_error(void **state)
{
    (void)state;
    char err[256];
    input_t *in = input_new();
    assert_int_equal(input_add(in, "/nonexistent/vb/photos", err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
    input_free(in);
}

static void test_directory_walk_is_sorted_recursive_and_by_content(void **state)
{
    (void)state;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/b-sub", dir);
    mkdir(sub, 0755);
    write_file("c.jpg", "x", 1);
    write_file("a.PNG", "x", 1);
    write_file("b-sub/z.webp", "x", 1);
    write_file("notes.txt", "just text", 9);
    write_file("noext", "\x89PNG\r\n\x1a\n\0\0\0\0\0\0\0", 16); /* PNG by its bytes */
    write_file(".hidden.jpg", "x", 1);
    input_t *in = open_one("");
    const char *want[] = {"a.PNG", "b-sub/z.webp", "c.jpg", "noext"};
    input_item_t item;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(input_next(in, &item), 1);
        const char *rel = item.path + strlen(dir) + 1;
        assert_string_equal(rel, want[i]);
        assert_null(item.error_kind);
        input_item_clear(&item);
    }
    assert_int_equal(input_next(in, &item), 0);
    input_free(in);
}

static void test_txt_manifest(void **state)
{
    (void)state;
    const char *m = "# product shots\n\nshoe.jpg\r\n  /abs/bag.png  \nhttps://cdn.example/x.jpg\n"
                    "file:///etc/passwd\n";
    write_file("list.txt", m, strlen(m));
    input_t *in = open_one("list.txt");
    input_item_t it;
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.source, "shoe.jpg");
    char want[300];
    snprintf(want, sizeof want, "%s/shoe.jpg", dir);
    assert_string_equal(it.path, want);
    input_item_clear(&it);
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.path, "/abs/bag.png");
    input_item_clear(&it);
    assert_int_equal(input_next(in, &it), 1);
    assert_true(it.is_url);
    assert_null(it.path);
    input_item_clear(&it);
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.error_kind, "unsupported_url");
    assert_non_null(strstr(it.error_message, "list.txt:6"));
    input_item_clear(&it);
    assert_int_equal(input_next(in, &it), 0);
    input_free(in);
}

static void test_jsonl_manifest_fields_and_broken_lines(void **state)
{
    (void)state;
    const char *m = "{\"image\":\"a.jpg\",\"id\":\"sku-1\",\"prompt\":\"P\",\"title\":\"Red\","
                    "\"price\":9.5}\n"
                    "{\"image\":\"b.jpg\",\"id\":42}\n"
                    "not json\n"
                    "{\"id\":\"no-image\"}\n"
                    "[1,2]\n"
                    "{\"image\":\"c.jpg\",\"prompt\":7}\n";
    write_file("m.jsonl", m, strlen(m));
    input_t *in = open_one("m.jsonl");
    input_item_t it;
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.id, "sku-1");
    assert_string_equal(it.prompt, "P");
    assert_string_equal(it.meta_json, "{\"title\":\"Red\",\"price\":9.5}");
    input_item_clear(&it);
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.id, "42");
    assert_null(it.meta_json);
    input_item_clear(&it);
    for (int line = 3; line <= 6; line++) {
        assert_int_equal(input_next(in, &it), 1);
        assert_string_equal(it.error_kind, "bad_manifest_line");
        char where[32];
        snprintf(where, sizeof where, "m.jsonl:%d", line);
        assert_non_null(strstr(it.error_message, where));
        input_item_clear(&it);
    }
    assert_int_equal(input_next(in, &it), 0);
    input_free(in);
}

static void test_overlong_line_is_an_error_item(void **state)
{
    (void)state;
    size_t n = INPUT_MAX_LINE + 100;
    char *big = malloc(n + 20);
    memset(big, 'a', n);
    memcpy(big + n, "\nnext.jpg\n", 10);
    write_file("big.txt", big, n + 10);
    free(big);
    input_t *in = open_one("big.txt");
    input_item_t it;
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.error_kind, "bad_manifest_line");
    input_item_clear(&it);
    assert_int_equal(input_next(in, &it), 1);
    assert_string_equal(it.source, "next.jpg");
    input_item_clear(&it);
    input_free(in);
}

static void test_duplicate_ids_get_their_own_id(void **state)
{
    (void)state;
    const char *m = "{\"image\":\"a.jpg\",\"id\":\"sku-1\"}\n"
                    "{\"image\":\"b.jpg\",\"id\":\"sku-2\"}\n"
                    "{\"image\":\"c.jpg\",\"id\":\"sku-1\"}\n"
                    "{\"image\":\"ftp://x/d.jpg\",\"id\":\"sku-2\"}\n";
    write_file("d.jsonl", m, strlen(m));
    write_file("x.jpg", "x", 1);
    char jsonl[300], img[300];
    snprintf(jsonl, sizeof jsonl, "%s/d.jsonl", dir);
    snprintf(img, sizeof img, "%s/x.jpg", dir);
    input_t *in = input_new();
    char err[256];
    assert_int_equal(input_add(in, jsonl, err, sizeof err), 0);
    assert_int_equal(input_add(in, img, err, sizeof err), 0);
    assert_int_equal(input_add(in, img, err, sizeof err), 0); /* the same file twice */
    input_item_t it;
    const char *ids[] = {"sku-1", "sku-2", NULL, NULL, NULL, NULL};
    char want[320];
    for (int i = 0; i < 6; i++) {
        assert_int_equal(input_next(in, &it), 1);
        if (ids[i]) {
            assert_string_equal(it.id, ids[i]);
            assert_null(it.error_kind);
        } else if (i < 4) {
            snprintf(want, sizeof want, "%s:%d", jsonl, i + 1);
            assert_string_equal(it.id, want); /* its manifest line */
            assert_string_equal(it.error_kind, "duplicate_id");
            assert_non_null(strstr(it.error_message, i == 2 ? "'sku-1'" : "'sku-2'"));
        } else if (i == 4) {
            assert_string_equal(it.id, img);
            assert_null(it.error_kind);
        } else {
            snprintf(want, sizeof want, "%s#6", img);
            assert_string_equal(it.id, want); /* its position in the run */
            assert_string_equal(it.error_kind, "duplicate_id");
        }
        input_item_clear(&it);
    }
    assert_int_equal(input_next(in, &it), 0);
    /* a copy (for counting) does not check */
    input_t *c = input_copy(in);
    int n = 0;
    while (input_next(c, &it)) {
        assert_null(strstr(it.id, "#"));
        input_item_clear(&it);
        n++;
    }
    assert_int_equal(n, 6);
    input_free(c);
    input_free(in);
}

/* Items of one input holding path: the ids, sources and legacy ids, one per line. */
static void expect_walk(const char *path, const char *const *ids, const char *const *walked,
                        size_t n)
{
    char err[256];
    input_t *in = input_new();
    assert_non_null(in);
    assert_int_equal(input_add(in, path, err, sizeof err), 0);
    input_item_t item;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(input_next(in, &item), 1);
        assert_string_equal(item.id, ids[i]);
        assert_string_equal(item.source, walked[i]); /* the file read is the one walked */
        assert_string_equal(item.path, walked[i]);
        if (strcmp(ids[i], walked[i]) == 0)
            assert_null(item.legacy_id);
        else
            assert_string_equal(item.legacy_id, walked[i]); /* what older versions said */
        input_item_clear(&item);
    }
    assert_int_equal(input_next(in, &item), 0);
    input_free(in);
}

static void test_walked_ids_do_not_depend_on_how_the_directory_is_named(void **state)
{
    (void)state;
    char path[600], cwd[512];
    snprintf(path, sizeof path, "%s/catalog", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/catalog/sub", dir);
    mkdir(path, 0755);
    write_file("catalog/a.jpg", "x", 1);
    write_file("catalog/sub/b.jpg", "x", 1);
    const char *ids[] = {"catalog/a.jpg", "catalog/sub/b.jpg"};
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    expect_walk("catalog", ids, ids, 2); /* today's ids stay as they were */
    expect_walk("catalog/", ids, ids, 2);
    expect_walk("./catalog//", ids, (const char *[]){"./catalog//a.jpg", "./catalog//sub/b.jpg"},
                2);
    snprintf(path, sizeof path, "%s/catalog", dir);
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/a.jpg", path);
    snprintf(b, sizeof b, "%s/sub/b.jpg", path);
    expect_walk(path, ids, (const char *[]){a, b}, 2);
    assert_int_equal(chdir("catalog/sub"), 0);
    expect_walk("..", ids, (const char *[]){"../a.jpg", "../sub/b.jpg"}, 2);
    assert_int_equal(chdir(".."), 0);
    expect_walk(".", ids, (const char *[]){"./a.jpg", "./sub/b.jpg"}, 2);
    assert_int_equal(chdir(".."), 0);
    /* a link keeps its own name: "current" may point to another folder each day */
    assert_int_equal(symlink("catalog", "current"), 0);
    expect_walk("current/", (const char *[]){"current/a.jpg", "current/sub/b.jpg"},
                (const char *[]){"current/a.jpg", "current/sub/b.jpg"}, 2);
    assert_int_equal(unlink("current"), 0);
    assert_int_equal(chdir(cwd), 0);
}

static void test_two_folders_of_one_name_keep_their_paths_as_ids(void **state)
{
    (void)state;
    char path[600], cwd[512], err[256];
    const char *dirs[] = {"a", "a/photos", "b", "b/photos"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
        mkdir(path, 0755);
    }
    write_file("a/photos/x.jpg", "x", 1);
    write_file("b/photos/x.jpg", "y", 1);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    input_t *in = input_new();
    assert_non_null(in);
    assert_int_equal(input_add(in, "a/photos", err, sizeof err), 0);
    assert_int_equal(input_add(in, "b/photos/", err, sizeof err), 0);
    input_item_t item;
    const char *want[] = {"a/photos/x.jpg", "b/photos/x.jpg"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(input_next(in, &item), 1);
        assert_null(item.error_kind); /* not a duplicate_id */
        assert_string_equal(item.id, want[i]);
        assert_null(item.legacy_id);
        input_item_clear(&item);
    }
    assert_int_equal(input_next(in, &item), 0);
    input_free(in);
    assert_int_equal(chdir(cwd), 0);
}

/* An input over dir/name read with the CSV settings; NULL when input_add refuses it,
 * with the reason in err. */
static input_t *open_csv(const char *name, const char *image, const char *id,
                         const char *delimiter, char *err, size_t errlen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    input_t *in = input_new();
    assert_non_null(in);
    assert_int_equal(input_set_csv_columns(in, image, id, delimiter, err, errlen), 0);
    if (input_add(in, path, err, errlen) != 0) {
        input_free(in);
        return NULL;
    }
    return in;
}

static void expect_csv_item(input_t *in, const char *id, const char *image, const char *meta)
{
    input_item_t item;
    assert_int_equal(input_next(in, &item), 1);
    assert_null(item.error_kind);
    assert_string_equal(item.id, id);
    assert_string_equal(item.source, image);
    if (meta)
        assert_string_equal(item.meta_json, meta);
    else
        assert_null(item.meta_json);
    input_item_clear(&item);
}

static void test_csv_columns_are_mapped_and_delimiters_detected(void **state)
{
    (void)state;
    char err[512];
    const char semi[] = "sku;url;title\n7;a.jpg;\"Red; big\"\n8;https://x.example/b.jpg;\n";
    write_file("semi.csv", semi, sizeof semi - 1);
    input_t *in = open_csv("semi.csv", "url", "sku", NULL, err, sizeof err);
    assert_non_null(in);
    input_t *copy = input_copy(in); /* the copy reads with the same settings */
    assert_non_null(copy);
    expect_csv_item(in, "7", "a.jpg", "{\"title\":\"Red; big\"}");
    expect_csv_item(in, "8", "https://x.example/b.jpg", NULL);
    input_item_t item;
    assert_int_equal(input_next(in, &item), 0);
    expect_csv_item(copy, "7", "a.jpg", "{\"title\":\"Red; big\"}");
    input_free(copy);
    input_free(in);

    const char tab[] = "image\tnote\na.jpg\tx,y\n";
    write_file("list.tsv", tab, sizeof tab - 1); /* a .tsv is read with tabs */
    assert_non_null(in = open_csv("list.tsv", NULL, NULL, NULL, err, sizeof err));
    expect_csv_item(in, "a.jpg", "a.jpg", "{\"note\":\"x,y\"}");
    input_free(in);
    write_file("tab.csv", tab, sizeof tab - 1); /* detected in a .csv */
    assert_non_null(in = open_csv("tab.csv", NULL, NULL, NULL, err, sizeof err));
    expect_csv_item(in, "a.jpg", "a.jpg", "{\"note\":\"x,y\"}");
    input_free(in);
    /* a given delimiter wins: read with ',' the header is one column, "image\tnote" */
    assert_null(open_csv("tab.csv", NULL, NULL, ",", err, sizeof err));
    assert_non_null(strstr(err, "has no image column (columns: image\tnote)"));
}

static void test_csv_without_image_column_is_refused_when_added(void **state)
{
    (void)state;
    char err[512], path[512];
    const char text[] = "sku,url,title\n1,a.jpg,x\n2,b.jpg,y\n";
    write_file("products.csv", text, sizeof text - 1);
    assert_null(open_csv("products.csv", NULL, NULL, NULL, err, sizeof err));
    snprintf(path, sizeof path, "%s/products.csv has no image column (columns: sku, url, "
                                "title); name it with --image-column NAME",
             dir);
    assert_string_equal(err, path);
    input_t *in = open_csv("products.csv", "url", NULL, NULL, err, sizeof err);
    assert_non_null(in); /* named: the rows are items, the url their id, sku meta */
    expect_csv_item(in, "a.jpg", "a.jpg", "{\"sku\":\"1\",\"title\":\"x\"}");
    input_free(in);
    in = input_new();
    assert_int_equal(input_set_csv_columns(in, "url", "url", NULL, err, sizeof err), -1);
    assert_int_equal(input_set_csv_columns(in, "", NULL, NULL, err, sizeof err), -1);
    assert_int_equal(input_set_csv_columns(in, NULL, NULL, "|", err, sizeof err), -1);
    assert_non_null(strstr(err, "'|'"));
    input_free(in);
    /* an unreadable header is still one error item when read, as before */
    write_file("empty.csv", "", 0);
    assert_non_null(in = open_csv("empty.csv", NULL, NULL, NULL, err, sizeof err));
    input_item_t item;
    assert_int_equal(input_next(in, &item), 1);
    assert_string_equal(item.error_kind, "bad_manifest_line");
    input_item_clear(&item);
    assert_int_equal(input_next(in, &item), 0);
    input_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_path_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_walk_is_sorted_recursive_and_by_content,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_txt_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_manifest_fields_and_broken_lines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overlong_line_is_an_error_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_ids_get_their_own_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walked_ids_do_not_depend_on_how_the_directory_is_named,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_folders_of_one_name_keep_their_paths_as_ids,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_columns_are_mapped_and_delimiters_detected,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_without_image_column_is_refused_when_added,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
