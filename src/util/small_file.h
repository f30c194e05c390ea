/* small_file.h - reading a small file (a prompt, a key, a price table) whole. */
#ifndef VB_SMALL_FILE_H
#define VB_SMALL_FILE_H

#include <stddef.h>

/* Reads path whole, refusing more than max bytes. Returns a malloc'd, NUL-terminated
 * buffer (the caller frees it) with its size in *len (len may be NULL), or NULL with
 * the reason alone ("No such file or directory", "file too large", ...) in err. */
char *small_file_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif
