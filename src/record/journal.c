/* journal.c - the SQLite job journal. */
#include "record/journal.h"

#include "record/journal_internal.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The items table's columns; schema 3 added 'batched' to the states (items_migrate);
 * schema 4 adds file_size and file_mtime_ns (items_stamp_columns) to every table, new ones
 * too, so one path makes them. */
#define ITEMS_COLUMNS                                                                          \
    "(id TEXT PRIMARY KEY,"                                                                    \
    "  seq INTEGER NOT NULL,"                                                                  \
    "  source TEXT NOT NULL,"                                                                  \
    "  content_hash TEXT,"                                                                     \
    "  state TEXT NOT NULL CHECK (state IN"                                                    \
    "    ('pending','in_flight','ok','failed','skipped','batched')),"                          \
    "  attempts INTEGER NOT NULL DEFAULT 0,"                                                   \
    "  cost_usd REAL,"                                                                         \
    "  result TEXT,"                                                                           \
    "  updated_at REAL NOT NULL)"

/* Per connection. */
static const char connection_settings[] = "PRAGMA synchronous=NORMAL;";

/* Creates what a journal of the current schema has (journal_mode persists in the file). */
static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS items " ITEMS_COLUMNS ";"
    "CREATE INDEX IF NOT EXISTS items_seq ON items(seq);"
    "CREATE TABLE IF NOT EXISTS attempts ("
    "  item_id TEXT NOT NULL, n INTEGER NOT NULL, finished_at REAL NOT NULL,"
    "  latency_ms REAL, http_status INTEGER, prompt_tokens INTEGER,"
    "  completion_tokens INTEGER, cost_usd REAL, error_kind TEXT, error_message TEXT,"
    "  PRIMARY KEY (item_id, n));"
    "CREATE TABLE IF NOT EXISTS cache ("
    "  key TEXT PRIMARY KEY, result TEXT NOT NULL, created_at REAL NOT NULL);"
    /* schema 2: the limits once a second, for the report (older journals lack it) */
    "CREATE TABLE IF NOT EXISTS samples ("
    "  t REAL NOT NULL, in_flight INTEGER, window INTEGER, concurrency INTEGER,"
    "  rpm REAL, tpm REAL, paused INTEGER);"
    /* schema 3: the 'batched' state, and journal_batch.c's tables */
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', '3');";

/* Schema 4: the size and modification time (ns) of the file whose bytes an item's
 * content_hash is of, so a later run tells a replaced photo from the same one without
 * reading it (journal_item_stamp). Nullable: rows of older journals, URLs. */
static const char items_stamp_columns[] = "BEGIN IMMEDIATE;"
                                          "ALTER TABLE items ADD COLUMN file_size INTEGER;"
                                          "ALTER TABLE items ADD COLUMN file_mtime_ns INTEGER;"
                                          "INSERT OR REPLACE INTO meta VALUES"
                                          " ('schema_version', '4');"
                                          "COMMIT;";

/* A journal of schema 1 or 2 allows no 'batched' item: SQLite cannot change a CHECK, so
 * its items table is copied into one that does, in one transaction (SQLite's documented
 * way to change a table's definition). Rows, order (seq) and the index stay the same. */
static const char items_migrate[] =
    "BEGIN IMMEDIATE;"
    "DROP TABLE IF EXISTS items_v3;"
    "CREATE TABLE items_v3 " ITEMS_COLUMNS ";"
    "INSERT INTO items_v3 SELECT id, seq, source, content_hash, state, attempts, cost_usd,"
    "  result, updated_at FROM items;"
    "DROP TABLE items;"
    "ALTER TABLE items_v3 RENAME TO items;"
    "CREATE INDEX IF NOT EXISTS items_seq ON items(seq);"
    "INSERT OR REPLACE INTO meta VALUES ('schema_version', '3');"
    "COMMIT;";

enum {
    ST_SENT,
    ST_ATTEMPT,
    ST_DONE,
    ST_CACHE_PUT,
    ST_SAMPLE,
    ST_STAMP,
    ST_COUNT
};

static const char *const statements[ST_COUNT] = {
    [ST_SENT] = "INSERT INTO items (id, seq, source, content_hash, state, attempts, updated_at)"
                " VALUES (?1, (SELECT IFNULL(MAX(seq), 0) + 1 FROM items), ?2, ?3, 'in_flight',"
                " ?4, ?5)"
                " ON CONFLICT(id) DO UPDATE SET state = 'in_flight', attempts = ?4,"
                " content_hash = IFNULL(?3, content_hash), updated_at = ?5",
    [ST_ATTEMPT] = "INSERT OR REPLACE INTO attempts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                   " ?10)",
    [ST_DONE] = "INSERT INTO items (id, seq, source, content_hash, state, attempts, cost_usd,"
                " result, updated_at)"
                " VALUES (?1, (SELECT IFNULL(MAX(seq), 0) + 1 FROM items), ?2, ?3, ?4, ?5, ?6,"
                " ?7, ?8)"
                " ON CONFLICT(id) DO UPDATE SET state = ?4, attempts = ?5, cost_usd = ?6,"
                " result = ?7, content_hash = IFNULL(?3, content_hash), updated_at = ?8",
    [ST_CACHE_PUT] = "INSERT OR REPLACE INTO cache VALUES (?1, ?2, ?3)",
    [ST_SAMPLE] = "INSERT INTO samples VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_STAMP] = "UPDATE items SET file_size = ?2, file_mtime_ns = ?3 WHERE id = ?1",
};

struct journal {
    int lock_fd; /* flock on PATH.lock: one run per journal at a time */
    char *lock_path; /* PATH.lock, removed by journal_close while the flock is held */
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    int in_tx;
    int writes;
    uint64_t tx_started_ns;
    int failed;
    int read_only; /* opened by journal_open_existing: no statement writes */
    struct journal_batch_statements *batch; /* journal_batch.c's, once used */
};

struct journal_reader {
    sqlite3 *db;
    sqlite3_stmt *state; /* journal_reader_item's columns */
    sqlite3_stmt *cached;
};

static const char *const state_names[] = {"none",   "pending", "in_flight", "ok",
                                          "failed", "skipped", "batched"};

const char *journal_state_name(journal_state_t s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "none";
}

static journal_state_t state_from_name(const char *name)
{
    for (size_t i = 1; name && i < sizeof state_names / sizeof state_names[0]; i++)
        if (strcmp(name, state_names[i]) == 0)
            return (journal_state_t)i;
    return JOURNAL_NONE;
}

double journal_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *journal_errmsg(journal_t *j)
{
    return j && j->db ? sqlite3_errmsg(j->db) : "no journal";
}

/* Takes the journal's run lock (lock, "PATH.lock", flock): two runs writing one journal
 * would both send everything. The run that holds it removes the file when it ends
 * (journal_close), so a run may open the file just before it is removed and then win
 * the flock on a file no longer at that path, while a later run creates and locks a new
 * one: the lock only counts when the descriptor is still the file at the path, else it
 * is taken again. Returns the descriptor, or -1 with err set. */
static int journal_lock(const char *path, const char *lock, char *err, size_t errlen)
{
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "journal %s: %s", lock, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(err, errlen, "journal %s is in use by another visionbatch run", path);
            close(fd);
            return -1;
        }
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(lock, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino)
            return fd;
        close(fd); /* removed (and maybe made again) by a run that ended meanwhile */
    }
    snprintf(err, errlen, "journal %s: its lock file keeps being replaced", path);
    return -1;
}

/* Whether the items table allows the 'batched' state (schema 3). Returns 1, 0, or -1
 * when the database cannot say. */
static int items_allow_batched(sqlite3 *db)
{
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND"
                               " name = 'items'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        rc = sql && strstr(sql, "'batched'") ? 1 : 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether the items table has schema 4's file_size and file_mtime_ns. Returns 1, 0, or
 * -1 when the database cannot say. */
static int items_have_stamp(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM pragma_table_info('items') WHERE name IN"
                               " ('file_size', 'file_mtime_ns')",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) == 2 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Whether the journal already is of schema 4: then opening it writes nothing, so a
 * reader (status, while a run holds a write transaction) does not wait for the writer. */
static int schema_current(sqlite3 *db)
{
    sqlite3_stmt *st;
    int current = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK)
        return 0; /* no meta table: a new file */
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        current = v && strcmp(v, "4") == 0;
    }
    sqlite3_finalize(st);
    return current && items_allow_batched(db) == 1 && items_have_stamp(db) == 1;
}

static char *db_meta_get(sqlite3 *db, const char *key);

/* Whether a reader can read the journal as it is, without upgrading it: schema 3 (the
 * tables and states of a batch job; no file stamps, which the readers do without) or 4. */
static int schema_readable(sqlite3 *db)
{
    char *v = db_meta_get(db, "schema_version");
    int readable = v && (strcmp(v, "3") == 0 || strcmp(v, "4") == 0);
    free(v);
    return readable && items_allow_batched(db) == 1;
}

/* Runs one step of an upgrade: nothing when has() says the journal has it (1), else the
 * transaction sql. Returns SQLITE_OK or an error code (the transaction rolled back). */
static int upgrade_step(sqlite3 *db, int (*has)(sqlite3 *db), const char *sql)
{
    int present = has(db);
    if (present == 1)
        return SQLITE_OK;
    if (present < 0)
        return SQLITE_ERROR;
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Brings an older journal's items table to schema 4: the 'batched' state
 * (items_migrate), then the file stamp columns (items_stamp_columns). */
static int items_upgrade(sqlite3 *db)
{
    int rc = upgrade_step(db, items_allow_batched, items_migrate);
    return rc == SQLITE_OK ? upgrade_step(db, items_have_stamp, items_stamp_columns) : rc;
}

/* Opens the journal with the given sqlite3_open_v2 flags; a writer (lock) takes the run
 * lock first. An older journal gains the tables, states and columns of schema 4 either
 * way, so its schema_version never claims more than it holds. */
static journal_t *journal_open_flags(const char *path, int flags, int lock, char *err,
                                     size_t errlen)
{
    journal_t *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->lock_fd = -1;
    if (lock) {
        size_t n = strlen(path) + sizeof ".lock";
        if (!(j->lock_path = malloc(n))) {
            snprintf(err, errlen, "out of memory");
            free(j);
            return NULL;
        }
        snprintf(j->lock_path, n, "%s.lock", path);
        if ((j->lock_fd = journal_lock(path, j->lock_path, err, errlen)) < 0) {
            free(j->lock_path);
            free(j);
            return NULL;
        }
    }
    if (sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(j->db, 5000) != SQLITE_OK ||
        sqlite3_exec(j->db, connection_settings, NULL, NULL, NULL) != SQLITE_OK ||
        (!schema_current(j->db) &&
         (sqlite3_exec(j->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
          journal_batch_schema(j->db) != SQLITE_OK || items_upgrade(j->db) != SQLITE_OK)))
        goto fail;
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(j->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &j->st[i],
                               NULL) != SQLITE_OK)
            goto fail;
    return j;
fail:
    snprintf(err, errlen, "journal %s: %s", path, j->db ? sqlite3_errmsg(j->db) : "cannot open");
    journal_close(j);
    return NULL;
}

journal_t *journal_open(const char *path, char *err, size_t errlen)
{
    return journal_open_flags(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1, err, errlen);
}

/* Writes "file:PATH?immutable=1" into out with PATH's URI-special bytes escaped.
 * Returns 0, or -1 when it does not fit. */
static int immutable_uri(const char *path, char *out, size_t outlen)
{
    static const char suffix[] = "?immutable=1";
    size_t n = (size_t)snprintf(out, outlen, "file:");
    for (const char *c = path; *c; c++) {
        if (n + 3 + sizeof suffix > outlen)
            return -1;
        if (*c == '%' || *c == '?' || *c == '#')
            n += (size_t)snprintf(out + n, outlen - n, "%%%02X", (unsigned char)*c);
        else
            out[n++] = *c;
    }
    if (n + sizeof suffix > outlen)
        return -1;
    memcpy(out + n, suffix, sizeof suffix);
    return 0;
}

sqlite3 *journal_snapshot_open(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
        sqlite3_exec(db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL) == SQLITE_OK)
        return db;
    /* A closed WAL journal in a folder its reader may not write: SQLite cannot make the
     * -shm it needs (SQLITE_READONLY_CANTINIT). Nothing is writing it (a writer keeps a
     * -wal file), so it is read as an immutable file. */
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_CANTOPEN;
    char wal[4200], uri[12800];
    if ((code & 0xff) == SQLITE_READONLY &&
        (size_t)snprintf(wal, sizeof wal, "%s-wal", path) < sizeof wal && access(wal, F_OK) != 0 &&
        access(path, R_OK) == 0 && immutable_uri(path, uri, sizeof uri) == 0) {
        sqlite3_close(db);
        db = NULL;
        if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK)
            return db;
    }
    snprintf(err, errlen, "journal %s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return NULL;
}

/* A journal of schema 3 or 4 is opened read-only: no lock is taken and nothing is
 * written, so it reads a consistent snapshot (WAL) at any moment of a run, and a journal
 * its reader may not write (another user's, a read-only mount, a copy) reads as well.
 * An older one is brought to the current schema first, as a run would. */
journal_t *journal_open_existing(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = journal_snapshot_open(path, err, errlen);
    if (!db)
        return NULL;
    if (!schema_readable(db)) { /* older than any release that wrote batch tables */
        sqlite3_close(db);
        return journal_open_flags(path, SQLITE_OPEN_READWRITE, 0, err, errlen);
    }
    journal_t *j = calloc(1, sizeof *j);
    if (!j) {
        sqlite3_close(db);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->lock_fd = -1;
    j->db = db;
    j->read_only = 1; /* its write statements stay unprepared: journal_begin refuses */
    return j;
}

/* A meta value of the database db (the writer's or a reader's), malloc'd, or NULL. */
static char *db_meta_get(sqlite3 *db, const char *key)
{
    sqlite3_stmt *st;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL))
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static char *meta_get(journal_t *j, const char *key)
{
    return db_meta_get(j->db, key);
}

static int meta_set(journal_t *j, const char *key, const char *value)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", -1, &st, NULL))
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Names the parameters that differ between two jobs' canonical JSON texts, with the
 * start of the journal's value ("prompt (was \"Describe...\") differs"), so a long
 * prompt or schema cannot hide the one that changed. */
static void params_differ(const char *a_text, const char *b_text, char *out, size_t outlen)
{
    json_t *a = json_loads(a_text, 0, NULL), *b = json_loads(b_text, 0, NULL);
    size_t len = 0, count = 0;
    out[0] = '\0';
    const char *key;
    json_t *v;
    for (int pass = 0; pass < 2 && json_is_object(a) && json_is_object(b); pass++) {
        json_t *one = pass ? b : a, *other = pass ? a : b;
        json_object_foreach(one, key, v)
        {
            json_t *w = json_object_get(other, key);
            if ((pass == 0 && !json_equal(v, w)) || (pass == 1 && !w)) {
                char *was = pass ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                int n = snprintf(out + len, outlen - len, "%s%s (was %.60s%s)", len ? ", " : "",
                                 key, was ? was : "not set",
                                 was && strlen(was) > 60 ? "..." : "");
                free(was);
                if (n > 0 && (size_t)n < outlen - len)
                    len += (size_t)n;
                count++;
            }
        }
    }
    snprintf(out + len, outlen - len, "%s", count == 1 ? " differs" : len ? " differ" : "they differ");
    json_decref(a);
    json_decref(b);
}

/* The refusal of a journal whose job (old) is not the one asked for (params). */
static void another_job(const char *old, const char *params, char *err, size_t errlen)
{
    char keys[200];
    params_differ(old, params, keys, sizeof keys);
    snprintf(err, errlen,
             "the journal belongs to a job with other request parameters (%s): resume "
             "with the same parameters, or pass --new-job to start a new job in it",
             keys);
}

int journal_bind_job(journal_t *j, const char *params_json, int new_job, char *err,
                     size_t errlen)
{
    journal_tick(j, 1);
    char *old = meta_get(j, "params");
    int rc;
    if (old && strcmp(old, params_json) == 0 && !new_job) {
        rc = 1;
    } else if (old && !new_job) {
        another_job(old, params_json, err, errlen);
        rc = -1;
    } else if (old && journal_batch_remote_open(j->db) != 0) {
        /* forgetting them would leave batches running (and billed) that no run collects */
        snprintf(err, errlen,
                 "the journal's job has provider batches that are not collected yet: run its "
                 "command again to collect them, or `visionbatch cancel JOURNAL`, before "
                 "--new-job");
        rc = -1;
    } else {
        rc = sqlite3_exec(j->db,
                          "BEGIN; DELETE FROM items; DELETE FROM attempts; DELETE FROM samples;"
                          " DELETE FROM chunks; DELETE FROM batch_lines; COMMIT;",
                          NULL, NULL, NULL) == SQLITE_OK &&
                     meta_set(j, "params", params_json) == 0
                 ? 0
                 : -1;
        if (rc)
            snprintf(err, errlen, "journal: %s", sqlite3_errmsg(j->db));
    }
    free(old);
    return rc;
}

/* Opens a transaction if none is open, and counts the write. */
static int journal_begin(journal_t *j)
{
    if (j->read_only)
        return -1;
    if (!j->in_tx) {
        if (sqlite3_exec(j->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            j->failed = 1;
            return -1;
        }
        j->in_tx = 1;
        j->writes = 0;
        j->tx_started_ns = clock_monotonic_ns();
    }
    j->writes++;
    return 0;
}

/* Steps a bound statement to completion and resets it. */
static int run(journal_t *j, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        j->failed = 1;
        return -1;
    }
    return 0;
}

sqlite3 *journal_db(journal_t *j)
{
    return j->db;
}

int journal_write_begin(journal_t *j)
{
    return journal_begin(j);
}

int journal_write_step(journal_t *j, sqlite3_stmt *st)
{
    return run(j, st);
}

struct journal_batch_statements **journal_batch_slot(journal_t *j)
{
    return &j->batch;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int journal_item_sent(journal_t *j, const char *id, const char *source, const char *hash,
                      int attempt)
{
    if (journal_begin(j))
        return -1;
    sqlite3_stmt *st = j->st[ST_SENT];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, source ? source : id, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 3, hash);
    sqlite3_bind_int(st, 4, attempt);
    sqlite3_bind_double(st, 5, journal_wall_now());
    return run(j, st);
}

int journal_attempt(journal_t *j, const char *id, int attempt, double latency_ms,
                    long http_status, long prompt_tokens, long completion_tokens, double cost_usd,
                    const char *error_kind, const char *error_message)
{
    if (journal_begin(j))
        return -1;
    sqlite3_stmt *st = j->st[ST_ATTEMPT];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_double(st, 3, journal_wall_now());
    sqlite3_bind_double(st, 4, latency_ms);
    if (http_status)
        sqlite3_bind_int64(st, 5, http_status);
    if (prompt_tokens >= 0)
        sqlite3_bind_int64(st, 6, prompt_tokens);
    if (completion_tokens >= 0)
        sqlite3_bind_int64(st, 7, completion_tokens);
    if (cost_usd >= 0)
        sqlite3_bind_double(st, 8, cost_usd);
    bind_text_or_null(st, 9, error_kind);
    bind_text_or_null(st, 10, error_message);
    return run(j, st);
}

int journal_item_done(journal_t *j, const char *id, const char *source, const char *hash,
                      journal_state_t state, int attempts, double cost_usd, const char *line,
                      const char *cache_key)
{
    if (journal_begin(j))
        return -1;
    sqlite3_stmt *st = j->st[ST_DONE];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, source ? source : id, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 3, hash);
    sqlite3_bind_text(st, 4, journal_state_name(state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, attempts);
    if (cost_usd >= 0)
        sqlite3_bind_double(st, 6, cost_usd);
    bind_text_or_null(st, 7, line);
    sqlite3_bind_double(st, 8, journal_wall_now());
    if (run(j, st))
        return -1;
    if (cache_key && state == JOURNAL_OK && line) {
        st = j->st[ST_CACHE_PUT];
        sqlite3_bind_text(st, 1, cache_key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, line, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 3, journal_wall_now());
        return run(j, st);
    }
    return 0;
}

int journal_item_stamp(journal_t *j, const char *id, long long size, long long mtime_ns)
{
    if (journal_begin(j))
        return -1;
    sqlite3_stmt *st = j->st[ST_STAMP];
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, size);
    sqlite3_bind_int64(st, 3, mtime_ns);
    return run(j, st);
}

int journal_sample(journal_t *j, long in_flight, long window, long concurrency, double rpm,
                   double tpm, int paused)
{
    if (journal_begin(j))
        return -1;
    sqlite3_stmt *st = j->st[ST_SAMPLE];
    sqlite3_bind_double(st, 1, journal_wall_now());
    sqlite3_bind_int64(st, 2, in_flight);
    sqlite3_bind_int64(st, 3, window);
    sqlite3_bind_int64(st, 4, concurrency);
    sqlite3_bind_double(st, 5, rpm);
    sqlite3_bind_double(st, 6, tpm);
    sqlite3_bind_int(st, 7, paused);
    return run(j, st);
}

int journal_tick(journal_t *j, int force)
{
    if (!j || !j->in_tx)
        return j && j->failed ? -1 : 0;
    uint64_t age_ms = (clock_monotonic_ns() - j->tx_started_ns) / 1000000;
    if (!force && j->writes < JOURNAL_BATCH_WRITES && age_ms < JOURNAL_BATCH_MS)
        return 0;
    j->in_tx = 0;
    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        j->failed = 1;
        if (!sqlite3_get_autocommit(j->db)) /* still open: end it so the state is known */
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return j->failed ? -1 : 0;
}

long journal_foreach_final(journal_t *j, int skip_failed,
                           int (*fn)(const journal_final_t *item, void *ctx), void *ctx)
{
    /* a journal opened without its upgrade to schema 4 is read as it is: no stamps */
    static const char *const queries[] = {
        "SELECT result, state, id, source, file_size, file_mtime_ns FROM items"
        " WHERE result IS NOT NULL AND state IN ('ok', 'failed') ORDER BY seq",
        "SELECT result, state, id, source, NULL, NULL FROM items"
        " WHERE result IS NOT NULL AND state IN ('ok', 'failed') ORDER BY seq"};
    sqlite3_stmt *st;
    long n = 0;
    journal_tick(j, 1);
    if (sqlite3_prepare_v2(j->db, queries[0], -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(j->db, queries[1], -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        journal_final_t item = {
            .line = (const char *)sqlite3_column_text(st, 0),
            .state = state_from_name((const char *)sqlite3_column_text(st, 1)),
            .id = (const char *)sqlite3_column_text(st, 2),
            .source = (const char *)sqlite3_column_text(st, 3),
            .stamped = sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
                       sqlite3_column_type(st, 5) == SQLITE_INTEGER,
            .file_size = sqlite3_column_int64(st, 4),
            .file_mtime_ns = sqlite3_column_int64(st, 5)};
        if (skip_failed && item.state == JOURNAL_FAILED)
            continue;
        if (fn(&item, ctx) != 0)
            break;
        n++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : -1;
}

/* journal_foreach_result's callback and its context, behind journal_foreach_final. */
typedef struct line_visit {
    int (*fn)(const char *line, journal_state_t state, void *ctx);
    void *ctx;
} line_visit_t;

static int visit_line(const journal_final_t *item, void *arg)
{
    line_visit_t *v = arg;
    return v->fn(item->line, item->state, v->ctx);
}

long journal_foreach_result(journal_t *j, int skip_failed,
                            int (*fn)(const char *line, journal_state_t state, void *ctx),
                            void *ctx)
{
    line_visit_t v = {fn, ctx};
    return journal_foreach_final(j, skip_failed, visit_line, &v);
}

char *journal_item_result(journal_t *j, const char *id, journal_state_t *state)
{
    sqlite3_stmt *st;
    char *line = NULL;
    *state = JOURNAL_NONE;
    if (sqlite3_prepare_v2(j->db, "SELECT result, state FROM items WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        line = strdup((const char *)sqlite3_column_text(st, 0));
        *state = state_from_name((const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return line;
}

static int write_line(const char *line, journal_state_t state, void *ctx)
{
    (void)state;
    return fputs(line, ctx) == EOF || fputc('\n', ctx) == EOF ? -1 : 0;
}

long journal_export(journal_t *j, FILE *out, int skip_failed)
{
    long n = journal_foreach_result(j, skip_failed, write_line, out);
    return n >= 0 && fflush(out) == 0 ? n : -1;
}

int journal_meta_set(journal_t *j, const char *key, const char *value)
{
    if (journal_begin(j))
        return -1;
    return meta_set(j, key, value);
}

char *journal_meta_get(journal_t *j, const char *key)
{
    return meta_get(j, key);
}

char *journal_cached(journal_t *j, const char *cache_key)
{
    sqlite3_stmt *st;
    char *line = NULL;
    if (sqlite3_prepare_v2(j->db, "SELECT result FROM cache WHERE key = ?1", -1, &st, NULL))
        return NULL;
    sqlite3_bind_text(st, 1, cache_key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        line = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return line;
}

long journal_cache_size(journal_t *j)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(j->db, "SELECT COUNT(*) FROM cache", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

long journal_recent_attempts(journal_t *j, double seconds)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(j->db, "SELECT COUNT(*) FROM attempts WHERE finished_at >= ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_double(st, 1, journal_wall_now() - seconds);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The meta key of journal_spent_unfinished_add's sum. */
#define SPENT_UNFINISHED_KEY "spent_unfinished_usd"

int journal_counts(journal_t *j, long counts[JOURNAL_STATE_COUNT], double *cost)
{
    sqlite3_stmt *st;
    memset(counts, 0, JOURNAL_STATE_COUNT * sizeof counts[0]);
    *cost = 0;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT state, COUNT(*), IFNULL(SUM(cost_usd), 0) FROM items GROUP BY"
                           " state",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        journal_state_t s = state_from_name((const char *)sqlite3_column_text(st, 0));
        counts[s] += sqlite3_column_int64(st, 1);
        *cost += sqlite3_column_double(st, 2);
    }
    char *unfinished = meta_get(j, SPENT_UNFINISHED_KEY);
    if (unfinished)
        *cost += strtod(unfinished, NULL);
    free(unfinished);
    return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

int journal_spent_unfinished_add(journal_t *j, double usd)
{
    char *was = meta_get(j, SPENT_UNFINISHED_KEY);
    char value[64];
    snprintf(value, sizeof value, "%.12g", (was ? strtod(was, NULL) : 0) + usd);
    free(was);
    return journal_meta_set(j, SPENT_UNFINISHED_KEY, value);
}

void journal_close(journal_t *j)
{
    if (!j)
        return;
    journal_tick(j, 1);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    journal_batch_statements_free(j->batch);
    sqlite3_close(j->db);
    if (j->lock_fd >= 0) { /* removed while held: see journal_lock */
        unlink(j->lock_path);
        close(j->lock_fd); /* releases the flock */
    }
    free(j->lock_path);
    free(j);
}

journal_reader_t *journal_reader_open(const char *path, char *err, size_t errlen)
{
    journal_reader_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* a journal older than schema 4 (not upgraded: only a writer does) has no stamps */
    static const char *const item_queries[] = {
        "SELECT state, content_hash, file_size, file_mtime_ns, cost_usd FROM items WHERE id = ?1",
        "SELECT state, content_hash, NULL, NULL, cost_usd FROM items WHERE id = ?1"};
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(r->db, 5000) != SQLITE_OK ||
        (sqlite3_prepare_v3(r->db, item_queries[0], -1, SQLITE_PREPARE_PERSISTENT, &r->state,
                            NULL) != SQLITE_OK &&
         sqlite3_prepare_v3(r->db, item_queries[1], -1, SQLITE_PREPARE_PERSISTENT, &r->state,
                            NULL) != SQLITE_OK) ||
        sqlite3_prepare_v3(r->db, "SELECT result FROM cache WHERE key = ?1", -1,
                           SQLITE_PREPARE_PERSISTENT, &r->cached, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "journal %s: %s", path,
                 r->db ? sqlite3_errmsg(r->db) : "cannot open");
        journal_reader_close(r);
        return NULL;
    }
    return r;
}

int journal_reader_item(journal_reader_t *r, const char *id, journal_item_row_t *row)
{
    memset(row, 0, sizeof *row);
    row->state = JOURNAL_NONE;
    sqlite3_bind_text(r->state, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(r->state);
    if (rc == SQLITE_ROW) {
        sqlite3_stmt *st = r->state;
        row->state = state_from_name((const char *)sqlite3_column_text(st, 0));
        const char *hash = (const char *)sqlite3_column_text(st, 1);
        snprintf(row->content_hash, sizeof row->content_hash, "%s", hash ? hash : "");
        row->stamped = sqlite3_column_type(st, 2) == SQLITE_INTEGER &&
                       sqlite3_column_type(st, 3) == SQLITE_INTEGER;
        row->file_size = sqlite3_column_int64(st, 2);
        row->file_mtime_ns = sqlite3_column_int64(st, 3);
        row->cost_usd = sqlite3_column_double(st, 4);
    }
    sqlite3_reset(r->state);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int journal_reader_state(journal_reader_t *r, const char *id, journal_state_t *state)
{
    journal_item_row_t row;
    int rc = journal_reader_item(r, id, &row);
    *state = row.state;
    return rc;
}

char *journal_reader_cached(journal_reader_t *r, const char *cache_key)
{
    char *line = NULL;
    sqlite3_bind_text(r->cached, 1, cache_key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(r->cached) == SQLITE_ROW)
        line = strdup((const char *)sqlite3_column_text(r->cached, 0));
    sqlite3_reset(r->cached);
    return line;
}

int journal_reader_job(journal_reader_t *r, const char *params_json, char *err, size_t errlen)
{
    char *old = db_meta_get(r->db, "params");
    int rc = !old ? 0 : strcmp(old, params_json) == 0 ? 1 : -1;
    if (rc < 0)
        another_job(old, params_json, err, errlen);
    free(old);
    return rc;
}

void journal_reader_close(journal_reader_t *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->state);
    sqlite3_finalize(r->cached);
    sqlite3_close(r->db);
    free(r);
}
