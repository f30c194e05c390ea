/* file_stamp.h - a file's modification time as one number, for the journal's stamps. */
#ifndef VB_FILE_STAMP_H
#define VB_FILE_STAMP_H

#include <sys/stat.h>

/* st's modification time in nanoseconds since the epoch. */
long long file_mtime_ns(const struct stat *st);

#endif
