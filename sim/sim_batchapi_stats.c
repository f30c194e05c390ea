/* sim_batchapi_stats.c - the batch APIs' counters (sim_batchapi_stats.h). */
#include "sim_batchapi_stats.h"

#include <string.h>

#define BILLED_MAX_SLOTS ((size_t)1 << 22) /* 128 MiB of line keys at most */

void sim_bstats_init(sim_bstats_t *s)
{
    memset(s, 0, sizeof *s);
    sim_digest_set_init(&s->billed, BILLED_MAX_SLOTS);
}

void sim_bstats_clear(sim_bstats_t *s)
{
    sim_digest_set_clear(&s->billed);
}

void sim_bstats_book(sim_bstats_t *s, const sim_btally_t *t,
                     const unsigned char (*keys)[SIM_DIGEST_LEN], size_t n_keys)
{
    s->lines.ok += t->ok;
    s->lines.refused += t->refused;
    s->lines.faults += t->faults;
    s->lines.not_run += t->not_run;
    s->lines.prompt_tokens += t->prompt_tokens;
    s->lines.completion_tokens += t->completion_tokens;
    for (size_t i = 0; i < n_keys; i++)
        if (sim_digest_set_add(&s->billed, keys[i]) == 0)
            s->billed_twice++;
}

#define J(v) ((json_int_t)(v))

json_t *sim_bstats_json(const sim_bstats_t *s, const sim_bcensus_t *c)
{
    const sim_btally_t *l = &s->lines;
    return json_pack(
        "{s:I,s:I,s:I,s:{s:I,s:I,s:I},s:I,s:{s:I,s:I,s:I,s:I},s:I,s:{s:I,s:I,s:I,s:I},s:I,s:I,"
        "s:I}",
        "files", J(c->files), "file_bytes", J(c->file_bytes), "batches", J(c->batches),
        "by_protocol", "openai", J(c->by_protocol[SIM_PROTO_OPENAI]), "anthropic",
        J(c->by_protocol[SIM_PROTO_ANTHROPIC]), "gemini", J(c->by_protocol[SIM_PROTO_GEMINI]),
        "open", J(c->open), "final", "completed", J(c->final[0]), "failed", J(c->final[1]),
        "expired", J(c->final[2]), "cancelled", J(c->final[3]), "refused", J(s->refused), "lines",
        "ok", J(l->ok), "failed", J(l->refused + l->faults), "faults", J(l->faults), "not_run",
        J(l->not_run), "prompt_tokens", J(l->prompt_tokens), "completion_tokens",
        J(l->completion_tokens), "billed_twice", J(s->billed_twice));
}

void sim_bstats_reset(sim_bstats_t *s, size_t n_files, size_t n_batches)
{
    sim_digest_set_clear(&s->billed);
    sim_bstats_init(s);
    s->files_mark = n_files;
    s->batches_mark = n_batches;
}
