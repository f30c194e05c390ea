/* fuzz_anthropic_answer.c - libFuzzer target for the Anthropic provider's answer parser
 * and classifier, and its rate-limit headers (provider_anthropic.answer_parse and
 * .limits_parse): an HTTP status, a response header block and a body, as the engine
 * hands them over after a transfer.
 *
 * Input: byte 0 picks the status (from a table of the ones the classifier treats apart,
 * or, from 0xf0 up, a raw 16-bit status from bytes 1-2); then "Name: value" header lines
 * up to the first empty line (x-should-retry, anthropic-ratelimit-*, retry-after...);
 * the rest is the body. Checks: a result is either OK with content or an error with a
 * kind and a message; usage counts are -1 or >= 0 and add up; the API key never appears
 * in the message, even when the server echoes it; every limit field is -1 or a finite
 * value >= 0. */
#include "fuzz_util.h"

#include "provider/anthropic.h"

#include <math.h>
#include <strings.h>

static const long statuses[] = {200, 201, 301, 307, 400, 401, 402, 403, 404, 408, 409,
                                413, 422, 429, 500, 502, 503, 504, 529, 0,   -1};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* What a key looks like; the corpus carries it so bodies echo it. */
static const char secret[] = "sk-ant-fuzz-0123456789abcdefSECRET";

#define MAX_HEADERS 64

typedef struct headers {
    char *names[MAX_HEADERS];
    char *values[MAX_HEADERS];
    size_t count;
} headers_t;

/* Splits text (modified in place) into "name: value" lines up to the first empty line;
 * returns where the body starts (after that line), or the end of text. A line without a
 * colon is skipped; a value loses its leading blanks and trailing CR/blanks, as libcurl's
 * do. */
static char *headers_split(headers_t *h, char *text)
{
    h->count = 0;
    char *line = text;
    while (*line) {
        char *nl = strchr(line, '\n');
        char *next = nl ? nl + 1 : line + strlen(line);
        if (nl)
            *nl = '\0';
        if (line[0] == '\0' || strcmp(line, "\r") == 0)
            return next;
        char *colon = strchr(line, ':');
        if (colon && h->count < MAX_HEADERS) {
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t n = strlen(v);
            while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' ' || v[n - 1] == '\t'))
                v[--n] = '\0';
            h->names[h->count] = line;
            h->values[h->count] = v;
            h->count++;
        }
        line = next;
    }
    return line;
}

static const char *headers_get(void *ctx, const char *name)
{
    headers_t *h = ctx;
    for (size_t i = 0; i < h->count; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

static void check_field(double v)
{
    FUZZ_CHECK(v == -1 || (isfinite(v) && v >= 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    long status = statuses[data[0] % NSTATUS];
    size_t skip = 1;
    if (data[0] >= 0xf0 && size >= 3) {
        status = (long)((unsigned)data[1] << 8 | data[2]);
        skip = 3;
    }
    /* the header block is text up to the empty line; the body after it is bytes, exactly
     * len of them with no terminator promised (the engine's buffer) */
    const uint8_t *rest = data + skip;
    size_t rest_len = size - skip;
    size_t head_len = rest_len, body_off = rest_len;
    for (size_t i = 0; i < rest_len; i++) {
        if (i > 0 && rest[i - 1] != '\n')
            continue; /* only an empty line ends the headers */
        size_t eol = rest[i] == '\n'                                              ? 1
                     : rest[i] == '\r' && i + 1 < rest_len && rest[i + 1] == '\n' ? 2
                                                                                  : 0;
        if (eol) {
            head_len = i;
            body_off = i + eol;
            break;
        }
    }
    char *head = fuzz_strndup(rest, head_len);
    headers_t h;
    headers_split(&h, head);
    size_t len = rest_len - body_off;
    char *body = malloc(len ? len : 1);
    FUZZ_CHECK(body != NULL);
    if (len)
        memcpy(body, rest + body_off, len);

    answer_t r;
    provider_anthropic.answer_parse(status, body, len, headers_get, &h, secret, &r);
    FUZZ_CHECK(r.action >= ANSWER_OK && r.action <= ANSWER_STOP_RUN);
    FUZZ_CHECK(memchr(r.error_message, '\0', sizeof r.error_message) != NULL);
    if (r.action == ANSWER_OK) {
        FUZZ_CHECK(status == 200 && r.content != NULL && r.error_kind == NULL);
    } else {
        FUZZ_CHECK(r.error_kind != NULL && r.error_message[0] != '\0');
        /* only a refusal keeps words: the model's, scrubbed */
        FUZZ_CHECK(r.content == NULL || strcmp(r.error_kind, "refused") == 0);
        FUZZ_CHECK(r.content == NULL || strstr(r.content, secret) == NULL);
    }
    FUZZ_CHECK(r.prompt_tokens >= -1 && r.completion_tokens >= -1);
    if (r.total_tokens >= 0)
        FUZZ_CHECK(r.total_tokens == r.prompt_tokens + r.completion_tokens);
    FUZZ_CHECK(strstr(r.error_message, secret) == NULL);
    answer_clear(&r);

    const time_t now = 1795000000; /* a fixed "now" keeps runs reproducible */
    ratelimit_info_t info;
    provider_anthropic.limits_parse(headers_get, &h, now, &info);
    check_field(info.limit_requests);
    check_field(info.limit_tokens);
    check_field(info.remaining_requests);
    check_field(info.remaining_tokens);
    check_field(info.reset_requests_s);
    check_field(info.reset_tokens_s);
    check_field(info.retry_after_s);

    free(body);
    free(head);
    return 0;
}
