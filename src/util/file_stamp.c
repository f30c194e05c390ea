/* file_stamp.c - a file's modification time as one number. */
#include "util/file_stamp.h"

long long file_mtime_ns(const struct stat *st)
{
    return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}
