/* request.c - a request's lifetime (request.h): freeing it, failing it, and reading
 * the file it names. Here rather than in prepare.c because every stage after prepare
 * frees requests, and provider/openai_batch_lines.c reads the images of a batch line:
 * none of them should need the preparing threads to do it. */
#include "prepare/request.h"

#include "input/file_kind.h"
#include "util/file_stamp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void request_free(request_t *r)
{
    if (!r)
        return;
    input_item_clear(&r->item);
    free(r->body);
    free(r->cached_line);
    for (size_t i = 0; i < r->n_members; i++)
        request_free(r->members[i]);
    free(r->members);
    free(r->model);
    free(r);
}

void request_fail(request_t *r, const char *kind, const char *fmt, ...)
{
    va_list ap;
    r->error_kind = kind;
    va_start(ap, fmt);
    vsnprintf(r->error_message, sizeof r->error_message, fmt, ap);
    va_end(ap);
}

/* Fails r for a path whose stat or open failed with errno e (file_kind.h). */
static void fail_open(request_t *r, const char *path, int e)
{
    char why[256];
    const char *kind = file_kind_open_error(path, e, why, sizeof why);
    request_fail(r, kind, "%s", why);
}

/* Anything but a regular file (FIFO, device, directory, socket) is refused as not_a_file
 * before it is opened, and again after (O_NONBLOCK: a FIFO swapped in meanwhile cannot
 * block the thread). */
long request_read_file(request_t *r, const char *path, size_t max, unsigned char **buf, size_t *cap)
{
    struct stat pre;
    if (stat(path, &pre) != 0) {
        fail_open(r, path, errno);
        return -1;
    }
    if (!S_ISREG(pre.st_mode)) {
        request_fail(r, "not_a_file", "%s, not an image file", file_kind_type_name(pre.st_mode));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        fail_open(r, path, errno);
        return -1;
    }
    struct stat st;
    long result = -1;
    if (fstat(fd, &st) != 0) {
        request_fail(r, "unreadable", "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        request_fail(r, "not_a_file", "%s, not an image file", file_kind_type_name(st.st_mode));
        goto out;
    }
    if ((size_t)st.st_size > max) {
        request_fail(r, "too_large", "file is %lld bytes, over the limit of %zu bytes",
                     (long long)st.st_size, max);
        goto out;
    }
    size_t want = (size_t)st.st_size;
    if (want + 1 > *cap) {
        unsigned char *p = realloc(*buf, want + 1);
        if (!p) {
            request_fail(r, "internal", "out of memory reading %zu bytes", want);
            goto out;
        }
        *buf = p;
        *cap = want + 1;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, *buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            request_fail(r, "unreadable", "read error: %s", strerror(errno));
            goto out;
        }
        if (n == 0)
            break; /* shrank while reading: use what is there */
        got += (size_t)n;
    }
    result = (long)got;
    r->file_stamped = got == want; /* what the bytes read were: see request.h */
    r->file_size = (long long)st.st_size;
    r->file_mtime_ns = file_mtime_ns(&st);
out:
    close(fd);
    return result;
}
