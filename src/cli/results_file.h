/* results_file.h - the JSONL results file of `run` and `worker`: one line per image,
 * flushed as each result arrives, so a crash loses no finished line. */
#ifndef VB_RESULTS_FILE_H
#define VB_RESULTS_FILE_H

#include <stddef.h>

typedef struct results_file results_file_t;

/* Opens (truncating) path for results; NULL or "-" means standard output. Returns NULL
 * with a reason in err. Close with results_file_close. */
results_file_t *results_file_open(const char *path, char *err, size_t errlen);

/* Writes one line (a newline is added) and flushes it. Returns 0, or -1 on a write
 * error. */
int results_file_write(results_file_t *f, const char *line);

/* Flushes and closes (standard output is flushed, not closed). Returns 0, or -1 with a
 * reason in err when anything written was lost. NULL is a no-op returning 0. */
int results_file_close(results_file_t *f, char *err, size_t errlen);

#endif
