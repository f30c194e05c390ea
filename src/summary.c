/* summary.c - formatting of vb_summary_t. */
#include "summary.h"

void summary_print(FILE *out, const vb_summary_t *s)
{
    fprintf(out, "\nvisionbatch summary\n");
    fprintf(out, "  images       %ld (ok %ld, failed %ld)\n", s->images, s->ok, s->failed);
    if (s->replayed || s->cached)
        fprintf(out, "  reused       %ld from earlier runs of this job, %ld from the cache\n",
                s->replayed, s->cached);
    fprintf(out, "  requests     %ld (retries %ld, rate-limited 429s %ld)\n", s->requests,
            s->retries, s->rate_limited);
    fprintf(out, "  wall time    %.2f s\n", s->wall_s);
    fprintf(out, "  throughput   %.1f images/s\n", s->images_per_s);
    fprintf(out, "  latency      avg %.0f ms, p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n",
            s->latency_avg_ms, s->latency_p50_ms, s->latency_p95_ms, s->latency_p99_ms);
    fprintf(out, "  tokens       in %ld, out %ld\n", s->prompt_tokens, s->completion_tokens);
    if (s->stopped)
        fprintf(out, "  stopped      %s\n", s->stop_reason);
}
