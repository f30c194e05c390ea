/* test_journal_batch.c - a batch_api job's chunks and lines in a real journal file:
 * add, update, listing in key order, the next chunk number; lines added (their items
 * 'batched'), read back, marked done, listed open and as copies, page after page while
 * the callback writes; everything still there after close and reopen; an older journal
 * upgraded to allow 'batched'; a new job refused while batches are open; a resume that
 * passes over batched items; and online and batch runs of one job resuming each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <visionbatch.h>

#include "record/journal.h"
#include "record/journal_batch.h"
#include "record/resume.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vb-journal-batch-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/job.journal", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int global_setup(void **state)
{
    (void)state;
    char err[256];
    return vb_global_init("test_journal_batch", err, sizeof err);
}

static int global_teardown(void **state)
{
    (void)state;
    vb_global_cleanup();
    return 0;
}

static journal_t *open_bound(void)
{
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_true(journal_bind_job(j, "{\"model\":\"m\"}", 0, err, sizeof err) >= 0);
    return j;
}

static journal_chunk_t chunk_make(long number, chunk_state_t state)
{
    journal_chunk_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.key, sizeof c.key, "c%06ld", number);
    c.state = state;
    snprintf(c.provider, sizeof c.provider, "openai");
    snprintf(c.base_url, sizeof c.base_url, "http://127.0.0.1:9/v1");
    snprintf(c.model, sizeof c.model, "gpt-4o-mini");
    c.lines = 3;
    c.bytes = 4096;
    c.est_tokens = 2550.5;
    c.reserved_usd = 0.125;
    c.succeeded = c.failed = c.pending = -1;
    c.created_at = 1700000000.25;
    return c;
}

/* Collects chunk keys into a comma-separated list. */
typedef struct keys {
    char text[2048];
    long stop_after; /* 0: never stop */
    long seen;
} keys_t;

static int collect_chunk(const journal_chunk_t *c, void *arg)
{
    keys_t *k = arg;
    size_t n = strlen(k->text);
    snprintf(k->text + n, sizeof k->text - n, "%s%s", n ? "," : "", c->key);
    k->seen++;
    return k->stop_after && k->seen >= k->stop_after;
}

static void test_chunks(void **state)
{
    (void)state;
    journal_t *j = open_bound();
    assert_int_equal(journal_chunk_next_number(j), 1);
    journal_chunk_t a = chunk_make(1, CHUNK_SUBMITTED), b = chunk_make(2, CHUNK_COLLECTED),
                    c = chunk_make(3, CHUNK_BUILDING);
    snprintf(a.batch_id, sizeof a.batch_id, "batch_abc");
    assert_int_equal(journal_chunk_add(j, &c), 0); /* added out of order */
    assert_int_equal(journal_chunk_add(j, &a), 0);
    assert_int_equal(journal_chunk_add(j, &b), 0);
    assert_int_equal(journal_chunk_next_number(j), 4);

    keys_t all = {0}, open = {0}, first = {.stop_after = 1};
    assert_int_equal(journal_chunk_foreach(j, 0, collect_chunk, &all), 3);
    assert_string_equal(all.text, "c000001,c000002,c000003");
    assert_int_equal(journal_chunk_foreach(j, 1, collect_chunk, &open), 2);
    assert_string_equal(open.text, "c000001,c000003");
    assert_int_equal(journal_chunk_foreach(j, 0, collect_chunk, &first), 1);

    /* every field written by an update comes back */
    c.state = CHUNK_SUBMITTED;
    snprintf(c.file_ref, sizeof c.file_ref, "file-123");
    snprintf(c.batch_id, sizeof c.batch_id, "batch_xyz");
    snprintf(c.remote_state, sizeof c.remote_state, "in_progress");
    c.succeeded = 1;
    c.failed = 0;
    c.pending = 2;
    c.submitted_at = 1700000100.5;
    c.updated_at = 1700000200.75;
    assert_int_equal(journal_chunk_update(j, &c), 0);
    journal_chunk_t missing = chunk_make(99, CHUNK_SEALED);
    assert_int_equal(journal_chunk_update(j, &missing), -1);
    assert_int_equal(journal_tick(j, 1), 0); /* a missing chunk is no write error */
    journal_close(j);
}

/* Checks the chunk c000003 as test_chunks left it (after a reopen). */
static int check_reopened(const journal_chunk_t *c, void *arg)
{
    (void)arg;
    if (strcmp(c->key, "c000003") != 0)
        return 0;
    assert_int_equal(c->state, CHUNK_SUBMITTED);
    assert_string_equal(c->provider, "openai");
    assert_string_equal(c->base_url, "http://127.0.0.1:9/v1");
    assert_string_equal(c->model, "gpt-4o-mini");
    assert_string_equal(c->file_ref, "file-123");
    assert_string_equal(c->batch_id, "batch_xyz");
    assert_string_equal(c->remote_state, "in_progress");
    assert_int_equal(c->lines, 3);
    assert_int_equal(c->bytes, 4096);
    assert_true(c->est_tokens == 2550.5 && c->reserved_usd == 0.125);
    assert_int_equal(c->succeeded, 1);
    assert_int_equal(c->failed, 0);
    assert_int_equal(c->pending, 2);
    assert_true(c->created_at == 1700000000.25 && c->submitted_at == 1700000100.5 &&
                c->updated_at == 1700000200.75);
    return 0;
}

static void test_chunks_survive_reopen(void **state)
{
    test_chunks(state);
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_chunk_foreach(j, 0, check_reopened, NULL), 3);
    assert_int_equal(journal_chunk_next_number(j), 4);
    journal_close(j);
    /* a reading connection (status) sees them too */
    assert_non_null(j = journal_open_existing(path, err, sizeof err));
    keys_t all = {0};
    assert_int_equal(journal_chunk_foreach(j, 0, collect_chunk, &all), 3);
    journal_close(j);
}

static journal_batch_line_t line_make(const char *custom_id, const char *chunk, char *item)
{
    journal_batch_line_t l;
    memset(&l, 0, sizeof l);
    snprintf(l.custom_id, sizeof l.custom_id, "%s", custom_id);
    snprintf(l.chunk, sizeof l.chunk, "%s", chunk);
    l.item_id = item;
    l.attempt = 1;
    return l;
}

static int count_batch(const vb_batch_info_t *b, void *arg)
{
    long *n = arg;
    if (strcmp(b->chunk, "c000001") == 0) {
        assert_string_equal(b->batch_id, "batch_abc");
        assert_string_equal(b->state, "submitted");
        assert_int_equal(b->lines, 3);
        assert_int_equal(b->succeeded, -1);
        assert_true(b->created_at == 1700000000.25);
    }
    (*n)++;
    return 0;
}

/* vb_journal_foreach_batch reads the batches while a run holds the journal and writes:
 * what the run committed, not what it has yet to commit. */
static void test_batches_listed_while_a_run_writes(void **state)
{
    (void)state;
    char err[512];
    journal_t *w = open_bound();
    journal_chunk_t a = chunk_make(1, CHUNK_SUBMITTED), b = chunk_make(2, CHUNK_BUILDING);
    snprintf(a.batch_id, sizeof a.batch_id, "batch_abc");
    assert_int_equal(journal_chunk_add(w, &a), 0);
    assert_int_equal(journal_tick(w, 1), 0);
    assert_int_equal(journal_chunk_add(w, &b), 0); /* not committed yet */
    vb_journal_t *r = vb_journal_open(path, err, sizeof err);
    if (!r)
        fprintf(stderr, "open: %s\n", err);
    assert_non_null(r);
    long n = 0;
    assert_int_equal(vb_journal_foreach_batch(r, count_batch, &n, err, sizeof err), 1);
    assert_int_equal(n, 1);
    assert_int_equal(journal_tick(w, 1), 0);
    n = 0;
    assert_int_equal(vb_journal_foreach_batch(r, count_batch, &n, err, sizeof err), 2);
    vb_journal_summary_t js;
    journal_batch_line_t l = line_make("c000001-1", "c000001", "a");
    assert_int_equal(journal_batch_line_add(w, &l), 0);
    assert_int_equal(journal_tick(w, 1), 0);
    assert_int_equal(vb_journal_summary(r, &js, err, sizeof err), 0);
    assert_int_equal(js.batched, 1);
    vb_journal_close(r);
    journal_close(w);
}

/* Key order is number order past six digits. */
static void test_chunk_numbers_past_six_digits(void **state)
{
    (void)state;
    journal_t *j = open_bound();
    journal_chunk_t a = chunk_make(999999, CHUNK_SUBMITTED), b = chunk_make(1000000, CHUNK_SEALED);
    assert_int_equal(journal_chunk_add(j, &b), 0);
    assert_int_equal(journal_chunk_add(j, &a), 0);
    keys_t all = {0};
    assert_int_equal(journal_chunk_foreach(j, 0, collect_chunk, &all), 2);
    assert_string_equal(all.text, "c999999,c1000000");
    assert_int_equal(journal_chunk_next_number(j), 1000001);
    journal_close(j);
}

static journal_state_t reader_state(const char *id)
{
    char err[512];
    journal_reader_t *r = journal_reader_open(path, err, sizeof err);
    assert_non_null(r);
    journal_state_t st;
    assert_int_equal(journal_reader_state(r, id, &st), 0);
    journal_reader_close(r);
    return st;
}

static void test_lines(void **state)
{
    (void)state;
    journal_t *j = open_bound();
    journal_chunk_t c = chunk_make(1, CHUNK_BUILDING);
    assert_int_equal(journal_chunk_add(j, &c), 0);
    /* an item that failed online before, now resubmitted in a batch */
    assert_int_equal(journal_item_done(j, "b", "b.jpg", NULL, JOURNAL_FAILED, 1, 0, "{}", NULL), 0);

    journal_batch_line_t a = line_make("c000001-1", "c000001", "a");
    a.source = "photos/a.jpg";
    a.hash = "sha256:aa";
    a.meta_json = "{\"sku\":\"1\"}";
    a.cache_key = "ck-a";
    a.model = "gpt-4o";
    a.json_retries = 1;
    a.reserved_usd = 0.5;
    a.est_tokens = 812;
    a.earlier_cost_usd = 0.0025;
    journal_batch_line_t b = line_make("c000001-2", "c000001", "b");
    b.attempt = 2;
    journal_batch_line_t copy = line_make("c000001-3", "c000001", "a-copy");
    copy.copy_of = "c000001-1";
    assert_int_equal(journal_batch_line_add(j, &a), 0);
    assert_int_equal(journal_batch_line_add(j, &b), 0);
    assert_int_equal(journal_batch_line_add(j, &copy), 0);

    journal_batch_line_t got;
    assert_int_equal(journal_batch_line_get(j, "c000001-1", &got), 1);
    assert_string_equal(got.custom_id, "c000001-1");
    assert_string_equal(got.chunk, "c000001");
    assert_string_equal(got.item_id, "a");
    assert_string_equal(got.source, "photos/a.jpg");
    assert_string_equal(got.hash, "sha256:aa");
    assert_string_equal(got.meta_json, "{\"sku\":\"1\"}");
    assert_string_equal(got.cache_key, "ck-a");
    assert_string_equal(got.model, "gpt-4o");
    assert_null(got.copy_of);
    assert_int_equal(got.attempt, 1);
    assert_int_equal(got.json_retries, 1);
    assert_true(got.reserved_usd == 0.5 && got.est_tokens == 812 && got.earlier_cost_usd == 0.0025);
    assert_int_equal(got.done, 0);
    journal_batch_line_clear(&got);
    assert_null(got.item_id);
    assert_int_equal(journal_batch_line_get(j, "c000001-2", &got), 1);
    assert_string_equal(got.source, "b"); /* no source given: the item id */
    assert_null(got.hash);
    assert_null(got.meta_json);
    journal_batch_line_clear(&got);
    assert_int_equal(journal_batch_line_get(j, "nope", &got), 0);
    assert_int_equal(journal_batch_line_add(j, &a), -1); /* a custom_id is added once */
    journal_close(j);

    /* the items are batched, for the preparing threads' readers and for the counts */
    assert_int_equal(reader_state("a"), JOURNAL_BATCHED);
    assert_int_equal(reader_state("b"), JOURNAL_BATCHED);
    assert_int_equal(reader_state("a-copy"), JOURNAL_BATCHED);
    char err[512];
    assert_non_null(j = journal_open(path, err, sizeof err));
    long counts[JOURNAL_STATE_COUNT];
    double cost;
    assert_int_equal(journal_counts(j, counts, &cost), 0);
    assert_int_equal(counts[JOURNAL_BATCHED], 3);
    assert_int_equal(counts[JOURNAL_FAILED], 0);
    assert_int_equal(journal_foreach_result(j, 0, NULL, NULL), 0); /* no result to replay */
    journal_close(j);
}

typedef struct seen {
    char ids[4096];
    long n;
    journal_t *j; /* set: mark each line done from inside the callback */
    int check_copy;
} seen_t;

static int collect_line(const journal_batch_line_t *l, void *arg)
{
    seen_t *s = arg;
    size_t n = strlen(s->ids);
    if (n < 600)
        snprintf(s->ids + n, sizeof s->ids - n, "%s%s", n ? "," : "", l->custom_id);
    assert_non_null(l->item_id);
    if (s->check_copy)
        assert_string_equal(l->copy_of, "c000001-1");
    else
        assert_null(l->copy_of);
    if (s->j)
        assert_int_equal(journal_batch_line_done(s->j, l->custom_id), 0);
    s->n++;
    return 0;
}

static void test_lines_open_copies_done(void **state)
{
    test_lines(state);
    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    seen_t open = {0}, copies = {.check_copy = 1};
    assert_int_equal(journal_batch_lines_open(j, "c000001", collect_line, &open), 2);
    assert_string_equal(open.ids, "c000001-1,c000001-2"); /* the copy is not sent */
    assert_int_equal(journal_batch_copies(j, "c000001-1", collect_line, &copies), 1);
    assert_string_equal(copies.ids, "c000001-3");
    assert_int_equal(journal_batch_lines_open(j, "c000009", collect_line, &open), 0);

    assert_int_equal(journal_batch_line_done(j, "c000001-1"), 0);
    assert_int_equal(journal_batch_line_done(j, "c000001-3"), 0);
    assert_int_equal(journal_batch_line_done(j, "missing"), -1);
    assert_int_equal(journal_tick(j, 1), 0);
    journal_close(j);

    assert_non_null(j = journal_open(path, err, sizeof err)); /* done survives a reopen */
    seen_t after = {0}, no_copies = {.check_copy = 1};
    assert_int_equal(journal_batch_lines_open(j, "c000001", collect_line, &after), 1);
    assert_string_equal(after.ids, "c000001-2");
    assert_int_equal(journal_batch_copies(j, "c000001-1", collect_line, &no_copies), 0);
    journal_batch_line_t got;
    assert_int_equal(journal_batch_line_get(j, "c000001-1", &got), 1);
    assert_int_equal(got.done, 1);
    journal_batch_line_clear(&got);
    journal_close(j);
}

/* Many lines, listed page after page while the callback marks each one done (as
 * collecting does), each exactly once; uncommitted writes are seen by the same journal. */
static void test_many_lines_marked_while_listed(void **state)
{
    (void)state;
    journal_t *j = open_bound();
    char items[300][16];
    for (int i = 0; i < 300; i++) {
        char cid[32];
        snprintf(items[i], sizeof items[i], "item-%03d", i);
        snprintf(cid, sizeof cid, "c000001-%03d", i);
        journal_batch_line_t l = line_make(cid, "c000001", items[i]);
        assert_int_equal(journal_batch_line_add(j, &l), 0);
    }
    seen_t s = {.j = j};
    assert_int_equal(journal_batch_lines_open(j, "c000001", collect_line, &s), 300);
    assert_int_equal(s.n, 300);
    assert_true(strncmp(s.ids, "c000001-000,c000001-001,c000001-002", 35) == 0);
    seen_t again = {0};
    assert_int_equal(journal_batch_lines_open(j, "c000001", collect_line, &again), 0);
    /* 70 chunks: more than a page of them */
    for (long n = 1; n <= 70; n++) {
        journal_chunk_t c = chunk_make(n, n % 2 ? CHUNK_SUBMITTED : CHUNK_COLLECTED);
        assert_int_equal(journal_chunk_add(j, &c), 0);
    }
    keys_t all = {0}, open = {0};
    assert_int_equal(journal_chunk_foreach(j, 0, collect_chunk, &all), 70);
    assert_int_equal(journal_chunk_foreach(j, 1, collect_chunk, &open), 35);
    assert_true(strncmp(all.text, "c000001,c000002,c000003", 23) == 0);
    assert_non_null(strstr(all.text, "c000069,c000070"));
    journal_close(j);
}

/* A journal written before schema 3 (items without 'batched') takes batched items. */
static void test_old_journal_upgraded(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL;"
                     "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "CREATE TABLE items (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
                     "  source TEXT NOT NULL, content_hash TEXT, state TEXT NOT NULL CHECK"
                     "  (state IN ('pending','in_flight','ok','failed','skipped')),"
                     "  attempts INTEGER NOT NULL DEFAULT 0, cost_usd REAL, result TEXT,"
                     "  updated_at REAL NOT NULL);"
                     "CREATE INDEX items_seq ON items(seq);"
                     "INSERT INTO meta VALUES ('schema_version', '2');"
                     "INSERT INTO meta VALUES ('params', '{\"model\":\"m\"}');"
                     "INSERT INTO items VALUES ('old', 7, 'old.jpg', NULL, 'ok', 1, 0.5,"
                     "  '{\"id\":\"old\"}', 1.0);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    char err[512];
    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"m\"}", 0, err, sizeof err), 1);
    journal_batch_line_t l = line_make("c000001-1", "c000001", "new");
    assert_int_equal(journal_batch_line_add(j, &l), 0);
    assert_int_equal(journal_tick(j, 1), 0);
    char *version = journal_meta_get(j, "schema_version");
    assert_string_equal(version, "4"); /* schema 4: items gained file_size, file_mtime_ns */
    free(version);
    long counts[JOURNAL_STATE_COUNT];
    double cost;
    assert_int_equal(journal_counts(j, counts, &cost), 0);
    assert_int_equal(counts[JOURNAL_OK], 1);
    assert_int_equal(counts[JOURNAL_BATCHED], 1);
    assert_true(cost == 0.5);
    journal_close(j);
    assert_int_equal(reader_state("new"), JOURNAL_BATCHED);
    /* the old row kept its place: the new item comes after it */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM items ORDER BY seq", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "old");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "new");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* --new-job would lose track of batches the provider holds: refused until they are
 * collected; then the new job starts without the old chunks and lines. */
static void test_new_job_with_open_batches(void **state)
{
    (void)state;
    char err[512];
    journal_t *j = open_bound();
    journal_chunk_t c = chunk_make(1, CHUNK_SUBMITTED);
    assert_int_equal(journal_chunk_add(j, &c), 0);
    journal_batch_line_t l = line_make("c000001-1", "c000001", "a");
    assert_int_equal(journal_batch_line_add(j, &l), 0);
    assert_int_equal(journal_tick(j, 1), 0);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"other\"}", 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "not collected"));
    assert_non_null(strstr(err, "visionbatch cancel"));
    c.state = CHUNK_COLLECTED;
    assert_int_equal(journal_chunk_update(j, &c), 0);
    assert_int_equal(journal_bind_job(j, "{\"model\":\"other\"}", 1, err, sizeof err), 0);
    keys_t all = {0};
    assert_int_equal(journal_chunk_foreach(j, 0, collect_chunk, &all), 0);
    journal_batch_line_t got;
    assert_int_equal(journal_batch_line_get(j, "c000001-1", &got), 0);
    assert_int_equal(journal_chunk_next_number(j), 1);
    journal_close(j);
}

static void write_file(const char *p, const unsigned char *bytes, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* 1x1 PNGs, red and blue (two images, so the second is no copy of the first). */
static const unsigned char red_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
    0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92,
    0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
static const unsigned char blue_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
    0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x60, 0x60, 0xf8, 0x0f, 0x00, 0x01, 0x03, 0x01, 0x00, 0x08, 0x89, 0xc2,
    0xec, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

/* Runs the two-image job online against a closed port (every request fails at once: the
 * run stops, what it did not finish left unsent) and returns its summary. */
static vb_summary_t run_job(const char *a, const char *b, int retry_failed)
{
    char err[512];
    vb_options_t o;
    vb_options_init(&o);
    o.base_url = "http://127.0.0.1:1/v1";
    o.no_preflight = 1; /* it would stop the run: the port is closed */
    o.api_key = "test-key";
    o.model = "gpt-4o-mini";
    o.journal = path;
    o.retries = 0;
    o.retry_failed = retry_failed;
    vb_job_t *job = vb_job_new(&o, err, sizeof err);
    assert_non_null(job);
    assert_int_equal(vb_job_add_input(job, a, err, sizeof err), 0);
    assert_int_equal(vb_job_add_input(job, b, err, sizeof err), 0);
    vb_summary_t sum;
    vb_run_status_t rs = vb_job_run(job, NULL, NULL, &sum, err, sizeof err);
    assert_int_equal(rs, VB_RUN_STOPPED);
    assert_int_equal(sum.failed, 0); /* nothing that could not be sent is marked failed */
    vb_job_free(job);
    return sum;
}

/* A resume passes over an item in a provider batch: even --retry-failed, which sends the
 * failed item again, leaves the batched one to the batch. */
static void test_resume_passes_over_batched(void **state)
{
    (void)state;
    char a[160], b[160], err[512];
    snprintf(a, sizeof a, "%s/a.png", dir);
    snprintf(b, sizeof b, "%s/b.png", dir);
    write_file(a, red_png, sizeof red_png);
    write_file(b, blue_png, sizeof blue_png);
    vb_summary_t first = run_job(a, b, 0);
    assert_true(first.requests >= 2);

    journal_t *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    /* b failed for good in some earlier run (--retry-failed sends it again) */
    assert_int_equal(journal_item_done(j, b, b, NULL, JOURNAL_FAILED, 1, 0, "{}", NULL), 0);
    journal_batch_line_t l = line_make("c000001-1", "c000001", a);
    l.source = a;
    assert_int_equal(journal_batch_line_add(j, &l), 0);
    journal_close(j);

    vb_summary_t again = run_job(a, b, 1);
    assert_true(again.requests >= 1); /* b, again and again until the run stops */
    assert_int_equal(reader_state(a), JOURNAL_BATCHED); /* never sent: the batch has it */
    assert_int_not_equal(reader_state(b), JOURNAL_FAILED); /* sent again, left unfinished */
}

/* batch_api and its settings are not part of the job: a job run online resumes as a
 * batch run and back. */
static void test_batch_and_online_runs_resume_each_other(void **state)
{
    (void)state;
    char err[512];
    vb_options_t o;
    vb_options_init(&o);
    o.model = "gpt-4o-mini";
    o.provider = "openai";
    o.journal = path;
    for (int i = 0; i < 3; i++) {
        vb_summary_t sum;
        memset(&sum, 0, sizeof sum);
        results_t out = {.sum = &sum};
        resume_t rs = {0};
        o.batch_api = i == 1;
        o.batch_no_wait = i == 1;
        o.poll_interval_s = i == 1 ? 5 : 30;
        o.batch_api_max_lines = i == 1 ? 100 : 0;
        o.max_enqueued_tokens = i == 1 ? 1e6 : 0;
        o.fallback_online = i == 1;
        o.fallback_after_s = i == 1 ? 60 : 0;
        int rc = resume_open(&rs, &o, NULL, &out, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "resume_open: %s\n", err);
        assert_int_equal(rc, 0);
        assert_int_equal(rs.resuming, i > 0);
        journal_close(rs.journal);
        idset_free(rs.held);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunks_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunk_numbers_past_six_digits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_listed_while_a_run_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines_open_copies_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_lines_marked_while_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_journal_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_job_with_open_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_passes_over_batched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_and_online_runs_resume_each_other, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
