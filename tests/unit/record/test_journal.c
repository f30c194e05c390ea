/* test_journal.c - the SQLite journal: states, job binding, export order, cache, and
 * that uncommitted writes are visible after close (close commits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "record/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/vb-journal-%d.sqlite", (int)getpid());
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[80];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s.lock", path);
    unlink(p);
    return 0;
}

static void test_states_and_export(void **state)
{
    (void)state;
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m\"}", 0, err, sizeof err), 0);
    assert_int_equal(journal_item_sent(j, "b", "b.jpg", "sha256:bb", 1), 0);
    assert_int_equal(journal_item_sent(j, "a", "a.jpg", "sha256:aa", 1), 0);
    assert_int_equal(journal_item_sent(j, "c", "c.jpg", NULL, 1), 0);
    assert_int_equal(journal_attempt(j, "b", 1, 12.5, 200, 100, 5, 0.001, NULL, NULL), 0);
    assert_int_equal(journal_item_done(j, "b", "b.jpg", "sha256:bb", JOURNAL_OK, 1, 0.001,
                                       "{\"id\":\"b\"}", "key-b"),
                     0);
    assert_int_equal(journal_item_done(j, "a", "a.jpg", "sha256:aa", JOURNAL_FAILED, 3, 0,
                                       "{\"id\":\"a\"}", NULL),
                     0);
    assert_int_equal(journal_tick(j, 1), 0);

    journal_reader_t *r = journal_reader_open(path, err, sizeof err);
    assert_non_null(r);
    { journal_state_t st; assert_int_equal(journal_reader_state(r, "b", &st), 0); assert_int_equal(st, JOURNAL_OK); }
    { journal_state_t st; assert_int_equal(journal_reader_state(r, "a", &st), 0); assert_int_equal(st, JOURNAL_FAILED); }
    { journal_state_t st; assert_int_equal(journal_reader_state(r, "c", &st), 0); assert_int_equal(st, JOURNAL_IN_FLIGHT); }
    { journal_state_t st; assert_int_equal(journal_reader_state(r, "zzz", &st), 0); assert_int_equal(st, JOURNAL_NONE); }
    char *cached = journal_reader_cached(r, "key-b");
    assert_string_equal(cached, "{\"id\":\"b\"}");
    free(cached);
    assert_null(journal_reader_cached(r, "key-x"));
    journal_reader_close(r);

    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_int_equal(journal_export(j, f, 0), 2);
    fclose(f);
    assert_string_equal(buf, "{\"id\":\"b\"}\n{\"id\":\"a\"}\n"); /* first-seen order */
    f = fmemopen(buf, sizeof buf, "w");
    assert_int_equal(journal_export(j, f, 1), 1); /* failed ones about to be retried */
    fclose(f);

    long counts[JOURNAL_STATE_COUNT];
    double cost;
    assert_int_equal(journal_counts(j, counts, &cost), 0);
    assert_int_equal(counts[JOURNAL_OK], 1);
    assert_int_equal(counts[JOURNAL_FAILED], 1);
    assert_int_equal(counts[JOURNAL_IN_FLIGHT], 1);
    assert_true(cost > 0.0009 && cost < 0.0011);
    journal_close(j);
}

static void test_one_writer_at_a_time(void **state)
{
    (void)state;
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_null(journal_open(path, err, sizeof err));
    assert_non_null(strstr(err, "in use by another visionbatch run"));
    journal_close(j);
    j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    journal_close(j);
}

static void test_job_binding(void **state)
{
    (void)state;
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m1\"}", 0, err, sizeof err), 0);
    assert_int_equal(journal_item_done(j, "x", "x.jpg", "sha256:xx", JOURNAL_OK, 1, 0, "{}",
                                       "cache-x"),
                     0);
    journal_close(j); /* commits the open group */

    j = journal_open(path, err, sizeof err);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m1\"}", 0, err, sizeof err), 1);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m2\"}", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "--new-job"));
    assert_non_null(strstr(err, "m1"));
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m2\"}", 1, err, sizeof err), 0);
    long counts[JOURNAL_STATE_COUNT];
    double cost;
    journal_counts(j, counts, &cost);
    assert_int_equal(counts[JOURNAL_OK], 0); /* items forgotten ... */
    journal_close(j);
    journal_reader_t *r = journal_reader_open(path, err, sizeof err);
    char *cached = journal_reader_cached(r, "cache-x"); /* ... the cache kept */
    assert_non_null(cached);
    free(cached);
    journal_reader_close(r);
}

static int count_final(const journal_final_t *item, void *ctx)
{
    journal_final_t *seen = ctx;
    if (strcmp(item->id, "b") == 0) {
        seen->stamped = item->stamped;
        seen->file_size = item->file_size;
        seen->file_mtime_ns = item->file_mtime_ns;
        seen->state = item->state;
    }
    return 0;
}

/* Schema 4: a file's stamp (size, mtime) is kept with the item's answer; the reader hands
 * back the stamp, hash and cost the change check needs; a new answer to the item replaces
 * the row (export shows the newest) and its stamp. */
static void test_file_stamp(void **state)
{
    (void)state;
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m\"}", 0, err, sizeof err), 0);
    assert_int_equal(journal_item_done(j, "b", "b.jpg", "sha256:b1", JOURNAL_OK, 1, 0.25,
                                       "{\"id\":\"b\",\"v\":1}", NULL),
                     0);
    assert_int_equal(journal_item_done(j, "u", "http://x/u.jpg", NULL, JOURNAL_OK, 1, 0.5,
                                       "{\"id\":\"u\"}", NULL),
                     0);
    assert_int_equal(journal_item_stamp(j, "b", 1234, 5678901234567LL), 0);
    assert_int_equal(journal_tick(j, 1), 0);

    journal_reader_t *r = journal_reader_open(path, err, sizeof err);
    assert_non_null(r);
    journal_item_row_t row;
    assert_int_equal(journal_reader_item(r, "b", &row), 0);
    assert_int_equal(row.state, JOURNAL_OK);
    assert_string_equal(row.content_hash, "sha256:b1");
    assert_true(row.stamped && row.file_size == 1234 && row.file_mtime_ns == 5678901234567LL);
    assert_true(row.cost_usd == 0.25);
    assert_int_equal(journal_reader_item(r, "u", &row), 0);
    assert_false(row.stamped);
    assert_string_equal(row.content_hash, "");
    journal_reader_close(r);

    journal_final_t seen = {0};
    assert_int_equal(journal_foreach_final(j, 0, count_final, &seen), 2);
    assert_true(seen.stamped && seen.file_size == 1234 && seen.state == JOURNAL_OK);

    /* the photo changed: its new answer and stamp replace the row */
    assert_int_equal(journal_item_done(j, "b", "b.jpg", "sha256:b2", JOURNAL_OK, 1, 0.25,
                                       "{\"id\":\"b\",\"v\":2}", NULL),
                     0);
    assert_int_equal(journal_item_stamp(j, "b", 999, 1), 0);
    journal_state_t st;
    char *line = journal_item_result(j, "b", &st);
    assert_string_equal(line, "{\"id\":\"b\",\"v\":2}");
    assert_int_equal(st, JOURNAL_OK);
    free(line);
    assert_null(journal_item_result(j, "zzz", &st));
    assert_int_equal(st, JOURNAL_NONE);
    journal_close(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states_and_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_stamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_writer_at_a_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
