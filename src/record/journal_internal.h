/* journal_internal.h - what journal.c shares with journal_batch.c, which keeps a
 * batch_api job's chunks and lines in the same SQLite file, on the same connection and in
 * the same write transactions. Private to src/record/. */
#ifndef VB_JOURNAL_INTERNAL_H
#define VB_JOURNAL_INTERNAL_H

#include "record/journal.h"

#include <sqlite3.h>

/* Wall-clock time now, in Unix seconds (what the journal's *_at columns hold). */
double journal_wall_now(void);

/* The journal's connection (owned by j). */
sqlite3 *journal_db(journal_t *j);

/* Opens the write transaction if none is open and counts one write: writes made after it
 * are committed together by journal_tick. Returns 0, or -1 (the journal is then failed). */
int journal_write_begin(journal_t *j);

/* Steps a bound write statement to its end and resets it (bindings cleared). A failure
 * marks the journal failed (journal_tick then reports it). Returns 0, or -1. */
int journal_write_step(journal_t *j, sqlite3_stmt *st);

/* journal_batch.c's prepared statements, kept on the journal: NULL until its first use,
 * freed by journal_close through journal_batch_statements_free. */
struct journal_batch_statements;
struct journal_batch_statements **journal_batch_slot(journal_t *j);

/* journal_batch.c: creates its tables and indexes when they do not exist (so an older
 * journal gains them when it is opened). Returns SQLITE_OK or an SQLite error code. */
int journal_batch_schema(sqlite3 *db);

/* journal_batch.c: how many chunks the provider may hold open (creating or submitted:
 * a batch that runs, or may, and is not collected), or -1 when the database cannot say.
 * A new job in the journal would lose track of them. */
long journal_batch_remote_open(sqlite3 *db);

/* journal_batch.c: finalizes the statements. NULL is a no-op. */
void journal_batch_statements_free(struct journal_batch_statements *s);

#endif
