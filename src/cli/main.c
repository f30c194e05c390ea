/* main.c - visionbatch: subcommand dispatch and process-wide set-up. */
#include "cli.h"

#include <visionbatch.h>

#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: visionbatch COMMAND [options] ...\n"
            "\n"
            "Sends many images through an OpenAI-compatible vision API, as fast as the\n"
            "provider's limits allow, one JSON result line per image.\n"
            "\n"
            "Commands:\n"
            "  run       send images and write results (visionbatch run --help)\n"
            "  status    a job's progress, from its journal\n"
            "  export    a job's results from its journal, as JSONL or CSV\n"
            "  estimate  images, tokens, cost and time of a job, without sending anything\n"
            "  worker    work on a distributed job in Redis (visionbatch run --help)\n"
            "  report    a job's run as one self-contained HTML page, from its journal\n"
            "  cancel    cancel a --batch-api job's open batches at the provider\n"
            "\n"
            "Options:\n"
            "  -h, --help     this text\n"
            "  --version      print the version\n");
}

/* Keeps freed memory for reuse instead of returning it to the kernel: every request
 * allocates and frees a body of its image's size, and with glibc's defaults the heap was
 * shrunk and grown again (page faults, TLB flushes) about once per request, some 8% of
 * the CPU against an instant server. Peak memory is unchanged (bounded by concurrency). */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
#endif
}

/* The library's messages, one line each on stderr (they may come from any of its
 * threads: one fprintf per line keeps them whole). */
static void print_log(vb_log_level_t level, const char *message, void *userdata)
{
    (void)userdata;
    fprintf(stderr, "visionbatch: %s%s\n", level == VB_LOG_WARNING ? "warning: " : "", message);
}

int main(int argc, char **argv)
{
    char err[512];
    tune_malloc();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_ALL_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("visionbatch %s\n", vb_version());
        return EXIT_ALL_OK;
    }
    if (vb_global_init(argv[0], err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
        return EXIT_STOPPED;
    }
    vb_set_log(print_log, NULL);
    int status;
    if (strcmp(argv[1], "run") == 0) {
        status = cli_run(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "status") == 0) {
        status = cli_status(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "export") == 0) {
        status = cli_export(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "worker") == 0) {
        status = cli_worker(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "estimate") == 0) {
        status = cli_estimate(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "report") == 0) {
        status = cli_report(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "cancel") == 0) {
        status = cli_cancel(argc - 1, argv + 1);
    } else {
        fprintf(stderr, "visionbatch: unknown command '%s' (see visionbatch --help)\n", argv[1]);
        status = EXIT_USAGE;
    }
    vb_global_cleanup();
    return status;
}
