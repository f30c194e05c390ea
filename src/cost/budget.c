/* budget.c - reservations against a hard limit. */
#include "cost/budget.h"

int budget_reserve(budget_t *b, double amount)
{
    if (b->shared && b->limit > 0 && b->shared->reserve(b->shared->ctx, b->limit, amount) != 0)
        return -1;
    if (!b->shared && b->limit > 0 && b->spent + b->reserved + amount > b->limit)
        return -1;
    b->reserved += amount;
    return 0;
}

void budget_settle(budget_t *b, double reserved, double actual)
{
    if (b->shared && b->limit > 0 && (reserved > 0 || actual > 0))
        b->shared->settle(b->shared->ctx, reserved, actual);
    b->reserved -= reserved;
    if (b->reserved < 0)
        b->reserved = 0;
    b->spent += actual;
}

int budget_exhausted(const budget_t *b, double min_amount)
{
    return b->limit > 0 && b->spent + b->reserved + min_amount > b->limit;
}
