/* summary.c - formatting of vb_summary_t. */
#include "summary.h"

void summary_print(FILE *out, const vb_summary_t *s)
{
    fprintf(out, "\nvisionbatch summary\n");
    fprintf(out, "  images       %ld (ok %ld, failed %ld)\n", s->images, s->ok, s->failed);
    if (s->replayed || s->cached || s->duplicates)
        fprintf(out, "  reused       %ld from earlier runs of this job, %ld from the cache, "
                     "%ld copies of other items\n",
                s->replayed, s->cached, s->duplicates);
    fprintf(out, "  requests     %ld (retries %ld, rate-limited 429s %ld)\n", s->requests,
            s->retries, s->rate_limited);
    if (s->batches)
        fprintf(out, "  batches      %ld requests of several images; %ld answers could not be "
                     "split, %ld images sent again alone\n",
                s->batches, s->batch_unsplit, s->batch_resent);
    fprintf(out, "  wall time    %.2f s\n", s->wall_s);
    fprintf(out, "  throughput   %.1f images/s\n", s->images_per_s);
    fprintf(out, "  latency      avg %.0f ms, p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n",
            s->latency_avg_ms, s->latency_p50_ms, s->latency_p95_ms, s->latency_p99_ms);
    fprintf(out, "  tokens       in %ld, out %ld\n", s->prompt_tokens, s->completion_tokens);
    long paid = s->ok - s->cached - s->replayed - s->duplicates;
    if (s->cost_usd >= 0)
        fprintf(out, "  cost         $%.4f ($%.4f per 1,000 images)%s\n", s->cost_usd,
                paid > 0 ? s->cost_usd * 1000.0 / (double)paid : 0.0,
                s->skipped ? " - budget used up" : "");
    else
        fprintf(out, "  cost         unknown (no price for the model)\n");
    if (s->skipped)
        fprintf(out, "  skipped      %ld (budget)\n", s->skipped);
    fprintf(out, "  uploaded     %.1f MB", (double)s->bytes_uploaded / 1e6);
    if (s->image_tokens_saved > 0)
        fprintf(out, ", %ld image tokens saved by downscaling", s->image_tokens_saved);
    fputc('\n', out);
    if (s->stopped)
        fprintf(out, "  stopped      %s\n", s->stop_reason);
}
