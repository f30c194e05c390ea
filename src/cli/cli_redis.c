/* cli_redis.c - `visionbatch status|export --redis URL --job NAME`: a distributed job's
 * progress and results, from any machine; and the password kept out of ps. */
#include "cli.h"

#include <visionbatch.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_redis_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--redis") == 0 || strncmp(argv[i], "--redis=", 8) == 0)
            return true;
    return false;
}

/* Overwrites the password of a redis:// URL in place with '*'. */
static void hide_in(char *url)
{
    if (strncmp(url, "redis://", 8) != 0)
        return;
    char *p = url + 8, *end = p + strcspn(p, "/");
    char *at = NULL;
    for (char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
    for (char *q = colon ? colon + 1 : at; colon && q < at; q++)
        *q = '*';
}

void cli_redis_hide_password(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc)
            hide_in(argv[i + 1]);
        else if (strncmp(argv[i], "--redis=", 8) == 0)
            hide_in(argv[i] + 8);
    }
}

/* Prints the status of job name, as text or one JSON object. */
static void print_status(const char *name, const vb_redis_status_t *st, bool json)
{
    if (json) {
        printf("{\"job\":\"%s\",\"items\":%ld,\"published\":%s,\"results\":%ld,\"ok\":%ld,"
               "\"failed\":%ld,\"skipped\":%ld,\"pending\":%ld,\"workers\":%ld,"
               "\"spent_usd\":%.6f,\"reserved_usd\":%.6f}\n",
               name, st->items, st->published ? "true" : "false", st->results, st->ok,
               st->failed, st->skipped, st->pending, st->workers, st->spent_usd,
               st->reserved_usd);
        return;
    }
    printf("job          %s%s\n", name, st->published ? "" : " (still being published)");
    printf("items        %ld, %ld with a result (%ld ok, %ld failed, %ld skipped)\n", st->items,
           st->results, st->ok, st->failed, st->skipped);
    printf("in progress  %ld held by workers (%ld have joined)\n", st->pending, st->workers);
    printf("spent        $%.4f (+ $%.4f reserved in flight)\n", st->spent_usd,
           st->reserved_usd);
    printf("state        %s\n", st->published && st->results >= st->items ? "done" : "running");
}

int cli_redis_status(int argc, char **argv, bool export)
{
    static const struct option opts[] = {{"redis", required_argument, 0, 'r'},
                                         {"job", required_argument, 0, 'j'},
                                         {"json", no_argument, 0, 'J'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *url = NULL, *name = NULL, *output = NULL;
    char *url_copy = NULL;
    bool json = false;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (opt == 'r' && !url_copy && (url_copy = strdup(optarg)))
            url = url_copy;
        else if (opt == 'j')
            name = optarg;
        else if (opt == 'J' && !export)
            json = true;
        else if (opt == 'o' && export)
            output = optarg;
        else
            goto usage;
    }
    cli_redis_hide_password(argc, argv);
    if (!url || !name || optind != argc)
        goto usage;
    char err[512];
    int status = EXIT_USAGE;
    vb_redis_t *r = vb_redis_open(url, name, err, sizeof err);
    if (!r) {
        fprintf(stderr, "visionbatch: %s\n", err);
        free(url_copy);
        return EXIT_USAGE;
    }
    vb_redis_status_t st;
    if (vb_redis_status(r, &st, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
    } else if (!export) {
        print_status(name, &st, json);
        status = EXIT_ALL_OK;
    } else {
        FILE *out = output && strcmp(output, "-") != 0 ? fopen(output, "w") : stdout;
        long n = 0;
        if (!out) {
            fprintf(stderr, "visionbatch: cannot write %s\n", output);
        } else if (vb_redis_export(r, out, &n, err, sizeof err) != 0) {
            fprintf(stderr, "visionbatch: %s\n", err);
        } else {
            status = EXIT_ALL_OK;
        }
        if (out && out != stdout && fclose(out) != 0) {
            fprintf(stderr, "visionbatch: cannot write %s\n", output);
            status = EXIT_SOME_FAILED;
        }
        if (status == EXIT_ALL_OK)
            fprintf(stderr, "visionbatch: %ld results of %ld items exported\n", n, st.items);
    }
    vb_redis_free(r);
    free(url_copy);
    return status;
usage:
    free(url_copy);
    fprintf(stderr,
            export ? "Usage: visionbatch export --redis URL --job NAME [-o FILE]\n"
                     "Writes every stored result of the distributed job, in publish order.\n"
                   : "Usage: visionbatch status --redis URL --job NAME [--json]\n"
                     "Shows a distributed job's progress.\n");
    return EXIT_USAGE;
}
