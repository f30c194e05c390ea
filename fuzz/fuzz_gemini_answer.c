/* fuzz_gemini_answer.c - libFuzzer target for the Gemini answer parser and classifier
 * (provider_gemini.answer_parse): an HTTP status and a body, as the engine hands them
 * over after a transfer.
 *
 * Input: byte 0 picks the status (from a table of the ones the classifier treats apart,
 * or, from 0xf0 up, a raw 16-bit status from bytes 1-2), the rest is the body. Checks: a
 * result is either OK with content (only for a 200) or an error with a kind and a
 * one-line message; usage counts are -1 or >= 0; a body's wait is finite and >= 0 and
 * only on a retry, its limits finite and >= 0; the API key never appears in the message, even when
 * the server echoes it in any of its words. */
#include "fuzz_util.h"

#include "provider/gemini.h"

#include <math.h>

static const long statuses[] = {200, 400, 401, 403, 404, 408, 409, 413,
                                429, 500, 502, 503, 504, 302, 0,   -1};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

/* What a key looks like; the corpus and dictionary carry it so bodies echo it. */
static const char secret[] = "AIzaSyFUZZ-0123456789abcdefSECRET";

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
    /* the engine's body buffer: exactly len bytes, no terminator promised */
    size_t len = size - skip;
    char *body = malloc(len ? len : 1);
    FUZZ_CHECK(body != NULL);
    if (len)
        memcpy(body, data + skip, len);

    answer_t r;
    provider_gemini.answer_parse(status, body, len, NULL, NULL, secret, &r);
    FUZZ_CHECK(r.action >= ANSWER_OK && r.action <= ANSWER_STOP_RUN);
    FUZZ_CHECK(memchr(r.error_message, '\0', sizeof r.error_message) != NULL);
    if (r.action == ANSWER_OK) {
        FUZZ_CHECK(status == 200 && r.content != NULL && r.error_kind == NULL);
    } else {
        FUZZ_CHECK(r.error_kind != NULL && r.error_message[0] != '\0');
        FUZZ_CHECK(r.content == NULL);
        FUZZ_CHECK(strchr(r.error_message, '\n') == NULL);
    }
    FUZZ_CHECK(r.prompt_tokens >= -1 && r.completion_tokens >= -1 && r.total_tokens >= -1);
    FUZZ_CHECK(isfinite(r.retry_after_s) && r.retry_after_s >= 0);
    FUZZ_CHECK(r.retry_after_s == 0 || r.action == ANSWER_RETRY);
    FUZZ_CHECK(isfinite(r.limit_requests) && r.limit_requests >= 0);
    FUZZ_CHECK(isfinite(r.limit_tokens) && r.limit_tokens >= 0);
    FUZZ_CHECK(strstr(r.error_message, secret) == NULL);
    answer_clear(&r);
    free(body);
    return 0;
}
