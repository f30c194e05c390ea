/* budget.c - reservations against a hard limit. */
#include "budget.h"

int budget_reserve(budget_t *b, double amount)
{
    if (b->limit > 0 && b->spent + b->reserved + amount > b->limit)
        return -1;
    b->reserved += amount;
    return 0;
}

void budget_settle(budget_t *b, double reserved, double actual)
{
    b->reserved -= reserved;
    if (b->reserved < 0)
        b->reserved = 0;
    b->spent += actual;
}

int budget_exhausted(const budget_t *b, double min_amount)
{
    return b->limit > 0 && b->spent + b->reserved + min_amount > b->limit;
}
