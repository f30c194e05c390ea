/* cli_run.c - `visionbatch run`: options, inputs, results file, summary, exit status. */
#include "cli.h"
#include "cli_monitor.h"
#include "cli_settings.h"
#include "config.h"
#include "results_file.h"

#include <visionbatch.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_usage(FILE *out)
{
    fprintf(out,
            "Usage: visionbatch run [options] INPUT...\n"
            "\n"
            "Sends every image of the inputs with the prompt to the provider's API (OpenAI\n"
            "chat/completions and every server that speaks it, Anthropic Messages, Gemini\n"
            "generateContent), and writes one JSON line per image (to --output or standard\n"
            "output), flushed as each completes. A summary goes to standard error at the end.\n"
            "\n"
            "INPUT is an image file (JPEG, PNG, WebP, GIF, recognised by content; BMP,\n"
            "TIFF, HEIC, AVIF with --convert), a directory (walked recursively in name\n"
            "order), a .txt manifest (one path or http(s) URL a line), a .jsonl manifest\n"
            "(objects with \"image\", optional \"id\" and \"prompt\"; other fields are copied\n"
            "to the result's \"meta\") or a .csv manifest (RFC 4180, a header row naming the\n"
            "same fields as columns, or others named by --image-column and --id-column;\n"
            "',', ';' or tab separated). Relative paths in a manifest are relative to the\n"
            "manifest's directory. An image found in a directory has the id DIR/path/below\n"
            "(DIR: the directory's own name), however the directory is named on the command\n"
            "line, so a resumed job finds it. A .jsonl line\n"
            "{\"custom_id\",\"method\",\"url\",\"body\"} is an OpenAI Batch API request: its\n"
            "body is sent as it is (local image paths in it inlined as data URLs, the model\n"
            "its own) and custom_id is the item's id.\n"
            "\n"
            "Options:\n"
            "      --provider P      openai, anthropic or gemini (default: from the base\n"
            "                        URL's host: api.anthropic.com is anthropic,\n"
            "                        generativelanguage.googleapis.com gemini, else openai)\n"
            "  --base-url URL        API root (default $OPENAI_BASE_URL, else\n"
            "                        https://api.openai.com/v1; anthropic: $ANTHROPIC_BASE_URL,\n"
            "                        else %s; gemini: %s)\n"
            "  -m, --model NAME      model (default %s; anthropic: %s; gemini: %s)\n"
            "  -p, --prompt TEXT     prompt sent with each image\n"
            "      --prompt-file F   read the prompt from a file\n"
            "      --max-tokens N    completion limit per request, 0 = not sent (default 300)\n"
            "      --detail D        image detail: auto, low or high (default auto)\n"
            "      --system TEXT     system prompt sent with every request\n"
            "      --temperature T   sampling temperature 0..2 (anthropic 0..1); default: not sent\n"
            "      --seed N          sampling seed (openai, gemini; refused for anthropic)\n"
            "  -c, --concurrency N   requests in flight (default 10)\n"
            "      --batch-size N    up to N images per request (default 1), answered as one\n"
            "                        JSON array split back per image; an answer that cannot\n"
            "                        be split for sure is asked again one image at a time\n"
            "      --batch-max-bytes N  a batch body stays below N bytes (default 20000000)\n"
            "      --timeout SEC     per-request timeout in seconds (default 120)\n"
            "      --body-timeout SEC  a response must end this long after its first byte\n"
            "                        (default 30): a server dripping bytes is a timeout\n"
            "      --unreachable-timeout SEC  after requests have succeeded, how long the\n"
            "                        endpoint may stay unreachable (the run paused, probing\n"
            "                        with one request at a time) before the run stops with\n"
            "                        exit 3 (default 300); before any success 3 failures in\n"
            "                        a row that never reached it stop the run at once\n"
            "      --no-preflight    do not ask the server's model listing (GET /models)\n"
            "                        whether it has the model before the first upload\n"
            "      --dry-run         send nothing, write nothing: print what this run would\n"
            "                        send and cost, as `visionbatch estimate` with the same\n"
            "                        arguments does (the journal read, never written);\n"
            "                        --stats-json FILE writes it as JSON (-: instead of the\n"
            "                        text); --json keeps its run meaning and is priced\n"
            "  -o, --output FILE     JSONL results (default: standard output)\n"
            "      --config FILE     INI file of settings (also $VISIONBATCH_CONFIG)\n"
            "      --api-key-file F  read the API key from a file (mode 600)\n"
            "      --max-image-bytes N  refuse larger image files (default 20971520)\n"
            "      --prepare-threads N  threads reading/encoding images (default: automatic)\n"
            "      --convert         send BMP, TIFF, HEIC, AVIF converted to PNG/JPEG and an\n"
            "                        animated GIF/WebP as its first frame (default: error)\n"
            "      --fetch-urls      download URL images first and send them as files:\n"
            "                        checked, hashed, deduplicated, cached and resized like\n"
            "                        local files; a dead URL (HTTP error, timeout, over\n"
            "                        --max-image-bytes, redirect to other than http(s), DNS)\n"
            "                        is one fetch_failed line, never sent. Default: the URL\n"
            "                        is sent to the provider as it is\n"
            "      --fetch-concurrency N  downloads at once (default 16)\n"
            "      --fetch-per-host N  connections to one host at once (default 4)\n"
            "      --allow-empty     inputs holding no image are not an error (images 0,\n"
            "                        exit 0); by default: \"no images found\", exit 2\n"
            "      --image-column NAME  the .csv column holding the image path or URL\n"
            "                        (default: the column named image)\n"
            "      --id-column NAME  the .csv column holding the item's id (default: id)\n"
            "      --csv-delimiter C , ; or tab (default: the one the header line holds\n"
            "                        most of; a .tsv file: tab)\n"
            "      --no-decode-check check headers and end markers only; by default every\n"
            "                        image is fully decoded first so a corrupt one is never\n"
            "                        sent (the check costs ~0.75 ms of CPU per image)\n"
            "\n"
            "Security:\n"
            "      --ca-cert FILE    trust the CAs in this PEM file instead of the system's\n"
            "                        (a private CA; default: $CURL_CA_BUNDLE, then\n"
            "                        $SSL_CERT_FILE; $SSL_CERT_DIR adds a directory)\n"
            "      --insecure        do NOT verify the server's TLS certificate; a warning\n"
            "                        is printed on every run\n"
            "      --allow-http      allow plain http:// to a host that is not loopback\n"
            "                        (refused by default: the key would travel in clear)\n"
            "\n"
            "Prompts and structured answers:\n"
            "  -p 'Describe this {category} product: {title}'  a prompt with {field}\n"
            "                        placeholders is filled per item from its manifest fields\n"
            "                        (.jsonl fields, .csv columns; also {id} and {image});\n"
            "                        {{ and }} are literal braces; an item without the field\n"
            "                        fails with error kind \"template\"\n"
            "      --json            ask for a JSON object (response_format json_object); the\n"
            "                        parsed answer is the result's \"data\"\n"
            "      --schema FILE     ask for answers following the JSON Schema in FILE\n"
            "                        (json_schema, strict, named after the file); a schema\n"
            "                        strict mode refuses is a usage error\n"
            "      --json-retries N  an answer that is not JSON, lacks a required key or has\n"
            "                        the wrong type is asked again up to N times (default 2),\n"
            "                        then fails as \"invalid_json\" with the raw text; every\n"
            "                        answer's cost counts\n"
            "      --output-format F jsonl (default) or openai-batch: lines as OpenAI's Batch\n"
            "                        API writes them, {id, custom_id, response: {status_code,\n"
            "                        request_id, body}, error}\n"
            "\n"
            "Rate limits and retries:\n"
            "      --rpm N           requests per minute to pace to (default 0: learn the\n"
            "                        server's limit from its x-ratelimit-* headers and 429s)\n"
            "      --tpm N           tokens per minute to pace to (default 0: learn it); a\n"
            "                        request's tokens are estimated as the provider counts\n"
            "                        them: image tokens + prompt + max-tokens\n"
            "      --burst N         requests allowed back to back (default: 100 ms of quota)\n"
            "      --limiter KIND    gcra (smooth pacing, default) or window (60 s window)\n"
            "      --retries N       retries per image after the first try (default 6)\n"
            "      --retry-base SEC  first retry delay, doubled per retry (default 0.5)\n"
            "      --retry-max SEC   longest retry delay (default 30); a server's\n"
            "                        retry-after wins when longer\n"
            "\n"
            "Cost:\n"
            "      --budget USD      hard limit: a request goes only if its worst-case cost\n"
            "                        still fits; when nothing fits, the rest is skipped\n"
            "      --cost-warn USD   warn once when the spend passes this\n"
            "      --pricing FILE    JSON prices over the built-in ones (per 1M tokens)\n"
            "      --no-dedupe       send byte-identical images (same request) every time;\n"
            "                        by default a copy gets the first's answer at no cost\n"
            "      --resize auto|off auto: downscale each image to the largest size the\n"
            "                        provider would keep for the model and detail (same\n"
            "                        answer and tokens, a smaller upload); default off\n"
            "      --max-side N      downscale to fit within N x N (fewer tokens, as the\n"
            "                        model's formula says)\n"
            "\n"
            "Journal and resume:\n"
            "  The same command again resumes: finished items are not sent again, but an\n"
            "  answered file whose bytes changed (size or mtime, then SHA-256) is.\n"
            "      --journal FILE    SQLite journal of the job (default: the output's name\n"
            "                        with .journal, e.g. results.journal; none for stdout)\n"
            "      --no-journal      keep no journal\n"
            "      --new-job         the journal holds a job with other parameters: start a\n"
            "                        new job in it (its result cache is kept)\n"
            "      --retry-failed    resuming: send items that failed before again\n"
            "      --no-cache        send every image, even when the result cache (in the\n"
            "                        journal) already holds its answer\n"
            "      --grace SEC       after Ctrl-C/SIGTERM, how long in-flight requests may\n"
            "                        finish (default 30; said at once on stderr); a second\n"
            "                        signal exits at once\n"
            "\n"
            "Distributed (several processes or machines on one job; see README):\n"
            "      --redis URL       redis://[user:password@]host:port[/db] (password also\n"
            "                        from $VISIONBATCH_REDIS_PASSWORD): publish the inputs\n"
            "                        to the job's queue in Redis once, then work on it;\n"
            "                        `visionbatch worker --redis URL --job NAME` joins from\n"
            "                        any machine. Rate limits and the budget are shared;\n"
            "                        results are stored in Redis (status/export --redis)\n"
            "                        and -o FILE also gets this process's own\n"
            "      --job NAME        the job's name (letters, digits, . _ -)\n"
            "      --visibility-timeout SEC  an item a worker has held this long without a\n"
            "                        result goes to another worker (default 60)\n"
            "\n"
            "Batch APIs (half the price, answers within 24 h; see README):\n"
            "      --batch-api       send the requests through the provider's batch API\n"
            "                        (OpenAI Batches, Anthropic Message Batches, Gemini batch\n"
            "                        mode) instead of one by one, priced at its batch prices;\n"
            "                        needs a journal, which knows the batches: the same\n"
            "                        command collects them after Ctrl-C, a crash or --no-wait,\n"
            "                        and never submits an item a batch already holds\n"
            "      --no-wait         submit the batches and exit 0; run the same command\n"
            "                        again to collect them\n"
            "      --poll-interval SEC  between polls of the open batches (default 30)\n"
            "      --batch-api-max-lines N  requests per batch at most (default: the\n"
            "                        provider's cap; files are also kept under its byte cap)\n"
            "      --max-enqueued-tokens N  estimated prompt tokens of the job's open\n"
            "                        batches at most (the provider's per-model queue limit)\n"
            "      --fallback-online items of a batch that expired are sent online instead\n"
            "                        of in a new batch (at the online price)\n"
            "      --fallback-after SEC  with --fallback-online: also once a batch has\n"
            "                        waited SEC seconds\n"
            "      `visionbatch status JOURNAL` lists the job's batches; `visionbatch cancel\n"
            "      JOURNAL` cancels the open ones\n"
            "\n"
            "Progress, summary and metrics:\n"
            "      --progress MODE   auto (default: bar on a terminal, else log), bar (one\n"
            "                        line redrawn: done/total, %%, images/s, ETA, in flight,\n"
            "                        ok/failed/retrying, 429s, cost, budget left; a narrow\n"
            "                        terminal drops the least telling fields first, the\n"
            "                        width from the terminal, else $COLUMNS), log (a\n"
            "                        plain line every interval), json (one JSON object a\n"
            "                        line every interval) or none; all on standard error.\n"
            "                        The last line ends (done), (cancelled), (stopped) or\n"
            "                        (budget); only a run that finished shows an ETA\n"
            "      --progress-interval SEC  between log/json lines (default 10)\n"
            "      --stats-json FILE write the end-of-run summary as JSON\n"
            "      --metrics-port PORT  serve Prometheus metrics on\n"
            "                        http://127.0.0.1:PORT/metrics while the job runs (0:\n"
            "                        any free port, printed on standard error)\n"
            "      --metrics-linger SEC  keep serving the final figures SEC seconds after\n"
            "                        the run, for the last scrape (default 0)\n"
            "  -q, --quiet           errors only: no progress, no summary\n"
            "\n"
            "Other:\n"
            "  -h, --help            this text\n"
            "      --version         print the version\n"
            "\n"
            "API key: $VISIONBATCH_API_KEY, else the provider's own variable\n"
            "($OPENAI_API_KEY; $ANTHROPIC_API_KEY; $GEMINI_API_KEY, else $GOOGLE_API_KEY),\n"
            "or --api-key-file. It is sent only in the provider's header (Authorization,\n"
            "x-api-key, x-goog-api-key), never in a URL, and never taken from a\n"
            "command-line value, which other users could read with ps.\n"
            "\n"
            "Settings resolve as: defaults < config file < environment < flags. Every\n"
            "setting below can be written as a flag (--max-tokens 300), as a line of the\n"
            "config file (max-tokens = 300, optionally under [visionbatch]) and as an\n"
            "environment variable (VISIONBATCH_MAX_TOKENS=300):\n",
            vb_provider_default_base_url("anthropic"), vb_provider_default_base_url("gemini"),
            vb_provider_default_model("openai"), vb_provider_default_model("anthropic"),
            vb_provider_default_model("gemini"));
    config_print_settings(out);
    fprintf(out,
            "\n"
            "Exit status: 0 every image succeeded; 1 the run finished and some images\n"
            "failed (the summary says how to send them again); 2 usage or configuration\n"
            "error, or inputs holding no image (without --allow-empty); 3 the run was\n"
            "stopped by a fatal error (the server rejected the key, the account has no\n"
            "quota, the server redirects (never followed), or its TLS certificate fails\n"
            "verification); 130/143 stopped by SIGINT/SIGTERM (run the same command again\n"
            "to resume); 4 the budget was used up and the items left were written as\n"
            "skipped. With --batch-api --no-wait, 0 also when the batches were submitted\n"
            "and wait to be collected.\n"
            "\n"
            "Retried: 408, 409, 429, 5xx, timeouts, connection errors, and whatever the\n"
            "server marks x-should-retry: true; a retry waits without holding a\n"
            "concurrency slot. A 429 pauses the whole run and slows it down. Not retried:\n"
            "400, 404, 413, 422 (the item fails). 401, 403 and insufficient_quota stop the\n"
            "run: nothing new is sent, in-flight requests finish and are written.\n"
            "\n"
            "A bad input (empty, truncated, corrupt, not an image, unsupported format,\n"
            "animated, too large, too many pixels, missing, unreadable, a FIFO or device,\n"
            "a duplicate id, a broken manifest line, a non-http URL) gets one error line\n"
            "whose error.kind names the problem; it is never sent (README: Bad input).\n");
}

/* `visionbatch worker --help`: what a worker takes, which is not run's INPUT nor the
 * job's parameters (those come from Redis: cli_redis_run.c adopt_params). */
static void worker_usage(FILE *out)
{
    fprintf(out,
            "Usage: visionbatch worker --redis URL --job NAME [options]\n"
            "\n"
            "Joins a distributed job that `visionbatch run --redis URL --job NAME INPUT...`\n"
            "published to Redis, and works on its items until every item has a result. A\n"
            "worker takes no INPUT (the items are in Redis; their files must be at the\n"
            "same paths on this machine) and takes the job's parameters from Redis: the\n"
            "model, prompt, detail, max tokens, max side, budget, batch size, --json and\n"
            "--json-retries; giving a different one is refused.\n"
            "\n"
            "Options:\n"
            "      --redis URL       redis://[user:password@]host:port[/db] (password also\n"
            "                        from $VISIONBATCH_REDIS_PASSWORD)\n"
            "      --job NAME        the job's name (letters, digits, . _ -)\n"
            "      --visibility-timeout SEC  an item a worker has held this long without a\n"
            "                        result goes to another worker (default 60)\n"
            "  -o, --output FILE     also write this worker's own results as JSONL\n"
            "      --base-url URL    API root (per process; default as for run)\n"
            "      --config FILE     INI file of settings (also $VISIONBATCH_CONFIG)\n"
            "      --api-key-file F  read the API key from a file (mode 600)\n"
            "  -c, --concurrency N   requests in flight (default 10)\n"
            "      --rpm N, --tpm N, --burst N, --limiter KIND  pacing (shared through\n"
            "                        Redis by every process using the same key)\n"
            "      --retries N, --retry-base SEC, --retry-max SEC, --timeout SEC  retries and\n"
            "                        timeouts (per process)\n"
            "      --no-cache        send every image, even when the shared cache has its\n"
            "                        answer\n"
            "      --grace SEC       after Ctrl-C/SIGTERM, how long in-flight requests may\n"
            "                        finish (default 30; said at once on standard error);\n"
            "                        items not finished go to the other workers\n"
            "      --progress MODE, --progress-interval SEC, --stats-json FILE,\n"
            "      --metrics-port PORT  progress, summary and metrics as for run; the last\n"
            "                        progress line ends (done), (cancelled) or (stopped)\n"
            "  -q, --quiet           errors only\n"
            "  -h, --help            this text\n"
            "\n"
            "The other settings of `visionbatch run --help` are accepted too. The API key\n"
            "comes from the environment or --api-key-file, as for run.\n"
            "\n"
            "Exit status: as run's: 0 every item done, 1 some failed, 2 usage or\n"
            "configuration error, 3 a fatal error, 4 the budget was used up, 130/143 stopped\n"
            "by SIGINT/SIGTERM.\n");
}

enum { OPT_CONFIG = 256, OPT_VERSION, OPT_API_KEY, OPT_SETTING, OPT_FLAG, OPT_MONITOR, OPT_DRY_RUN };

static const struct option run_options[] = {
    {"provider", required_argument, 0, OPT_SETTING},
    {"base-url", required_argument, 0, OPT_SETTING},
    {"model", required_argument, 0, 'm'},
    {"prompt", required_argument, 0, 'p'},
    {"prompt-file", required_argument, 0, OPT_SETTING},
    {"max-tokens", required_argument, 0, OPT_SETTING},
    {"system", required_argument, 0, OPT_SETTING},
    {"temperature", required_argument, 0, OPT_SETTING},
    {"seed", required_argument, 0, OPT_SETTING},
    {"detail", required_argument, 0, OPT_SETTING},
    {"concurrency", required_argument, 0, 'c'},
    {"batch-size", required_argument, 0, OPT_SETTING},
    {"batch-max-bytes", required_argument, 0, OPT_SETTING},
    {"timeout", required_argument, 0, OPT_SETTING},
    {"output", required_argument, 0, 'o'},
    {"api-key-file", required_argument, 0, OPT_SETTING},
    {"max-image-bytes", required_argument, 0, OPT_SETTING},
    {"prepare-threads", required_argument, 0, OPT_SETTING},
    {"rpm", required_argument, 0, OPT_SETTING},
    {"tpm", required_argument, 0, OPT_SETTING},
    {"burst", required_argument, 0, OPT_SETTING},
    {"limiter", required_argument, 0, OPT_SETTING},
    {"retries", required_argument, 0, OPT_SETTING},
    {"retry-base", required_argument, 0, OPT_SETTING},
    {"retry-max", required_argument, 0, OPT_SETTING},
    {"journal", required_argument, 0, OPT_SETTING},
    {"budget", required_argument, 0, OPT_SETTING},
    {"cost-warn", required_argument, 0, OPT_SETTING},
    {"pricing", required_argument, 0, OPT_SETTING},
    {"grace", required_argument, 0, OPT_SETTING},
    {"no-journal", no_argument, 0, OPT_FLAG},
    {"allow-empty", no_argument, 0, OPT_FLAG},
    {"image-column", required_argument, 0, OPT_SETTING},
    {"id-column", required_argument, 0, OPT_SETTING},
    {"csv-delimiter", required_argument, 0, OPT_SETTING},
    {"new-job", no_argument, 0, OPT_FLAG},
    {"retry-failed", no_argument, 0, OPT_FLAG},
    {"no-cache", no_argument, 0, OPT_FLAG},
    {"no-dedupe", no_argument, 0, OPT_FLAG},
    {"convert", no_argument, 0, OPT_FLAG},
    {"fetch-urls", no_argument, 0, OPT_FLAG},
    {"fetch-concurrency", required_argument, 0, OPT_SETTING},
    {"fetch-per-host", required_argument, 0, OPT_SETTING},
    {"no-decode-check", no_argument, 0, OPT_FLAG},
    {"body-timeout", required_argument, 0, OPT_SETTING},
    {"unreachable-timeout", required_argument, 0, OPT_SETTING},
    {"no-preflight", no_argument, 0, OPT_FLAG},
    {"dry-run", no_argument, 0, OPT_DRY_RUN},
    {"insecure", no_argument, 0, OPT_FLAG},
    {"ca-cert", required_argument, 0, OPT_SETTING},
    {"allow-http", no_argument, 0, OPT_FLAG},
    {"resize", required_argument, 0, OPT_SETTING},
    {"max-side", required_argument, 0, OPT_SETTING},
    {"json", no_argument, 0, OPT_FLAG},
    {"schema", required_argument, 0, OPT_SETTING},
    {"json-retries", required_argument, 0, OPT_SETTING},
    {"output-format", required_argument, 0, OPT_SETTING},
    {"redis", required_argument, 0, OPT_SETTING},
    {"job", required_argument, 0, OPT_SETTING},
    {"visibility-timeout", required_argument, 0, OPT_SETTING},
    {"batch-api", no_argument, 0, OPT_FLAG},
    {"no-wait", no_argument, 0, OPT_FLAG},
    {"poll-interval", required_argument, 0, OPT_SETTING},
    {"batch-api-max-lines", required_argument, 0, OPT_SETTING},
    {"max-enqueued-tokens", required_argument, 0, OPT_SETTING},
    {"fallback-online", no_argument, 0, OPT_FLAG},
    {"fallback-after", required_argument, 0, OPT_SETTING},
    {"config", required_argument, 0, OPT_CONFIG},
    {"api-key", required_argument, 0, OPT_API_KEY},
    {"quiet", no_argument, 0, 'q'},
    {"progress", required_argument, 0, OPT_MONITOR},
    {"progress-interval", required_argument, 0, OPT_MONITOR},
    {"metrics-port", required_argument, 0, OPT_MONITOR},
    {"stats-json", required_argument, 0, OPT_MONITOR},
    {"metrics-linger", required_argument, 0, OPT_MONITOR},
    {"help", no_argument, 0, 'h'},
    {"version", no_argument, 0, OPT_VERSION},
    {0, 0, 0, 0},
};

/* The running job, for the signal handler; and the first signal received. */
static vb_job_t *volatile running_job;
static volatile sig_atomic_t first_signal;

/* First SIGINT/SIGTERM: stop sending, let in-flight requests finish, flush, exit
 * 130/143. Second: exit at once (the journal's last committed state is consistent). */
static void on_stop_signal(int sig)
{
    if (first_signal)
        _exit(128 + sig);
    first_signal = sig;
    if (running_job)
        vb_job_cancel(running_job);
}

/* The results file, opened (and truncated) at the first result: a run refused before
 * any result (a journal of another job, say) leaves an existing file as it was. */
typedef struct sink {
    const char *path; /* NULL or "-": standard output */
    results_file_t *out;
    int failed;
    progress_t *bar_on_tty; /* the bar, when results go to the terminal it is drawn on */
} sink_t;

static int sink_open(sink_t *k)
{
    char err[512];
    if (!k->out && !k->failed && !(k->out = results_file_open(k->path, err, sizeof err))) {
        fprintf(stderr, "visionbatch: %s\n", err);
        k->failed = 1;
    }
    return k->out ? 0 : -1;
}

/* Checks now that the results file can be written, without truncating it. */
static int sink_check(const sink_t *k)
{
    if (!k->path || strcmp(k->path, "-") == 0)
        return 0;
    int fd = open(k->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "visionbatch: cannot write %s: %s\n", k->path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

static void on_result(const vb_result_t *r, void *arg)
{
    sink_t *k = arg;
    progress_interrupt(k->bar_on_tty); /* the line goes above the bar, not into it */
    if (sink_open(k) == 0 && results_file_write(k->out, r->line) != 0)
        fprintf(stderr, "visionbatch: cannot write the result of %s\n", r->id ? r->id : "?");
}

/* Which command parses the options of run's table. */
typedef enum { CMD_RUN, CMD_WORKER, CMD_ESTIMATE } run_command_t;

static const char *const command_names[] = {"run", "worker", "estimate"};

/* What the flags say besides the settings: a dry run (estimate, or run --dry-run), and
 * estimate's --json (its output's format, not --json answers). */
typedef struct run_args {
    bool dry_run;
    bool json_out;
} run_args_t;

/* Reads the flags and settings into c (which must hold the defaults): the one table of
 * options of run, worker and estimate. Returns -1 after printing a usage error, 1 when
 * --help or --version was answered, 0 to go on. */
static int run_parse(int argc, char **argv, config_t *c, cli_monitor_t *mon, run_command_t cmd,
                     run_args_t *args)
{
    cli_flags_t flags;
    int rc = -1, opt, index = -1;
    bool json = false;
    const char *command = command_names[cmd];

    if (cli_flags_init(&flags, argc) != 0)
        return -1;
    args->dry_run = cmd == CMD_ESTIMATE;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "m:p:c:o:qh", run_options, &index)) != -1) {
        const char *name = index >= 0 ? run_options[index].name : NULL;
        switch (opt) {
        case 'm':
        case 'p':
        case 'c':
        case 'o':
            name = opt == 'm' ? "model" : opt == 'p' ? "prompt" : opt == 'c' ? "concurrency"
                                                                            : "output";
            /* fall through */
        case OPT_SETTING:
            cli_flags_add(&flags, name, optarg);
            break;
        case OPT_FLAG:
            if (strcmp(name, "json") == 0)
                json = true; /* which --json it is, the dry run decides */
            else
                cli_flags_add(&flags, name, "1");
            break;
        case OPT_DRY_RUN:
            if (cmd == CMD_WORKER) {
                fprintf(stderr, "visionbatch worker: --dry-run is for run and estimate: a "
                                "worker's items are in Redis\n");
                goto out;
            }
            args->dry_run = true;
            break;
        case OPT_CONFIG:
            flags.config_path = optarg;
            break;
        case OPT_API_KEY:
            fprintf(stderr, "visionbatch: --api-key is not accepted: a key on the command line "
                            "is visible to every user through ps. Set the provider's key variable "
                            "(OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY) or use "
                            "--api-key-file FILE.\n");
            goto out;
        case 'q':
            mon->quiet = true;
            break;
        case OPT_MONITOR:
            if (cli_monitor_flag(mon, name, optarg) != 0)
                goto out;
            break;
        case 'h':
            (cmd == CMD_WORKER ? worker_usage : cmd == CMD_ESTIMATE ? cli_estimate_usage
                                                                    : run_usage)(stdout);
            rc = 1;
            goto out;
        case OPT_VERSION:
            printf("visionbatch %s\n", vb_version());
            rc = 1;
            goto out;
        default:
            if (optopt)
                fprintf(stderr, "visionbatch %s: option -%c needs a value or is unknown\n",
                        command, optopt);
            else /* only the option's name: its value could be a secret */
                fprintf(stderr, "visionbatch %s: unknown option or missing value: %.*s\n",
                        command, (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
            fprintf(stderr, "Try 'visionbatch %s --help'.\n", command);
            goto out;
        }
        index = -1;
    }
    /* estimate's --json is its output's format (as it always was); run's, with
     * --dry-run too, asks for JSON answers, so the dry run prices what the run sends */
    if (json && cmd == CMD_ESTIMATE)
        args->json_out = true;
    else if (json)
        cli_flags_add(&flags, "json", "1");
    rc = cli_flags_apply(&flags, c);
out:
    cli_flags_free(&flags);
    return rc;
}

/* Whether a finished run found nothing at all to do: no item in its inputs, and none
 * replayed from the journal (a resumed job whose items are all done is not empty). */
static bool run_found_nothing(vb_run_status_t rs, const vb_summary_t *s)
{
    return rs == VB_RUN_ALL_OK && s->images == 0 && s->replayed == 0 && s->skipped == 0;
}

/* "no images found in A, B": the inputs as given, for the usage error. */
static void print_no_images(int ninputs, char **inputs)
{
    fprintf(stderr, "visionbatch: no images found in ");
    for (int i = 0; i < ninputs; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", inputs[i]);
    fprintf(stderr, " (--allow-empty to accept that)\n");
}

/* run, worker (no INPUT, the job from Redis) or estimate (a dry run of run). */
static int run_main(int argc, char **argv, run_command_t cmd)
{
    bool worker = cmd == CMD_WORKER;
    run_args_t args = {0};
    char err[512];
    cli_monitor_t mon;
    int status = EXIT_USAGE;
    vb_job_t *job = NULL;
    sink_t sink = {0};
    cli_monitor_init(&mon);
    config_t *c = config_new();
    if (!c) {
        fprintf(stderr, "visionbatch: out of memory\n");
        return EXIT_USAGE;
    }
    int parsed = run_parse(argc, argv, c, &mon, cmd, &args);
    cli_redis_hide_password(argc, argv); /* read: now keep it out of ps */
    if (parsed != 0) {
        status = parsed > 0 ? EXIT_ALL_OK : EXIT_USAGE;
        goto out;
    }
    if (args.dry_run) { /* nothing sent, nothing written: cli_estimate.c */
        status = cli_dry_run(c, argc - optind, argv + optind,
                             cmd == CMD_ESTIMATE ? (args.json_out ? "-" : NULL) : mon.stats_json,
                             mon.quiet);
        goto out;
    }
    if (worker || c->redis_url) { /* a distributed job: cli_redis_run.c */
        status = cli_redis_run(c, argc - optind, argv + optind, &mon, worker);
        goto out;
    }
    if (optind >= argc) {
        fprintf(stderr, "visionbatch run: no INPUT given (see visionbatch run --help)\n");
        goto out;
    }
    if (c->o.insecure)
        fprintf(stderr, "visionbatch: WARNING: --insecure: the server's TLS certificate is NOT "
                        "verified; anyone on the network path can read the API key and the "
                        "images\n");
    mon.stop_signal = &first_signal;
    mon.grace_s = c->o.grace_s;
    if (cli_monitor_start(&mon, &c->o) != 0)
        goto out;
    if (!(job = vb_job_new(&c->o, err, sizeof err))) {
        fprintf(stderr, "visionbatch: %s\n", err);
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        if (vb_job_add_input(job, argv[i], err, sizeof err) != 0) {
            fprintf(stderr, "visionbatch: input %s\n", err);
            goto out;
        }
    }
    sink.path = c->output_path;
    if ((!sink.path || strcmp(sink.path, "-") == 0) && isatty(STDOUT_FILENO))
        sink.bar_on_tty = mon.progress;
    if (sink_check(&sink) != 0)
        goto out;

    vb_summary_t summary;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART; /* a write to a slow pipe is not cut short by Ctrl-C */
    sigemptyset(&sa.sa_mask);
    running_job = job;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    vb_run_status_t rs = vb_job_run(job, on_result, &sink, &summary, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    running_job = NULL;
    if (!c->allow_empty && run_found_nothing(rs, &summary)) { /* a missing mount, say */
        progress_interrupt(mon.progress);
        print_no_images(argc - optind, argv + optind);
        status = EXIT_USAGE;
        goto out;
    }
    if (rs != VB_RUN_CONFIG)
        cli_monitor_end(&mon, cli_monitor_end_word(rs));
    int monitored = rs != VB_RUN_CONFIG ? cli_monitor_finish(&mon, &summary) : 0;
    switch (rs) {
    case VB_RUN_ALL_OK:
        status = EXIT_ALL_OK;
        break;
    case VB_RUN_SOME_FAILED:
        status = EXIT_SOME_FAILED;
        break;
    case VB_RUN_CONFIG:
        fprintf(stderr, "visionbatch: %s\n", err);
        status = EXIT_USAGE;
        break;
    case VB_RUN_STOPPED:
        fprintf(stderr, "visionbatch: run stopped: %s\n", err);
        status = EXIT_STOPPED;
        break;
    case VB_RUN_BUDGET:
        fprintf(stderr, "visionbatch: %s\n", err);
        status = EXIT_BUDGET;
        break;
    case VB_RUN_CANCELLED:
        fprintf(stderr, "visionbatch: %s; run the same command again to resume%s\n", err,
                c->o.journal ? "" : " (no journal: it will start over)");
        status = 128 + (first_signal ? first_signal : SIGINT);
        break;
    case VB_RUN_SUBMITTED:
        fprintf(stderr, "visionbatch: %s\n", err);
        status = EXIT_ALL_OK;
        break;
    }
    if (rs == VB_RUN_CONFIG)
        goto out;
    if (monitored != 0 && status == EXIT_ALL_OK)
        status = EXIT_SOME_FAILED;
    sink_open(&sink); /* an empty run still leaves an (empty) results file */
    if (sink.failed || results_file_close(sink.out, err, sizeof err) != 0) {
        if (!sink.failed)
            fprintf(stderr, "visionbatch: %s\n", err);
        if (status == EXIT_ALL_OK)
            status = EXIT_SOME_FAILED;
    }
    sink.out = NULL;
    if (!mon.quiet && c->output_path && strcmp(c->output_path, "-") != 0)
        fprintf(stderr, "results: %s%s%s\n", c->output_path, c->o.journal ? ", journal: " : "",
                c->o.journal ? c->o.journal : "");
    if (!mon.quiet && status == EXIT_SOME_FAILED && summary.failed > 0)
        fprintf(stderr, "%ld item%s failed: fix the cause and run the same command with "
                        "--retry-failed to send them again\n",
                summary.failed, summary.failed == 1 ? "" : "s");
out:
    results_file_close(sink.out, err, sizeof err);
    vb_job_free(job);
    cli_monitor_stop(&mon);
    config_free(c);
    return status;
}

int cli_run(int argc, char **argv)
{
    return run_main(argc, argv, CMD_RUN);
}

int cli_worker(int argc, char **argv)
{
    return run_main(argc, argv, CMD_WORKER);
}

int cli_estimate(int argc, char **argv)
{
    return run_main(argc, argv, CMD_ESTIMATE);
}
