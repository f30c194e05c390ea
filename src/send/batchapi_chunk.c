/* batchapi_chunk.c - a chunk's lines file and upload file (see batchapi_chunk.h). */
#include "send/batchapi_chunk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int chunk_dir(const char *journal_path, char *dir, size_t n, char *err, size_t errlen)
{
    if ((size_t)snprintf(dir, n, "%s.batches", journal_path) >= n - 64) { /* room for names */
        snprintf(err, errlen, "the journal's path is too long");
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

void chunk_paths(const char *dir, const char *key, char *lines, char *upload, size_t n)
{
    if (lines && (size_t)snprintf(lines, n, "%s/%s.lines", dir, key) >= n)
        lines[0] = '\0'; /* cannot be: chunk_dir leaves room */
    if (upload && (size_t)snprintf(upload, n, "%s/%s.upload", dir, key) >= n)
        upload[0] = '\0';
}

long chunk_framed_bytes(const batch_codec_t *codec, const char *custom_id, size_t body_len,
                        const char *model)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    /* the smallest body there is: the framing around it is what a line adds */
    long n = codec->line_write(f, custom_id, "{}", 2, model);
    fclose(f);
    free(text);
    return n < 2 ? -1 : n - 2 + (long)body_len + (long)strlen(codec->line_sep);
}

int chunk_append(FILE *f, const char *custom_id, const char *body, size_t len)
{
    if (fprintf(f, "%s ", custom_id) < 0 || fwrite(body, 1, len, f) != len ||
        fputc('\n', f) == EOF || fflush(f) != 0)
        return -1;
    return 0;
}

long chunk_foreach_line(const char *path, chunk_line_fn fn, void *ctx)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long n = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break; /* cut by a crash: never journaled */
        line[--len] = '\0';
        char *sp = memchr(line, ' ', (size_t)len);
        if (!sp || sp == line || sp - line > BATCH_CUSTOM_ID_MAX)
            continue;
        *sp = '\0';
        n++;
        if (fn && fn(line, sp + 1, (size_t)(len - (sp + 1 - line)), ctx) != 0)
            break;
    }
    free(line);
    fclose(f);
    return n;
}

typedef struct frame_ctx {
    const batch_codec_t *codec;
    const char *model;
    int (*keep)(const char *custom_id, void *ctx);
    void *keep_ctx;
    FILE *out;
    long long bytes;
    long lines;
    int failed;
} frame_ctx_t;

static int frame_line(const char *custom_id, const char *body, size_t len, void *arg)
{
    frame_ctx_t *c = arg;
    if (!c->keep(custom_id, c->keep_ctx))
        return 0;
    if (c->lines > 0) {
        if (fputs(c->codec->line_sep, c->out) == EOF)
            return c->failed = 1;
        c->bytes += (long long)strlen(c->codec->line_sep);
    }
    long n = c->codec->line_write(c->out, custom_id, body, len, c->model);
    if (n < 0)
        return c->failed = 1;
    c->bytes += n;
    c->lines++;
    return 0;
}

int chunk_frame(const batch_codec_t *codec, const char *lines_path, const char *upload_path,
                const char *model, int (*keep)(const char *custom_id, void *ctx), void *keep_ctx,
                long long *bytes, long *lines, char *err, size_t errlen)
{
    frame_ctx_t c = {.codec = codec, .model = model, .keep = keep, .keep_ctx = keep_ctx};
    if (!(c.out = fopen(upload_path, "wb"))) {
        snprintf(err, errlen, "cannot write %s: %s", upload_path, strerror(errno));
        return -1;
    }
    c.bytes = (long long)strlen(codec->file_head);
    int ok = fputs(codec->file_head, c.out) != EOF &&
             chunk_foreach_line(lines_path, frame_line, &c) >= 0 && !c.failed;
    if (ok) {
        /* a JSONL file ends with a newline after its last line, as line_sep puts between */
        const char *tail = codec->file_tail;
        ok = fputs(tail, c.out) != EOF;
        c.bytes += (long long)strlen(tail);
    }
    if (fclose(c.out) != 0)
        ok = 0;
    if (!ok) {
        snprintf(err, errlen, "cannot write %s (is the disk full?)", upload_path);
        return -1;
    }
    *bytes = c.bytes;
    *lines = c.lines;
    return 0;
}

/* Flushes the file at path to the disk. Returns 0, or -1. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int chunk_sync(const char *dir, const char *key)
{
    char lines[PATH_MAX], upload[PATH_MAX];
    chunk_paths(dir, key, lines, upload, sizeof lines);
    return sync_path(lines) == 0 && sync_path(upload) == 0 ? 0 : -1;
}

void chunk_remove_files(const char *dir, const char *key)
{
    char lines[PATH_MAX], upload[PATH_MAX];
    chunk_paths(dir, key, lines, upload, sizeof lines);
    unlink(lines);
    unlink(upload);
}
