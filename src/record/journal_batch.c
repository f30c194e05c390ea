/* journal_batch.c - a batch_api job's chunks and lines in the journal (journal_batch.h).
 *
 * The tables live in the journal's SQLite file, beside its items, and every write joins
 * the journal's open transaction (journal_internal.h), so a chunk's lines and their items'
 * 'batched' state are committed together. Readers page through rows (a few dozen at a
 * time, the statement reset before the callbacks run): memory stays small whatever the
 * chunk's size, and a callback may write the rows it is handed (mark a line done, update
 * its chunk) without disturbing a read still in progress. */
#include "record/journal_batch.h"

#include "record/journal_internal.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Chunks and lines handed to callbacks per page. */
#define CHUNK_PAGE 32
#define LINE_PAGE  64

/* No CHECK on chunks.state, unlike items.state: a state added later would otherwise need
 * the table copied (as items_migrate in journal.c does); chunk_state_from_name refuses a
 * word it does not know instead. */
static const char batch_schema[] =
    "CREATE TABLE IF NOT EXISTS chunks ("
    "  key TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL,"
    "  provider TEXT NOT NULL,"
    "  base_url TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  file_ref TEXT NOT NULL DEFAULT '',"
    "  batch_id TEXT NOT NULL DEFAULT '',"
    "  remote_state TEXT NOT NULL DEFAULT '',"
    "  lines INTEGER NOT NULL DEFAULT 0,"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  est_tokens REAL NOT NULL DEFAULT 0,"
    "  reserved_usd REAL NOT NULL DEFAULT 0,"
    "  succeeded INTEGER NOT NULL DEFAULT -1,"
    "  failed INTEGER NOT NULL DEFAULT -1,"
    "  pending INTEGER NOT NULL DEFAULT -1,"
    "  created_at REAL NOT NULL DEFAULT 0,"
    "  submitted_at REAL NOT NULL DEFAULT 0,"
    "  updated_at REAL NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS batch_lines ("
    "  custom_id TEXT PRIMARY KEY,"
    "  chunk TEXT NOT NULL,"
    "  item_id TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  content_hash TEXT,"
    "  meta TEXT,"
    "  cache_key TEXT,"
    "  copy_of TEXT,"
    "  model TEXT,"
    "  attempt INTEGER NOT NULL,"
    "  json_retries INTEGER NOT NULL DEFAULT 0,"
    "  reserved_usd REAL NOT NULL DEFAULT 0,"
    "  est_tokens REAL NOT NULL DEFAULT 0,"
    "  earlier_cost_usd REAL NOT NULL DEFAULT 0,"
    "  done INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS batch_lines_open ON batch_lines(chunk, done, custom_id);"
    "CREATE INDEX IF NOT EXISTS batch_lines_copies ON batch_lines(copy_of, done, custom_id)"
    "  WHERE copy_of IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS batch_lines_key ON batch_lines(cache_key)"
    "  WHERE copy_of IS NULL AND done = 0;";

#define CHUNK_COLUMNS                                                                              \
    "key, state, provider, base_url, model, file_ref, batch_id, remote_state, lines, bytes,"       \
    " est_tokens, reserved_usd, succeeded, failed, pending, created_at, submitted_at,"             \
    " updated_at"

#define LINE_COLUMNS                                                                               \
    "custom_id, chunk, item_id, source, content_hash, meta, cache_key, copy_of, model,"            \
    " attempt, json_retries, reserved_usd, est_tokens, earlier_cost_usd, done"

enum {
    JB_CHUNK_ADD,
    JB_CHUNK_UPDATE,
    JB_CHUNK_PAGE,
    JB_CHUNK_MAX,
    JB_LINE_ADD,
    JB_ITEM_BATCHED,
    JB_LINE_GET,
    JB_LINE_DONE,
    JB_LINES_OPEN,
    JB_COPIES,
    JB_FIRST_BY_KEY,
    JB_COPIES_MOVE,
    JB_OPEN_RESERVED,
    JB_COUNT
};

static const char *const batch_sql[JB_COUNT] = {
    [JB_CHUNK_ADD] = "INSERT INTO chunks (" CHUNK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                     " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [JB_CHUNK_UPDATE] = "UPDATE chunks SET state = ?2, provider = ?3, base_url = ?4,"
                        " model = ?5, file_ref = ?6, batch_id = ?7, remote_state = ?8,"
                        " lines = ?9, bytes = ?10, est_tokens = ?11, reserved_usd = ?12,"
                        " succeeded = ?13, failed = ?14, pending = ?15, created_at = ?16,"
                        " submitted_at = ?17, updated_at = ?18 WHERE key = ?1",
    /* key order is number order: a shorter key is a smaller number ("c1000000" after
     * "c999999"); the page starts after the last key handed out (?1 its length, ?2 it) */
    [JB_CHUNK_PAGE] = "SELECT " CHUNK_COLUMNS " FROM chunks"
                      " WHERE (length(key) > ?1 OR (length(key) = ?1 AND key > ?2))"
                      " AND (?3 = 0 OR state NOT IN ('collected', 'abandoned'))"
                      " ORDER BY length(key), key LIMIT ?4",
    [JB_CHUNK_MAX] = "SELECT IFNULL(MAX(CAST(substr(key, 2) AS INTEGER)), 0) FROM chunks"
                     " WHERE key GLOB 'c[0-9]*'",
    [JB_LINE_ADD] = "INSERT INTO batch_lines (" LINE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
                    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0)",
    /* as journal.c's sent mark, in state 'batched': the item is new, or its state moves */
    [JB_ITEM_BATCHED] = "INSERT INTO items (id, seq, source, content_hash, state, attempts,"
                        " updated_at) VALUES (?1, (SELECT IFNULL(MAX(seq), 0) + 1 FROM items),"
                        " ?2, ?3, 'batched', ?4, ?5)"
                        " ON CONFLICT(id) DO UPDATE SET state = 'batched', attempts = ?4,"
                        " content_hash = IFNULL(?3, content_hash), updated_at = ?5",
    [JB_LINE_GET] = "SELECT " LINE_COLUMNS " FROM batch_lines WHERE custom_id = ?1",
    [JB_LINE_DONE] = "UPDATE batch_lines SET done = 1 WHERE custom_id = ?1",
    [JB_LINES_OPEN] = "SELECT " LINE_COLUMNS " FROM batch_lines WHERE chunk = ?1 AND done = 0"
                      " AND copy_of IS NULL AND custom_id > ?2 ORDER BY custom_id LIMIT ?3",
    [JB_COPIES] = "SELECT " LINE_COLUMNS " FROM batch_lines WHERE copy_of = ?1 AND done = 0"
                  " AND custom_id > ?2 ORDER BY custom_id LIMIT ?3",
    [JB_FIRST_BY_KEY] = "SELECT custom_id FROM batch_lines WHERE cache_key = ?1"
                        " AND copy_of IS NULL AND done = 0 LIMIT 1",
    [JB_COPIES_MOVE] = "UPDATE batch_lines SET copy_of = ?2 WHERE copy_of = ?1 AND done = 0",
    [JB_OPEN_RESERVED] = "SELECT IFNULL(SUM(reserved_usd), 0) FROM batch_lines WHERE done = 0"
                         " AND copy_of IS NULL",
};

struct journal_batch_statements {
    sqlite3_stmt *st[JB_COUNT];
};

static const char *const chunk_state_names[] = {
    [CHUNK_BUILDING] = "building",   [CHUNK_SEALED] = "sealed",
    [CHUNK_UPLOADED] = "uploaded",   [CHUNK_CREATING] = "creating",
    [CHUNK_SUBMITTED] = "submitted", [CHUNK_COLLECTED] = "collected",
    [CHUNK_ABANDONED] = "abandoned",
};

#define CHUNK_STATES (sizeof chunk_state_names / sizeof chunk_state_names[0])

const char *chunk_state_name(chunk_state_t s)
{
    return (unsigned)s < CHUNK_STATES ? chunk_state_names[s] : "unknown";
}

/* The state named name; -1 for a word this build does not know. */
static int chunk_state_from_name(const char *name)
{
    for (size_t i = 0; name && i < CHUNK_STATES; i++)
        if (strcmp(name, chunk_state_names[i]) == 0)
            return (int)i;
    return -1;
}

int journal_batch_schema(sqlite3 *db)
{
    return sqlite3_exec(db, batch_schema, NULL, NULL, NULL);
}

void journal_batch_statements_free(struct journal_batch_statements *s)
{
    if (!s)
        return;
    for (int i = 0; i < JB_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    free(s);
}

long journal_batch_remote_open(sqlite3 *db)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*) FROM chunks WHERE state IN ('creating',"
                           " 'submitted')",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Statement i of the journal's set, the whole set prepared on first use. NULL when the
 * database refuses one (journal_errmsg says why). */
static sqlite3_stmt *stmt(journal_t *j, int i)
{
    struct journal_batch_statements **slot = journal_batch_slot(j);
    if (!*slot) {
        struct journal_batch_statements *s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        for (int k = 0; k < JB_COUNT; k++) {
            if (sqlite3_prepare_v3(journal_db(j), batch_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
                                   &s->st[k], NULL) != SQLITE_OK) {
                journal_batch_statements_free(s);
                return NULL;
            }
        }
        *slot = s;
    }
    return (*slot)->st[i];
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Binds every field of c as ?1..?18, in CHUNK_COLUMNS order. */
static void chunk_bind(sqlite3_stmt *st, const journal_chunk_t *c)
{
    sqlite3_bind_text(st, 1, c->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, chunk_state_name(c->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->provider, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, c->base_url, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, c->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, c->file_ref, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, c->batch_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, c->remote_state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, c->lines);
    sqlite3_bind_int64(st, 10, c->bytes);
    sqlite3_bind_double(st, 11, c->est_tokens);
    sqlite3_bind_double(st, 12, c->reserved_usd);
    sqlite3_bind_int64(st, 13, c->succeeded);
    sqlite3_bind_int64(st, 14, c->failed);
    sqlite3_bind_int64(st, 15, c->pending);
    sqlite3_bind_double(st, 16, c->created_at);
    sqlite3_bind_double(st, 17, c->submitted_at);
    sqlite3_bind_double(st, 18, c->updated_at);
}

/* Copies column col (text or NULL) into a fixed field of size len, cut to fit. */
static void column_copy(sqlite3_stmt *st, int col, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* Reads the row st stands on (CHUNK_COLUMNS) into *c. Returns 0, or -1 for a state word
 * this build does not know (a newer visionbatch wrote it: nothing is guessed). */
static int chunk_read(sqlite3_stmt *st, journal_chunk_t *c)
{
    memset(c, 0, sizeof *c);
    column_copy(st, 0, c->key, sizeof c->key);
    int state = chunk_state_from_name((const char *)sqlite3_column_text(st, 1));
    if (state < 0)
        return -1;
    c->state = (chunk_state_t)state;
    column_copy(st, 2, c->provider, sizeof c->provider);
    column_copy(st, 3, c->base_url, sizeof c->base_url);
    column_copy(st, 4, c->model, sizeof c->model);
    column_copy(st, 5, c->file_ref, sizeof c->file_ref);
    column_copy(st, 6, c->batch_id, sizeof c->batch_id);
    column_copy(st, 7, c->remote_state, sizeof c->remote_state);
    c->lines = (long)sqlite3_column_int64(st, 8);
    c->bytes = sqlite3_column_int64(st, 9);
    c->est_tokens = sqlite3_column_double(st, 10);
    c->reserved_usd = sqlite3_column_double(st, 11);
    c->succeeded = (long)sqlite3_column_int64(st, 12);
    c->failed = (long)sqlite3_column_int64(st, 13);
    c->pending = (long)sqlite3_column_int64(st, 14);
    c->created_at = sqlite3_column_double(st, 15);
    c->submitted_at = sqlite3_column_double(st, 16);
    c->updated_at = sqlite3_column_double(st, 17);
    return 0;
}

int journal_chunk_add(journal_t *j, const journal_chunk_t *c)
{
    sqlite3_stmt *st = stmt(j, JB_CHUNK_ADD);
    if (!st || journal_write_begin(j))
        return -1;
    chunk_bind(st, c);
    return journal_write_step(j, st);
}

int journal_chunk_update(journal_t *j, const journal_chunk_t *c)
{
    sqlite3_stmt *st = stmt(j, JB_CHUNK_UPDATE);
    if (!st || journal_write_begin(j))
        return -1;
    chunk_bind(st, c);
    if (journal_write_step(j, st))
        return -1;
    return sqlite3_changes(journal_db(j)) == 1 ? 0 : -1;
}

long journal_chunk_foreach(journal_t *j, int open_only,
                           int (*fn)(const journal_chunk_t *c, void *ctx), void *ctx)
{
    sqlite3_stmt *st = stmt(j, JB_CHUNK_PAGE);
    journal_chunk_t *page = calloc(CHUNK_PAGE, sizeof *page);
    char last[sizeof page->key] = "";
    long called = 0;
    int stop = 0;
    if (!st || !page) {
        free(page);
        return -1;
    }
    while (!stop) {
        int n = 0, rc = SQLITE_DONE;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)strlen(last));
        sqlite3_bind_text(st, 2, last, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, open_only != 0);
        sqlite3_bind_int(st, 4, CHUNK_PAGE);
        while (n < CHUNK_PAGE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (chunk_read(st, &page[n]) != 0) {
                rc = SQLITE_CORRUPT;
                break;
            }
            n++;
        }
        if (n == CHUNK_PAGE)
            rc = SQLITE_DONE; /* a full page: the next one says whether there is more */
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE) {
            free(page);
            return -1;
        }
        for (int i = 0; i < n && !stop; i++) {
            called++;
            stop = fn && fn(&page[i], ctx) != 0;
        }
        if (n < CHUNK_PAGE)
            break;
        memcpy(last, page[n - 1].key, sizeof last);
    }
    free(page);
    return called;
}

long journal_chunk_next_number(journal_t *j)
{
    sqlite3_stmt *st = stmt(j, JB_CHUNK_MAX);
    if (!st)
        return -1;
    long next = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        next = (long)sqlite3_column_int64(st, 0) + 1;
    sqlite3_reset(st);
    return next;
}

int journal_batch_line_add(journal_t *j, const journal_batch_line_t *l)
{
    sqlite3_stmt *st = stmt(j, JB_LINE_ADD), *item = stmt(j, JB_ITEM_BATCHED);
    if (!st || !item || !l->item_id || journal_write_begin(j))
        return -1;
    const char *source = l->source ? l->source : l->item_id;
    sqlite3_bind_text(st, 1, l->custom_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, l->chunk, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, l->item_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, source, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 5, l->hash);
    bind_text_or_null(st, 6, l->meta_json);
    bind_text_or_null(st, 7, l->cache_key);
    bind_text_or_null(st, 8, l->copy_of);
    bind_text_or_null(st, 9, l->model);
    sqlite3_bind_int(st, 10, l->attempt);
    sqlite3_bind_int(st, 11, l->json_retries);
    sqlite3_bind_double(st, 12, l->reserved_usd);
    sqlite3_bind_double(st, 13, l->est_tokens);
    sqlite3_bind_double(st, 14, l->earlier_cost_usd);
    if (journal_write_step(j, st))
        return -1;
    sqlite3_bind_text(item, 1, l->item_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(item, 2, source, -1, SQLITE_TRANSIENT);
    bind_text_or_null(item, 3, l->hash);
    sqlite3_bind_int(item, 4, l->attempt);
    sqlite3_bind_double(item, 5, journal_wall_now());
    return journal_write_step(j, item);
}

/* A malloc'd copy of column col, or NULL when it is NULL. Sets *oom when a copy failed. */
static char *column_dup(sqlite3_stmt *st, int col, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    char *s = strdup((const char *)t);
    if (!s)
        *oom = 1;
    return s;
}

/* Reads the row st stands on (LINE_COLUMNS) into *l, strings malloc'd. Returns 0, or -1
 * when out of memory (l is cleared). */
static int line_read(sqlite3_stmt *st, journal_batch_line_t *l)
{
    int oom = 0;
    memset(l, 0, sizeof *l);
    column_copy(st, 0, l->custom_id, sizeof l->custom_id);
    column_copy(st, 1, l->chunk, sizeof l->chunk);
    l->item_id = column_dup(st, 2, &oom);
    l->source = column_dup(st, 3, &oom);
    l->hash = column_dup(st, 4, &oom);
    l->meta_json = column_dup(st, 5, &oom);
    l->cache_key = column_dup(st, 6, &oom);
    l->copy_of = column_dup(st, 7, &oom);
    l->model = column_dup(st, 8, &oom);
    l->attempt = sqlite3_column_int(st, 9);
    l->json_retries = sqlite3_column_int(st, 10);
    l->reserved_usd = sqlite3_column_double(st, 11);
    l->est_tokens = sqlite3_column_double(st, 12);
    l->earlier_cost_usd = sqlite3_column_double(st, 13);
    l->done = sqlite3_column_int(st, 14);
    if (oom || !l->item_id || !l->source) {
        journal_batch_line_clear(l);
        return -1;
    }
    return 0;
}

void journal_batch_line_clear(journal_batch_line_t *l)
{
    if (!l)
        return;
    free(l->item_id);
    free(l->source);
    free(l->hash);
    free(l->meta_json);
    free(l->cache_key);
    free(l->copy_of);
    free(l->model);
    l->item_id = l->source = l->hash = l->meta_json = l->cache_key = l->copy_of = l->model = NULL;
}

int journal_batch_line_get(journal_t *j, const char *custom_id, journal_batch_line_t *out)
{
    sqlite3_stmt *st = stmt(j, JB_LINE_GET);
    memset(out, 0, sizeof *out);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, custom_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW)
        found = line_read(st, out) == 0 ? 1 : -1;
    else if (rc != SQLITE_DONE)
        found = -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return found;
}

int journal_batch_line_done(journal_t *j, const char *custom_id)
{
    sqlite3_stmt *st = stmt(j, JB_LINE_DONE);
    if (!st || journal_write_begin(j))
        return -1;
    sqlite3_bind_text(st, 1, custom_id, -1, SQLITE_TRANSIENT);
    if (journal_write_step(j, st))
        return -1;
    return sqlite3_changes(journal_db(j)) == 1 ? 0 : -1;
}

/* Pages through the lines statement which (JB_LINES_OPEN or JB_COPIES, keyed by key)
 * selects, calling fn for each. Returns the count of calls, or -1. */
static long lines_foreach(journal_t *j, int which, const char *key,
                          int (*fn)(const journal_batch_line_t *l, void *ctx), void *ctx)
{
    sqlite3_stmt *st = stmt(j, which);
    journal_batch_line_t *page = calloc(LINE_PAGE, sizeof *page);
    char last[sizeof page->custom_id] = "";
    long called = 0;
    int stop = 0, failed = 0;
    if (!st || !page) {
        free(page);
        return -1;
    }
    while (!stop && !failed) {
        int n = 0, rc = SQLITE_DONE;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, last, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, LINE_PAGE);
        while (n < LINE_PAGE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (line_read(st, &page[n]) != 0) {
                rc = SQLITE_NOMEM;
                break;
            }
            n++;
        }
        if (n == LINE_PAGE)
            rc = SQLITE_DONE;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        failed = rc != SQLITE_DONE;
        for (int i = 0; i < n && !stop && !failed; i++) {
            called++;
            stop = fn && fn(&page[i], ctx) != 0;
        }
        if (n > 0)
            memcpy(last, page[n - 1].custom_id, sizeof last);
        for (int i = 0; i < n; i++)
            journal_batch_line_clear(&page[i]);
        if (n < LINE_PAGE)
            break;
    }
    free(page);
    return failed ? -1 : called;
}

long journal_batch_lines_open(journal_t *j, const char *chunk,
                              int (*fn)(const journal_batch_line_t *l, void *ctx), void *ctx)
{
    return lines_foreach(j, JB_LINES_OPEN, chunk, fn, ctx);
}

long journal_batch_copies(journal_t *j, const char *custom_id,
                          int (*fn)(const journal_batch_line_t *l, void *ctx), void *ctx)
{
    return lines_foreach(j, JB_COPIES, custom_id, fn, ctx);
}

int journal_batch_first_by_key(journal_t *j, const char *cache_key, char *out, size_t n)
{
    sqlite3_stmt *st = stmt(j, JB_FIRST_BY_KEY);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, cache_key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return found;
}

int journal_batch_copies_move(journal_t *j, const char *from, const char *to)
{
    sqlite3_stmt *st = stmt(j, JB_COPIES_MOVE);
    if (!st || journal_write_begin(j))
        return -1;
    sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT);
    return journal_write_step(j, st) ? -1 : 0;
}

double journal_batch_open_reserved(journal_t *j)
{
    sqlite3_stmt *st = stmt(j, JB_OPEN_RESERVED);
    if (!st)
        return -1;
    double sum = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : -1;
    sqlite3_reset(st);
    return sum;
}
