/* results.c - every way an item's result reaches the caller (see results.h). */
#include "record/results.h"

#include "provider/openai_batch_lines.h"
#include "record/output.h"
#include "record/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first item of a key has its result: the copies that waited get it too. */
static void answer_copies(results_t *out, const request_t *first, const vb_result_t *res)
{
    const char *first_id = NULL;
    request_t *copy =
        dedupe_finish(out->dedupe, first->cache_key, res->status == VB_STATUS_OK, &first_id);
    while (copy) {
        request_t *next = copy->next_copy;
        out->waiting--;
        results_record_duplicate(out, copy, first->item.id, res->line, res->status);
        request_free(copy);
        copy = next;
    }
}

void results_record_duplicate(results_t *out, const request_t *copy, const char *first_id,
                              const char *first_line, vb_status_t status)
{
    vb_result_t res = {0};
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.duplicate_of = first_id;
    char *text = output_line_for(first_line, copy->item.id, copy->item.source, copy->item.meta_json,
                                 0, first_id, 0);
    res.status = status;
    res.line = text;
    if (!text) { /* out of memory or a broken line: report it as an error of the copy */
        res.status = VB_STATUS_ERROR;
        res.error_kind = "internal";
        res.error_message = "cannot copy the answer of the first item";
    }
    out->sum->duplicates++;
    results_record(out, copy, &res);
    free(text);
}

/* Adds res to the run's totals. */
static void count_result(vb_summary_t *sum, const vb_result_t *res)
{
    if (res->cost_usd > 0 && sum->cost_usd >= 0)
        sum->cost_usd += res->cost_usd;
    if (res->status == VB_STATUS_SKIPPED) {
        sum->skipped++;
    } else if (res->status == VB_STATUS_OK) {
        sum->ok++;
    } else {
        sum->failed++;
        if (res->cost_usd > 0)
            sum->failed_billed++;
        stats_count_kind(sum->failed_by_kind, &sum->failed_kinds, res->error_kind);
    }
    if (res->prompt_tokens > 0) /* billed: an answer that was not the JSON asked for too */
        sum->prompt_tokens += res->prompt_tokens;
    if (res->completion_tokens > 0)
        sum->completion_tokens += res->completion_tokens;
    sum->images++;
}

/* Writes r's result to the journal: its state, attempts, cost and line, and the result
 * key of an answer worth reusing. */
static void journal_result(journal_t *j, const request_t *r, const vb_result_t *res)
{
    const char *key =
        res->status == VB_STATUS_OK && !res->cached && !res->duplicate_of && r->cache_key[0]
            ? r->cache_key
            : NULL;
    journal_state_t state = res->status == VB_STATUS_OK        ? JOURNAL_OK
                            : res->status == VB_STATUS_SKIPPED ? JOURNAL_SKIPPED
                                                               : JOURNAL_FAILED;
    journal_item_done(j, r->item.id, r->item.source, r->content_hash[0] ? r->content_hash : NULL,
                      state, r->attempts, res->cost_usd, res->line, key);
}


/* Journals the stamp (size, mtime) of the file r was read from, for the next run. */
static void journal_stamp(journal_t *j, const request_t *r)
{
    if (j && r->file_stamped)
        journal_item_stamp(j, r->item.id, r->file_size, r->file_mtime_ns);
}

/* Notes that held-back item id has its line now (results_replay_rest skips it). */
static void results_release(results_t *out, const char *id)
{
    if (!out->held || !id)
        return;
    if (!out->released)
        out->released = idset_new();
    if (out->released)
        idset_add(out->released, id, strlen(id));
}

/* journal_foreach_final's callback of results_replay_rest. */
static int replay_unreleased(const journal_final_t *item, void *arg)
{
    results_t *out = arg;
    size_t n = strlen(item->id);
    if (idset_has(out->held, item->id, n) &&
        !(out->released && idset_has(out->released, item->id, n))) {
        results_replay(out, item->line, item->state);
        results_release(out, item->id);
    }
    return 0;
}

void results_record(results_t *out, const request_t *r, vb_result_t *res)
{
    res->id = r->item.id;
    res->image = r->item.source;
    res->content_hash = r->content_hash[0] ? r->content_hash : NULL;
    res->meta_json = r->item.meta_json;
    res->attempts = r->attempts;
    if (r->carried_usd > 0) /* its share of batch answers that could not be split */
        res->cost_usd = (res->cost_usd > 0 ? res->cost_usd : 0) + r->carried_usd;
    if (r->earlier_cost_usd > 0) /* answers re-asked for not being the JSON asked for */
        res->cost_usd = (res->cost_usd > 0 ? res->cost_usd : 0) + r->earlier_cost_usd;
    count_result(out->sum, res);
    char *line = res->line           ? NULL
                 : out->batch_output ? openai_batch_output_line(res)
                                     : output_format(res);
    if (!res->line)
        res->line = line ? line : "{}";
    if (out->journal) {
        journal_result(out->journal, r, res);
        journal_stamp(out->journal, r);
    }
    if (r->changed)
        results_count_changed(out, r);
    if (r->replay_held)
        results_release(out, r->item.id);
    if (out->cache && res->status == VB_STATUS_OK && !res->cached && !res->duplicate_of &&
        r->cache_key[0])
        out->cache->store(out->cache->ctx, r->cache_key, res->line);
    if (out->fn)
        out->fn(res, out->userdata);
    /* copies waiting for this item get its result, whatever it is */
    if (out->dedupe && r->dedupe_first)
        answer_copies(out, r, res);
    free(line);
}

void results_record_unsent(results_t *out, const request_t *r)
{
    vb_result_t res = {0};
    res.status = VB_STATUS_ERROR;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.error_kind = r->error_kind;
    res.error_message = r->error_message;
    results_record(out, r, &res);
}

void results_record_skipped(results_t *out, const request_t *r, double budget_usd)
{
    vb_result_t res = {0};
    res.status = VB_STATUS_SKIPPED;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.error_kind = "budget";
    char msg[160];
    snprintf(msg, sizeof msg, "not sent: the budget of $%.4f is used up", budget_usd);
    res.error_message = msg;
    results_record(out, r, &res);
}

void results_record_cached(results_t *out, const request_t *r)
{
    vb_result_t res = {0};
    res.status = VB_STATUS_OK;
    res.prompt_tokens = res.completion_tokens = res.total_tokens = -1;
    res.cached = 1;
    res.line = r->cached_line;
    out->sum->cached++;
    results_record(out, r, &res);
}

void results_replay(results_t *out, const char *line, journal_state_t state)
{
    vb_result_t res = {0};
    res.replayed = 1;
    /* a copy journaled by an older version repeats its first's usage: it was billed 0 */
    char *unbilled = output_line_unbilled_copy(line);
    res.line = unbilled ? unbilled : line;
    res.status = state == JOURNAL_OK ? VB_STATUS_OK : VB_STATUS_ERROR;
    out->sum->replayed++;
    out->sum->images++;
    if (state == JOURNAL_OK) {
        out->sum->ok++;
    } else { /* by the kind its line names */
        out->sum->failed++;
        char *kind, *message;
        output_line_error(line, &kind, &message);
        stats_count_kind(out->sum->failed_by_kind, &out->sum->failed_kinds, kind);
        free(kind);
        free(message);
    }
    if (out->fn)
        out->fn(&res, out->userdata);
    free(unbilled);
}

void results_count_changed(results_t *out, const request_t *r)
{
    vb_summary_t *sum = out->sum;
    sum->changed++;
    if (r->replay_held) {
        results_release(out, r->item.id); /* its new line replaces the one held back */
    } else {
        sum->replayed--;
        sum->ok--;
        sum->images--;
    }
    if (out->journal && r->superseded_usd > 0)
        journal_spent_unfinished_add(out->journal, r->superseded_usd);
}

void results_replay_rest(results_t *out)
{
    if (out->held && out->journal)
        journal_foreach_final(out->journal, 0, replay_unreleased, out);
    idset_free(out->released);
    out->released = NULL;
}

void results_record_unchanged(results_t *out, const request_t *r)
{
    journal_stamp(out->journal, r);
    if (!r->replay_held || !out->journal)
        return;
    results_release(out, r->item.id);
    journal_state_t state;
    char *line = journal_item_result(out->journal, r->item.id, &state);
    if (line)
        results_replay(out, line, state);
    free(line);
}
