/* sim_main.c - visionbatch-sim: command line, startup, and waiting for a stop signal.
 *
 * SIGINT and SIGTERM are blocked before any thread starts (threads inherit the mask) and
 * taken with sigwait in main, so no code runs in a signal handler and the shutdown is an
 * ordinary function call: stop the daemon, free everything, exit 0. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "media/image.h"
#include "sim_config.h"
#include "sim_enforce.h"
#include "sim_reply.h"
#include "sim_server.h"

static const char usage_text[] =
    "NAME\n"
    "    visionbatch-sim - a local stand-in for OpenAI-compatible, Anthropic and\n"
    "    Gemini vision APIs\n"
    "\n"
    "SYNOPSIS\n"
    "    visionbatch-sim [--host ADDR] [--port N] [--key KEY] [--latency-ms N]\n"
    "                    [--jitter-ms N | --latency-p99-ms N] [--seed N]\n"
    "                    [--max-image-bytes N] [--max-body-bytes N]\n"
    "                    [--record-requests FILE] [--no-decode]\n"
    "                    [--rpm N] [--tpm N] [--enforce MODE] [--burst-s S]\n"
    "                    [--no-retry-after-ms]\n"
    "                    [--quota-after N]\n"
    "                    [--fail-rate P] [--timeout-rate P]\n"
    "                    [--reset-rate P] [--hang-ms N] [--html-rate P]\n"
    "                    [--truncate-rate P] [--no-usage-rate P] [--error200-rate P]\n"
    "                    [--huge-body-rate P] [--drip-rate P] [--redirect-rate P]\n"
    "                    [--redirect-to URL] [--garble-rate P] [--bad-json-rate P]\n"
    "                    [--batch-seconds S] [--batch-line-fail-rate P]\n"
    "                    [--batch-expire N:F] [--batch-validation-fail N]\n"
    "                    [--batch-enqueued-tokens N] [--models A,B,...]\n"
    "    visionbatch-sim --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Serves three vision APIs like strict providers, each on its own path (see\n"
    "    PROTOCOLS): it validates the request, decodes every image (it must be the\n"
    "    declared JPEG, PNG, WebP or GIF; http(s) URLs are accepted unfetched), bills\n"
    "    image tokens with the model's formula and answers deterministically, naming\n"
    "    each image by the SHA-256 of its bytes. Errors are the protocol's error\n"
    "    objects (400, 401/403, 404, 413).\n"
    "    It can also enforce rate limits and a quota (429) and inject transient\n"
    "    failures (server errors, calls never answered, connections broken half\n"
    "    way), so a client's retries and pacing can be tested; every option works\n"
    "    on every protocol, each answering the way its provider does.\n"
    "    On startup it prints its OpenAI base URL (e.g. http://127.0.0.1:43123/v1)\n"
    "    as the only line on standard output; Anthropic and Gemini clients use the\n"
    "    same address without /v1 (http://127.0.0.1:43123). Messages go to standard\n"
    "    error. SIGINT or SIGTERM stops it cleanly.\n"
    "\n"
    "OPTIONS\n"
    "    --host ADDR            numeric IPv4/IPv6 address to listen on (127.0.0.1)\n"
    "    --port N               TCP port; 0 lets the kernel pick one (0)\n"
    "    --key KEY              require the key (default: any key or none): OpenAI\n"
    "                           'Authorization: Bearer KEY' (else 401\n"
    "                           invalid_api_key); Anthropic 'x-api-key: KEY' (else\n"
    "                           401 authentication_error); Gemini 'x-goog-api-key:\n"
    "                           KEY' or ?key=KEY (none: 403 PERMISSION_DENIED; wrong:\n"
    "                           400 API_KEY_INVALID)\n"
    "    --latency-ms N         answer a valid request N ms after it arrived (0);\n"
    "                           validation time counts towards it\n"
    "    --jitter-ms N          vary the wait uniformly by +-N ms (0)\n"
    "    --latency-p99-ms N     heavy-tailed latency instead: lognormal with median\n"
    "                           --latency-ms and 99th percentile N (> --latency-ms,\n"
    "                           which must be > 0); --jitter-ms is then ignored\n"
    "    --seed N               seed of the random numbers: jitter, lognormal\n"
    "                           latency, fault draws (0)\n"
    "    --max-image-bytes N    largest decoded image accepted (20971520)\n"
    "    --max-body-bytes N     largest request body; larger gets 413 (52428800;\n"
    "                           Anthropic's own cap, 33554432, when smaller; Gemini\n"
    "                           answers 400 INVALID_ARGUMENT)\n"
    "    --record-requests FILE append each request body (every protocol) to FILE,\n"
    "                           one per line\n"
    "    --no-decode            check each image's format, header and end marker only,\n"
    "                           without decoding it (benchmarks: the server's CPU\n"
    "                           must not be what limits the client)\n"
    "\n"
    "  Rate limits and quota\n"
    "    --rpm N                allow N requests a minute, counted as --enforce\n"
    "                           says; more get 429 rate_limit_exceeded at once,\n"
    "                           with retry-after (whole seconds, rounded up) and\n"
    "                           retry-after-ms (0: no limit)\n"
    "    --tpm N                allow N tokens a minute (0: no limit); a request\n"
    "                           weighs its billed prompt tokens plus max_tokens\n"
    "                           (or max_completion_tokens); one heavier than N gets\n"
    "                           429 \"Request too large\" with x-should-retry: false\n"
    "    --enforce MODE         how both limits count \"a minute\" (gcra); N/60\n"
    "                           need not be whole:\n"
    "                           gcra        N/60 a second, paced evenly, with a\n"
    "                                       burst of --burst-s seconds of quota\n"
    "                           fixed-1s    N/60 per wall-clock second, counted\n"
    "                                       again from 0 at each second boundary\n"
    "                                       (OpenAI's quantized enforcement)\n"
    "                           sliding-1s  at most N/60 in any trailing second\n"
    "                                       (a sliding log, as proxies keep in\n"
    "                                       Redis)\n"
    "                           window-60s  at most N in any trailing 60 s (a\n"
    "                                       sliding log)\n"
    "                           bucket-60s  a token bucket of N, starting full,\n"
    "                                       refilled at N/60 a second\n"
    "                           In the 1 s modes --rpm must be 0 or at least 60,\n"
    "                           and a request heavier than N/60 tokens of --tpm\n"
    "                           gets \"Request too large\". A log holds at most\n"
    "                           1000000 requests; when full it answers 429.\n"
    "    --no-retry-after-ms    a rate-limit 429 says retry-after in whole seconds\n"
    "                           only, as many proxies do (no retry-after-ms)\n"
    "    --burst-s S            with --enforce gcra, the burst of each limit is S\n"
    "                           seconds of its quota, at least 1 unit (1.0)\n"
    "    --quota-after N        after N requests were answered 200, answer every\n"
    "                           later valid one 429 insufficient_quota (Anthropic:\n"
    "                           400 \"Your credit balance is too low ...\"; Gemini:\n"
    "                           429 RESOURCE_EXHAUSTED, quotaId\n"
    "                           GenerateRequestsPerDayPerProjectPerModel, no\n"
    "                           RetryInfo)\n"
    "\n"
    "  Faults (fractions P from 0 to 1 of the valid requests; their sum <= 1)\n"
    "    --fail-rate P          answer server errors in turn, after the latency (0):\n"
    "                           OpenAI 500, 502 (an HTML page, as from a proxy),\n"
    "                           503; Anthropic 500 api_error, 529\n"
    "                           overloaded_error; Gemini 500 INTERNAL, 503\n"
    "                           UNAVAILABLE\n"
    "    --timeout-rate P       never answer: hold the call until the client gives\n"
    "                           up or --hang-ms pass, then close the connection (0)\n"
    "    --reset-rate P         send the headers and half the body, then break the\n"
    "                           connection (0)\n"
    "    --hang-ms N            the longest a call is held by --timeout-rate, after\n"
    "                           its latency (120000)\n"
    "    --html-rate P          answer 200 with an HTML maintenance page (0)\n"
    "    --truncate-rate P      answer 200 with the first half of the JSON, billed (0)\n"
    "    --no-usage-rate P      answer without \"usage\" (Gemini: \"usageMetadata\")\n"
    "                           (billed as usual) (0)\n"
    "    --error200-rate P      answer 200 with an error object (0)\n"
    "    --huge-body-rate P     answer 200 with a chunked body of 64 MiB of blanks (0)\n"
    "    --drip-rate P          send the answer one byte every 100 ms (0)\n"
    "    --redirect-rate P      answer 307 to --redirect-to URL, else to the call's\n"
    "                           own URL (a loop) (0)\n"
    "    --refusal-rate P       answer 200 with the model's refusal (OpenAI message.refusal,\n"
    "                           Anthropic stop_reason refusal, Gemini finishReason SAFETY),\n"
    "                           billed as an answer (0)\n"
    "    --models A,B,...       serve and list only these models: any other gets the\n"
    "                           protocol's 404 (OpenAI model_not_found, Anthropic\n"
    "                           not_found_error, Gemini NOT_FOUND) (any model)\n"
    "    --garble-rate P        spoil this fraction of the batch answers (several\n"
    "                           images, a JSON array asked for): in turn an entry\n"
    "                           left out, the JSON cut off, two entries swapped (0)\n"
    "    --bad-json-rate P      of the answers to requests with a json_object or\n"
    "                           json_schema response_format, send P cut half way\n"
    "                           (not valid JSON) (0)\n"
    "\n"
    "  Batch APIs (see BATCH APIS)\n"
    "    --batch-seconds S      how long a batch takes (2; a fraction is fine): its\n"
    "                           counts rise for S seconds, then it is final\n"
    "    --batch-line-fail-rate P  fail a random fraction P of the lines a batch\n"
    "                           runs, retryably (a draw per line): OpenAI\n"
    "                           status_code 500 server_error, Anthropic errored\n"
    "                           api_error, Gemini error 503 UNAVAILABLE (0)\n"
    "    --batch-expire N:F     the N-th batch created expires with a fraction F of\n"
    "                           its lines not run: OpenAI \"expired\" (the rest in\n"
    "                           the error file as batch_expired), Anthropic ended\n"
    "                           with them \"expired\", Gemini BATCH_STATE_EXPIRED\n"
    "                           with no results at all\n"
    "    --batch-validation-fail N  the N-th batch created fails validation: OpenAI\n"
    "                           \"failed\" with errors naming line 2\n"
    "                           invalid_json_line, Anthropic's create 400\n"
    "                           invalid_request_error \"requests.1.params: ...\",\n"
    "                           Gemini BATCH_STATE_FAILED with an error\n"
    "    --batch-enqueued-tokens N  per protocol and model, the most estimated\n"
    "                           prompt tokens of unfinished batches (0: no limit;\n"
    "                           a line weighs the prompt tokens its online answer\n"
    "                           would bill, images measured from their headers):\n"
    "                           over it OpenAI's create answers 200 and the batch\n"
    "                           fails with token_limit_exceeded, Anthropic's\n"
    "                           create 429 rate_limit_error, Gemini's 429\n"
    "                           RESOURCE_EXHAUSTED\n"
    "    N counts the create calls that passed the key and body checks, over the\n"
    "    three protocols, from 1. Online faults (--fail-rate, --garble-rate, ...),\n"
    "    limits and quota do not apply to batch lines.\n"
    "\n"
    "  Structured answers\n"
    "    response_format {\"type\":\"json_object\"} (the messages must say \"json\")\n"
    "    is answered with a JSON object naming each image's hash, format and\n"
    "    size; {\"type\":\"json_schema\",...} with a value of the schema: every\n"
    "    required key filled with a plausible value of its type, the images'\n"
    "    \"sha256:<hex>\" in the first string (or under \"image_sha256\" when the\n"
    "    schema allows more keys). A strict schema whose root is not an object, or\n"
    "    with an object lacking \"additionalProperties\": false or a property\n"
    "    missing from \"required\", gets 400 invalid_json_schema. Anthropic's\n"
    "    output_config.format {\"type\":\"json_schema\",\"schema\":...} and Gemini's\n"
    "    responseMimeType \"application/json\" (with responseSchema or\n"
    "    responseJsonSchema, type names in any case) are answered the same way.\n"
    "\n"
    "  Other\n"
    "    -h, --help             print this text\n"
    "    --version              print the version\n"
    "\n"
    "PROTOCOLS\n"
    "    OpenAI     POST /v1/chat/completions; 'Authorization: Bearer KEY'.\n"
    "               x-request-id and openai-processing-ms on every answer.\n"
    "    Anthropic  POST /v1/messages (base URL http://127.0.0.1:PORT);\n"
    "               'x-api-key: KEY', 'anthropic-version: 2023-06-01' (else 400)\n"
    "               and 'content-type: application/json' required. Body: model\n"
    "               (claude-*, else 404 not_found_error), max_tokens (>= 1,\n"
    "               required), messages of text and image\n"
    "               blocks (source base64 with media_type image/jpeg|png|gif|\n"
    "               webp matching the bytes, or url, unfetched), system,\n"
    "               output_config; unknown keys and block types get 400. At most\n"
    "               100 images, 8000 px a side (2000 px with more than 20\n"
    "               images), 10 MB of base64 each. Answers\n"
    "               {\"type\":\"message\",...,\"usage\":{input_tokens,output_tokens,\n"
    "               cache_*}} with request-id: req_sim_N; errors\n"
    "               {\"type\":\"error\",\"error\":{type,message},\"request_id\"}.\n"
    "    Gemini     POST /v1beta/models/MODEL:generateContent (also /v1/models/...;\n"
    "               base URL http://127.0.0.1:PORT); the model is in the path and\n"
    "               must be gemini-* or gemma-* (else 404 NOT_FOUND). Body:\n"
    "               contents of text and inlineData parts (mimeType image/png|\n"
    "               jpeg|webp|heic|heif matching the bytes), generationConfig,\n"
    "               systemInstruction; names in camelCase or snake_case, unknown\n"
    "               ones get 400 INVALID_ARGUMENT. Answers candidates with\n"
    "               usageMetadata (promptTokensDetails TEXT/IMAGE; gemini-2.5-*\n"
    "               and gemini-3* also think: thoughtsTokenCount = 24 + 8 per\n"
    "               image, billed as output, none with thinkingBudget 0); for\n"
    "               gemini-3* generationConfig.mediaResolution LOW/HIGH sets the\n"
    "               images' detail. Errors {\"error\":{code,message,status,\n"
    "               details}}; no rate-limit headers.\n"
    "    Every protocol bills prompt tokens the same way: each image's tokens by\n"
    "    the model's formula, plus ceil(text bytes / 4), plus 7 per message (a\n"
    "    system prompt counts as one).\n"
    "\n"
    "ENDPOINTS\n"
    "    POST /v1/chat/completions   the simulated OpenAI provider\n"
    "    POST /v1/messages           the simulated Anthropic provider\n"
    "    POST /v1beta/models/MODEL:generateContent  the simulated Gemini provider\n"
    "    GET  /v1/models             the models it lists (OpenAI's list; Anthropic's\n"
    "                                when the call carries anthropic-version)\n"
    "    GET  /v1beta/models/MODEL   Gemini's model, or 404 NOT_FOUND\n"
    "    GET  /sim/stats             counters as JSON: requests, responses (by\n"
    "                                status; complete responses only), in_flight,\n"
    "                                max_in_flight, images_billed,\n"
    "                                distinct_images_billed, prompt_tokens,\n"
    "                                completion_tokens, image_tokens, rate_limited\n"
    "                                (429 rate_limit_exceeded), quota_rejected,\n"
    "                                invalid_images (400s for an image),\n"
    "                                faults {500, 502, 503, 529, timeout, reset,\n"
    "                                html, truncate, no-usage, error200, huge-body,\n"
    "                                drip, redirect},\n"
    "                                first_request_ms, last_response_ms (monotonic\n"
    "                                ms since start of the first request and the\n"
    "                                last response; 0 while none),\n"
    "                                batch_answers (JSON arrays answering several\n"
    "                                images), garbled {count, json, order},\n"
    "                                requests_by_protocol {openai, anthropic,\n"
    "                                gemini}, key_in_url (calls with ?key= in\n"
    "                                their URL)\n"
    "    POST /sim/reset             zero the counters (not the rate limits or the\n"
    "                                quota)\n"
    "\n"
    "RATE LIMITS\n"
    "    Each limit is N a minute, counted as --enforce says (by default a GCRA\n"
    "    limiter: paced evenly, with a burst of --burst-s seconds of quota). A\n"
    "    request is checked against both limits at once and takes from both or\n"
    "    neither; a refused one takes nothing. Requests refused with 401, 413 or\n"
    "    400 still count against --rpm (not --tpm). With a limit set, every\n"
    "    chat/completions response carries, as OpenAI's do:\n"
    "        x-ratelimit-limit-requests      N (with --rpm)\n"
    "        x-ratelimit-remaining-requests  N less the requests admitted in the\n"
    "                                        last 60 s (gcra: requests that could\n"
    "                                        go at once now)\n"
    "        x-ratelimit-reset-requests      until the limit's state is fully\n"
    "                                        restored, as a Go duration: 20ms,\n"
    "                                        1.5s, 6m0s (gcra, bucket-60s: the\n"
    "                                        burst or bucket full again;\n"
    "                                        fixed-1s: the next second boundary,\n"
    "                                        0s if nothing was used this second;\n"
    "                                        sliding-1s, window-60s: the newest\n"
    "                                        request leaving the log)\n"
    "        x-ratelimit-{limit,remaining,reset}-tokens  the same (with --tpm)\n"
    "    A 429's retry-after-ms is the exact wait until the same request would go\n"
    "    (not sent with --no-retry-after-ms).\n"
    "    Anthropic answers instead carry anthropic-ratelimit-requests-{limit,\n"
    "    remaining,reset} (with --rpm) and anthropic-ratelimit-{tokens,input-tokens,\n"
    "    output-tokens}-{limit,remaining,reset} (with --tpm: all three report the\n"
    "    one token limit), the reset as an RFC 3339 UTC time\n"
    "    (2026-12-03T12:00:00Z, with milliseconds when not whole); a 429\n"
    "    rate_limit_error has retry-after in whole seconds, rounded up. Gemini\n"
    "    answers carry no limit headers: a 429 RESOURCE_EXHAUSTED names quotaId\n"
    "    GenerateRequestsPerMinutePerProjectPerModel in a QuotaFailure and the\n"
    "    wait in a RetryInfo retryDelay (\"2s\": whole seconds, rounded up) and in\n"
    "    its message (\"Please retry in 1.234s.\"). A request heavier than all of\n"
    "    --tpm gets 429 with x-should-retry: false on OpenAI and Anthropic, 400\n"
    "    INVALID_ARGUMENT on Gemini.\n"
    "\n"
    "BATCH APIS\n"
    "    OpenAI     POST /v1/files (multipart: purpose=batch, file), GET\n"
    "               /v1/files/ID[/content], POST /v1/batches {input_file_id,\n"
    "               endpoint /v1/chat/completions, completion_window 24h,\n"
    "               metadata}, GET /v1/batches[?limit&after], GET\n"
    "               /v1/batches/ID, POST /v1/batches/ID/cancel. A file whose\n"
    "               lines are not JSON, repeat a custom_id, name another url or\n"
    "               mix models fails validation with errors naming the lines.\n"
    "               validating, in_progress, finalizing, completed (or failed,\n"
    "               expired, cancelling, cancelled); 200s in the output file,\n"
    "               the rest in the error file (lines not run: batch_expired,\n"
    "               batch_cancelled).\n"
    "    Anthropic  POST /v1/messages/batches {requests: [{custom_id, params}]}\n"
    "               (custom_id: 1-64 of [A-Za-z0-9_-], unique; else 400), GET\n"
    "               /v1/messages/batches[?limit&after_id], GET .../ID, POST\n"
    "               .../ID/cancel, GET .../ID/results.\n"
    "    Gemini     POST /upload/v1beta/files (resumable: start, then upload,\n"
    "               finalize to X-Goog-Upload-URL), GET /v1beta/files/ID, POST\n"
    "               /v1beta/models/MODEL:batchGenerateContent {batch:\n"
    "               {display_name, input_config: {file_name}}} (an Operation),\n"
    "               GET /v1beta/batches[/ID], POST /v1beta/batches/ID:cancel,\n"
    "               GET /download/v1beta/files/batch-ID:download?alt=media.\n"
    "    The key is checked as online. Each line is answered by the online\n"
    "    endpoint's own checks and answer (same text and usage; what it refuses\n"
    "    is a failed line), when the batch is final and first looked at; results\n"
    "    come in an order shuffled by --seed. A cancel leaves the batch\n"
    "    cancelling for 0.2 s; lines not processed by then are not run.\n"
    "    /sim/stats \"batch\": files, file_bytes, batches, by_protocol, open,\n"
    "    final {completed, failed, expired, cancelled}, refused (creates a fault\n"
    "    refused), lines {ok, failed, faults, not_run}, prompt_tokens and\n"
    "    completion_tokens of the ok lines, billed_twice (ok lines whose images,\n"
    "    or body, were billed ok in a batch before).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 after a stop signal, 1 when it cannot start, 2 for a usage error.\n";

enum {
    OPT_HOST = 256,
    OPT_PORT,
    OPT_KEY,
    OPT_LATENCY,
    OPT_JITTER,
    OPT_SEED,
    OPT_MAX_IMAGE,
    OPT_MAX_BODY,
    OPT_RECORD,
    OPT_LATENCY_P99,
    OPT_RPM,
    OPT_TPM,
    OPT_BURST,
    OPT_ENFORCE,
    OPT_NO_RETRY_AFTER_MS,
    OPT_QUOTA,
    OPT_FAIL,
    OPT_TIMEOUT,
    OPT_RESET,
    OPT_HANG,
    OPT_GARBLE,
    OPT_BAD_JSON,
    OPT_NO_DECODE,
    OPT_REDIRECT_TO,
    OPT_MODELS,
    OPT_BATCH_SECONDS,
    OPT_BATCH_LINE_FAIL,
    OPT_BATCH_EXPIRE,
    OPT_BATCH_VALIDATION,
    OPT_BATCH_TOKENS,
    OPT_BAD_BODY, /* OPT_BAD_BODY + i: the i-th of SIM_BAD_BODY_NAMES */
    OPT_BAD_BODY_LAST = OPT_BAD_BODY + SIM_BAD_BODY_KINDS - 1,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"key", required_argument, NULL, OPT_KEY},
    {"latency-ms", required_argument, NULL, OPT_LATENCY},
    {"jitter-ms", required_argument, NULL, OPT_JITTER},
    {"seed", required_argument, NULL, OPT_SEED},
    {"max-image-bytes", required_argument, NULL, OPT_MAX_IMAGE},
    {"max-body-bytes", required_argument, NULL, OPT_MAX_BODY},
    {"record-requests", required_argument, NULL, OPT_RECORD},
    {"latency-p99-ms", required_argument, NULL, OPT_LATENCY_P99},
    {"rpm", required_argument, NULL, OPT_RPM},
    {"tpm", required_argument, NULL, OPT_TPM},
    {"burst-s", required_argument, NULL, OPT_BURST},
    {"enforce", required_argument, NULL, OPT_ENFORCE},
    {"no-retry-after-ms", no_argument, NULL, OPT_NO_RETRY_AFTER_MS},
    {"quota-after", required_argument, NULL, OPT_QUOTA},
    {"fail-rate", required_argument, NULL, OPT_FAIL},
    {"timeout-rate", required_argument, NULL, OPT_TIMEOUT},
    {"reset-rate", required_argument, NULL, OPT_RESET},
    {"hang-ms", required_argument, NULL, OPT_HANG},
    {"garble-rate", required_argument, NULL, OPT_GARBLE},
    {"bad-json-rate", required_argument, NULL, OPT_BAD_JSON},
    {"no-decode", no_argument, NULL, OPT_NO_DECODE},
    {"redirect-to", required_argument, NULL, OPT_REDIRECT_TO},
    {"models", required_argument, NULL, OPT_MODELS},
    {"batch-seconds", required_argument, NULL, OPT_BATCH_SECONDS},
    {"batch-line-fail-rate", required_argument, NULL, OPT_BATCH_LINE_FAIL},
    {"batch-expire", required_argument, NULL, OPT_BATCH_EXPIRE},
    {"batch-validation-fail", required_argument, NULL, OPT_BATCH_VALIDATION},
    {"batch-enqueued-tokens", required_argument, NULL, OPT_BATCH_TOKENS},
    {"html-rate", required_argument, NULL, OPT_BAD_BODY + 0},
    {"truncate-rate", required_argument, NULL, OPT_BAD_BODY + 1},
    {"no-usage-rate", required_argument, NULL, OPT_BAD_BODY + 2},
    {"error200-rate", required_argument, NULL, OPT_BAD_BODY + 3},
    {"huge-body-rate", required_argument, NULL, OPT_BAD_BODY + 4},
    {"drip-rate", required_argument, NULL, OPT_BAD_BODY + 5},
    {"redirect-rate", required_argument, NULL, OPT_BAD_BODY + 6},
    {"refusal-rate", required_argument, NULL, OPT_BAD_BODY + 7},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Parses a decimal number in [min, max] for option `name`. Returns 0, or -1 after a
 * message on stderr. */
static int parse_number(const char *name, const char *s, unsigned long long min,
                        unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (!end || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr, "visionbatch-sim: --%s: '%s' is not a number from %llu to %llu\n", name, s,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Parses a decimal fraction in [min, max] (min < value when open_min) for option `name`.
 * Returns 0, or -1 after a message on stderr. */
static int parse_real(const char *name, const char *s, double min, double max, int open_min,
                      double *out)
{
    char *end = NULL;
    errno = 0;
    double v = (s[0] >= '0' && s[0] <= '9') || s[0] == '.' ? strtod(s, &end) : 0;
    if (!end || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max ||
        (open_min && v == min)) {
        fprintf(stderr, "visionbatch-sim: --%s: '%s' is not a number %s %g %s %g\n", name, s,
                open_min ? "above" : "from", min, open_min ? "up to" : "to", max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Parses --batch-expire N:F into cfg. Returns 0, or -1 after a message on stderr. */
static int parse_expire(const char *s, sim_config_t *cfg)
{
    const char *colon = strchr(s, ':');
    char n[32];
    unsigned long long v;
    if (!colon || (size_t)(colon - s) >= sizeof n) {
        fprintf(stderr, "visionbatch-sim: --batch-expire: '%s' is not N:F\n", s);
        return -1;
    }
    snprintf(n, sizeof n, "%.*s", (int)(colon - s), s);
    if (parse_number("batch-expire", n, 1, ULONG_MAX, &v) ||
        parse_real("batch-expire", colon + 1, 0, 1, 0, &cfg->batch_expire_fraction))
        return -1;
    cfg->batch_expire_nth = (unsigned long)v;
    return 0;
}

/* Checks the options that depend on each other. Returns 0, or 2 after a message. */
static int check_args(const sim_config_t *cfg)
{
    if (cfg->latency_p99_ms && (cfg->latency_ms == 0 || cfg->latency_p99_ms <= cfg->latency_ms)) {
        fprintf(stderr, "visionbatch-sim: --latency-p99-ms needs --latency-ms above 0 and "
                        "below it\n");
        return 2;
    }
    int one_second =
        cfg->enforce == SIM_ENFORCE_FIXED_1S || cfg->enforce == SIM_ENFORCE_SLIDING_1S;
    if (one_second && cfg->rpm && cfg->rpm < 60) {
        /* under 1 request a second, no request could ever go */
        fprintf(stderr, "visionbatch-sim: --enforce %s allows --rpm/60 requests a second: "
                        "--rpm must be 0 or at least 60\n",
                sim_enforce_name(cfg->enforce));
        return 2;
    }
    double bad = 0;
    for (int i = 0; i < SIM_BAD_BODY_KINDS; i++)
        bad += cfg->bad_body_rate[i];
    if (cfg->fail_rate + cfg->timeout_rate + cfg->reset_rate + bad > 1.0 + 1e-9) {
        fprintf(stderr, "visionbatch-sim: the fault rates add up to more than 1\n");
        return 2;
    }
    return 0;
}

/* Fills cfg from argv. Returns 0 to run, 1 when --help/--version was served, or 2 for a
 * usage error (already reported). */
static int parse_args(int argc, char **argv, sim_config_t *cfg)
{
    unsigned long long v;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        const char *name =
            opt >= OPT_HOST && opt < OPT_VERSION ? long_options[opt - OPT_HOST].name : "";
        switch (opt) {
        case OPT_HOST:
            cfg->host = optarg;
            break;
        case OPT_PORT:
            if (parse_number(name, optarg, 0, 65535, &v))
                return 2;
            cfg->port = (unsigned)v;
            break;
        case OPT_KEY:
            cfg->key = optarg;
            break;
        case OPT_LATENCY:
            if (parse_number(name, optarg, 0, 3600000, &v))
                return 2;
            cfg->latency_ms = (unsigned)v;
            break;
        case OPT_JITTER:
            if (parse_number(name, optarg, 0, 3600000, &v))
                return 2;
            cfg->jitter_ms = (unsigned)v;
            break;
        case OPT_SEED:
            if (parse_number(name, optarg, 0, UINT64_MAX, &v))
                return 2;
            cfg->seed = v;
            break;
        case OPT_MAX_IMAGE:
            if (parse_number(name, optarg, 1, SIZE_MAX / 2, &v))
                return 2;
            cfg->max_image_bytes = (size_t)v;
            break;
        case OPT_MAX_BODY:
            if (parse_number(name, optarg, 1, SIZE_MAX / 2, &v))
                return 2;
            cfg->max_body_bytes = (size_t)v;
            break;
        case OPT_RECORD:
            cfg->record_path = optarg;
            break;
        case OPT_LATENCY_P99:
            if (parse_number(name, optarg, 0, SIM_MAX_LATENCY_MS, &v))
                return 2;
            cfg->latency_p99_ms = (unsigned)v;
            break;
        case OPT_RPM:
        case OPT_TPM:
            if (parse_number(name, optarg, 0, SIM_MAX_PER_MINUTE, &v))
                return 2;
            if (opt == OPT_RPM)
                cfg->rpm = v;
            else
                cfg->tpm = v;
            break;
        case OPT_BURST:
            if (parse_real(name, optarg, 0, 3600, 1, &cfg->burst_s))
                return 2;
            break;
        case OPT_NO_RETRY_AFTER_MS:
            cfg->no_retry_after_ms = 1;
            break;
        case OPT_ENFORCE:
            if (sim_enforce_parse(optarg, &cfg->enforce) != 0) {
                fprintf(stderr,
                        "visionbatch-sim: --enforce: '%s' is not gcra, fixed-1s, sliding-1s, "
                        "window-60s or bucket-60s\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_QUOTA:
            if (parse_number(name, optarg, 0, UINT64_MAX, &v))
                return 2;
            cfg->quota_enabled = 1;
            cfg->quota_after = v;
            break;
        case OPT_FAIL:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->fail_rate))
                return 2;
            break;
        case OPT_TIMEOUT:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->timeout_rate))
                return 2;
            break;
        case OPT_RESET:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->reset_rate))
                return 2;
            break;
        case OPT_GARBLE:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->garble_rate))
                return 2;
            break;
        case OPT_REDIRECT_TO:
            cfg->redirect_to = optarg;
            break;
        case OPT_MODELS:
            cfg->models = optarg;
            break;
        case OPT_BAD_BODY + 0:
        case OPT_BAD_BODY + 1:
        case OPT_BAD_BODY + 2:
        case OPT_BAD_BODY + 3:
        case OPT_BAD_BODY + 4:
        case OPT_BAD_BODY + 5:
        case OPT_BAD_BODY + 6:
        case OPT_BAD_BODY + 7:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->bad_body_rate[opt - OPT_BAD_BODY]))
                return 2;
            break;
        case OPT_HANG:
            if (parse_number(name, optarg, 0, SIM_MAX_LATENCY_MS, &v))
                return 2;
            cfg->hang_ms = (unsigned)v;
            break;
        case OPT_BAD_JSON:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->bad_json_rate))
                return 2;
            break;
        case OPT_NO_DECODE:
            cfg->header_check_only = 1;
            break;
        case OPT_BATCH_SECONDS:
            if (parse_real(name, optarg, 0, 86400, 0, &cfg->batch_seconds))
                return 2;
            break;
        case OPT_BATCH_LINE_FAIL:
            if (parse_real(name, optarg, 0, 1, 0, &cfg->batch_line_fail_rate))
                return 2;
            break;
        case OPT_BATCH_EXPIRE:
            if (parse_expire(optarg, cfg))
                return 2;
            break;
        case OPT_BATCH_VALIDATION:
        case OPT_BATCH_TOKENS:
            if (parse_number(name, optarg, opt == OPT_BATCH_VALIDATION, ULONG_MAX, &v))
                return 2;
            if (opt == OPT_BATCH_VALIDATION)
                cfg->batch_validation_fail_nth = (unsigned long)v;
            else
                cfg->batch_enqueued_tokens = v;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        case OPT_VERSION:
            printf("visionbatch-sim %s\n", VB_VERSION);
            return 1;
        default:
            fprintf(stderr, "Try 'visionbatch-sim --help'.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "visionbatch-sim: unexpected argument '%s'\nTry 'visionbatch-sim --help'.\n",
                argv[optind]);
        return 2;
    }
    return check_args(cfg);
}

/* Every connection is a thread and a descriptor: allow as many descriptors as the hard
 * limit does. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fprintf(stderr, "visionbatch-sim: cannot raise the open-file limit: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
    sim_config_t cfg = {
        .host = "127.0.0.1",
        .max_image_bytes = SIM_DEFAULT_MAX_IMAGE_BYTES,
        .max_body_bytes = SIM_DEFAULT_MAX_BODY_BYTES,
        .burst_s = 1.0,
        .hang_ms = SIM_DEFAULT_HANG_MS,
        .batch_seconds = 2.0,
    };
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc == 1 ? 0 : 2;

    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    char err[256];
    if (image_global_init(argv[0], err, sizeof err) != 0) {
        fprintf(stderr, "visionbatch-sim: %s\n", err);
        return 1;
    }
    sim_server_t *server = sim_server_start(&cfg, err, sizeof err);
    if (!server) {
        fprintf(stderr, "visionbatch-sim: %s\n", err);
        image_global_cleanup();
        return 1;
    }
    printf("%s\n", sim_server_base_url(server));
    fflush(stdout);
    fprintf(stderr, "visionbatch-sim %s listening on %s\n", VB_VERSION,
            sim_server_base_url(server));

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    fprintf(stderr, "visionbatch-sim: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sim_server_stop(server);
    image_global_cleanup();
    return 0;
}
