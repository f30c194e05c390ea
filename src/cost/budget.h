/* budget.h - a hard spending limit that requests in flight cannot overshoot.
 *
 * Before a request is sent its worst-case cost is reserved; when it returns the
 * reservation is settled with the cost of the real usage. A request is sent only if its
 * reservation fits: spent + reserved + worst case <= limit (provider-facts.md §7:
 * budgets overshot by requests already in flight). */
#ifndef VB_BUDGET_H
#define VB_BUDGET_H

/* A budget kept elsewhere too (redis_budget.c: shared by the processes of a job):
 * reserve answers 0 when amount fits under limit counting every process's spend and
 * reservations (and holds it), -1 when not; settle replaces a reservation by the real
 * cost. */
typedef struct budget_shared {
    int (*reserve)(void *ctx, double limit, double amount);
    void (*settle)(void *ctx, double reserved, double actual);
    void *ctx;
} budget_shared_t;

typedef struct budget {
    double limit;    /* USD; 0 = no limit */
    double spent;    /* settled cost (this process's, when shared) */
    double reserved; /* worst cases of the requests in flight */
    const budget_shared_t *shared; /* NULL: this process's alone */
} budget_t;

/* Reserves amount; returns 0, or -1 (nothing reserved) when it would not fit. */
int budget_reserve(budget_t *b, double amount);

/* Replaces a reservation by the real cost (which may be 0, e.g. a failed request). */
void budget_settle(budget_t *b, double reserved, double actual);

/* True when not even the smallest request (min_amount) could fit any more, counting
 * what is in flight as spent: the budget is used up. */
int budget_exhausted(const budget_t *b, double min_amount);

#endif
