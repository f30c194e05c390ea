/* fetch_tmpdir.h - the private folder --fetch-urls downloads into.
 *
 * It is $TMPDIR (else /tmp)/visionbatch-fetch.<pid>.XXXXXX, made with mkdtemp (mode 700).
 * A run removes its own at the end (fetch_free); one that could not (killed, a second
 * Ctrl-C) leaves it behind, and the next run with --fetch-urls removes every such folder
 * of the same user whose pid no longer runs. */
#ifndef VB_FETCH_TMPDIR_H
#define VB_FETCH_TMPDIR_H

#include <stddef.h>

/* Sweeps the stale folders, then makes this run's into dir (len bytes). Returns 0, or -1
 * with a reason in err and dir empty. */
int fetch_tmpdir_make(char *dir, size_t len, char *err, size_t errlen);

#endif
