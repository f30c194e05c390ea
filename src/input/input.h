/* input.h - streams the items of a job from its inputs.
 *
 * An input is an image file, a directory (walked recursively, names in byte order, dot
 * files skipped), a .txt manifest (one path or http(s) URL a line; blank lines and lines
 * starting with # skipped), a .jsonl manifest (one object a line: "image" required,
 * "id" and "prompt" optional, every other field kept as meta) or a .csv manifest (RFC
 * 4180 with a header row naming the same fields as columns, or other columns mapped to
 * "image" and "id" by input_set_csv_columns; fields separated by ',', ';' or tabs, the
 * one the header holds most of; a .tsv file is read with tabs). A .jsonl line holding
 * {"custom_id", "method", "url", "body"} is an OpenAI Batch API request: its body is sent
 * as it is (openai_batch_lines.h). Relative paths in a manifest are relative to the manifest's
 * own directory.
 *
 * Items come out one at a time; nothing is read ahead, so a manifest of millions of lines
 * needs no more memory than one line. A broken line becomes an item that carries its
 * error, so it is reported like any other failed item. */
#ifndef VB_INPUT_H
#define VB_INPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest manifest line accepted; longer lines become error items. */
#define INPUT_MAX_LINE (1024 * 1024)

typedef struct input_item {
    char *id;            /* manifest id; for a file found by walking a directory the
                            directory's own name + "/" + the path below it
                            ("catalog/sub/b.jpg", however the directory was named);
                            else the source as given */
    char *legacy_id;     /* the id earlier versions gave a walked file (its path as
                            walked) when that differs from id, else NULL: a journal may
                            hold the item under it */
    char *source;        /* path or URL as written by the user */
    char *path;          /* path to read (resolved against the manifest); NULL for a URL */
    char *prompt;        /* the item's own prompt, or NULL */
    char *meta_json;     /* other manifest fields as a compact JSON object, or NULL */
    int is_url;          /* source is an http(s) URL sent as is */
    char *error_kind;    /* set when the item is broken before any reading */
    char *error_message; /* ... with a one-line reason naming the line */
    char *batch_body;    /* an OpenAI batch request line: its body (compact JSON), or NULL */
    char *batch_dir;     /* ... and the directory its local image paths are relative to */
    int path_is_temp;    /* path is a downloaded copy of the URL source (--fetch-urls,
                            fetch.h): its reader removes it once read, and
                            input_item_clear removes it if still set */
} input_item_t;

typedef struct input input_t;

/* Creates an empty input list. Returns NULL when out of memory. */
input_t *input_new(void);

/* Says how .csv manifests added afterwards are read: image and id name the columns
 * holding the image and the id (NULL: the columns named "image" and "id"), delimiter is
 * ",", ";", "tab" or "\t" (NULL: detected from each file's header line). Strings are
 * copied. Returns 0, or -1 with a reason in err for an empty name, the same column
 * twice or another delimiter. */
int input_set_csv_columns(input_t *in, const char *image, const char *id,
                          const char *delimiter, char *err, size_t errlen);

/* Adds a path. Checks now that it exists and is a file or directory, and reads a .csv
 * manifest's header, so a typo or a manifest without an image column is a usage error
 * before anything is sent. Returns 0, or -1 with a reason in err. */
int input_add(input_t *in, const char *path, char *err, size_t errlen);

/* Moves to the next item: fills *item (the caller owns its strings and frees them with
 * input_item_clear). Returns 1 for an item, 0 at the end. Not thread-safe: callers
 * serialise access. */
int input_next(input_t *in, input_item_t *item);

/* Frees the strings of an item and zeroes it; removes its file when path_is_temp. NULL
 * is a no-op. */
void input_item_clear(input_item_t *item);

/* A new list over the same paths, positioned at the start (e.g. to count the items in
 * another thread while this one is read). NULL when out of memory. */
input_t *input_copy(const input_t *in);

/* Items from somewhere else than paths (a shared queue): next fills an item like
 * input_next and may wait for one; stop (from another thread) makes a waiting or later
 * next return 0 soon. */
typedef struct input_source {
    int (*next)(void *ctx, input_item_t *item);
    void (*stop)(void *ctx);
} input_source_t;

/* An input whose items come from src (which, like ctx, must outlive it). input_add is
 * refused on it, and input_copy gives an empty list. NULL when out of memory. */
input_t *input_new_source(const input_source_t *src, void *ctx);

/* Whether in's items come from a source (input_new_source): their number is not known
 * ahead (input_copy of it counts nothing). */
bool input_is_source(const input_t *in);

/* Tells the input that no more items will be taken (the run is over or stopping): a
 * source that waits for items stops waiting. A no-op for paths. */
void input_stop(input_t *in);

/* Frees the list and any open file or directory state. NULL is a no-op. */
void input_free(input_t *in);

#endif
