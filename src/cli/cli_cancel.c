/* cli_cancel.c - visionbatch cancel JOURNAL: cancels a --batch-api job's open batches at
 * the provider (vb_batch_cancel). The provider is the job's, as its journal names it;
 * the key and base URL come from the usual settings (flags, config file, environment). */
#include "cli.h"
#include "cli_settings.h"
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SETTING = 256, OPT_CONFIG, OPT_FLAG };

static const struct option cancel_options[] = {
    {"provider", required_argument, 0, OPT_SETTING},
    {"base-url", required_argument, 0, OPT_SETTING},
    {"api-key-file", required_argument, 0, OPT_SETTING},
    {"timeout", required_argument, 0, OPT_SETTING},
    {"config", required_argument, 0, OPT_CONFIG},
    {"insecure", no_argument, 0, OPT_FLAG},
    {"ca-cert", required_argument, 0, OPT_SETTING},
    {"allow-http", no_argument, 0, OPT_FLAG},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static void cancel_usage(FILE *out)
{
    fprintf(out,
            "Usage: visionbatch cancel [options] JOURNAL\n"
            "\n"
            "Cancels the open provider batches of a --batch-api job (see visionbatch status\n"
            "JOURNAL) and waits up to two minutes for each to end. What finished in them is\n"
            "taken in by the next run of the job (run the same command: nothing is paid twice);\n"
            "what did not run is sent again by that run. Batches not yet submitted stay in the\n"
            "journal for it. The provider is the job's; the key comes from the same settings\n"
            "as for run.\n"
            "\n"
            "Options:\n"
            "  --provider NAME      the job's provider, when its journal does not say\n"
            "  --base-url URL       the API root, when not the provider's service\n"
            "  --api-key-file FILE  read the API key from FILE\n"
            "  --config FILE        settings file (see visionbatch run --help)\n"
            "  --timeout SEC        per call (default 120)\n"
            "  --ca-cert FILE, --insecure, --allow-http   as for run\n"
            "  -h, --help           this text\n");
}

/* The provider a journal's job parameters name ("provider":"anthropic"), into out;
 * false when they name none (an OpenAI job) or the journal cannot be read. */
static bool journal_provider(const char *path, char *out, size_t n)
{
    char err[256];
    vb_journal_t *j = vb_journal_open(path, err, sizeof err);
    if (!j)
        return false;
    vb_journal_summary_t s;
    bool found = false;
    if (vb_journal_summary(j, &s, err, sizeof err) == 0 && s.params) {
        const char *p = strstr(s.params, "\"provider\":\"");
        if (p) {
            p += strlen("\"provider\":\"");
            size_t len = strcspn(p, "\"");
            if (len > 0 && len < n) {
                snprintf(out, n, "%.*s", (int)len, p);
                found = true;
            }
        }
    }
    vb_journal_close(j);
    return found;
}

int cli_cancel(int argc, char **argv)
{
    cli_flags_t flags;
    config_t *c = config_new();
    int status = EXIT_USAGE, opt, index = -1;
    bool named_provider = false;
    char provider[32];
    if (!c || cli_flags_init(&flags, argc) != 0) {
        fprintf(stderr, "visionbatch: out of memory\n");
        config_free(c);
        return EXIT_USAGE;
    }
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", cancel_options, &index)) != -1) {
        const char *name = index >= 0 ? cancel_options[index].name : NULL;
        switch (opt) {
        case OPT_SETTING:
            named_provider |= strcmp(name, "provider") == 0;
            cli_flags_add(&flags, name, optarg);
            break;
        case OPT_FLAG:
            cli_flags_add(&flags, name, "1");
            break;
        case OPT_CONFIG:
            flags.config_path = optarg;
            break;
        case 'h':
            cancel_usage(stdout);
            status = EXIT_ALL_OK;
            goto out;
        default:
            fprintf(stderr, "visionbatch cancel: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            fprintf(stderr, "Try 'visionbatch cancel --help'.\n");
            goto out;
        }
        index = -1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "visionbatch cancel: give the job's journal (one path)\n");
        goto out;
    }
    const char *journal = argv[optind];
    if (!named_provider && journal_provider(journal, provider, sizeof provider))
        cli_flags_add(&flags, "provider", provider);
    if (cli_flags_apply(&flags, c) != 0)
        goto out;
    c->o.journal = journal;
    c->o.poll_interval_s = 1;
    long cancelled = 0;
    char err[1024];
    int rc = vb_batch_cancel(&c->o, &cancelled, err, sizeof err);
    printf("visionbatch: %ld batches cancelled; run the job's command again to take in what "
           "finished (and send again what did not)\n",
           cancelled);
    if (rc != 0) {
        fprintf(stderr, "visionbatch cancel: %s\n", err);
        status = EXIT_STOPPED;
    } else {
        status = EXIT_ALL_OK;
    }
out:
    cli_flags_free(&flags);
    config_free(c);
    return status;
}
