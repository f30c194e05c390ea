/* batchapi_chunk.h - a chunk's files next to the journal: the lines file, one
 * "custom_id body" line per request as it was added (what a resubmission re-reads), and
 * the upload file, the same lines framed the provider's way (batch_codec_t). Both live
 * in "JOURNAL.batches/" and go once the chunk's results are in. */
#ifndef VB_BATCHAPI_CHUNK_H
#define VB_BATCHAPI_CHUNK_H

#include "provider/batch_api.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* The directory of a journal's chunk files ("PATH.batches"), created when missing.
 * Returns 0, or -1 with err set. */
int chunk_dir(const char *journal_path, char *dir, size_t n, char *err, size_t errlen);

/* The two files of chunk key in dir. */
void chunk_paths(const char *dir, const char *key, char *lines, char *upload, size_t n);

/* Bytes the framed line for custom_id adds to the upload file around a body of body_len
 * bytes, its separator included; -1 when out of memory. */
long chunk_framed_bytes(const batch_codec_t *codec, const char *custom_id, size_t body_len,
                        const char *model);

/* Appends "custom_id body\n" to f and flushes it. Returns 0, or -1 (disk full...). */
int chunk_append(FILE *f, const char *custom_id, const char *body, size_t len);

/* Called for each line of a lines file: custom_id, the body, its 1-based line number.
 * Returns 0 to go on. */
typedef int (*chunk_line_fn)(const char *custom_id, const char *body, size_t len, void *ctx);

/* Reads the lines file at path, calling fn per well-formed line (a partial last line,
 * cut by a crash, is passed over). Returns the number of lines, or -1 when it cannot be
 * read. fn may be NULL (counting only). */
long chunk_foreach_line(const char *path, chunk_line_fn fn, void *ctx);

/* Writes the upload file for the lines of lines_path that keep(custom_id, keep_ctx)
 * says belong to it (the journal's open lines of the chunk), framed by codec. *bytes and
 * *lines get the file's size and line count. Returns 0, or -1 with err set. */
int chunk_frame(const batch_codec_t *codec, const char *lines_path, const char *upload_path,
                const char *model, int (*keep)(const char *custom_id, void *ctx), void *keep_ctx,
                long long *bytes, long *lines, char *err, size_t errlen);

/* Flushes both files of chunk key to the disk (before the journal calls it sealed, so a
 * power loss cannot leave journaled lines without their bodies). Returns 0, or -1. */
int chunk_sync(const char *dir, const char *key);

/* Deletes the chunk's files. */
void chunk_remove_files(const char *dir, const char *key);

#endif
