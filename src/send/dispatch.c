/* dispatch.c - what goes on the wire next, as a chain of gates (nginx's phase handlers).
 *
 * Each turn takes one request (or keeps the one parked in e->next) through the gates in
 * order. A gate lets it pass to the next gate, takes it (records it, parks it with dedupe
 * or a group, breaks a group up: dispatch then takes the next request), or says wait:
 * nothing more goes now, and e->wake_ns says until when (UINT64_MAX: until a transfer
 * ends or work arrives) and e->held what held the run back.
 *
 * Before a request goes, admission (admit.c) checks the window, the rate limiters and
 * any run-wide pause. Images of a batch answer that could not be split go first (already
 * paid for once), then retries that are due, then new work while the retry queue has
 * room for the failures of everything out. */
#include "send/engine_internal.h"

#include "record/stats.h"

#include <stdio.h>

/* What a gate says about the request in *r. */
typedef enum {
    GATE_PASS, /* on to the next gate */
    GATE_TOOK, /* consumed or parked it: take the next request */
    GATE_WAIT, /* stop dispatching now: e->wake_ns and e->held say until when and why */
} gate_t;

typedef gate_t (*gate_fn)(engine_t *e, request_t **r, uint64_t now);

/* The longest a group waits for more images once it has one: a source that trickles
 * (a Redis queue shared with other workers, a slow disk) never holds images back long. */
#define GROUP_MAX_WAIT_NS (250 * 1000000ULL)

/* Whether new work must wait: the retry queue must have room to take the failures of
 * everything in flight or waiting (which is what keeps memory bounded). */
static bool gate_closed(const engine_t *e)
{
    return retryq_count(e->retries) + (size_t)e->pool.in_flight + (size_t)e->out.waiting >=
           retryq_capacity(e->retries);
}

/* The next request to consider: an image going alone after its batch answer could not be
 * split, a retry that is due, else new work while the gate is open. */
static request_t *next_request(engine_t *e, uint64_t now)
{
    /* images of a batch answer that could not be split go first: already paid for once */
    request_t *r = e->group ? group_pop_solo(e->group) : NULL;
    if (r)
        return r;
    /* with the budget used up, retries are only reported: none need wait */
    r = retryq_pop_due(e->retries, e->cost.budget_out ? UINT64_MAX : now);
    if (r)
        return r;
    if (gate_closed(e)) {
        e->held = VB_LIMIT_CONCURRENCY;
        return NULL;
    }
    if (e->o->batch_api) /* new work goes in batches: only --fallback-online's lines, which
                            come through the retry heap, are sent here */
        return NULL;
    e->held =
        retryq_count(e->retries) || queue_drained(e->ready) ? VB_LIMIT_LATENCY : VB_LIMIT_PREPARE;
    return queue_try_pop(e->ready);
}

/* Takes the next request unless one is parked already. Passes even when there is none:
 * the next gate decides what that means. */
static gate_t gate_next_request(engine_t *e, request_t **r, uint64_t now)
{
    if (!*r)
        *r = next_request(e, now);
    return GATE_PASS;
}

/* With nothing more to take now, whether the group being formed goes short of
 * --batch-size: the input is used up, the gate is closed (what closes it may wait for an
 * image in the group), nothing is being sent anyway, or it has waited long enough. */
static bool group_goes_short(const engine_t *e, uint64_t now)
{
    return group_pending(e->group) > 0 &&
           (queue_drained(e->ready) || gate_closed(e) || e->cost.budget_out || e->stopping ||
            now - e->group_since_ns >= GROUP_MAX_WAIT_NS);
}

/* Nothing to take: the group being formed may go short (it is parked, and dispatch goes
 * round again), images of a group that could not be built may wait to go alone; else
 * dispatch sleeps until the next retry falls due or the waiting group stops waiting. */
static gate_t gate_group_or_sleep(engine_t *e, request_t **r, uint64_t now)
{
    if (*r)
        return GATE_PASS;
    if (e->group && group_goes_short(e, now) && (*r = group_take(e->group)))
        return GATE_TOOK;
    if (e->group && !group_idle(e->group) && group_pending(e->group) == 0)
        return GATE_TOOK; /* a group that could not be built went alone */
    e->wake_ns = retryq_next_due(e->retries);
    if (e->group && group_pending(e->group) > 0 &&
        e->group_since_ns + GROUP_MAX_WAIT_NS < e->wake_ns)
        e->wake_ns = e->group_since_ns + GROUP_MAX_WAIT_NS;
    return GATE_WAIT;
}

/* A batch with the budget used up breaks up: its images are each skipped. */
static gate_t gate_group_over_budget(engine_t *e, request_t **r, uint64_t now)
{
    (void)now;
    if (!(*r)->n_members || !e->cost.budget_out)
        return GATE_PASS;
    group_dissolve(e->group, *r);
    *r = NULL;
    return GATE_TOOK;
}

/* An item whose preparation says no later request can go either stops the run. */
static gate_t gate_fatal(engine_t *e, request_t **r, uint64_t now)
{
    (void)now;
    if (!(*r)->fatal)
        return GATE_PASS;
    engine_stop(e, (*r)->error_message);
    request_free(*r);
    *r = NULL;
    return GATE_WAIT;
}

/* An item with nothing to send is recorded as it is: unchanged since an earlier run,
 * failed in preparation, answered from the cache, or skipped (by the preparing threads, or here once the budget is used
 * up). */
static gate_t gate_unsendable(engine_t *e, request_t **r, uint64_t now)
{
    (void)now;
    request_t *q = *r;
    if (!q->unchanged && !q->error_kind && !q->cached_line && !q->skipped &&
        !e->cost.budget_out)
        return GATE_PASS;
    if (q->unchanged)
        results_record_unchanged(&e->out, q);
    else if (q->cached_line)
        results_record_cached(&e->out, q);
    else if (q->error_kind)
        results_record_unsent(&e->out, q);
    else
        results_record_skipped(&e->out, q, e->cost.budget.limit);
    request_free(q);
    *r = NULL;
    return GATE_TOOK;
}

/* A first attempt is sent once per result key: a copy of an item in flight waits for
 * its answer, a copy of one finished is answered from the journal's cache. */
static gate_t gate_dedupe(engine_t *e, request_t **r, uint64_t now)
{
    (void)now;
    request_t *q = *r;
    if (!e->dedupe || q->attempts != 0 || q->reserved_usd != 0 || q->dedupe_checked)
        return GATE_PASS;
    const char *first = NULL;
    q->dedupe_checked = 1;
    dedupe_verdict_t v = dedupe_check(e->dedupe, q, &first);
    if (v == DEDUPE_WAITING) { /* taken: answered when the first finishes */
        *r = NULL;
        e->out.waiting++;
        return GATE_TOOK;
    }
    if (v == DEDUPE_NEW)
        q->dedupe_first = 1;
    char *line = v == DEDUPE_DONE && e->journal ? journal_cached(e->journal, q->cache_key) : NULL;
    if (!line) /* without a journal a finished answer is not kept: the copy is sent */
        return GATE_PASS;
    results_record_duplicate(&e->out, q, first, line, VB_STATUS_OK); /* the cache holds oks */
    free(line);
    request_free(q);
    *r = NULL;
    return GATE_TOOK;
}

/* Offers r to the group being formed. Returns what dispatch sends next: a full (or
 * closed) group as one request, or NULL when r joined a group that waits for more. */
static request_t *join_group(engine_t *e, request_t *r)
{
    group_add_t a = group_add(e->group, r);
    if (a == GROUP_ADDED) {
        if (group_pending(e->group) == 1)
            e->group_since_ns = clock_now(&e->clock);
        return NULL;
    }
    if (a == GROUP_FULL)
        return group_take(e->group);
    request_t *group = group_take(e->group); /* no room for r: r starts the next one */
    group_add(e->group, r);                  /* an empty group takes any image that can join */
    e->group_since_ns = clock_now(&e->clock);
    return group;
}

/* With --batch-size, an image that can share a request joins the group being formed;
 * a group that is complete goes on in its place. */
static gate_t gate_join_group(engine_t *e, request_t **r, uint64_t now)
{
    (void)now;
    if (!e->group || !group_can_join(e->group, *r))
        return GATE_PASS;
    *r = join_group(e, *r);
    return *r ? GATE_PASS : GATE_TOOK;
}

/* Every handle busy: wait for a transfer to end. */
static gate_t gate_free_handle(engine_t *e, request_t **r, uint64_t now)
{
    (void)r, (void)now;
    if (transfer_pool_has_free(&e->pool))
        return GATE_PASS;
    e->held = VB_LIMIT_CONCURRENCY;
    return GATE_WAIT;
}

double engine_worst_usd(const engine_t *e, const request_t *q)
{
    long max_tokens = q->n_members        ? q->batch_max_tokens
                      : q->max_tokens > 0 ? q->max_tokens
                                          : e->o->max_tokens;
    return q->online_fallback /* a batch job's line sent online: the online price */
               ? job_cost_worst_online(&e->cost, q->model, q->input_tokens_worst, max_tokens)
               : job_cost_worst(&e->cost, q->model, q->input_tokens_worst, max_tokens);
}

/* While the endpoint is unreachable (send/outage.h) nothing goes but one probe at a
 * time; a pause that lasts --unreachable-timeout stops the run. */
static gate_t gate_outage(engine_t *e, request_t **r, uint64_t now)
{
    (void)r;
    uint64_t wake;
    outage_gate_t g = outage_may_send(&e->outage, now, &wake);
    if (g == OUTAGE_SEND)
        return GATE_PASS;
    if (g == OUTAGE_GIVE_UP)
        engine_health_give_up(e, now);
    e->wake_ns = wake;
    e->held = VB_LIMIT_LATENCY; /* the server's side holds the run, not a rate limit */
    return GATE_WAIT;
}

/* With --budget, holds the request's worst-case cost. What does not fit waits for what
 * is in flight (which may cost less than held); with nothing in flight a batch breaks up
 * (one image may fit), and a single image ends the sending: the rest is skipped. */
static gate_t gate_budget(engine_t *e, request_t **r, uint64_t now)
{
    (void)now;
    request_t *q = *r;
    if (!(e->cost.budget.limit > 0) || q->reserved_usd != 0)
        return GATE_PASS;
    double worst = engine_worst_usd(e, q);
    if (worst < 0) { /* a batch line of a model without a price */
        *r = NULL;
        request_fail(q, "unknown_price",
                     "no %sprice is known for model %.100s, so --budget cannot be kept: "
                     "add it with --pricing FILE",
                     e->cost.batch ? "batch " : "", q->model);
        results_record_unsent(&e->out, q);
        request_free(q);
        return GATE_TOOK;
    }
    if (budget_reserve(&e->cost.budget, worst) == 0) {
        q->reserved_usd = worst;
        return GATE_PASS;
    }
    if (e->pool.in_flight > 0) { /* what is in flight may cost less than held */
        e->wake_ns = UINT64_MAX;
        e->held = VB_LIMIT_LATENCY;
        return GATE_WAIT;
    }
    if (q->n_members) { /* the whole batch does not fit: maybe one image does */
        *r = NULL;
        group_dissolve(e->group, q);
        return GATE_TOOK;
    }
    e->cost.budget_out = true; /* not even this one fits: stop sending */
    atomic_store(&e->skip_all, 1);
    return GATE_TOOK; /* parked: gate_unsendable skips it */
}

/* Records an item whose request can never fit the token limit. */
static void record_too_large(engine_t *e, request_t *r)
{
    r->error_kind = "too_large";
    snprintf(r->error_message, sizeof r->error_message,
             "the request needs about %.0f tokens, more than the limit of %.0f tokens per "
             "minute: it can never be sent",
             r->token_estimate, admit_tpm_limit(e->admit));
    results_record_unsent(&e->out, r);
}

/* Admission: the window, the rate limiters and a run-wide pause say go, wait (the
 * budget's hold is let go until then), or never (heavier than the token limit: a batch
 * breaks up, an image fails unsent). */
static gate_t gate_admission(engine_t *e, request_t **r, uint64_t now)
{
    request_t *q = *r;
    uint64_t wake = UINT64_MAX;
    admit_verdict_t v = admit_try(e->admit, q->token_estimate, e->pool.in_flight, now, &wake);
    if (v == ADMIT_GO)
        return GATE_PASS;
    if (v == ADMIT_WAIT) {
        budget_settle(&e->cost.budget, q->reserved_usd, 0); /* held again when it goes */
        q->reserved_usd = 0;
        e->wake_ns = wake;
        e->held = wake != UINT64_MAX                           ? VB_LIMIT_RATE
                  : admit_window(e->admit) < e->o->concurrency ? VB_LIMIT_WINDOW
                                                               : VB_LIMIT_CONCURRENCY;
        return GATE_WAIT;
    }
    *r = NULL;
    budget_settle(&e->cost.budget, q->reserved_usd, 0);
    if (q->n_members) { /* too heavy together: try one by one */
        group_dissolve(e->group, q);
        return GATE_TOOK;
    }
    q->reserved_usd = 0;
    record_too_large(e, q);
    request_free(q);
    return GATE_TOOK;
}

/* Counts an attempt for every image r carries (a batch: each member) and journals it as
 * sent. */
static void mark_sent(engine_t *e, request_t *r)
{
    request_t **items = r->n_members ? r->members : &r;
    size_t n = r->n_members ? r->n_members : 1;
    for (size_t i = 0; i < n; i++) {
        if (r->n_members)
            items[i]->attempts++;
        if (e->journal)
            journal_item_sent(e->journal, items[i]->item.id, items[i]->item.source,
                              items[i]->content_hash[0] ? items[i]->content_hash : NULL,
                              items[i]->attempts);
    }
}

/* Counts what is about to go: a retry by its cause, the image tokens downscaling saved.
 * The bytes are counted when the transfer ends, as libcurl sent them (complete.c). */
static void count_send(vb_summary_t *sum, request_t *r)
{
    if (r->resend) {
        r->resend = 0;
    } else if (r->attempts > 0) {
        sum->retries++;
        stats_count_kind(sum->retries_by_cause, &sum->retry_kinds, r->retry_kind);
    } else if (r->image_tokens_saved > 0)
        sum->image_tokens_saved += (long)r->image_tokens_saved;
}

/* Puts the request on the wire. When libcurl refuses, a batch breaks up (its images go
 * alone, and fail alone if this persists) and an image fails unsent. */
static gate_t gate_start(engine_t *e, request_t **r, uint64_t now)
{
    request_t *q = *r;
    *r = NULL;
    count_send(e->out.sum, q);
    q->attempts++;
    q->sent_ns = now;
    mark_sent(e, q);
    if (transfer_start(&e->pool, q, now) != 0) {
        budget_settle(&e->cost.budget, q->reserved_usd, 0);
        if (q->n_members) {
            q->reserved_usd = 0;
            group_dissolve(e->group, q);
            return GATE_TOOK;
        }
        q->error_kind = "internal";
        snprintf(q->error_message, sizeof q->error_message, "libcurl refused the transfer");
        results_record_unsent(&e->out, q);
        request_free(q);
        return GATE_TOOK;
    }
    e->out.sum->requests++;
    q->outage_probe = outage_paused(&e->outage); /* during a pause: the probe */
    outage_sent(&e->outage);
    if (q->n_members && q->attempts == 1)
        e->out.sum->batches++;
    return GATE_TOOK;
}

/* The gates, in the order a request meets them. Every gate after the second has a
 * request in *r. */
static const gate_fn gates[] = {
    gate_next_request,      /* a solo image, a due retry, or new work */
    gate_group_or_sleep,    /* none: a group goes short, or sleep */
    gate_group_over_budget, /* a batch once the budget is used up */
    gate_fatal,             /* stops the run */
    gate_unsendable,        /* unchanged, failed, cached or skipped: recorded */
    gate_dedupe,            /* a copy waits for its first, or is answered */
    gate_join_group,        /* --batch-size: joins the group being formed */
    gate_free_handle,       /* every handle busy */
    gate_outage,            /* the endpoint is down: one probe at a time */
    gate_budget,            /* the worst-case cost must fit */
    gate_admission,         /* window, rate limiters, pause */
    gate_start,             /* on the wire */
};

void engine_dispatch(engine_t *e)
{
    e->wake_ns = UINT64_MAX;
    while (!e->stopping) {
        uint64_t now = clock_now(&e->clock);
        gate_t g = GATE_PASS;
        for (size_t i = 0; g == GATE_PASS && i < sizeof gates / sizeof gates[0]; i++)
            g = gates[i](e, &e->next, now);
        if (g == GATE_WAIT)
            return;
    }
}
