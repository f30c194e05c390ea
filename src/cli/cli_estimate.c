/* cli_estimate.c - `visionbatch estimate`: images, tokens, cost and time of a job before
 * it runs, from the image headers alone; nothing is sent. */
#include "cli.h"
#include "config.h"

#include <visionbatch.h>

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Error items listed one by one on standard error; the rest are only counted. */
#define ERRORS_LISTED 20

void cli_estimate_usage(FILE *out)
{
    fprintf(out,
            "Usage: visionbatch estimate [options] INPUT...\n"
            "       visionbatch run --dry-run [options] INPUT...\n"
            "\n"
            "A dry run: counts what `visionbatch run` with the same arguments would send,\n"
            "and what it would cost, without sending anything, writing no results file and\n"
            "no journal: images, image tokens (the model's own formula, from each image's\n"
            "header, at the size --resize auto / --max-side send it), input tokens (images\n"
            "+ prompt + system prompt + 7 per message), the output-token bound (max-tokens\n"
            "per request), the cost from the price table, and the time the job needs at\n"
            "--rpm/--tpm. As the run: prompts with {field}s are filled per item (an item\n"
            "lacking a field is an error, kind \"template\"); byte-identical images are\n"
            "priced once (unless --no-dedupe); when the job's journal exists (--journal, or\n"
            "the output's name with .journal) it is read without writing or locking it (a\n"
            "run may be going): a journal of another job is refused as the run refuses it\n"
            "(unless --new-job), items it has finished are counted as already done and not\n"
            "priced (failed ones are with --retry-failed), answers in its result cache\n"
            "cost $0. Files a run would refuse (unreadable, empty, corrupt, truncated,\n"
            "animated, too large) are listed on standard error and counted as errors, not\n"
            "priced. A URL's image is not fetched (it is counted as 1024x1024) unless\n"
            "--fetch-urls is given.\n"
            "\n"
            "INPUT is what `visionbatch run` takes: image files, directories, .txt, .jsonl\n"
            "and .csv manifests.\n"
            "\n"
            "Options: every option of `visionbatch run` is accepted, with the same name and\n"
            "config key (see `visionbatch run --help`); those that cannot change the price\n"
            "(-c, -o, --progress, --metrics-port, ...) are accepted and have no effect, or\n"
            "are used where they apply (-o names the default journal, --rpm/--tpm give the\n"
            "time, --budget says how much of the job it covers). Of note:\n"
            "  -m, --model NAME      model (default: the provider's, gpt-4o-mini for openai)\n"
            "  -p, --prompt TEXT     prompt sent with each image ({field}s filled per item)\n"
            "      --system TEXT     system prompt: its tokens are counted\n"
            "      --max-tokens N    completion limit per request, 0 = not sent: no upper\n"
            "                        bound on the cost (default 300)\n"
            "      --detail D        image detail: auto, low or high (default auto)\n"
            "      --resize auto|off, --max-side N  priced at the size they send\n"
            "      --pricing FILE    prices (USD per 1M tokens) laid over the built-in\n"
            "                        table, in its format: {\"models\": {\"NAME\": {\"input\":\n"
            "                        2.5, \"output\": 10}}}\n"
            "      --batch-api       price at the provider's Batch API prices (half), as\n"
            "                        `run --batch-api` is billed; the online cost is shown too.\n"
            "                        A model without batch prices is refused\n"
            "      --fetch-urls      download URL images (as `run --fetch-urls` does) and\n"
            "                        count them at their real size; a dead URL is a\n"
            "                        fetch_failed error\n"
            "      --fetch-concurrency N  downloads at once (default 16)\n"
            "      --fetch-per-host N  connections to one host at once (default 4)\n"
            "      --timeout SEC     with --fetch-urls: a download's limit (default 120)\n"
            "      --json            print one JSON object instead of the text summary (in\n"
            "                        estimate --json is the output's format, not --json\n"
            "                        answers: `run --dry-run --json` prices those, and\n"
            "                        `run --dry-run --stats-json -` prints the same JSON)\n"
            "  -q, --quiet           do not list the error items\n"
            "  -h, --help            this text\n"
            "\n"
            "Settings resolve as for run: defaults < config file < environment < flags.\n"
            "\n"
            "Prices: the built-in table (installed as share/visionbatch/pricing.json) knows\n"
            "list prices of a few models; a model it does not know is reported as \"cost\n"
            "unknown\" (null in --json), never priced with a default.\n"
            "\n"
            "Exit status: 0 every item can be sent; 1 some items are errors; 2 usage or\n"
            "configuration error (as run's: a journal of another job, too).\n");
}

typedef struct estimate_cli {
    const config_t *c;
    const char *json_path; /* the estimate as JSON to this file ("-": standard output,
                              instead of the text), or NULL */
    bool quiet;
    long errors_seen; /* error items reported so far */
} estimate_cli_t;

/* Lists the first ERRORS_LISTED error items on standard error (vb_estimate_error_fn). */
static void on_error(const char *label, const char *kind, const char *message, void *arg)
{
    estimate_cli_t *x = arg;
    size_t n = strlen(label);
    if (!x->quiet && x->errors_seen < ERRORS_LISTED) {
        if (strncmp(message, label, n) == 0 && message[n] == ':') /* "FILE:LINE: ..." */
            fprintf(stderr, "visionbatch estimate: %s: %s\n", kind, message);
        else
            fprintf(stderr, "visionbatch estimate: %s: %s: %s\n", label, kind, message);
    }
    x->errors_seen++;
}

/* Seconds as "2 h 05 min", "3 min 20 s" or "12.5 s" into buf. */
static const char *duration_format(double s, char *buf, size_t len)
{
    if (s >= 3600)
        snprintf(buf, len, "%.0f h %02.0f min", floor(s / 3600), floor(fmod(s, 3600) / 60));
    else if (s >= 60)
        snprintf(buf, len, "%.0f min %02.0f s", floor(s / 60), floor(fmod(s, 60)));
    else
        snprintf(buf, len, "%.1f s", s);
    return buf;
}

/* What the numbers rest on that the user may not expect, as sentences. */
static json_t *assumptions_build(const vb_estimate_summary_t *e, const char *model)
{
    json_t *a = json_array();
    char buf[300];
    if (!a)
        return NULL;
    if (!e->model_known) {
        snprintf(buf, sizeof buf,
                 "image tokens: no formula is known for model '%.100s'; gpt-4o's was used", model);
        json_array_append_new(a, json_string(buf));
    }
    if (e->urls > 0) {
        snprintf(buf, sizeof buf, "image URLs are not fetched: %ld counted as %dx%d each", e->urls,
                 VB_ESTIMATE_URL_SIDE, VB_ESTIMATE_URL_SIDE);
        json_array_append_new(a, json_string(buf));
    }
    if (e->output_unbounded)
        json_array_append_new(a, json_string("max-tokens is 0: no completion limit is sent, so "
                                             "the output and the highest cost have no bound"));
    json_array_append_new(a, json_string("prompt tokens: about 4 bytes of text a token"));
    return a;
}

/* A number of USD, a rate or seconds for the JSON: null when negative (unknown). */
static json_t *json_or_null(double v, double scale)
{
    return v >= 0 ? json_real(round(v * scale) / scale) : json_null();
}

/* The model the estimate is for: the one named, else the provider's default. */
static const char *estimate_model(const vb_options_t *o)
{
    return o->model ? o->model : vb_provider_default_model(o->provider);
}

/* How many of the job's images the --budget pays for at their highest cost (each with
 * max-tokens of answer; the lowest when there is no bound), as a run's budget admits
 * them; -1 when there is no budget or no price. */
static long budget_covers(const vb_options_t *o, const vb_estimate_summary_t *e)
{
    if (!(o->budget_usd > 0) || !e->priced || e->images <= 0)
        return -1;
    double each = (e->cost_high_usd >= 0 ? e->cost_high_usd : e->cost_low_usd) / (double)e->images;
    if (!(each > 0))
        return e->images;
    double n = floor(o->budget_usd / each);
    return n >= (double)e->images ? e->images : (long)n;
}

/* Prints the estimate as one JSON object. Returns 0, or -1 when out of memory. */
static int print_json(const estimate_cli_t *x, const vb_estimate_summary_t *e, FILE *out)
{
    const vb_options_t *o = &x->c->o;
    const vb_price_t *price = e->priced ? &e->price : NULL;
    double low = e->cost_low_usd, high = e->cost_high_usd, seconds = e->seconds_at_limits;
    json_t *root = json_object(), *kinds = json_object(), *p = json_null();
    for (size_t i = 0; kinds && i < e->error_kinds; i++)
        json_object_set_new(kinds, e->errors_by_kind[i].kind,
                            json_integer(e->errors_by_kind[i].n));
    if (price && e->batch_api) /* the batch prices are what it is priced at */
        p = json_pack("{s:s,s:f,s:f,s:f,s:f}", "model", price->model, "input", price->input,
                      "output", price->output, "batch_input", price->batch_input,
                      "batch_output", price->batch_output);
    else if (price)
        p = json_pack("{s:s,s:f,s:f}", "model", price->model, "input", price->input, "output",
                      price->output);
    if (!root || !kinds || !p) {
        json_decref(root);
        json_decref(kinds);
        json_decref(p);
        return -1;
    }
    json_object_set_new(root, "provider", json_string(o->provider));
    json_object_set_new(root, "model", json_string(estimate_model(o)));
    json_object_set_new(root, "detail", json_string(o->detail));
    json_object_set_new(root, "max_tokens", json_integer(o->max_tokens));
    json_object_set_new(root, "images", json_integer(e->images));
    json_object_set_new(root, "requests", json_integer(e->requests));
    json_object_set_new(root, "urls", json_integer(e->urls));
    json_object_set_new(root, "errors", json_integer(e->errors));
    json_object_set_new(root, "already_done", json_integer(e->done));
    json_object_set_new(root, "cached", json_integer(e->cached));
    json_object_set_new(root, "duplicates", json_integer(e->duplicates));
    json_object_set_new(root, "budget_usd", o->budget_usd > 0 ? json_real(o->budget_usd)
                                                               : json_null());
    long covered = budget_covers(o, e);
    json_object_set_new(root, "budget_covers_images",
                        covered >= 0 ? json_integer(covered) : json_null());
    json_object_set_new(root, "errors_by_kind", kinds);
    json_object_set_new(root, "image_tokens", json_integer((json_int_t)e->image_tokens));
    json_object_set_new(root, "text_tokens", json_integer((json_int_t)e->text_tokens));
    json_object_set_new(root, "input_tokens", json_integer((json_int_t)e->input_tokens));
    json_object_set_new(root, "output_tokens_max",
                        e->output_unbounded ? json_null()
                                            : json_integer((json_int_t)e->output_tokens_max));
    json_object_set_new(root, "price", p);
    json_object_set_new(root, "cost_usd_low", json_or_null(low, 1e6));
    json_object_set_new(root, "cost_usd_high", json_or_null(high, 1e6));
    json_object_set_new(root, "batch_api", json_boolean(e->batch_api));
    if (e->batch_api) { /* what the same job would cost sent one request at a time */
        json_object_set_new(root, "online_cost_usd_low", json_or_null(e->online_cost_low_usd, 1e6));
        json_object_set_new(root, "online_cost_usd_high",
                            json_or_null(e->online_cost_high_usd, 1e6));
    }
    json_object_set_new(root, "rpm", o->rpm > 0 ? json_real(o->rpm) : json_null());
    json_object_set_new(root, "tpm", o->tpm > 0 ? json_real(o->tpm) : json_null());
    json_object_set_new(root, "seconds_at_limits", json_or_null(seconds, 1e3));
    json_object_set_new(root, "token_rules_known", json_boolean(e->model_known));
    json_object_set_new(root, "assumptions", assumptions_build(e, estimate_model(o)));
    char *text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(root);
    if (!text)
        return -1;
    int rc = fprintf(out, "%s\n", text) < 0 ? -1 : 0;
    free(text);
    return rc;
}

/* A cost in USD as "$12.35", or "$0.0312" below a dollar so small jobs do not all
 * read $0.00. */
static const char *usd_format(double usd, char *buf, size_t len)
{
    snprintf(buf, len, usd >= 1 ? "$%.2f" : "$%.4f", usd);
    return buf;
}

/* A price per 1M tokens as "$2.50" or "$0.075": cents, or as many digits as it has. */
static const char *price_format(double usd, char *buf, size_t len)
{
    if (fabs(usd * 100 - round(usd * 100)) < 1e-9)
        snprintf(buf, len, "$%.2f", usd);
    else
        snprintf(buf, len, "$%g", usd);
    return buf;
}

/* Prints the estimate as a few aligned lines for a person. */
static void print_text(const estimate_cli_t *x, const vb_estimate_summary_t *e)
{
    const vb_options_t *o = &x->c->o;
    const vb_price_t *price = e->priced ? &e->price : NULL;
    double low = e->cost_low_usd, high = e->cost_high_usd, seconds = e->seconds_at_limits;
    char dur[64];
    printf("estimate for %s (%s), detail %s, max-tokens %ld (nothing was sent)\n",
           estimate_model(o), o->provider, o->detail, o->max_tokens);
    printf("  images          %ld", e->images);
    if (e->urls)
        printf(" (%ld URL%s, counted as %dx%d)", e->urls, e->urls == 1 ? "" : "s",
               VB_ESTIMATE_URL_SIDE, VB_ESTIMATE_URL_SIDE);
    if (e->requests != e->images)
        printf(" in %ld requests (--batch-size %ld, groups assumed full)", e->requests,
               o->batch_size);
    printf("\n");
    if (e->done)
        printf("  already done    %ld (journal: finished by an earlier run, not priced)\n",
               e->done);
    if (e->cached)
        printf("  cached          %ld (answered from the journal's result cache: $0)\n",
               e->cached);
    if (e->duplicates)
        printf("  duplicates      %ld (byte-identical copies: priced once)\n", e->duplicates);
    printf("  errors          %ld", e->errors);
    for (size_t i = 0; i < e->error_kinds; i++)
        printf("%s%s %ld", i ? ", " : " (not priced: ", e->errors_by_kind[i].kind,
               e->errors_by_kind[i].n);
    printf("%s\n", e->error_kinds ? ")" : "");
    printf("  image tokens    %llu%s\n", e->image_tokens,
           e->model_known ? "" : " (no formula known for this model: gpt-4o's assumed)");
    printf("  input tokens    %llu (images + prompt%s + %d per message)\n", e->input_tokens,
           o->system ? " + system prompt" : "", VB_ESTIMATE_MESSAGE_TOKENS);
    if (e->output_unbounded)
        printf("  output tokens   no bound (max-tokens 0)\n");
    else
        printf("  output tokens   at most %llu (%ld per image)\n", e->output_tokens_max,
               o->max_tokens);
    char pin[32], pout[32], clow[32], chigh[32];
    const char *kind = e->batch_api ? " batch" : "";
    if (price) {
        price_format(e->batch_api ? price->batch_input : price->input, pin, sizeof pin);
        price_format(e->batch_api ? price->batch_output : price->output, pout, sizeof pout);
    }
    if (!price)
        printf("  cost            unknown (no price for '%s'; add it with --pricing FILE)\n",
               estimate_model(o));
    else if (high < 0)
        printf("  cost            at least %s, no upper bound (%s%s: %s in, %s out per 1M "
               "tokens)\n",
               usd_format(low, clow, sizeof clow), price->model, kind, pin, pout);
    else
        printf("  cost            %s to %s (%s%s: %s in, %s out per 1M tokens)\n",
               usd_format(low, clow, sizeof clow), usd_format(high, chigh, sizeof chigh),
               price->model, kind, pin, pout);
    if (price && e->batch_api && e->online_cost_high_usd >= 0)
        printf("  online cost     %s to %s (the same requests sent one at a time)\n",
               usd_format(e->online_cost_low_usd, clow, sizeof clow),
               usd_format(e->online_cost_high_usd, chigh, sizeof chigh));
    else if (price && e->batch_api)
        printf("  online cost     at least %s (the same requests sent one at a time)\n",
               usd_format(e->online_cost_low_usd, clow, sizeof clow));
    long covered = budget_covers(o, e);
    if (covered >= 0 && covered < e->images)
        printf("  budget          %s covers about %ld of the %ld images (at most max-tokens "
               "out each)\n",
               usd_format(o->budget_usd, clow, sizeof clow), covered, e->images);
    else if (covered >= 0)
        printf("  budget          %s covers the whole job\n",
               usd_format(o->budget_usd, clow, sizeof clow));
    if (seconds < 0)
        printf("  time at limits  unknown (give --rpm and/or --tpm)\n");
    else
        printf("  time at limits  %s (rpm %g, tpm %g; 0 = not limited)\n",
               duration_format(seconds, dur, sizeof dur), o->rpm, o->tpm);
}

int cli_dry_run(const config_t *c, int ninputs, char **inputs, const char *json_path, bool quiet)
{
    char err[512];
    estimate_cli_t x = {.c = c, .json_path = json_path, .quiet = quiet};
    vb_estimate_t *est = NULL;
    vb_pricing_t *prices = NULL;
    int status = EXIT_USAGE;
    const vb_options_t *o = &c->o;

    if (!(est = vb_estimate_new(o, err, sizeof err))) {
        fprintf(stderr, "visionbatch: %s\n", err);
        goto out;
    }
    if (ninputs <= 0) {
        fprintf(stderr, "visionbatch estimate: no INPUT given (see visionbatch estimate --help)\n");
        goto out;
    }
    if (!(prices = vb_pricing_load(o->pricing, err, sizeof err))) {
        fprintf(stderr, "visionbatch: %s\n", err);
        goto out;
    }
    vb_price_t known;
    if (o->batch_api &&
        (vb_pricing_lookup(prices, estimate_model(o), &known) != 0 || !known.has_batch)) {
        fprintf(stderr,
                "visionbatch: --batch-api: no batch price is known for model %s: add "
                "\"batch_input\" and \"batch_output\" for it with --pricing FILE\n",
                estimate_model(o));
        goto out;
    }
    for (int i = 0; i < ninputs; i++) {
        if (vb_estimate_add_input(est, inputs[i], err, sizeof err) != 0) {
            fprintf(stderr, "visionbatch: input %s\n", err);
            goto out;
        }
    }

    vb_estimate_summary_t e;
    if (vb_estimate_run(est, prices, on_error, &x, &e, err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch: %s\n", err);
        status = EXIT_STOPPED;
        goto out;
    }
    if (!x.quiet && x.errors_seen > ERRORS_LISTED)
        fprintf(stderr, "visionbatch estimate: ... and %ld more errors\n",
                x.errors_seen - ERRORS_LISTED);
    bool to_stdout = x.json_path && strcmp(x.json_path, "-") == 0;
    if (!to_stdout)
        print_text(&x, &e);
    if (x.json_path) {
        FILE *out = to_stdout ? stdout : fopen(x.json_path, "w");
        int written = out ? print_json(&x, &e, out) : -1;
        if (out && !to_stdout && fclose(out) != 0)
            written = -1;
        if (written != 0) {
            fprintf(stderr, "visionbatch: cannot write the estimate to %s\n",
                    to_stdout ? "standard output" : x.json_path);
            status = EXIT_STOPPED;
            goto out;
        }
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "visionbatch: cannot write the estimate\n");
        status = EXIT_SOME_FAILED;
        goto out;
    }
    status = e.errors ? EXIT_SOME_FAILED : EXIT_ALL_OK;
out:
    vb_estimate_free(est);
    vb_pricing_free(prices);
    return status;
}
