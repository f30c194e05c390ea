/* file_kind.c - error kinds for paths that are not readable image files. */
#include "input/file_kind.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *file_kind_open_error(const char *path, int e, char *msg, size_t msglen)
{
    struct stat lst;
    if (e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        snprintf(msg, msglen, "dangling symbolic link: its target does not exist");
        return "dangling_link";
    }
    snprintf(msg, msglen, "cannot open: %s", strerror(e));
    if (e == ENOENT || e == ENOTDIR)
        return "not_found";
    if (e == ELOOP)
        return "link_loop";
    if (e == EACCES || e == EPERM)
        return "permission_denied";
    return "unreadable";
}

const char *file_kind_type_name(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}
