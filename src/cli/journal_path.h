/* journal_path.h - telling the user what is wrong with the JOURNAL argument of `status`
 * and `export` before SQLite does ("unable to open database file", "file is not a
 * database" name neither the file nor the way out). */
#ifndef VB_JOURNAL_PATH_H
#define VB_JOURNAL_PATH_H

#include <stddef.h>

/* Checks that path names a file that starts like an SQLite database. Returns 0, or -1
 * with the message for the user in err: "no journal at PATH" (missing) or "PATH is not a
 * visionbatch journal" (another kind of file, e.g. the results .jsonl), followed by
 * "; did you mean OTHER?" when PATH.journal, the same name with .journal instead of its
 * extension, or else another *.journal file in the same directory exists. */
int journal_path_check(const char *path, char *err, size_t errlen);

#endif
