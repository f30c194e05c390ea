/* summary.c - names and verdicts for a run's summary, for programs that show their own. */
#include <visionbatch.h>

#include "record/stats.h"

const char *vb_limit_name(vb_limit_t reason)
{
    return stats_limit_name(reason);
}

const char *vb_summary_limited_by(const vb_summary_t *summary)
{
    return stats_limit_verdict(summary->limited_s);
}
