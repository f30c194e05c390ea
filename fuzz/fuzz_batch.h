/* fuzz_batch.h - what the three batch-codec fuzz targets (fuzz_batch_openai.c,
 * fuzz_batch_anthropic.c, fuzz_batch_gemini.c) share: the input goes whole to the codec's
 * status_parse and line_parse, and each of its newline-separated lines to line_parse (a
 * result file), every one in a buffer of exactly its length. Checks: a status is refused
 * with a reason, or has a known state, counts of -1 or 0..BATCH_MAX_COUNT, pending no
 * more than the total, ids and tags the codec can use, at most BATCH_MAX_ERROR_LINES line
 * numbers >= 1; a line has a valid action, a custom_id "" or one visionbatch writes, an OK
 * only with content, a 200 status and no error kind, anything else an error kind and a
 * message, usage counts of -1 or 0..BATCH_MAX_COUNT, a status of 0 or 100..599, a
 * response body inside the line; the API key appears in no text the codec produced.
 * Header-only: each target is one program. */
#ifndef VB_FUZZ_BATCH_H
#define VB_FUZZ_BATCH_H

#include "fuzz_util.h"

#include "provider/batch_api.h"
#include "provider/batch_api_internal.h"

/* What a key looks like; the corpus carries it so servers' words echo it. */
static const char fuzz_batch_secret[] = "sk-fuzz-0123456789abcdefSECRET";

/* s is NUL-terminated within cap and holds no key. */
static void fuzz_batch_text(const char *s, size_t cap)
{
    FUZZ_CHECK(memchr(s, '\0', cap) != NULL);
    FUZZ_CHECK(strstr(s, fuzz_batch_secret) == NULL);
}

static void fuzz_batch_count(long n)
{
    FUZZ_CHECK(n >= -1 && n <= BATCH_MAX_COUNT);
}

static void fuzz_batch_status(const batch_codec_t *c, const uint8_t *data, size_t size)
{
    char *json = malloc(size ? size : 1);
    FUZZ_CHECK(json != NULL);
    if (size)
        memcpy(json, data, size);
    batch_status_t st;
    int rc = c->status_parse(json, size, fuzz_batch_secret, &st);
    FUZZ_CHECK(rc == 0 || rc == -1);
    fuzz_batch_text(st.error_message, sizeof st.error_message);
    if (rc == -1) {
        FUZZ_CHECK(st.error_message[0] != '\0');
    } else {
        FUZZ_CHECK(st.state >= BATCH_REMOTE_UNKNOWN && st.state <= BATCH_REMOTE_CANCELLED);
        fuzz_batch_text(st.id, sizeof st.id);
        fuzz_batch_text(st.state_word, sizeof st.state_word);
        fuzz_batch_text(st.output_ref, sizeof st.output_ref);
        fuzz_batch_text(st.error_ref, sizeof st.error_ref);
        fuzz_batch_text(st.error_code, sizeof st.error_code);
        fuzz_batch_text(st.job_tag, sizeof st.job_tag);
        fuzz_batch_text(st.chunk_tag, sizeof st.chunk_tag);
        FUZZ_CHECK(st.id[0] != '\0');
        /* an id or a file goes into URL paths as it is */
        const char *id = strncmp(st.id, "batches/", 8) == 0 ? st.id + 8 : st.id;
        FUZZ_CHECK(batch_id_ok(id, sizeof st.id));
        const char *ref =
            strncmp(st.output_ref, "files/", 6) == 0 ? st.output_ref + 6 : st.output_ref;
        FUZZ_CHECK(!st.output_ref[0] || batch_id_ok(ref, sizeof st.output_ref));
        FUZZ_CHECK(!st.error_ref[0] || batch_id_ok(st.error_ref, sizeof st.error_ref));
        FUZZ_CHECK(!st.job_tag[0] || batch_tag_ok(st.job_tag, sizeof st.job_tag));
        FUZZ_CHECK(!st.chunk_tag[0] || batch_tag_ok(st.chunk_tag, sizeof st.chunk_tag));
        fuzz_batch_count(st.total);
        fuzz_batch_count(st.succeeded);
        fuzz_batch_count(st.failed);
        fuzz_batch_count(st.pending);
        FUZZ_CHECK(st.n_error_lines <= BATCH_MAX_ERROR_LINES);
        for (size_t i = 0; i < st.n_error_lines; i++)
            FUZZ_CHECK(st.error_lines[i] >= 1 && st.error_lines[i] <= BATCH_MAX_COUNT);
        (void)batch_remote_state_name(st.state);
    }
    free(json);
}

static void fuzz_batch_line(const batch_codec_t *c, const uint8_t *data, size_t size)
{
    char *line = malloc(size ? size : 1);
    FUZZ_CHECK(line != NULL);
    if (size)
        memcpy(line, data, size);
    batch_line_t l;
    c->line_parse(line, size, fuzz_batch_secret, &l);
    const answer_t *a = &l.answer;
    FUZZ_CHECK(a->action >= ANSWER_OK && a->action <= ANSWER_STOP_RUN);
    fuzz_batch_text(l.custom_id, sizeof l.custom_id);
    FUZZ_CHECK(!l.custom_id[0] || batch_custom_id_ok(l.custom_id));
    fuzz_batch_text(a->error_message, sizeof a->error_message);
    if (a->action == ANSWER_OK) {
        FUZZ_CHECK(a->content != NULL && a->error_kind == NULL && l.http_status == 200);
        FUZZ_CHECK(l.custom_id[0] != '\0');
    } else {
        FUZZ_CHECK(a->error_kind != NULL && a->error_message[0] != '\0');
        FUZZ_CHECK(a->content == NULL || strcmp(a->error_kind, "refused") == 0);
    }
    fuzz_batch_count(a->prompt_tokens);
    fuzz_batch_count(a->completion_tokens);
    fuzz_batch_count(a->total_tokens);
    FUZZ_CHECK(l.http_status == 0 || (l.http_status >= 100 && l.http_status <= 599));
    if (l.response_body)
        FUZZ_CHECK(l.response_body >= line && l.response_len <= size &&
                   l.response_body + l.response_len <= line + size);
    answer_clear(&l.answer);
    free(line);
}

/* The whole input as a status and as a line, then each of its lines as a line. */
static void fuzz_batch_run(const batch_codec_t *c, const uint8_t *data, size_t size)
{
    fuzz_batch_status(c, data, size);
    fuzz_batch_line(c, data, size);
    const uint8_t *end = data + size, *p = data;
    if (!memchr(data, '\n', size))
        return;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fuzz_batch_line(c, p, n);
        p += n + 1;
    }
}

#endif
