/* cli_journal.c - `visionbatch status` and `visionbatch export`: reading a job's journal
 * while it runs or after. */
#include "cli.h"
#include "journal_path.h"

#include <visionbatch.h>

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void status_usage(FILE *out)
{
    fprintf(out, "Usage: visionbatch status [--json] JOURNAL\n"
                 "       visionbatch status --redis URL --job NAME [--json]\n"
                 "\n"
                 "Shows a job's progress from its journal (while it runs or after): items by\n"
                 "state, the rate over the last minute, and the time left when the job's total\n"
                 "is known. A --batch-api job's provider batches are listed one a line: its\n"
                 "chunk, the provider's batch id, state (the journal's and the provider's last\n"
                 "word), lines, succeeded/failed/pending as the provider last said, and age.\n"
                 "--json prints one JSON object. With --redis: a distributed job's\n"
                 "items, results by status, items held by workers, and the shared spend.\n");
}

static void export_usage(FILE *out)
{
    fprintf(out, "Usage: visionbatch export [--format jsonl|csv] [-o FILE] JOURNAL\n"
                 "       visionbatch export --redis URL --job NAME [-o FILE]\n"
                 "\n"
                 "Writes the result of every finished item of a job, in input order: the same\n"
                 "JSONL lines `run` writes, or CSV with one column per field (header row first).\n"
                 "Default: JSONL to standard output. With --redis: a distributed job's stored\n"
                 "results as JSONL, in the order its items were published.\n");
}

/* Parses [--json|--format F] [-o FILE] JOURNAL for both commands. Returns 0, 1 after
 * --help, or -1 after a usage error. */
static int parse(int argc, char **argv, bool export, int *json, const char **format,
                 const char **output, const char **journal)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            (export ? export_usage : status_usage)(stdout);
            return 1;
        } else if (opt == 'j' && !export) {
            *json = 1;
        } else if (opt == 'f' && export) {
            *format = optarg;
        } else if (opt == 'o' && export) {
            *output = optarg;
        } else {
            (export ? export_usage : status_usage)(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        (export ? export_usage : status_usage)(stderr);
        return -1;
    }
    *journal = argv[optind];
    return 0;
}

/* A job's provider batches, added up (and printed one a line, when out is set). */
typedef struct batch_list {
    FILE *out;     /* NULL: only add up */
    json_t *array; /* set: each batch appended as an object */
    double now;
    long batches, open, lines, succeeded, failed, pending;
} batch_list_t;

/* A provider count for people: "?" when the provider has not said (-1). */
static const char *count_text(long n, char *buf, size_t len)
{
    if (n < 0)
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%ld", n);
    return buf;
}

static int on_batch(const vb_batch_info_t *b, void *arg)
{
    batch_list_t *l = arg;
    double age = b->created_at > 0 ? l->now - b->created_at : -1;
    l->batches++;
    l->open += strcmp(b->state, "collected") != 0 && strcmp(b->state, "abandoned") != 0;
    l->lines += b->lines;
    l->succeeded += b->succeeded > 0 ? b->succeeded : 0;
    l->failed += b->failed > 0 ? b->failed : 0;
    l->pending += b->pending > 0 ? b->pending : 0;
    if (l->out) {
        char s[24], f[24], p[24], ago[32] = "-";
        if (age >= 0)
            snprintf(ago, sizeof ago, "%ldh%02ldm", (long)age / 3600, (long)age / 60 % 60);
        fprintf(l->out, "  %-9s %-32s %-10s %-12s %6ld lines  %s/%s/%s  age %s\n", b->chunk,
                b->batch_id[0] ? b->batch_id : "-", b->state,
                b->remote_state[0] ? b->remote_state : "-", b->lines,
                count_text(b->succeeded, s, sizeof s), count_text(b->failed, f, sizeof f),
                count_text(b->pending, p, sizeof p), ago);
    }
    if (l->array) {
        json_t *count[3] = {NULL, NULL, NULL};
        const long n[3] = {b->succeeded, b->failed, b->pending};
        for (int i = 0; i < 3; i++)
            count[i] = n[i] >= 0 ? json_integer(n[i]) : json_null();
        json_array_append_new(
            l->array,
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:f, s:f, s:o}", "chunk",
                      b->chunk, "batch_id", b->batch_id, "state", b->state, "remote_state",
                      b->remote_state, "lines", (json_int_t)b->lines, "succeeded", count[0],
                      "failed", count[1], "pending", count[2], "created_at", b->created_at,
                      "updated_at", b->updated_at, "age_s",
                      age >= 0 ? json_real(age) : json_null()));
    }
    return 0;
}

/* The job's batches into l (printing or collecting them as l says). Returns the number
 * of batches, or -1 after printing why they could not be read. */
static long batches_read(vb_journal_t *j, batch_list_t *l)
{
    char err[512];
    l->now = (double)time(NULL);
    long n = vb_journal_foreach_batch(j, on_batch, l, err, sizeof err);
    if (n < 0)
        fprintf(stderr, "visionbatch: %s\n", err);
    return n;
}

int cli_status(int argc, char **argv)
{
    if (cli_redis_wanted(argc, argv))
        return cli_redis_status(argc, argv, false);
    int json = 0;
    const char *format = NULL, *output = NULL, *path = NULL;
    int p = parse(argc, argv, false, &json, &format, &output, &path);
    if (p)
        return p > 0 ? EXIT_ALL_OK : EXIT_USAGE;
    char err[512];
    if (journal_path_check(path, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_USAGE;
    }
    vb_journal_t *j = vb_journal_open(path, err, sizeof err);
    if (!j) {
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_USAGE;
    }
    vb_journal_summary_t js;
    if (vb_journal_summary(j, &js, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
        vb_journal_close(j);
        return EXIT_USAGE;
    }
    const char *params = js.params;
    long total = js.items_total;
    long done = js.ok + js.failed;
    double rate = js.rate_per_s;
    double eta = total >= 0 && rate > 0 ? (double)(total - done) / rate : -1;
    if (total >= 0 && done >= total)
        eta = 0;

    batch_list_t batches = {0};
    if (json) {
        batches.array = json_array();
        if (batches_read(j, &batches) < 0) {
            json_decref(batches.array);
            vb_journal_close(j);
            return EXIT_USAGE;
        }
        json_t *o = json_pack(
            "{s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:f, s:f, s:o, s:o}", "journal", path,
            "items_total", total >= 0 ? json_integer(total) : json_null(), "counts", "pending",
            (json_int_t)js.pending, "in_flight", (json_int_t)js.in_flight, "ok",
            (json_int_t)js.ok, "failed", (json_int_t)js.failed, "skipped",
            (json_int_t)js.skipped, "batched", (json_int_t)js.batched, "cost_usd", js.cost_usd,
            "rate_per_s", rate, "eta_s", eta >= 0 ? json_real(eta) : json_null(), "params",
            params ? json_loads(params, 0, NULL) : json_null());
        if (o && batches.batches > 0) { /* a --batch-api job's */
            json_object_set_new(o, "batches", batches.array);
            json_object_set_new(
                o, "batch_totals",
                json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "batches",
                          (json_int_t)batches.batches, "open", (json_int_t)batches.open,
                          "lines", (json_int_t)batches.lines, "succeeded",
                          (json_int_t)batches.succeeded, "failed", (json_int_t)batches.failed,
                          "pending", (json_int_t)batches.pending));
        } else {
            json_decref(batches.array);
        }
        char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
        puts(text ? text : "{}");
        free(text);
        json_decref(o);
    } else {
        printf("journal    %s\n", path);
        printf("job        %s\n", params ? params : "(none yet)");
        if (total >= 0)
            printf("items      %ld of %ld done (%.1f%%)\n", done, total,
                   total ? 100.0 * (double)done / (double)total : 100.0);
        else
            printf("items      %ld done (total not counted yet)\n", done);
        printf("states     ok %ld, failed %ld, in flight %ld, pending %ld, skipped %ld",
               js.ok, js.failed, js.in_flight, js.pending, js.skipped);
        if (js.batched)
            printf(", in provider batches %ld", js.batched);
        printf("\n");
        printf("cost       $%.4f\n", js.cost_usd);
        printf("rate       %.1f requests/s over the last minute\n", rate);
        if (eta >= 0)
            printf("eta        %ldh%02ldm%02lds\n", (long)eta / 3600, (long)eta / 60 % 60,
                   (long)eta % 60);
        else
            printf("eta        unknown\n");
        if (batches_read(j, &batches) < 0) { /* first added up, then listed */
            vb_journal_close(j);
            return EXIT_USAGE;
        }
        if (batches.batches > 0) {
            printf("batches    %ld (%ld open): %ld lines, succeeded %ld, failed %ld, pending "
                   "%ld (the provider's last counts)\n",
                   batches.batches, batches.open, batches.lines, batches.succeeded,
                   batches.failed, batches.pending);
            batch_list_t rows = {.out = stdout};
            batches_read(j, &rows);
        }
    }
    vb_journal_close(j);
    return EXIT_ALL_OK;
}

/* Writes s as one CSV field (RFC 4180: quoted when it holds a comma, quote or newline). */
static void csv_field(FILE *out, const char *s, bool last)
{
    if (!s)
        s = "";
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', out);
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                fputc('"', out);
            fputc(*p, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
    fputs(last ? "\r\n" : ",", out);
}

/* The fixed columns of `export --format csv`, then one "meta.NAME" column per field of
 * the items' meta (a manifest's other columns), in the order first seen. "data" is the
 * parsed answer (--json / --schema) as compact JSON; usage, error and cost as the JSONL
 * line has them. */
static const char *const csv_columns[] = {
    "id",           "image",        "status",        "response",      "data",
    "model",        "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd",
    "latency_ms",   "attempts",     "http_status",   "error_kind",    "error_message",
    "content_hash", "cached",       "duplicate_of"};
#define CSV_FIXED (sizeof csv_columns / sizeof csv_columns[0])

/* The meta fields' names over a journal's lines (an array of strings, in the order first
 * seen), and where the rows go. */
typedef struct csv_export {
    FILE *out;
    json_t *meta_names;
} csv_export_t;

/* The text of a JSON value for a CSV cell: strings as they are, null as empty, other
 * values as compact JSON. Returns a malloc'd string. */
static char *cell(json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
}

/* First pass: adds the line's meta field names not seen yet to x->meta_names. */
static int collect_meta_names(const char *line, vb_status_t status, void *ctx)
{
    (void)status;
    csv_export_t *x = ctx;
    json_t *o = json_loads(line, 0, NULL);
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(o, "meta"), name, v)
    {
        size_t i, n = json_array_size(x->meta_names);
        for (i = 0; i < n; i++)
            if (strcmp(json_string_value(json_array_get(x->meta_names, i)), name) == 0)
                break;
        if (i == n && json_array_append_new(x->meta_names, json_string(name)) != 0) {
            json_decref(o);
            return -1;
        }
    }
    json_decref(o);
    return 0;
}

static void write_csv_header(const csv_export_t *x)
{
    size_t metas = json_array_size(x->meta_names);
    for (size_t i = 0; i < CSV_FIXED; i++)
        csv_field(x->out, csv_columns[i], i + 1 == CSV_FIXED && metas == 0);
    for (size_t i = 0; i < metas; i++) {
        char name[300];
        snprintf(name, sizeof name, "meta.%.280s",
                 json_string_value(json_array_get(x->meta_names, i)));
        csv_field(x->out, name, i + 1 == metas);
    }
}

static int write_csv_row(const char *line, vb_status_t status, void *ctx)
{
    (void)status;
    const csv_export_t *x = ctx;
    json_t *o = json_loads(line, 0, NULL);
    if (!o)
        return 0;
    json_t *usage = json_object_get(o, "usage"), *error = json_object_get(o, "error");
    json_t *meta = json_object_get(o, "meta");
    size_t metas = json_array_size(x->meta_names);
    for (size_t i = 0; i < CSV_FIXED + metas; i++) {
        const char *c = i < CSV_FIXED ? csv_columns[i] : NULL;
        json_t *v;
        if (!c)
            v = json_object_get(meta, json_string_value(json_array_get(x->meta_names, i - CSV_FIXED)));
        else if (strstr(c, "tokens"))
            v = json_object_get(usage, c);
        else if (strcmp(c, "error_kind") == 0)
            v = json_object_get(error, "kind");
        else if (strcmp(c, "error_message") == 0)
            v = json_object_get(error, "message");
        else if (strcmp(c, "http_status") == 0)
            v = json_object_get(error, "http_status");
        else
            v = json_object_get(o, c);
        char *text = cell(v);
        csv_field(x->out, text, i + 1 == CSV_FIXED + metas);
        free(text);
    }
    json_decref(o);
    return ferror(x->out) ? -1 : 0;
}

/* The journal's results as CSV: a pass for the meta columns, then the header and a row
 * per result. Returns the rows written, or -1 with err set. */
static long export_csv(vb_journal_t *j, FILE *out, char *err, size_t errlen)
{
    csv_export_t x = {.out = out, .meta_names = json_array()};
    long n = -1;
    if (!x.meta_names)
        snprintf(err, errlen, "out of memory");
    else if (vb_journal_foreach(j, collect_meta_names, &x, err, errlen) >= 0) {
        write_csv_header(&x);
        n = vb_journal_foreach(j, write_csv_row, &x, err, errlen);
    }
    json_decref(x.meta_names);
    return n;
}

int cli_export(int argc, char **argv)
{
    if (cli_redis_wanted(argc, argv))
        return cli_redis_status(argc, argv, true);
    int json = 0;
    const char *format = "jsonl", *output = NULL, *path = NULL;
    int p = parse(argc, argv, true, &json, &format, &output, &path);
    if (p)
        return p > 0 ? EXIT_ALL_OK : EXIT_USAGE;
    if (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0) {
        fprintf(stderr, "visionbatch export: --format must be jsonl or csv\n");
        return EXIT_USAGE;
    }
    char err[512];
    if (journal_path_check(path, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_USAGE;
    }
    vb_journal_t *j = vb_journal_open(path, err, sizeof err);
    if (!j) {
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_USAGE;
    }
    FILE *out = output && strcmp(output, "-") != 0 ? fopen(output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "visionbatch: cannot write %s\n", output);
        vb_journal_close(j);
        return EXIT_USAGE;
    }
    long n;
    if (strcmp(format, "csv") == 0) {
        n = export_csv(j, out, err, sizeof err);
    } else {
        n = vb_journal_export(j, out, err, sizeof err);
    }
    int bad = n < 0 || fflush(out) != 0 || (out != stdout && fclose(out) != 0);
    vb_journal_close(j);
    if (bad) {
        fprintf(stderr, "visionbatch: export failed\n");
        return EXIT_SOME_FAILED;
    }
    fprintf(stderr, "exported %ld results\n", n);
    return EXIT_ALL_OK;
}
