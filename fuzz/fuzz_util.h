/* fuzz_util.h - what the libFuzzer targets share: a scratch file per process (for the
 * parsers that read files: manifests, INI), and a check that aborts with a reason, so a
 * broken invariant is a crash libFuzzer keeps. Header-only: each target is one program. */
#ifndef VB_FUZZ_UTIL_H
#define VB_FUZZ_UTIL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Aborts (a crash libFuzzer records with its input) when cond is false. */
#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static char fuzz_dir_[256];
static char fuzz_file_[320];

/* Removes the scratch directory (atexit: libFuzzer ends through exit()); the targets
 * unlink their file after each input. */
static inline void fuzz_scratch_cleanup(void)
{
    if (fuzz_dir_[0])
        rmdir(fuzz_dir_);
}

/* The path of this process's scratch file named name (it decides the parser: ".txt",
 * ".jsonl", ".ini"). The directory is private and made once per process, in /dev/shm
 * when it exists so the round trip costs no disk I/O; it is removed at exit. The
 * returned buffer is reused by the next call. */
static inline const char *fuzz_scratch_file(const char *name)
{
    if (!fuzz_dir_[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/vb-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir_)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_scratch_cleanup);
    }
    snprintf(fuzz_file_, sizeof fuzz_file_, "%s/%s", fuzz_dir_, name);
    return fuzz_file_;
}

/* Replaces the contents of path with data[0..size). Aborts on an I/O error: the harness
 * must not mistake its own failure for the parser's. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        FUZZ_CHECK(n > 0);
        off += (size_t)n;
    }
    FUZZ_CHECK(close(fd) == 0);
}

/* A malloc'd NUL-terminated copy of data[0..size) (the parsers take C strings). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
