/* cli_report.c - `visionbatch report JOURNAL -o report.html`. */
#include "cli.h"

#include <visionbatch.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void report_usage(FILE *out)
{
    fprintf(out,
            "Usage: visionbatch report [-o FILE] JOURNAL\n"
            "\n"
            "Writes one self-contained HTML page about a job from its journal: a summary\n"
            "table, charts over the run's time (throughput, latency percentiles, errors and\n"
            "429s, concurrency and the adaptive window, request rate and the rate limit,\n"
            "cumulative cost), the slowest requests and the failed items. It needs no\n"
            "network: styles, data and the script drawing the charts are inline.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE  write the page here (default: standard output)\n"
            "  -h, --help         this text\n");
}

/* Writes the page to path (through path.tmp, renamed when complete), or to stdout. */
static int write_report(const vb_report_t *r, const char *path)
{
    char err[512];
    if (!path || strcmp(path, "-") == 0)
        return vb_report_write_html(r, stdout) || fflush(stdout) ? -1 : 0;
    if (vb_report_save_html(r, path, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch report: %s\n", err);
        return -1;
    }
    return 0;
}

int cli_report(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *output = NULL;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (opt) {
        case 'o':
            output = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return EXIT_ALL_OK;
        default:
            fprintf(stderr, "visionbatch report: unknown option or missing value (see "
                            "visionbatch report --help)\n");
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "visionbatch report: give one JOURNAL (see visionbatch report --help)\n");
        return EXIT_USAGE;
    }
    char err[512];
    vb_report_t *r = vb_report_load(argv[optind], err, sizeof err);
    if (!r) {
        fprintf(stderr, "visionbatch report: %s\n", err);
        return EXIT_USAGE;
    }
    int rc = write_report(r, output);
    vb_report_free(r);
    return rc == 0 ? EXIT_ALL_OK : EXIT_SOME_FAILED;
}
