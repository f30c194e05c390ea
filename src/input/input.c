/* input.c - files, directory walks and manifests, streamed one item at a time. */
#include "input/input.h"

#include "input/openai_batch_request.h"
#include "input/csv.h"
#include "input/csv_header.h"
#include "input/idset.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { SOURCE_FILE, SOURCE_DIR, SOURCE_TXT, SOURCE_JSONL, SOURCE_CSV } source_kind_t;

/* One directory level of a walk: its sorted entry names and the next one to visit. */
typedef struct dir_frame {
    char *path;
    char **names;
    size_t count;
    size_t next;
} dir_frame_t;

/* One input as added: the path as given, what it is, and for a directory the name its
 * items' ids start with. */
typedef struct source {
    char *path;
    source_kind_t kind;
    char *id_root; /* SOURCE_DIR: the directory's own name (basename of its real path;
                      "" for /); NULL for the others */
    bool ids_as_walked; /* another directory of the input has the same name: its items'
                           ids are the paths as walked, so the two cannot collide */
} source_t;

struct input {
    source_t *sources;
    size_t count;
    size_t cap;
    size_t current; /* index of the source being read */
    bool opened;    /* the current source's state below is set up */

    dir_frame_t *frames; /* directory walk stack */
    size_t depth;
    size_t frames_cap;

    FILE *manifest;
    char *manifest_dir;
    long line_no;
    char *line;
    size_t line_cap;

    csv_record_t csv;   /* the current record of a .csv manifest */
    json_t *csv_header; /* the fields its columns feed, as a JSON array; NULL before the
                           header */
    char *csv_image;     /* the column holding the image; NULL: "image" */
    char *csv_id;        /* the column holding the id; NULL: "id" */
    char csv_delimiter;  /* ',', ';' or '\t'; 0: detected from each file's header */
    const input_source_t *source; /* items from elsewhere (input_new_source) */
    void *source_ctx;
    idset_t *ids;         /* ids handed out so far (NULL: not checked, e.g. a count) */
    bool check_ids;       /* refuse a second item with an id already used */
    unsigned long served; /* items handed out */
};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool has_suffix_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

input_t *input_new(void)
{
    input_t *in = calloc(1, sizeof(input_t));
    if (in)
        in->check_ids = true;
    return in;
}

input_t *input_new_source(const input_source_t *src, void *ctx)
{
    input_t *in = calloc(1, sizeof(input_t));
    if (in) {
        in->source = src;
        in->source_ctx = ctx;
    }
    return in;
}

bool input_is_source(const input_t *in)
{
    return in && in->source;
}

void input_stop(input_t *in)
{
    if (in && in->source && in->source->stop)
        in->source->stop(in->source_ctx);
}

int input_set_csv_columns(input_t *in, const char *image, const char *id,
                          const char *delimiter, char *err, size_t errlen)
{
    char d = 0;
    if ((image && !image[0]) || (id && !id[0])) {
        snprintf(err, errlen, "a CSV column name must not be empty");
        return -1;
    }
    if (image && id && strcmp(image, id) == 0) {
        snprintf(err, errlen, "--image-column and --id-column both name column %s", image);
        return -1;
    }
    if (delimiter && !(d = csv_parse_delimiter(delimiter))) {
        snprintf(err, errlen, "csv-delimiter must be ',', ';' or tab, not '%s'", delimiter);
        return -1;
    }
    char *image_copy = image ? strdup(image) : NULL, *id_copy = id ? strdup(id) : NULL;
    if ((image && !image_copy) || (id && !id_copy)) {
        free(image_copy);
        free(id_copy);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(in->csv_image);
    free(in->csv_id);
    in->csv_image = image_copy;
    in->csv_id = id_copy;
    in->csv_delimiter = d;
    return 0;
}

/* The delimiter a .csv or .tsv manifest is read with; 0: detected from its header. */
static char csv_delimiter_of(const input_t *in, const char *path)
{
    if (in->csv_delimiter)
        return in->csv_delimiter;
    return has_suffix_ci(path, ".tsv") ? '\t' : 0;
}

/* Reads the header of the .csv manifest at path now, so that columns that do not fit
 * the settings (no image column) are a usage error before anything is sent. A header
 * that cannot be read at all is left to the reading of the rows, which reports it as an
 * error item like a broken line. Returns 0, or -1 with the reason in err. */
static int csv_check_header(const input_t *in, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    csv_record_t rec = {0};
    json_t *fields = NULL;
    long lines;
    csv_columns_t cols = {in->csv_image, in->csv_id};
    csv_header_status_t st = csv_header_read(f, &rec, INPUT_MAX_LINE, csv_delimiter_of(in, path),
                                             &cols, path, &fields, &lines, err, errlen);
    json_decref(fields);
    csv_record_free(&rec);
    fclose(f);
    return st == CSV_HEADER_MISMATCH ? -1 : 0;
}

/* The name the ids of a walked directory's items start with: its last component as
 * typed, so that "catalog", "./catalog/" and "/tmp/x/catalog" give the same ids and a
 * link named "current" keeps its name whatever it points to; for ".", ".." (or a path
 * ending in them) the basename of its real path, so "." inside catalog gives "catalog"
 * too; "" for "/". NULL when the path cannot be resolved: the ids are then the paths as
 * walked. The caller frees it. */
static char *dir_id_root(const char *path)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t len = end - start;
    bool dots = len == 0 || (len == 1 && path[start] == '.') ||
                (len == 2 && path[start] == '.' && path[start + 1] == '.');
    if (!dots)
        return strndup(path + start, len);
    char *real = realpath(path, NULL);
    if (!real)
        return NULL;
    char *root = strdup(strrchr(real, '/') ? strrchr(real, '/') + 1 : real);
    free(real);
    return root;
}

int input_add(input_t *in, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (in->source) {
        snprintf(err, errlen, "%s: this input takes no paths", path);
        return -1;
    }
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    source_kind_t kind;
    if (S_ISDIR(st.st_mode))
        kind = SOURCE_DIR;
    else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file or directory", path);
        return -1;
    } else if (has_suffix_ci(path, ".txt"))
        kind = SOURCE_TXT;
    else if (has_suffix_ci(path, ".jsonl"))
        kind = SOURCE_JSONL;
    else if (has_suffix_ci(path, ".csv") || has_suffix_ci(path, ".tsv"))
        kind = SOURCE_CSV;
    else
        kind = SOURCE_FILE;
    if (kind != SOURCE_FILE && access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (kind == SOURCE_CSV && csv_check_header(in, path, err, errlen) != 0)
        return -1;
    if (in->count == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 8;
        source_t *p = realloc(in->sources, cap * sizeof *p);
        if (!p)
            goto oom;
        in->sources = p;
        in->cap = cap;
    }
    source_t *src = &in->sources[in->count];
    memset(src, 0, sizeof *src);
    if (!(src->path = strdup(path)))
        goto oom;
    src->kind = kind;
    src->id_root = kind == SOURCE_DIR ? dir_id_root(path) : NULL;
    /* a/photos and b/photos would give the same ids (photos/x.jpg): both keep the paths
     * as walked (the ids before ids were made stable), which cannot collide */
    for (size_t i = 0; src->id_root && i < in->count; i++) {
        source_t *other = &in->sources[i];
        if (other->id_root && strcmp(other->id_root, src->id_root) == 0 &&
            strcmp(other->path, src->path) != 0)
            other->ids_as_walked = src->ids_as_walked = true;
    }
    in->count++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void input_item_clear(input_item_t *item)
{
    if (!item)
        return;
    if (item->path_is_temp && item->path)
        unlink(item->path);
    free(item->id);
    free(item->source);
    free(item->path);
    free(item->prompt);
    free(item->meta_json);
    free(item->error_kind);
    free(item->error_message);
    free(item->batch_body);
    free(item->batch_dir);
    free(item->legacy_id);
    memset(item, 0, sizeof *item);
}

/* Fills item as a broken item with an error; returns 1 (an item was produced). */
static int item_error(input_item_t *item, const char *id, const char *kind, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
static int item_error(input_item_t *item, const char *id, const char *kind, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!item->id)
        item->id = xstrdup(id);
    if (!item->source)
        item->source = xstrdup(id);
    item->error_kind = xstrdup(kind);
    item->error_message = xstrdup(msg);
    return 1;
}

/* ---- directory walks ---------------------------------------------------------------- */

static const char *const image_suffixes[] = {".jpg", ".jpeg", ".jpe", ".png",  ".webp", ".gif",
                                             ".bmp", ".tif",  ".tiff", ".heic", ".heif", ".avif"};

/* True when a file found in a directory is meant as an image: by its name, or, for a
 * name without an image suffix, by the signature in its first bytes. */
static bool looks_like_image(const char *path, const char *name)
{
    for (size_t i = 0; i < sizeof image_suffixes / sizeof image_suffixes[0]; i++)
        if (has_suffix_ci(name, image_suffixes[i]))
            return true;
    unsigned char b[16];
    struct stat st; /* only regular files are opened to be sniffed: no FIFO, no device */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    if (n < 12)
        return false;
    return (b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) ||     /* JPEG */
           memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 ||             /* PNG */
           memcmp(b, "GIF8", 4) == 0 ||                          /* GIF */
           (memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void frame_free(dir_frame_t *f)
{
    for (size_t i = 0; i < f->count; i++)
        free(f->names[i]);
    free(f->names);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* Pushes a frame listing dir's entries in byte order. The listing of one directory is
 * the only thing a walk holds in memory, besides one frame per level. */
static int walk_push(input_t *in, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    if (in->depth == in->frames_cap) {
        size_t cap = in->frames_cap ? in->frames_cap * 2 : 8;
        dir_frame_t *f = realloc(in->frames, cap * sizeof *f);
        if (!f) {
            closedir(d);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        in->frames = f;
        in->frames_cap = cap;
    }
    dir_frame_t *f = &in->frames[in->depth];
    memset(f, 0, sizeof *f);
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (f->count == cap) {
            cap = cap ? cap * 2 : 64;
            char **names = realloc(f->names, cap * sizeof *names);
            if (!names)
                goto oom;
            f->names = names;
        }
        if (!(f->names[f->count] = strdup(e->d_name)))
            goto oom;
        f->count++;
    }
    closedir(d);
    if (f->count)
        qsort(f->names, f->count, sizeof *f->names, cmp_names);
    if (!(f->path = strdup(dir))) {
        frame_free(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    in->depth++;
    return 0;
oom:
    closedir(d);
    frame_free(f);
    snprintf(err, errlen, "out of memory");
    return -1;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) {
        bool slash = dir[0] && dir[strlen(dir) - 1] == '/';
        snprintf(p, n, "%s%s%s", dir, slash ? "" : "/", name);
    }
    return p;
}

/* Gives a walked file (item->source, the path as walked) its id: the directory's own
 * name, "/", and the path below the directory, e.g. "catalog/sub/b.jpg" however the
 * directory was named. When that differs from the id earlier versions gave (the path as
 * walked), that one goes to legacy_id, so a journal holding it still resumes. */
static void walk_set_id(const input_t *in, input_item_t *item)
{
    const source_t *src = &in->sources[in->current];
    const char *walked = item->source;
    size_t n = strlen(src->path);
    assert(strncmp(walked, src->path, n) == 0); /* the walk joins names onto the path */
    if (src->id_root && !src->ids_as_walked) {
        const char *below = walked + n + (n > 0 && src->path[n - 1] == '/' ? 0 : 1);
        size_t len = strlen(src->id_root) + strlen(below) + 2;
        if ((item->id = malloc(len)))
            snprintf(item->id, len, "%s/%s", src->id_root, below);
    }
    if (!item->id)
        item->id = xstrdup(walked);
    else if (strcmp(item->id, walked) != 0)
        item->legacy_id = xstrdup(walked);
}

/* Next image file of the walk; 1 with an item, 0 when the walk is over. Symbolic links
 * to directories are not followed, so a link loop cannot trap the walk. */
static int walk_next(input_t *in, input_item_t *item)
{
    char err[256];
    while (in->depth > 0) {
        dir_frame_t *f = &in->frames[in->depth - 1];
        if (f->next == f->count) {
            frame_free(f);
            in->depth--;
            continue;
        }
        char *path = path_join(f->path, f->names[f->next++]);
        if (!path)
            return item_error(item, f->path, "internal", "out of memory");
        struct stat lst, st;
        if (lstat(path, &lst) != 0) {
            free(path);
            continue; /* vanished since the listing */
        }
        if (S_ISDIR(lst.st_mode)) {
            if (walk_push(in, path, err, sizeof err) != 0)
                item_error(item, path, "unreadable", "cannot list directory %s: %s", path, err);
            free(path);
            if (item->error_kind)
                return 1;
            continue;
        }
        /* A link to a directory is not followed; a dangling link with an image name is
         * kept so that reading it reports the problem. */
        const char *name = f->names[f->next - 1];
        bool linked_dir = S_ISLNK(lst.st_mode) && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (linked_dir || !looks_like_image(path, name)) {
            free(path);
            continue;
        }
        item->source = path;
        item->path = xstrdup(path);
        walk_set_id(in, item);
        return 1;
    }
    return 0;
}

/* ---- manifests -------------------------------------------------------------------- */

/* Reads one line (without its newline) into in->line, keeping at most INPUT_MAX_LINE
 * bytes. Returns 1 for a line, 0 at end of file, -1 for a line that was too long (it is
 * consumed and dropped). */
static int manifest_read_line(input_t *in)
{
    size_t len = 0;
    bool too_long = false;
    int c;
    if (!in->line) {
        in->line_cap = 4096;
        if (!(in->line = malloc(in->line_cap)))
            return 0;
    }
    while ((c = getc(in->manifest)) != EOF && c != '\n') {
        if (too_long)
            continue;
        if (len + 1 >= in->line_cap) {
            if (in->line_cap >= INPUT_MAX_LINE) {
                too_long = true;
                continue;
            }
            size_t cap = in->line_cap * 2;
            char *p = realloc(in->line, cap);
            if (!p) {
                too_long = true;
                continue;
            }
            in->line = p;
            in->line_cap = cap;
        }
        in->line[len++] = (char)c;
    }
    if (c == EOF && len == 0 && !too_long)
        return 0;
    in->line_no++;
    if (len > 0 && in->line[len - 1] == '\r')
        len--;
    in->line[len] = '\0';
    return too_long ? -1 : 1;
}

static bool is_url_scheme(const char *s)
{
    const char *colon = strstr(s, "://");
    if (!colon || colon == s)
        return false;
    for (const char *p = s; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* Fills the source fields of item from a manifest entry: an http(s) URL as is, another
 * URL scheme as an error, a path resolved against the manifest's directory. */
static int item_set_source(input_t *in, input_item_t *item, const char *where, const char *src)
{
    item->source = xstrdup(src);
    if (is_url_scheme(src)) {
        if (strncasecmp(src, "http://", 7) != 0 && strncasecmp(src, "https://", 8) != 0)
            return item_error(item, item->id ? item->id : src, "unsupported_url",
                              "%s: only http and https URLs are supported", where);
        item->is_url = 1;
    } else if (src[0] == '/' || !in->manifest_dir) {
        item->path = xstrdup(src);
    } else {
        item->path = path_join(in->manifest_dir, src);
    }
    if (!item->id)
        item->id = xstrdup(src);
    return 1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Turns an OpenAI batch request line into an item: custom_id is its id, the body is
 * sent as it is (provider/openai_batch_lines.h). */
static int batch_item(input_t *in, input_item_t *item, const char *where, const json_t *obj)
{
    char why[256];
    char *custom_id = NULL, *body = NULL;
    if (openai_batch_request_parse(obj, &custom_id, &body, why, sizeof why) != 0) {
        const json_t *cid = json_object_get(obj, "custom_id");
        return item_error(item, json_is_string(cid) ? json_string_value(cid) : where,
                          "bad_manifest_line", "%s: %s", where, why);
    }
    item->id = custom_id;
    item->source = xstrdup(where);
    item->batch_body = body;
    item->batch_dir = xstrdup(in->manifest_dir ? in->manifest_dir : ".");
    return 1;
}

/* Turns a manifest object (a .jsonl line, a .csv row) into an item: "image" is the
 * source, "id" and "prompt" are taken as such, every other field is kept as meta. Takes
 * the reference to obj. */
static int object_item(input_t *in, input_item_t *item, const char *where, json_t *obj)
{
    json_t *image = json_object_get(obj, "image");
    json_t *id = json_object_get(obj, "id");
    json_t *prompt = json_object_get(obj, "prompt");
    int rc;
    if (!json_is_object(obj)) {
        rc = item_error(item, where, "bad_manifest_line", "%s: expected a JSON object", where);
    } else if (!json_is_string(image) || json_string_length(image) == 0) {
        rc = item_error(item, where, "bad_manifest_line",
                        "%s: \"image\" must be a non-empty string", where);
    } else if (id && !json_is_string(id) && !json_is_integer(id)) {
        rc = item_error(item, where, "bad_manifest_line",
                        "%s: \"id\" must be a string or an integer", where);
    } else if (prompt && !json_is_string(prompt)) {
        rc = item_error(item, where, "bad_manifest_line", "%s: \"prompt\" must be a string",
                        where);
    } else {
        if (json_is_string(id)) {
            item->id = xstrdup(json_string_value(id));
        } else if (json_is_integer(id)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
            item->id = xstrdup(buf);
        }
        if (prompt)
            item->prompt = xstrdup(json_string_value(prompt));
        rc = item_set_source(in, item, where, json_string_value(image));
        json_object_del(obj, "image");
        json_object_del(obj, "id");
        json_object_del(obj, "prompt");
        if (json_object_size(obj) > 0)
            item->meta_json = json_dumps(obj, JSON_COMPACT);
    }
    json_decref(obj);
    return rc;
}

/* Turns a .jsonl line into an item: a manifest object or an OpenAI batch request line
 * ({"custom_id", "body", ...} without "image"). */
static int jsonl_item(input_t *in, input_item_t *item, const char *where, const char *line)
{
    json_error_t jerr;
    json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        return item_error(item, where, "bad_manifest_line", "%s: invalid JSON: %s", where,
                          jerr.text);
    if (json_is_object(obj) && !json_object_get(obj, "image") &&
        json_object_get(obj, "custom_id") && json_object_get(obj, "body")) {
        int rc = batch_item(in, item, where, obj);
        json_decref(obj);
        return rc;
    }
    return object_item(in, item, where, obj);
}

/* Reads a .csv manifest's header row: the fields its columns feed (csv_header.h).
 * Returns 0, or 1 with an error item (the manifest is then not read further). */
static int csv_read_header(input_t *in, input_item_t *item, const char *name)
{
    char why[512];
    long lines = 0;
    csv_columns_t cols = {in->csv_image, in->csv_id};
    csv_header_status_t st =
        csv_header_read(in->manifest, &in->csv, INPUT_MAX_LINE, csv_delimiter_of(in, name), &cols,
                        name, &in->csv_header, &lines, why, sizeof why);
    in->line_no += lines;
    if (st != CSV_HEADER_OK)
        return item_error(item, name, "bad_manifest_line", "%s", why);
    return 0;
}

/* Turns the next .csv row into an item, its columns as the fields of a .jsonl object
 * (an empty cell is an absent field). 1 with an item, 0 at the end. */
static int csv_next(input_t *in, input_item_t *item, const char *name)
{
    if (!in->csv_header) {
        if (csv_read_header(in, item, name) != 0) {
            fseek(in->manifest, 0, SEEK_END); /* the rows cannot be read */
            in->csv_header = json_array();
            return 1;
        }
    }
    for (;;) {
        long first = in->line_no + 1;
        csv_status_t st = csv_read_record(in->manifest, &in->csv, INPUT_MAX_LINE);
        in->line_no += in->csv.lines;
        if (st == CSV_EOF)
            return 0;
        char where[300];
        snprintf(where, sizeof where, "%.256s:%ld", name, first);
        if (st != CSV_OK)
            return item_error(item, where, "bad_manifest_line", "%s: %s", where,
                              st == CSV_TOO_LONG ? "CSV record longer than 1 MiB"
                              : st == CSV_BAD    ? "malformed CSV quoting"
                                                 : "out of memory");
        if (in->csv.count == 1 && in->csv.fields[0][0] == '\0')
            continue; /* a blank line */
        size_t cols = json_array_size(in->csv_header);
        if (in->csv.count != cols)
            return item_error(item, where, "bad_manifest_line",
                              "%s: %zu CSV fields, the header has %zu", where, in->csv.count,
                              cols);
        json_t *obj = json_object();
        for (size_t i = 0; obj && i < cols; i++) {
            const char *col = json_string_value(json_array_get(in->csv_header, i));
            const char *v = in->csv.fields[i];
            if (!v[0])
                continue; /* an empty cell is an absent field */
            json_t *js = json_string(v);
            if (!js) {
                json_decref(obj);
                return item_error(item, where, "bad_manifest_line",
                                  "%s: column \"%s\" is not UTF-8 text", where, col);
            }
            json_object_set_new(obj, col, js);
        }
        if (!obj)
            return item_error(item, where, "internal", "out of memory");
        return object_item(in, item, where, obj);
    }
}

/* Next entry of the open manifest; 1 with an item, 0 at its end. */
static int manifest_next(input_t *in, input_item_t *item, source_kind_t kind, const char *name)
{
    for (;;) {
        int got = manifest_read_line(in);
        if (got == 0)
            return 0;
        char where[300];
        snprintf(where, sizeof where, "%.256s:%ld", name, in->line_no);
        if (got < 0)
            return item_error(item, where, "bad_manifest_line", "%s: line longer than %d bytes",
                              where, INPUT_MAX_LINE);
        char *line = trim(in->line);
        if (line[0] == '\0' || (kind == SOURCE_TXT && line[0] == '#'))
            continue;
        if (kind == SOURCE_TXT)
            return item_set_source(in, item, where, line);
        return jsonl_item(in, item, where, line);
    }
}

/* ---- iteration over sources --------------------------------------------------------- */

static void source_close(input_t *in)
{
    while (in->depth > 0)
        frame_free(&in->frames[--in->depth]);
    if (in->manifest)
        fclose(in->manifest);
    in->manifest = NULL;
    free(in->manifest_dir);
    in->manifest_dir = NULL;
    json_decref(in->csv_header);
    in->csv_header = NULL;
    in->line_no = 0;
    in->opened = false;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int input_next_raw(input_t *in, input_item_t *item)
{
    char err[256];
    memset(item, 0, sizeof *item);
    if (in->source)
        return in->source->next(in->source_ctx, item);
    while (in->current < in->count) {
        const char *path = in->sources[in->current].path;
        source_kind_t kind = in->sources[in->current].kind;
        if (!in->opened) {
            in->opened = true;
            if (kind == SOURCE_FILE) {
                in->current++;
                in->opened = false;
                item->id = xstrdup(path);
                item->source = xstrdup(path);
                item->path = xstrdup(path);
                return 1;
            }
            if (kind == SOURCE_DIR) {
                if (walk_push(in, path, err, sizeof err) != 0) {
                    in->current++;
                    source_close(in);
                    return item_error(item, path, "unreadable", "cannot list directory %s: %s",
                                      path, err);
                }
            } else {
                in->manifest = fopen(path, "r");
                in->manifest_dir = dir_of(path);
                if (!in->manifest) {
                    in->current++;
                    int e = errno;
                    source_close(in);
                    return item_error(item, path, "unreadable", "cannot open manifest %s: %s",
                                      path, strerror(e));
                }
            }
        }
        int got = kind == SOURCE_DIR   ? walk_next(in, item)
                  : kind == SOURCE_CSV ? csv_next(in, item, path)
                                       : manifest_next(in, item, kind, path);
        if (got)
            return 1;
        source_close(in);
        in->current++;
    }
    return 0;
}

/* A second item whose id an earlier item of the run already has becomes a duplicate_id
 * error under an id of its own, so that it gets its own journal row and output line
 * and the first keeps its result: the manifest position ("items.jsonl:7") when it
 * comes from a manifest, else "ID#N" (N: its position in the run). Both are the same
 * in every run of the job, so a resume finds the error already recorded. */
static void refuse_duplicate(input_t *in, input_item_t *item)
{
    char id[600];
    if (in->manifest) /* still open: the item is its current line */
        snprintf(id, sizeof id, "%.256s:%ld", in->sources[in->current].path, in->line_no);
    else
        snprintf(id, sizeof id, "%.500s#%lu", item->id, in->served);
    char msg[512];
    snprintf(msg, sizeof msg, "id '%.300s' is already used by an earlier item of this run",
             item->id);
    char *new_id = strdup(id), *k = strdup("duplicate_id"), *m = strdup(msg);
    free(item->id);
    free(item->error_kind);
    free(item->error_message);
    item->id = new_id;
    item->error_kind = k;
    item->error_message = m;
}

int input_next(input_t *in, input_item_t *item)
{
    int got = input_next_raw(in, item);
    if (!got)
        return 0;
    in->served++;
    if (in->check_ids && item->id) {
        if (!in->ids)
            in->ids = idset_new();
        if (in->ids && idset_add(in->ids, item->id, strlen(item->id)) == 0)
            refuse_duplicate(in, item);
    }
    return 1;
}

input_t *input_copy(const input_t *in)
{
    input_t *c = input_new();
    char err[256];
    if (c) {
        c->check_ids = false; /* a copy counts items; the original checks the ids */
        c->csv_delimiter = in->csv_delimiter;
        c->csv_image = xstrdup(in->csv_image);
        c->csv_id = xstrdup(in->csv_id);
        if ((in->csv_image && !c->csv_image) || (in->csv_id && !c->csv_id)) {
            input_free(c);
            return NULL;
        }
    }
    for (size_t i = 0; c && i < in->count; i++) {
        if (input_add(c, in->sources[i].path, err, sizeof err) != 0) {
            input_free(c);
            return NULL;
        }
    }
    return c;
}

void input_free(input_t *in)
{
    if (!in)
        return;
    source_close(in);
    for (size_t i = 0; i < in->count; i++) {
        free(in->sources[i].path);
        free(in->sources[i].id_root);
    }
    free(in->sources);
    free(in->csv_image);
    free(in->csv_id);
    free(in->frames);
    free(in->line);
    csv_record_free(&in->csv);
    idset_free(in->ids);
    free(in);
}
