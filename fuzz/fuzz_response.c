/* fuzz_response.c - libFuzzer target for the response parser and classifier
 * (openai_response_parse): an HTTP status, an x-should-retry header and a body, as the
 * engine hands them over after a transfer.
 *
 * Input: byte 0 picks the status (from a table of the ones the classifier treats apart,
 * or, above the table, a raw 16-bit status from bytes 2-3), byte 1 the x-should-retry
 * value (absent, "true", "false", other), the rest is the body. Checks: a result is
 * either OK with content or an error with a kind and a message; the API key never
 * appears in the message, even when the server echoes it. */
#include "fuzz_util.h"

#include "provider/answer_words.h"
#include "provider/openai.h"

static const long statuses[] = {200, 201, 204, 301, 400, 401, 403, 404, 408, 409,
                                413, 422, 429, 500, 502, 503, 504, 529, 0,   -1};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

static const char *const retry_values[] = {NULL, "true", "false", "maybe"};

/* What a key looks like; the corpus and dictionary carry it so bodies echo it. */
static const char secret[] = "sk-fuzz-0123456789abcdefSECRET";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    long status = statuses[data[0] % NSTATUS];
    size_t skip = 2;
    if (data[0] >= 0xf0 && size >= 4) {
        status = (long)((unsigned)data[2] << 8 | data[3]);
        skip = 4;
    }
    const char *should_retry = retry_values[data[1] % 4];
    /* the engine's body buffer: exactly len bytes, no terminator promised */
    size_t len = size - skip;
    char *body = malloc(len ? len : 1);
    FUZZ_CHECK(body != NULL);
    if (len)
        memcpy(body, data + skip, len);

    answer_t r;
    openai_response_parse(status, body, len, should_retry, secret, &r);
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
    /* usage is a count a request can have, or unknown: never a bill of trillions */
    FUZZ_CHECK(r.prompt_tokens >= -1 && r.prompt_tokens <= ANSWER_USAGE_MAX);
    FUZZ_CHECK(r.completion_tokens >= -1 && r.completion_tokens <= ANSWER_USAGE_MAX);
    FUZZ_CHECK(r.total_tokens >= -1 && r.total_tokens <= ANSWER_USAGE_MAX);
    FUZZ_CHECK(strstr(r.error_message, secret) == NULL);
    answer_clear(&r);
    free(body);
    return 0;
}
