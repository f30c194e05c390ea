/* file_kind.h - why a path is not a readable image file, as an error kind a run reports
 * (`run` and `estimate` give the same kinds: README "Bad input"). */
#ifndef VB_FILE_KIND_H
#define VB_FILE_KIND_H

#include <stddef.h>
#include <sys/types.h>

/* The error kind for a path whose stat or open failed with errno e: not_found,
 * dangling_link, link_loop, permission_denied (as the effective user: root reads what
 * it may) or unreadable; a one-line reason goes into msg. */
const char *file_kind_open_error(const char *path, int e, char *msg, size_t msglen);

/* "a directory", "a FIFO (named pipe)", "a character device", ... for a mode that is not
 * a regular file (the kind is then not_a_file). */
const char *file_kind_type_name(mode_t mode);

#endif
