/* results_file.c - result lines into a file or standard output, each flushed at once. */
#include "results_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct results_file {
    FILE *f;
    char *path;
    int failed;
};

results_file_t *results_file_open(const char *path, char *err, size_t errlen)
{
    results_file_t *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return o;
    }
    o->path = strdup(path);
    o->f = fopen(path, "w");
    if (!o->f || !o->path) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (o->f)
            fclose(o->f);
        free(o->path);
        free(o);
        return NULL;
    }
    return o;
}

int results_file_write(results_file_t *out, const char *line)
{
    int rc =
        fputs(line, out->f) != EOF && fputc('\n', out->f) != EOF && fflush(out->f) == 0 ? 0 : -1;
    if (rc)
        out->failed = 1;
    return rc;
}

int results_file_close(results_file_t *out, char *err, size_t errlen)
{
    if (!out)
        return 0;
    int failed = out->failed || fflush(out->f) != 0;
    if (out->f != stdout && fclose(out->f) != 0)
        failed = 1;
    if (failed)
        snprintf(err, errlen, "writing results to %s failed: %s",
                 out->path ? out->path : "standard output", strerror(errno));
    free(out->path);
    free(out);
    return failed ? -1 : 0;
}
